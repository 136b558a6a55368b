"""The run's HTML page: per test a timeline (VRRP state and VIP per node, write outcomes, fault
windows shaded), verdicts with evidence, failover time. Self-contained: inline CSS and SVG."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2

import harness.report.distributions as distributions
from harness import clientview, remedies
from harness.checkers.query import judged_events
from harness.files import RunFileError, read_json, write_atomic
from harness.history import load
from harness.report.summary import INVARIANTS, cell, gate, load_results, ordered

STATE_COLOURS = {"MASTER": "#2e9e44", "BACKUP": "#b9c0c8", "FAULT": "#f08c00", "STOP": "#d6336c",
                 "CRASH": "#862e9c"}
OP_COLOURS = {"ok": "#2e9e44", "fail": "#d6336c", "unknown": "#f0a500"}
W, LEFT, LANE = 980, 110, 22


def _x(t: float, span: float) -> float:
    return round(LEFT + (W - LEFT - 10) * t / span, 1)


def timeline_svg(events: list[dict[str, Any]], nodes: list[str]) -> str:
    """One SVG: per node a VRRP lane and a VIP lane, a writes lane, fault windows shaded."""
    events = judged_events(events)
    span = max([e["t"] for e in events] + [1.0])
    rows = [(n, kind) for n in nodes for kind in ("vrrp", "vip")] + [("writes", "ops")]
    height = 30 + LANE * len(rows) + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{height}" '
           f'class="timeline" font-family="sans-serif" font-size="11">']
    # fault windows
    opened: dict[tuple[str, str], float] = {}
    for e in events:
        if e["kind"] != "fault":
            continue
        key = (e["fault"], ",".join(e.get("nodes", [])))
        if e["phase"] == "start":
            opened[key] = e["t"]
        elif e["phase"] == "healed" and key in opened:
            a = opened.pop(key)
            out.append(_window(a, e["t"], span, height, f"{key[0]} ({key[1]})"))
    for key, a in opened.items():
        out.append(_window(a, span, span, height, f"{key[0]} ({key[1]})"))
    for i, (name, kind) in enumerate(rows):
        y = 22 + i * LANE
        label = {"vrrp": f"{name} vrrp", "vip": f"{name} VIP", "ops": "writes"}[kind]
        out.append(f'<text x="4" y="{y + 14}">{label}</text>')
        out.append(f'<rect x="{LEFT}" y="{y + 2}" width="{W - LEFT - 10}" height="{LANE - 6}" '
                   f'fill="#f4f5f7"/>')
        if kind == "vrrp":
            out += _segments([(e["t"], e["state"]) for e in events
                              if e["kind"] == "vrrp" and e["node"] == name], span, y,
                             STATE_COLOURS)
        elif kind == "vip":
            out += _segments([(e["t"], "held" if e["held"] else
                               ("unseen" if e["held"] is None else None)) for e in events
                              if e["kind"] == "vip" and e["node"] == name], span, y,
                             {"held": "#1c7ed6", "unseen": "#868e96"})
        else:
            for e in events:
                if e["kind"] == "op" and e["type"] in OP_COLOURS:
                    x = _x(e["t"], span)
                    out.append(f'<line x1="{x}" x2="{x}" y1="{y + 3}" y2="{y + LANE - 5}" '
                               f'stroke="{OP_COLOURS[e["type"]]}" stroke-width="1"/>')
    axis_y = 22 + len(rows) * LANE + 4
    step = max(1, round(span / 20))
    for s in range(0, int(span) + 1, step):
        x = _x(s, span)
        out.append(f'<line x1="{x}" x2="{x}" y1="{axis_y - 3}" y2="{axis_y + 3}" stroke="#555"/>'
                   f'<text x="{x}" y="{axis_y + 15}" text-anchor="middle">{s}s</text>')
    out.append("</svg>")
    return "\n".join(out)


def _window(a: float, b: float, span: float, height: int, label: str) -> str:
    x1, x2 = _x(a, span), _x(b, span)
    return (f'<rect x="{x1}" y="14" width="{max(x2 - x1, 1)}" height="{height - 40}" '
            f'fill="#ffd43b" opacity="0.25"/><text x="{x1 + 3}" y="11" fill="#8a6d00">'
            f'{jinja2.filters.escape(label)}</text>')


def _segments(changes: list[tuple[float, str | None]], span: float, y: int,
              colours: dict[str, str]) -> list[str]:
    out = []
    for i, (t, state) in enumerate(changes):
        end = changes[i + 1][0] if i + 1 < len(changes) else span
        if state is None or state not in colours:
            continue
        x1, x2 = _x(t, span), _x(end, span)
        out.append(f'<rect x="{x1}" y="{y + 3}" width="{max(x2 - x1, 1)}" height="{LANE - 8}" '
                   f'fill="{colours[state]}"><title>{state} from {t:.2f}s</title></rect>')
    return out


def render_html(run_dir: Path) -> Path:
    run_dir = Path(run_dir)
    results = ordered(load_results(run_dir))
    tests = []
    for r in results:
        hist_file = run_dir / r["_dir"] / "history.jsonl" if r.get("_dir") else None
        try:
            events = load(hist_file) if hist_file and hist_file.exists() else []
        except RunFileError as exc:  # shown on the page; the report goes on
            events = []
            r = {**r, "outcome": "unknown", "judgement": {
                **(r.get("judgement") or {}),
                "reasons": [*(r.get("judgement") or {}).get("reasons", []),
                            f"unknown: its history cannot be read: {exc}"]}}
        nodes = r.get("nodes") or sorted({e["node"] for e in events if "node" in e and
                                          e["kind"] in ("vip", "vrrp")})
        tests.append({
            "r": r, "svg": timeline_svg(events, nodes) if events else "",
            "cells": {i: cell(r, i) for i in INVARIANTS},
            "evidence": json.dumps({v["invariant"]: v.get("evidence")
                                    for v in r.get("verdicts", [])}, indent=1,
                                   default=str)[:20000],
        })
    warnings = [w for f in sorted(run_dir.glob("validation-*.json"))
                for w in _warnings(f)]
    env = jinja2.Environment(loader=jinja2.PackageLoader("harness", "report"),
                             autoescape=True)
    rows = distributions.stats(results)
    html = env.get_template("page.html.j2").render(
        tests=tests, run=run_dir.name, gate=gate(results), warnings=warnings, invariants=INVARIANTS,
        states=STATE_COLOURS, ops=OP_COLOURS, dist_rows=rows,
        dist_svg=distributions.strip_plot(rows), matrix=distributions.matrix(results),
        remedies=remedies.for_results(results), clients=clientview.aggregate(results))
    return write_atomic(run_dir / "index.html", html)


def _warnings(path: Path) -> list[str]:
    try:
        return list(read_json(path).get("warnings", []))
    except (RunFileError, AttributeError) as exc:
        return [str(exc)]
