"""The VIP from the kernel itself: per node, the address events of its network namespace.

For each node an ``ip -tshort -oneline monitor address`` runs from the host inside the node's
network namespace (``nsenter``), writing to a file: the kernel reports every address added or
deleted and ``ip`` stamps it as it arrives. It runs outside the test process (a busy
interpreter cannot delay its stamps) and outside the node's cgroup (a ``docker pause``d node's
stream goes on). This observer only reads what the streams wrote, so when it reads does not
matter.

A stream is *up* from its first dump (the addresses held when it began, stamped then) until it
ends, and while it is up its silence means nothing changed: there is nothing to poll. Each
start and end is a ``stream`` event saying why. A restarted node (crash-node, reboot) has a new
namespace and gets a new stream; the old one saw the addresses deleted when Docker took the
interface away at the kill. Between the new namespace's creation and its stream's dump nothing
there can hold the VIP (keepalived starts only once mysqld answers, seconds later), and the 20 ms
poller (``samplers.VipProber``) still covers that stretch.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from harness.history import History
from harness.logformats import addresses_in_dump, parse_addr_event
from harness.observers.base import Observer

# monitor first, then (once it listens) the dump; an address changed in between shows in both
SCRIPT = ('ip -tshort -oneline monitor address & m=$!; sleep 0.2; '
          'echo "DUMP $(date +%s.%N)"; ip -oneline -4 addr show; echo DUMP-END; wait $m')


@dataclass
class _Stream:
    pid: int  # the node's init the namespace belongs to
    proc: subprocess.Popen
    path: Path
    offset: int = 0
    up_at: float | None = None
    dump_wall: float | None = None
    dump: list[str] = field(default_factory=list)
    in_dump: bool = False
    holders: set[int] = field(default_factory=set)  # interface indexes holding the VIP
    replaces: _Stream | None = None  # the stream of the node's previous namespace


class AddressStream(Observer):
    name = "addr"
    interval = 0.05

    def __init__(self, history: History, nodes: list, vip: str) -> None:
        super().__init__(history, nodes)
        self.vip = vip
        self._dir = Path(tempfile.mkdtemp(prefix="vipchaos-addr-"))
        self._streams: dict[str, _Stream] = {}
        self._count = 0

    # --- the streams ----------------------------------------------------------------------
    def _spawn(self, node, pid: int) -> _Stream:
        self._count += 1
        path = self._dir / f"{node.name}-{self._count}.log"
        with open(path, "wb") as out:
            proc = subprocess.Popen(
                ["nsenter", "-t", str(pid), "-n", "--", "sh", "-c", SCRIPT], stdout=out,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                env={"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
                     "TZ": "UTC"})
        return _Stream(pid, proc, path)

    @staticmethod
    def _end(stream: _Stream) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(stream.proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            stream.proc.wait(timeout=2)

    def _down(self, node: str, stream: _Stream, why: str, t: float | None = None) -> None:
        if stream.up_at is not None:
            self.history.add("stream", t=t, stream="addr", node=node, state="down", why=why)
        else:
            self.error(node, f"address stream never came up: {why}")
        self._end(stream)

    def tick(self) -> None:
        for n in self.nodes:
            try:
                self._follow(n)
            except OSError as exc:
                self.error(n.name, exc)

    def _follow(self, node) -> None:
        stream = self._streams.get(node.name)
        pid = node.pid()
        if stream is not None and stream.pid != pid and not os.path.exists(f"/proc/{pid}"):
            pid = node.pid(refresh=True)
        if pid and (stream is None or stream.pid != pid) and os.path.exists(f"/proc/{pid}"):
            new = self._spawn(node, pid)
            self._streams[node.name] = new
            if stream is not None:  # the node restarted: its old namespace is gone
                self._read(node.name, stream)
                new.replaces = stream
            stream = new
        if stream is None:
            return
        self._read(node.name, stream)
        if stream.replaces is not None and stream.up_at is not None:
            self._down(node.name, stream.replaces, "the node restarted: the stream of its new "
                       "namespace took over", t=stream.up_at)
            stream.replaces = None
        if stream.proc.poll() is not None:
            self._read(node.name, stream)
            tail = stream.path.read_bytes()[-300:].decode(errors="replace").strip()
            self._down(node.name, stream, f"ip monitor exited with {stream.proc.returncode}"
                       + (f": {tail}" if tail and stream.up_at is None else ""))
            del self._streams[node.name]

    def _read(self, node: str, stream: _Stream) -> None:
        with open(stream.path, "rb") as fh:
            fh.seek(stream.offset)
            data = fh.read()
        chunk, sep, _ = data.rpartition(b"\n")
        if not sep:
            return
        stream.offset += len(chunk) + 1
        for line in chunk.decode(errors="replace").splitlines():
            self._line(node, stream, line)

    def _line(self, node: str, stream: _Stream, line: str) -> None:
        if line.startswith("DUMP "):
            stream.in_dump, stream.dump_wall = True, float(line.split()[1])
            return
        if line == "DUMP-END" and stream.in_dump:
            stream.in_dump = False
            stream.holders = {i for i, a in addresses_in_dump(stream.dump) if a == self.vip}
            t = self.history.wall_to_t(stream.dump_wall)
            stream.up_at = t
            self.history.add("stream", t=t, stream="addr", node=node, state="up",
                             why=f"ip monitor in the namespace of pid {stream.pid}")
            self.history.add("vip", t=t, node=node, held=bool(stream.holders), why="dump",
                             source="dump")
            return
        if stream.in_dump:
            stream.dump.append(line)
            return
        parsed = parse_addr_event(line)
        if parsed is None or parsed[2] != self.vip:
            return
        wall, index, _addr, added = parsed
        if stream.up_at is None or (stream.dump_wall is not None and wall < stream.dump_wall):
            return  # before the dump: the dump already shows its outcome
        before = bool(stream.holders)
        (stream.holders.add if added else stream.holders.discard)(index)
        if bool(stream.holders) != before:
            self.history.add("vip", t=self.history.wall_to_t(wall), node=node,
                             held=bool(stream.holders), why="kernel", source="kernel")

    def close(self) -> None:
        t = self.history.now()
        for node, stream in list(self._streams.items()):
            self._read(node, stream)
            self._down(node, stream, "the observation ended", t=t)
            if stream.replaces is not None:
                self._end(stream.replaces)
        self._streams.clear()
        shutil.rmtree(self._dir, ignore_errors=True)
