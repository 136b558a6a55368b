"""Waiting with a deadline: one small abstraction instead of sleeps sprinkled around."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def until(predicate: Callable[[], T], *, timeout: float, interval: float = 0.1,
          transient: tuple[type[BaseException], ...] = (Exception,),
          clock: Callable[[], float] = time.monotonic,
          sleep: Callable[[float], None] = time.sleep) -> T | None:
    """Poll ``predicate`` until it returns something truthy (returned) or ``timeout`` passes
    (returns None). Exceptions listed in ``transient`` count as "not yet"."""
    deadline = clock() + timeout
    while True:
        try:
            result = predicate()
            if result:
                return result
        except transient:
            pass
        if clock() >= deadline:
            return None
        sleep(interval)
