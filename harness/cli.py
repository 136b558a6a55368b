"""The ``vipchaos`` command: a table of commands (``COMMANDS``), each parsing its arguments
(``harness.cli_args``), calling the library and printing what it returned; one place maps
errors to exit statuses (``main``)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import signal
import sys
import tempfile
import threading
import traceback
from pathlib import Path
from typing import Any

import pymysql

from harness import reaper, session
from harness.api import bring_up
from harness.bench import bench_bringup, bench_failover, failover_stats
from harness.bundle import load_bundle
from harness.cli_args import build_parser as build_parser_for
from harness.clients import parse_profiles
from harness.engine import Engine
from harness.errors import ConfigError, DockerUnavailable, HarnessError
from harness.exitcodes import (
    EXIT_INTERRUPTED,
    EXIT_PASS,
    EXIT_UNKNOWN,
    EXIT_USAGE,
    EXIT_VIOLATION,
    MEANING,
    status_for,
)
from harness.explore import explore
from harness.images import ensure_node
from harness.importer import NodeInput, import_pair
from harness.incident import parse_duration
from harness.judge import gate
from harness.node import KEEPALIVED_LOGS, MYSQL_LOG, SERVICE_LOG
from harness.platform import DEFAULT, MATRIX, Platform
from harness.platform import parse as parse_platform
from harness.replay import describe, replay
from harness.report import failing, load_results, remedy_lines, summary_table, write_all
from harness.results import histories_in, judge_stored, run_path
from harness.runner import (
    SessionWatch,
    check_suites,
    default_workers,
    run_pytest,
    run_summary,
)
from harness.selection import bundle_arg, chosen_bundles, faults_arg, run_dir_for, selection
from harness.settings import Settings
from harness.show import catalogue, format_status, format_table, verdict_lines
from harness.validate import validate, validate_or_raise
from harness.watch import watch

STATE_FILE = Path(session.STATE_NAME)

def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _need_root(command: str) -> None:
    """Pairs need root: the lab's host link (a veth pair) and its iptables rules."""
    if os.geteuid() != 0:
        raise ConfigError(f"{command} needs root: it makes the lab's host link (a veth pair) "
                          "and iptables rules on this host; run it as root (sudo -E ...)")


def _image(engine: Engine, platform: Platform = DEFAULT) -> str:
    """The node image of ``platform`` (built if missing; VIPCHAOS_BASE_IMAGE replaces the
    default platform's base)."""
    base = Settings.from_env().base_image if platform == DEFAULT else None
    return ensure_node(engine, base=base, log=_say, platform=platform)[0]


# --- testing a bundle -------------------------------------------------------------------------
def cmd_run(args, extra: list[str]) -> int:
    """The chaos suites against your bundle(s); the pytest session's exit status."""
    check_suites()
    bundles = chosen_bundles(args.config, args.seed, platforms=getattr(args, "platform", None),
                        matrix=getattr(args, "matrix", False),
                        networks=getattr(args, "network", None))
    loaded = [load_bundle(b) for b in bundles]  # static checks first: seconds, no Docker
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers {args.workers}: give 1 or more")
    env = Settings.from_env()
    args.workers = args.workers or default_workers()
    args.subnet = args.subnet or env.subnet
    args.keep = args.keep or env.keep
    run_dir = run_dir_for(args.run_dir)
    argv = selection(args, bundles, collect_only=False, run_dir=str(run_dir), extra=extra)
    _need_root("vipchaos run")
    engine = Engine()
    for b in loaded:  # every platform's image is built before any worker needs it
        validate_or_raise(b, engine, _image(engine, b.platform), say=_say)
    platforms, networks = {b.platform for b in loaded}, {b.network for b in loaded}
    if len(platforms) == 1 and (args.platform or env.platform):
        # one platform: the suites' own pairs (on_pair: arbitration, incidents) run on it too
        os.environ["VIPCHAOS_PLATFORM"] = platforms.pop().name
    if len(networks) == 1 and (args.network or env.network):
        os.environ["VIPCHAOS_NETWORK"] = networks.pop()
    rc = run_pytest(argv, SessionWatch(), _say, to_stderr=args.json)
    if args.json:
        print(json.dumps(run_summary(run_dir, rc), indent=1, default=str))
    else:
        _say(f"vipchaos run: exit {rc} ({MEANING.get(rc, 'pytest status')}); run directory "
             f"{run_dir}")
    return rc


def cmd_list(args, extra: list[str]) -> int:
    """What `vipchaos run` would run with the same selection (pytest --collect-only -q)."""
    check_suites()
    bundles = chosen_bundles(args.config, args.seed, required=False,
                             platforms=args.platform, matrix=args.matrix,
                             networks=args.network)
    if not bundles:
        bundles = ["seed"]
        _say("(no --config: listing as for the shipped seed; `vipchaos run` needs --config "
             "or --seed)")
    for b in bundles:
        load_bundle(b)
    watcher = SessionWatch(collect_only=True)
    with tempfile.TemporaryDirectory(prefix="vipchaos-list-") as tmp:
        argv = selection(args, bundles, collect_only=True, run_dir=str(Path(tmp) / "run"),
                          extra=extra)
        rc = run_pytest(argv, watcher, _say)
    if rc in (EXIT_USAGE, EXIT_INTERRUPTED):
        return rc
    if watcher.collect_errors or watcher.internal:
        return EXIT_UNKNOWN
    if not watcher.collected:
        _say("vipchaos list: nothing selected (check --faults, -m, -k)")
        return EXIT_UNKNOWN
    _say(f"{watcher.collected} test(s) would run")
    return EXIT_PASS


def cmd_validate(args) -> int:
    engine = None
    reports = []
    for ref in chosen_bundles(args.config, args.seed, platforms=getattr(args, "platform", None),
                        matrix=getattr(args, "matrix", False),
                        networks=getattr(args, "network", None)):
        entry: dict[str, Any] = {"bundle": ref, "path": None, "valid": False, "errors": [],
                                 "warnings": []}
        try:
            bundle = load_bundle(ref)
            entry["path"] = str(bundle.path)
            if engine is None:
                engine = Engine()
            rep = validate(bundle, engine, _image(engine, bundle.platform))
            entry.update(valid=not rep.errors, errors=list(rep.errors),
                         warnings=[str(w) for w in rep.warnings])
        except ConfigError as exc:
            entry["errors"] = [str(exc)]
        reports.append(entry)
    if args.json:
        print(json.dumps(reports[0] if len(reports) == 1 else reports, indent=1))
    for r in [] if args.json else reports:
        print("\n".join([*(f"warning: {w}" for w in r["warnings"]),
                         *(f"error: {e}" for e in r["errors"])]) or "", end="")
        print(("\n" if r["warnings"] or r["errors"] else "")
              + f"{r['bundle']}: {'valid' if r['valid'] else 'NOT valid'}"
              + (f" ({len(r['warnings'])} warning(s))" if r["warnings"] else ""))
    return EXIT_PASS if all(r["valid"] for r in reports) else EXIT_USAGE


def cmd_import(args) -> int:
    """A bundle from a production pair's files, copied as they are, with a proposed lab map."""
    for f in [*args.confs, *args.scripts_node1, *args.scripts_node2,
              *(x for x in (args.mycnf_node1, args.mycnf_node2, args.accounts,
                            args.replication) if x)]:
        if not Path(f).is_file():
            raise ConfigError(f"{f}: no such file")
    nodes = [NodeInput("node1", Path(args.confs[0]), [Path(f) for f in args.scripts_node1],
                       Path(args.mycnf_node1) if args.mycnf_node1 else None),
             NodeInput("node2", Path(args.confs[1]), [Path(f) for f in args.scripts_node2],
                       Path(args.mycnf_node2) if args.mycnf_node2 else None)]
    print(import_pair(nodes, Path(args.out), Path(args.accounts) if args.accounts else None,
                      replication=Path(args.replication) if args.replication else None)
          .describe())
    return EXIT_PASS


def cmd_explore(args) -> int:
    """Seeded exploration on one pair (harness.explore)."""
    refs = chosen_bundles(args.config, False, platforms=getattr(args, "platform", None),
                        matrix=getattr(args, "matrix", False),
                        networks=getattr(args, "network", None))
    if len(refs) != 1:
        raise ConfigError(f"vipchaos explore explores one bundle at a time, not {refs}")
    try:
        duration = parse_duration(args.duration)
    except ValueError as exc:
        raise ConfigError(f"--duration: {exc}") from exc
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10**6)
    faults = faults_arg(args.faults)
    ref = bundle_arg(refs[0])
    bundle = load_bundle(ref)
    _need_root("vipchaos explore")
    engine = Engine()
    image = _image(engine, bundle.platform)
    validate_or_raise(bundle, engine, image, say=_say)
    run_dir = run_dir_for(args.run_dir, "explore-")
    command = (f"vipchaos explore --seed {seed} --duration {args.duration} --config {refs[0]}"
               + (f" --faults {args.faults}" if args.faults else ""))
    _say(f"{command}  (results: {run_dir})")
    progress = logging.StreamHandler(sys.stderr)
    progress.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logging.getLogger("vipchaos.explore").addHandler(progress)
    logging.getLogger("vipchaos.explore").setLevel(logging.INFO)
    pair = bring_up(engine, image, bundle, subnet=args.subnet or Settings.from_env().subnet,
                    out_dir=run_dir / "bring-up")
    try:
        ex = explore(pair, seed=seed, duration_s=duration, run_dir=run_dir, bundle_ref=ref,
                     faults=faults, replay=not args.no_replay, command=command,
                     replays=args.replays)
    finally:
        pair.down()
    html = write_all(run_dir)["html"]
    print(ex.summary())
    print(f"report: {html}\nexplore.json: {run_dir / 'explore.json'}")
    return ex.exit_status()


def cmd_replay(args) -> int:
    rep = replay(args.file, Path(args.run_dir) if args.run_dir else None)
    print(describe(rep))
    return EXIT_PASS if rep.ok else EXIT_VIOLATION if rep.result.outcome == "fail" \
        else EXIT_UNKNOWN


# --- stored runs ------------------------------------------------------------------------------
def cmd_check(args) -> int:
    """Judge stored histories again, from history.jsonl alone."""
    results = [(p, judge_stored(p)) for p in histories_in(run_path(args.dir))]
    statuses = [r.outcome for _, r in results]
    ok, why = gate(statuses)
    rc = status_for(statuses)
    if args.json:
        dicts = [dict(r.to_dict(), history=str(p)) for p, r in results]
        print(json.dumps(dicts[0] if len(dicts) == 1 else
                         {"results": dicts, "gate": ok, "why": why, "exit_status": rc},
                         indent=1, default=str))
        return rc
    if len(results) == 1:
        print("\n".join(verdict_lines(results[0][1])))
        return rc
    for p, r in results:
        print(f"{p.parent.name}: {r.outcome}")
        print("".join(f"  - {w}\n" for w in r.judgement.reasons if r.outcome != "pass"), end="")
    print(f"gate: {'PASS' if ok else 'FAIL'} ({why})")
    return rc


def cmd_report(args) -> int:
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
    for line in remedy_lines(out["results"]):
        print(line)
    print(f"report: {out['html']}\njunit: {out['junit']}\nsummary: {out['summary']}")
    return status_for(r.get("outcome") or "error" for r in out["results"])


# --- machinery --------------------------------------------------------------------------------
def cmd_images(args) -> int:
    """The node image of each platform asked for (default: the default platform's)."""
    wanted = [parse_platform(p) for p in args.platform or []] + \
        [parse_platform(p) for p in (MATRIX if args.matrix else ())]
    engine = Engine()
    for platform in dict.fromkeys(wanted or [DEFAULT]):
        base = args.base or Settings.from_env().base_image if platform == DEFAULT else args.base
        ref, secs = ensure_node(engine, base=base, log=_say, platform=platform)
        size = engine.image_size(ref)
        print(f"node image {ref} ready ({secs:.1f} s, {size / 1e6:.0f} MB): {platform}")
    return EXIT_PASS


def cmd_bench(args) -> int:
    """Bring-up/reset times, or failover distributions (run them, or aggregate run dirs)."""
    if args.what == "bringup":
        bench_bringup((args.config or ["seed"])[0], args.runs)
        return EXIT_PASS
    if args.run_dirs:
        print(failover_stats([run_path(d) for d in args.run_dirs]))
        return EXIT_PASS
    if not args.fault:
        raise ConfigError("vipchaos bench failover: give --fault F (and --runs N, --config B "
                          "...) to measure, or run directories to aggregate")
    faults_arg(args.fault)
    run_dir = run_dir_for(args.run_dir, "bench-")
    try:
        clients = parse_profiles(args.clients)
    except ValueError as exc:
        raise ConfigError(f"--clients: {exc}") from exc
    print(bench_failover(args.config or ["seed", "hardened"], args.fault, args.target,
                         args.runs, run_dir, clients=clients))
    print(f"report: {run_dir / 'index.html'}")
    return EXIT_PASS


def cmd_clean(args) -> int:
    """Remove what dead runs left; ``--all``: everything of ours. Says what it removes."""
    try:
        engine = Engine()
    except DockerUnavailable as exc:
        engine = None
        if not args.quiet:
            _say(f"(docker: {exc}; cleaning host links and chains only)")
    victims, kept, removed = reaper.clean(engine, everything=args.all, dry_run=args.dry_run,
                                          say=_say)
    if victims:
        print(f"{'would remove' if args.dry_run else 'removed'} {len(victims)} resource(s) of "
              f"{'every run' if args.all else 'dead runs'}:")
        print("\n".join(f"  {r}" for r in victims))
    elif not args.quiet:
        print("nothing to clean")
    if kept and not args.quiet:
        print(f"keeping {kept} resource(s) of live runs and `vipchaos up` pairs "
              "(`vipchaos clean --all` removes them too)")
    if args.dry_run or not victims:
        return EXIT_PASS
    if args.all:
        STATE_FILE.unlink(missing_ok=True)
    print(f"removed {len(removed)} of {len(victims)}")
    return EXIT_PASS if len(removed) == len(victims) else EXIT_UNKNOWN


# --- a pair by hand ---------------------------------------------------------------------------
def cmd_up(args) -> int:
    refs = chosen_bundles(args.config, args.seed, platforms=getattr(args, "platform", None),
                        matrix=getattr(args, "matrix", False),
                        networks=getattr(args, "network", None))
    if len(refs) != 1:
        raise ConfigError(f"vipchaos up brings one pair up: give one bundle, not {refs}")
    bundle = load_bundle(refs[0])
    _need_root("vipchaos up")
    engine = Engine()
    image = _image(engine, bundle.platform)
    if not args.no_validate:
        validate_or_raise(bundle, engine, image, say=_say)
    pair, state = session.up(STATE_FILE, engine, image, refs[0],
                             subnet=args.subnet or Settings.from_env().subnet)
    if pair.setup_history is not None:
        _say("warning: the pair never reached its intended state (the highest-priority node "
             "MASTER with the VIP, its peer BACKUP); it stays up to be looked at")
    br = pair.bringup_result
    print(f"bring-up: {br.outcome}: " + "; ".join(br.judgement.reasons or ["as intended"]))
    print(f"up in {pair.timings['bringup_s']} s: run {state.run_id} on {state.subnet}, VIP "
          f"{state.vip} on {pair.vip_owners()}")
    print(f"connect: mysql -h {state.vip} -P 3306 -u vipchaos -pvipchaos (the bundle's own "
          "accounts: `vipchaos status`)")
    print(f"history: {state.history}")
    print("next: `vipchaos watch` in a second terminal (records what happens), then "
          "`vipchaos fault NAME`, `vipchaos heal`, `vipchaos status`; `vipchaos down` ends "
          f"it; `vipchaos check {state.run_dir}` judges it")
    return EXIT_PASS


def cmd_down(args) -> int:
    if not args.run:
        session.must(STATE_FILE)  # no pair here: say so before reaching Docker
    run_id, removed, result, state = session.down(STATE_FILE, Engine(), _say, run=args.run,
                                                  final=not args.no_final)
    if removed or not args.quiet:
        print(f"run {run_id}: removed {', '.join(removed)}" if removed
              else f"run {run_id}: nothing left to remove")
    if result is not None:
        print(f"session {state.run_dir}:")
        print("\n".join(verdict_lines(result)))
        print(f"`vipchaos check {state.run_dir}` judges it again")
    return EXIT_PASS


def cmd_status(args) -> int:
    state = None if args.all else session.read_state(STATE_FILE)
    if state is not None and state.recorded:
        info = session.pair_status(state, session.pair_for(state, Engine()))
        print(json.dumps(info, indent=1, default=str) if args.json else format_status(info))
        return EXIT_PASS
    containers, networks = Engine().managed()
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


def cmd_watch(args) -> int:
    session.must(STATE_FILE)  # no pair here: say so before reaching Docker
    if args.rate < 0:
        raise ConfigError(f"--rate {args.rate}: give 0 (no writes) or more")
    return watch(STATE_FILE, Engine(), lambda m: print(m, flush=True), rate=args.rate,
                 mode=args.mode).status


def _done(done: session.Done) -> int:
    print("\n".join(done.lines))
    return done.status


def cmd_fault(args) -> int:
    session.must(STATE_FILE)
    return _done(session.inject(STATE_FILE, Engine(), args.name, args.target,
                                session.parse_params(args.param), hold=getattr(args, "for")))


def cmd_heal(args) -> int:
    session.must(STATE_FILE)
    return _done(session.heal(STATE_FILE, Engine(), args.name, args.target))


def cmd_action(args) -> int:
    session.must(STATE_FILE)
    return _done(session.act(STATE_FILE, Engine(), args.name, args.target,
                             session.parse_params(args.param)))


def cmd_faults(args) -> int:
    print(catalogue())
    return EXIT_PASS


def cmd_sql(args) -> int:
    state = session.must(STATE_FILE)
    try:
        a = session.run_sql(state, Engine(), args.target, args.query, database=args.database,
                            timeout=args.timeout)
    except pymysql.err.MySQLError as exc:
        code, msg = (exc.args[0], exc.args[-1]) if len(exc.args) > 1 else ("?", str(exc))
        reached = not isinstance(exc, pymysql.err.OperationalError)
        _say(f"vipchaos sql: {args.target}: {'refused it: ' if reached else ''}{msg} "
             f"(MySQL error {code})")
        return EXIT_USAGE if reached else EXIT_UNKNOWN
    if args.json:
        print(json.dumps({"target": args.target, "host": a.host, "columns": a.columns,
                          "rows": [dict(zip(a.columns, r, strict=True)) for r in a.rows],
                          "rowcount": a.rowcount}, indent=1, default=str))
    elif a.columns:
        print(format_table(a.columns, a.rows))
        print(f"({len(a.rows)} row{'s' if len(a.rows) != 1 else ''}, {args.target} {a.host})")
    else:
        print(f"ok, {a.rowcount} row(s) affected ({args.target} {a.host})")
    return EXIT_PASS


def _node(args_node: str):
    state = session.must(STATE_FILE)
    session.check_target(state, args_node)
    pair = session.pair_for(state, Engine())
    return pair, pair.resolve(args_node)


def cmd_exec(args, extra: list[str]) -> int:
    pair, node = _node(args.node)
    cmd = extra or args.command
    if not cmd:
        raise ConfigError("vipchaos exec NODE -- COMMAND [ARGS...]: give the command after --")
    if len(cmd) == 1 and " " in cmd[0]:
        cmd = ["bash", "-c", cmd[0]]
    code, out = pair.engine.exec_in(node.container_name, cmd, check=False)
    sys.stdout.write(out)
    return int(code)


def cmd_logs(args) -> int:
    pair, node = _node(args.node)
    files = {"mysqld": [MYSQL_LOG], "keepalived": list(KEEPALIVED_LOGS),
             "services": [SERVICE_LOG]}
    paths = files.get(args.what) or [p for ps in files.values() for p in ps]
    shown = 0
    for path in paths:
        try:
            data = node.read_file(path).decode(errors="replace")
        except OSError as exc:
            print(f"== {node.name}:{path}: not readable ({exc.strerror or exc})")
            continue
        tail = data.splitlines()[-args.n:] if args.n > 0 else data.splitlines()
        print(f"== {node.name}:{path} (last {len(tail)} lines)\n" + "\n".join(tail))
        shown += 1
    if not shown:
        print(f"== {node.container_name}: container output (the node is not running?)")
        print(pair.engine.logs_of(node.container_name, args.n or 50))
    return EXIT_PASS


# --- the table of commands -------------------------------------------------------------------
COMMANDS = {
    "run": cmd_run, "list": cmd_list, "validate": cmd_validate, "import": cmd_import,
    "up": cmd_up, "status": cmd_status, "watch": cmd_watch, "fault": cmd_fault,
    "heal": cmd_heal, "action": cmd_action, "faults": cmd_faults, "sql": cmd_sql,
    "exec": cmd_exec, "logs": cmd_logs, "down": cmd_down, "check": cmd_check,
    "report": cmd_report, "explore": cmd_explore, "replay": cmd_replay, "images": cmd_images,
    "clean": cmd_clean, "bench": cmd_bench,
}


def build_parser():
    return build_parser_for(COMMANDS)


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
    # SIGTERM (a CI job's timeout, `kill`) ends a command the way Ctrl-C does: its teardown
    # runs and removes the pair, rather than leaving it for the next run's reaper
    old_sigterm = signal.signal(signal.SIGTERM, _interrupt) \
        if threading.current_thread() is threading.main_thread() else None
    try:
        return args.fn(args, extra) if args.cmd in PASSTHROUGH else args.fn(args)
    except ConfigError as exc:
        _say(f"vipchaos {args.cmd}: {exc}")
        return EXIT_USAGE
    except (DockerUnavailable, HarnessError) as exc:
        _say(f"vipchaos {args.cmd}: {exc}")
        return EXIT_UNKNOWN
    except KeyboardInterrupt:
        _say("vipchaos: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `vipchaos status | head`: the reader left; not our failure
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PASS
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
    finally:
        if old_sigterm is not None:
            signal.signal(signal.SIGTERM, old_sigterm)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt
