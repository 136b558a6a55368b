"""Questions asked of a history: the run's declared nodes and bounds, when observation
started and ended, the stretches an observer did not cover (gaps between its beats), and the
state of the pair at an instant (``state_at``) with what keeps it from the intended state
(``findings_in``). Checkers, step conditions and bring-up's wait ask these, never the pair.

A stretch without observation is *unknown*, never a pass.
"""

from __future__ import annotations

import itertools
from typing import Any

import harness.checkers.signature as sig
from harness.history import Event

DEFAULT_GAP_S = 1.0


def run_info(events: list[Event]) -> dict[str, Any]:
    return next((e for e in events if e["kind"] == "run"), {})


def bounds(events: list[Event]) -> dict[str, float]:
    return run_info(events).get("bounds") or {}


def node_names(events: list[Event]) -> list[str]:
    run = run_info(events)
    if run.get("nodes"):
        return [n["name"] for n in run["nodes"]]
    return sorted({e["node"] for e in events if e["kind"] == "vip"})


def priorities(events: list[Event]) -> dict[str, int]:
    return {n["name"]: n.get("priority", 0) for n in run_info(events).get("nodes") or []}


def final_state(events: list[Event]) -> dict[str, Any] | None:
    return next((e for e in reversed(events) if e["kind"] == "final"), None)


def gone_nodes(events: list[Event]) -> list[str]:
    """The nodes lost for good: the target of a fault that takes the node's service away,
    started with ``never`` (a step's ``for: never``), not healed before the final state, and
    not readable in it. The checkers judge on the others; a node that answers at the end was
    not lost, whatever the timeline said, and is judged like any other."""
    healed = {e.get("step") for e in events if e["kind"] == "fault"
              and e.get("phase") in ("healed", "heal-failed")}
    fin = final_state(events)
    if fin is None:
        return []
    nodes = fin.get("nodes") or {}
    return sorted({n for e in lost_starts(events) if e["t"] <= fin["t"]
                   and e.get("step") not in healed for n in e.get("nodes") or []
                   if not (nodes.get(n) or {}).get("reachable")})


def lost_starts(events: list[Event]) -> list[Event]:
    """The start events of faults held for good that take their node's service away."""
    return [e for e in events if e["kind"] == "fault" and e.get("phase") == "start"
            and e.get("never") and e.get("removes_service")]


def observation_end(events: list[Event]) -> float:
    """When watching stopped: the final-state event if there is one, else the last event."""
    fin = final_state(events)
    if fin is not None:
        return fin["t"]
    return max((e["t"] for e in events), default=0.0)


def gaps(events: list[Event], observer: str, node: str | None, start: float, end: float,
         max_gap: float) -> list[list[float]]:
    """Stretches within [start, end] longer than ``max_gap`` without a beat of ``observer``
    for ``node``: nobody watched there."""
    ts = sorted(e["t"] for e in events if e["kind"] == "beat"
                and e.get("observer") == observer and e.get("node") == node)
    before = [b for b in ts if b <= start]
    after = [b for b in ts if b >= end]
    inside = [b for b in ts if start < b < end]
    marks = [before[-1] if before else start, *inside, after[0] if after else end]
    return [[round(max(a, start), 3), round(min(b, end), 3)]
            for a, b in itertools.pairwise(marks) if b - a > max_gap]


def describe(windows: list[list[float]]) -> str:
    return ", ".join(f"{a:.2f}-{b:.2f}s" for a, b in windows[:4]) + \
        (f" (+{len(windows) - 4} more)" if len(windows) > 4 else "")


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


# --- the VIP: streams stamped at the source, polling as a cross-check ---------------------------
STREAM_SOURCES = ("kernel", "dump")


def stream_spans(events: list[Event], node: str) -> list[tuple[float, float]]:
    """When an address stream of ``node`` was up: from each ``up`` to its ``down`` (or the end
    of the observation)."""
    spans, opened = [], None
    for e in events:
        if e["kind"] != "stream" or e.get("node") != node or e.get("stream", "addr") != "addr":
            continue
        if e.get("state") == "up" and opened is None:
            opened = e["t"]
        elif e.get("state") == "down" and opened is not None:
            spans.append((opened, e["t"]))
            opened = None
    if opened is not None:
        spans.append((opened, max(observation_end(events), opened)))
    return spans


def _inside(t: float, spans: list[tuple[float, float]]) -> bool:
    return any(a <= t <= b for a, b in spans)


def states_during(changes: list[tuple[float, Any]], a: float, b: float) -> set:
    """The states a node was in during [a, b], from its changes ``(t, state)`` in time order:
    its last known state at ``a``, then every change until ``b``; empty when nothing was
    observed before ``b``."""
    before = [h for t, h in changes if t <= a]
    out = {before[-1]} if before else set()
    return out | {h for t, h in changes if a < t <= b}


def judged_events(events: list[Event]) -> list[Event]:
    """The events verdicts stand on. Where an address stream of a node was up, its
    source-stamped ``vip`` events say whether the node held the VIP, and the poller's samples
    of that node (stamped when read, so a stalled reader blurs them) are left out; elsewhere
    (old histories, a stream down) the samples are all there is."""
    nodes = {e["node"] for e in events if e["kind"] == "stream"}
    if not nodes:
        return events
    spans = {n: stream_spans(events, n) for n in nodes}
    return [e for e in events if not (
        e["kind"] == "vip" and e.get("source") not in STREAM_SOURCES and e.get("node") in spans
        and _inside(e["t"], spans[e["node"]]))]


def unobserved(events: list[Event], node: str, start: float, end: float,
               max_gap: float) -> list[list[float]]:
    """Stretches of [start, end] in which nobody knew whether ``node`` held the VIP: no address
    stream of it up, and no beat of the VIP poller within ``max_gap``."""
    spans = stream_spans(events, node)
    out = []
    for a, b in gaps(events, "vip", node, start, end, max_gap):
        pieces = [(a, b)]
        for sa, sb in spans:
            pieces = [p for x, y in pieces for p in ((x, min(y, sa)), (max(x, sb), y))
                      if p[1] - p[0] > 1e-9]
        out += [[round(x, 3), round(y, 3)] for x, y in pieces if y - x > max_gap]
    return out


def vip_takes(events: list[Event]) -> list[tuple[str, float]]:
    """(node, t) of every moment a node came to hold the VIP, as the checkers see it (a node's
    first observation is its state, not a take)."""
    held: dict[str, bool | None] = {}
    out = []
    for e in judged_events(events):
        if e["kind"] != "vip":
            continue
        node, now = e["node"], e["held"]
        if node in held and now and not held[node]:
            out.append((node, e["t"]))
        held[node] = now
    return out


def poll_disagreements(events: list[Event], node: str, tolerance: float) -> list[float]:
    """Times at which the VIP poller read ``node``'s addresses in a state its address stream
    was not in at any moment within ``tolerance`` either side: evidence that the two disagree
    (a poll is stamped when read, a kernel event when ``ip`` got it: either may lag a little,
    neither for long). Only real readings count: a poll that found the node's init gone
    infers that it holds nothing, while its namespace may keep the address a moment longer
    until Docker takes the interface away."""
    spans = stream_spans(events, node)
    if not spans:
        return []
    changes = [(e["t"], bool(e["held"])) for e in events if e["kind"] == "vip"
               and e.get("node") == node and e.get("source") in STREAM_SOURCES]

    def states(a: float, b: float) -> set[bool]:
        before = [h for t, h in changes if t <= a]
        out = {before[-1]} if before else set()
        return out | {h for t, h in changes if a < t <= b}

    return [e["t"] for e in events if e["kind"] == "vip" and e.get("node") == node
            and e.get("source") == "poll" and e.get("why") == "fib"
            and e.get("held") is not None and _inside(e["t"] - tolerance, spans)
            and _inside(e["t"] + tolerance, spans)
            and states(e["t"] - tolerance, e["t"] + tolerance) == {not e["held"]}]
