"""Replication continuity: no applier (SQL thread) error at any sample during the run, and
after heal both channels run without error, the GTID executed sets are equal (compared both
ways), and CHECKSUM TABLE agrees on every node (the ``final`` event). A divergence (a node
missing the other's transactions, or differing checksums) is a FAIL naming the GTIDs whatever
the channels say: two running channels do not make two equal databases.

With a node lost for good (``query.gone_nodes``) there is nothing to converge with: the
survivors are judged alone (no applier error at any sample, their applier running and
without error at the end, their receiver's error from the lost peer expected); the GTID sets
and checksums cannot be compared and the verdict says so."""

from __future__ import annotations

import re
from typing import Any

import harness.checkers.gtid as gtid
import harness.checkers.signature as sig
from harness.checkers.query import final_state, gone_nodes
from harness.checkers.verdict import Verdict, unknown
from harness.history import Event


def check_replication(events: list[Event]) -> Verdict:
    name = "replication"
    final = final_state(events)
    if final is None:
        return unknown(name, "no final state in the history")
    sql_errors = [e for e in events if e["kind"] == "repl" and e.get("sql_error")]
    gone = gone_nodes(events)
    if gone:
        return _survivors(events, final, sql_errors, gone)
    nodes = final.get("nodes") or {}
    unreachable = [n for n, s in nodes.items() if not s.get("reachable")]
    if (len(nodes) < 2 or unreachable) and not sql_errors:
        return unknown(name, f"cannot read the final state of {unreachable or 'the nodes'}")
    problems: list[str] = []
    phrased: list[str] = []
    evidence: dict[str, Any] = {"channels": {}, "checksums": {}, "gtid_missing": {},
                                "sql_errors_sampled": [{"t": e["t"], "node": e["node"],
                                                        "error": e["sql_error"][:160]}
                                                       for e in sql_errors[:5]]}
    if sql_errors:
        first = sql_errors[0]
        problems.append(f"{first['node']}: applier error at t={first['t']:.1f}s: "
                        f"{first['sql_error'][:160]}")
        phrased += [sig.applier_error(e["node"], root_errno(events, e["node"], e.get("sql_errno"),
                                                           e["sql_error"]))
                    for e in sql_errors]
    if len(nodes) < 2 or unreachable:
        return Verdict(name, False, problems[0], evidence, {},
                       windows=[[first["t"], final["t"]]], signature=sig.unique(phrased))
    blind: list[str] = []  # what could not be read: unknown unless a violation was seen
    for n, s in nodes.items():
        chs = s.get("channels")
        if chs is None:
            blind.append(f"no channel data for {n}")
            continue
        evidence["channels"][n] = chs
        if not chs:
            problems.append(f"{n}: no replication channel")
            phrased.append(sig.no_channel(n))
        for ch in chs:
            if not (ch.get("io_running") and ch.get("sql_running")):
                problems.append(f"{n}: channel not running (io={ch.get('io_running')}, "
                                f"sql={ch.get('sql_running')})")
                phrased.append(sig.channel_stopped(n))
            err = ch.get("sql_error") or ch.get("io_error")
            if err:
                problems.append(f"{n}: {err[:160]}")
            if ch.get("sql_error"):
                phrased.append(sig.applier_error(
                    n, root_errno(events, n, ch.get("sql_errno"), ch["sql_error"])))
            elif ch.get("io_error"):
                phrased.append(sig.receiver_error(n))
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
                        phrased.append(sig.missing_transactions(b))
    except (KeyError, ValueError) as exc:
        blind.append(f"cannot compare GTID sets: {exc}")
    sums = set(evidence["checksums"].values())
    if None in sums:
        blind.append("a table checksum is missing")
    elif len(sums) > 1:
        problems.append(f"CHECKSUM TABLE differs: {evidence['checksums']}")
        phrased.append(sig.CHECKSUMS_DIFFER)
    sampled = {e["node"] for e in events if e["kind"] == "repl" and e.get("reachable")}
    if any(e["kind"] == "fault" for e in events) and not sampled >= set(nodes):
        blind.append(f"replication was never sampled on {sorted(set(nodes) - sampled)} "
                     "during the run (applier errors there could not be seen)")
    metrics = {"converged_after_s": final.get("converged_after_s")}
    if problems:
        start = sql_errors[0]["t"] if sql_errors else final["t"]
        return Verdict(name, False, "; ".join(problems[:3]), evidence, metrics,
                       windows=[[start, final["t"]]], signature=sig.unique(phrased))
    if blind:
        return unknown(name, "; ".join(blind))
    return Verdict(name, True, "both channels running, GTID sets and checksums equal",
                   evidence, metrics)


def _survivors(events: list[Event], final: Event, sql_errors: list[Event],
               gone: list[str]) -> Verdict:
    """Replication judged on the nodes that survive a node lost for good."""
    name = "replication"
    nodes = {n: s for n, s in (final.get("nodes") or {}).items() if n not in gone}
    lost = "+".join(gone)
    evidence: dict[str, Any] = {"gone_for_good": gone, "channels": {},
                                "sql_errors_sampled": [{"t": e["t"], "node": e["node"],
                                                        "error": e["sql_error"][:160]}
                                                       for e in sql_errors[:5]]}
    problems: list[str] = []
    phrased: list[str] = []
    if sql_errors:
        first = sql_errors[0]
        problems.append(f"{first['node']}: applier error at t={first['t']:.1f}s: "
                        f"{first['sql_error'][:160]}")
        phrased += [sig.applier_error(e["node"], root_errno(events, e["node"], e.get("sql_errno"),
                                                           e["sql_error"]))
                    for e in sql_errors]
    blind = [n for n, s in nodes.items() if not s.get("reachable") or s.get("channels") is None]
    for n, s in nodes.items():
        evidence["channels"][n] = s.get("channels")
        for ch in s.get("channels") or []:
            if not ch.get("sql_running") or ch.get("sql_error"):
                problems.append(f"{n}: applier not running ({(ch.get('sql_error') or '')[:160]})")
                phrased.append(sig.applier_error(n, root_errno(events, n, ch.get("sql_errno"),
                                                           ch.get("sql_error") or "")))
    if problems:
        start = sql_errors[0]["t"] if sql_errors else final["t"]
        return Verdict(name, False, "; ".join(problems[:3]), evidence, {},
                       windows=[[start, final["t"]]], signature=sig.unique(phrased))
    if blind or not nodes:
        return unknown(name, f"cannot read the survivors of {lost}: {blind or 'none left'}")
    try:
        behind = {n: gtid.difference(ch.get("retrieved") or "", s["gtid_executed"])
                  for n, s in nodes.items() for ch in s.get("channels") or []}
    except (KeyError, ValueError) as exc:
        return unknown(name, f"cannot compare the survivors' GTID sets: {exc}")
    if any(behind.values()):
        return unknown(name, "a survivor had not applied everything it received at the final "
                       f"state: {({n: b[:80] for n, b in behind.items() if b})}")
    return Verdict(name, True, f"{'+'.join(sorted(nodes))} applied what it received without "
                   f"an applier error; {lost} lost for good (GTID sets and checksums not "
                   "compared)", evidence, {})


#: errors that only say another worker failed first (MySQL's multi-threaded applier:
#: ER_REPLICA_WORKER_STOPPED_PREVIOUS_THD_ERROR); which worker's error the coordinator reports
#: as "the most recent failure" is a race, so the cause is the first worker's
CONSEQUENTIAL = {3030}


def root_errno(events: list[Event], node: str, number: object, text: str) -> int | None:
    """The error that stopped ``node``'s applier: ``errno`` of what was sampled, unless that
    only says another worker failed first; then the first worker error mysqld logged on that
    node (its error log names every failing worker with its code)."""
    n = errno(number, text)
    if n is not None and n not in CONSEQUENTIAL:
        return n
    for e in events:
        if e["kind"] == "mlog" and e.get("node") == node and "Error_code:" in e.get("text", ""):
            m = re.search(r"Error_code: (?:MY-)?0*(\d{3,5})", e["text"])
            if m and int(m.group(1)) not in CONSEQUENTIAL:
                return int(m.group(1))
    return n


def errno(number: object, text: str) -> int | None:
    """The applier's error number: Last_SQL_Errno when sampled, else the first MySQL error
    code in the message (MySQL 9.7's multi-threaded applier puts only "Coordinator stopped"
    in Last_SQL_Error; the worker's message names the code)."""
    if isinstance(number, int) and number:
        return number
    m = re.search(r"(?:Error_code: MY-0*|error |errno[: ]+)(\d{3,5})", text or "", re.I)
    return int(m.group(1)) if m else None
