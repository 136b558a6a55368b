"""The run's single ordered event log.

Every event is a plain dict with ``t`` (seconds since the history started, monotonic clock,
millisecond resolution), ``kind`` and kind-specific fields. Checkers read nothing else, so a
history written by hand is as good as a recorded one (that is how they are unit-tested).

The history is the only input to judgement (``vipchaos check`` re-judges a stored run from its
``history.jsonl`` alone), so everything a checker needs is an event. Kinds and their fields:

- ``run``:    first event: ``bundle``, ``scenario``, ``nodes`` [{name, ip, priority}], ``vip``,
  ``bounds`` {migration_s, master_down_s, convergence_s, observer_gap_s, ...},
  ``expectations`` (accepted risks / incident expectations, as dicts)
- ``phase``:  ``name`` (bring-up | observe | workload | inject | hold | heal | converge | check)
- ``fault``:  ``phase`` (start | healed | skipped | failed), ``fault``, ``step`` (its index in
  the scenario), ``nodes``, ``target`` (as written), ``owner_at_start`` (who held the VIP when it
  started), ``removes_service`` (the VIP must move), ``detail`` (how it was verified / why not)
- ``vrrp``:   ``node``, ``state`` (MASTER | BACKUP | FAULT | STOP | CRASH), ``initial``; from
  keepalived's own log file, stamped by keepalived (ns)
- ``check``:  ``node``, ``script``, ``ok``; keepalived's vrrp_script results (log file)
- ``klog``:   ``node``, ``text``; keepalived log lines (evidence; gratuitous-ARP chatter dropped)
- ``vip``:    ``node``, ``held`` (true | false | null = could not be observed), ``why``; the
  node's local addresses read every 20 ms, recorded on change
- ``arp``:    ``mac``, ``node``; the client's (host's) neighbour entry for the VIP, on change
- ``proc``:   ``node``, ``keepalived`` (process count), ``mysqld`` (process state letter or
  null); on change
- ``beat``:   ``observer``, ``node``; an observer's heartbeat after successful observations:
  a gap between beats is a stretch nobody watched
- ``observer_error``: ``observer``, ``node``, ``error``
- ``op``:     ``type`` (invoke | ok | fail | unknown), ``id``, ``f`` (write), ``node`` and
  ``uuid`` (server that acknowledged), ``error``
- ``repl``:   ``node``, ``reachable``, ``io`` / ``sql`` (running), ``io_error``, ``sql_error``,
  ``gtid`` (executed), ``retrieved``
- ``final``:  ``nodes`` {name: {reachable, server_uuid, gtid_executed, channels, checksum,
  write_ids, keepalived}}, ``vip_owners``, ``converged_after_s``
- ``note``:   ``text``
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.files import read_jsonl, write_atomic

Event = dict[str, Any]


class History:
    """Thread-safe, append-only event log on a monotonic clock.

    ``wall_to_t`` converts a wall-clock stamp (as written by a script inside a node: containers
    share the host's kernel clock) into the history's time base.
    """

    def __init__(self, clock=time.monotonic, wall=time.time) -> None:
        self._clock = clock
        self._t0 = clock()
        self._wall_offset = wall() - self._t0
        self._events: list[Event] = []
        self._lock = threading.Lock()

    def now(self) -> float:
        return round(self._clock() - self._t0, 3)

    def wall_to_t(self, wall_stamp: float) -> float:
        return round(wall_stamp - self._wall_offset - self._t0, 3)

    def add(self, kind: str, t: float | None = None, **fields: Any) -> Event:
        """Append an event (stamped now unless ``t`` is given) and return it."""
        event = {"t": self.now() if t is None else round(t, 3), "kind": kind, **fields}
        with self._lock:
            self._events.append(event)
        return event

    def events(self, kind: str | None = None) -> list[Event]:
        """A time-ordered snapshot (events pushed from nodes may arrive slightly late)."""
        with self._lock:
            snap = list(self._events)
        snap.sort(key=lambda e: e["t"])
        return [e for e in snap if kind is None or e["kind"] == kind]

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events())

    def __len__(self) -> int:
        return len(self._events)

    def save(self, path: Path) -> Path:
        """Write the history as JSON lines, whole (``files.write_atomic``); returns the
        path."""
        return write_atomic(path, "".join(json.dumps(event, sort_keys=True) + "\n"
                                          for event in self.events()))


def first(events: list[Event], kind: str) -> Event | None:
    """The first event of a kind (``run``), or None."""
    return next((e for e in events if e["kind"] == kind), None)


def last(events: list[Event], kind: str) -> Event | None:
    """The last event of a kind (``final``), or None."""
    return next((e for e in reversed(events) if e["kind"] == kind), None)


def load(path: Path) -> list[Event]:
    """Read a JSON-lines history back (for ``vipchaos report`` and checker replays); a bad
    line raises ``files.RunFileError`` naming file:line."""
    events = read_jsonl(Path(path))
    events.sort(key=lambda e: e["t"])
    return events

