"""Checkers: pure functions from a history to a Verdict. The history is their only input.

``check(events)`` runs the checkers that apply to the run (bring-up histories get the bring-up
checker; fault runs get single owner, migration, replication and writes). A checker that crashes
yields *unknown*, never a pass.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.checkers.bringup import check_bringup
from harness.checkers.flapping import check_flapping
from harness.checkers.migration import check_migration
from harness.checkers.origin import check_origin
from harness.checkers.query import run_info
from harness.checkers.redundancy import check_redundancy, restores
from harness.checkers.replication import check_replication
from harness.checkers.service import check_service
from harness.checkers.single_owner import check_single_owner
from harness.checkers.verdict import Verdict, combine, unknown
from harness.checkers.writes import check_writes
from harness.history import Event

FAULT_CHECKERS: dict[str, Callable[[list[Event]], Verdict]] = {
    "single_owner": check_single_owner,
    "migration": check_migration,
    "replication": check_replication,
    "writes": check_writes,
    "service": check_service,
    "flapping": check_flapping,
    "origin": check_origin,
}
SEQUENCE_CHECKERS: dict[str, Callable[[list[Event]], Verdict]] = {
    **FAULT_CHECKERS, "redundancy": check_redundancy}
BRINGUP_CHECKERS: dict[str, Callable[[list[Event]], Verdict]] = {
    "bringup": check_bringup,
    "single_owner": check_single_owner,
}
#: every invariant a checker judges (``harness.catalogue.INVARIANTS`` names the same, for the
#: layers that validate names without importing the checkers)
INVARIANTS = tuple(dict.fromkeys([*BRINGUP_CHECKERS, *SEQUENCE_CHECKERS]))


def checkers_for(events: list[Event]) -> dict[str, Callable[[list[Event]], Verdict]]:
    """Bring-up runs (and the harness's recorded attempts to reach the intended state,
    scenario ``setup``) get the bring-up checkers; runs with a runbook restore get redundancy
    too; every fault run gets the rest. A run of operator actions alone (no fault step at all:
    an incident that stops and starts services by hand) has no fault whose migration to
    judge; a fault that was tried and could not act is still judged (unknown)."""
    if run_info(events).get("scenario") in ("bring-up", "setup"):
        return BRINGUP_CHECKERS
    chosen = SEQUENCE_CHECKERS if restores(events) else FAULT_CHECKERS
    if not any(e["kind"] == "fault" for e in events) and \
            any(e["kind"] == "action" and e.get("by") != "harness" for e in events):
        chosen = {name: fn for name, fn in chosen.items() if name != "migration"}
    return chosen


def run_checkers(calls: dict[str, Callable[[], Verdict]]) -> list[Verdict]:
    out = []
    for name, fn in calls.items():
        try:
            out.append(fn())
        except Exception as exc:  # a crashing checker is unknown, not a pass
            out.append(unknown(name, f"checker crashed: {exc!r}"))
    return out


def check(events: list[Event]) -> list[Verdict]:
    """Every applicable checker over one history (sorted by time first)."""
    events = sorted(events, key=lambda e: e["t"])
    return run_checkers({name: (lambda fn=fn: fn(events))
                         for name, fn in checkers_for(events).items()})


__all__ = ["INVARIANTS", "Verdict", "check", "check_bringup", "check_flapping",
           "check_migration", "check_origin", "check_redundancy", "check_replication",
           "check_service", "check_single_owner", "check_writes", "combine", "run_checkers",
           "unknown"]
