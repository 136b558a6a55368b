"""Acknowledged writes: every ok write is present after convergence, none twice, no failed write
applied; unknown outcomes are reported; rows on one node only (errant) are violations."""

from __future__ import annotations

from collections import Counter
from typing import Any

from harness.checkers.verdict import Verdict, unknown
from harness.history import Event

CAP = 20


def check_writes(events: list[Event], final: dict[str, Any]) -> Verdict:
    name = "writes"
    outcome: dict[str, str] = {}
    for e in events:
        if e["kind"] == "op" and e["type"] != "invoke":
            outcome[e["id"]] = e["type"]
    nodes = final.get("nodes") or {}
    reachable = {n: s for n, s in nodes.items() if s.get("reachable")}
    if not reachable or any("write_ids" not in s for s in reachable.values()):
        return unknown(name, "no readable final state of any node")
    if len(reachable) < len(nodes):
        return unknown(name, f"cannot read {sorted(set(nodes) - set(reachable))}")
    owner = final.get("vip_owner")
    judges = [owner] if owner in reachable else sorted(reachable)
    counts = {n: Counter(s["write_ids"]) for n, s in reachable.items()}
    ours = set(outcome)
    ok = {i for i, o in outcome.items() if o == "ok"}
    fail = {i for i, o in outcome.items() if o == "fail"}
    unk = {i for i, o in outcome.items() if o == "unknown"}
    lost = sorted(i for i in ok if any(counts[j][i] == 0 for j in judges))
    dup = sorted({i for c in counts.values() for i, k in c.items() if k > 1 and i in ours})
    present_anywhere = {i for c in counts.values() for i in c}
    failed_present = sorted(fail & present_anywhere)
    errant = sorted(i for i in ours & present_anywhere if len(counts) > 1
                    and any(c[i] == 0 for c in counts.values()))
    metrics = {"ok": len(ok), "fail": len(fail), "unknown": len(unk), "lost": len(lost),
               "duplicated": len(dup), "errant": len(errant),
               "unknown_present": len(unk & present_anywhere),
               "unknown_absent": len(unk - present_anywhere)}
    evidence = {"judged_on": judges, "lost": lost[:CAP], "duplicated": dup[:CAP],
                "failed_present": failed_present[:CAP], "errant": errant[:CAP]}
    problems = [f"{len(v)} {k}" for k, v in (("lost", lost), ("duplicated", dup),
                ("failed-but-present", failed_present), ("errant", errant)) if v]
    if problems:
        return Verdict(name, False, f"{', '.join(problems)} of {len(ok)} acknowledged writes "
                       f"(first: {(lost or dup or failed_present or errant)[0]})",
                       evidence, metrics)
    return Verdict(name, True, f"all {len(ok)} acknowledged writes present once; "
                   f"{len(unk)} unknown ({metrics['unknown_present']} applied)", evidence, metrics)
