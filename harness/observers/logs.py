"""Followers of the logs the node's programs write, each line stamped by its writer
(``harness.logformats``): keepalived's own log files (VRRP states, check results), the node
supervisor's service log (processes started and exited), mysqld's error log. Read from the host
through ``/proc/<pid>/root`` (no exec; works while the node is paused). How late a line is read
does not change when it happened, so a busy test process cannot distort these facts.
"""

from __future__ import annotations

from typing import Any

from harness.history import History
from harness.logformats import klog_events, parse_klog, parse_mlog, parse_service
from harness.node import KEEPALIVED_LOGS, MYSQL_LOG, SERVICE_LOG
from harness.observers.base import Observer


class LogFollower(Observer):
    """Follows files in each node from their end at start; subclasses turn lines into events.
    A file that does not exist (yet, or the node is down) is simply nothing to read."""

    paths: tuple[str, ...] = ()

    def __init__(self, history: History, nodes: list) -> None:
        super().__init__(history, nodes)
        self._offsets: dict[tuple[str, str], int] = {}
        for n in nodes:
            for path in self.paths:
                data = self._read(n, path) or b""
                self._offsets[(n.name, path)] = len(data)
                self.seen_at_start(n.name, path, data.decode(errors="replace").splitlines())

    @staticmethod
    def _read(node, path: str) -> bytes | None:
        try:
            return node.read_file(path)
        except OSError:
            return None

    def seen_at_start(self, node: str, path: str, lines: list[str]) -> None:
        """What the file held before the observation began (default: nothing to record)."""

    def tick(self) -> None:
        for n in self.nodes:
            ok = True
            for path in self.paths:
                key = (n.name, path)
                try:
                    data, start = n.read_from(path, self._offsets.get(key, 0))
                except FileNotFoundError:
                    continue
                except (OSError, ValueError) as exc:
                    self.error(n.name, exc)
                    ok = False
                    continue
                chunk, sep, _ = data.rpartition(b"\n")
                if not sep:
                    continue
                self._offsets[key] = start + len(chunk) + 1
                for line in chunk.decode(errors="replace").splitlines():
                    self.line(n.name, path, line)
            if ok:
                self.beat(n.name)

    def line(self, node: str, path: str, line: str) -> None:
        raise NotImplementedError


class KeepalivedLog(LogFollower):
    """keepalived's own log files (``--log-file``, nanosecond stamps): VRRP states, check
    results, log lines as evidence. At start, each node's last known VRRP state and check
    results are recorded as ``initial`` events."""

    name = "keepalived"
    interval = 0.1
    paths = KEEPALIVED_LOGS

    def __init__(self, history: History, nodes: list) -> None:
        self._initial: list[tuple[str, str, dict[str, Any]]] = []
        self._state: dict[str, str] = {}
        self._latest: dict[str, dict[str, tuple[float, dict[str, Any]]]] = {}
        super().__init__(history, nodes)
        for node, state in self._latest.items():
            for key, (_, fields) in sorted(state.items()):
                self._initial.append((node, key.split(":")[0], fields))
                if key == "vrrp":
                    self._state[node] = fields["state"]

    def seen_at_start(self, node: str, path: str, lines: list[str]) -> None:
        state = self._latest.setdefault(node, {})
        for line in lines:
            parsed = parse_klog(line)
            for kind, fields in klog_events(parsed[1], path.endswith("_vrrp.log")) \
                    if parsed else []:
                key = "vrrp" if kind == "vrrp" else \
                    f"check:{fields['script']}" if kind == "check" else None
                if key and (key not in state or parsed[0] >= state[key][0]):
                    state[key] = (parsed[0], fields)

    def start(self) -> Observer:
        for node, kind, fields in self._initial:
            self.history.add(kind, node=node, initial=True, **fields)
        return super().start()

    def line(self, node: str, path: str, line: str) -> None:
        parsed = parse_klog(line)
        if parsed is None:  # a continuation line of the previous message
            return
        wall, text = parsed
        t = self.history.wall_to_t(wall)
        for kind, fields in klog_events(text, path.endswith("_vrrp.log")):
            if kind == "vrrp":
                if fields["state"] == "STOP" and self._state.get(node) == "STOP":
                    continue  # the child and the parent both say it stopped: once is enough
                self._state[node] = fields["state"]
            self.history.add(kind, t=t, node=node, **fields)


class ServiceLog(LogFollower):
    """The node supervisor's record of mysqld and keepalived (``vcctl`` and ``vc-svc`` in the
    node image): started with its pid, exited with its status or signal, stopping."""

    name = "service"
    interval = 0.1
    paths = (SERVICE_LOG,)

    def line(self, node: str, path: str, line: str) -> None:
        parsed = parse_service(line)
        if parsed is not None:
            wall, fields = parsed
            self.history.add("service", t=self.history.wall_to_t(wall), node=node, **fields)


class MysqldLog(LogFollower):
    """mysqld's error log: warnings and errors (with their code) as evidence, and the
    moments it became ready or shut down."""

    name = "mysqld"
    interval = 0.25
    paths = (MYSQL_LOG,)
    KEEP = ("ERROR", "Warning", "System")

    def line(self, node: str, path: str, line: str) -> None:
        parsed = parse_mlog(line)
        if parsed is not None and parsed[1]["level"] in self.KEEP:
            wall, fields = parsed
            self.history.add("mlog", t=self.history.wall_to_t(wall), node=node, **fields)
