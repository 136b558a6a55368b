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

from typing import Any

import harness.checkers.signature as sig
from harness.checkers.observed import bounds, node_names, observation_end, priorities, run_info
from harness.checkers.verdict import Verdict, unknown
from harness.history import Event

NAME = "bringup"


def state_at(events: list[Event], t: float, nodes: list[str]) -> dict[str, Any]:
    """What the history says about each node at time ``t`` (last value of each stream)."""
    st: dict[str, Any] = {n: {"vip": None, "keepalived": None, "checks": {}, "vrrp": None,
                              "io": None, "sql": None} for n in nodes}
    for e in events:
        if e["t"] > t or e.get("node") not in st:
            continue
        s = st[e["node"]]
        if e["kind"] == "vip":
            s["vip"] = e["held"]
        elif e["kind"] == "proc":
            s["keepalived"] = e.get("keepalived", 0) > 0
        elif e["kind"] == "check":
            s["checks"][e["script"]] = e["ok"]
        elif e["kind"] == "vrrp":
            s["vrrp"] = e["state"]
        elif e["kind"] == "repl" and e.get("reachable"):
            s["io"], s["sql"] = e.get("io"), e.get("sql")
    return st


def findings_in(st: dict[str, Any], intended: str | None,
                expected_checks: dict[str, list[str]] | None = None, *,
                strict: bool = True) -> list[tuple[str, str]]:
    """Why a state is not the intended one, as (text, signature phrase) pairs (empty when it
    is): ``intended`` alone holds the VIP (None: any single node, one MASTER and one BACKUP: a
    pair that could fail over again). ``expected_checks``: the vrrp_scripts each node's config
    tracks; one that never reported is not passing. ``strict``: a value never observed counts
    as a problem (for conditions a run waits on); otherwise only what was seen to be wrong is
    listed (false beats unknown)."""
    def bad(value: Any) -> bool:
        return (value is None and strict) or value is False

    owners = [n for n, s in st.items() if s["vip"]]
    out: list[tuple[str, str]] = []
    if intended is not None:
        wrong = [n for n in owners if n != intended]
        if wrong or (bad(st[intended]["vip"]) if intended in st else False) or \
                (strict and owners != [intended]):
            out.append((f"VIP held by {owners or 'nobody'}, intended {intended} alone",
                        sig.vip_held_by(owners)))
    else:
        if len(owners) > 1 or (strict and len(owners) != 1) or \
                (not owners and all(s["vip"] is False for s in st.values())):
            out.append((f"VIP held by {owners or 'nobody'}, not by exactly one node",
                        sig.vip_held_by(owners)))
        states = sorted(str(s["vrrp"]) for s in st.values())
        if states != ["BACKUP", "MASTER"] and (strict or "None" not in states):
            out.append((f"VRRP states {states}, not one MASTER and one BACKUP",
                        sig.vrrp_states(states)))
    for n, s in st.items():
        if bad(s["keepalived"]):
            out.append((f"{n}: keepalived not running", sig.keepalived_stopped(n)))
        silent = [c for c in (expected_checks or {}).get(n, []) if c not in s["checks"]]
        if silent and (strict or s["keepalived"]):
            out.append((f"{n}: check {', '.join(silent)} never reported a result "
                        "(disabled by keepalived?)", sig.check_silent(silent[0], n)))
            out += [("", sig.check_silent(c, n)) for c in silent[1:]]
        failing = sorted(k for k, ok in s["checks"].items() if not ok)
        if failing:
            out.append((f"{n}: check {', '.join(failing)} failing", sig.check_failing(failing[0],
                                                                                      n)))
            out += [("", sig.check_failing(c, n)) for c in failing[1:]]
        if bad(s["io"]) or bad(s["sql"]):
            out.append((f"{n}: replication channel not running (io={s['io']}, sql={s['sql']})",
                        sig.channel_stopped(n)))
    return out


def problems_in(st: dict[str, Any], intended: str | None,
                expected_checks: dict[str, list[str]] | None = None, *,
                strict: bool = True) -> list[str]:
    """The texts of ``findings_in`` (empty when the state is the intended one)."""
    return [t for t, _ in findings_in(st, intended, expected_checks, strict=strict) if t]


def phrases(findings: list[tuple[str, str]]) -> list[str]:
    return sig.unique([p for _, p in findings])


def check_bringup(events: list[Event]) -> Verdict:
    events = sorted(events, key=lambda e: e["t"])
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
