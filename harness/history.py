"""The run's single ordered event log.

Every event is a plain dict with ``t`` (seconds since the history started, monotonic clock,
millisecond resolution), ``kind`` and kind-specific fields. Checkers read nothing else, so a
history written by hand is as good as a recorded one (that is how they are unit-tested).

Kinds and their fields:

- ``phase``:  ``name`` (setup | workload | inject | hold | heal | converge | check | done)
- ``fault``:  ``phase`` (start | healed | skipped), ``fault`` (name), ``nodes`` (list of names),
  ``detail`` (how it was verified, or why it was skipped)
- ``vrrp``:   ``node``, ``state`` (MASTER | BACKUP | FAULT | STOP), ``priority``; pushed by the
  keepalived ``notify`` script inside each node, stamped there
- ``vip``:    ``node``, ``held`` (bool); a probe of the node's addresses, recorded on change
  (the first sample of each node is always recorded)
- ``op``:     ``type`` (invoke | ok | fail | unknown), ``id`` (unique write id), ``f`` (write),
  ``node`` (server that acknowledged, for ok), ``error`` (for fail/unknown)
- ``repl``:   ``node``, ``io`` / ``sql`` (running: bool), ``error`` (str), ``gtid`` (executed set)
- ``note``:   ``text``
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
        """Write the history as JSON lines; returns the path."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w") as fh:
            for event in self.events():
                fh.write(json.dumps(event, sort_keys=True) + "\n")
        return path


def load(path: Path) -> list[Event]:
    """Read a JSON-lines history back (for ``vipchaos report`` and checker replays)."""
    events = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    events.sort(key=lambda e: e["t"])
    return events

