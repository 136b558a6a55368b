"""Where a long run is: per test, the phase and elapsed time.

On a terminal, one live line rewritten in place (``\\r`` + clear); in CI logs (not a TTY) or
with several xdist workers, plain lines without ANSI codes, prefixed with the worker. Other
messages (warnings, results) always get a line of their own.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import IO

log = logging.getLogger("vipchaos")
_started: dict[str, float] = {}


def phase(test: str, name: str) -> None:
    """Announce that ``test`` entered phase ``name`` (bring-up, fault, heal, converge, check)."""
    t0 = _started.setdefault(test, time.monotonic())
    log.info("%s: %s (%.1f s)", test, name, time.monotonic() - t0,
             extra={"vipchaos_phase": name})
    if name == "done":
        _started.pop(test, None)


class ProgressHandler(logging.Handler):
    def __init__(self, stream: IO[str] | None = None, live: bool | None = None,
                 worker: str = "") -> None:
        super().__init__()
        self.stream = stream or sys.__stderr__
        self.prefix = f"[vipchaos {worker}] " if worker else "[vipchaos] "
        self.live = (self.stream.isatty() and not worker) if live is None else live
        self._showing = False

    def emit(self, record: logging.LogRecord) -> None:
        try:
            msg = self.prefix + record.getMessage()
            if self.live and getattr(record, "vipchaos_phase", None):
                self.stream.write("\r\x1b[K" + msg[:200])
                self._showing = True
            else:
                if self._showing:
                    self.stream.write("\r\x1b[K")
                    self._showing = False
                level = "" if record.levelno <= logging.INFO else f"{record.levelname.lower()}: "
                self.stream.write(f"{self.prefix}{level}{record.getMessage()}\n")
            self.stream.flush()
        except Exception:
            self.handleError(record)
