"""The pytest plugin in throwaway projects (pytester): the session's exit status is the gate's
(0 pass, 1 violation, 2 unknown / crashed / nothing executed, 3 usage error), the plugin loads
through its pytest11 entry point, and ``session_statuses`` reads only this session's results.

The chaos tests in those projects write their result.json themselves (through
``record_result``) from synthetic histories, with a stubbed ``pair`` so no Docker is needed.
They run in a subprocess: the plugin keeps per-session state in its module.
"""

import json
from pathlib import Path

from harness import plugin
from harness.plugin import session_statuses

HISTORIES = (Path(__file__).parent / "histories.py").read_text()

CONFTEST = '''
from types import SimpleNamespace

import pytest


@pytest.fixture
def pair(bundle_name):
    """No Docker: a pair that is always in its intended state."""
    return SimpleNamespace(setup_error=None, fresh=True, reset=lambda: None,
                           bundle=SimpleNamespace(name=bundle_name, risks=[]))
'''

HELPERS = '''
import pytest
from histories import failover_history, fault, final, run, vip

from harness.outcome import assert_outcome
from harness.results import result_of, save


@pytest.fixture
def judged(vipchaos_settings, record_result, request):
    """Judge a history, save its result under the run dir, tell the session about it."""
    def judge(events):
        out = vipchaos_settings.run_dir / request.node.name
        record_result(out)
        result = result_of(events, out)
        save(result, None, out)
        assert_outcome(result)
    return judge
'''

CLEAN = '''
@pytest.mark.chaos
def test_clean_failover(pair, judged):
    judged(failover_history())
'''

DUAL = '''
@pytest.mark.chaos
def test_two_owners(pair, judged):
    judged([*failover_history(), vip(5.0, "node1", True), vip(6.0, "node1", False)])
'''

SKIPPED = '''
@pytest.mark.chaos
def test_no_netem(pair, judged):
    judged([run(0.0), fault(1.0, phase="skipped", name="delay-link", detail="no netem"),
            final(2.0)])
'''

CRASH = '''
@pytest.mark.chaos
def test_crashes_before_writing(pair, record_result, vipchaos_settings):
    record_result(vipchaos_settings.run_dir / "never-written")
    raise RuntimeError("the harness crashed")
'''

UNKNOWN = '''
@pytest.mark.chaos
def test_unobserved(pair, judged):
    judged([e for e in failover_history() if e["kind"] != "beat"])
'''


def project(pytester, *bodies):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(histories=HISTORIES)
    pytester.makepyfile(test_chaos=HELPERS + "\n".join(bodies))


def run(pytester, *args):
    run_dir = pytester.path / "runs" / "r1"
    res = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--vipchaos-config=seed",
                                        f"--vipchaos-run-dir={run_dir}", *args)
    return res, run_dir


def session_json(run_dir):
    return json.loads((run_dir / "session.json").read_text())


# --- exit status ------------------------------------------------------------------------------
def test_all_pass_exits_0(pytester):
    project(pytester, CLEAN)
    res, run_dir = run(pytester)
    assert res.ret == 0, res.stdout.str()
    res.stdout.fnmatch_lines(["*vipchaos summary*", "*gate: PASS (1 pass, 0 accepted, "
                              "0 skipped)*"])
    s = session_json(run_dir)
    assert s["gate"] is True and [t["status"] for t in s["tests"]] == ["pass"]
    assert (run_dir / "summary.json").exists() and (run_dir / "junit.xml").exists()
    assert (run_dir / "index.html").exists()


def test_a_violated_invariant_exits_1(pytester):
    project(pytester, CLEAN, DUAL)
    res, run_dir = run(pytester)
    assert res.ret == 1, res.stdout.str()
    res.stdout.fnmatch_lines(["*violated: seed/kill-mysqld-owner: single_owner: FAIL*",
                              "*gate: FAIL (1 fail)*"])
    assert sorted(t["status"] for t in session_json(run_dir)["tests"]) == ["fail", "pass"]


def test_all_chaos_tests_skipped_exits_2(pytester):
    project(pytester, SKIPPED)
    res, run_dir = run(pytester)
    assert res.ret == 2, res.stdout.str()
    res.assert_outcomes(skipped=1)
    assert session_json(run_dir)["why"] == "no chaos test executed"


def test_a_crashed_chaos_test_is_an_error_for_the_gate(pytester):
    project(pytester, CLEAN, CRASH)
    res, run_dir = run(pytester)
    assert res.ret != 0
    s = session_json(run_dir)
    statuses = {t["nodeid"].split("::")[-1]: t["status"] for t in s["tests"]}
    assert statuses == {"test_clean_failover[seed]": "pass",
                        "test_crashes_before_writing[seed]": "error"}
    assert s["gate"] is False and s["why"] == "1 error"


def test_a_crashed_chaos_test_exits_2(pytester):
    project(pytester, CLEAN, CRASH)
    res, run_dir = run(pytester)
    assert res.ret == 2, res.stdout.str()
    res.stdout.fnmatch_lines(["*gate: FAIL (1 error)*"])
    assert (run_dir / "index.html").exists()


def test_an_unknown_verdict_exits_2(pytester):
    project(pytester, CLEAN, UNKNOWN)
    res, _ = run(pytester)
    assert res.ret == 2, res.stdout.str()
    res.stdout.fnmatch_lines(["*gate: FAIL (1 unknown)*"])


def test_a_violation_beats_a_crash(pytester):
    project(pytester, DUAL, CRASH)
    assert run(pytester)[0].ret == 1


def test_an_empty_config_list_is_a_usage_error_exiting_3(pytester, monkeypatch):
    project(pytester, CLEAN)
    monkeypatch.setenv("VIPCHAOS_CONFIG", ",")
    res = pytester.runpytest_subprocess("-p", "no:cacheprovider",
                                        f"--vipchaos-run-dir={pytester.path / 'runs'}")
    assert res.ret == 3, res.stdout.str() + res.stderr.str()
    assert "no bundle to test" in res.stdout.str() + res.stderr.str()


def test_unit_tests_alone_keep_pytest_s_status(pytester):
    pytester.makepyfile(test_unit="def test_a():\n    assert True\n")
    assert run(pytester)[0].ret == 0
    pytester.makepyfile(test_unit="def test_a():\n    assert False\n")
    assert run(pytester)[0].ret == 1


def test_options_parametrize_by_bundle(pytester):
    pytester.makepyfile("def test_b(bundle_name):\n    assert bundle_name in ('seed', 'mine')\n")
    res = pytester.runpytest_subprocess("--vipchaos-config", "seed", "--vipchaos-config",
                                        "mine", "-v", "-p", "no:cacheprovider",
                                        f"--vipchaos-run-dir={pytester.path / 'runs'}")
    res.assert_outcomes(passed=2)
    res.stdout.fnmatch_lines(["vipchaos: bundles=seed,mine*", "*test_b[[]seed[]]*",
                              "*test_b[[]mine[]]*"])


# --- the pytest11 entry point -----------------------------------------------------------------
def test_the_entry_point_loads_the_plugin_without_a_conftest(pytester):
    """A project that never names harness.plugin still gets the options and fixtures."""
    from importlib.metadata import entry_points
    assert "harness.plugin" in {ep.value for ep in entry_points(group="pytest11")}
    pytester.makepyfile(test_x='''
def test_settings(vipchaos_settings, pytestconfig):
    assert pytestconfig.getoption("--vipchaos-config") == ["mine"]
    assert vipchaos_settings.bundles == ["mine"]
''')
    assert not (pytester.path / "conftest.py").exists()
    res = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--vipchaos-config=mine",
                                        f"--vipchaos-run-dir={pytester.path / 'runs'}")
    res.assert_outcomes(passed=1)
    res.stdout.fnmatch_lines(["vipchaos: bundles=mine*"])


def test_listing_the_plugin_in_a_conftest_too_is_not_a_double_registration(pytester):
    pytester.makeconftest('pytest_plugins = ["harness.plugin"]\n')
    pytester.makepyfile(test_x="def test_s(vipchaos_settings):\n    assert vipchaos_settings\n")
    res = pytester.runpytest_subprocess("-p", "no:cacheprovider",
                                        f"--vipchaos-run-dir={pytester.path / 'runs'}")
    res.assert_outcomes(passed=1)


# --- session_statuses ----------------------------------------------------------------------------
def result_dir(tmp_path, name, outcome):
    d = tmp_path / name
    d.mkdir()
    (d / "result.json").write_text(json.dumps({"outcome": outcome}))
    return str(d)


def test_a_test_that_crashed_before_writing_a_result_is_an_error(tmp_path):
    assert session_statuses([
        {"pytest": "failed", "result_dir": str(tmp_path / "missing")},
        {"pytest": "error"},
        {"pytest": "failed"}]) == ["error", "error", "error"]


def test_the_judged_outcome_counts_when_the_result_was_written(tmp_path):
    assert session_statuses([
        {"pytest": "passed", "result_dir": result_dir(tmp_path, "a", "pass")},
        {"pytest": "xfailed", "result_dir": result_dir(tmp_path, "b", "accepted")},
        {"pytest": "failed", "result_dir": result_dir(tmp_path, "c", "unknown")},
        {"pytest": "skipped", "result_dir": result_dir(tmp_path, "d", "skipped")},
    ]) == ["pass", "accepted", "unknown", "skipped"]


def test_a_failed_test_never_counts_as_pass_or_accepted(tmp_path):
    assert session_statuses([
        {"pytest": "failed", "result_dir": result_dir(tmp_path, "a", "pass")},
        {"pytest": "failed", "result_dir": result_dir(tmp_path, "b", "accepted")},
    ]) == ["fail", "fail"]


def test_a_result_without_outcome_is_an_error(tmp_path):
    d = tmp_path / "x"
    d.mkdir()
    (d / "result.json").write_text("{}")
    assert session_statuses([{"pytest": "passed", "result_dir": str(d)}]) == ["error"]


def test_without_a_result_pytest_s_word_counts(tmp_path):
    assert session_statuses([{"pytest": "skipped"}, {"pytest": "passed"}]) == ["skipped", "pass"]


def test_stale_results_are_not_read(tmp_path):
    """Only the result dirs recorded in this session count: an old result.json elsewhere in
    the run dir (a fail from an earlier session) changes nothing."""
    result_dir(tmp_path, "old-run-of-this-test", "fail")
    now = result_dir(tmp_path, "this-session", "pass")
    assert session_statuses([{"pytest": "passed", "result_dir": now}]) == ["pass"]


def test_an_xfailed_chaos_test_without_a_result_is_not_a_pass():
    assert session_statuses([{"pytest": "xfailed"}]) != ["pass"]


def test_a_second_session_in_the_same_process_does_not_see_the_first(pytester, monkeypatch):
    monkeypatch.setattr(plugin, "_SESSION", {}, raising=False)  # keep the outer session out
    project(pytester, DUAL)
    run_dir = pytester.path / "runs"
    first = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--vipchaos-config=seed",
                                         f"--vipchaos-run-dir={run_dir}")
    assert first.ret == 1
    (pytester.path / "test_chaos.py").unlink()
    pytester.makepyfile(test_unit="def test_a():\n    assert True\n")
    second = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--vipchaos-config=seed",
                                          f"--vipchaos-run-dir={run_dir}")
    assert second.ret == 0


def test_a_bundles_own_fault_selection_deselects_the_other_families(pytester, tmp_path):
    import shutil

    from harness.bundle import BUNDLES_DIR
    bundle = tmp_path / "picky"
    shutil.copytree(BUNDLES_DIR / "hardened", bundle)
    topo = bundle / "topology.toml"
    topo.write_text('faults = ["kill-mysqld"]\n' + topo.read_text())
    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.parametrize('fault', ['kill-mysqld', 'pause-node'])\n"
        "def test_f(bundle_name, fault):\n    pass\n"
        "def test_no_fault(bundle_name):\n    pass\n")
    res = pytester.runpytest("--vipchaos-config", str(bundle), "-p", "no:cacheprovider", "-v")
    res.assert_outcomes(passed=2, deselected=1)
    res.stdout.fnmatch_lines(["*test_f*kill-mysqld*PASSED*", "*test_no_fault*PASSED*"])


# --- the order tests are dealt out in, and one pair per worker ------------------------------
def test_tests_come_units_first_then_own_pairs_then_bundle_by_bundle(pytester):
    """xdist deals from the front of the collection: a worker that got a hardened test is never
    dealt a seed test again, so its pool needs one pair at a time."""
    pytester.makepyfile(test_order='''
import pytest

def test_fast_unit():
    pass

@pytest.mark.parametrize("fault", ["kill", "pause"])
def test_fault(bundle_name, fault):
    pass

@pytest.mark.chaos
def test_replay():
    pass

def test_another_unit():
    pass

@pytest.mark.chaos
@pytest.mark.on_pair("hardened")
def test_incident_on_hardened():
    pass
''')
    res = pytester.runpytest("--vipchaos-config", "seed", "--vipchaos-config", "hardened",
                             "-p", "no:cacheprovider", "--collect-only", "-q")
    ids = [line.split("::", 1)[1] for line in res.stdout.lines if "::" in line]
    # hardened has three tests (the incident on its pair joins them), seed two: largest first
    assert ids == ["test_fast_unit", "test_another_unit", "test_replay",
                   "test_fault[hardened-kill]", "test_fault[hardened-pause]",
                   "test_incident_on_hardened",
                   "test_fault[seed-kill]", "test_fault[seed-pause]"]


class _Pair:
    def __init__(self, name, downs):
        self.name, self.downs = name, downs

    def down(self):
        self.downs.append(self.name)


def _pool(keep=False):
    from types import SimpleNamespace
    downs, ups = [], []
    pool = plugin.PairPool(None, "img", SimpleNamespace(keep=keep, platform=None, network=None))
    pool.bundle = lambda name: name

    def bring_up(name):
        ups.append(name)
        return _Pair(name, downs)
    pool._bring_up = bring_up
    return pool, ups, downs


def test_a_pool_runs_one_pair_at_a_time_and_brings_a_retired_one_back():
    pool, ups, downs = _pool()
    assert pool.pair("seed") is pool.pair("seed")
    pool.pair("hardened")
    assert (ups, downs, list(pool.pairs)) == (["seed", "hardened"], ["seed"], ["hardened"])
    pool.pair("seed")  # dealt an earlier bundle again: brought up again, never a stale handle
    assert (ups, downs, list(pool.pairs)) == (["seed", "hardened", "seed"],
                                              ["seed", "hardened"], ["seed"])


def test_a_kept_pool_retires_nothing():
    pool, _ups, downs = _pool(keep=True)
    pool.pair("seed")
    pool.pair("hardened")
    assert (downs, sorted(pool.pairs)) == ([], ["hardened", "seed"])


NEVER_UP = '''
from types import SimpleNamespace

import pytest
from histories import check, final, phase, proc, repl, run, vip, watched

from harness.history import History


@pytest.fixture
def booted_pair(bundle_name):
    """No Docker: a pair whose recorded attempt at its intended state left nobody holding the
    VIP (a pasted config that never comes up)."""
    h = History()
    for e in [run(0.0, scenario="setup"), phase(0.1, "bring-up"),
              vip(0.2, "node1", False), vip(0.2, "node2", False),
              proc(0.2, "node1"), proc(0.2, "node2"), repl(0.5, "node1"), repl(0.5, "node2"),
              check(1.0, "node1", ok=False), check(1.0, "node2", ok=False),
              *watched(0.2, 19.0), final(19.0, owners=())]:
        h.add(e["kind"], **{k: v for k, v in e.items() if k != "kind"})
    return SimpleNamespace(setup_history=h, fresh=False,
                           bundle=SimpleNamespace(name=bundle_name, risks=[]))
'''


def test_a_pair_that_never_came_up_fails_each_test_that_needs_it_with_evidence(pytester):
    """A broken config is a violation (exit 1), not a harness error: every test that needs the
    intended state gets the recorded attempt's FAIL, written as its result."""
    pytester.makeconftest(NEVER_UP)
    pytester.makepyfile(histories=HISTORIES)
    pytester.makepyfile(test_chaos='''
import pytest


@pytest.mark.chaos
def test_kill(pair):
    raise AssertionError("never reached: the pair is not in its intended state")


@pytest.mark.chaos
def test_crash(pair):
    raise AssertionError("never reached")
''')
    res, run_dir = run(pytester)
    assert res.ret == plugin.EXIT_VIOLATION, res.stdout.str()
    out = res.stdout.str()
    assert "never came up as intended" in out and "VIP held by nobody" in out
    statuses = [t["status"] for t in session_json(run_dir)["tests"]]
    assert statuses == ["fail", "fail"]
    written = sorted(p.parent.name for p in run_dir.glob("*/result.json"))
    assert written == ["seed-test_crash-seed", "seed-test_kill-seed"]
    result = json.loads((run_dir / "seed-test_kill-seed" / "result.json").read_text())
    assert result["test"] == "test_kill[seed]" and result["outcome"] == "fail"
    assert result["judgement"]["per_invariant"]["bringup"] == "FAIL"
