"""Benchmarks that can be re-run later: bring-up and reset times of the real pair."""

from __future__ import annotations

import statistics
import time

from harness.cluster import Cluster
from harness.config import load_bundle
from harness.engine import Engine
from harness.images import ensure_node


def bench_bringup(bundle: str = "seed", runs: int = 5, log=print) -> dict[str, float]:
    """Bring the pair up ``runs`` times (warm images) and reset it ``runs`` times."""
    engine = Engine()
    image, image_s = ensure_node(engine, log=log)
    b = load_bundle(bundle)
    bringups, resets = [], []
    for i in range(runs):
        with Cluster(engine, b, image) as c:
            bringups.append(c.timings["bringup_s"])
            log(f"bring-up {i + 1}/{runs}: {c.timings['bringup_s']:.2f} s "
                f"(mysqld answering after {c.timings['mysqld_s']:.2f} s)")
            if i == runs - 1:
                for j in range(runs):
                    t = time.monotonic()
                    c.reset()
                    resets.append(round(time.monotonic() - t, 2))
                    log(f"reset {j + 1}/{runs}: {resets[-1]:.2f} s")
    result = {
        "image_check_s": round(image_s, 2),
        "bringup_median_s": statistics.median(bringups), "bringup_max_s": max(bringups),
        "reset_median_s": statistics.median(resets), "reset_max_s": max(resets),
    }
    log("  ".join(f"{k}={v}" for k, v in result.items()))
    return result


def failover_stats(run_dirs: list) -> str:
    """Per bundle and test across runs: failover and dual-ownership median/max, outcomes."""
    from harness.report.summary import load_results
    rows: dict[tuple[str, str], list[dict]] = {}
    for d in run_dirs:
        for r in load_results(d):
            rows.setdefault((r["bundle"], r["test"]), []).append(r)

    def stat(values: list) -> str:
        vals = [v for v in values if v is not None]
        return f"{statistics.median(vals):6.2f} {max(vals):6.2f}" if vals else f"{'-':>6} {'-':>6}"

    out = [f"{'bundle':9} {'test':32} {'runs':>4}  failover med/max  dual med/max  outcomes"]
    for (bundle, test), rs in sorted(rows.items()):
        outcomes = ",".join(sorted({r["outcome"] for r in rs}))
        out.append(f"{bundle:9} {test[:32]:32} {len(rs):>4}  {stat([r['failover_s'] for r in rs])}"
                   f"     {stat([r['dual_owner_s'] for r in rs])}  {outcomes}")
    return "\n".join(out)
