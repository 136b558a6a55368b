"""Run reports from per-test result dicts (``Result.to_dict``): table, summary.json, JUnit, HTML;
and which results a run reads (this session's, listed in session.json, never stale ones)."""

import json
import xml.etree.ElementTree as ET

from histories import failover_history, vip

from harness.report import (
    failing,
    gate,
    load_results,
    render_html,
    summary_table,
    write_junit,
    write_summary_json,
)
from harness.results import result_of


def dual_owner_history():
    ev = failover_history()
    return [*ev, vip(5.0, "node1", True), vip(6.0, "node1", False)]


def put(run_dir, name, events):
    d = run_dir / name
    d.mkdir(parents=True)
    (d / "result.json").write_text(json.dumps(result_of(events, d).to_dict()))
    (d / "history.jsonl").write_text("\n".join(json.dumps(e) for e in events))
    return d


def _run(tmp_path):
    """Two results in a run dir: a clean failover (pass) and one with two owners (fail)."""
    put(tmp_path, "seed-kill-mysqld-owner", failover_history())
    put(tmp_path, "seed-pause-node-owner", dual_owner_history())
    return load_results(tmp_path)


def test_without_session_json_every_result_is_read(tmp_path):
    results = _run(tmp_path)
    assert [(r["_dir"], r["outcome"]) for r in results] == [
        ("seed-kill-mysqld-owner", "pass"), ("seed-pause-node-owner", "fail")]


def test_table_has_rows_and_marks(tmp_path):
    table = summary_table(_run(tmp_path)).splitlines()
    assert table[0].startswith("bundle") and "1-owner" in table[0] and set(table[1]) == {"-"}
    bad, good = table[2], table[3]  # failures first
    assert "kill-mysqld-owner" in good and "FAIL" not in good and good.endswith("pass")
    assert "FAIL" in bad and bad.endswith("fail")
    assert "16/0/0" in good  # ok/lost/unknown writes
    assert "2.5" in good  # failover seconds


def test_cells_show_the_judged_status_per_invariant():
    r = {"judgement": {"per_invariant": {"single_owner": "accepted", "writes": "unknown",
                                         "migration": "stale", "bringup": "pass",
                                         "replication": "FAIL"}}}
    row = summary_table([r]).splitlines()[2]
    assert "accept" in row and "?" in row and "STALE" in row and "ok" in row and "FAIL" in row
    assert summary_table([{"skip_reason": "no netem qdisc", "outcome": "skipped"}]) \
        .endswith("skipped (no netem qdisc)")


def test_gate_fails_on_failure_or_unknown(tmp_path):
    results = _run(tmp_path)
    assert gate(results) is False
    assert gate([results[0]]) is True
    assert gate([]) is False


def test_failing_lists_reasons_but_not_accepted_ones(tmp_path):
    results = _run(tmp_path)
    lines = failing(results)
    assert len(lines) == 1 and lines[0].startswith("seed/kill-mysqld-owner: single_owner: FAIL")
    accepted = {"outcome": "fail", "bundle": "b", "test": "t", "judgement": {
        "reasons": ["writes: accepted: lost writes (risk)", "single_owner: FAIL: x"]}}
    assert failing([accepted]) == ["b/t: single_owner: FAIL: x"]
    assert failing([{"outcome": "pass", "judgement": {"reasons": ["x"]}}]) == []


def test_junit_has_a_failure_for_the_failing_test(tmp_path):
    root = ET.parse(write_junit(tmp_path, _run(tmp_path))).getroot()
    assert root.get("tests") == "2" and root.get("failures") == "1"
    assert root.get("skipped") == "0"
    failure = root.find(".//testcase[@name='seed-pause-node-owner']/failure")
    assert failure is None  # test names come from the scenario
    failure = root.findall(".//testcase/failure")
    assert len(failure) == 1 and failure[0].get("message").startswith("fail: single_owner")


def test_junit_counts_unknown_and_error_as_failures_and_skips(tmp_path):
    results = [{"test": "a", "bundle": "b", "outcome": "unknown",
                "judgement": {"reasons": ["writes: unknown: no final state"]}},
               {"test": "c", "bundle": "b", "outcome": "error", "judgement": {"reasons": []}},
               {"test": "d", "bundle": "b", "outcome": "skipped", "skip_reason": "no netem"},
               {"test": "e", "bundle": "b", "outcome": "accepted", "judgement": {
                   "reasons": ["single_owner: accepted: two owners (risk)"]}}]
    root = ET.parse(write_junit(tmp_path, results)).getroot()
    assert root.get("failures") == "2" and root.get("skipped") == "1"
    assert root.find(".//testcase[@name='d']/skipped").get("message") == "no netem"
    assert root.find(".//testcase[@name='e']/failure") is None


def test_summary_json(tmp_path):
    results = _run(tmp_path)
    data = json.loads(write_summary_json(tmp_path, results).read_text())
    assert data["tests"] == 2 and data["gate"] is False
    assert data["outcomes"] == {"fail": 1, "pass": 1}


def test_html_has_timeline_lanes_and_fault_label(tmp_path):
    _run(tmp_path)
    page = render_html(tmp_path).read_text()
    assert page.count("<svg") >= 2
    assert "node1 vrrp" in page and "node2 VIP" in page
    assert "kill-mysqld (node1)" in page
    assert "b-fail" in page  # the gate badge says FAIL


# --- which results a run reads -----------------------------------------------------------------
def session(run_dir, tests):
    (run_dir / "session.json").write_text(json.dumps({"tests": tests}))


def test_session_json_lists_this_session_s_results_only(tmp_path):
    put(tmp_path, "stale-from-an-earlier-session", dual_owner_history())
    d = put(tmp_path, "seed-kill-mysqld-owner", failover_history())
    session(tmp_path, [{"nodeid": "suites/x.py::test_kill", "pytest": "passed",
                        "result_dir": str(d), "status": "pass"}])
    results = load_results(tmp_path)
    assert [r["_dir"] for r in results] == ["seed-kill-mysqld-owner"]
    assert gate(results) is True


def test_a_test_that_crashed_before_writing_a_result_is_an_error_row(tmp_path):
    d = put(tmp_path, "seed-kill-mysqld-owner", failover_history())
    session(tmp_path, [{"nodeid": "suites/x.py::test_kill", "pytest": "passed",
                        "result_dir": str(d), "status": "pass"},
                       {"nodeid": "suites/x.py::test_crash", "pytest": "error",
                        "result_dir": str(tmp_path / "never-written"), "status": "error"}])
    results = load_results(tmp_path)
    assert [r["outcome"] for r in results] == ["pass", "error"]
    assert results[1]["test"] == "test_crash"
    assert "no result written" in results[1]["judgement"]["reasons"][0]
    assert gate(results) is False


def test_the_session_status_overrides_the_stored_outcome(tmp_path):
    d = put(tmp_path, "seed-kill-mysqld-owner", failover_history())
    session(tmp_path, [{"nodeid": "t", "pytest": "failed", "result_dir": str(d),
                        "status": "fail"}])
    assert load_results(tmp_path)[0]["outcome"] == "fail"


def test_a_passing_non_chaos_test_without_result_is_not_a_row(tmp_path):
    session(tmp_path, [{"nodeid": "suites/test_smoke.py::test_one_owner", "pytest": "passed",
                        "status": "pass"}])
    assert load_results(tmp_path) == []


def test_the_html_report_renders_a_crashed_test(tmp_path):
    session(tmp_path, [{"nodeid": "suites/x.py::test_crash", "pytest": "error",
                        "status": "error"}])
    page = render_html(tmp_path).read_text()
    assert "test_crash" in page and "error" in page


def test_rows_are_grouped_by_bundle_then_scenario_failures_and_unknowns_first():
    from harness.report.summary import ordered
    rows = [{"bundle": "seed", "test": "b-pass", "outcome": "pass"},
            {"bundle": "hardened", "test": "z-fail", "outcome": "fail"},
            {"bundle": "seed", "test": "c-unknown", "outcome": "unknown"},
            {"bundle": "seed", "test": "a-accepted", "outcome": "accepted"},
            {"bundle": "hardened", "test": "a-pass", "outcome": "pass"},
            {"bundle": "seed", "test": "d-fail", "outcome": "fail"}]
    assert [(r["bundle"], r["test"]) for r in ordered(rows)] == [
        ("hardened", "z-fail"), ("hardened", "a-pass"), ("seed", "d-fail"),
        ("seed", "c-unknown"), ("seed", "a-accepted"), ("seed", "b-pass")]
    table = summary_table(rows).splitlines()[2:]
    assert [line.split()[1] for line in table] == ["z-fail", "a-pass", "d-fail", "c-unknown",
                                                   "a-accepted", "b-pass"]
