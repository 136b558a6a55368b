"""What each client profile saw, from the recorded history: the figures an operator is asked
for after an incident ("what did the application see?"), per profile (``harness.clients``).

Per profile: operations and acknowledgements; errors by kind; client-visible downtime (the
longest stretch without a successful operation that ends after the first fault began: from
the last success before it to the first after; ``None`` with ``recovered: False`` when none
came after); writes acknowledged by a node that held the VIP at no moment of the write (a
pooled connection that outlived the failover); stale reads (a read through the VIP that did
not find a write acknowledged before it began); for ``router``, how long after the VIP moved its
ARP entry pointed at the new owner. ``direct`` is the harness's writer (``op``
events); the others are ``client`` events. These are figures, not verdicts: the invariants are
judged on the direct writer.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise
from typing import Any

from harness.checkers.query import states_during
from harness.events import Event
from harness.stats import spread

_ERRNO = re.compile(r"\((\d{4}),")
_KINDS = {2003: "cannot connect", 2006: "connection lost", 2013: "connection lost",
          2055: "connection lost", 1290: "read-only", 1836: "read-only", 1062: "duplicate key",
          3024: "query timeout"}


def error_kind(error: str | None) -> str:
    """A client error as a kind: the MySQL error number's meaning, else the exception."""
    text = error or ""
    m = _ERRNO.search(text)
    if m:
        n = int(m.group(1))
        return _KINDS.get(n, f"error {n}")
    if "timed out" in text.lower() or "timeout" in text.lower():
        return "timeout"
    return text.split(":", 1)[0] or "error"


def _operations(events: list[Event]) -> dict[str, list[dict[str, Any]]]:
    """Completed operations per profile, as (started, t, op, outcome, node, error, seen)."""
    out: dict[str, list[dict[str, Any]]] = {}
    invoked: dict[str, float] = {}
    for e in events:
        if e["kind"] == "op":
            if e["type"] == "invoke":
                invoked[e["id"]] = e["t"]
                continue
            out.setdefault("direct", []).append(
                {"started": invoked.get(e["id"], e["t"]), "t": e["t"], "op": "write",
                 "outcome": e["type"], "node": e.get("node"), "error": e.get("error")})
        elif e["kind"] == "client" and e["op"] != "arp":
            out.setdefault(e["profile"], []).append(
                {"started": e.get("started", e["t"]), "t": e["t"], "op": e["op"],
                 "outcome": e["outcome"], "node": e.get("node"), "error": e.get("error"),
                 "seen": e.get("seen")})
    return out


def _holding(events: list[Event]) -> dict[str, list[tuple[float, bool | None]]]:
    changes: dict[str, list[tuple[float, bool | None]]] = {}
    for e in events:
        if e["kind"] == "vip":
            changes.setdefault(e["node"], []).append((e["t"], e.get("held")))
    return changes


def _held_during(changes: list[tuple[float, bool | None]], a: float, b: float) -> bool | None:
    """Whether the node held the VIP at some moment of [a, b]; None when unobserved."""
    states = states_during(changes, a, b)
    if True in states:
        return True
    return None if None in states or not states else False


def _downtime(oks: list[float], fault_at: float | None) -> tuple[float | None, bool]:
    if fault_at is None:
        return None, True
    before = [t for t in oks if t < fault_at]
    after = [t for t in oks if t >= fault_at]
    if not after:
        return None, False
    marks = ([before[-1]] if before else [fault_at]) + after
    return round(max((b - a for a, b in pairwise(marks)), default=0.0), 3), True


def _arp_lag(events: list[Event], fault_at: float | None) -> tuple[float | None, int]:
    """The router's ARP view after the first fault: (the longest time from a node's taking the
    VIP to the router's entry pointing at that node's MAC, None when it never did or no node
    took the VIP; the number of times the entry changed)."""
    arp = [e for e in events if e["kind"] == "client" and e["op"] == "arp"]
    if fault_at is None or not arp:
        return None, 0
    changes = sum(1 for e in arp if e["t"] >= fault_at)
    takes = [e for e in events if e["kind"] == "vip" and e.get("held") is True
             and e["t"] >= fault_at]
    lags = []
    for take in takes:
        before = [e for e in arp if e["t"] <= take["t"]]
        if before and before[-1].get("node") == take["node"]:
            lags.append(0.0)  # the entry already pointed there
            continue
        after = [e["t"] for e in arp if e["t"] > take["t"] and e.get("node") == take["node"]]
        if not after:
            return None, changes
        lags.append(after[0] - take["t"])
    return (round(max(lags), 3) if lags else None), changes


def summarize(events: list[Event]) -> dict[str, dict[str, Any]]:
    """``{profile: figures}`` for every profile that ran (summary.json's ``clients``)."""
    events = sorted(events, key=lambda e: e["t"])
    fault_at = next((e["t"] for e in events
                     if e["kind"] == "fault" and e.get("phase") == "start"), None)
    holding = _holding(events)
    out = {}
    for profile, ops in _operations(events).items():
        oks = [o for o in ops if o["outcome"] == "ok"]
        downtime, recovered = _downtime([o["t"] for o in oks], fault_at)
        off_owner = [o for o in oks if o["op"] == "write" and o["node"]
                     and _held_during(holding.get(o["node"], []), o["started"], o["t"])
                     is False]
        errors = Counter(error_kind(o["error"]) for o in ops if o["outcome"] != "ok")
        reads = [o for o in oks if o["op"] == "read"]
        out[profile] = {
            "ops": len(ops), "ok": len(oks), "errors": dict(sorted(errors.items())),
            "downtime_s": downtime, "recovered": recovered,
            "writes_on_non_owner": len(off_owner),
            "non_owner_nodes": sorted({o["node"] for o in off_owner}),
            "reads": len(reads), "stale_reads": sum(1 for o in reads if o["seen"] is False),
        }
        if profile == "router":
            out[profile]["arp_lag_s"], out[profile]["arp_changes"] = _arp_lag(events, fault_at)
    return out


def _spread(d: list[float]) -> dict[str, Any]:
    """A profile with no figure says only n = 0 (summary.json stays small per profile)."""
    return spread(d) if d else {"n": 0}


def aggregate(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per profile over a run's results (summary.json's ``clients``): in how many tests it ran,
    its downtime's p50/p95/max over the tests that had a fault, errors by kind, writes on a
    non-owner and stale reads in all, and the tests it never recovered in."""
    out: dict[str, dict[str, Any]] = {}
    for r in results:
        for profile, f in (r.get("clients") or {}).items():
            a = out.setdefault(profile, {"tests": 0, "downtimes": [], "errors": Counter(),
                                         "writes_on_non_owner": 0, "stale_reads": 0,
                                         "not_recovered": [], "arp_lags": []})
            a["tests"] += 1
            if f.get("downtime_s") is not None:
                a["downtimes"].append(f["downtime_s"])
            if f.get("recovered") is False:
                a["not_recovered"].append(f"{r.get('bundle')}/{r.get('test')}")
            a["errors"].update(f.get("errors") or {})
            a["writes_on_non_owner"] += f.get("writes_on_non_owner") or 0
            a["stale_reads"] += f.get("stale_reads") or 0
            if f.get("arp_lag_s") is not None:
                a["arp_lags"].append(f["arp_lag_s"])
    for a in out.values():
        a["downtime_s"] = _spread(a.pop("downtimes"))
        lags = a.pop("arp_lags")
        if lags:
            a["arp_lag_s"] = _spread(lags)
        a["errors"] = dict(sorted(a["errors"].items()))
    return out
