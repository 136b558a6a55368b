"""A chaos run: a cluster, a workload, a timeline of faults, a recorded history, verdicts.

Phases (each recorded as a ``phase`` event): observe, workload, faults per the timeline, heal,
converge, final state, check, save. Teardown of observers, writer and faults always runs.
Suites and incident replay both go through ``run_scenario``.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import checkers, wait
from harness.checkers.verdict import Verdict
from harness.cluster import CONNECT_RETRY_S, DB, TABLE, Cluster
from harness.errors import FaultUnsupported
from harness.faults import Fault, make_fault
from harness.history import History
from harness.observe import start_observers
from harness.workload import Writer


@dataclass
class Step:
    at: float
    fault: str
    target: str = "owner"  # owner | standby | a node name
    duration: float | None = None  # None: healed at the end of the timeline
    params: dict[str, Any] = field(default_factory=dict)
    #: heal early, ``settle`` s after the VIP moved off the target and a write succeeded on the
    #: new owner (the migration is then complete; holding longer only costs time)
    heal_once_moved: bool = False


@dataclass
class Scenario:
    name: str
    steps: list[Step]
    duration: float | None = None  # timeline length; default: last heal + settle
    rate: float = 20.0
    mode: str = "insert"  # workload mode, see harness.workload
    warmup: float = 3.0
    settle: float = 4.0  # writes kept going after the last heal
    expected_violations: set[str] = field(default_factory=set)

    def timeline_end(self) -> float:
        ends = [s.at + (s.duration or 0) for s in self.steps]
        return max([self.duration or 0, *ends])


@dataclass
class Result:
    scenario: Scenario
    bundle: str
    verdicts: list[Verdict]
    skipped: str | None
    history: History
    final: dict[str, Any]
    out_dir: Path | None
    faults: list[dict[str, Any]]

    def verdict(self, invariant: str) -> Verdict:
        return next(v for v in self.verdicts if v.invariant == invariant)

    def violated(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.valid is not True]

    @property
    def outcome(self) -> str:
        if self.skipped:
            return "skipped"
        bad = {v.invariant for v in self.violated()}
        unknown = [v for v in self.verdicts if v.valid is None]
        if unknown or bad - self.scenario.expected_violations:
            return "fail"
        if self.scenario.expected_violations:
            return "xfail" if bad else "xpass"
        return "pass"

    def to_dict(self) -> dict[str, Any]:
        m = {v.invariant: v.metrics for v in self.verdicts}
        ops = self.history.events("op")
        window = [(f["t"]) for f in self.history.events("fault") if f["phase"] != "skipped"]
        return {
            "test": self.scenario.name, "bundle": self.bundle,
            "fault": "+".join(s.fault for s in self.scenario.steps),
            "nodes": [n for n in self.final.get("nodes", {})],
            "verdicts": [v.to_dict() for v in self.verdicts],
            "expected_violations": sorted(self.scenario.expected_violations),
            "outcome": self.outcome, "skip_reason": self.skipped,
            "failover_s": m.get("migration", {}).get("failover_s"),
            "dual_owner_s": m.get("single_owner", {}).get("dual_owner_s"),
            "write_gap_s": m.get("migration", {}).get("write_gap_s"),
            "writes": {k: sum(1 for o in ops if o["type"] == k) for k in ("ok", "fail", "unknown")}
            | {"lost": m.get("writes", {}).get("lost")},
            "fault_window": [min(window), max(window)] if window else None,
            "duration_s": self.history.now(),
            "faults": self.faults,
            "final": {k: v for k, v in self.final.items() if k != "nodes"}
            | {"nodes": {n: {k: v for k, v in s.items() if k != "write_ids"}
                         for n, s in self.final.get("nodes", {}).items()}},
        }


def progress(msg: str) -> None:
    """One line per phase on the real stderr (pytest captures stdout)."""
    print(f"  [vipchaos] {msg}", file=sys.__stderr__, flush=True)


def run_scenario(cluster: Cluster, scenario: Scenario, out_dir: Path | None = None,
                 say=progress) -> Result:
    history = History()
    name = f"{cluster.bundle.name}/{scenario.name}"
    observers, writer, active = [], None, []
    skipped: str | None = None
    fault_log: list[dict[str, Any]] = []
    try:
        history.add("phase", name="observe")
        observers = start_observers(history, cluster)
        time.sleep(0.3)
        history.add("phase", name="workload")
        writer = Writer(history, cluster.connect_vip, rate=scenario.rate, mode=scenario.mode,
                        prefix=f"{scenario.name[:24]}-{int(time.time())}").start()
        say(f"{name}: workload at {scenario.rate:g} writes/s through {cluster.topology.vip}")
        skipped = _run_timeline(cluster, scenario, history, active, fault_log, say)
        history.add("phase", name="heal")
        for f in active:
            _heal(f, history)
        if not skipped:
            wait.until(lambda: len(cluster.vip_owners()) == 1, timeout=30, interval=0.2)
            time.sleep(scenario.settle)
    except BaseException:  # interrupted or crashed: stop observing before teardown
        for o in observers:
            o.stop()
        observers = []
        raise
    finally:
        if writer:
            writer.stop()
        for f in active:
            _heal(f, history)
    history.add("phase", name="converge")
    converged_after = None
    if not skipped:
        bound = convergence_bound_s(cluster)
        say(f"{name}: healed; waiting up to {bound:.0f} s for replication to converge")
        deadline = time.monotonic() + bound
        # An SQL-thread error (e.g. 1062 duplicate key) never clears by itself: stop waiting.
        state = wait.until(lambda: "stuck" if _sql_error(cluster) else
                           ("running" if cluster.replication_running() else None),
                           timeout=bound, interval=0.5)
        if state == "running":
            converged_after = cluster.wait_converged(max(deadline - time.monotonic(), 1))
    for o in observers:
        o.stop()
    history.add("phase", name="check")
    final = final_state(cluster, converged_after)
    verdicts = [] if skipped else check_all(cluster, scenario, history, final, fault_log)
    result = Result(scenario, cluster.bundle.name, verdicts, skipped, history, final,
                    out_dir, fault_log)
    history.add("phase", name="done")
    if out_dir:
        save(result, out_dir)
    say(f"{name}: {result.outcome} " + " ".join(f"{v.invariant}={v.status}" for v in verdicts))
    return result


def _run_timeline(cluster, scenario, history, active, fault_log, say) -> str | None:
    """Start and heal faults at their times; returns a skip reason, or None.

    The timeline ends when every step has started and every step with a duration has healed
    (steps without one heal at the end), but not before ``scenario.duration``."""
    t0 = time.monotonic() + scenario.warmup
    pending = sorted(scenario.steps, key=lambda s: s.at)
    timed: list[tuple[Step, Fault, list[float]]] = []  # step, fault, [heal at]
    open_ended = any(s.duration is None for s in scenario.steps)
    while True:
        now = time.monotonic() - t0
        while pending and pending[0].at <= now:
            step = pending.pop(0)
            fault, reason = _start(cluster, scenario, step, history, fault_log, say)
            if reason:
                return reason
            active.append(fault)
            if step.duration is not None:
                timed.append((step, fault, [step.at + step.duration]))
        for step, fault, heal_at in timed:
            if fault.active and step.heal_once_moved and heal_at[0] > now + 2 \
                    and _moved_and_served(history, fault):
                heal_at[0] = now + 2.0  # migration complete: heal soon, keep writing
            if fault.active and now >= heal_at[0]:
                _heal(fault, history)
        done = not pending and all(not f.active for _, f, _ in timed)
        if done and now >= (scenario.timeline_end() if open_ended else scenario.duration or 0):
            return None
        time.sleep(0.1)


def _start(cluster, scenario, step, history, fault_log, say) -> tuple[Fault, str | None]:
    target = resolve_target(cluster, step.target)
    fault = make_fault(step.fault, cluster, target, **step.params)
    history.add("phase", name="inject")
    say(f"{cluster.bundle.name}/{scenario.name}: inject {fault} ({step.target})")
    t_start = history.now()
    try:
        detail = fault.start()
    except FaultUnsupported as exc:
        history.add("fault", phase="skipped", fault=fault.name, nodes=fault.nodes,
                    detail=str(exc))
        fault.heal()
        return fault, str(exc)
    history.add("fault", t=t_start, phase="start", fault=fault.name, nodes=fault.nodes,
                target=step.target, detail=detail, verified_at=history.now())
    fault_log.append({"fault": fault.name, "nodes": fault.nodes, "target": step.target,
                      "owner_at_start": target.name if step.target == "owner" else None,
                      "removes_service": fault.removes_service, "detail": detail,
                      "t": t_start})
    history.add("phase", name="hold")
    return fault, None


def _moved_and_served(history: History, fault: Fault) -> bool:
    """A node other than the fault's target holds the VIP and acknowledged a write since."""
    starts = [e for e in history.events("fault") if e["fault"] == fault.name
              and e["phase"] == "start"]
    if not starts:
        return False
    t0 = starts[-1]["t"]
    moved = next((e["t"] for e in history.events("vip") if e["t"] >= t0 and e["held"]
                  and e["node"] not in fault.nodes), None)
    return moved is not None and any(
        e["type"] == "ok" and e["t"] >= moved and e.get("node") not in fault.nodes
        for e in history.events("op"))


def _heal(fault: Fault, history: History) -> None:
    if fault.active:
        fault.heal()
        history.add("fault", phase="healed", fault=fault.name, nodes=fault.nodes)


def _sql_error(cluster: Cluster) -> bool:
    return any(c["sql_error"] for n in cluster.nodes for c in cluster.channels(n))


def resolve_target(cluster: Cluster, target: str):
    if target in ("owner", "standby"):
        owners = cluster.vip_owners()
        owner = cluster.node(owners[0]) if owners else cluster.nodes[0]
        return owner if target == "owner" else cluster.peer(owner)
    return cluster.node(target)


def convergence_bound_s(cluster: Cluster) -> float:
    """How long replication may take to resume: a dead TCP peer is noticed after
    replica_net_timeout (the config's), then the reconnect retry, plus margin."""
    try:
        net = float(cluster.nodes[0].sql("SELECT @@replica_net_timeout AS t")[0]["t"])
    except Exception:
        net = 60.0
    return net + CONNECT_RETRY_S + 15


def final_state(cluster: Cluster, converged_after: float | None) -> dict[str, Any]:
    nodes: dict[str, Any] = {}
    for n in cluster.nodes:
        try:
            nodes[n.name] = {
                "reachable": True,
                "server_uuid": n.sql("SELECT @@server_uuid AS u")[0]["u"],
                "gtid_executed": n.gtid_executed(),
                "channels": cluster.channels(n),
                "checksum": n.sql(f"CHECKSUM TABLE {DB}.{TABLE}")[0]["Checksum"],
                "write_ids": [r["op_id"] for r in n.sql(f"SELECT op_id FROM {DB}.{TABLE}")],
                "keepalived": n.vcctl("status", "keepalived"),
            }
        except Exception as exc:
            nodes[n.name] = {"reachable": False, "error": str(exc)[:300]}
    owners = cluster.vip_owners()
    return {"nodes": nodes, "vip_owner": owners[0] if len(owners) == 1 else None,
            "vip_owners": owners, "converged_after_s": converged_after}


def check_all(cluster, scenario, history, final, fault_log) -> list[Verdict]:
    events = history.events()
    names = [n.name for n in cluster.nodes]
    # Time the migration from the first fault that takes service away from the owner.
    serving = [f for f in fault_log if f["removes_service"] and f["owner_at_start"]]
    first = serving[0] if serving else (fault_log[0] if fault_log else None)
    must_move = bool(serving)
    faulted = first["nodes"] if first else []
    bound = cluster.bundle.migration_bound_s()
    return checkers.run_checkers({
        "single_owner": lambda: checkers.check_single_owner(
            events, nodes=names, expected_dual="single_owner" in scenario.expected_violations),
        "migration": lambda: checkers.check_migration(
            events, faulted=faulted, bound_s=bound, must_move=must_move,
            fault_start=first["t"] if first else None),
        "replication": lambda: checkers.check_replication(final),
        "writes": lambda: checkers.check_writes(events, final),
    })


def save(result: Result, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    result.history.save(out_dir / "history.jsonl")
    (out_dir / "result.json").write_text(json.dumps(result.to_dict(), indent=2, default=str))
