"""Bring-up: within ``bringup_s`` the highest-priority node alone holds the VIP, keepalived runs
and every tracked check passes on both nodes, both channels run."""

from histories import (
    bringup_history,
    final,
    phase,
    proc,
    repl,
    run,
    vip,
    vrrp,
    without,
)
from histories import check as check_event

from harness.checkers import check as check_all
from harness.checkers import check_bringup
from harness.checkers.query import problems_in, state_at


def replaced(events, pred, *new):
    return sorted([*without(events, pred), *new], key=lambda e: e["t"])


# --- pass -----------------------------------------------------------------------------------
def test_clean_bringup_passes():
    v = check_bringup(bringup_history())
    assert v.valid is True, v.summary
    assert v.metrics == {"ready_s": 4.5}
    assert v.summary.startswith("up as intended (node1 owns the VIP")
    assert "after 4.5 s" in v.summary
    assert v.evidence["intended_owner"] == "node1" and v.evidence["bound_s"] == 20.0
    assert v.evidence["problems_at_end"] == []
    assert v.evidence["vrrp"][-1] == {"t": 5.0, "node": "node1", "state": "MASTER"}
    assert v.summary == ("up as intended (node1 owns the VIP, keepalived and checks fine on "
                         "both, both channels running) after 4.5 s")
    assert v.evidence["keepalived_log"]["node1"] == ["5.00s (VI_1) Entering MASTER STATE"]
    assert v.windows == []


def test_ready_exactly_at_the_bound_passes():
    v = check_bringup(bringup_history(ready_at=20.5, end=30.0))
    assert v.valid is True and v.metrics["ready_s"] == 20.0


def test_bringup_histories_get_the_bringup_checkers():
    assert [v.invariant for v in check_all(bringup_history())] == ["bringup", "single_owner"]


def test_the_intended_owner_is_the_highest_priority_node():
    ev = replaced(bringup_history(owner="node2"), lambda e: e["kind"] == "run",
                  run(0.0, scenario="bring-up", priorities=(100, 200)))
    v = check_bringup(ev)
    assert v.valid is True and v.evidence["intended_owner"] == "node2"


def test_without_a_bringup_phase_the_clock_starts_at_zero():
    ev = without(bringup_history(), lambda e: e["kind"] == "phase")
    assert check_bringup(ev).metrics["ready_s"] == 5.0


# --- FAIL -----------------------------------------------------------------------------------
def test_wrong_owner_fails():
    v = check_bringup(bringup_history(owner="node2"))
    assert v.valid is False
    assert v.summary == "not up as intended: VIP held by ['node2'], intended node1 alone"
    assert v.windows == [[0.5, 12.0]]
    assert v.metrics["ready_s"] is None


def test_both_owners_fail():
    v = check_bringup(bringup_history(extra=[vip(6.0, "node2", True)]))
    assert v.valid is False and "VIP held by ['node1', 'node2']" in v.summary


def test_nobody_holding_the_vip_fails():
    ev = without(bringup_history(), lambda e: e["kind"] == "vip" and e["held"])
    v = check_bringup(ev)
    assert v.valid is False and "VIP held by nobody" in v.summary


def test_keepalived_not_running_fails():
    v = check_bringup(bringup_history(extra=[proc(6.0, "node2", keepalived=0)]))
    assert v.valid is False and "node2: keepalived not running" in v.summary


def test_a_tracked_check_that_never_reported_fails():
    checks = {"node1": ["check_mysql"], "node2": ["check_mysql", "check_disk"]}
    v = check_bringup(bringup_history(checks=checks))
    assert v.valid is False
    assert "node2: check check_disk never reported a result" in v.summary


def test_a_failing_check_fails():
    v = check_bringup(bringup_history(extra=[check_event(6.0, "node2", ok=False)]))
    assert v.valid is False and "node2: check check_mysql failing" in v.summary


def test_channel_not_running_fails():
    v = check_bringup(bringup_history(extra=[repl(7.0, "node2", sql=False)]))
    assert v.valid is False
    assert "node2: replication channel not running (io=True, sql=False)" in v.summary


def test_late_fails():
    v = check_bringup(bringup_history(ready_at=25.0, end=30.0))
    assert v.valid is False
    assert v.summary == "up as intended only after 24.5 s (bound 20.0 s)"
    assert v.metrics["ready_s"] == 24.5
    assert v.windows == [[0.5, 30.0]]


def test_up_in_time_but_broken_at_the_end_fails():
    v = check_bringup(bringup_history(extra=[vrrp(9.0, "node1", "FAULT"),
                                             vip(9.0, "node1", False), vip(9.0, "node2", True)]))
    assert v.valid is False and v.metrics["ready_s"] == 4.5
    assert "not up as intended" in v.summary


def test_the_deadline_is_cut_at_the_end_of_observation():
    """A bound longer than the recording: ready must still be seen before the end."""
    ev = bringup_history(bounds={"bringup_s": 100.0, "observer_gap_s": 1.0})
    assert check_bringup(ev).valid is True


def test_problems_are_listed_at_most_four():
    ev = bringup_history(extra=[proc(6.0, "node1", 0), proc(6.0, "node2", 0),
                                repl(7.0, "node1", io=False), repl(7.0, "node2", io=False),
                                vip(8.0, "node1", False)])
    v = check_bringup(ev)
    assert v.valid is False and v.summary.count(";") == 3


# --- unknown --------------------------------------------------------------------------------
def test_no_run_header_is_unknown():
    v = check_bringup(without(bringup_history(), lambda e: e["kind"] == "run"))
    assert v.valid is None
    assert "nodes, priorities and bring-up bound" in v.summary


def test_no_bringup_bound_is_unknown():
    ev = replaced(bringup_history(), lambda e: e["kind"] == "run",
                  run(0.0, scenario="bring-up", bounds={"migration_s": 1.0}))
    assert check_bringup(ev).valid is None


def test_nothing_observed_is_unknown():
    ev = [run(0.0, scenario="bring-up"), phase(0.5, "bring-up"), final(10.0)]
    v = check_bringup(ev)
    assert v.valid is None and v.summary == "unknown: nothing was observed during bring-up"


def test_a_node_whose_vip_is_unobservable_at_the_end_is_unknown():
    v = check_bringup(bringup_history(extra=[vip(11.5, "node2", None)]))
    assert v.valid is None


def test_keepalived_never_observed_is_unknown():
    v = check_bringup(without(bringup_history(),
                              lambda e: e["kind"] == "proc" and e["node"] == "node2"))
    assert v.valid is None


# --- helpers --------------------------------------------------------------------------------
def test_state_at_reads_the_last_value_of_each_stream():
    ev = bringup_history()
    st = state_at(ev, 5.0, ["node1", "node2"])
    assert st["node1"] == {"vip": True, "keepalived": True, "checks": {"check_mysql": True},
                           "vrrp": "MASTER", "io": True, "sql": True}
    assert state_at(ev, 0.0, ["node1"])["node1"]["vip"] is None
    unreachable = [*ev, repl(6.0, "node1", reachable=False)]
    assert state_at(unreachable, 7.0, ["node1"])["node1"]["io"] is True  # last reachable sample


def test_problems_in_the_intended_state_is_empty():
    st = state_at(bringup_history(), 11.0, ["node1", "node2"])
    assert problems_in(st, "node1") == []
    assert problems_in(st, "node2") == ["VIP held by ['node1'], intended node2 alone"]
    assert problems_in(st, "node1", {"node1": ["check_x"]}) == [
        "node1: check check_x never reported a result (disabled by keepalived?)"]


# --- boundaries, names, evidence ----------------------------------------------------------
def test_every_bringup_verdict_names_its_invariant():
    for ev in (bringup_history(), bringup_history(owner="node2"),
               without(bringup_history(), lambda e: e["kind"] == "run"),
               [run(0.0, scenario="bring-up"), phase(0.5, "bring-up"), final(10.0)]):
        v = check_bringup(ev)
        assert v.invariant == "bringup"
    bad = check_bringup(bringup_history(owner="node2"))
    assert bad.evidence["intended_owner"] == "node1" and bad.evidence["problems_at_end"]
    assert check_bringup(without(bringup_history(), lambda e: e["kind"] == "run")).summary == \
        "unknown: the history does not say the nodes, priorities and bring-up bound"


def test_a_run_header_without_nodes_is_unknown():
    ev = replaced(bringup_history(), lambda e: e["kind"] == "run",
                  {**run(0.0, scenario="bring-up"), "nodes": []})
    assert check_bringup(ev).valid is None


def test_the_clock_starts_at_the_bringup_phase_not_any_phase():
    ev = sorted([*bringup_history(), phase(0.2, "observe")], key=lambda e: e["t"])
    assert check_bringup(ev).metrics["ready_s"] == 4.5


def test_ready_is_the_moment_the_last_problem_went_away():
    assert check_bringup(bringup_history(ready_at=5.2)).metrics["ready_s"] == 4.7
    late_proc = replaced(bringup_history(), lambda e: e["kind"] == "proc" and e["node"] == "node2",
                         proc(6.3, "node2"))
    assert check_bringup(late_proc).metrics["ready_s"] == 5.8
    late_check = replaced(bringup_history(),
                          lambda e: e["kind"] == "check" and e["node"] == "node2",
                          check_event(6.7, "node2"))
    assert check_bringup(late_check).metrics["ready_s"] == 6.2
    late_repl = replaced(bringup_history(), lambda e: e["kind"] == "repl" and e["node"] == "node2",
                         repl(7.3, "node2"))
    assert check_bringup(late_repl).metrics["ready_s"] == 6.8


def test_ready_at_the_bringup_phase_itself_is_zero():
    ev = replaced(bringup_history(), lambda e: e["kind"] == "phase", phase(5.0, "bring-up"))
    assert check_bringup(ev).metrics["ready_s"] == 0.0


def test_ready_at_the_last_observed_instant_counts():
    ev = [e for e in bringup_history(ready_at=12.0, end=12.0) if e["t"] <= 12.0]
    v = check_bringup(ev)
    assert v.valid is True and v.metrics["ready_s"] == 11.5


def test_a_silent_tracked_check_means_never_ready():
    checks = {"node1": ["check_mysql"], "node2": ["check_mysql", "check_disk"]}
    assert check_bringup(bringup_history(checks=checks)).metrics["ready_s"] is None


def test_only_vip_proc_or_repl_observations_are_still_observations():
    base = [run(0.0, scenario="bring-up"), phase(0.5, "bring-up"), final(10.0)]
    for extra in ([vip(1.0, "node1", True)], [proc(1.0, "node1")], [repl(1.0, "node1")]):
        v = check_bringup(sorted([*base, *extra], key=lambda e: e["t"]))
        # counted as observations (not "nothing was observed"), and never a pass: what was not
        # seen (the other node, the channels) keeps it unknown unless something is seen wrong
        assert v.valid is not True and "nothing was observed" not in v.summary, v.summary


def test_evidence_is_capped():
    extra = [vrrp(6 + k * 0.1, "node2", "BACKUP") for k in range(30)]
    extra += [{"t": 6 + k * 0.1, "kind": "klog", "node": "node1", "text": f"line {k}"}
              for k in range(30)]
    v = check_bringup(bringup_history(extra=extra))
    assert len(v.evidence["vrrp"]) == 20
    assert len(v.evidence["keepalived_log"]["node1"]) == 15
    assert v.evidence["keepalived_log"]["node1"][-1].endswith("line 29")


def test_ready_is_rounded_to_the_millisecond():
    assert check_bringup(bringup_history(ready_at=5.12345)).metrics["ready_s"] == 4.623


def test_problems_at_the_end_are_joined():
    v = check_bringup(bringup_history(extra=[proc(6.0, "node1", 0), proc(6.0, "node2", 0)]))
    assert v.summary == ("not up as intended: node1: keepalived not running; "
                         "node2: keepalived not running")


def test_a_proc_sample_without_a_count_is_not_running():
    ev = [*bringup_history(), {"t": 11.0, "kind": "proc", "node": "node2", "mysqld": "S"}]
    assert state_at(ev, 11.5, ["node2"])["node2"]["keepalived"] is False


def test_several_silent_or_failing_checks_are_listed_together():
    st = state_at(bringup_history(extra=[check_event(6.0, "node1", "a", False),
                                         check_event(6.0, "node1", "b", False)]),
                  11.0, ["node1", "node2"])
    assert "node1: check a, b failing" in problems_in(st, "node1")
    assert "node2: check x, y never reported a result (disabled by keepalived?)" in \
        problems_in(st, "node1", {"node2": ["x", "y"]})


def test_problems_without_an_intended_owner_ask_for_a_pair_that_can_fail_over():
    """``intended=None`` (redundancy restored): any single owner, one MASTER, one BACKUP."""
    nodes = ["node1", "node2"]
    good = bringup_history(extra=[vrrp(5.0, "node2", "BACKUP")])
    assert problems_in(state_at(good, 11.0, nodes), None) == []
    two = bringup_history(extra=[vip(6.0, "node2", True), vrrp(6.0, "node2", "MASTER")])
    assert problems_in(state_at(two, 11.0, nodes), None) == [
        "VIP held by ['node1', 'node2'], not by exactly one node",
        "VRRP states ['MASTER', 'MASTER'], not one MASTER and one BACKUP"]
    nobody = bringup_history(extra=[vip(6.0, "node1", False), vrrp(6.0, "node1", "BACKUP")])
    assert problems_in(state_at(nobody, 11.0, nodes), None) == [
        "VIP held by nobody, not by exactly one node",
        "VRRP states ['BACKUP', 'BACKUP'], not one MASTER and one BACKUP"]
    unknown_state = state_at(bringup_history(), 4.0, nodes)
    assert "VRRP states ['BACKUP', 'BACKUP'], not one MASTER and one BACKUP" in \
        problems_in(unknown_state, None)
