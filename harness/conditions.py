"""Conditions a sequence step can wait for, evaluated over the live history (the same events
the checkers read), so "after the VIP moved" means what the history shows:

- ``vip-moved``: the last fault's target lost the VIP, another node holds it and acknowledged a
  write since;
- ``converged``: both replication channels running and the GTID executed sets equal (last
  samples);
- ``redundant``: both keepalived running, one MASTER and one BACKUP, one VIP owner, every
  tracked check passing, both channels running (the pair could fail over again);
- ``healed``: every started fault has healed;
- ``NODE is STATE`` (``node1 is BACKUP``): the node's last VRRP state;
- ``NODE holds the vip``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import harness.checkers.gtid as gtid
from harness.checkers.query import judged_events, node_names, problems_in, run_info, state_at
from harness.errors import ConfigError
from harness.history import Event

Condition = Callable[[list[Event]], bool]
NAMES = ("vip-moved", "converged", "redundant", "healed", "NODE is STATE", "NODE holds the vip")


def vip_moved(events: list[Event], step: int | None = None) -> bool:
    """The fault of ``step`` (default: the last one started) had its target lose the VIP:
    another node holds it and acknowledged a write since it took it."""
    events = judged_events(events)
    starts = [e for e in events if e["kind"] == "fault" and e.get("phase") == "start"
              and (step is None or e.get("step") == step)]
    if not starts:
        return False
    f = starts[-1]
    moved = next((e for e in events if e["kind"] == "vip" and e["t"] >= f["t"] and e["held"]
                  and e["node"] not in f.get("nodes", [])), None)
    return moved is not None and any(
        e["kind"] == "op" and e["type"] == "ok" and e["t"] >= moved["t"]
        and e.get("node") == moved["node"] for e in events)


def converged(events: list[Event]) -> bool:
    last: dict[str, Event] = {}
    for e in events:
        if e["kind"] == "repl" and e.get("reachable"):
            last[e["node"]] = e
    nodes = node_names(events)
    if len(last) < len(nodes) or not nodes:
        return False
    sets = [last[n].get("gtid", "") for n in nodes]
    return all(last[n].get("io") and last[n].get("sql") for n in nodes) and all(
        gtid.equal(sets[0], s) for s in sets[1:])


def redundant(events: list[Event]) -> bool:
    events = judged_events(events)
    nodes = node_names(events)
    t = max((e["t"] for e in events), default=0.0)
    return not problems_in(state_at(events, t, nodes), None, run_info(events).get("checks"))


def healed(events: list[Event]) -> bool:
    started = {e.get("step") for e in events if e["kind"] == "fault" and e.get("phase") == "start"}
    done = {e.get("step") for e in events if e["kind"] == "fault" and e.get("phase") == "healed"}
    return started <= done


def parse(text: str, nodes: list[str]) -> Condition:
    """A condition by name; ConfigError naming the known ones otherwise."""
    t = " ".join(text.strip().lower().replace("_", "-").split())
    simple = {"vip-moved": vip_moved, "after the vip moved": vip_moved, "converged": converged,
              "after replication converged": converged, "redundant": redundant,
              "redundancy-restored": redundant, "healed": healed}
    if t in simple:
        return simple[t]
    if m := re.fullmatch(r"(\S+) is (master|backup|fault|stop)", t):
        node, state = m.group(1), m.group(2).upper()
        _known(node, nodes, text)
        return lambda ev: next((e["state"] for e in reversed(ev) if e["kind"] == "vrrp"
                                and e.get("node") == node), None) == state
    if m := re.fullmatch(r"(\S+) holds the vip", t):
        node = m.group(1)
        _known(node, nodes, text)
        return lambda ev: next((e["held"] for e in reversed(judged_events(ev))
                                if e["kind"] == "vip"
                                and e.get("node") == node), None) is True
    raise ConfigError(f"unknown condition {text!r}; conditions: {', '.join(NAMES)}")


def _known(node: str, nodes: list[str], text: str) -> None:
    if nodes and node not in nodes:
        raise ConfigError(f"condition {text!r}: no node {node!r} (nodes: {', '.join(nodes)})")
