"""Single owner: at no instant do two nodes hold the VIP.

Reads ``vip`` probe events (recorded on change, 100 ms resolution). Each node's state is a step
function from its first probe on; a window where two or more nodes held the VIP is a violation.
"""

from __future__ import annotations

from harness.checkers.verdict import Verdict, unknown
from harness.history import Event


def check_single_owner(events: list[Event], *, nodes: list[str], expected_dual: bool = False,
                       tolerance_s: float = 0.0) -> Verdict:
    name = "single_owner"
    events = sorted(events, key=lambda e: e["t"])
    probes = [e for e in events if e["kind"] == "vip"]
    missing = [n for n in nodes if not any(p["node"] == n for p in probes)]
    if missing:
        return unknown(name, f"no VIP probe recorded for {missing}")
    end = events[-1]["t"]
    held: dict[str, bool | None] = dict.fromkeys(nodes)
    dual, none = [], []
    open_dual: tuple[float, list[str]] | None = None
    open_none: float | None = None
    for p in [*probes, {"t": end, "kind": "end"}]:
        t = p["t"]
        if p["kind"] == "vip":
            held[p["node"]] = p["held"]
        owners = sorted(n for n, h in held.items() if h)
        known = all(h is not None for h in held.values())
        is_dual = len(owners) >= 2 and p["kind"] != "end"
        is_none = known and not owners and p["kind"] != "end"
        if open_dual and not is_dual:
            dual.append({"start": open_dual[0], "end": t, "duration": round(t - open_dual[0], 3),
                         "nodes": open_dual[1]})
            open_dual = None
        elif is_dual and not open_dual:
            open_dual = (t, owners)
        if open_none is not None and not is_none:
            none.append({"start": open_none, "end": t, "duration": round(t - open_none, 3)})
            open_none = None
        elif is_none and open_none is None:
            open_none = t
    violating = [w for w in dual if w["duration"] > tolerance_s]
    metrics = {"dual_owner_s": round(sum(w["duration"] for w in dual), 3),
               "dual_windows": len(dual),
               "no_owner_s": round(sum(w["duration"] for w in none), 3)}
    evidence = {"dual_windows": dual, "no_owner_windows": none, "expected": expected_dual}
    if violating:
        total = metrics["dual_owner_s"]
        summary = (f"dual ownership detected (expected by scenario): {total:.1f} s in "
                   f"{len(dual)} window(s)" if expected_dual else
                   f"two nodes held the VIP for {total:.1f} s in {len(dual)} window(s), first "
                   f"at t={violating[0]['start']:.2f}s ({'+'.join(violating[0]['nodes'])})")
        return Verdict(name, False, summary, evidence, metrics)
    return Verdict(name, True, f"one owner at a time (no owner for {metrics['no_owner_s']:.1f} s)",
                   evidence, metrics)
