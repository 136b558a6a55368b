"""Operator sequences shipped as scenarios: what real incidents look like.

- ``fail_restore_fail(fault)``: the owner fails, the VIP moves, the old owner is restored by
  the bundle's runbook, the pair must be redundant again, then the *new* owner fails the same
  way and is restored too. A config that looks perfect on one fault can fail on the second.
- ``standby_fail_restore(fault)``: the standby fails while it is the standby (nothing should
  move), is restored by the runbook, and the pair must be redundant again.
"""

from __future__ import annotations

from harness.faults import fault_class
from harness.scenario import Scenario, Step


def _hold(bound: float, fault: str) -> float:
    return bound + 1 if fault_class(fault).removes_service else 8.0


def fail_restore_fail(fault: str, bound: float, expectations=()) -> Scenario:
    """``bound``: the bundle's migration bound (a fault is held at most that long + 1 s)."""
    hold = _hold(bound, fault)
    return Scenario(
        name=f"fail-restore-fail-{fault}",
        steps=[
            Step(0, fault, "owner", hold, heal_once_moved=True),
            Step(None, None, "last-faulted", action="restore", when="healed", timeout=hold + 5),
            Step(None, fault, "owner", hold, heal_once_moved=True, when="redundant",
                 timeout=bound),
            Step(None, None, "last-faulted", action="restore", when="healed", timeout=hold + 5),
            Step(None, None, when="redundant", timeout=bound),
        ],
        expectations=list(expectations),
    )


def standby_fail_restore(fault: str, bound: float, expectations=()) -> Scenario:
    return Scenario(
        name=f"standby-fail-restore-{fault}",
        steps=[
            Step(0, fault, "standby", 8.0),
            Step(None, None, "last-faulted", action="restore", when="healed", timeout=20),
            Step(None, None, when="redundant", timeout=bound),
        ],
        expectations=list(expectations),
    )
