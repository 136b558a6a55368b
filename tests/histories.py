"""Tiny builders for synthetic histories and final states (no cluster needed)."""

from __future__ import annotations


def vip(t, node, held):
    return {"t": t, "kind": "vip", "node": node, "held": held}


def fault(t, phase="start", name="kill-mysqld", nodes=("node1",)):
    return {"t": t, "kind": "fault", "phase": phase, "fault": name, "nodes": list(nodes)}


def op(t, kind, op_id, node=None):
    return {"t": t, "kind": "op", "type": kind, "id": op_id, "f": "write", "node": node}


def write(t, op_id, outcome="ok", node="node1"):
    """invoke + outcome, 10 ms apart."""
    return [op(t, "invoke", op_id), op(t + 0.01, outcome, op_id, node)]


def failover_history(move_at=4.0, serve_at=4.5):
    """node1 owns, fault at 2 s, node2 takes the VIP at move_at and serves at serve_at."""
    ev = [vip(0.0, "node1", True), vip(0.0, "node2", False)]
    ev += write(1.0, "a", node="node1")
    ev += [fault(2.0)]
    ev += [vip(move_at - 0.5, "node1", False), vip(move_at, "node2", True)]
    ev += write(serve_at, "b", node="node2")
    ev += [fault(10.0, "healed")]
    return ev


def node_state(ids, gtid="3e11fa47-71ca-11e1-9e33-c80aa9429562:1-10", checksum=42,
               io=True, sql=True, error=""):
    return {"reachable": True, "server_uuid": "u", "gtid_executed": gtid,
            "channels": [{"io_running": io, "sql_running": sql, "io_error": "",
                          "sql_error": error}],
            "checksum": checksum, "write_ids": list(ids)}


def final(n1, n2, owner="node1", converged=1.0):
    return {"nodes": {"node1": n1, "node2": n2}, "vip_owner": owner,
            "converged_after_s": converged}
