"""What a history says about itself: the run's declared nodes and bounds, when observation
started and ended, and the stretches an observer did not cover (gaps between its beats).

Checkers use these to tell "held" from "nobody looked": a stretch without observation is
*unknown*, never a pass.
"""

from __future__ import annotations

import itertools
from typing import Any

from harness.history import Event

DEFAULT_GAP_S = 1.0


def run_info(events: list[Event]) -> dict[str, Any]:
    return next((e for e in events if e["kind"] == "run"), {})


def bounds(events: list[Event]) -> dict[str, float]:
    return run_info(events).get("bounds") or {}


def node_names(events: list[Event]) -> list[str]:
    run = run_info(events)
    if run.get("nodes"):
        return [n["name"] for n in run["nodes"]]
    return sorted({e["node"] for e in events if e["kind"] == "vip"})


def priorities(events: list[Event]) -> dict[str, int]:
    return {n["name"]: n.get("priority", 0) for n in run_info(events).get("nodes") or []}


def final_state(events: list[Event]) -> dict[str, Any] | None:
    return next((e for e in reversed(events) if e["kind"] == "final"), None)


def observation_end(events: list[Event]) -> float:
    """When watching stopped: the final-state event if there is one, else the last event."""
    fin = final_state(events)
    if fin is not None:
        return fin["t"]
    return max((e["t"] for e in events), default=0.0)


def gaps(events: list[Event], observer: str, node: str | None, start: float, end: float,
         max_gap: float) -> list[list[float]]:
    """Stretches within [start, end] longer than ``max_gap`` without a beat of ``observer``
    for ``node``: nobody watched there."""
    ts = sorted(e["t"] for e in events if e["kind"] == "beat"
                and e.get("observer") == observer and e.get("node") == node)
    before = [b for b in ts if b <= start]
    after = [b for b in ts if b >= end]
    inside = [b for b in ts if start < b < end]
    marks = [before[-1] if before else start, *inside, after[0] if after else end]
    return [[round(max(a, start), 3), round(min(b, end), 3)]
            for a, b in itertools.pairwise(marks) if b - a > max_gap]


def describe(windows: list[list[float]]) -> str:
    return ", ".join(f"{a:.2f}-{b:.2f}s" for a, b in windows[:4]) + \
        (f" (+{len(windows) - 4} more)" if len(windows) > 4 else "")
