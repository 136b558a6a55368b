"""Benchmarks that can be re-run later: bring-up and reset times of the real pair, and failover
distributions (n, p50, p95, max) per fault and bundle."""

from __future__ import annotations

import logging
import statistics
import time
from pathlib import Path

from harness import clientview
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
                   run_dir: Path, clients: list[str] | None = None) -> str:
    """``runs`` repetitions of one fault per bundle (a reset between runs), with the client
    profiles ``clients``; results land in ``run_dir`` (its report shows the distributions).
    Returns the stats tables."""
    for name in bundles:
        with DualMasterPair(name, run_dir=run_dir) as pair:
            for i in range(runs):
                r = pair.chaos(fault, target, clients=clients or ["direct"])
                log.info("%s %s %d/%d: %s failover %s s", name, fault, i + 1, runs, r.outcome,
                         r.to_dict()["failover_s"])
    write_all(run_dir)
    return failover_stats([run_dir])


def failover_stats(run_dirs: list) -> str:
    """n, p50, p95, max of failover, write gap and dual ownership per fault and bundle; and,
    when client profiles ran, their downtime per bundle, fault and profile."""
    results = [r for d in run_dirs for r in load_results(d)]
    table = distributions.stats_table(distributions.stats(results))
    clients = client_stats_table(results)
    return f"{table}\n\n{clients}" if clients else table


def client_stats_table(results: list[dict]) -> str:
    """Per bundle, fault and client profile: client-visible downtime (n, p50, p95, max),
    errors by kind, writes on a non-owner, stale reads, the router's ARP lag. Empty when only
    the direct writer ran."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in results:
        if len(r.get("clients") or {}) > 1:
            groups.setdefault((r.get("bundle") or "?", r.get("fault") or "-"), []).append(r)
    if not groups:
        return ""
    rows = [("bundle", "fault", "profile", "n", "p50", "p95", "max", "non-owner", "stale",
             "arp lag max", "errors")]
    for (bundle, fault), rs in sorted(groups.items()):
        for profile, a in clientview.aggregate(rs).items():
            d, lag = a["downtime_s"], a.get("arp_lag_s") or {"n": 0}
            rows.append((bundle, fault, profile, str(d["n"]),
                         *(f"{d[q]:.2f}" if d["n"] else "-" for q in ("p50", "p95", "max")),
                         str(a["writes_on_non_owner"]), str(a["stale_reads"]),
                         f"{lag['max']:.2f}" if lag["n"] else "-",
                         ", ".join(f"{k} {n}" for k, n in a["errors"].items()) or "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows)
