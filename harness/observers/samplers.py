"""Observers that poll: each round reads the pair's state from the host and records what
changed, with a beat (``harness.observers.base``). They cross-check and complete the streams
stamped at the source (``harness.observers.addresses``, ``harness.observers.logs``):

- ``VipProber`` (every 20 ms): each node's local addresses from ``/proc/<pid>/net/fib_trie``
  (the kernel's own table; microseconds, no exec, works while the node is paused), recorded as
  ``vip`` events with ``source: poll``;
- ``ProcSampler`` (every 250 ms): the processes of each node's cgroup: keepalived running,
  mysqld's process state (R/S/T);
- ``ArpWatcher`` (every 50 ms): the client's neighbour entry for the VIP (host
  ``/proc/net/arp``), i.e. which node a new client connection would reach;
- ``ReplSampler`` (every second): both replication channels and GTID sets; and, the instant a
  node takes the VIP (as the checkers see it: ``query.vip_takes``), its backlog and the writes
  it holds (``promotion``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from harness.checkers.query import vip_takes as takes
from harness.history import History
from harness.node import Node
from harness.observers.base import Observer


class VipProber(Observer):
    name = "vip"
    interval = 0.02

    def __init__(self, history: History, nodes: list[Node]) -> None:
        super().__init__(history, nodes)
        self._last: dict[str, Any] = {}

    def tick(self) -> None:
        for n in self.nodes:
            held, why = n.holds_vip()
            if held is None:
                self.error(n.name, why)
            key = (held, why if held is None else None)
            if self._last.get(n.name) != key:
                self._last[n.name] = key
                self.history.add("vip", node=n.name, held=held, why=why, source="poll")
            if held is not None:
                self.beat(n.name)


class ProcSampler(Observer):
    """Processes in each node's cgroup, read from the host (works while paused)."""

    name = "proc"
    interval = 0.25

    def __init__(self, history: History, nodes: list[Node]) -> None:
        super().__init__(history, nodes)
        self._last: dict[str, Any] = {}

    @staticmethod
    def sample(pid: int) -> dict[str, Any]:
        cg = next(line.split(":", 2)[2] for line in
                  Path(f"/proc/{pid}/cgroup").read_text().splitlines()
                  if line.split(":", 2)[1] == "pids")
        procs = Path(f"/sys/fs/cgroup/pids{cg}/cgroup.procs").read_text().split()
        ka, mysqld = 0, None
        for p in procs:
            try:
                stat = Path(f"/proc/{p}/stat").read_text()
            except OSError:
                continue
            comm = stat[stat.index("(") + 1:stat.rindex(")")]
            state = stat[stat.rindex(")") + 2]
            if comm == "keepalived":
                ka += 1
            elif comm in ("mysqld", "mariadbd"):  # MariaDB 10.5+ runs as mariadbd
                mysqld = state
        return {"keepalived": ka, "mysqld": mysqld}

    def tick(self) -> None:
        for n in self.nodes:
            try:
                pid = n.pid()
                s = self.sample(pid) if pid else None
            except (OSError, StopIteration):
                s = None
            if s is None:
                # the init is gone: find the current one through the node's cgroup (cheap, no
                # engine round-trip every 250 ms while a node is down); none means stopped
                try:
                    pid = n.pid(refresh=True)
                    s = self.sample(pid) if pid else None
                except (OSError, StopIteration):
                    self.error(n.name, "cannot read the node's processes")
                    continue
                if s is None:
                    s = {"keepalived": 0, "mysqld": None, "running": False}
            if self._last.get(n.name) != s:
                self._last[n.name] = s
                self.history.add("proc", node=n.name, **s)
            self.beat(n.name)


class ArpWatcher(Observer):
    """The host is the lab's client: its neighbour entry for the VIP says which node a new
    connection to the VIP reaches (gratuitous ARP updates it)."""

    name = "arp"
    interval = 0.05

    def __init__(self, history: History, nodes: list[Node], vip: str, device: str) -> None:
        super().__init__(history, nodes)
        self.vip, self.device = vip, device
        self._macs = {}
        for n in nodes:
            try:
                if mac := n.mac():
                    self._macs[mac.lower()] = n.name
            except Exception as exc:
                self.error(n.name, exc)
        self._last: tuple | None = None

    def tick(self) -> None:
        entry = None
        for line in Path("/proc/net/arp").read_text().splitlines()[1:]:
            f = line.split()
            if len(f) >= 6 and f[0] == self.vip and f[5] == self.device:
                entry = (f[3].lower(), f[2])
        key = (entry[0] if entry and entry[1] != "0x0" else None)
        if key != self._last:
            self._last = key
            self.history.add("arp", mac=key, node=self._macs.get(key) if key else None)
        self.beat()


class ReplSampler(Observer):
    """Both channels and GTID sets every second; and the instant a node takes the VIP, that
    node's backlog (retrieved but not executed) and the writes it holds: the ``promotion``
    event the lag figures come from."""

    name = "repl"
    interval = 0.2
    every = 1.0

    def __init__(self, history: History, nodes: list[Node], channels, table: str = "") -> None:
        super().__init__(history, nodes)
        self._channels, self._table = channels, table
        self._last_full = 0.0
        self._seen_takes: set[tuple[str, float]] = set()
        # history time (the base class's ``_started`` is the round's monotonic start: sharing
        # the name once made every take look older than the sampler, and no promotion recorded)
        self._since = history.now()

    def tick(self) -> None:
        if self._table:
            for node, t in takes(self.history.events()):
                if t > self._since and (node, t) not in self._seen_takes:
                    self._seen_takes.add((node, t))
                    self._promotion(next(n for n in self.nodes if n.name == node), t)
        if time.monotonic() - self._last_full < self.every:
            return
        self._last_full = time.monotonic()
        for n in self.nodes:
            try:
                chs = self._channels(n)
                gtid = n.gtid_executed()
            except Exception as exc:
                self.history.add("repl", node=n.name, reachable=False, error=str(exc)[:200])
                continue
            ch = chs[0] if chs else {}
            self.history.add(
                "repl", node=n.name, reachable=True, io=ch.get("io_running"),
                sql=ch.get("sql_running"), io_error=ch.get("io_error") or "",
                sql_error=ch.get("sql_error") or "", sql_errno=ch.get("sql_errno") or 0, gtid=gtid,
                retrieved=ch.get("retrieved", ""))
            self.beat(n.name)

    def _promotion(self, node: Node, took_at: float) -> None:
        try:
            chs = self._channels(node)
            executed = node.gtid_executed()
            ids = [r["op_id"] for r in node.sql(f"SELECT op_id FROM {self._table}", timeout=2)]
        except Exception as exc:
            self.history.add("promotion", node=node.name, took_at=took_at, error=str(exc)[:200])
            return
        retrieved = chs[0].get("retrieved", "") if chs else ""
        self.history.add("promotion", node=node.name, took_at=took_at, executed=executed,
                         retrieved=retrieved, ids=ids)


