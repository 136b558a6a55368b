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
    cluster = Cluster(engine, load_bundle(args.config), image, log=print)
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
    from harness.bench import bench_bringup
    bench_bringup(args.config, args.runs)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="vipchaos", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("images", help="make the base and node images (offline if need be)")
    s.add_argument("--base", default="debian:sid-slim")
    s.set_defaults(fn=cmd_images)
    s = sub.add_parser("up", help="bring a pair up and leave it running")
    s.add_argument("--config", default="seed", help="bundle name or directory")
    s.set_defaults(fn=cmd_up)
    sub.add_parser("status", help="list vipchaos containers and networks").set_defaults(
        fn=cmd_status)
    for name in ("down", "clean"):
        s = sub.add_parser(name, help="remove every vipchaos container, network and host link")
        s.add_argument("--quiet", action="store_true")
        s.set_defaults(fn=cmd_clean)
    s = sub.add_parser("bench", help="measure bring-up and reset times")
    s.add_argument("what", choices=["bringup"])
    s.add_argument("--config", default="seed")
    s.add_argument("--runs", type=int, default=5)
    s.set_defaults(fn=cmd_bench)
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
