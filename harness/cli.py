"""``vipchaos``: images, up/status/down, clean, bench, run, replay, report."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.errors import ConfigError, HarnessError

STATE_FILE = Path(".vipchaos-up.json")


def _engine():
    from harness.engine import Engine
    return Engine()


def cmd_images(args) -> int:
    from harness.images import ensure_node
    ref, secs = ensure_node(_engine(), base=args.base)
    print(f"node image {ref} ready ({secs:.1f} s)")
    return 0


def cmd_clean(args) -> int:
    """Remove what dead runs left (their owning process is gone); ``--all``: everything of
    ours, live runs and ``vipchaos up`` pairs included. Says what it removes first."""
    from harness import ownership
    from harness.errors import DockerUnavailable
    try:
        engine = _engine()
    except DockerUnavailable as exc:
        engine = None
        if not args.quiet:
            print(f"(docker: {exc}; cleaning host links and chains only)", file=sys.stderr)
    found = ownership.inventory(engine, everything=args.all)
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
        return 0
    removed = ownership.remove(engine, victims, say=lambda m: print(m, file=sys.stderr))
    if args.all:
        STATE_FILE.unlink(missing_ok=True)
    print(f"removed {len(removed)} of {len(victims)}")
    return 0 if len(removed) == len(victims) else 1


def cmd_up(args) -> int:
    """Bring a pair up and hand it to the user (owner ``manual:<run>``): no dead-owner reaper
    removes it, only ``vipchaos down`` or ``vipchaos clean --all``."""
    from harness import ownership
    from harness.cluster import new_run_id
    from harness.config import load_bundle, relocate
    from harness.images import ensure_node
    from harness.pair import bring_up
    engine = _engine()
    previous = _up_run_id()
    if previous and any(r.run_id == previous for r in ownership.inventory(engine)):
        raise HarnessError(f"A pair from `vipchaos up` (run {previous}) is still up "
                           f"({STATE_FILE}): `vipchaos down` removes it first.")
    image, _ = ensure_node(engine)
    bundle = load_bundle(args.config)
    if args.subnet:
        bundle = relocate(bundle, args.subnet)
    run_id = new_run_id()
    # Written first: `vipchaos down` finds the run even if this process dies mid-way.
    STATE_FILE.write_text(json.dumps({"run_id": run_id, "bundle": args.config}))
    try:
        cluster = bring_up(engine, image, bundle, run_id=run_id, manual=True)
    except BaseException:
        ownership.reap_run(engine, run_id)
        STATE_FILE.unlink(missing_ok=True)
        raise
    if cluster.setup_error:
        print(f"warning: {cluster.setup_error}", file=sys.stderr)
    print(f"bring-up: {cluster.bringup_result.outcome}: "
          + "; ".join(cluster.bringup_result.judgement.reasons or ["as intended"]))
    print(f"up in {cluster.timings['bringup_s']} s: run {cluster.run_id} on "
          f"{cluster.topology.subnet}, VIP {cluster.topology.vip} on {cluster.vip_owners()}; "
          "`vipchaos down` removes it")
    return 0


def cmd_down(args) -> int:
    """Remove the pair `vipchaos up` made (its run id is in the state file), and nothing else."""
    from harness import ownership
    run_id = args.run or _up_run_id()
    if not run_id:
        print(f"vipchaos: no pair from `vipchaos up` here (no {STATE_FILE}); `vipchaos status` "
              "lists pairs and `vipchaos down --run RUN_ID` removes one", file=sys.stderr)
        return 1
    removed = ownership.reap_run(_engine(), run_id,
                                 say=lambda m: print(m, file=sys.stderr))
    if run_id == _up_run_id():
        STATE_FILE.unlink(missing_ok=True)
    if removed or not args.quiet:
        print(f"run {run_id}: removed {', '.join(removed)}" if removed
              else f"run {run_id}: nothing left to remove")
    return 0


def _up_run_id() -> str | None:
    try:
        return json.loads(STATE_FILE.read_text()).get("run_id")
    except (FileNotFoundError, ValueError):
        return None


def cmd_status(args) -> int:
    containers, networks = _engine().managed()
    for c in containers:
        print(f"{c.name:32} {c.status:10} {c.labels.get('vipchaos.bundle', '')}")
    for n in networks:
        print(f"{n.name:32} network")
    if not containers and not networks:
        print("no vipchaos containers or networks")
    return 0


def cmd_bench(args) -> int:
    """Bring-up/reset times, or failover distributions (run them, or aggregate run dirs)."""
    import time

    from harness.bench import bench_bringup, bench_failover, failover_stats
    if args.what == "failover":
        if args.run_dirs:
            print(failover_stats([Path(d) for d in args.run_dirs]))
            return 0
        if not args.fault:
            raise ConfigError("vipchaos bench failover: give --fault F (and --runs N, "
                              "--config B ...) to measure, or run directories to aggregate")
        run_dir = Path(args.run_dir or f"runs/bench-{time.strftime('%Y%m%d-%H%M%S')}")
        print(bench_failover(args.config or ["seed", "hardened"], args.fault, args.target,
                             args.runs, run_dir))
        print(f"report: {run_dir / 'index.html'}")
        return 0
    bench_bringup((args.config or ["seed"])[0], args.runs)
    return 0


def cmd_replay(args) -> int:
    from harness.replay import describe, replay
    rep = replay(args.file, Path(args.run_dir) if args.run_dir else None)
    print(describe(rep))
    return 0 if rep.ok else {"fail": 1}.get(rep.result.outcome, 2)


def cmd_report(args) -> int:
    from harness.report import failing, gate, summary_table, write_all
    out = write_all(Path(args.run_dir))
    if not out["results"]:
        print(f"vipchaos: no results (*/result.json) under {args.run_dir}", file=sys.stderr)
        return 2
    print(summary_table(out["results"]))
    for line in failing(out["results"]):
        print(f"violated: {line}")
    print(f"report: {out['html']}\njunit: {out['junit']}\nsummary: {out['summary']}")
    return 0 if gate(out["results"]) else 1


def cmd_run(args) -> int:
    """The chaos suites against a bundle; exit 0 only if every invariant held or its violation
    was declared expected (and detected)."""
    import pytest

    from harness.config import load_bundle
    from harness.validate import validate_or_raise
    bundle = load_bundle(args.config)
    engine = _engine()
    from harness.images import ensure_node
    image, _ = ensure_node(engine)
    validate_or_raise(bundle, engine, image)
    suites = Path(__file__).resolve().parent.parent / "suites"
    argv = [str(suites), "--vipchaos-config", str(Path(args.config).resolve())
            if Path(args.config).is_dir() else args.config, "-p", "no:cacheprovider"]
    if args.run_dir:
        argv += ["--vipchaos-run-dir", args.run_dir]
    if args.junitxml:
        argv += ["--junitxml", args.junitxml]
    if args.k:
        argv += ["-k", args.k]
    if args.subnet:
        argv += ["--vipchaos-subnet", args.subnet]
    return int(pytest.main(argv))


def cmd_check(args) -> int:
    """Judge a stored run again from its history.jsonl alone."""
    from harness.history import load
    from harness.scenario import result_of
    path = Path(args.test_dir)
    hist = path / "history.jsonl"
    if not hist.is_file():
        raise ConfigError(f"{path}: no history.jsonl (give a test directory of a run, e.g. "
                          "runs/latest/seed-kill-mysqld-owner)")
    result = result_of(load(hist), path)
    if args.json:
        print(json.dumps(result.to_dict(), indent=1, default=str))
    else:
        for v in result.verdicts:
            print(f"  {v.invariant:13} {v.status:8} {v.summary}")
        print(f"outcome: {result.outcome}")
        for why in result.judgement.reasons:
            print(f"  - {why}")
    return {"pass": 0, "accepted": 0, "fail": 1}.get(result.outcome, 2)


def cmd_validate(args) -> int:
    from harness.config import load_bundle
    from harness.images import ensure_node
    from harness.validate import validate_or_raise
    engine = _engine()
    image, _ = ensure_node(engine)
    validate_or_raise(load_bundle(args.config), engine, image)
    print(f"{args.config}: valid")
    return 0


def cmd_import(args) -> int:
    """A bundle from a production pair's files, copied as they are, with a proposed lab map."""
    from harness.importer import NodeInput, import_pair
    nodes = [NodeInput("node1", Path(args.confs[0]), [Path(f) for f in args.scripts_node1],
                       Path(args.mycnf_node1) if args.mycnf_node1 else None),
             NodeInput("node2", Path(args.confs[1]), [Path(f) for f in args.scripts_node2],
                       Path(args.mycnf_node2) if args.mycnf_node2 else None)]
    res = import_pair(nodes, Path(args.out), Path(args.accounts) if args.accounts else None)
    print(res.describe())
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="vipchaos", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("images", help="make the base and node images (offline if need be)")
    s.add_argument("--base", default="debian:sid-slim")
    s.set_defaults(fn=cmd_images)
    s = sub.add_parser(
        "up", help="bring a pair up and leave it running (until `vipchaos down`)",
        description="Bring a pair up and leave it running. Its resources are owned by "
        "'manual:<run id>', not by this process: `vipchaos clean` (which removes what dead "
        "processes left) keeps it; only `vipchaos down` or `vipchaos clean --all` remove it. "
        "If `up` dies before the pair is ready, `vipchaos clean` removes the remains.")
    s.add_argument("--config", default="seed", help="bundle name or directory")
    s.add_argument("--subnet", help="lab subnet to move the bundle to (e.g. 198.18.160.0/24; "
                   "default: the bundle's, else the first free /24 of 198.18.0.0/15)")
    s.set_defaults(fn=cmd_up)
    sub.add_parser("status", help="list vipchaos containers and networks").set_defaults(
        fn=cmd_status)
    s = sub.add_parser("down", help="remove the pair `vipchaos up` made, nothing else")
    s.add_argument("--run", help="run id to remove (default: the one in .vipchaos-up.json)")
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(fn=cmd_down)
    s = sub.add_parser(
        "clean", help="remove what dead runs left (owner process gone); says what first",
        description="Remove the containers, networks, host links (vc-*) and iptables chains "
        "(VC-*) of runs whose owning process is gone (killed sessions, crashed workers). Live "
        "sessions and pairs from `vipchaos up` are kept: `vipchaos down` removes the latter.")
    s.add_argument("--all", action="store_true",
                   help="remove everything of ours, live runs and `up` pairs included")
    s.add_argument("--dry-run", action="store_true", help="only list what would go")
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(fn=cmd_clean)
    s = sub.add_parser("bench", help="bring-up/reset times, or failover distributions "
                       "(n, p50, p95, max per fault and bundle)")
    s.add_argument("what", choices=["bringup", "failover"])
    s.add_argument("run_dirs", nargs="*", help="for failover: aggregate these run directories "
                   "instead of running")
    s.add_argument("--config", action="append", help="bundle(s) (repeatable; default seed, and "
                   "hardened for failover)")
    s.add_argument("--fault", help="for failover: the fault to repeat (e.g. kill-mysqld)")
    s.add_argument("--target", default="owner", help="owner | standby | a node name")
    s.add_argument("--runs", type=int, default=5, help="repetitions per bundle (default 5)")
    s.add_argument("--run-dir", help="where results go (default runs/bench-<timestamp>)")
    s.set_defaults(fn=cmd_bench)
    s = sub.add_parser("run", help="run the chaos suites against a config bundle")
    s.add_argument("--config", default="seed", help="bundle name or directory")
    s.add_argument("--run-dir", help="where histories and reports go")
    s.add_argument("--junitxml", help="also write pytest's JUnit XML here")
    s.add_argument("-k", help="only tests matching this pytest -k expression")
    s.add_argument("--subnet", help="lab subnet to move a templated bundle to")
    s.set_defaults(fn=cmd_run)
    s = sub.add_parser("validate", help="check a bundle (keepalived -t in the node image, "
                       "scripts, addresses) without starting a pair")
    s.add_argument("--config", default="seed")
    s.set_defaults(fn=cmd_validate)
    s = sub.add_parser("replay", help="replay an incident file and judge it")
    s.add_argument("file")
    s.add_argument("--run-dir")
    s.set_defaults(fn=cmd_replay)
    s = sub.add_parser("check", help="judge a stored test run again from its history.jsonl")
    s.add_argument("test_dir", help="a test's directory inside a run (runs/<ts>/<test>)")
    s.add_argument("--json", action="store_true", help="print the result as JSON")
    s.set_defaults(fn=cmd_check)
    s = sub.add_parser("report", help="re-render the report of a run directory")
    s.add_argument("run_dir")
    s.set_defaults(fn=cmd_report)
    s = sub.add_parser("import", help="write a bundle from production keepalived.conf files "
                       "(and check scripts, my.cnf, accounts), copied as they are")
    s.add_argument("confs", nargs=2, metavar="CONF", help="node1's and node2's keepalived.conf")
    s.add_argument("--scripts-node1", nargs="+", action="extend", default=[], metavar="FILE",
                   help="node1's check scripts (placed where its keepalived.conf runs them)")
    s.add_argument("--scripts-node2", nargs="+", action="extend", default=[], metavar="FILE")
    s.add_argument("--mycnf-node1", metavar="FILE", help="node1's my.cnf (becomes /etc/my.cnf)")
    s.add_argument("--mycnf-node2", metavar="FILE")
    s.add_argument("--accounts", metavar="FILE", help="accounts.sql: CREATE USER/GRANT "
                   "statements of the accounts the scripts and replication use")
    s.add_argument("--out", required=True, help="the new bundle directory (must not exist)")
    s.set_defaults(fn=cmd_import)
    args = p.parse_args(argv)
    try:
        return args.fn(args)
    except HarnessError as exc:
        print(f"vipchaos: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("vipchaos: interrupted; cleaning up", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
