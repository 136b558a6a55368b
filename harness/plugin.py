"""The pytest plugin: options, markers, fixtures, report header, the run's gate and exit status.

Registered under the ``pytest11`` entry point (``pip install vipchaos`` gives the fixtures and
options in any repository). Fixtures are thin wrappers over ``harness.pair`` so a user can
override any of them: ``vipchaos_settings`` -> ``docker_engine`` -> ``node_image`` ->
``booted_pair`` (one per bundle and worker, brought up once and judged as the ``bring-up``
test) -> ``pair`` (that pair, reset to its intended state before each test) -> ``chaos`` (one
fault, judged) and ``vip``.

The session's exit status is the gate's (``harness.judge.gate``): 0 every invariant held or an
accepted risk happened as declared; 1 an invariant was violated (or an accepted risk no longer
happens); 2 unknown: something was not observed, a test crashed, no chaos test ran; 3 a usage
or configuration error; 130 interrupted.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from harness import reaper
from harness.api import bring_up, prepare, run_fault, setup_failure
from harness.bundle import load_bundle, parse_ref, with_network, with_platform
from harness.clients import parse_profiles
from harness.engine import Engine
from harness.errors import HarnessError
from harness.exitcodes import (
    EXIT_INTERRUPTED,
    EXIT_PASS,
    EXIT_UNKNOWN,
    EXIT_USAGE,
    EXIT_VIOLATION,
    status_for,
)
from harness.files import write_json
from harness.images import ensure_node
from harness.judge import gate
from harness.outcome import explain
from harness.platform import DEFAULT, Platform
from harness.platform import parse as parse_platform
from harness.progress import ProgressHandler
from harness.report import failing, remedy_lines, summary_table, write_all
from harness.report.summary import read_result
from harness.results import safe_name
from harness.settings import Settings
from harness.validate import validate_or_raise

SETTINGS = pytest.StashKey[Settings]()
RESULT_DIR = pytest.StashKey[str]()
log = logging.getLogger("vipchaos")


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("vipchaos", "vipchaos chaos harness")
    g.addoption("--vipchaos-config", action="append", default=None, metavar="BUNDLE",
                help="config bundle (name or directory) to test; repeatable "
                     "(default: seed and hardened; env VIPCHAOS_CONFIG=a,b)")
    g.addoption("--vipchaos-run-dir", default=None, metavar="DIR",
                help="where histories and reports go (default runs/<timestamp>-<pid>; env "
                     "VIPCHAOS_RUN_DIR)")
    g.addoption("--vipchaos-subnet", default=None, metavar="CIDR",
                help="lab subnet for the pairs (default: the bundle's; env VIPCHAOS_SUBNET)")
    g.addoption("--vipchaos-keep", action="store_true",
                help="leave the pairs running at the end (debugging; env VIPCHAOS_KEEP=1)")
    g.addoption("--vipchaos-repeat", type=int, default=1, metavar="N",
                help="run every chaos test N times (failover distributions: n, p50, p95, max "
                     "in the report)")
    g.addoption("--vipchaos-clients", default=None, metavar="P1,P2",
                help="client profiles beside the direct writer: router, pool, pool-ping, reader "
                     "(harness.clients; env VIPCHAOS_CLIENTS)")
    g.addoption("--vipchaos-faults", default=None, metavar="F1,F2",
                help="only these fault families (default: the bundle's `faults`, else all; "
                     "env VIPCHAOS_FAULTS)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "chaos: injects faults into a real pair")
    config.addinivalue_line("markers", "bundle(*names): run this test only against these bundles")
    config.addinivalue_line("markers", "fault(name): the fault family a chaos test exercises "
                                       "(selectable with --vipchaos-faults)")
    config.addinivalue_line("markers", "on_pair(bundle): runs on this worker's pair of that "
                                       "bundle (pair_of), dealt out with that bundle's tests")
    faults = config.getoption("--vipchaos-faults")
    s = Settings.from_env(
        bundles=config.getoption("--vipchaos-config"),
        run_dir=config.getoption("--vipchaos-run-dir"),
        keep=config.getoption("--vipchaos-keep") or None,
        subnet=config.getoption("--vipchaos-subnet"),
        faults=[f for f in faults.split(",") if f] if faults else None,
        clients=[c for c in (config.getoption("--vipchaos-clients") or "").split(",") if c]
        or None,
    )
    try:
        s.clients = parse_profiles(",".join(s.clients))
    except ValueError as exc:
        raise pytest.UsageError(f"--vipchaos-clients: {exc}") from exc
    if hasattr(config, "workerinput") and "vipchaos_run_dir" in config.workerinput:
        s.run_dir = Path(config.workerinput["vipchaos_run_dir"])
    config.stash[SETTINGS] = s
    _setup_logging(s.worker)
    if not hasattr(config, "workerinput"):  # the controller (or a plain session)
        s.run_dir.mkdir(parents=True, exist_ok=True)
        latest = s.run_dir.parent / "latest"
        with contextlib.suppress(OSError):
            if latest.is_symlink() or not latest.exists():
                latest.unlink(missing_ok=True)
                latest.symlink_to(s.run_dir.name)
    # SIGTERM (CI cancelling the job) unwinds like Ctrl-C, so fixture teardown removes the pair.
    config._vipchaos_old_sigterm = signal.signal(  # type: ignore[attr-defined]
        signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))


def pytest_unconfigure(config: pytest.Config) -> None:
    old = getattr(config, "_vipchaos_old_sigterm", None)
    if old is not None:
        signal.signal(signal.SIGTERM, old)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """xdist controller: every worker writes into the controller's run directory."""
    node.workerinput["vipchaos_run_dir"] = str(node.config.stash[SETTINGS].run_dir)


def _setup_logging(worker: str) -> None:
    """Progress and warnings go to the real stderr (pytest captures the others)."""
    if any(getattr(h, "_vipchaos", False) for h in log.handlers):
        return
    h = ProgressHandler(sys.__stderr__, worker=worker)
    h._vipchaos = True  # type: ignore[attr-defined]
    log.addHandler(h)
    log.setLevel(logging.INFO)
    log.propagate = False


def pytest_report_header(config: pytest.Config) -> list[str]:
    s = config.stash[SETTINGS]
    return [f"vipchaos: bundles={','.join(s.bundles)} run_dir={s.run_dir} keep={s.keep} "
            f"faults={','.join(s.faults) if s.faults else 'all'} "
            f"engine={s.engine}"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that uses a pair runs once per bundle under test (and N times with
    --vipchaos-repeat)."""
    repeat = metafunc.config.getoption("--vipchaos-repeat")
    if "vipchaos_rep" in metafunc.fixturenames and repeat > 1:
        metafunc.parametrize("vipchaos_rep", range(repeat), ids=[f"rep{i}" for i in range(repeat)])
    if "bundle_name" in metafunc.fixturenames:
        bundles = metafunc.config.stash[SETTINGS].bundles
        if not bundles:
            metafunc.config._vipchaos_no_bundle = True  # type: ignore[attr-defined]
        marker = metafunc.definition.get_closest_marker("bundle")
        if marker:
            bundles = [b for b in bundles if b in marker.args] or list(marker.args)
        metafunc.parametrize("bundle_name", bundles, scope="session",
                             ids=[Path(b).name for b in bundles])


def pytest_collection_finish(session: pytest.Session) -> None:
    """A test needs a bundle and none was named (``VIPCHAOS_CONFIG=","``): a usage error,
    not a run whose every chaos test is silently skipped."""
    if getattr(session.config, "_vipchaos_no_bundle", False):
        pytest.exit("vipchaos: no bundle to test: --vipchaos-config or VIPCHAOS_CONFIG names "
                    "none", returncode=EXIT_USAGE)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """--vipchaos-faults (or the bundle's ``faults`` in topology.toml) deselects the other
    fault families; tests without a fault (bring-up, smoke) always run."""
    wanted = config.stash[SETTINGS].faults
    per_bundle: dict[str, list[str] | None] = {}
    keep, drop = [], []
    for item in items:
        faults = {a for m in item.iter_markers("fault") for a in m.args}
        params = getattr(item, "callspec", None)
        if params is not None:
            faults |= {params.params[k] for k in ("fault", "stall") if k in params.params}
        allowed = wanted
        if allowed is None and params is not None and "bundle_name" in params.params:
            allowed = per_bundle.setdefault(params.params["bundle_name"],
                                            _bundle_faults(params.params["bundle_name"]))
        (drop if faults and allowed and not faults & set(allowed) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    items[:] = in_pair_order(items)


def in_pair_order(items: list[pytest.Item]) -> list[pytest.Item]:
    """Unit tests first, then the tests that bring up pairs of their own (the lab seal, bad
    input, incidents that change the topology), then the tests of each bundle together, the
    largest group first (the last groups make the tail of a parallel run: small ones finish it
    evenly); each group in collection order.

    xdist hands tests out from the front of this list, so once a worker has received a test of
    one bundle it will not be given a test of an earlier bundle again: its pool then runs one
    pair at a time (``PairPool.pair`` retires the previous one) instead of one per bundle, idle
    but checking, on every worker."""
    def bundle_of(item: pytest.Item) -> str | None:
        params = getattr(item, "callspec", None)
        if params is not None and "bundle_name" in params.params:
            return str(params.params["bundle_name"])
        on_pair = item.get_closest_marker("on_pair")
        return str(on_pair.args[0]) if on_pair else None

    names = [bundle_of(item) for item in items]
    sizes = Counter(n for n in names if n is not None)
    first = {n: names.index(n) for n in sizes}

    def key(pair: tuple[int, pytest.Item]) -> tuple:
        index, item = pair
        name = names[index]
        if name is not None:
            return 2, -sizes[name], first[name], index
        fixtures = getattr(item, "fixturenames", ())
        own_pair = item.get_closest_marker("chaos") or "docker_engine" in fixtures
        return (1 if own_pair else 0), 0, 0, index

    return [item for _, item in sorted(enumerate(items), key=key)]


def _bundle_faults(name: str) -> list[str] | None:
    try:
        return load_bundle(name).faults
    except HarnessError:
        return None  # the bundle's own error shows when its pair is brought up


@pytest.fixture(scope="session")
def vipchaos_settings(pytestconfig: pytest.Config) -> Settings:
    return pytestconfig.stash[SETTINGS]


@pytest.fixture(scope="session")
def docker_engine():
    return Engine()


@pytest.fixture(scope="session")
def node_image(docker_engine, vipchaos_settings) -> str:
    ref, _ = ensure_node(docker_engine, base=vipchaos_settings.base_image)
    return ref


class PairPool:
    """The pairs of one pytest process (a session, or one xdist worker): one per bundle, each
    brought up on first use on a lab subnet of its own and kept until the session ends.

    Tests of different bundles may interleave on a worker (xdist deals them out in any
    order); a pool keeps every bundle's pair alive instead of tearing one down whenever the
    bundle changes, as a parametrized session fixture would."""

    def __init__(self, engine, image: str, settings: Settings) -> None:
        self.engine, self.image, self.settings = engine, image, settings
        self.images: dict[Platform, str] = {DEFAULT: image}
        self.bundles: dict[str, Any] = {}
        self.pairs: dict[str, Any] = {}
        self._bringups: dict[str, int] = {}

    def bundle(self, name: str):
        if name not in self.bundles:
            b = load_bundle(name)
            rep = validate_or_raise(b, self.engine, self.image_for(b.platform),
                                    say=log.warning)
            write_json(self.settings.run_dir / f"validation-{safe_name(b.name)}.json",
                       {"bundle": str(b.path), "warnings": [str(w) for w in rep.warnings]},
                       indent=1)
            self.bundles[name] = b
        return self.bundles[name]

    def pair(self, name: str):
        """The pair of bundle ``name``; bringing it up retires the others first (tests come
        bundle by bundle: ``in_pair_order``). A worker that is dealt an earlier bundle again
        brings it up again: slower, never wrong. ``--vipchaos-keep`` keeps every pair. A
        session on one platform (VIPCHAOS_PLATFORM) runs every bundle on it, those the tests
        name themselves (``on_pair``) too."""
        if self.settings.platform and parse_ref(name).platform is None:
            name = with_platform(name, parse_platform(self.settings.platform,
                                                      where="VIPCHAOS_PLATFORM"))
        if self.settings.network and parse_ref(name).network is None:
            name = with_network(name, self.settings.network)
        if name not in self.pairs:
            if not self.settings.keep:
                self.close()
            self.pairs[name] = self._bring_up(self.bundle(name))
        return self.pairs[name]

    def _bring_up(self, bundle):
        log.info("%s: engine %s", bundle.name, self.settings.engine)
        return bring_up(self.engine, self.image_for(bundle.platform), bundle,
                        subnet=self.settings.subnet,
                        out_dir=self.bringup_dir(bundle.name), manual=self.settings.keep)

    def image_for(self, platform: Platform) -> str:
        """The node image of a bundle's platform (``vipchaos run`` builds them all first)."""
        if platform not in self.images:
            self.images[platform] = ensure_node(self.engine, platform=platform,
                                                log=log.info)[0]
        return self.images[platform]

    def bringup_dir(self, bundle_name: str) -> Path:
        """Where this process records a bring-up of the bundle: one directory per worker and
        bring-up (xdist workers each bring up their own pair of a bundle; two writers of one
        history interleaved their lines once)."""
        self._bringups[bundle_name] = self._bringups.get(bundle_name, 0) + 1
        n = self._bringups[bundle_name]
        name = "-".join(x for x in (safe_name(bundle_name), "bring-up", self.settings.worker,
                                    str(n) if n > 1 else "") if x)
        return self.settings.run_dir / name

    def close(self) -> None:
        for pair in self.pairs.values():
            if self.settings.keep:
                log.info("keeping run %s on %s (VIP %s): `vipchaos clean --all` removes it",
                         pair.run_id, pair.topology.subnet, pair.topology.vip)
            else:
                pair.down()
        self.pairs.clear()


@pytest.fixture(scope="session")
def pair_pool(docker_engine, node_image, vipchaos_settings):
    removed = reaper.reap_dead(docker_engine)
    if removed:
        log.info("removed what dead runs left: %s", ", ".join(removed))
    pool = PairPool(docker_engine, node_image, vipchaos_settings)
    yield pool
    pool.close()


@pytest.fixture
def bundle(bundle_name, pair_pool):
    """The bundle under test, loaded and validated once per session (warnings kept in the run
    dir), placed on the lab subnet its pair got."""
    return pair_pool.pair(bundle_name).bundle


@pytest.fixture
def validated_bundle(bundle):
    return bundle


@pytest.fixture
def booted_pair(bundle_name, pair_pool):
    """This worker's pair of one bundle as it was brought up (its bring-up recorded and judged
    by the ``bring-up`` test), not reset; reused by every test of that bundle."""
    return pair_pool.pair(bundle_name)


def ready(pair, request: pytest.FixtureRequest, settings: Settings):
    """The pair in its intended state (faults healed, replication running, the intended node
    owning the VIP); one just brought up is in it already. A pair that cannot get there fails
    the test on the recorded attempt's evidence (a violation of the config, exit 1), not as a
    harness error."""
    if prepare(pair) is None:
        return pair
    out = settings.run_dir / safe_name(f"{pair.bundle.name}-{request.node.name}")
    result = setup_failure(pair, request.node.name, out)
    request.node.stash[RESULT_DIR] = str(out)
    pytest.fail(f"{pair.bundle.name}: never came up as intended, so this test could not run:\n"
                + explain(result), pytrace=False)


@pytest.fixture
def pair(booted_pair, request, vipchaos_settings):
    """This worker's pair of the bundle under test, reset to its intended state before the
    test."""
    return ready(booted_pair, request, vipchaos_settings)


@pytest.fixture
def pair_of(pair_pool, request, vipchaos_settings):
    """``pair_of(bundle)``: this worker's pair of a bundle named by data (an incident file's
    ``bundle``: a shipped name or a directory), reset. Mark the test ``on_pair(bundle)`` so it
    is dealt out with that bundle's other tests and finds its pair up."""
    return lambda ref: ready(pair_pool.pair(str(ref)), request, vipchaos_settings)


@pytest.fixture
def vip(pair):
    """Open PyMySQL connections through the VIP: ``with vip() as conn: ...``; closed after."""
    opened = []

    def open_conn(timeout: float = 3):
        conn = pair.connect_vip(timeout=timeout)
        opened.append(conn)
        return conn

    yield open_conn
    for conn in opened:
        with contextlib.suppress(Exception):
            conn.close()


@pytest.fixture
def vipchaos_rep(request) -> int:
    """Which repetition of a chaos test this is (0 unless --vipchaos-repeat N)."""
    return getattr(request, "param", 0)


@pytest.fixture
def chaos(pair, vipchaos_settings, request, vipchaos_rep):
    """Run one fault against the pair: ``chaos("kill-mysqld", target="owner")``.

    Workload on, fault injected and verified, held long enough for a failover under this
    bundle's timing (healed 2 s after the migration completed), healed, converged, checked and
    judged against the bundle's accepted risks; history and result saved under the run dir.
    Returns the ``Result``; pass it to ``harness.outcome.assert_outcome``.
    """

    def run(fault: str, target: str = "owner", hold: float | None = None, **params):
        rep = f"-rep{vipchaos_rep}" if vipchaos_rep else ""
        out = vipchaos_settings.run_dir / safe_name(
            f"{pair.bundle.name}-{fault}-{target}{rep}")
        request.node.stash[RESULT_DIR] = str(out)
        return run_fault(pair, fault, target, hold=hold, out_dir=out,
                         clients=vipchaos_settings.clients, **params)

    return run


@pytest.fixture
def record_result(request):
    """Tell the session which result directory a test produced (for the gate)."""
    def record(out_dir) -> None:
        request.node.stash[RESULT_DIR] = str(out_dir)
    return record


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    rep = outcome.get_result()
    if RESULT_DIR in item.stash:
        rep.user_properties.append(("vipchaos_result", item.stash[RESULT_DIR]))
    if item.get_closest_marker("chaos") or "pair" in getattr(item, "fixturenames", ()):
        rep.user_properties.append(("vipchaos_chaos", True))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    props = dict(report.user_properties)
    if not props.get("vipchaos_chaos"):
        return
    tests = _SESSION.setdefault("tests", {})
    rec = tests.setdefault(report.nodeid, {"nodeid": report.nodeid, "pytest": "passed"})
    if "vipchaos_result" in props:
        rec["result_dir"] = props["vipchaos_result"]
    if report.failed:
        rec["pytest"] = "error" if report.when != "call" else "failed"
    elif report.skipped and report.when != "teardown":
        rec["pytest"] = "xfailed" if hasattr(report, "wasxfail") else "skipped"


_SESSION: dict[str, Any] = {}


def session_statuses(tests: list[dict[str, Any]]) -> list[str]:
    """Each chaos test's status for the gate: its judged outcome when its result was written in
    this session, else what pytest saw (a crash before writing is an ``error``)."""
    out = []
    for rec in tests:
        res = Path(rec["result_dir"]) / "result.json" if rec.get("result_dir") else None
        if rec["pytest"] in ("failed", "error") and (res is None or not res.exists()):
            out.append("error")
        elif res is not None and res.exists():
            status = read_result(res).get("outcome", "error")
            out.append("fail" if rec["pytest"] == "failed" and status in ("pass", "accepted")
                       else status)
        elif rec["pytest"] == "skipped":
            out.append("skipped")
        elif rec["pytest"] == "xfailed":
            out.append("unknown")  # an expected failure with no judged result: no evidence
        elif rec["pytest"] == "failed":
            out.append("fail")
        else:
            out.append("pass")
    return out


def pytest_sessionstart(session: pytest.Session) -> None:
    _SESSION.clear()  # a second session in the same process starts from nothing
    if not hasattr(session.config, "workerinput") and _runs_suites(session.config):
        _preflight()


def _runs_suites(config: pytest.Config) -> bool:
    """Whether this session is about to run chaos suites (a path under a ``suites`` directory
    among its arguments): then a machine that cannot run them stops once, here, instead of
    every test erroring on its own (and every xdist worker with it)."""
    return any("suites" in Path(str(a).split("::")[0]).parts for a in config.args)


def _preflight() -> None:
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        pytest.exit("vipchaos: the chaos suites need root (the harness makes a veth pair and "
                    "iptables rules on the host): run as root", returncode=EXIT_UNKNOWN)
    try:
        Engine()
    except HarnessError as exc:
        pytest.exit(f"vipchaos: {exc}", returncode=EXIT_UNKNOWN)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput"):
        return
    tests = list(_SESSION.get("tests", {}).values())
    if session.config.getoption("collectonly", False):
        return  # nothing was run: no gate
    if exitstatus == EXIT_USAGE or getattr(session.config, "_vipchaos_no_bundle", False):
        session.exitstatus = EXIT_USAGE
        return
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        stop = getattr(session, "shouldstop", "") or getattr(session, "shouldfail", "")
        collection = isinstance(stop, str) and "during collection" in stop
        session.exitstatus = EXIT_USAGE if collection else EXIT_INTERRUPTED
        return
    if exitstatus == pytest.ExitCode.USAGE_ERROR:
        session.exitstatus = EXIT_USAGE
        return
    collected_chaos = any(i.get_closest_marker("chaos") for i in session.items)
    if not tests and not collected_chaos:
        return  # no chaos test in this session (unit tests only): pytest's status stands
    statuses = session_statuses(tests)
    executed = sum(1 for s in statuses if s != "skipped")
    ok, why = gate(statuses, executed=executed)
    run_dir = session.config.stash[SETTINGS].run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(run_dir / "session.json", {
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"), "gate": ok, "why": why,
        "tests": [dict(t, status=s) for t, s in zip(tests, statuses, strict=True)]}, indent=1)
    session.config._vipchaos_gate = (ok, why)  # type: ignore[attr-defined]
    if not ok or "fail" in statuses:
        session.exitstatus = status_for(statuses)
    elif exitstatus == pytest.ExitCode.TESTS_FAILED:
        session.exitstatus = EXIT_VIOLATION  # a non-chaos test (unit, smoke) failed
    elif exitstatus != pytest.ExitCode.OK:
        session.exitstatus = EXIT_UNKNOWN
    else:
        session.exitstatus = EXIT_PASS


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    """After a chaos run: the per-test table, then summary.json, junit.xml and index.html."""
    if hasattr(config, "workerinput"):
        return
    run_dir = config.stash[SETTINGS].run_dir
    gate_info = getattr(config, "_vipchaos_gate", None)
    if gate_info is None:
        return
    out = write_all(run_dir)
    tr = terminalreporter
    tr.section("vipchaos summary")
    tr.write_line(summary_table(out["results"]))
    for line in failing(out["results"]):
        tr.write_line(f"violated: {line}", red=True)
    for line in remedy_lines(out["results"]):
        tr.write_line(line, yellow=True)
    for f in sorted(run_dir.glob("validation-*.json")):
        for w in json.loads(f.read_text())["warnings"]:
            tr.write_line(f"config warning: {w}", yellow=True)
    ok, why = gate_info
    tr.write_line(f"gate: {'PASS' if ok else 'FAIL'} ({why})", green=ok, red=not ok)
    tr.write_line(f"report: {out['html']}  junit: {out['junit']}  summary: {out['summary']}")
