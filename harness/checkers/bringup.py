"""Bring-up, judged like a fault: within the run's ``bringup_s`` bound (mysqld start + check
detection + master-down interval + margin), the pair is as its operator intends:

- exactly one node holds the VIP, and it is the highest-priority node;
- keepalived runs on both nodes (process observation);
- every check script keepalived reported on passes on both nodes (keepalived's own log);
- both replication channels run.

A config that cannot come up so gets a FAIL with keepalived's log lines and VRRP transitions as
evidence, instead of a setup error.
"""

from __future__ import annotations

import harness.checkers.signature as sig
from harness.checkers.query import (
    bounds,
    findings_in,
    judged_events,
    node_names,
    observation_end,
    phrases,
    priorities,
    problems_in,
    run_info,
    state_at,
)
from harness.checkers.verdict import Verdict, unknown
from harness.history import Event

NAME = "bringup"


def check_bringup(events: list[Event]) -> Verdict:
    events = judged_events(sorted(events, key=lambda e: e["t"]))
    nodes = node_names(events)
    prios = priorities(events)
    b = bounds(events)
    if not nodes or not prios or "bringup_s" not in b:
        return unknown(NAME, "the history does not say the nodes, priorities and bring-up bound")
    intended = max(nodes, key=lambda n: prios.get(n, 0))
    expected = run_info(events).get("checks") or {}
    t0 = next((e["t"] for e in events if e["kind"] == "phase" and e.get("name") == "bring-up"),
              0.0)
    end = observation_end(events)
    deadline = min(t0 + b["bringup_s"], end)
    observed = [e for e in events if e["kind"] in ("vip", "proc", "repl")]
    if not observed:
        return unknown(NAME, "nothing was observed during bring-up")
    first_ok = next((e["t"] for e in events if e["kind"] in ("vip", "proc", "check", "repl")
                     and t0 <= e["t"] <= end and not problems_in(state_at(events, e["t"], nodes),
                                                                  intended, expected)), None)
    final_st = state_at(events, end, nodes)
    seen_wrong = problems_in(final_st, intended, expected, strict=False)
    unseen = [n for n, st in final_st.items() if None in (st["keepalived"], st["vip"], st["io"])]
    if unseen and not seen_wrong:
        return unknown(NAME, f"the processes, addresses or channels of {unseen} were never "
                       "observed")
    found = findings_in(final_st, intended, expected, strict=not unseen)
    at_end = [t for t, _ in found if t]
    evidence = {
        "intended_owner": intended, "bound_s": b["bringup_s"],
        "vrrp": [{"t": e["t"], "node": e["node"], "state": e["state"]} for e in events
                 if e["kind"] == "vrrp"][:20],
        "keepalived_log": {n: [f"{e['t']:.2f}s {e['text']}" for e in events
                               if e["kind"] == "klog" and e.get("node") == n][-15:]
                           for n in nodes},
        "problems_at_end": at_end}
    metrics = {"ready_s": round(first_ok - t0, 3) if first_ok is not None else None}
    if first_ok is not None and first_ok <= deadline and not at_end:
        return Verdict(NAME, True, f"up as intended ({intended} owns the VIP, keepalived and "
                       f"checks fine on both, both channels running) after "
                       f"{metrics['ready_s']:.1f} s", evidence, metrics)
    if first_ok is not None and not at_end:
        why = f"up as intended only after {metrics['ready_s']:.1f} s (bound {b['bringup_s']:.1f} s)"
        phrased = [sig.UP_LATE]
    else:
        why = "not up as intended: " + "; ".join(at_end[:4])
        phrased = phrases(found)
    return Verdict(NAME, False, why, evidence, metrics, windows=[[t0, end]], signature=phrased)
