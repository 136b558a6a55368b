"""The one recorder: starts, verifies, heals and stamps faults and operator actions, writing their
events into a history (``harness.events``: ``fault`` and ``action``).

Every driver goes through it, so what a test, an exploration episode, an incident replay, a
``vipchaos up`` session and a bring-up record means the same: the scenario timeline
(``harness.scenario``), the session commands (``harness.session``) and the pair's own moves at
bring-up and reset (``harness.pair``). Stamps: a fault's ``start`` is stamped when injection
began (``verified_at`` when its effect was seen), a heal when it began (``done_at`` when the
repair returned: a repair that waits for mysqld must not make the pair's reaction look earlier
than the heal), an action's ``start`` and ``done``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from harness.actions import action_name, run_action
from harness.errors import FaultNotApplicable, FaultUnsupported
from harness.faults import Fault, make_fault
from harness.history import History

log = logging.getLogger("vipchaos")


@dataclass
class Injected:
    """What an injection came to: ``phase`` ``start`` (verified), ``skipped`` (the machine
    cannot do it) or ``not-applicable`` (nothing to act on now)."""

    fault: Fault
    phase: str
    detail: str
    t: float


class Recorder:
    """Faults and actions on ``pair``, recorded in ``history``."""

    def __init__(self, pair, history: History) -> None:
        self.pair, self.history = pair, history

    def inject(self, name: str, target: str = "owner", *, step: int | None = None,
               params: dict[str, Any] | None = None,
               last_target: list[str] | None = None, never: bool = False) -> Injected:
        """Inject fault ``name`` on ``target`` (owner | standby | last-faulted | a node name,
        resolved now) and verify it. A fault the machine cannot do is recorded ``skipped``
        and one with nothing to act on ``not-applicable`` (both withdrawn, neither raises);
        one that could not be verified, or an interruption, is recorded ``failed``, healed
        again, and re-raised."""
        node = self.pair.resolve(target, last_target)
        if last_target is not None:
            last_target[:] = [node.name]
        owners = self.pair.vip_owners()
        fault = make_fault(name, self.pair, node, **(params or {}))
        fault.step = step
        fault.never = never  # held for good: heal_all(spare_never=True) leaves it to the reset
        common = {"fault": fault.name, "step": step, "nodes": fault.nodes, "target": target,
                  "owner_at_start": owners[0] if len(owners) == 1 else None,
                  "owners_at_start": owners, "removes_service": fault.removes_service}
        if never:
            common["never"] = True
        if fault.loses_disk:
            common["disk_lost"] = True
        t0 = self.history.now()
        try:
            detail = fault.start()
        except FaultUnsupported as exc:
            self.history.add("fault", phase="skipped", detail=str(exc), **common)
            fault.withdraw()
            return Injected(fault, "skipped", str(exc), t0)
        except FaultNotApplicable as exc:
            self.history.add("fault", phase="not-applicable", detail=str(exc), **common)
            log.info("%s", exc)
            fault.withdraw()
            return Injected(fault, "not-applicable", str(exc), t0)
        except BaseException as exc:
            why = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc)[:300]
            self.history.add("fault", phase="failed", detail=why, **common)
            try:
                fault.heal()
            except Exception as again:  # the original error is the one to report
                log.warning("healing %s after it failed: %s", fault, again)
            raise
        self.history.add("fault", t=t0, phase="start", detail=detail,
                         verified_at=self.history.now(), **common)
        return Injected(fault, "start", detail, t0)

    def heal(self, fault: Fault) -> None:
        """Heal ``fault`` if it is active and record it; a failed heal is recorded
        (``heal-failed``) and raised."""
        if not fault.active:
            return
        t = self.history.now()
        step = getattr(fault, "step", None)
        try:
            fault.heal()
        except Exception as exc:
            log.warning("healing %s failed: %s", fault, exc)
            self.history.add("fault", phase="heal-failed", fault=fault.name, step=step,
                             nodes=fault.nodes, detail=str(exc)[:300])
            raise
        self.history.add("fault", t=t, phase="healed", fault=fault.name, step=step,
                         nodes=fault.nodes, done_at=self.history.now())

    def heal_all(self, spare_never: bool = False) -> None:
        """Heal every active fault of the pair, newest first; with ``spare_never``, not those
        held for good (a step's ``for: never``) nor any other on the node they took: that
        node is gone for the rest of the run (the pair's reset deals with them)."""
        gone = {n for f in self.pair.active_faults if f.never for n in f.nodes}
        for fault in reversed(list(self.pair.active_faults)):
            if fault.loses_disk:
                continue  # nothing to heal: the pair's reset rebuilds the node
            if not (spare_never and (fault.never or gone & set(fault.nodes))):
                self.heal(fault)

    def act(self, name: str, target: str = "owner", *, step: int | None = None,
            params: dict[str, Any] | None = None, last_target: list[str] | None = None,
            by: str | None = None) -> tuple[str, str]:
        """Run operator action ``name`` on ``target``, recorded; (``done`` | ``failed``,
        detail). ``by="harness"`` marks the harness's own moves (bring-up, resets)."""
        canonical = action_name(name)
        node = self.pair.resolve(target, last_target)
        extra = {"by": by} if by else {}
        t0 = self.history.now()
        self.history.add("action", t=t0, phase="start", action=canonical, node=node.name,
                         step=step, target=target, **extra)
        try:
            detail = run_action(canonical, self.pair, node, **(params or {}))
        except Exception as exc:
            self.history.add("action", phase="failed", action=canonical, node=node.name,
                             step=step, detail=str(exc)[:300], **extra)
            log.warning("%s on %s failed: %s", canonical, node.name, exc)
            return "failed", str(exc)
        self.history.add("action", phase="done", action=canonical, node=node.name, step=step,
                         detail=detail, started=t0, **extra)
        return "done", detail
