"""VIP migration: after a fault that takes away the owner's ability to serve, a healthy node
holds the VIP and a write through it succeeds, within a bound derived from the config.

For faults that do not take service away (``must_move=False``) the same checker asserts that
writes keep succeeding: an ok write within the bound after the fault started.
"""

from __future__ import annotations

from harness.checkers.verdict import Verdict, unknown
from harness.history import Event


def check_migration(events: list[Event], *, faulted: list[str], bound_s: float,
                    must_move: bool = True, fault_start: float | None = None) -> Verdict:
    """``fault_start`` picks the fault to time from (default: the first one started)."""
    name = "migration"
    events = sorted(events, key=lambda e: e["t"])
    starts = [e for e in events if e["kind"] == "fault" and e["phase"] == "start"]
    if not starts:
        return unknown(name, "no fault start in the history")
    t0 = starts[0]["t"] if fault_start is None else fault_start
    held: dict[str, bool] = {}
    for e in events:
        if e["kind"] == "vip" and e["t"] <= t0:
            held[e["node"]] = e["held"]
    owner_before = sorted(n for n, h in held.items() if h)
    oks = [e for e in events if e["kind"] == "op" and e["type"] == "ok"]
    end = events[-1]["t"]
    metrics: dict[str, float | None] = {"failover_s": None, "vip_moved_s": None,
                                        "write_gap_s": _write_gap(oks, t0, end),
                                        "bound_s": bound_s}
    evidence = {"fault_start": t0, "faulted": faulted, "owner_before": owner_before,
                "bound_s": bound_s, "must_move": must_move}
    if must_move:
        moved = next((e for e in events if e["kind"] == "vip" and e["t"] >= t0 and e["held"]
                      and e["node"] not in faulted), None)
        if moved is None:
            held_after = {n: h for n, h in held.items()}
            return Verdict(name, False, f"the VIP never moved off {faulted} "
                           f"(bound {bound_s:.1f} s)", {**evidence, "held": held_after}, metrics)
        metrics["vip_moved_s"] = round(moved["t"] - t0, 3)
        evidence["new_owner"] = moved["node"]
        served = next((e for e in oks if e["t"] >= moved["t"] and e.get("node") == moved["node"]),
                      None)
        if served is None:
            return Verdict(name, False, f"VIP moved to {moved['node']} after "
                           f"{metrics['vip_moved_s']:.1f} s but no write succeeded through it",
                           evidence, metrics)
        metrics["failover_s"] = round(served["t"] - t0, 3)
        evidence["first_write_after"] = served["id"]
        ok = metrics["failover_s"] <= bound_s
        return Verdict(name, ok, f"failover to {moved['node']} in {metrics['failover_s']:.1f} s "
                       f"({'within' if ok else 'over'} the {bound_s:.1f} s bound)",
                       evidence, metrics)
    served = next((e for e in oks if e["t"] > t0), None)
    if served is None:
        return Verdict(name, False, "no write succeeded after the fault started",
                       evidence, metrics)
    metrics["failover_s"] = round(served["t"] - t0, 3)
    gap = metrics["write_gap_s"] or 0.0
    ok = gap <= bound_s
    return Verdict(name, ok, f"service went on: longest stretch without a successful write "
                   f"{gap:.1f} s ({'within' if ok else 'over'} the {bound_s:.1f} s bound)",
                   evidence, metrics)


def _write_gap(oks: list[Event], t0: float, end: float) -> float | None:
    """Longest stretch without an ok write that overlaps [t0, end]."""
    times = [e["t"] for e in oks]
    if not times:
        return round(end - t0, 3)
    gaps = [b - a for a, b in zip([min(t0, times[0]), *times], [*times, end], strict=True)
            if b >= t0]
    return round(max(gaps), 3) if gaps else None
