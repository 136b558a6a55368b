"""No flapping: nodes becoming MASTER and taking the VIP more often than the faults explain.

Flapping is oscillation: a node going MASTER again and again, the VIP bouncing. Each fault
start, heal and operator action explains one MASTER entry per node and two VIP takes (a move
and a move back) within the run's ``migration_s`` after it. Other transitions (into BACKUP,
FAULT, STOP, a crashed VRRP child) are consequences, counted but not judged: one fault may
cascade through several of them. Anything more (a VIP bouncing under load or loss) is a
violation listing the unexplained entries."""

from __future__ import annotations

import harness.checkers.signature as sig
from harness.checkers.query import bounds, judged_events, node_names, vip_takes
from harness.checkers.verdict import Verdict, unknown
from harness.history import Event

NAME = "flapping"
PER_EVENT_MASTER, PER_EVENT_TAKES = 1, 2


def check_flapping(events: list[Event]) -> Verdict:
    events = judged_events(sorted(events, key=lambda e: e["t"]))
    bound = bounds(events).get("migration_s")
    if bound is None:
        return unknown(NAME, "the history does not say the bound (no run event)")
    causes = [e["t"] for e in events if (e["kind"] == "fault" and e.get("phase") in
                                         ("start", "healed"))
              or (e["kind"] == "action" and e.get("phase") == "start")]
    nodes = node_names(events)
    transitions = [e for e in events if e["kind"] == "vrrp" and not e.get("initial")]
    masters = [e for e in transitions if e.get("state") == "MASTER"]
    takes = [{"t": t, "node": n} for n, t in vip_takes(events)]
    budget_t = {(c, n): PER_EVENT_MASTER for c in causes for n in nodes}
    budget_v = dict.fromkeys(causes, PER_EVENT_TAKES)
    unexplained = []
    for e in masters:
        cause = next((c for c in causes if c <= e["t"] <= c + bound
                      and budget_t.get((c, e["node"]), 0) > 0), None)
        if cause is None:
            unexplained.append(e)
        else:
            budget_t[(cause, e["node"])] -= 1
    for e in takes:
        cause = next((c for c in causes if c <= e["t"] <= c + bound and budget_v[c] > 0), None)
        if cause is None:
            unexplained.append({**e, "state": "takes the VIP"})
        else:
            budget_v[cause] -= 1
    metrics = {"vrrp_transitions": len(transitions), "master_entries": len(masters),
               "vip_takes": len(takes),
               "unexplained": len(unexplained)}
    listing = [f"{e['t']:.2f}s {e['node']} {e.get('state')}" for e in unexplained]
    if unexplained:
        return Verdict(NAME, False, f"{len(unexplained)} MASTER entr(ies)/VIP move(s) no fault "
                       f"explains: {', '.join(listing[:6])}", {"unexplained": listing},
                       metrics, windows=[[e["t"], e["t"]] for e in unexplained],
                       signature=sig.unique([sig.unexplained(str(e.get("state")), e["node"])
                                             for e in unexplained]))
    return Verdict(NAME, True, f"{len(masters)} MASTER entries and {len(takes)} VIP moves "
                   f"({len(transitions)} VRRP transitions), all explained by the faults and "
                   "actions", {}, metrics)
