"""The nemesis protocol: a fault is a small object with ``start()`` and ``heal()``.

``start()`` returns only once the fault is verified to have taken effect (mysqld no longer
answers, the container is paused, the iptables rule's counters rise); otherwise it raises
``FaultNotVerified``, so a test can never pass on a fault that did not happen. ``heal()`` is safe
to repeat. A fault is also a context manager whose exit heals, even on error.
"""

from __future__ import annotations

from typing import Any, ClassVar

from harness import wait
from harness.errors import HarnessError
from harness.node import Node


class FaultNotVerified(HarnessError):
    """The fault was applied but its effect could not be observed."""


class Fault:
    name: ClassVar[str]
    #: True when the fault takes away the target's ability to serve writes: the VIP must move.
    removes_service: ClassVar[bool] = False
    #: True when the fault takes the whole container (nothing else can act on it meanwhile)
    whole_node: ClassVar[bool] = False
    description: ClassVar[str] = ""
    #: held for good (a step's ``for: never``; set by the recorder): not healed in the run
    never: bool = False
    #: the node's datadir is gone with it: only a rebuild brings the node back
    loses_disk: bool = False

    def __init__(self, pair, target: Node, **params: Any) -> None:
        self.pair, self.target, self.params = pair, target, params
        self.peer: Node = pair.peer(target)
        self.active = False
        self.detail = ""

    @property
    def nodes(self) -> list[str]:
        return [self.target.name]

    def start(self) -> str:
        """Inject and verify. Returns a line saying how the effect was verified. The fault
        registers itself with the pair (the one owner of active faults) before injecting,
        so a failure half-way is still healed by the next reset."""
        self.active = True
        self.pair.active_faults.append(self)
        self.inject()
        self.detail = self.verify()
        return self.detail

    def heal(self) -> None:
        """Undo the fault; safe to repeat."""
        if self.active:
            self.withdraw()
            self.repair()

    def withdraw(self) -> None:
        """Deregister without repairing: the fault never took effect (the machine cannot do
        it, or it had nothing to act on)."""
        self.active = False
        if self in self.pair.active_faults:
            self.pair.active_faults.remove(self)

    def __enter__(self) -> Fault:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.heal()

    def __repr__(self) -> str:
        return f"{self.name}({self.target.name})"

    # subclasses implement these three
    def inject(self) -> None:
        raise NotImplementedError

    def verify(self) -> str:
        raise NotImplementedError

    def repair(self) -> None:
        raise NotImplementedError

    # shared verification helpers
    def _until(self, what: str, predicate, timeout: float = 10) -> None:
        if not wait.until(predicate, timeout=timeout, interval=0.1):
            raise FaultNotVerified(f"{self}: {what} not observed within {timeout} s")


def mysqld_answers(node: Node, timeout: float = 1.0) -> bool:
    try:
        node.sql("SELECT 1", timeout=timeout)
        return True
    except Exception:
        return False
