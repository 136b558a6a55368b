"""Redundancy restored: after the runbook's restore, within the run's ``bringup_s`` bound, the
pair could fail over again: both keepalived running, exactly one MASTER and one BACKUP, one VIP
owner, every tracked check passing on both, both replication channels running. A pair that
looks healthy but would not fail over again is a failure with evidence."""

from __future__ import annotations

import harness.checkers.signature as sig
from harness.checkers.query import (
    bounds,
    findings_in,
    judged_events,
    node_names,
    observation_end,
    problems_in,
    run_info,
    state_at,
)
from harness.checkers.verdict import Verdict, unknown
from harness.history import Event

NAME = "redundancy"


def restores(events: list[Event]) -> list[Event]:
    return [e for e in events if e["kind"] == "action" and e.get("action") == "restore"
            and e.get("phase") in ("done", "failed")]


def check_redundancy(events: list[Event]) -> Verdict:
    events = judged_events(sorted(events, key=lambda e: e["t"]))
    rs = restores(events)
    if not rs:
        return unknown(NAME, "no restore in the history")
    bound = bounds(events).get("bringup_s")
    if bound is None:
        return unknown(NAME, "the history does not say the bound (no run event)")
    nodes, checks = node_names(events), run_info(events).get("checks")
    end = observation_end(events)
    times, bad = [], []
    marks = sorted({e["t"] for e in events if e["kind"] in ("vip", "proc", "check", "vrrp",
                                                            "repl")})
    for r in rs:
        nxt = next((e["t"] for e in events if e["kind"] == "fault" and e.get("phase") == "start"
                    and e["t"] > r["t"]), end)
        deadline = min(r["t"] + bound, nxt, end)
        candidates = [r["t"], *(t for t in marks if r["t"] < t < deadline), deadline]
        ok_at = next((t for t in candidates
                      if not problems_in(state_at(events, t, nodes), None, checks)), None)
        if ok_at is None:
            if deadline - r["t"] < bound and deadline == end:
                return unknown(NAME, f"the run ended {end - r['t']:.1f} s after the restore of "
                               f"{r['node']}, before the {bound:.1f} s bound")
            bad.append((r, deadline, findings_in(state_at(events, deadline, nodes), None,
                                                  checks)))
        else:
            times.append(round(ok_at - r["t"], 3))
    metrics = {"restored_after_s": max(times) if times else None, "restores": len(rs),
               "bound_s": bound}
    if bad:
        r, deadline, found = bad[0]
        why = [t for t, _ in found if t]
        # judged where the next fault began when it came before the bound
        when = f"{deadline - r['t']:.1f} s after restoring {r['node']}" + (
            ", when the next fault began," if deadline < r["t"] + bound else "")
        return Verdict(NAME, False, f"{when} the pair was not redundant: {'; '.join(why[:4])}",
                       {"problems": why, "restore_at": r["t"]}, metrics,
                       windows=[[x["t"], d] for x, d, _ in bad],
                       signature=sig.unique([p for _, _, f in bad for _, p in f]))
    return Verdict(NAME, True, f"redundant again {max(times):.1f} s after the restore "
                   "(both keepalived, one MASTER + one BACKUP, checks and channels fine)",
                   {"restored_after_s": times}, metrics)
