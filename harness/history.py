"""The run's single ordered event log (the schema of every event: ``harness.events``).

One class for every recorder: a test's history lives in memory and is saved whole at the end; a
``vipchaos up`` session's is *mirrored* to a file that several processes append to (``watch``,
``fault``, ``heal``, ``action``, ``down``), each stamping ``t`` on the session's clock.
"""

from __future__ import annotations

import fcntl
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from harness.events import Event
from harness.files import read_jsonl, write_atomic

__all__ = ["Event", "History", "append_events", "first", "last", "load"]


class History:
    """Thread-safe, append-only event log.

    ``t`` is seconds since ``origin``, a wall-clock instant (default: now), counted on this
    process's monotonic clock from the moment the history was made: monotonic within a
    process (a clock step cannot reorder events), one time base across the processes of a
    session (they share ``origin``). ``wall_to_t`` places a wall-clock stamp written at the
    source (keepalived's log, the kernel's address events: the containers share the host's
    clock) on the same axis.

    With ``mirror``, ``flush()`` appends what is new to that file (under a lock: other
    processes append too); ``keep`` then names the kinds still kept in memory after a flush
    (what the observers read back), so a long session does not grow without bound.
    """

    def __init__(self, origin: float | None = None, *, mirror: Path | None = None,
                 keep: Iterable[str] | None = None, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._mono0 = clock()
        now_wall = wall()
        self.origin = now_wall if origin is None else origin
        self._offset = now_wall - self.origin  # t at this history's creation
        self.mirror = Path(mirror) if mirror is not None else None
        self._keep = None if keep is None else tuple(keep)
        self._events: list[Event] = []
        self._pending: list[Event] = []
        self._lock = threading.Lock()

    def now(self) -> float:
        return round(self._offset + self._clock() - self._mono0, 3)

    def wall_to_t(self, wall_stamp: float) -> float:
        return round(wall_stamp - self.origin, 3)

    def add(self, kind: str, t: float | None = None, **fields: Any) -> Event:
        """Append an event (stamped now unless ``t`` is given) and return it."""
        event = {"t": self.now() if t is None else round(t, 3), "kind": kind, **fields}
        with self._lock:
            self._events.append(event)
            if self.mirror is not None:
                self._pending.append(event)
        return event

    def events(self, kind: str | None = None, until: float | None = None) -> list[Event]:
        """A time-ordered snapshot (events pushed from streams may arrive slightly late);
        with ``until``, only those stamped at or before it (see ``present``)."""
        with self._lock:
            snap = list(self._events)
        snap.sort(key=lambda e: e["t"])
        return [e for e in snap if (kind is None or e["kind"] == kind)
                and (until is None or e["t"] <= until)]

    def present(self) -> list[Event]:
        """The events stamped up to now. A wall-clock stamp from the source (keepalived's log)
        can lie a few tens of ms ahead of ``now()`` (the host's wall clock is slewed against
        the monotonic one); a decision taken now (a step's condition) must not rest on it, or
        the step is stamped before the evidence that allowed it (seen: a restore judged never
        redundant because the next fault, started on "redundant", was stamped 30 ms before
        the check success it had read)."""
        return self.events(until=self.now())

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events())

    def __len__(self) -> int:
        return len(self._events)

    def flush(self) -> list[Event]:
        """Append the events added since the last flush to the mirror file; returns them."""
        if self.mirror is None:
            return []
        with self._lock:
            out, self._pending = self._pending, []
            if self._keep is not None:
                self._events = [e for e in self._events if e["kind"] in self._keep]
        append_events(self.mirror, out)
        return out

    def save(self, path: Path) -> Path:
        """Write the history as JSON lines, whole (``files.write_atomic``); returns the
        path."""
        return write_atomic(path, "".join(json.dumps(event, sort_keys=True) + "\n"
                                          for event in self.events()))


def append_events(path: Path, events: Iterable[Event]) -> None:
    """Append events as JSON lines to a history shared by several processes: under an
    exclusive lock, in one write, so lines never interleave."""
    data = "".join(json.dumps(e, sort_keys=True, default=str) + "\n" for e in events)
    if not data:
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write(data)
        fh.flush()


def first(events: list[Event], kind: str) -> Event | None:
    """The first event of a kind (``run``), or None."""
    return next((e for e in events if e["kind"] == kind), None)


def last(events: list[Event], kind: str) -> Event | None:
    """The last event of a kind (``final``), or None."""
    return next((e for e in reversed(events) if e["kind"] == kind), None)


def load(path: Path) -> list[Event]:
    """Read a JSON-lines history back (for ``vipchaos check`` and reports), time-ordered; a
    bad line raises ``files.RunFileError`` naming file:line."""
    events = read_jsonl(Path(path))
    events.sort(key=lambda e: e["t"])
    return events
