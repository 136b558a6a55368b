"""Service after every heal: once a fault is healed (or an operator action that brings a service
back is done), a write through the VIP succeeds within the run's ``migration_s`` bound, whatever
the fault was. A VIP left unreachable after a heal (a frozen master that returns without telling
the client, a node that kept the VIP but lost its database) is a violation; no write attempted
after the heal is *unknown*. A node lost for good (a step's ``for: never``) is never healed:
its loss is the point after which service must come back, on the survivor."""

from __future__ import annotations

from typing import Any

import harness.checkers.signature as sig
from harness.checkers.query import bounds, gone_nodes, lost_starts, observation_end
from harness.checkers.verdict import Verdict, unknown
from harness.history import Event

NAME = "service"
RESTORING = {"start-mysqld", "restart-mysqld", "start-keepalived", "restart-keepalived",
             "reload-keepalived", "reboot", "restore"}


def heal_points(events: list[Event]) -> list[tuple[float, str]]:
    """(time, what) of every heal and every service-restoring operator action."""
    out = [(e["t"], f"heal of {e['fault']}") for e in events
           if e["kind"] == "fault" and e.get("phase") == "healed"]
    out += [(e.get("verified_at", e["t"]),
             f"loss of {'+'.join(e.get('nodes') or [])} ({e['fault']}, for good)")
            for e in lost_starts(events)]
    out += [(e["t"], f"{e['action']} on {e['node']}") for e in events
            if e["kind"] == "action" and e.get("phase") == "done" and e.get("action") in RESTORING]
    return sorted(out)


def check_service(events: list[Event]) -> Verdict:
    events = sorted(events, key=lambda e: e["t"])
    points = heal_points(events)
    if not points:
        return unknown(NAME, "nothing was healed in the history")
    bound = bounds(events).get("migration_s")
    if bound is None:
        return unknown(NAME, "the history does not say the bound (no run event)")
    end = observation_end(events)
    gone = set(gone_nodes(events))  # a write the lost node acknowledged is no comeback
    oks = [e["t"] for e in events if e["kind"] == "op" and e["type"] == "ok"
           and e.get("node") not in gone]
    invokes = [e["t"] for e in events if e["kind"] == "op" and e["type"] == "invoke"]
    worst: dict[str, Any] = {}
    bad, unseen = [], []
    for t, what in points:
        first = next((x for x in oks if x >= t), None)
        if first is None or first - t > bound:
            if not any(t <= x <= min(t + bound, end) for x in invokes):
                unseen.append(f"no write attempted within the bound after the {what}")
                continue
            if first is None and end - t < bound:
                unseen.append(f"the run ended {end - t:.1f} s after the {what}, before the "
                              f"bound ({bound:.1f} s), with no write through the VIP yet")
                continue
            bad.append({"at": t, "after": what, "first_write": first})
            continue
        if first - t >= worst.get("seconds", -1):
            worst = {"seconds": round(first - t, 3), "after": what}
    metrics = {"slowest_s": worst.get("seconds"), "heals": len(points), "bound_s": bound}
    evidence = {"heals": [{"t": t, "what": w} for t, w in points], "unserved": bad}
    if bad:
        b = bad[0]
        when = "never succeeded" if b["first_write"] is None else \
            f"succeeded only after {b['first_write'] - b['at']:.1f} s"
        return Verdict(NAME, False, f"after the {b['after']} (t={b['at']:.1f}s) a write "
                       f"through the VIP {when} (bound {bound:.1f} s)", evidence,
                       metrics, windows=[[x["at"], min(x["at"] + bound, end)] for x in bad],
                       signature=sig.unique([sig.no_service_after(x["after"]) for x in bad]))
    if unseen:
        return unknown(NAME, unseen[0])
    return Verdict(NAME, True, f"a write succeeded after every heal (slowest "
                   f"{worst.get('seconds', 0):.2f} s, after the {worst.get('after')})",
                   evidence, metrics)
