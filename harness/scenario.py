"""A chaos run: a pair, a workload, a timeline of faults, a recorded history, a judgement.

Phases (each recorded as a ``phase`` event): observe, workload, faults per the timeline, heal,
converge, final state, check. Everything the checkers and the judge need goes into the history
(the ``run`` header with the config's bounds and the declared expectations, fault events with
their target and owner at start, the ``final`` state), so ``judge_history(events)`` gives the
same outcome from a stored ``history.jsonl``. Suites, exploration and incident replay all go
through ``run_scenario``; faults and actions go through the one recorder (``harness.recorder``);
teardown of observers, writer and faults always runs.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import conditions, wait
from harness.checkers.query import lost_starts
from harness.clients import start_clients, stop_clients
from harness.expectations import Expectation
from harness.faults import Fault
from harness.history import Event, History
from harness.observers import start_observers, stop_observers
from harness.pair import Pair
from harness.progress import phase
from harness.recorder import Recorder
from harness.results import Result, result_of, save
from harness.workload import Writer

log = logging.getLogger("vipchaos")


@dataclass
class Step:
    """One step of a sequence: a fault or an operator action, started when the previous step
    has started, ``at`` seconds into the timeline have passed (if given), and condition
    ``when`` holds (if given; see ``harness.conditions``)."""

    at: float | None
    fault: str | None
    target: str = "owner"  # owner | standby | last-faulted | a node name
    duration: float | None = None  # fault: heal after this long (None: at the end)
    params: dict[str, Any] = field(default_factory=dict)
    #: heal early, 2 s after the VIP moved off the target and a write succeeded on the new
    #: owner (the migration is then complete; holding longer only costs time)
    heal_once_moved: bool = False
    action: str | None = None  # an operator action (harness.actions) instead of a fault
    when: str | None = None  # start once this condition holds
    heal_when: str | None = None  # fault: heal once this condition holds
    timeout: float = 60.0  # give up waiting for ``when`` (recorded; the sequence stops there)
    #: fault: held for good (``for: never``): not healed in this run, its node judged lost;
    #: the pair's reset brings it back afterwards (or rebuilds it if its disk was lost)
    never: bool = False

    @property
    def label(self) -> str:
        return self.fault or self.action or "?"


@dataclass
class Scenario:
    name: str
    steps: list[Step]
    duration: float | None = None  # timeline length; default: last heal + settle
    rate: float = 20.0
    mode: str = "insert"  # workload mode, see harness.workload
    warmup: float = 1.5
    settle: float = 3.0  # writes kept going after the last heal
    expectations: list[Expectation] = field(default_factory=list)
    #: client profiles (harness.clients); ``direct`` is the writer the verdicts stand on
    clients: list[str] = field(default_factory=lambda: ["direct"])

    def timeline_end(self) -> float:
        ends = [(s.at or 0) + (0 if s.never else s.duration or 0) for s in self.steps]
        return max([self.duration or 0, *ends])


def run_scenario(pair: Pair, scenario: Scenario, out_dir: Path | None = None) -> Result:
    """Run ``scenario`` on ``pair`` (reset to its intended state beforehand), judge it, and save
    its history and result under ``out_dir``. Teardown (observers, writer, faults) always runs."""
    history = History()
    history.add("run", **pair.run_header(scenario.name, scenario.expectations))
    pair.record_network(history)
    recorder = Recorder(pair, history)
    name = f"{pair.bundle.name}/{scenario.name}"
    phase(name, "observe")
    observers: list = []
    writer: Writer | None = None
    clients: list = []
    skipped = None
    try:
        history.add("phase", name="observe")
        observers = start_observers(history, pair)
        time.sleep(0.3)
        history.add("phase", name="workload")
        writer = Writer(history, pair.connect_vip, identity=pair.dialect.identity,
                        rate=scenario.rate, mode=scenario.mode,
                        prefix=f"{scenario.name[:24]}-{int(time.time())}").start()
        log.info("%s: workload at %g writes/s through %s", name, scenario.rate,
                 pair.topology.vip)
        clients = start_clients(scenario.clients, history, pair, writer, rate=scenario.rate,
                                prefix=writer.prefix)
        skipped = _run_timeline(pair, scenario, recorder)
        history.add("phase", name="heal")
        phase(name, "heal")
        recorder.heal_all(spare_never=True)
        if not skipped:
            _recover(pair, history, scenario.settle)
    except BaseException:  # interrupted or crashed: stop observing before teardown
        stop_observers(observers)
        observers = []
        try:  # a node held for good comes back too: nobody would judge its loss now
            recorder.heal_all()
        except Exception as exc:  # the original error is the one to report
            log.warning("healing after the run stopped: %s", exc)
        raise
    finally:
        stop_clients(clients)
        if writer:
            writer.stop()
        recorder.heal_all(spare_never=True)
    history.add("phase", name="converge")
    converged_after = None
    bound = pair.convergence_bound_s()
    converge_deadline = time.monotonic() + bound
    gone = [f.target for f in pair.active_faults if f.never]
    if gone:
        # nothing to converge with: the survivors apply what they had received, then the
        # final state is read (the lost node's part is the application's loss)
        phase(name, f"drain the survivors' appliers (up to {bound:.0f} s)")
        drained = pair.drain([n for n in pair.nodes if n not in gone], bound)
        history.add("note", text=f"{', '.join(n.name for n in gone)} lost for good: no "
                    "convergence; the survivors' appliers "
                    + (f"drained in {drained:g} s" if drained is not None
                       else f"did not drain within {bound:.0f} s"))
    elif not skipped:
        phase(name, f"converge (up to {bound:.0f} s)")
        converged_after = pair.converge(bound)
    # Every window the run will be judged on must have been observed: a convergence that
    # stopped early (an applier error right after the heal) must not end the observation
    # before heal + settle, where an after-heal window opens.
    horizon = observation_horizon(history.events(), pair.bounds()["master_down_s"])
    wait.until(lambda: history.now() >= horizon, timeout=max(0.0, horizon - history.now()) + 1,
               interval=0.1)
    history.add("phase", name="check")
    phase(name, "check")
    history.add("final", **settled_final(pair, history, converged_after, converge_deadline))
    stop_observers(observers)
    result = result_of(history.events(), out_dir)
    if out_dir:
        save(result, history, out_dir)
    phase(name, "done")
    log.info("%s: %s %s", name, result.outcome,
             " ".join(f"{v.invariant}={v.status}" for v in result.verdicts))
    return result


def _recover(pair: Pair, history: History, settle: float) -> None:
    """Keep writing until a write succeeded after the last heal or restore (or the config's
    bound passed), so "service after the heal" is observed rather than cut short by the end of
    the run; then until one node holds the VIP, then ``settle`` seconds more."""
    events = history.events()
    losses = lost_starts(events)
    lost = {n for e in losses for n in e.get("nodes") or []}
    healed_at = max([*(e["t"] for e in events if (
        e["kind"] == "fault" and e.get("phase") == "healed") or (
        e["kind"] == "action" and e.get("phase") == "done")),
        *(e.get("verified_at", e["t"]) for e in losses)], default=0.0)
    wait.until(lambda: any(e["type"] == "ok" and e["t"] > healed_at
                           and e.get("node") not in lost for e in history.events("op")),
               timeout=pair.bundle.migration_bound_s(), interval=0.2)
    wait.until(lambda: len(pair.vip_owners()) == 1, timeout=30, interval=0.2)
    time.sleep(settle)


def catching_up(final: dict) -> bool:
    """Whether a final state shows replication still applying, not broken: every node read,
    every channel running without error, and the GTID sets still apart."""
    nodes = (final.get("nodes") or {}).values()
    if not nodes or not all(n.get("reachable") for n in nodes):
        return False
    channels = [c for n in nodes for c in n.get("channels") or []]
    return bool(channels) and all(c.get("io_running") and c.get("sql_running")
                                  and not c.get("io_error") and not c.get("sql_error")
                                  for c in channels) \
        and len({n.get("gtid_executed") for n in nodes}) > 1


def settled_final(pair: Pair, history: History, converged_after: float | None,
                  deadline: float) -> dict:
    """The final state, taken again while replication is still applying a transaction that
    arrived after convergence (a write a frozen mysqld had buffered executes when it is
    thawed), up to the convergence bound: a pair that converges within its bound has not
    diverged, and one whose sets stay apart is reported as the divergence it is."""
    final = pair.final_state(converged_after)
    while catching_up(final) and time.monotonic() < deadline:
        history.add("note", text="replication still applying at the final state (GTID sets "
                    "apart, channels running): waiting for it, within the convergence bound")
        again = pair.converge(max(0.5, deadline - time.monotonic()))
        if again is None:
            break
        final = pair.final_state(converged_after)
    return final


#: how long past the last window's opening a run keeps observing (an after-heal window of a
#: single instant says little)
OBSERVE_AFTER_S = 1.0


def observation_horizon(events: list[Event], settle_s: float) -> float:
    """Until when a run must observe: the last heal or operator action's end, plus the
    settle time in which a violation still counts as the fault's (the judge's ``during``
    ends and ``after-heal`` begins there), plus ``OBSERVE_AFTER_S``."""
    last = max((e["t"] for e in events
                if (e["kind"] == "fault" and e.get("phase") in ("healed", "heal-failed"))
                or (e["kind"] == "action" and e.get("phase") in ("done", "failed"))),
               default=None)
    return 0.0 if last is None else round(last + settle_s + OBSERVE_AFTER_S, 3)


def _run_timeline(pair: Pair, scenario: Scenario, recorder: Recorder) -> str | None:
    """Run the steps in order: each starts once the previous one has started, its ``at`` has
    passed and its ``when`` condition holds; faults heal after their duration, once their
    ``heal_when`` holds, or at the end. Returns a skip reason, or None.

    The timeline ends when every step has started and every fault with a duration or a heal
    condition has healed (others heal at the end), but not before ``scenario.duration``."""
    history = recorder.history
    name = f"{pair.bundle.name}/{scenario.name}"
    t0 = time.monotonic() + scenario.warmup
    history.add("phase", name="timeline", t=history.now() + scenario.warmup)
    steps = list(enumerate(scenario.steps))
    nodes = [n.name for n in pair.nodes]
    conds = {i: conditions.parse(s.when, nodes) for i, s in steps if s.when}
    heal_conds = {i: conditions.parse(s.heal_when, nodes) for i, s in steps if s.heal_when}
    timed: list[tuple[int, Step, Fault, list[float | None]]] = []  # heal at (None: condition)
    waiting_since: float | None = None
    last_target: list[str] = []
    while True:
        now = time.monotonic() - t0
        events = history.present()
        for i, step, fault, heal_at in timed:
            if not fault.active:
                continue
            if heal_at[0] is not None and step.heal_once_moved and heal_at[0] > now + 2 \
                    and conditions.vip_moved(events, step=i):
                heal_at[0] = now + 2.0  # migration complete: heal soon, keep writing
            if i in heal_conds and heal_conds[i](events):
                heal_at[0] = now
            if heal_at[0] is not None and now >= heal_at[0]:
                recorder.heal(fault)
        if steps:
            i, step = steps[0]
            waiting_since = now if waiting_since is None else waiting_since
            if (step.at is None or now >= step.at) and (i not in conds or conds[i](events)):
                steps.pop(0)
                waiting_since = None
                if not step.fault and not step.action:  # a barrier: wait for `when` only
                    history.add("step", phase="reached", step=i, when=step.when)
                    continue
                if step.action:
                    phase(name, f"{step.action} ({step.target})")
                    recorder.act(step.action, step.target, step=i, params=step.params,
                                 last_target=last_target)
                    continue
                history.add("phase", name="inject")
                phase(name, f"fault {step.fault} ({step.target})")
                injected = recorder.inject(step.fault, step.target, step=i, params=step.params,
                                           last_target=last_target, never=step.never)
                if injected.phase == "skipped":
                    return injected.detail
                if injected.phase == "start":
                    history.add("phase", name="hold")
                if injected.phase == "start" and (step.duration is not None or i in heal_conds):
                    # held for its duration from when it started: a step that starts late
                    # (a previous fault's verification took 10 s: MySQL 9.7's graceful stop)
                    # still holds its whole duration, never a few milliseconds
                    heal = max(step.at or 0.0, now) + step.duration \
                        if step.duration is not None else None
                    timed.append((i, step, injected.fault, [heal]))
                continue
            if now - waiting_since > step.timeout:
                history.add("step", phase="timeout", step=i, label=step.label, when=step.when,
                            detail=f"{step.when!r} did not hold within {step.timeout:g} s: "
                                   "the rest of the sequence is not run")
                log.warning("%s/%s: step %d (%s) waited %g s for %r; stopping the sequence",
                            pair.bundle.name, scenario.name, i, step.label, step.timeout,
                            step.when)
                steps.clear()
        done = not steps and all(not f.active for _, s, f, h in timed)
        end = scenario.timeline_end() if any(s.fault and s.duration is None and not s.never
                                             for s in scenario.steps) else scenario.duration
        if done and now >= (end or 0):
            return None
        time.sleep(0.05)
