"""Verdicts: what a checker returns, and how verdicts combine.

``valid`` is True (holds), False (violated) or None (unknown: the checker lacked data or crashed).
Combination is pessimistic, as in Jepsen: False beats None beats True. Unknown never passes a gate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Verdict:
    invariant: str
    valid: bool | None
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float | int | None] = field(default_factory=dict)
    #: where the violation was seen ([start, end] in history seconds): the judge matches these
    #: against the windows in which a declared violation may happen
    windows: list[list[float]] = field(default_factory=list)
    #: what was seen to be wrong, as phrases of ``harness.checkers.signature`` (``keepalived
    #: stopped on node1``, ``VIP held by nobody``): an accepted risk names the ones it accepts
    signature: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return {True: "pass", False: "FAIL", None: "unknown"}[self.valid]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status}


def combine(verdicts: list[Verdict]) -> bool | None:
    """Pessimistic merge: any False -> False; else any None -> None; else True."""
    values = [v.valid for v in verdicts]
    if False in values:
        return False
    if None in values or not values:
        return None
    return True


def unknown(invariant: str, why: str) -> Verdict:
    return Verdict(invariant, None, f"unknown: {why}")
