"""VIP migration: after a fault that takes away the owner's ability to serve, a healthy node
holds the VIP and a write through it succeeds, within the run's ``migration_s`` bound (derived
from the config: check interval x fall + timeout + master-down interval + margin).

For faults that leave the owner able to serve (``removes_service`` false, or a fault on the
standby) the checker asserts that service goes on: the longest stretch without an acknowledged
write inside the fault window stays within the bound.

Evidence comes from the history only: fault events (with ``owner_at_start`` and
``removes_service``), VIP observations with their coverage, and write outcomes. No write attempt
where one was needed, or VIP observation missing in the window, is *unknown*.
"""

from __future__ import annotations

import itertools
from typing import Any

import harness.checkers.gtid as gtid
import harness.checkers.signature as sig
from harness.checkers.query import (
    DEFAULT_GAP_S,
    bounds,
    describe,
    final_state,
    judged_events,
    node_names,
    observation_end,
    unobserved,
)
from harness.checkers.verdict import Verdict, combine, unknown
from harness.history import Event

NAME = "migration"


def check_migration(events: list[Event]) -> Verdict:
    events = judged_events(sorted(events, key=lambda e: e["t"]))
    starts = [e for e in events if e["kind"] == "fault" and e.get("phase") == "start"]
    if not starts:
        return unknown(NAME, "no fault started in the history")
    b = bounds(events)
    if "migration_s" not in b:
        return unknown(NAME, "the history does not say the migration bound (no run event)")
    bound = b["migration_s"]
    end = observation_end(events)
    verdicts = [_one(events, f, bound, end, b.get("observer_gap_s", DEFAULT_GAP_S))
                for f in starts]
    valid = combine(verdicts)
    worst = next((v for v in verdicts if v.valid is valid), verdicts[0])
    # figures of the faults that had to move the VIP first (failover, lag at promotion), then
    # the others' (write gap)
    metrics: dict[str, Any] = {}
    for v in sorted(verdicts, key=lambda v: not v.evidence.get("must_move")):
        for k, x in v.metrics.items():
            if metrics.get(k) is None:
                metrics[k] = x
    metrics["faults"] = len(verdicts)
    return Verdict(NAME, valid, worst.summary if len(verdicts) == 1 else
                   "; ".join(v.summary for v in verdicts),
                   {"per_fault": [v.evidence for v in verdicts]}, metrics,
                   windows=[w for v in verdicts if v.valid is False for w in v.windows],
                   signature=sig.unique([p for v in verdicts if v.valid is False
                                         for p in v.signature]))


def _heal_time(events: list[Event], start: Event, end: float | None) -> float | None:
    key = start.get("step", start.get("fault"))
    return next((e["t"] for e in events if e["kind"] == "fault" and e.get("phase") == "healed"
                 and e.get("step", e.get("fault")) == key and e["t"] >= start["t"]), end)


def _one(events: list[Event], start: Event, bound: float, end: float, max_gap: float) -> Verdict:
    t0 = start["t"]
    faulted = start.get("nodes") or []
    owner = start.get("owner_at_start")
    must_move = bool(start.get("removes_service")) and owner in faulted
    heal = _heal_time(events, start, None)
    healed = end if heal is None else heal
    oks = [e for e in events if e["kind"] == "op" and e["type"] == "ok"]
    invokes = [e for e in events if e["kind"] == "op" and e["type"] == "invoke"]
    cap = min(healed, end)
    if heal is None:
        # never healed (held for good, or on a node lost for good): it lasts to the end of
        # the observation, but the workload stopped before that; its gap ends with the writes
        cap = min(cap, max([t0, *(e["t"] for e in events if e["kind"] == "op")]))
    gap = _write_gap(oks, t0, cap)
    metrics: dict[str, Any] = {"failover_s": None, "vip_moved_s": None, "write_gap_s": gap,
                               "bound_s": bound}
    evidence: dict[str, Any] = {"fault": start.get("fault"), "fault_start": t0,
                                "healed": healed, "faulted": faulted, "owner_at_start": owner,
                                "bound_s": bound, "must_move": must_move}
    window_end = min(t0 + bound, end)
    unseen = [w for n in node_names(events) for w in unobserved(events, n, t0, window_end,
                                                                 max_gap)]
    if must_move:
        moved = next((e for e in events if e["kind"] == "vip" and e["t"] >= t0 and e["held"]
                      and e["node"] not in faulted), None)
        if moved is None or moved["t"] > healed:
            if unseen:
                return Verdict(NAME, None, f"unknown: the VIP was not observed at "
                               f"{describe(unseen)}", evidence, metrics)
            why = "never moved" if moved is None else \
                f"moved only after the heal (t={moved['t']:.2f}s)"
            return Verdict(NAME, False, f"{start['fault']}: the VIP {why} off {faulted} "
                           f"(bound {bound:.1f} s)", evidence, metrics,
                           windows=[[t0, min(healed, end)]],
                           signature=[sig.never_moved(faulted) if moved is None
                                      else sig.moved_after_heal(faulted)])
        metrics["vip_moved_s"] = round(moved["t"] - t0, 3)
        evidence["new_owner"] = moved["node"]
        served = next((e for e in oks if e["t"] >= moved["t"] and e.get("node") == moved["node"]),
                      None)
        if served is None:
            tried = [e for e in invokes if e["t"] >= moved["t"]]
            if not tried:
                return Verdict(NAME, None, "unknown: no write was attempted after the VIP moved",
                               evidence, metrics)
            return Verdict(NAME, False, f"{start['fault']}: the VIP moved to {moved['node']} "
                           f"after {metrics['vip_moved_s']:.1f} s but no write succeeded "
                           "through it", evidence, metrics, windows=[[moved["t"], end]],
                           signature=[sig.no_write_through(moved["node"])])
        metrics["failover_s"] = round(served["t"] - t0, 3)
        evidence["first_write_after"] = served["id"]
        metrics.update(lag_at_promotion(events, moved))
        ok = metrics["failover_s"] <= bound
        return Verdict(NAME, ok, f"{start['fault']}: failover to {moved['node']} in "
                       f"{metrics['failover_s']:.2f} s ({'within' if ok else 'over'} the "
                       f"{bound:.1f} s bound)", evidence, metrics,
                       windows=[] if ok else [[t0, served["t"]]],
                       signature=[] if ok else [sig.FAILOVER_OVER_BOUND])
    if not [e for e in invokes if t0 <= e["t"] <= healed]:
        return Verdict(NAME, None, "unknown: no write was attempted during the fault",
                       evidence, metrics)
    served = next((e for e in oks if e["t"] > t0), None)
    if served is not None:
        metrics["failover_s"] = round(served["t"] - t0, 3)
    ok = gap is not None and gap <= bound
    return Verdict(NAME, ok, f"{start['fault']}: service went on: longest stretch without an "
                   f"acknowledged write {gap:.2f} s ({'within' if ok else 'over'} the "
                   f"{bound:.1f} s bound)", evidence, metrics,
                   windows=[] if ok else [[t0, min(healed, end)]],
                   signature=[] if ok else [sig.GAP_OVER_BOUND])


def lag_at_promotion(events: list[Event], moved: Event) -> dict[str, Any]:
    """Replication lag at the instant the new owner took the VIP: its backlog (retrieved but
    not executed transactions) and the writes acknowledged before that instant it did not
    hold then, classified by the final state: arrived late (applied after promotion) or lost."""
    promo = next((e for e in events if e["kind"] == "promotion" and e["node"] == moved["node"]
                  and e.get("took_at") == moved["t"] and "ids" in e), None)
    if promo is None:
        return {}
    backlog = gtid.parse(gtid.difference(promo.get("retrieved") or "",
                                         promo.get("executed") or ""))
    acked = {e["id"] for e in events if e["kind"] == "op" and e["type"] == "ok"
             and e["t"] <= moved["t"]}
    missing = acked - set(promo["ids"])
    final = final_state(events) or {}
    nodes = final.get("nodes") or {}
    later = set((nodes.get(moved["node"]) or {}).get("write_ids") or [])
    elsewhere = {i for n, s in nodes.items() if n != moved["node"]
                 for i in (s or {}).get("write_ids") or []}
    duplicate_key = any(e["kind"] == "repl" and (e.get("sql_errno") == 1062 or "1062" in (
        e.get("sql_error") or "") or "Duplicate entry" in (e.get("sql_error") or ""))
        for e in events)
    absent = missing - later
    conflicting = absent & elsewhere if duplicate_key else set()
    return {"backlog_at_promotion": sum(b - a + 1 for iv in backlog.values() for a, b in iv),
            "missing_at_promotion": len(missing), "arrived_late": len(missing & later),
            "conflicting": len(conflicting),
            "lost_at_promotion": len(absent - conflicting) if later else None}


def _write_gap(oks: list[Event], t0: float, end: float) -> float:
    """Longest stretch without an ok write that overlaps [t0, end]."""
    times = [e["t"] for e in oks]
    before = [t for t in times if t <= t0]
    inside = [t for t in times if t0 < t < end]
    marks = [before[-1] if before else t0, *inside, end]
    return round(max(b - a for a, b in itertools.pairwise(marks)), 3) \
        if len(marks) > 1 else 0.0
