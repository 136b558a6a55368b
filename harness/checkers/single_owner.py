"""Single owner: at no instant do two nodes hold the VIP.

Reads ``vip`` events: the kernel's address events of each node's namespace while its address
stream is up (stamped at the source), the 20 ms poller's samples elsewhere (held is true, false
or null = could not be read), and the poller's beats. Two owners at once is a FAIL whose windows
are the overlaps. A stretch in which a node's state was not observed (no stream up and a null
sample or a gap between beats longer than the run's ``observer_gap_s``) makes the verdict
*unknown*, naming the gap, unless an overlap was seen anyway (false beats unknown); so does a
poller contradicting the stream for longer than that (conflicting evidence).
"""

from __future__ import annotations

import harness.checkers.signature as sig
from harness.checkers.query import (
    DEFAULT_GAP_S,
    bounds,
    describe,
    judged_events,
    node_names,
    observation_end,
    poll_disagreements,
    stream_spans,
    unobserved,
)
from harness.checkers.verdict import Verdict, unknown
from harness.history import Event


def check_single_owner(events: list[Event]) -> Verdict:
    name = "single_owner"
    raw = sorted(events, key=lambda e: e["t"])
    events = judged_events(raw)
    nodes = node_names(events)
    probes = [e for e in events if e["kind"] == "vip"]
    missing = [n for n in nodes if not any(p["node"] == n for p in probes)]
    if not nodes or missing:
        return unknown(name, f"no VIP observation recorded for {missing or 'any node'}")
    start = max(next(p["t"] for p in probes if p["node"] == n) for n in nodes)
    end = observation_end(events)
    held: dict[str, bool | None] = dict.fromkeys(nodes)
    dual, none, blind = [], [], []
    open_dual = open_none = open_blind = None
    for p in [*probes, {"t": end, "kind": "end"}]:
        t = p["t"]
        if p["kind"] == "vip":
            held[p["node"]] = p["held"]
            if t < start:
                continue
        owners = sorted(n for n, h in held.items() if h)
        is_end = p["kind"] == "end"
        is_dual = len(owners) >= 2 and not is_end
        is_blind = not is_dual and any(h is None for h in held.values()) and not is_end
        is_none = not owners and not is_blind and not is_end
        for flag, opened, out in ((is_dual, open_dual, dual), (is_none, open_none, none),
                                  (is_blind, open_blind, blind)):
            if opened is not None and not flag:
                out.append({"start": opened[0], "end": t, "duration": round(t - opened[0], 3),
                            "nodes": opened[1]})
        open_dual = (open_dual if open_dual else (t, owners)) if is_dual else None
        open_none = (open_none if open_none else (t, [])) if is_none else None
        blind_nodes = [n for n, h in held.items() if h is None]
        open_blind = (open_blind if open_blind else (t, blind_nodes)) if is_blind else None
    max_gap = bounds(events).get("observer_gap_s", DEFAULT_GAP_S)
    unseen = [[w["start"], w["end"]] for w in blind if w["duration"] > max_gap]
    for n in nodes:
        unseen += [g for g in unobserved(events, n, start, end, max_gap) if g not in unseen]
    conflicts = {n: c for n in nodes if (c := poll_disagreements(raw, n, max(max_gap, 1.0)))}
    metrics = {"dual_owner_s": round(sum(w["duration"] for w in dual), 3),
               "dual_windows": len(dual),
               "no_owner_s": round(sum(w["duration"] for w in none), 3),
               "unobserved_s": round(sum(b - a for a, b in unseen), 3)}
    evidence = {"dual_windows": dual, "no_owner_windows": none, "unobserved": unseen,
                "observed": [start, end], "poll_disagreements": conflicts,
                "streams": {n: stream_spans(events, n) for n in nodes}}
    metrics["poll_disagreements"] = sum(len(c) for c in conflicts.values())
    if dual:
        first = dual[0]
        return Verdict(name, False, f"two nodes held the VIP for {metrics['dual_owner_s']:.2f} s "
                       f"in {len(dual)} window(s), first at t={first['start']:.2f}s "
                       f"({'+'.join(first['nodes'])})", evidence, metrics,
                       windows=[[w["start"], w["end"]] for w in dual],
                       signature=[sig.DUAL_OWNERSHIP])
    if unseen:
        return Verdict(name, None, f"unknown: the VIP was not observed at "
                       f"{describe(sorted(unseen))}",
                       evidence, metrics)
    if conflicts:
        where = "; ".join(f"{n} at {', '.join(f'{t:.2f}s' for t in ts[:3])}"
                          for n, ts in conflicts.items())
        return Verdict(name, None, f"unknown: the VIP poller contradicts the kernel's address "
                       f"stream for over {max(max_gap, 1.0):.1f} s ({where})", evidence, metrics)
    return Verdict(name, True, f"one owner at a time over {end - start:.1f} s observed "
                   f"(no owner for {metrics['no_owner_s']:.1f} s)", evidence, metrics)
