"""A polling observer: a loop in a thread that records what changed, a ``beat`` after every
successful round (a stretch nobody watched shows as a gap between beats) and an
``observer_error`` when a round fails; an exception never ends the loop silently. Stopping
runs one last round, so what happened just before the end is recorded too."""

from __future__ import annotations

import threading
import time

from harness.history import History

# How often an observer records that it saw a node. A gap between beats is the evidence of a
# blind stretch, known only to this resolution: at 0.5 s a 0.53 s stall of the VIP prober (seen
# under load in CI) showed as a 1.03 s gap and made a verdict unknown; at 0.2 s the recorded gap
# is within 0.2 s of the real one.
BEAT_EVERY_S = 0.2
ERROR_EVERY_S = 2.0


class Observer:
    name = "observer"
    interval = 0.1

    def __init__(self, history: History, nodes: list) -> None:
        self.history, self.nodes = history, nodes
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=type(self).__name__)
        self._beats: dict[str | None, float] = {}
        self._errors: dict[str | None, tuple[str, float]] = {}

    def start(self) -> Observer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.close()

    def close(self) -> None:
        """After the loop ended (``stop``): release what the observer holds."""

    def _run(self) -> None:
        while not self._stop.is_set():
            self._round()
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - self._started)))
        self._round()  # the last word: what happened just before the stop

    def _round(self) -> None:
        self._started = time.monotonic()
        try:
            self.tick()
        except Exception as exc:  # recorded, and the loop goes on
            self.error(None, exc)

    def tick(self) -> None:
        raise NotImplementedError

    def beat(self, node: str | None = None) -> None:
        """Record that ``node`` (or the whole observer) was observed successfully just now."""
        now = time.monotonic()
        if now - self._beats.get(node, 0.0) >= BEAT_EVERY_S:
            self._beats[node] = now
            self.history.add("beat", observer=self.name, node=node)

    def error(self, node: str | None, exc: BaseException | str) -> None:
        """Record a failed observation (once per distinct message, or every 2 s)."""
        msg = (exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}")[:300]
        now = time.monotonic()
        prev = self._errors.get(node)
        if prev is None or prev[0] != msg or now - prev[1] >= ERROR_EVERY_S:
            self._errors[node] = (msg, now)
            self.history.add("observer_error", observer=self.name, node=node, error=msg)
