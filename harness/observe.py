"""Observers that feed the history while a scenario runs.

- ``VrrpFollower``: keepalived pushes each VRRP transition through its notify FIFO into a log in
  the node, stamped at the moment it happens (``vc-notify-fifo``); the follower reads that log
  through ``/proc/<pid>/root`` (no ``docker exec``, works while the node is paused) and converts
  the stamps to the history's clock.
- ``VipProber``: reads each node's addresses from its network namespace every 100 ms and records
  changes of who holds the VIP (the ground truth the single-owner checker uses).
- ``ReplSampler``: samples both replication channels and GTID sets every second.
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

from harness.history import History
from harness.node import VRRP_LOG, Node


class _Loop:
    interval = 0.1

    def __init__(self, history: History, nodes: list[Node]) -> None:
        self.history, self.nodes = history, nodes
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=type(self).__name__)

    def start(self) -> _Loop:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        # one last read so nothing that happened before stop is missed (the cluster may
        # already be gone when the run was interrupted)
        with contextlib.suppress(Exception):
            self.tick()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.tick()

    def tick(self) -> None:
        raise NotImplementedError


class VrrpFollower(_Loop):
    interval = 0.2

    def __init__(self, history: History, nodes: list[Node]) -> None:
        super().__init__(history, nodes)
        self._offsets: dict[str, int] = {}
        self._initial: list[tuple[Node, str]] = []
        for n in nodes:  # start at the current end: only new transitions belong to this run
            data = self._read(n)
            self._offsets[n.name] = len(data)
            lines = data.decode(errors="replace").strip().splitlines()
            if lines:
                self._initial.append((n, lines[-1]))

    def start(self) -> _Loop:
        """Record each node's current state (its last transition) at t=now, then follow."""
        for node, line in self._initial:
            parts = line.split()
            if len(parts) >= 4:
                stamp = f"{time.time():.6f}"
                self._record(node, " ".join([stamp, *parts[1:]]), initial=True)
        return super().start()

    def _read(self, node: Node) -> bytes:
        try:
            return Path(f"/proc/{node.pid()}/root{VRRP_LOG}").read_bytes()
        except (OSError, ValueError):
            try:
                return Path(f"/proc/{node.pid(refresh=True)}/root{VRRP_LOG}").read_bytes()
            except Exception:
                return b""
        except Exception:
            return b""

    def tick(self) -> None:
        for n in self.nodes:
            data = self._read(n)
            off = self._offsets.get(n.name, 0)
            if len(data) < off:
                off = 0
            chunk, sep, _ = data[off:].rpartition(b"\n")
            if not sep:
                continue
            self._offsets[n.name] = off + len(chunk) + 1
            for line in chunk.decode(errors="replace").splitlines():
                self._record(n, line)

    def _record(self, node: Node, line: str, initial: bool = False) -> None:
        # "<wall stamp> INSTANCE "VI_1" MASTER 102"
        parts = line.split()
        if len(parts) < 4:
            return
        try:
            t = self.history.wall_to_t(float(parts[0]))
        except ValueError:
            return
        state = parts[3]
        prio = int(parts[4]) if len(parts) > 4 and parts[4].isdigit() else None
        self.history.add("vrrp", t=t, node=node.name, state=state, priority=prio,
                         instance=parts[2].strip('"'), scope=parts[1], initial=initial)


class VipProber(_Loop):
    interval = 0.1

    def __init__(self, history: History, nodes: list[Node]) -> None:
        super().__init__(history, nodes)
        self._held: dict[str, bool] = {}

    def tick(self) -> None:
        for n in self.nodes:
            held = n.holds_vip()
            if self._held.get(n.name) != held:
                self._held[n.name] = held
                self.history.add("vip", node=n.name, held=held)


class ReplSampler(_Loop):
    interval = 1.0

    def __init__(self, history: History, nodes: list[Node], channels) -> None:
        super().__init__(history, nodes)
        self._channels = channels

    def tick(self) -> None:
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
                sql=ch.get("sql_running"), error=ch.get("io_error") or ch.get("sql_error") or "",
                gtid=gtid,
            )


def start_observers(history: History, cluster) -> list[_Loop]:
    return [VrrpFollower(history, cluster.nodes).start(),
            VipProber(history, cluster.nodes).start(),
            ReplSampler(history, cluster.nodes, cluster.channels).start()]
