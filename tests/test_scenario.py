"""The fault timeline (steps at their time, healed after their duration or 2 s after a completed
migration, unsupported faults recorded as skipped), target resolution, and a run's result from
its history alone (``judge_history``, ``result_of``, ``Result.to_dict``, ``save``)."""

import json
import threading
import time
from types import SimpleNamespace

import pytest
from fakes import fake_pair
from histories import (
    failover_history,
    fault,
    final,
    healed,
    run,
    vip,
    write,
)

from harness import conditions
from harness import history as history_mod
from harness import recorder as recorder_mod
from harness.errors import FaultUnsupported
from harness.expectations import Expectation
from harness.faults.base import Fault
from harness.history import History
from harness.recorder import Recorder
from harness.results import judge_history, result_of, safe_name, save
from harness.scenario import Scenario, Step, _run_timeline

TOL = 0.2  # the timeline polls every 50 ms; threads and a loaded CI machine add some more


class Probe(Fault):
    """A fault that records when it was injected and repaired."""

    name = "probe"
    removes_service = True

    def inject(self):
        if self.params.get("unsupported"):
            raise FaultUnsupported("probe: this kernel cannot")
        self.injected = time.monotonic()

    def verify(self):
        return "probed"

    def repair(self):
        self.repaired = time.monotonic()


@pytest.fixture
def probes(monkeypatch):
    made: list[Probe] = []

    def make(name, pair, target, **params):
        f = Probe(pair, target, **params)
        made.append(f)
        return f

    monkeypatch.setattr(recorder_mod, "make_fault", make)
    return made


def timeline(steps, **kw):
    c, h = fake_pair(), History()
    kw.setdefault("warmup", 0.0)
    reason = _run_timeline(c, Scenario("t", steps, **kw), Recorder(c, h))
    origin = next(e["t"] for e in h.events("phase") if e["name"] == "timeline")
    faults = [{**e, "t": round(e["t"] - origin, 3)} for e in h.events("fault")]
    return reason, faults, c, h


# --- the timeline ------------------------------------------------------------------------------
def test_a_step_starts_at_its_time_and_heals_after_its_duration(probes):
    reason, faults, c, _ = timeline([Step(0.3, "probe", duration=0.4)])
    assert reason is None
    start, heal = faults
    assert start["phase"] == "start" and heal["phase"] == "healed"
    assert start["t"] == pytest.approx(0.3, abs=TOL)
    assert heal["t"] == pytest.approx(0.7, abs=TOL)
    assert start["step"] == heal["step"] == 0
    assert start["detail"] == "probed" and start["fault"] == "probe"
    assert start["target"] == "owner" and start["nodes"] == ["node1"]
    assert start["owner_at_start"] == "node1" and start["owners_at_start"] == ["node1"]
    assert start["removes_service"] is True and start["verified_at"] >= start["t"]
    assert c.active_faults == []


def test_steps_run_in_sequence_each_not_before_its_time(probes):
    """A step starts once the previous one has started and its own ``at`` has passed."""
    _, faults, _, _ = timeline([Step(0.4, "probe", "node2", 0.2), Step(0.1, "probe", "node1",
                                                                       0.1)])
    starts = {f["step"]: (f["t"], f["nodes"]) for f in faults if f["phase"] == "start"}
    assert starts[0][1] == ["node2"] and starts[1][1] == ["node1"]
    assert starts[0][0] == pytest.approx(0.4, abs=TOL)
    assert starts[1][0] == pytest.approx(0.4, abs=TOL)  # waited for step 0
    heals = {f["step"]: f["t"] for f in faults if f["phase"] == "healed"}
    assert heals[0] == pytest.approx(0.6, abs=TOL)
    # it started late (0.4, not 0.1) and still holds its whole 0.1 s, not until 0.2 (passed)
    assert heals[1] == pytest.approx(0.5, abs=TOL)
    assert heals[1] - starts[1][0] >= 0.09


def test_the_warmup_delays_the_first_step(probes):
    c, h = fake_pair(), History()
    t0 = time.monotonic()
    _run_timeline(c, Scenario("t", [Step(0.0, "probe", duration=0.1)], warmup=0.3), Recorder(c, h))
    assert probes[0].injected - t0 == pytest.approx(0.3, abs=TOL)


def test_a_step_without_duration_is_left_for_the_final_heal(probes):
    reason, faults, c, _ = timeline([Step(0.1, "probe")], duration=0.3)
    assert reason is None
    assert [f["phase"] for f in faults] == ["start"]
    assert c.active_faults == probes  # healed by run_scenario's heal-all, not here


def test_the_timeline_lasts_at_least_the_scenario_duration(probes):
    t0 = time.monotonic()
    timeline([Step(0.0, "probe", duration=0.1)], duration=0.6)
    assert time.monotonic() - t0 == pytest.approx(0.6, abs=TOL)


def test_an_unsupported_fault_is_recorded_as_skipped_with_the_reason(probes):
    reason, faults, _c, _ = timeline([Step(0.0, "probe", duration=5, params={"unsupported": 1})])
    assert reason == "probe: this kernel cannot"
    assert [(f["phase"], f["detail"]) for f in faults] == [("skipped",
                                                          "probe: this kernel cannot")]
    assert faults[0]["target"] == "owner" and faults[0]["step"] == 0


def test_a_real_unsupported_fault_skips_the_scenario():
    """delay-link on a kernel without netem (the fake engine has none by default)."""
    reason, faults, _, h = timeline([Step(0.0, "delay-link", duration=5)])
    assert "no netem qdisc" in reason
    assert faults[0]["phase"] == "skipped"
    verdicts, judgement = judge_history(h.events())
    assert verdicts == [] and judgement.status == "skipped"
    assert "no netem qdisc" in judgement.reasons[0]


def test_owner_at_start_is_none_with_two_owners(probes):
    c, h = fake_pair(), History()
    c.nodes[1].container.vip_held = True
    _run_timeline(c, Scenario("t", [Step(0.0, "probe", "standby", 0.1)], warmup=0), Recorder(c, h))
    start = h.events("fault")[0]
    assert start["owner_at_start"] is None
    assert start["owners_at_start"] == ["node1", "node2"]


def served_on_node2_after(h, delay, with_write=True):
    def later():
        time.sleep(delay)
        h.add("vip", node="node1", held=False, why="fib")
        h.add("vip", node="node2", held=True, why="fib")
        if with_write:
            h.add("op", type="ok", id="w", f="write", node="node2")
    t = threading.Thread(target=later, daemon=True)
    t.start()
    return t


def test_heal_once_moved_heals_two_seconds_after_a_move_and_a_served_write(probes):
    c, h = fake_pair(), History()
    served_on_node2_after(h, 0.3)
    t0 = time.monotonic()
    _run_timeline(c, Scenario("t", [Step(0.0, "probe", duration=30, heal_once_moved=True)],
                              warmup=0), Recorder(c, h))
    assert probes[0].repaired - t0 == pytest.approx(2.3, abs=0.3)


def test_heal_once_moved_waits_for_a_served_write(probes):
    c, h = fake_pair(), History()
    served_on_node2_after(h, 0.1, with_write=False)
    t0 = time.monotonic()
    _run_timeline(c, Scenario("t", [Step(0.0, "probe", duration=2.8, heal_once_moved=True)],
                              warmup=0), Recorder(c, h))
    assert probes[0].repaired - t0 == pytest.approx(2.8, abs=TOL)


def test_without_heal_once_moved_the_full_duration_is_held(probes):
    c, h = fake_pair(), History()
    served_on_node2_after(h, 0.1)
    t0 = time.monotonic()
    _run_timeline(c, Scenario("t", [Step(0.0, "probe", duration=1.0)], warmup=0), Recorder(c, h))
    assert probes[0].repaired - t0 == pytest.approx(1.0, abs=TOL)


def test_moved_and_served_reads_the_history():
    def _moved_and_served(events, f):
        return conditions.vip_moved(events, step=f.step)
    c = fake_pair()
    f = Probe(c, c.nodes[0])
    f.step = 0
    start = fault(2.0)
    moved = [start, vip(3.0, "node2", True)]
    assert not _moved_and_served([start], f)
    assert not _moved_and_served(moved, f)  # moved, nothing served yet
    assert _moved_and_served([*moved, *write(3.5, "a", node="node2")], f)
    assert not _moved_and_served([*moved, *write(3.5, "a", node="node1")], f)
    assert not _moved_and_served([*moved, *write(2.5, "a", node="node2")], f)
    assert not _moved_and_served([vip(1.0, "node2", True), start,
                                  *write(3.5, "a", node="node2")], f)
    assert not _moved_and_served([start, vip(3.0, "node1", True),
                                  *write(3.5, "a", node="node2")], f)
    assert not _moved_and_served([fault(2.0, step=4), *moved[1:],
                                  *write(3.5, "a", node="node2")], f)


def test_timeline_end():
    s = Scenario("t", [Step(1.0, "x", duration=4.0), Step(2.0, "y")], duration=3.0)
    assert s.timeline_end() == 5.0
    assert Scenario("t", [Step(1.0, "x")], duration=7.0).timeline_end() == 7.0


# --- targets ----------------------------------------------------------------------------------
def test_resolve_target():
    c = fake_pair(owner="node2")
    assert c.resolve("owner").name == "node2"
    assert c.resolve("standby").name == "node1"
    assert c.resolve("node1").name == "node1"
    c.move_vip(None)
    assert c.resolve("owner").name == "node1"  # nobody owns: the first node
    assert c.resolve("last-faulted", ["node2"]).name == "node2"


# --- a result from its history alone ----------------------------------------------------------
def test_result_of_a_clean_failover():
    r = result_of(failover_history())
    d = r.to_dict()
    assert r.outcome == "pass" and d["outcome"] == "pass"
    assert d["test"] == "kill-mysqld-owner" and d["bundle"] == "seed"
    assert d["fault"] == "kill-mysqld" and d["nodes"] == ["node1", "node2"]
    names = [v["invariant"] for v in d["verdicts"]]
    assert names[:4] == ["single_owner", "migration", "replication", "writes"]
    assert all(v["status"] == "pass" for v in d["verdicts"])
    assert d["failover_s"] == 2.51 and d["dual_owner_s"] == 0 and d["write_gap_s"] == 3.0
    assert d["ready_s"] is None and d["skip_reason"] is None
    assert d["writes"] == {"ok": 16, "fail": 5, "unknown": 0, "lost": 0}
    assert d["fault_window"] == [2.0, 8.0] and d["duration_s"] == 12.0
    assert [f["phase"] for f in d["faults"]] == ["start", "healed"]
    assert d["judgement"]["status"] == "pass" and d["expectations"] == []
    assert r.verdict("writes").valid is True
    json.dumps(d)  # serialisable as it is


def test_result_of_a_bringup():
    from histories import bringup_history
    d = result_of(bringup_history()).to_dict()
    assert d["test"] == "bring-up" and d["outcome"] == "pass"
    assert d["ready_s"] == 4.5 and d["fault"] is None and d["fault_window"] is None
    assert d["failover_s"] is None


def test_a_skipped_run_says_why():
    ev = [run(0.0), fault(1.0, phase="skipped", name="delay-link", detail="no netem"),
          final(2.0)]
    r = result_of(ev)
    assert r.outcome == "skipped" and r.skipped == "no netem" and r.verdicts == []
    assert r.to_dict()["skip_reason"] == "no netem"


def test_judge_history_uses_the_declared_expectations_and_settle():
    e = Expectation("single_owner", "kill-mysqld", when="during", reason="nopreempt")
    ev = failover_history(expectations=[e])
    ev += [vip(10.0, "node1", True), vip(10.5, "node1", False)]  # 2 s after heal, settle 3 s
    _verdicts, j = judge_history(ev)
    assert j.status == "accepted", j.reasons
    ev2 = failover_history(expectations=[e],
                           bounds={"migration_s": 10.0, "master_down_s": 1.0,
                                   "observer_gap_s": 1.0})
    ev2 += [vip(10.0, "node1", True), vip(10.5, "node1", False)]
    assert judge_history(ev2)[1].status == "fail"  # settled at 9 s: 10 s is after


def test_a_stored_run_is_judged_again_from_its_history(tmp_path):
    ev = failover_history()
    r = result_of(ev, tmp_path)
    h = History()
    for e in ev:
        h.add(e["kind"], t=e["t"], **{k: v for k, v in e.items() if k not in ("t", "kind")})
    save(r, h, tmp_path)
    stored = json.loads((tmp_path / "result.json").read_text())
    assert stored["outcome"] == "pass"
    again = result_of(history_mod.load(tmp_path / "history.jsonl"), tmp_path)
    assert again.to_dict() == r.to_dict()


def test_safe_name():
    assert safe_name("seed/kill mysqld:owner") == "seed-kill-mysqld-owner"
    assert safe_name("...") == "run"
    assert len(safe_name("x" * 200)) == 80


def test_a_heal_event_closes_the_fault_window():
    ev = [*failover_history(), healed(20.0, step=3)]
    assert result_of(ev).to_dict()["fault_window"] == [2.0, 20.0]


def test_the_observation_lasts_until_the_last_window_has_opened():
    """The run keeps observing past the last heal (or restore) by the settle time (where an
    after-heal window opens) and a second more, whatever ended the run early."""
    from harness.scenario import OBSERVE_AFTER_S, observation_horizon
    events = [run(0.0), fault(2.0), healed(8.0), fault(9.0, step=1), healed(12.5, step=1),
              {"t": 13.0, "kind": "action", "phase": "done", "action": "restore",
               "node": "node1"}]
    assert observation_horizon(events, 3.6) == round(13.0 + 3.6 + OBSERVE_AFTER_S, 3)
    assert observation_horizon(events[:3], 3.6) == round(8.0 + 3.6 + OBSERVE_AFTER_S, 3)
    failed = [run(0.0), fault(2.0), fault(5.0, phase="heal-failed")]
    assert observation_horizon(failed, 1.0) == round(5.0 + 1.0 + OBSERVE_AFTER_S, 3)
    assert observation_horizon([run(0.0), fault(2.0)], 3.6) == 0.0  # nothing healed yet


def test_a_final_state_caught_mid_apply_is_taken_again_within_the_bound():
    """node2 applied a late transaction (a buffered write executed when its mysqld was thawed)
    after convergence: the first reading shows the sets apart with both channels running; the
    final state is the one after replication caught up, not a false divergence."""
    from harness.scenario import catching_up, settled_final
    ch = [{"io_running": True, "sql_running": True, "io_error": "", "sql_error": ""}]

    def state(g1, g2, ch1=ch):
        return {"nodes": {"node1": {"reachable": True, "gtid_executed": g1, "channels": ch1},
                          "node2": {"reachable": True, "gtid_executed": g2, "channels": ch}}}
    assert catching_up(state("a:1-5", "a:1-6"))
    assert not catching_up(state("a:1-6", "a:1-6"))
    stopped = [{**ch[0], "sql_running": False, "sql_error": "Coordinator stopped"}]
    assert not catching_up(state("a:1-5", "a:1-6", stopped))  # broken: that is the verdict
    readings = iter([state("a:1-5", "a:1-6"), state("a:1-6", "a:1-6")])
    pair = SimpleNamespace(final_state=lambda c: next(readings), converge=lambda bound: 0.3)
    h = History()
    assert settled_final(pair, h, 1.0, time.monotonic() + 5) == state("a:1-6", "a:1-6")
    assert "still applying" in h.events("note")[0]["text"]
    stuck = SimpleNamespace(final_state=lambda c: state("a:1-5", "a:1-6"),
                            converge=lambda bound: None)
    assert settled_final(stuck, History(), 1.0, time.monotonic() + 5) == state("a:1-5", "a:1-6")


def test_conditions_see_only_the_present(probes):
    """An event stamped ahead of the history's clock (a source stamp from a slewed wall clock)
    is not yet evidence: a step waiting for it starts only once the clock has reached it, so
    the step is never stamped before what allowed it."""
    c, h = fake_pair(), History()
    ahead = h.now() + 0.5
    h.add("step", t=ahead, phase="marker")
    seen = []

    def marker_seen(events):
        seen.append(h.now())
        return any(e["kind"] == "step" and e.get("phase") == "marker" for e in events)

    assert [e["kind"] for e in h.present()] == []
    assert [e["kind"] for e in h.events()] == ["step"]
    conds = {"marker": marker_seen}
    orig = conditions.parse
    try:
        conditions.parse = lambda text, nodes: conds.get(text) or orig(text, nodes)
        _run_timeline(c, Scenario("t", [Step(0.0, "probe", when="marker", duration=0.05)],
                                  warmup=0.0), Recorder(c, h))
    finally:
        conditions.parse = orig
    start = next(e for e in h.events("fault") if e["phase"] == "start")
    assert start["t"] >= ahead
