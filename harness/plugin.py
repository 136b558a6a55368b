"""The pytest plugin: options, markers, fixtures, report header. Loaded by the root conftest.py.

Fixtures are thin wrappers over ``harness.cluster`` so a user can override any of them:
``vipchaos_settings`` -> ``docker_engine`` -> ``node_image`` -> ``pair`` (one per bundle,
session-scoped, reused) -> ``cluster`` (the pair, reset before each test) -> ``vip``.
"""

from __future__ import annotations

import contextlib
import signal

import pytest

from harness.settings import Settings


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("vipchaos", "vipchaos chaos harness")
    g.addoption("--vipchaos-config", action="append", default=None, metavar="BUNDLE",
                help="config bundle (name or directory) to test; repeatable "
                     "(default: seed and hardened; env VIPCHAOS_CONFIG=a,b)")
    g.addoption("--vipchaos-run-dir", default=None, metavar="DIR",
                help="where histories and reports go (default runs/<timestamp>)")
    g.addoption("--vipchaos-subnet", default=None, metavar="CIDR",
                help="move templated bundles to this lab subnet (e.g. 198.18.160.0/24)")
    g.addoption("--vipchaos-keep", action="store_true",
                help="leave the last cluster running at the end (debugging)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "chaos: injects faults into the real cluster")
    s = Settings.from_env(
        bundles=config.getoption("--vipchaos-config"),
        run_dir=config.getoption("--vipchaos-run-dir"),
        keep=config.getoption("--vipchaos-keep") or None,
        subnet=config.getoption("--vipchaos-subnet"),
    )
    config.stash[SETTINGS] = s
    # SIGTERM (CI cancelling the job) unwinds like Ctrl-C, so fixture teardown removes the pair.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))


SETTINGS = pytest.StashKey[Settings]()


def pytest_report_header(config: pytest.Config) -> list[str]:
    s = config.stash[SETTINGS]
    return [f"vipchaos: bundles={','.join(s.bundles)} run_dir={s.run_dir} keep={s.keep}"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that uses the cluster runs once per bundle under test."""
    if "bundle_name" in metafunc.fixturenames:
        bundles = metafunc.config.stash[SETTINGS].bundles
        marker = metafunc.definition.get_closest_marker("bundle")
        if marker:
            bundles = [b for b in bundles if b in marker.args] or list(marker.args)
        metafunc.parametrize("bundle_name", bundles, scope="session")


@pytest.fixture(scope="session")
def vipchaos_settings(pytestconfig: pytest.Config) -> Settings:
    return pytestconfig.stash[SETTINGS]


@pytest.fixture(scope="session")
def docker_engine():
    from harness.engine import Engine
    return Engine()


@pytest.fixture(scope="session")
def node_image(docker_engine, vipchaos_settings) -> str:
    from harness.images import ensure_node
    ref, _ = ensure_node(docker_engine, base=vipchaos_settings.base_image)
    return ref


@pytest.fixture(scope="session")
def bundle(bundle_name, vipchaos_settings):
    from harness.config import load_bundle, relocate
    b = load_bundle(bundle_name)
    return relocate(b, vipchaos_settings.subnet) if vipchaos_settings.subnet else b


@pytest.fixture(scope="session")
def validated_bundle(docker_engine, node_image, bundle, vipchaos_settings):
    """The bundle, validated before any pair starts; warnings are kept in the run dir."""
    import json

    from harness.validate import validate_or_raise
    rep = validate_or_raise(bundle, docker_engine, node_image, say=lambda m: None)
    vipchaos_settings.run_dir.mkdir(parents=True, exist_ok=True)
    (vipchaos_settings.run_dir / f"validation-{bundle.name}.json").write_text(
        json.dumps({"bundle": str(bundle.path), "warnings": rep.warnings}, indent=1))
    return bundle


@pytest.fixture(scope="session")
def pair(docker_engine, node_image, validated_bundle, vipchaos_settings):
    """The pair for one bundle, brought up once and reused by every test of that bundle."""
    from harness.cluster import Cluster
    cluster = Cluster(docker_engine, validated_bundle, node_image)
    cluster.up()
    cluster.fresh = True
    yield cluster
    if vipchaos_settings.keep:
        print(f"\nvipchaos: keeping run {cluster.run_id} (`vipchaos clean` removes it)")
    else:
        cluster.down()


@pytest.fixture
def cluster(pair):
    """The pair, reset (faults healed, replication running, one VIP owner) before the test."""
    if not getattr(pair, "fresh", False):
        pair.reset()
    pair.fresh = False
    return pair


@pytest.fixture
def vip(cluster):
    """Open PyMySQL connections through the VIP: ``with vip() as conn: ...``; closed after."""
    opened = []

    def open_conn(timeout: float = 3):
        conn = cluster.connect_vip(timeout=timeout)
        opened.append(conn)
        return conn

    yield open_conn
    for conn in opened:
        with contextlib.suppress(Exception):
            conn.close()


@pytest.fixture
def chaos(cluster, bundle_name, vipchaos_settings, request):
    """Run one fault against the pair: ``chaos("kill-mysqld", target="owner")``.

    Workload on, fault injected and verified, held long enough for a failover under this
    bundle's timing, healed, converged, checked; history and result saved under the run dir.
    Returns the ``Result``; pass it to ``harness.expect.assert_result``.
    """
    from harness.faults import fault_class
    from harness.scenario import Scenario, Step, run_scenario

    def run(fault: str, target: str = "owner", hold: float | None = None,
            expected: dict[str, str] | None = None, **params):
        expected = expected or {}
        if expected:
            from harness.expect import InvariantViolated
            reason = "; ".join(f"{k}: {v}" for k, v in expected.items())
            request.applymarker(pytest.mark.xfail(strict=True, raises=InvariantViolated,
                                                  reason=reason))
        cls = fault_class(fault)
        if hold is None:
            hold = cluster.bundle.migration_bound_s() + 1 if cls.removes_service else 10.0
        scenario = Scenario(
            name=f"{fault}-{target}",
            steps=[Step(0, fault, target, hold, params, heal_once_moved=cls.removes_service)],
            expected_violations=set(expected),
        )
        out = vipchaos_settings.run_dir / f"{bundle_name}-{scenario.name}"
        result = run_scenario(cluster, scenario, out)
        request.node.stash[RESULT] = result
        return result

    return run


RESULT = pytest.StashKey[object]()


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    """After a chaos run: the per-test table, then summary.json, junit.xml and index.html."""
    run_dir = config.stash[SETTINGS].run_dir
    if not run_dir.is_dir() or not any(run_dir.glob("*/result.json")):
        return
    from harness.report import failing, summary_table, write_all
    out = write_all(run_dir)
    tr = terminalreporter
    tr.section("vipchaos summary")
    tr.write_line(summary_table(out["results"]))
    bad = failing(out["results"])
    for line in bad:
        tr.write_line(f"violated: {line}", red=True)
    import json
    for f in sorted(run_dir.glob("validation-*.json")):
        for w in json.loads(f.read_text())["warnings"]:
            tr.write_line(f"config warning: {w}", yellow=True)
    tr.write_line(f"report: {out['html']}  junit: {out['junit']}  summary: {out['summary']}")
