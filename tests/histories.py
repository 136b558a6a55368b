"""Builders for synthetic histories (the schema of ``harness.history``), no pair needed.

A checker reads nothing but events, so a history written by hand is as good as a recorded one.
``failover_history()`` is a complete, clean fault run that every fault checker passes; tests
break one thing in it at a time.
"""

from __future__ import annotations

from typing import Any

NODES = ("node1", "node2")
PRIORITIES = (150, 100)
BOUNDS = {"migration_s": 10.0, "master_down_s": 3.0, "observer_gap_s": 1.0, "bringup_s": 20.0}
GTID = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-10"
CHECKS = {"node1": ["check_mysql"], "node2": ["check_mysql"]}

Event = dict[str, Any]


def run(t=0.0, *, nodes=NODES, priorities=PRIORITIES, bounds=None, scenario="kill-mysqld-owner",
        bundle="seed", expectations=(), checks=None, **extra) -> Event:
    """The ``run`` header: nodes with priorities, the config's bounds, expectations."""
    return {"t": t, "kind": "run", "bundle": bundle, "scenario": scenario,
            "nodes": [{"name": n, "ip": f"198.18.151.{11 + i}", "priority": p}
                      for i, (n, p) in enumerate(zip(nodes, priorities, strict=True))],
            "vip": "198.18.151.100", "bounds": dict(BOUNDS if bounds is None else bounds),
            "checks": dict(CHECKS if checks is None else checks),
            "expectations": [e if isinstance(e, dict) else e.to_dict() for e in expectations],
            **extra}


def vip(t, node, held, why=None) -> Event:
    return {"t": t, "kind": "vip", "node": node, "held": held,
            "why": why or ("fib" if held is not None else "fib_trie unreadable")}


def beat(t, node, observer="vip") -> Event:
    return {"t": t, "kind": "beat", "observer": observer, "node": node}


def beats(start, end, node, observer="vip", every=0.5) -> list[Event]:
    """Beats of one observer for one node from ``start`` to ``end`` inclusive."""
    n = round((end - start) / every)
    return [beat(round(start + i * every, 3), node, observer) for i in range(n + 1)]


def watched(start, end, nodes=NODES, observers=("vip",), every=0.5) -> list[Event]:
    """Every node watched by every observer over [start, end]."""
    return [b for o in observers for n in nodes for b in beats(start, end, n, o, every)]


def op(t, type_, op_id, node=None, error=None) -> Event:
    e = {"t": t, "kind": "op", "type": type_, "id": op_id, "f": "write"}
    if node is not None:
        e["node"], e["uuid"] = node, f"uuid-{node}"
    if error is not None:
        e["error"] = error
    return e


def write(t, op_id, outcome="ok", node="node1") -> list[Event]:
    """invoke + outcome, 10 ms apart (``outcome=None``: the invoke alone)."""
    ev = [op(t, "invoke", op_id)]
    if outcome is not None:
        ev.append(op(round(t + 0.01, 3), outcome, op_id, node if outcome == "ok" else None,
                     None if outcome == "ok" else "boom"))
    return ev


def fault(t, phase="start", name="kill-mysqld", nodes=("node1",), *, step=0, target="owner",
          owner_at_start="node1", removes_service=True, detail=None) -> Event:
    e = {"t": t, "kind": "fault", "phase": phase, "fault": name, "step": step,
         "nodes": list(nodes)}
    if phase in ("start", "skipped"):
        e.update(target=target, owner_at_start=owner_at_start,
                 owners_at_start=[owner_at_start] if owner_at_start else [],
                 removes_service=removes_service, detail=detail or "verified")
    elif detail is not None:
        e["detail"] = detail
    return e


def healed(t, name="kill-mysqld", nodes=("node1",), step=0) -> Event:
    return fault(t, "healed", name, nodes, step=step)


def phase(t, name) -> Event:
    return {"t": t, "kind": "phase", "name": name}


def repl(t, node, *, io=True, sql=True, sql_error="", io_error="", reachable=True) -> Event:
    if not reachable:
        return {"t": t, "kind": "repl", "node": node, "reachable": False, "error": "gone"}
    return {"t": t, "kind": "repl", "node": node, "reachable": True, "io": io, "sql": sql,
            "io_error": io_error, "sql_error": sql_error, "gtid": GTID, "retrieved": ""}


def proc(t, node, keepalived=1, mysqld="S") -> Event:
    return {"t": t, "kind": "proc", "node": node, "keepalived": keepalived, "mysqld": mysqld}


def check(t, node, script="check_mysql", ok=True) -> Event:
    return {"t": t, "kind": "check", "node": node, "script": script, "ok": ok,
            "result": "succeeded" if ok else "failed"}


def vrrp(t, node, state) -> Event:
    return {"t": t, "kind": "vrrp", "node": node, "state": state}


def klog(t, node, text) -> Event:
    return {"t": t, "kind": "klog", "node": node, "text": text}


def node_state(ids, gtid=GTID, checksum=42, io=True, sql=True, error="", reachable=True,
               channels=...) -> dict[str, Any]:
    if not reachable:
        return {"reachable": False, "error": "connection refused"}
    if channels is ...:
        channels = [{"io_running": io, "sql_running": sql, "io_error": "", "sql_error": error}]
    return {"reachable": True, "server_uuid": "u", "gtid_executed": gtid, "channels": channels,
            "checksum": checksum, "write_ids": list(ids), "keepalived": "running"}


def final(t, n1=None, n2=None, owners=("node1",), converged=1.0, ids=()) -> Event:
    """The ``final`` event; both nodes hold ``ids`` unless given explicitly."""
    return {"t": t, "kind": "final",
            "nodes": {"node1": n1 if n1 is not None else node_state(ids),
                      "node2": n2 if n2 is not None else node_state(ids)},
            "vip_owners": list(owners), "converged_after_s": converged}


def acked(events) -> list[str]:
    return [e["id"] for e in events if e["kind"] == "op" and e["type"] == "ok"]


def failover_history(*, fault_at=2.0, move_at=4.0, serve_at=4.5, heal_at=8.0, end=12.0,
                     name="kill-mysqld", removes_service=True, expectations=(),
                     bounds=None) -> list[Event]:
    """A clean fault run: node1 owns the VIP, ``name`` hits node1 at ``fault_at``, node1 drops
    the VIP half a second before node2 takes it at ``move_at``, writes fail while nobody
    serves and succeed on node2 from ``serve_at``; healed at ``heal_at``; watched throughout
    (VIP beats every 0.5 s), final state at ``end`` with every acknowledged write on both."""
    ev = [run(0.0, expectations=expectations, bounds=bounds), phase(0.1, "observe"),
          vip(0.0, "node1", True), vip(0.0, "node2", False), *watched(0.0, end)]
    t, k = 0.5, 0
    while t < end - 1.0:
        k += 1
        if t < fault_at:
            outcome, node = "ok", "node1"
        elif t < serve_at:
            outcome, node = "fail", None
        else:
            outcome, node = "ok", "node2"
        ev += write(t, f"w{k}", outcome, node)
        t = round(t + 0.5, 3)
    t = 0.5
    while t < end:  # the replication sampler: node1 unreachable while it is down
        down = removes_service and fault_at <= t < heal_at + 1
        ev += [repl(t, "node1", reachable=not down), repl(t, "node2")]
        t = round(t + 1.0, 3)
    ev += [fault(fault_at, name=name, removes_service=removes_service),
           vip(round(move_at - 0.5, 3), "node1", False), vip(move_at, "node2", True),
           healed(heal_at, name=name), phase(heal_at, "heal")]
    ev.append(final(end, ids=acked(ev), owners=("node2",)))
    return sorted(ev, key=lambda e: e["t"])


def without(events, pred) -> list[Event]:
    """The history minus the events ``pred`` selects."""
    return [e for e in events if not pred(e)]


def replace_final(events, **fields) -> list[Event]:
    out = [e for e in events if e["kind"] != "final"]
    fin = next(e for e in events if e["kind"] == "final")
    return [*out, {**fin, **fields}]


def bringup_history(*, ready_at=5.0, end=12.0, owner="node1", bounds=None, checks=None,
                    extra=()) -> list[Event]:
    """A clean bring-up: both nodes' keepalived, checks and channels fine and node1 (the
    highest priority) holding the VIP from ``ready_at``."""
    ev = [run(0.0, scenario="bring-up", bounds=bounds, checks=checks),
          phase(0.5, "bring-up"), vip(0.6, "node1", False), vip(0.6, "node2", False),
          *watched(0.5, end),
          proc(1.0, "node1"), proc(1.0, "node2"),
          repl(2.0, "node1"), repl(2.0, "node2"),
          check(3.0, "node1"), check(3.0, "node2"),
          vrrp(3.5, "node1", "BACKUP"), vrrp(3.5, "node2", "BACKUP"),
          vrrp(ready_at, owner, "MASTER"), vip(ready_at, owner, True),
          klog(ready_at, owner, "(VI_1) Entering MASTER STATE"),
          repl(ready_at + 1, "node1"), repl(ready_at + 1, "node2"),
          *extra, final(end, owners=(owner,))]
    return sorted(ev, key=lambda e: e["t"])
