"""Replication continuity: after heal, both channels run without error, the GTID executed sets
are equal, and CHECKSUM TABLE agrees on every node."""

from __future__ import annotations

from typing import Any

from harness.checkers import gtid
from harness.checkers.verdict import Verdict, unknown


def check_replication(final: dict[str, Any]) -> Verdict:
    name = "replication"
    nodes = final.get("nodes") or {}
    if len(nodes) < 2:
        return unknown(name, "final state lacks the nodes")
    unreachable = [n for n, s in nodes.items() if not s.get("reachable")]
    if unreachable:
        return unknown(name, f"cannot read the final state of {unreachable}")
    problems: list[str] = []
    evidence: dict[str, Any] = {"channels": {}, "checksums": {}, "gtid_missing": {}}
    for n, s in nodes.items():
        chs = s.get("channels")
        if chs is None:
            return unknown(name, f"no channel data for {n}")
        evidence["channels"][n] = chs
        if not chs:
            problems.append(f"{n}: no replication channel")
        for ch in chs:
            if not (ch.get("io_running") and ch.get("sql_running")):
                problems.append(f"{n}: channel not running (io={ch.get('io_running')}, "
                                f"sql={ch.get('sql_running')})")
            err = ch.get("sql_error") or ch.get("io_error")
            if err:
                problems.append(f"{n}: {err[:160]}")
        evidence["checksums"][n] = s.get("checksum")
    names = sorted(nodes)
    try:
        for a in names:
            for b in names:
                if a != b:
                    missing = gtid.difference(nodes[a]["gtid_executed"], nodes[b]["gtid_executed"])
                    if missing:
                        evidence["gtid_missing"][f"{b} lacks"] = missing
                        problems.append(f"{b} lacks GTIDs {missing[:80]} executed on {a}")
    except (KeyError, ValueError) as exc:
        return unknown(name, f"cannot compare GTID sets: {exc}")
    sums = set(evidence["checksums"].values())
    if None in sums:
        return unknown(name, "a table checksum is missing")
    if len(sums) > 1:
        problems.append(f"CHECKSUM TABLE differs: {evidence['checksums']}")
    metrics = {"converged_after_s": final.get("converged_after_s")}
    if problems:
        return Verdict(name, False, "; ".join(problems[:3]), evidence, metrics)
    return Verdict(name, True, "both channels running, GTID sets and checksums equal",
                   evidence, metrics)
