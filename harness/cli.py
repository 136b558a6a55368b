"""vipchaos: chaos tests for a MySQL GTID dual-master pair behind a keepalived VIP, on real
containers. Test your own config bundle (`run`, `validate`), drive a pair by hand (`up`,
`status`, `watch`, `fault`, `heal`, `action`, `sql`, `exec`, `logs`, `down`), judge and report
runs (`check`, `report`), replay incidents (`replay`). `vipchaos COMMAND -h` explains each."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import sys
import textwrap
import time
import traceback
from pathlib import Path
from typing import Any

import pytest

from harness import __version__
from harness.errors import ConfigError, DockerUnavailable, HarnessError
from harness.plugin import EXIT_INTERRUPTED, EXIT_PASS, EXIT_UNKNOWN, EXIT_USAGE, EXIT_VIOLATION

STATE_FILE = Path(".vipchaos-up.json")
SUITES_DIR = Path(__file__).resolve().parent.parent / "suites"
#: bundle-independent suites, only on request
SELF_TESTS = ("test_bad_input.py", "test_lab_seal.py")
INCIDENT_SUITE = "test_incidents.py"
MEANING = {EXIT_PASS: "pass", EXIT_VIOLATION: "violation", EXIT_UNKNOWN: "unknown",
           EXIT_USAGE: "usage", EXIT_INTERRUPTED: "interrupted"}

EXIT_HELP = f"""\
exit status (the same as the pytest plugin's):
  {EXIT_PASS}    every invariant held (or an accepted risk happened as declared)
  {EXIT_VIOLATION}    an invariant was violated (or an accepted risk no longer happens)
  {EXIT_UNKNOWN}    unknown or harness failure: something not observed, a crash, Docker
       unreachable, a fault that could not be verified, nothing executed
  {EXIT_USAGE}    usage or configuration error: bad option, invalid bundle or incident file,
       missing run directory, no pair from `vipchaos up`
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C, SIGTERM); the pair is removed
  (`vipchaos exec` exits with the command's own status)"""

ENV_HELP = """\
environment (an option on the command line wins):
  VIPCHAOS_CONFIG      bundle(s) for run, list, validate, up when no --config/--seed
                       (names or directories, comma-separated)
  VIPCHAOS_RUN_DIR     run: where histories and reports go (default runs/<timestamp>-<pid>)
  VIPCHAOS_SUBNET      run, up: lab subnet for the pairs (default: the bundle's, else a free
                       /24 of 198.18.0.0/15)
  VIPCHAOS_FAULTS      run, list: only these faults, comma-separated (as --faults)
  VIPCHAOS_KEEP        run: 1 leaves the pairs running at the end (as --keep)
  VIPCHAOS_BASE_IMAGE  the base image the node image is built from (debian:sid-slim)
  DOCKER_HOST          the Docker engine (default: the local socket)"""

WORKFLOW_HELP = """\
test your config:   vipchaos validate --config DIR   then   vipchaos run --config DIR
by hand:            vipchaos up --config DIR; vipchaos watch (2nd terminal);
                    vipchaos fault kill-mysqld; vipchaos heal; vipchaos down; vipchaos check
                    runs/up-<run>
reference:          docs/cli.md"""


class Parser(argparse.ArgumentParser):
    """argparse with usage errors exiting 3 (EXIT_USAGE), not argparse's 2 (EXIT_UNKNOWN)."""

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _env(name: str) -> str | None:
    """One of harness.settings.ENV_VARS, as the plugin's Settings reads it."""
    return os.environ.get(name) or None


def _engine():
    from harness.engine import Engine
    return Engine()


def _need_root(command: str) -> None:
    """Pairs need root: the lab's host link (a veth pair) and its iptables rules."""
    if os.geteuid() != 0:
        raise ConfigError(f"{command} needs root: it makes the lab's host link (a veth pair) "
                          "and iptables rules on this host; run it as root (sudo -E ...)")


def _image(engine) -> str:
    from harness.images import ensure_node
    from harness.settings import Settings
    ref, _ = ensure_node(engine, base=Settings.from_env().base_image, log=_say)
    return ref


# --- bundles ----------------------------------------------------------------------------------
def chosen_bundles(config: list[str] | None, seed: bool, command: str,
                   required: bool = True) -> list[str]:
    """The bundles a command runs against: --config (repeatable, comma-separated), --seed, else
    VIPCHAOS_CONFIG; none is a usage error naming the choices."""
    refs: list[str] = []
    for c in config or []:
        refs += [x.strip() for x in c.split(",") if x.strip()]
    if seed and "seed" not in refs:
        refs.insert(0, "seed")
    if not refs and _env("VIPCHAOS_CONFIG"):
        refs = [x.strip() for x in _env("VIPCHAOS_CONFIG").split(",") if x.strip()]
    if not refs and required:
        from harness.bundle import bundle_names
        raise ConfigError(
            "which config? Give --config DIR (your bundle: a directory with "
            "topology.toml and the keepalived.conf files; `vipchaos import` makes one from "
            "production files) or --seed for the shipped tutorial config. Shipped bundles "
            f"(--config NAME): {', '.join(bundle_names())}. VIPCHAOS_CONFIG=DIR works too.")
    return refs


def bundle_arg(ref: str) -> str:
    """How a bundle is handed to pytest: a directory as an absolute path, a shipped name as
    it is (so the run works from any working directory)."""
    p = Path(ref)
    return str(p.resolve()) if p.is_dir() else ref


def _add_config(s: argparse.ArgumentParser, what: str) -> None:
    s.add_argument("--config", action="append", metavar="BUNDLE",
                   help=f"{what}: a bundle directory (or a shipped bundle's name); repeatable "
                        "or comma-separated (env VIPCHAOS_CONFIG)")
    s.add_argument("--seed", action="store_true",
                   help="the shipped seed bundle (the tutorial's config), named explicitly")


# --- run / list -------------------------------------------------------------------------------
def default_workers(cpus: int | None = None, mem_gib: float | None = None) -> int:
    """Like the Makefile: cores + 1 (the work is mostly waiting on VRRP timers), at most one
    worker per 3 GiB of memory (a pair takes ~1 GiB)."""
    cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    if mem_gib is None:
        mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return max(1, min(cpus + 1, int(mem_gib // 3)))


def pytest_argv(*, bundles: list[str], suites: Path = SUITES_DIR, self_tests: bool = False,
                incidents: bool = False, faults: list[str] | None = None,
                marker: str | None = None, keyword: str | None = None,
                exitfirst: bool = False, workers: int = 1, repeat: int = 1,
                run_dir: str | None = None, junitxml: str | None = None,
                subnet: str | None = None, keep: bool = False, collect_only: bool = False,
                extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The pytest command line of ``vipchaos run`` (and, with ``collect_only``, of
    ``vipchaos list``): the chaos suites against ``bundles``; the self-tests and incident
    replays only when asked; ``extra`` (after ``--``) appended unchanged."""
    argv = [str(suites)]
    skipped = [*(() if self_tests else SELF_TESTS), *(() if incidents else (INCIDENT_SUITE,))]
    for name in skipped:
        argv += ["--ignore", str(suites / name)]
    for b in bundles:
        argv += ["--vipchaos-config", b]
    if faults:
        argv += ["--vipchaos-faults", ",".join(faults)]
    if marker:
        argv += ["-m", marker]
    if keyword:
        argv += ["-k", keyword]
    if exitfirst:
        argv.append("-x")
    if repeat != 1:
        argv += ["--vipchaos-repeat", str(repeat)]
    if run_dir:
        argv += ["--vipchaos-run-dir", run_dir]
    if junitxml:
        argv += ["--junitxml", junitxml]
    if subnet:
        argv += ["--vipchaos-subnet", subnet]
    if keep:
        argv.append("--vipchaos-keep")
    argv += ["-p", "no:cacheprovider"]
    if collect_only:
        argv += ["--collect-only", "-q"]
    elif workers > 1:
        argv += ["-n", str(workers), "--dist", "load"]
    return argv + list(extra)


def _faults(text: str | None) -> list[str] | None:
    from harness.faults import fault_class
    if not text:
        return None
    names = [f.strip() for f in text.split(",") if f.strip()]
    for n in names:
        fault_class(n)  # unknown: ConfigError with the catalogue
    return names


def _selection(args, bundles: list[str], *, collect_only: bool, run_dir: str | None,
               extra: list[str]) -> list[str]:
    faults = _faults(args.faults if args.faults is not None else _env("VIPCHAOS_FAULTS"))
    if args.repeat < 1:
        raise ConfigError(f"--repeat {args.repeat}: give 1 or more")
    return pytest_argv(
        bundles=[bundle_arg(b) for b in bundles], self_tests=args.self_tests,
        incidents=args.incidents, faults=faults, marker=args.m, keyword=args.k,
        exitfirst=args.x, workers=getattr(args, "workers", None) or 1, repeat=args.repeat,
        run_dir=run_dir, junitxml=getattr(args, "junitxml", None),
        subnet=getattr(args, "subnet", None), keep=getattr(args, "keep", False),
        collect_only=collect_only, extra=extra)


class SessionWatch:
    """A pytest plugin object telling the CLI what pytest's exit status cannot: whether the
    session was interrupted, crashed inside pytest, or failed to collect."""

    def __init__(self, collect_only: bool = False) -> None:
        self.collect_only = collect_only
        self.interrupted = self.internal = False
        self.collect_errors = 0
        self.collected = 0

    def pytest_keyboard_interrupt(self, excinfo) -> None:
        self.interrupted = True

    def pytest_internalerror(self, excrepr, excinfo) -> None:
        self.internal = True

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.collect_errors += 1

    def pytest_collection_finish(self, session) -> None:
        self.collected = len(session.items)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session) -> None:
        # `list` is --collect-only: no chaos test executes by design, so the plugin's gate
        # ("no chaos test executed") and its report are not the listing's business.
        if self.collect_only and hasattr(session.config, "_vipchaos_gate"):
            del session.config._vipchaos_gate


def exit_status(rc: int, watch: SessionWatch) -> int:
    """pytest's (or the plugin's) status as one of ours."""
    if watch.interrupted:
        return EXIT_INTERRUPTED
    if watch.internal:
        return EXIT_UNKNOWN
    if rc == 4:  # pytest's usage error (an option after `--`, a path that does not exist)
        return EXIT_USAGE
    if rc == 5:  # nothing collected: nothing executed
        return EXIT_UNKNOWN
    if rc == EXIT_INTERRUPTED and watch.collect_errors:  # pytest stops on collection errors
        return EXIT_UNKNOWN
    return int(rc)


def _pytest(argv: list[str], watch: SessionWatch, to_stderr: bool = False) -> int:
    import contextlib

    import pytest
    _say("pytest " + shlex.join(argv))
    with contextlib.redirect_stdout(sys.stderr) if to_stderr else contextlib.nullcontext():
        rc = pytest.main(argv, plugins=[watch])
    return exit_status(int(rc), watch)


def _default_run_dir() -> str:
    return _env("VIPCHAOS_RUN_DIR") or str(
        Path("runs") / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")


def _check_suites() -> None:
    if not SUITES_DIR.is_dir():
        raise ConfigError(f"the chaos suites are not here ({SUITES_DIR}): run vipchaos from a "
                          "checkout of its repository (pip install -e .)")


def cmd_run(args, extra: list[str]) -> int:
    """The chaos suites against your bundle(s); the pytest session's exit status."""
    from harness.bundle import load_bundle
    from harness.validate import validate_or_raise
    _check_suites()
    bundles = chosen_bundles(args.config, args.seed, "vipchaos run")
    loaded = [load_bundle(b) for b in bundles]  # static checks first: seconds, no Docker
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers {args.workers}: give 1 or more")
    args.workers = args.workers or default_workers()
    args.subnet = args.subnet or _env("VIPCHAOS_SUBNET")
    args.keep = args.keep or (_env("VIPCHAOS_KEEP") or "") in ("1", "true", "yes")
    run_dir = args.run_dir or _default_run_dir()
    argv = _selection(args, bundles, collect_only=False, run_dir=run_dir, extra=extra)
    _need_root("vipchaos run")
    engine = _engine()
    image = _image(engine)
    for b in loaded:
        validate_or_raise(b, engine, image, say=_say)
    watch = SessionWatch()
    rc = _pytest(argv, watch, to_stderr=args.json)
    if args.json:
        print(json.dumps(run_summary(Path(run_dir), rc), indent=1, default=str))
    else:
        _say(f"vipchaos run: exit {rc} ({MEANING.get(rc, 'pytest status')}); run directory "
             f"{run_dir}")
    return rc


def run_summary(run_dir: Path, rc: int) -> dict[str, Any]:
    """The JSON of ``vipchaos run --json``: exit status, the gate and every test's result."""
    out: dict[str, Any] = {"exit_status": rc, "meaning": MEANING.get(rc, "pytest status"),
                           "run_dir": str(run_dir), "gate": None, "why": None, "results": []}
    session, summary = run_dir / "session.json", run_dir / "summary.json"
    if session.is_file():
        s = json.loads(session.read_text())
        out.update(gate=s.get("gate"), why=s.get("why"))
    if summary.is_file():
        s = json.loads(summary.read_text())
        out.update(outcomes=s.get("outcomes"), results=s.get("results", []))
    return out


def cmd_list(args, extra: list[str]) -> int:
    """What `vipchaos run` would run with the same selection (pytest --collect-only -q)."""
    import tempfile

    from harness.bundle import load_bundle
    _check_suites()
    bundles = chosen_bundles(args.config, args.seed, "vipchaos list", required=False)
    if not bundles:
        bundles = ["seed"]
        _say("(no --config: listing as for the shipped seed; `vipchaos run` needs --config "
             "or --seed)")
    for b in bundles:
        load_bundle(b)
    with tempfile.TemporaryDirectory(prefix="vipchaos-list-") as tmp:
        argv = _selection(args, bundles, collect_only=True, run_dir=str(Path(tmp) / "run"),
                          extra=extra)
        watch = SessionWatch(collect_only=True)
        rc = _pytest(argv, watch)
    if rc in (EXIT_USAGE, EXIT_INTERRUPTED):
        return rc
    if watch.collect_errors or watch.internal:
        return EXIT_UNKNOWN
    if not watch.collected:
        _say("vipchaos list: nothing selected (check --faults, -m, -k)")
        return EXIT_UNKNOWN
    _say(f"{watch.collected} test(s) would run")
    return EXIT_PASS


# --- judging stored runs ----------------------------------------------------------------------
def run_path(text: str) -> Path:
    """A run or test directory as given; ``latest`` means runs/latest. Missing: usage error."""
    p = Path(text)
    if not p.exists() and not p.is_symlink() and text in ("latest", "last"):
        p = Path("runs") / "latest"
    if p.is_symlink() and not p.exists():
        raise ConfigError(f"{text} points to {os.readlink(p)}, which no longer exists")
    if not p.exists():
        raise ConfigError(f"{text}: no such directory (runs are under runs/; runs/latest is "
                          "the newest)")
    return p


def histories_in(path: Path) -> list[Path]:
    """The histories ``check`` judges: the file, the directory's, or each test directory's."""
    if path.is_file():
        return [path]
    if (path / "history.jsonl").is_file():
        return [path / "history.jsonl"]
    found = sorted(path.glob("*/history.jsonl"))
    if not found:
        raise ConfigError(f"{path}: no history.jsonl here or in its test directories (give a "
                          "run directory such as runs/latest, a test directory inside it, or "
                          "runs/up-<run> of a `vipchaos up` pair)")
    return found


def _judged(path: Path):
    """The result of one stored history; one that cannot be read is *unknown*, naming
    file:line (the others are judged all the same)."""
    from harness.files import RunFileError
    from harness.history import load
    from harness.judge import Judgement
    from harness.results import Result, result_of
    try:
        events = load(path)
        if not events:
            raise RunFileError(f"{path}: empty history")
    except RunFileError as exc:
        return Result(path.parent.name, "?", [], Judgement("unknown", [f"unknown: {exc}"]), [],
                      path.parent)
    return result_of(events, path.parent)


def cmd_check(args) -> int:
    """Judge stored histories again, from history.jsonl alone."""
    from harness.judge import gate
    paths = histories_in(run_path(args.dir))
    results = [(p, _judged(p)) for p in paths]
    statuses = [r.outcome for _, r in results]
    ok, why = gate(statuses)
    rc = EXIT_PASS if ok else EXIT_VIOLATION if "fail" in statuses else EXIT_UNKNOWN
    if len(results) == 1:
        rc = {"pass": EXIT_PASS, "accepted": EXIT_PASS, "fail": EXIT_VIOLATION}.get(
            statuses[0], EXIT_UNKNOWN)
    if args.json:
        dicts = [dict(r.to_dict(), history=str(p)) for p, r in results]
        print(json.dumps(dicts[0] if len(dicts) == 1 else
                         {"results": dicts, "gate": ok, "why": why, "exit_status": rc},
                         indent=1, default=str))
        return rc
    from harness.live import verdict_lines
    for p, r in results:
        if len(results) > 1:
            print(f"{p.parent.name}: {r.outcome}")
            for why_ in r.judgement.reasons if r.outcome != "pass" else []:
                print(f"  - {why_}")
        else:
            print("\n".join(verdict_lines(r)))
    if len(results) > 1:
        print(f"gate: {'PASS' if ok else 'FAIL'} ({why})")
    return rc


def cmd_report(args) -> int:
    from harness.report import failing, gate, load_results, summary_table, write_all
    path = run_path(args.dir)
    if not load_results(path):
        hint = (" (this is one test's directory: `vipchaos check` judges it; `vipchaos report` "
                "takes the run directory above it)") if (path / "history.jsonl").is_file() \
            else ""
        raise ConfigError(f"{args.dir}: no results here (no session.json, no */result.json)"
                          f"{hint}; give a run directory such as runs/latest")
    out = write_all(path)
    print(summary_table(out["results"]))
    for line in failing(out["results"]):
        print(f"violated: {line}")
    print(f"report: {out['html']}\njunit: {out['junit']}\nsummary: {out['summary']}")
    if gate(out["results"]):
        return EXIT_PASS
    outcomes = [r.get("outcome") for r in out["results"]]
    return EXIT_VIOLATION if "fail" in outcomes else EXIT_UNKNOWN


# --- bundles, images, replay, import, bench ---------------------------------------------------
def cmd_images(args) -> int:
    from harness.images import ensure_node
    ref, secs = ensure_node(_engine(), base=args.base or _env("VIPCHAOS_BASE_IMAGE")
                            or "debian:sid-slim", log=_say)
    print(f"node image {ref} ready ({secs:.1f} s)")
    return EXIT_PASS


def cmd_validate(args) -> int:
    from harness.bundle import load_bundle
    from harness.validate import validate
    refs = chosen_bundles(args.config, args.seed, "vipchaos validate")
    engine = image = None
    reports = []
    for ref in refs:
        entry: dict[str, Any] = {"bundle": ref, "path": None, "valid": False, "errors": [],
                                 "warnings": []}
        try:
            bundle = load_bundle(ref)
            entry["path"] = str(bundle.path)
            if engine is None:
                engine = _engine()
                image = _image(engine)
            rep = validate(bundle, engine, image)
            entry.update(valid=not rep.errors, errors=list(rep.errors),
                         warnings=[str(w) for w in rep.warnings])
        except ConfigError as exc:
            entry["errors"] = [str(exc)]
        reports.append(entry)
    if args.json:
        print(json.dumps(reports[0] if len(reports) == 1 else reports, indent=1))
    else:
        for r in reports:
            for w in r["warnings"]:
                print(f"warning: {w}")
            for e in r["errors"]:
                print(f"error: {e}")
            print(f"{r['bundle']}: {'valid' if r['valid'] else 'NOT valid'}"
                  + (f" ({len(r['warnings'])} warning(s))" if r["warnings"] else ""))
    return EXIT_PASS if all(r["valid"] for r in reports) else EXIT_USAGE


def cmd_explore(args) -> int:
    """Seeded exploration on one pair: draw episodes until the time is up, write violating
    ones as incident files, replay them (harness.explore)."""
    import random

    from harness.api import bring_up
    from harness.bundle import load_bundle
    from harness.explore import explore
    from harness.incident import parse_duration
    from harness.validate import validate_or_raise
    refs = chosen_bundles(args.config, False, "vipchaos explore")
    if len(refs) != 1:
        raise ConfigError(f"vipchaos explore explores one bundle at a time, not {refs}")
    try:
        duration = parse_duration(args.duration)
    except ValueError as exc:
        raise ConfigError(f"--duration: {exc}") from exc
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10**6)
    faults = _faults(args.faults)
    ref = bundle_arg(refs[0])
    bundle = load_bundle(ref)
    _need_root("vipchaos explore")
    engine = _engine()
    image = _image(engine)
    validate_or_raise(bundle, engine, image, say=_say)
    run_dir = Path(args.run_dir or f"runs/explore-{time.strftime('%Y%m%d-%H%M%S')}-"
                                   f"{os.getpid()}")
    command = (f"vipchaos explore --seed {seed} --duration {args.duration} --config {refs[0]}"
               + (f" --faults {args.faults}" if args.faults else ""))
    _say(f"{command}  (results: {run_dir})")
    progress = logging.StreamHandler(sys.stderr)
    progress.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logging.getLogger("vipchaos.explore").addHandler(progress)
    logging.getLogger("vipchaos.explore").setLevel(logging.INFO)
    pair = bring_up(engine, image, bundle, subnet=args.subnet or _env("VIPCHAOS_SUBNET"),
                       out_dir=run_dir / "bring-up")
    try:
        if pair.setup_error:
            raise HarnessError(pair.setup_error)
        ex = explore(pair, seed=seed, duration_s=duration, run_dir=run_dir, bundle_ref=ref,
                     faults=faults, replay=not args.no_replay, command=command)
    finally:
        pair.down()
    from harness import report
    html = report.write_all(run_dir)["html"]
    print(ex.summary())
    print(f"report: {html}\nexplore.json: {run_dir / 'explore.json'}")
    counts = ex.counts()
    if counts.get("violation"):
        return EXIT_VIOLATION
    if counts.get("unknown") or counts.get("error") or not counts.get("ok"):
        return EXIT_UNKNOWN
    return EXIT_PASS


def cmd_replay(args) -> int:
    from harness.replay import describe, replay
    rep = replay(args.file, Path(args.run_dir) if args.run_dir else None)
    print(describe(rep))
    if rep.ok:
        return EXIT_PASS
    return EXIT_VIOLATION if rep.result.outcome == "fail" else EXIT_UNKNOWN


def cmd_import(args) -> int:
    """A bundle from a production pair's files, copied as they are, with a proposed lab map."""
    from harness.importer import NodeInput, import_pair
    for f in [*args.confs, *args.scripts_node1, *args.scripts_node2,
              *(x for x in (args.mycnf_node1, args.mycnf_node2, args.accounts) if x)]:
        if not Path(f).is_file():
            raise ConfigError(f"{f}: no such file")
    nodes = [NodeInput("node1", Path(args.confs[0]), [Path(f) for f in args.scripts_node1],
                       Path(args.mycnf_node1) if args.mycnf_node1 else None),
             NodeInput("node2", Path(args.confs[1]), [Path(f) for f in args.scripts_node2],
                       Path(args.mycnf_node2) if args.mycnf_node2 else None)]
    res = import_pair(nodes, Path(args.out), Path(args.accounts) if args.accounts else None)
    print(res.describe())
    return EXIT_PASS


def cmd_bench(args) -> int:
    """Bring-up/reset times, or failover distributions (run them, or aggregate run dirs)."""
    from harness.bench import bench_bringup, bench_failover, failover_stats
    if args.what == "failover":
        if args.run_dirs:
            print(failover_stats([run_path(d) for d in args.run_dirs]))
            return EXIT_PASS
        if not args.fault:
            raise ConfigError("vipchaos bench failover: give --fault F (and --runs N, "
                              "--config B ...) to measure, or run directories to aggregate")
        _faults(args.fault)
        run_dir = Path(args.run_dir or f"runs/bench-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
        print(bench_failover(args.config or ["seed", "hardened"], args.fault, args.target,
                             args.runs, run_dir))
        print(f"report: {run_dir / 'index.html'}")
        return EXIT_PASS
    bench_bringup((args.config or ["seed"])[0], args.runs)
    return EXIT_PASS


def cmd_clean(args) -> int:
    """Remove what dead runs left (their owning process is gone); ``--all``: everything of
    ours, live runs and ``vipchaos up`` pairs included. Says what it removes first."""
    from harness import ownership, reaper
    try:
        engine = _engine()
    except DockerUnavailable as exc:
        engine = None
        if not args.quiet:
            _say(f"(docker: {exc}; cleaning host links and chains only)")
    found = reaper.inventory(engine, everything=args.all)
    victims = found if args.all else ownership.dead(found)
    kept = len(found) - len(victims)
    if victims:
        verb = "would remove" if args.dry_run else "removing"
        print(f"{verb} {len(victims)} resource(s) of "
              f"{'every run' if args.all else 'dead runs'}:")
        for r in victims:
            print(f"  {r}")
    elif not args.quiet:
        print("nothing to clean")
    if kept and not args.quiet:
        print(f"keeping {kept} resource(s) of live runs and `vipchaos up` pairs "
              "(`vipchaos clean --all` removes them too)")
    if args.dry_run or not victims:
        return EXIT_PASS
    removed = reaper.remove(engine, victims, say=_say)
    if args.all:
        STATE_FILE.unlink(missing_ok=True)
    print(f"removed {len(removed)} of {len(victims)}")
    return EXIT_PASS if len(removed) == len(victims) else EXIT_UNKNOWN


# --- a pair by hand ---------------------------------------------------------------------------
def _up_run_id() -> str | None:
    from harness.live import read_state
    try:
        state = read_state(STATE_FILE)
    except ConfigError:
        return None
    return state.run_id if state else None


def _state():
    from harness.live import _must
    return _must(STATE_FILE)


def cmd_up(args) -> int:
    """Bring a pair up and hand it to the user (owner ``manual:<run>``): no dead-owner reaper
    removes it, only ``vipchaos down`` or ``vipchaos clean --all``."""
    from harness import live, reaper
    from harness.api import bring_up
    from harness.bundle import load_bundle, relocate
    from harness.pair import new_run_id
    from harness.validate import validate_or_raise
    refs = chosen_bundles(args.config, args.seed, "vipchaos up")
    if len(refs) != 1:
        raise ConfigError(f"vipchaos up brings one pair up: give one bundle, not {refs}")
    bundle = load_bundle(refs[0])
    subnet = args.subnet or _env("VIPCHAOS_SUBNET")
    if subnet:
        bundle = relocate(bundle, subnet)
    _need_root("vipchaos up")
    engine = _engine()
    previous = _up_run_id()
    if previous and any(r.run_id == previous for r in reaper.inventory(engine)):
        raise ConfigError(f"a pair from `vipchaos up` (run {previous}) is still up here "
                          f"({STATE_FILE}): `vipchaos down` removes it first")
    image = _image(engine)
    if not args.no_validate:
        validate_or_raise(bundle, engine, image, say=_say)
    run_id = new_run_id()
    run_dir = Path("runs") / f"up-{run_id}"
    # Written first: `vipchaos down` finds the run even if this process dies mid-way.
    live.write_state(STATE_FILE, live.UpState(run_id=run_id, bundle=refs[0]))
    try:
        pair = bring_up(engine, image, bundle, run_id=run_id, manual=True,
                           out_dir=run_dir / "bring-up")
        state = live.new_state(pair, bundle_ref=refs[0], image=image, run_dir=run_dir)
        live.start_history(state, pair)
        live.write_state(STATE_FILE, state)
    except BaseException:
        reaper.reap_run(engine, run_id)
        STATE_FILE.unlink(missing_ok=True)
        raise
    if pair.setup_error:
        _say(f"warning: {pair.setup_error}")
    br = pair.bringup_result
    print(f"bring-up: {br.outcome}: " + "; ".join(br.judgement.reasons or ["as intended"]))
    print(f"up in {pair.timings['bringup_s']} s: run {run_id} on {state.subnet}, VIP "
          f"{state.vip} on {pair.vip_owners()}")
    print(f"connect: mysql -h {state.vip} -P 3306 -u vipchaos -pvipchaos (the bundle's own "
          "accounts: `vipchaos status`)")
    print(f"history: {state.history}")
    print("next: `vipchaos watch` in a second terminal (records what happens), then "
          "`vipchaos fault NAME`, `vipchaos heal`, `vipchaos status`; `vipchaos down` ends "
          f"it; `vipchaos check {run_dir}` judges it")
    return EXIT_PASS


def cmd_down(args) -> int:
    """Record the session's final state, judge it, remove the pair `vipchaos up` made."""
    from harness import live, reaper
    state = live.read_state(STATE_FILE)
    run_id = args.run or (state.run_id if state else None)
    if not run_id:
        raise ConfigError(f"no pair from `vipchaos up` here (no {STATE_FILE}); `vipchaos "
                          "status --all` lists pairs and `vipchaos down --run RUN_ID` removes "
                          "one")
    engine = _engine()
    result = None
    ours = state is not None and state.run_id == run_id
    if ours and not args.no_final and state.recorded:
        try:
            result = live.end_session(STATE_FILE, engine, _say)
        except KeyboardInterrupt:
            _say("interrupted: removing the pair without a final state")
        except Exception as exc:  # the pair must go whatever happened to it
            _say(f"could not record the final state ({exc}); removing the pair anyway")
    removed = reaper.reap_run(engine, run_id, say=_say)
    if ours:
        STATE_FILE.unlink(missing_ok=True)
    if removed or not args.quiet:
        print(f"run {run_id}: removed {', '.join(removed)}" if removed
              else f"run {run_id}: nothing left to remove")
    if result is not None:
        print(f"session {state.run_dir}:")
        print("\n".join(live.verdict_lines(result)))
        print(f"`vipchaos check {state.run_dir}` judges it again")
    return EXIT_PASS


def cmd_status(args) -> int:
    from harness import live
    state = None if args.all else live.read_state(STATE_FILE)
    if state is None or not state.recorded:
        containers, networks = _engine().managed()
        if args.json:
            print(json.dumps({"pair": None, "containers": [
                {"name": c.name, "status": c.status, "run": c.labels.get("vipchaos.run"),
                 "bundle": c.labels.get("vipchaos.bundle")} for c in containers],
                "networks": [n.name for n in networks]}, indent=1))
            return EXIT_PASS
        if not args.all:
            print(f"no pair from `vipchaos up` here (no {STATE_FILE}"
                  + (", or made by an older version" if state else "") + "); every pair:")
        for c in containers:
            print(f"  {c.name:32} {c.status:10} {c.labels.get('vipchaos.bundle', '')}")
        for n in networks:
            print(f"  {n.name:32} network")
        if not containers and not networks:
            print("  no vipchaos containers or networks")
        return EXIT_PASS
    info = live.pair_status(state, live.pair_for(state, _engine()))
    if args.json:
        print(json.dumps(info, indent=1, default=str))
        return EXIT_PASS
    print(format_status(info))
    return EXIT_PASS


def format_status(info: dict[str, Any]) -> str:
    c = info["connect"]
    lines = [f"run {info['run_id']} ({info['bundle']}) on {info['subnet']}; VIP {info['vip']} "
             f"on {', '.join(info['vip_owners']) or 'no node'}; t={info['t']:.1f}s",
             f"connect: mysql -h {c['host']} -P {c['port']} -u {c['user']} -p{c['password']} "
             f"{c['database']}"]
    rows = [["node", "ip", "container", "vrrp", "vip", "keepalived", "mysqld", "replication"]]
    for name, n in info["nodes"].items():
        if n["replication"] is None:
            repl = "?"
        elif not n["replication"]:
            repl = "no channel"
        else:
            ch = n["replication"][0]
            repl = f"IO {'yes' if ch['io'] else 'NO'} SQL {'yes' if ch['sql'] else 'NO'}"
            err = ch["sql_error"] or ch["io_error"]
            if err:
                repl += f" ({err[:50]})"
        vip = {True: "HOLDS", False: "-", None: f"? {n['vip_why'][:20]}"}[n["holds_vip"]]
        ka = n["keepalived_processes"]
        mysqld = (n["mysqld_process"] or "?") + ("" if n["mysqld_answers"] else
                                                 ", not answering")
        rows.append([name, n["ip"], n["state"], n["vrrp"] or "?", vip,
                     "?" if ka is None else "running" if ka else "stopped", mysqld, repl])
    lines.append(format_table(rows[0], rows[1:]))
    if info["accounts"]:
        lines.append("bundle accounts: " + ", ".join(
            f"{a['user']}@{a['host']}" + (f" ({a['password']})" if a["password"] else "")
            for a in info["accounts"]))
    faults = info["active_faults"]
    lines.append("active faults: " + (", ".join(f"{f['fault']} on {f['node']} (since "
                                                f"t={f['t']:.1f}s)" for f in faults)
                                      if faults else "none"))
    watched = f"by pid {info['watched_by']}" if info["watched_by"] else \
        "no (`vipchaos watch` records what happens)"
    lines.append(f"watched: {watched}; history {info['history']}")
    return "\n".join(lines)


def format_table(columns: list[str], rows: list[list[Any]]) -> str:
    """Rows under their column names, aligned; NULL for None."""
    def cell(v: Any) -> str:
        if v is None:
            return "NULL"
        if isinstance(v, bytes | bytearray):
            v = bytes(v).decode(errors="replace")
        return str(v).replace("\n", "\\n")
    body = [[cell(v) for v in r] for r in rows]
    widths = [max([len(str(c)), *(len(r[i]) for r in body)]) for i, c in enumerate(columns)]
    out = ["  ".join(str(c).ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    out += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in body]
    return "\n".join(out)


def cmd_watch(args) -> int:
    from harness import live
    _state()  # no pair here: say so before reaching Docker
    if args.rate < 0:
        raise ConfigError(f"--rate {args.rate}: give 0 (no writes) or more")
    done = live.watch(STATE_FILE, _engine(), lambda m: print(m, flush=True), rate=args.rate,
                      mode=args.mode)
    return done.status


def cmd_fault(args) -> int:
    from harness import live
    _state()  # no pair here: say so before reaching Docker
    done = live.inject(STATE_FILE, _engine(), args.name, args.target,
                       live.parse_params(args.param), hold=getattr(args, "for"))
    print("\n".join(done.lines))
    return done.status


def cmd_heal(args) -> int:
    from harness import live
    _state()  # no pair here: say so before reaching Docker
    done = live.heal(STATE_FILE, _engine(), args.name, args.target)
    print("\n".join(done.lines))
    return done.status


def cmd_action(args) -> int:
    from harness import live
    _state()  # no pair here: say so before reaching Docker
    done = live.act(STATE_FILE, _engine(), args.name, args.target, live.parse_params(args.param))
    print("\n".join(done.lines))
    return done.status


def cmd_faults(args) -> int:
    print(catalogue())
    return EXIT_PASS


def catalogue() -> str:
    from harness.actions import ACTIONS
    from harness.faults import CATALOGUE
    lines = ["faults (vipchaos fault NAME; run --faults NAME,...):"]
    for name, cls in CATALOGUE.items():
        text = ("[VIP must move] " if cls.removes_service else "") + cls.description
        lines.append(textwrap.fill(text, 92, initial_indent=f"  {name:18} ",
                                   subsequent_indent=" " * 21))
    lines.append("operator actions (vipchaos action NAME):")
    lines += [f"  {name}" for name in ACTIONS]
    return "\n".join(lines)


def _node_or_owner(state, pair, target: str):
    from harness import live
    live.check_target(state, target)
    return live.resolve(pair, target)


def cmd_sql(args) -> int:
    import pymysql

    from harness import live
    from harness.node import connect
    state = _state()
    live.check_target(state, args.target, ("vip",))
    pair = live.pair_for(state, _engine())
    host = state.vip if args.target == "vip" else live.resolve(pair, args.target).ip
    try:
        conn = connect(host, timeout=args.timeout, database=args.database)
        try:
            with conn.cursor(pymysql.cursors.Cursor) as cur:
                cur.execute(args.query)
                columns = [d[0] for d in cur.description] if cur.description else []
                rows = [list(r) for r in cur.fetchall()] if columns else []
                affected = cur.rowcount
        finally:
            conn.close()
    except pymysql.err.MySQLError as exc:
        code, msg = (exc.args[0], exc.args[-1]) if len(exc.args) > 1 else ("?", str(exc))
        if isinstance(exc, pymysql.err.OperationalError):
            _say(f"vipchaos sql: {args.target} ({host}): {msg} (MySQL error {code})")
            return EXIT_UNKNOWN
        _say(f"vipchaos sql: {args.target} ({host}) refused it: {msg} (MySQL error {code})")
        return EXIT_USAGE
    if args.json:
        print(json.dumps({"target": args.target, "host": host, "columns": columns,
                          "rows": [dict(zip(columns, r, strict=True)) for r in rows],
                          "rowcount": affected}, indent=1, default=str))
    elif columns:
        print(format_table(columns, rows))
        print(f"({len(rows)} row{'s' if len(rows) != 1 else ''}, {args.target} {host})")
    else:
        print(f"ok, {affected} row(s) affected ({args.target} {host})")
    return EXIT_PASS


def cmd_exec(args, extra: list[str]) -> int:
    from harness import live
    state = _state()
    pair = live.pair_for(state, _engine())
    node = _node_or_owner(state, pair, args.node)
    cmd = extra or args.command
    if not cmd:
        raise ConfigError("vipchaos exec NODE -- COMMAND [ARGS...]: give the command after --")
    if len(cmd) == 1 and " " in cmd[0]:
        cmd = ["bash", "-c", cmd[0]]
    code, out = pair.engine.exec_in(node.container_name, cmd, check=False)
    sys.stdout.write(out)
    return int(code)


def cmd_logs(args) -> int:
    from harness import live
    from harness.node import KEEPALIVED_LOGS, MYSQL_LOG
    state = _state()
    pair = live.pair_for(state, _engine())
    node = _node_or_owner(state, pair, args.node)
    files = {"mysqld": [MYSQL_LOG], "keepalived": list(KEEPALIVED_LOGS)}
    paths = files.get(args.what) or [*files["keepalived"], *files["mysqld"]]
    shown = 0
    for path in paths:
        try:
            data = node.read_file(path).decode(errors="replace")
        except OSError as exc:
            print(f"== {node.name}:{path}: not readable ({exc.strerror or exc})")
            continue
        tail = data.splitlines()[-args.n:] if args.n > 0 else data.splitlines()
        print(f"== {node.name}:{path} (last {len(tail)} lines)")
        print("\n".join(tail))
        shown += 1
    if not shown:
        print(f"== {node.container_name}: container output (the node is not running?)")
        print(pair.engine.logs_of(node.container_name, args.n or 50))
    return EXIT_PASS


# --- the parser -------------------------------------------------------------------------------
def build_parser() -> Parser:
    fmt = argparse.RawDescriptionHelpFormatter
    p = Parser(prog="vipchaos", description=__doc__, formatter_class=fmt,
               epilog="\n\n".join([WORKFLOW_HELP, EXIT_HELP, ENV_HELP]))
    p.add_argument("--version", action="version", version=f"vipchaos {__version__}")
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    def cmd(name: str, help_: str, fn, description: str | None = None, **kw) -> Parser:
        s = sub.add_parser(name, help=help_, description=textwrap.fill(description or help_, 92),
                           formatter_class=fmt, epilog=kw.pop("epilog", EXIT_HELP), **kw)
        s.set_defaults(fn=fn)
        return s

    # testing a bundle
    s = cmd("run", "run the chaos suites against your bundle (exit 0/1/2/3/130)", cmd_run,
            "Run the chaos suites (pytest) against your bundle: one pair per bundle and worker, "
            "every fault of the catalogue (or those selected), each judged from its recorded "
            "history. The bundle-independent self-tests and the shipped incident replays run "
            "only when asked. Anything after `--` goes to pytest unchanged, e.g. `vipchaos run "
            "--config prod/ -- -v --timeout 600`. The exit status is the session's gate.",
            epilog=EXIT_HELP + "\n\n" + ENV_HELP)
    _add_config(s, "the bundle(s) to test (required, or --seed)")
    _add_selection(s)
    s.add_argument("--workers", type=int, metavar="N",
                   help="parallel pairs (pytest-xdist -n N --dist load); 1 = serial (default: "
                        f"cores + 1, at most one per 3 GiB of memory: {default_workers()} here)")
    s.add_argument("--run-dir", metavar="DIR", help="where histories and reports go (default "
                   "runs/<timestamp>-<pid>; env VIPCHAOS_RUN_DIR); runs/latest points to it")
    s.add_argument("--junitxml", metavar="FILE", help="also write pytest's own JUnit XML here "
                   "(the run directory always gets vipchaos' junit.xml)")
    s.add_argument("--subnet", metavar="CIDR", help="lab subnet for the pairs (default: the "
                   "bundle's, else a free /24 of 198.18.0.0/15; env VIPCHAOS_SUBNET)")
    s.add_argument("--keep", action="store_true", help="leave the pairs running at the end "
                   "(debugging; `vipchaos clean --all` removes them; env VIPCHAOS_KEEP=1)")
    s.add_argument("--json", action="store_true", help="pytest's output to stderr; print the "
                   "summary (exit status, gate, every test's result) as JSON on stdout")
    s = cmd("list", "show what `vipchaos run` would run (pytest --collect-only -q)", cmd_list,
            "List the tests `vipchaos run` would run with the same options, without starting "
            "anything (no Docker needed).", epilog=EXIT_HELP + "\n\n" + ENV_HELP)
    _add_config(s, "the bundle(s) (default: as for the seed)")
    _add_selection(s)
    s = cmd("validate", "check a bundle in seconds (keepalived -t in the node image, scripts, "
            "addresses, accounts), no pair started", cmd_validate)
    _add_config(s, "the bundle(s) to check (required, or --seed)")
    s.add_argument("--json", action="store_true",
                   help="print {bundle, path, valid, errors: [...], warnings: [...]} as JSON")
    s = cmd("import", "write a bundle from production keepalived.conf files (and check "
            "scripts, my.cnf, accounts), copied as they are", cmd_import)
    s.add_argument("confs", nargs=2, metavar="CONF", help="node1's and node2's keepalived.conf")
    s.add_argument("--scripts-node1", nargs="+", action="extend", default=[], metavar="FILE",
                   help="node1's check scripts (placed where its keepalived.conf runs them)")
    s.add_argument("--scripts-node2", nargs="+", action="extend", default=[], metavar="FILE",
                   help="node2's check scripts")
    s.add_argument("--mycnf-node1", metavar="FILE", help="node1's my.cnf (becomes /etc/my.cnf)")
    s.add_argument("--mycnf-node2", metavar="FILE", help="node2's my.cnf")
    s.add_argument("--accounts", metavar="FILE", help="accounts.sql: CREATE USER/GRANT "
                   "statements of the accounts the scripts and replication use")
    s.add_argument("--out", required=True, help="the new bundle directory (must not exist)")

    # a pair by hand
    s = cmd("up", "bring a pair up and leave it running (until `vipchaos down`)", cmd_up,
            "Bring a pair up for your bundle and leave it running; its bring-up is judged "
            "(runs/up-<run>/bring-up) and a session history starts (runs/up-<run>/history."
            "jsonl) that `watch`, `fault`, `heal`, `action` and `down` add to. State: "
            f"{STATE_FILE} in this directory (run the other commands from here). Only "
            "`vipchaos down` (or `clean --all`) removes the pair.")
    _add_config(s, "the bundle (required, or --seed)")
    s.add_argument("--subnet", metavar="CIDR", help="lab subnet to move the bundle to (e.g. "
                   "198.18.160.0/24; default: the bundle's, else the first free /24 of "
                   "198.18.0.0/15; env VIPCHAOS_SUBNET)")
    s.add_argument("--no-validate", action="store_true",
                   help="skip `vipchaos validate` (saves ~2 s)")
    s = cmd("status", "the pair from `vipchaos up`: per node VRRP state, VIP, keepalived, "
            "mysqld, replication; connection details", cmd_status)
    s.add_argument("--json", action="store_true", help="print it as JSON")
    s.add_argument("--all", action="store_true",
                   help="list every vipchaos container and network instead")
    s = cmd("watch", "observe the `up` pair in the foreground, recording into its history "
            "(Ctrl-C stops and records the final state)", cmd_watch,
            "Run the observers of a test (VIP, keepalived log, processes, ARP, replication) and "
            "a writer through the VIP, printing VRRP transitions, VIP moves, faults and actions "
            "as they happen and appending everything to the session history. Ctrl-C (or "
            "`vipchaos down`) stops writing, waits for replication to converge (a second "
            "Ctrl-C skips), records the final state and prints the verdicts. What happens while "
            "nothing watches is not observed: verdicts over it are unknown.")
    s.add_argument("--rate", type=float, default=20.0, metavar="N",
                   help="writes per second through the VIP (default 20; 0: none, then the "
                        "writes and migration verdicts are unknown)")
    s.add_argument("--mode", choices=["insert", "next-number"], default="insert",
                   help="insert: one row per write; next-number: plus a MAX()+1 ticket, as "
                        "applications make numbers (default insert)")
    s = cmd("fault", "inject a fault into the `up` pair and verify it (stays until `vipchaos "
            "heal`)", cmd_fault, epilog=catalogue() + "\n\n" + EXIT_HELP)
    s.add_argument("name", help="the fault (list below; `vipchaos faults`)")
    s.add_argument("--target", default="owner",
                   help="owner (default: who holds the VIP now), standby, or a node name")
    s.add_argument("--param", action="append", metavar="KEY=VALUE",
                   help="a fault parameter, repeatable (lossy-link probability=0.5, delay-link "
                        "delay_ms=200, cpu-starvation cpu=0.05, slow-replication rate=16kbit)")
    s.add_argument("--for", type=float, metavar="SECONDS",
                   help="heal it after this long (default: stays until `vipchaos heal`)")
    s = cmd("heal", "heal the active faults of the `up` pair (all, or the one named)", cmd_heal)
    s.add_argument("name", nargs="?", help="only this fault (default: every active one)")
    s.add_argument("--target", metavar="NODE", help="only on this node")
    s = cmd("action", "run an operator action on the `up` pair (restore, start-keepalived, "
            "reboot, ...)", cmd_action, epilog=catalogue() + "\n\n" + EXIT_HELP)
    s.add_argument("name", help="the action; `systemctl start keepalived` style also works")
    s.add_argument("--target", default="owner",
                   help="owner (default), standby, or a node name")
    s.add_argument("--param", action="append", metavar="KEY=VALUE",
                   help="an action parameter (replace-file path=... content=...)")
    cmd("faults", "list the faults and operator actions", cmd_faults)
    s = cmd("sql", "run one SQL statement on a node or through the VIP", cmd_sql,
            "Run one statement as the lab's admin account (vipchaos/vipchaos) on a node of the "
            "`up` pair or through its VIP; rows as a table (or JSON). MySQL refusing it exits "
            "3, a server that cannot be reached 2.")
    s.add_argument("target", help="vip, owner, standby, or a node name")
    s.add_argument("query", help='the statement, quoted: "SHOW REPLICA STATUS"')
    s.add_argument("--database", "-d", help="default database (e.g. vipchaos)")
    s.add_argument("--timeout", type=float, default=5.0, help="seconds (default 5)")
    s.add_argument("--json", action="store_true", help="print columns and rows as JSON")
    s = cmd("exec", "run a command in a node of the `up` pair", cmd_exec,
            "Run a command in a node (docker exec, no TTY) and print its output; exits with "
            "the command's own status. `vipchaos exec node1 -- ps aux`, or one quoted string "
            "for a shell line: `vipchaos exec owner 'cat /etc/keepalived/*.sh'`.")
    s.add_argument("node", help="owner, standby, or a node name")
    s.add_argument("command", nargs="*", help="the command (after --)")
    s = cmd("logs", "tail mysqld's or keepalived's log in a node of the `up` pair", cmd_logs)
    s.add_argument("node", help="owner, standby, or a node name")
    s.add_argument("what", nargs="?", choices=["mysqld", "keepalived", "all"], default="all",
                   help="which log (default all)")
    s.add_argument("-n", type=int, default=50, help="lines from the end (default 50; 0: all)")
    s = cmd("down", "end the `up` session: heal, record the final state, judge, remove the pair",
            cmd_down,
            "Heal what is still active (recorded), stop `vipchaos watch` (which records the final "
            "state) or record it here, print the session's verdicts, then remove the pair and "
            "nothing else.")
    s.add_argument("--run", metavar="RUN_ID", help="remove this run instead (default: the one "
                   f"in {STATE_FILE}); no final state")
    s.add_argument("--no-final", action="store_true",
                   help="remove at once: no heal, no final state, no verdict")
    s.add_argument("--quiet", action="store_true", help="say nothing when nothing is left")

    # stored runs
    s = cmd("check", "judge stored histories again (a test, a run, or runs/up-<run>)",
            cmd_check, "Judge again from history.jsonl alone: a test directory, a run directory "
            "(each test in it; the gate over them), runs/up-<run> of a `vipchaos up` session, "
            "or runs/latest.")
    s.add_argument("dir", metavar="DIR", help="runs/latest, runs/<run>, runs/<run>/<test>, or "
                   "runs/up-<run>")
    s.add_argument("--json", action="store_true", help="print the result(s) as JSON")
    s = cmd("report", "re-render a run's report (summary table, junit.xml, index.html)",
            cmd_report)
    s.add_argument("dir", metavar="DIR", help="a run directory (runs/latest, runs/<run>)")
    s = cmd("explore", "seeded exploration: random fault sequences on one pair; violations "
            "written as incident files and replayed", cmd_explore,
            "Draw episodes from --seed (one to three faults on the owner or standby, overlapping "
            "or not, held for drawn times, sometimes the runbook's restore afterwards; inserts "
            "or MAX()+1 tickets) and run them on one pair until --duration is up, judged like "
            "the suites (the bundle's accepted risks apply). Each episode that violates an "
            "invariant is written as incidents/explore-<seed>-<n>.yaml under the run and "
            "replayed at the end on the same pair. Exit 1 when a violation was found, 2 when "
            "something stayed unknown, 0 when every episode held.")
    s.add_argument("--seed", type=int, metavar="S",
                   help="the generator's seed (default: a random one, printed)")
    s.add_argument("--duration", default="10m", help="how long to draw new episodes (e.g. "
                   "10m, 90s; default 10m)")
    s.add_argument("--config", action="append", metavar="BUNDLE",
                   help="the bundle: a directory or a shipped bundle's name (env "
                        "VIPCHAOS_CONFIG)")
    s.add_argument("--faults", metavar="F1,F2", help="draw only these faults (default: the "
                   "bundle's own `faults`, else the whole catalogue)")
    s.add_argument("--no-replay", action="store_true",
                   help="do not replay the incident files written")
    s.add_argument("--subnet", help="lab subnet (default: the bundle's, or a free one)")
    s.add_argument("--run-dir", metavar="DIR",
                   help="where results go (default runs/explore-<timestamp>)")
    s = cmd("replay", "replay an incident file on a fresh pair and judge it", cmd_replay)
    s.add_argument("file", help="an incident file (incidents/*.yaml)")
    s.add_argument("--run-dir", metavar="DIR",
                   help="where results go (default runs/replay-<timestamp>)")

    # machinery
    s = cmd("images", "make the base and node images (offline if need be)", cmd_images)
    s.add_argument("--base", help="base image (default debian:sid-slim; env "
                   "VIPCHAOS_BASE_IMAGE)")
    s = cmd("clean", "remove what dead runs left (owner process gone); says what first",
            cmd_clean,
            "Remove the containers, networks, host links (vc-*) and iptables chains (VC-*) of "
            "runs whose owning process is gone (killed sessions, crashed workers). Live "
            "sessions and pairs from `vipchaos up` are kept: `vipchaos down` removes the latter.")
    s.add_argument("--all", action="store_true",
                   help="remove everything of ours, live runs and `up` pairs included")
    s.add_argument("--dry-run", action="store_true", help="only list what would go")
    s.add_argument("--quiet", action="store_true", help="say nothing when nothing is to go")
    s = cmd("bench", "bring-up/reset times, or failover distributions (n, p50, p95, max per "
            "fault and bundle)", cmd_bench)
    s.add_argument("what", choices=["bringup", "failover"], help="what to measure")
    s.add_argument("run_dirs", nargs="*", help="for failover: aggregate these run directories "
                   "instead of running")
    s.add_argument("--config", action="append", help="bundle(s) (repeatable; default seed, and "
                   "hardened for failover)")
    s.add_argument("--fault", help="for failover: the fault to repeat (e.g. kill-mysqld)")
    s.add_argument("--target", default="owner", help="owner | standby | a node name")
    s.add_argument("--runs", type=int, default=5, help="repetitions per bundle (default 5)")
    s.add_argument("--run-dir", help="where results go (default runs/bench-<timestamp>)")
    return p


def _add_selection(s: argparse.ArgumentParser) -> None:
    s.add_argument("--faults", metavar="F1,F2", help="only these faults (e.g. "
                   "kill-mysqld,crash-node; `vipchaos faults` lists them; env VIPCHAOS_FAULTS); "
                   "tests of no one fault (bring-up, smoke, lag) still run: -k narrows further")
    s.add_argument("-m", metavar="MARKEXPR", help="pytest -m: only tests matching this marker "
                   "expression (markers: chaos, fault, bundle)")
    s.add_argument("-k", metavar="EXPR", help="pytest -k: only tests whose name matches "
                   "(e.g. 'partition and not one_way')")
    s.add_argument("-x", action="store_true", help="stop at the first failing test")
    s.add_argument("--repeat", type=int, default=1, metavar="N",
                   help="run every chaos test N times (failover distributions in the report)")
    s.add_argument("--self-tests", action="store_true", help="also the bundle-independent "
                   "self-tests (bad input, lab seal)")
    s.add_argument("--incidents", action="store_true",
                   help="also replay the shipped incidents (incidents/*.yaml)")


PASSTHROUGH = {"run", "list", "exec"}


def split_passthrough(argv: list[str]) -> tuple[list[str], list[str]]:
    """(vipchaos' arguments, what follows the first ``--``)."""
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1:]
    return argv, []


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    own, extra = split_passthrough(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(own)
    except SystemExit as exc:  # --help, --version (0) and usage errors (3)
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
    if extra and args.cmd not in PASSTHROUGH:
        _say(f"vipchaos {args.cmd}: `--` passes arguments on only for run, list and exec")
        return EXIT_USAGE
    try:
        if args.cmd in PASSTHROUGH:
            return args.fn(args, extra)
        return args.fn(args)
    except ConfigError as exc:
        _say(f"vipchaos {args.cmd}: {exc}")
        return EXIT_USAGE
    except DockerUnavailable as exc:
        _say(f"vipchaos {args.cmd}: {exc}")
        return EXIT_UNKNOWN
    except HarnessError as exc:
        _say(f"vipchaos {args.cmd}: {exc}")
        return EXIT_UNKNOWN
    except KeyboardInterrupt:
        _say("vipchaos: interrupted")
        return EXIT_INTERRUPTED
    except PermissionError as exc:
        _say(f"vipchaos {args.cmd}: {exc} (vipchaos needs root for the lab's host link and "
             "iptables, and access to Docker)")
        return EXIT_USAGE
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
        _say(f"vipchaos {args.cmd}: {exc}")
        return EXIT_USAGE
    except Exception as exc:
        if type(exc).__module__.split(".")[0] in ("docker", "requests", "urllib3", "pymysql"):
            _say(f"vipchaos {args.cmd}: {type(exc).__name__}: {exc}")
            return EXIT_UNKNOWN
        traceback.print_exc()
        _say(f"vipchaos {args.cmd}: crashed ({type(exc).__name__}): a bug in vipchaos; the "
             "traceback above says where")
        return EXIT_UNKNOWN


if __name__ == "__main__":
    sys.exit(main())
