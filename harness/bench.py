"""Benchmarks that can be re-run later: bring-up and reset times of the real pair, and failover
distributions (n, p50, p95, max) per fault and bundle."""

from __future__ import annotations

import logging
import statistics
import time
from pathlib import Path

from harness.api import DualMasterPair, bring_up
from harness.bundle import load_bundle
from harness.engine import Engine
from harness.images import ensure_node
from harness.report import distributions, write_all
from harness.report.summary import load_results

log = logging.getLogger("vipchaos")


def bench_bringup(bundle: str = "seed", runs: int = 5) -> dict[str, float]:
    """Bring the pair up ``runs`` times (warm images) and reset it ``runs`` times."""
    engine = Engine()
    b = load_bundle(bundle)
    image, image_s = ensure_node(engine, log=log.info, platform=b.platform)
    bringups, resets = [], []
    for i in range(runs):
        c = bring_up(engine, image, b)
        try:
            bringups.append(c.timings["bringup_s"])
            log.info("bring-up %d/%d: %.2f s (mysqld answering after %.2f s)", i + 1, runs,
                     c.timings["bringup_s"], c.timings["mysqld_s"])
            if i == runs - 1:
                for j in range(runs):
                    t = time.monotonic()
                    c.reset()
                    resets.append(round(time.monotonic() - t, 2))
                    log.info("reset %d/%d: %.2f s", j + 1, runs, resets[-1])
        finally:
            c.down()
    result = {
        "image_check_s": round(image_s, 2),
        "bringup_median_s": statistics.median(bringups), "bringup_max_s": max(bringups),
        "reset_median_s": statistics.median(resets), "reset_max_s": max(resets),
    }
    log.info("  ".join(f"{k}={v}" for k, v in result.items()))
    return result


def bench_failover(bundles: list[str], fault: str, target: str, runs: int,
                   run_dir: Path) -> str:
    """``runs`` repetitions of one fault per bundle (a reset between runs); results land in
    ``run_dir`` (its report shows the distributions). Returns the stats table."""
    for name in bundles:
        with DualMasterPair(name, run_dir=run_dir) as pair:
            for i in range(runs):
                r = pair.chaos(fault, target)
                log.info("%s %s %d/%d: %s failover %s s", name, fault, i + 1, runs, r.outcome,
                         r.to_dict()["failover_s"])
    write_all(run_dir)
    return failover_stats([run_dir])


def failover_stats(run_dirs: list) -> str:
    """n, p50, p95, max of failover, write gap and dual ownership per fault and bundle."""
    results = [r for d in run_dirs for r in load_results(d)]
    return distributions.stats_table(distributions.stats(results))
