"""Who committed what: every acknowledged write carries the server that committed it
(``@@hostname`` / ``@@server_uuid`` of its connection). The commit happened at some instant
between the write's invoke and its acknowledgement; a write whose node did not hold the VIP at
any instant of that request while another node did is a write accepted by a second master:
split brain at the data level, whatever keepalived says (an established connection that stayed
with the old owner after a failover, or a client following a stale ARP entry). Writes committed
while nobody held the VIP (a connection outliving its owner's VIP) are reported, not failed.
Errant transactions (GTIDs one node executed and the other never did) left after the heal are
the replication checker's."""

from __future__ import annotations

import harness.checkers.signature as sig
from harness.checkers.query import judged_events, node_names, states_during
from harness.checkers.verdict import Verdict, unknown
from harness.history import Event

NAME = "origin"
CAP = 20


def check_origin(events: list[Event]) -> Verdict:
    events = judged_events(sorted(events, key=lambda e: e["t"]))
    nodes = node_names(events)
    oks = [e for e in events if e["kind"] == "op" and e["type"] == "ok"]
    if not oks:
        return unknown(NAME, "no acknowledged write to attribute")
    if any(not e.get("node") for e in oks):
        return unknown(NAME, "an acknowledged write does not say which server committed it")
    changes: dict[str, list[tuple[float, bool | None]]] = {n: [] for n in nodes}
    for e in events:
        if e["kind"] == "vip" and e["node"] in changes:
            changes[e["node"]].append((e["t"], e["held"]))
    invoked = {e["id"]: e["t"] for e in events if e["kind"] == "op" and e["type"] == "invoke"}
    second, orphan, blind = [], [], 0
    for w in oks:
        by, a, b = w["node"], invoked.get(w["id"], w["t"]), w["t"]
        seen = {n: states_during(changes[n], a, b) for n in nodes}
        if True in seen.get(by, set()):
            continue  # it held the VIP at some instant of the request: the commit may be then
        others = [n for n in nodes if n != by and True in seen[n]]
        if not seen.get(by) or any(None in s or not s for s in seen.values()):
            blind += 1
        elif others:
            second.append({"t": w["t"], "id": w["id"], "by": by, "vip_on": others})
        else:
            orphan.append({"t": w["t"], "id": w["id"], "by": by})
    metrics = {"acknowledged": len(oks), "by_second_master": len(second),
               "while_nobody_held": len(orphan), "unattributable": blind}
    evidence = {"by_second_master": second[:CAP], "while_nobody_held": orphan[:CAP],
                "per_server": {n: sum(1 for w in oks if w["node"] == n) for n in nodes}}
    if second:
        f = second[0]
        return Verdict(NAME, False, f"{len(second)} acknowledged write(s) committed on "
                       f"{f['by']} while the VIP was on {'+'.join(f['vip_on'])} (first at "
                       f"t={f['t']:.2f}s): two masters took writes", evidence, metrics,
                       windows=[[second[0]["t"], second[-1]["t"]]],
                       signature=sig.unique([sig.second_master(w["by"]) for w in second]))
    if blind and blind == len(oks):
        return unknown(NAME, "the VIP was not observed when the writes were committed")
    return Verdict(NAME, True, f"every write committed on the VIP's holder "
                   f"({len(orphan)} while nobody held it, by a surviving connection)",
                   evidence, metrics)
