"""Distributions, not anecdotes: per fault and bundle, n / p50 / p95 / max of failover seconds,
write gap and dual-ownership seconds over every result of a run (repeated with ``--repeat N`` or
``vipchaos bench failover --runs N``), as a table, an SVG strip plot (bundles side by side per
fault) and a bundle-by-fault outcome matrix.

Timestamp precision: VIP ownership is sampled every 20 ms; VRRP states and check results carry
keepalived's own nanosecond stamps; write outcomes are stamped when the client sees them. A
failover figure is therefore good to about +-20 ms.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from harness.stats import spread

METRICS = ("failover_s", "write_gap_s", "dual_owner_s")
PALETTE = ("#1c7ed6", "#e8590c", "#2b8a3e", "#862e9c", "#c92a2a")


def fault_of(r: dict[str, Any]) -> str:
    """The scenario a result repeats (``kill-mysqld-owner``; repetition suffixes dropped), so
    a fault on the owner and the same fault on the standby are not mixed."""
    return re.sub(r"-(rep|run)\d+$", "", r.get("test") or r.get("fault") or "?")


def stats(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (fault, bundle): n and p50/p95/max of each metric, outcomes seen."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        if r.get("outcome") == "skipped":
            continue
        groups[(fault_of(r), r.get("bundle", "?"))].append(r)
    rows = []
    for (fault, bundle), rs in sorted(groups.items()):
        row: dict[str, Any] = {"fault": fault, "bundle": bundle, "n": len(rs),
                               "outcomes": sorted({str(r.get("outcome")) for r in rs})}
        for m in METRICS:
            vals = [r[m] for r in rs if r.get(m) is not None]
            row[m] = {**spread(vals), "values": vals}
        rows.append(row)
    return rows


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def stats_table(rows: list[dict[str, Any]]) -> str:
    head = (f"{'scenario':30} {'bundle':18} {'n':>3}  "
            + "  ".join(f"{m[:-2]:>20}" for m in METRICS) + "  outcomes")
    sub = f"{'':30} {'':18} {'':>3}  " + "  ".join(f"{'p50   p95   max':>20}" for _ in METRICS)
    lines = [head, sub, "-" * len(head)]
    for r in rows:
        cells = "  ".join(f"{_f(r[m]['p50']):>6}{_f(r[m]['p95']):>7}{_f(r[m]['max']):>7}"
                          for m in METRICS)
        lines.append(f"{r['fault'][:30]:30} {r['bundle'][:18]:18} {r['n']:>3}  {cells}  "
                     + ",".join(r["outcomes"]))
    return "\n".join(lines)


def strip_plot(rows: list[dict[str, Any]], metric: str = "failover_s") -> str:
    """SVG: one band per fault, one strip per bundle (points = runs, tick = p50)."""
    rows = [r for r in rows if r[metric]["values"]]
    if not rows:
        return ""
    bundles = sorted({r["bundle"] for r in rows})
    faults = sorted({r["fault"] for r in rows})
    top = max(max(r[metric]["values"]) for r in rows) or 1.0
    left, width, band = 170, 760, 16 * len(bundles) + 10
    height = 30 + band * len(faults) + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 20}" '
           f'height="{height}" font-family="sans-serif" font-size="11" class="dist">']

    def x(v: float) -> float:
        return round(left + width * v / top, 1)

    for i, fault in enumerate(faults):
        y0 = 20 + i * band
        out.append(f'<text x="4" y="{y0 + band / 2 + 4}">{fault}</text>')
        out.append(f'<line x1="{left}" x2="{left + width}" y1="{y0 + band}" y2="{y0 + band}" '
                   'stroke="#e3e6ea"/>')
        for j, b in enumerate(bundles):
            r = next((r for r in rows if r["fault"] == fault and r["bundle"] == b), None)
            if r is None:
                continue
            y = y0 + 8 + j * 16
            colour = PALETTE[j % len(PALETTE)]
            for v in r[metric]["values"]:
                out.append(f'<circle cx="{x(v)}" cy="{y}" r="3" fill="{colour}" '
                           f'fill-opacity="0.6"><title>{b}: {v:.2f} s</title></circle>')
            p50 = r[metric]["p50"]
            out.append(f'<line x1="{x(p50)}" x2="{x(p50)}" y1="{y - 6}" y2="{y + 6}" '
                       f'stroke="{colour}" stroke-width="2"><title>{b} p50 {p50:.2f} s, '
                       f'p95 {r[metric]["p95"]:.2f} s, n={r[metric]["n"]}</title></line>')
    axis = 20 + band * len(faults) + 6
    step = max(1, round(top / 10))
    for s in range(0, int(top) + 1, step):
        out.append(f'<text x="{x(s)}" y="{axis + 12}" text-anchor="middle">{s}s</text>')
    for j, b in enumerate(bundles):
        out.append(f'<text x="{left + 120 * j}" y="12" fill="{PALETTE[j % len(PALETTE)]}">'
                   f'&#9679; {b}</text>')
    out.append("</svg>")
    return "\n".join(out)


def matrix(results: list[dict[str, Any]]) -> dict[str, Any]:
    """{bundles, faults, cells[(fault, bundle)] = "pass 3, accepted 1"} for a bundle-by-fault
    table of outcomes."""
    bundles = sorted({r.get("bundle", "?") for r in results})
    faults = sorted({fault_of(r) for r in results})
    cells: dict[str, dict[str, str]] = {f: {} for f in faults}
    for f in faults:
        for b in bundles:
            outs = [str(r.get("outcome")) for r in results
                    if fault_of(r) == f and r.get("bundle", "?") == b]
            cells[f][b] = ", ".join(f"{o} {outs.count(o)}" if outs.count(o) > 1 else o
                                    for o in sorted(set(outs)))
    return {"bundles": bundles, "faults": faults, "cells": cells}
