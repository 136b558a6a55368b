"""Checkers: pure functions from a history (and final node states) to a Verdict.

``run_checkers`` runs several; a checker that crashes yields *unknown*, never a pass.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.checkers.migration import check_migration
from harness.checkers.replication import check_replication
from harness.checkers.single_owner import check_single_owner
from harness.checkers.verdict import Verdict, combine, unknown
from harness.checkers.writes import check_writes


def run_checkers(calls: dict[str, Callable[[], Verdict]]) -> list[Verdict]:
    out = []
    for name, fn in calls.items():
        try:
            out.append(fn())
        except Exception as exc:  # a crashing checker is unknown, not a pass
            out.append(unknown(name, f"checker crashed: {exc!r}"))
    return out


__all__ = ["Verdict", "check_migration", "check_replication", "check_single_owner",
           "check_writes", "combine", "run_checkers", "unknown"]
