"""Who committed what: every acknowledged write carries the server that committed it
(``@@hostname`` / ``@@server_uuid`` of its connection). A write committed on a node that did not
hold the VIP at that instant while another node did is a write accepted by a second master:
split brain at the data level, whatever keepalived says (an established connection that stayed
with the old owner after a failover, or a client following a stale ARP entry). Writes committed
while nobody held the VIP (a connection outliving its owner's VIP) are reported, not failed.
Errant transactions (GTIDs one node executed and the other never did) left after the heal are
the replication checker's."""

from __future__ import annotations

import harness.checkers.signature as sig
from harness.checkers.query import judged_events, node_names
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
    held: dict[str, bool | None] = dict.fromkeys(nodes)
    second, orphan, blind = [], [], 0
    i = 0
    vips = [e for e in events if e["kind"] == "vip"]
    for w in oks:
        while i < len(vips) and vips[i]["t"] <= w["t"]:
            held[vips[i]["node"]] = vips[i]["held"]
            i += 1
        by = w["node"]
        if held.get(by) is True:
            continue
        others = [n for n, h in held.items() if h and n != by]
        if held.get(by) is None or any(h is None for n, h in held.items() if n != by):
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
