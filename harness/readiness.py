"""Readiness waits as named strategies (as testcontainers' wait strategies): each says what it
waits for, asks the pair, and on timeout raises ``ReadinessTimeout`` naming it, with the nodes'
log tails (the node waited for first).

    wait_for(pair, MysqldAnswers(node))
    wait_for(pair, ReplicationRunning(), timeout=60)
    wait_for(pair, IntendedState(), timeout=10)

A check that raises counts as "not yet" (the server is coming up); the clock and sleep are
``harness.wait``'s, injectable in tests.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from harness import wait
from harness.errors import ReadinessTimeout


class WaitStrategy:
    """What to wait for: ``ready(pair)`` is true once it holds; ``describe(pair)`` says what
    was awaited and what is seen now (for the timeout message)."""

    timeout: float = 60.0
    interval: float = 0.2
    node: Any = None  # the node whose logs come first in a timeout

    def ready(self, pair) -> bool:
        raise NotImplementedError

    def describe(self, pair) -> str:
        raise NotImplementedError


def wait_for(pair, strategy: WaitStrategy, timeout: float | None = None) -> None:
    """Until ``strategy`` holds on ``pair``; ReadinessTimeout (with log tails) otherwise."""
    timeout = strategy.timeout if timeout is None else timeout
    if not wait.until(lambda: strategy.ready(pair), timeout=timeout,
                      interval=strategy.interval):
        nodes = sorted(pair.nodes, key=lambda n: n is not strategy.node)
        raise ReadinessTimeout(strategy.describe(pair), timeout,
                               {n.name: n.log_tails() for n in nodes})


@dataclass
class MysqldAnswers(WaitStrategy):
    """mysqld answers a query: over TCP, or, every other try, on its own socket inside the
    node (a heal can come while another fault still cuts the node off the network)."""

    node: Any = None
    timeout: float = 90.0
    _tries: Any = field(default_factory=itertools.count, repr=False)

    def ready(self, pair) -> bool:
        try:
            return bool(self.node.sql("SELECT 1", timeout=1))
        except Exception:
            return next(self._tries) % 2 == 0 and \
                self.node.vcctl("status", "mysqld") == "running"

    def describe(self, pair) -> str:
        return f"mysqld on {self.node.name} to answer"


@dataclass
class ReplicationRunning(WaitStrategy):
    """Both channels' receiver and applier threads run."""

    timeout: float = 60.0

    def ready(self, pair) -> bool:
        return pair.replication_running()

    def describe(self, pair) -> str:
        now = {n.name: _safe(lambda n=n: pair.channels(n)) for n in pair.nodes}
        return f"both replication channels to run (now: {now})"


@dataclass
class SingleOwner(WaitStrategy):
    """Exactly one node holds the VIP."""

    timeout: float = 60.0
    interval: float = 0.1

    def ready(self, pair) -> bool:
        return len(pair.vip_owners()) == 1

    def describe(self, pair) -> str:
        return f"exactly one VIP owner (now: {pair.vip_owners()})"


@dataclass
class IntendedState(WaitStrategy):
    """The highest-priority node MASTER with the VIP, its peer BACKUP (keepalived's own log):
    the state every test starts from."""

    timeout: float = 10.0
    interval: float = 0.1

    def ready(self, pair) -> bool:
        best = pair.intended_owner
        want = {n.name: ("MASTER" if n is best else "BACKUP") for n in pair.nodes}
        return pair.vrrp_states() == want and pair.vip_owners() == [best.name]

    def describe(self, pair) -> str:
        return (f"{pair.intended_owner.name} MASTER with the VIP and its peer BACKUP (now: "
                f"{_safe(pair.vrrp_states)}, VIP on {_safe(pair.vip_owners)})")


@dataclass
class KeepalivedListening(WaitStrategy):
    """keepalived on ``node`` has entered BACKUP or MASTER (it is up and hears adverts)."""

    node: Any = None
    timeout: float = 30.0
    interval: float = 0.1

    def ready(self, pair) -> bool:
        return pair.vrrp_states().get(self.node.name) in ("BACKUP", "MASTER")

    def describe(self, pair) -> str:
        return f"keepalived on {self.node.name} BACKUP or MASTER (now: {_safe(pair.vrrp_states)})"


def _safe(fn) -> Any:
    try:
        return fn()
    except Exception as exc:
        return f"unreadable: {exc}"
