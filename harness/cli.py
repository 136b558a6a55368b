"""``vipchaos``: images, up/status/down, clean, bench, run, replay, report."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.errors import HarnessError

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
    from harness.engine import Engine
    from harness.network import reap_links
    try:
        removed = Engine().reap()
    except HarnessError as exc:
        removed = []
        if not args.quiet:
            print(f"(docker: {exc})", file=sys.stderr)
    removed += reap_links()
    STATE_FILE.unlink(missing_ok=True)
    if removed or not args.quiet:
        print(f"removed: {', '.join(removed)}" if removed else "nothing to clean")
    return 0


def cmd_up(args) -> int:
    from harness.cluster import Cluster
    from harness.config import load_bundle
    from harness.images import ensure_node
    engine = _engine()
    image, _ = ensure_node(engine)
    from harness.config import relocate
    bundle = load_bundle(args.config)
    if args.subnet:
        bundle = relocate(bundle, args.subnet)
    cluster = Cluster(engine, bundle, image, log=print)
    cluster.up()
    STATE_FILE.write_text(json.dumps({"run_id": cluster.run_id, "bundle": args.config}))
    print(f"up in {cluster.timings['bringup_s']} s: run {cluster.run_id}, "
          f"VIP {cluster.topology.vip} on {cluster.vip_owners()}; `vipchaos down` removes it")
    return 0


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
    from harness.bench import bench_bringup, failover_stats
    if args.what == "failover":
        if not args.run_dirs:
            print("vipchaos bench failover RUN_DIR [RUN_DIR ...]", file=sys.stderr)
            return 2
        print(failover_stats([Path(d) for d in args.run_dirs]))
        return 0
    bench_bringup(args.config, args.runs)
    return 0


def cmd_replay(args) -> int:
    from harness.incident import load_incident
    from harness.replay import describe, replay
    rep = replay(args.file, Path(args.run_dir) if args.run_dir else None)
    print(describe(rep, load_incident(args.file).expect))
    return 0 if rep.ok else 1


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


def cmd_validate(args) -> int:
    from harness.config import load_bundle
    from harness.images import ensure_node
    from harness.validate import validate_or_raise
    engine = _engine()
    image, _ = ensure_node(engine)
    validate_or_raise(load_bundle(args.config), engine, image)
    print(f"{args.config}: valid")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="vipchaos", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("images", help="make the base and node images (offline if need be)")
    s.add_argument("--base", default="debian:sid-slim")
    s.set_defaults(fn=cmd_images)
    s = sub.add_parser("up", help="bring a pair up and leave it running")
    s.add_argument("--config", default="seed", help="bundle name or directory")
    s.add_argument("--subnet", help="lab subnet to move the bundle to (e.g. 198.18.160.0/24)")
    s.set_defaults(fn=cmd_up)
    sub.add_parser("status", help="list vipchaos containers and networks").set_defaults(
        fn=cmd_status)
    for name in ("down", "clean"):
        s = sub.add_parser(name, help="remove every vipchaos container, network and host link")
        s.add_argument("--quiet", action="store_true")
        s.set_defaults(fn=cmd_clean)
    s = sub.add_parser("bench", help="bring-up/reset times, or failover stats over run dirs")
    s.add_argument("what", choices=["bringup", "failover"])
    s.add_argument("run_dirs", nargs="*", help="for failover: run directories to aggregate")
    s.add_argument("--config", default="seed")
    s.add_argument("--runs", type=int, default=5)
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
    s = sub.add_parser("report", help="re-render the report of a run directory")
    s.add_argument("run_dir")
    s.set_defaults(fn=cmd_report)
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
