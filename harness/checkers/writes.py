"""Acknowledged writes: every ok write is present after convergence, none twice, no failed write
applied; rows of ours on one node only (errant) are violations; unknown outcomes are reported.

A node lost for good (``query.gone_nodes``: a step's ``for: never``) is not read: the writes are
judged on the survivors, and an acknowledged write missing there is lost for good, reported
beside the survivor's backlog when it took the VIP (what replication had not applied yet).

An invoke with no recorded outcome counts as unknown (the client may have sent it). With no
acknowledged write at all there is nothing to judge durability on: *unknown*, not a pass.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import harness.checkers.signature as sig
from harness.checkers.gtid import difference, parse
from harness.checkers.query import final_state, gone_nodes, lost_starts
from harness.checkers.verdict import Verdict, unknown
from harness.history import Event

CAP = 20


def check_writes(events: list[Event]) -> Verdict:
    name = "writes"
    outcome: dict[str, str] = {}
    acked_at: dict[str, float] = {}  # when the client learnt the outcome
    for e in events:
        if e["kind"] != "op":
            continue
        if e["type"] == "invoke":
            outcome.setdefault(e["id"], "unknown")
        else:
            outcome[e["id"]] = e["type"]
            acked_at[e["id"]] = e["t"]
    final = final_state(events)
    if final is None:
        return unknown(name, "no final state in the history")
    gone = set(gone_nodes(events))
    nodes = {n: s for n, s in (final.get("nodes") or {}).items() if n not in gone}
    reachable = {n: s for n, s in nodes.items() if s.get("reachable")}
    if not reachable or any("write_ids" not in s for s in reachable.values()):
        return unknown(name, "no readable final state of any node"
                       + (f" but {', '.join(sorted(gone))}, lost for good" if gone else ""))
    if len(reachable) < len(nodes):
        return unknown(name, f"cannot read {sorted(set(nodes) - set(reachable))}")
    ok = {i for i, o in outcome.items() if o == "ok"}
    if not ok:
        return unknown(name, f"no acknowledged write ({len(outcome)} attempted): nothing to "
                       "judge durability on")
    owners = final.get("vip_owners") or []
    judges = [owners[0]] if len(owners) == 1 and owners[0] in reachable else sorted(reachable)
    counts = {n: Counter(s["write_ids"]) for n, s in reachable.items()}
    ours = set(outcome)
    fail = {i for i, o in outcome.items() if o == "fail"}
    unk = {i for i, o in outcome.items() if o == "unknown"}
    lost = sorted((i for i in ok if any(counts[j][i] == 0 for j in judges)),
                  key=lambda i: acked_at[i])
    dup = sorted({i for c in counts.values() for i, k in c.items() if k > 1 and i in ours})
    present_anywhere = {i for c in counts.values() for i in c}
    failed_present = sorted(fail & present_anywhere)
    errant = sorted(i for i in ours & present_anywhere if len(counts) > 1
                    and any(c[i] == 0 for c in counts.values()))
    metrics = {"ok": len(ok), "fail": len(fail), "unknown": len(unk), "lost": len(lost),
               "duplicated": len(dup), "errant": len(errant),
               "unknown_present": len(unk & present_anywhere),
               "unknown_absent": len(unk - present_anywhere)}
    evidence: dict[str, Any] = {"judged_on": judges, "lost": lost[:CAP], "duplicated": dup[:CAP],
                                "failed_present": failed_present[:CAP], "errant": errant[:CAP]}
    problems = [f"{len(v)} {k}" for k, v in (("lost", lost), ("duplicated", dup),
                ("failed-but-present", failed_present), ("errant", errant)) if v]
    tail = ""
    if gone:
        evidence["gone_for_good"] = sorted(gone)
        metrics["lost_for_good"] = len(lost)
        problems = [f"{p} for good with {'+'.join(sorted(gone))}" if p.endswith(" lost")
                    else p for p in problems]
        lag = lag_at_takeover(events, judges, {i: acked_at[i] for i in ok})
        metrics.update(lag)
        if lag:
            tail = (f"; when {lag['took_over']} took the VIP it lacked "
                    f"{lag['missing_at_promotion']} acknowledged write(s) and had "
                    f"{lag['backlog_at_promotion']} transaction(s) retrieved but not applied")
            del metrics["took_over"]
    if problems:
        bad = lost or dup or failed_present or errant
        times = [acked_at[i] for i in [*lost, *dup, *errant, *failed_present] if i in acked_at]
        windows = [[min(times), max(times)]] if times else [[final["t"], final["t"]]]
        phrased = [p for p, found in ((sig.WRITES_LOST, lost), (sig.WRITES_DUPLICATED, dup),
                                      (sig.FAILED_APPLIED, failed_present), (sig.ERRANT, errant))
                   if found]
        return Verdict(name, False, f"{', '.join(problems)} of {len(ok)} acknowledged writes "
                       f"(first: {bad[0]}){tail}", evidence, metrics, windows=windows,
                       signature=phrased)
    on = f" on {'+'.join(judges)} ({'+'.join(sorted(gone))} lost for good)" if gone else ""
    return Verdict(name, True, f"all {len(ok)} acknowledged writes present once{on}; "
                   f"{len(unk)} unknown ({metrics['unknown_present']} applied)", evidence, metrics)


def lag_at_takeover(events: list[Event], survivors: list[str],
                    acked_at: dict[str, float]) -> dict[str, Any]:
    """The survivor's lag when it took the VIP after the loss (its first ``promotion`` event
    from then: the moment the application moved to it): transactions retrieved but not
    applied, and acknowledged writes it did not hold; {} when no takeover was recorded."""
    lost_at = min((e["t"] for e in lost_starts(events)), default=0.0)
    promo = next((e for e in events if e["kind"] == "promotion" and e.get("node") in survivors
                  and e.get("took_at", e["t"]) >= lost_at), None)
    if promo is None or "ids" not in promo:  # not recorded, or its reading failed
        return {}
    left = parse(difference(promo.get("retrieved") or "", promo.get("executed") or ""))
    held = set(promo["ids"])
    took_at = promo.get("took_at", promo["t"])
    missing = [i for i, t in acked_at.items() if t <= took_at and i not in held]
    return {"took_over": promo["node"],
            "backlog_at_promotion": sum(b - a + 1 for iv in left.values() for a, b in iv),
            "missing_at_promotion": len(missing)}
