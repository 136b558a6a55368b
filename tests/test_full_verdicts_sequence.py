"""Flapping, redundancy and bring-up verdicts asserted in full: the exact summary, evidence,
metrics, windows and signature that reports and the judge read, and the edges of their rules
(a transition at the very instant of its cause or at the end of the bound, a budget used up, the
run ending exactly at the bound, a fault cutting the restore's window short)."""

import pytest
from histories import (
    bringup_history,
    failover_history,
    fault,
    final,
    proc,
    repl,
    run,
    vip,
    vrrp,
    without,
)
from histories import check as check_event

from harness.checkers.bringup import check_bringup
from harness.checkers.flapping import check_flapping
from harness.checkers.redundancy import check_redundancy, restores


def ordered(*parts):
    return sorted([e for p in parts for e in p], key=lambda e: e["t"])


def action(t, phase, name="restore", node="node1", step=1):
    return {"t": t, "kind": "action", "phase": phase, "action": name, "node": node,
            "step": step}


# --- flapping --------------------------------------------------------------------------------
def test_flapping_without_bounds_is_unknown_in_full():
    ev = [dict(e, bounds={}) if e["kind"] == "run" else e for e in failover_history()]
    v = check_flapping(ev)
    assert v.invariant == "flapping" and v.valid is None
    assert v.summary == "unknown: the history does not say the bound (no run event)"


def test_flapping_pass_in_full_has_no_evidence_and_no_signature():
    v = check_flapping(ordered(failover_history(), [vrrp(3.9, "node2", "MASTER")]))
    assert v.invariant == "flapping" and v.valid is True
    assert v.summary == ("1 MASTER entries and 1 VIP moves (1 VRRP transitions), all explained "
                         "by the faults and actions")
    assert v.evidence == {} and v.windows == [] and v.signature == []
    assert v.metrics == {"vrrp_transitions": 1, "master_entries": 1, "vip_takes": 1,
                         "unexplained": 0}


def test_a_heal_explains_the_node_taking_the_vip_back():
    # the fault's window (2-12 s) is over; the heal at 13 s explains node1 coming back at 14 s
    ev = ordered(failover_history(heal_at=13.0, end=30.0),
                 [vrrp(3.9, "node2", "MASTER"), vrrp(14.0, "node1", "MASTER"),
                  vip(14.0, "node1", True)])
    v = check_flapping(ev)
    assert v.valid is True, v.summary
    assert v.metrics == {"vrrp_transitions": 2, "master_entries": 2, "vip_takes": 2,
                         "unexplained": 0}


def test_an_operator_action_explains_what_follows_its_start():
    ev = ordered(failover_history(end=40.0),
                 [vrrp(3.9, "node2", "MASTER"), action(20.0, "start", "restart-keepalived"),
                  action(22.0, "done", "restart-keepalived"), vrrp(25.0, "node1", "MASTER"),
                  vip(25.0, "node1", True)])
    v = check_flapping(ev)
    assert v.valid is True, v.summary
    assert v.summary == ("2 MASTER entries and 2 VIP moves (2 VRRP transitions), all explained "
                         "by the faults and actions")


def test_an_action_explains_only_within_the_bound_after_its_start_not_its_end():
    # started at 20 s, done at 22 s: a MASTER entry at 31 s is 11 s after the start
    ev = ordered(failover_history(end=40.0),
                 [vrrp(3.9, "node2", "MASTER"), action(20.0, "start", "restart-keepalived"),
                  action(22.0, "done", "restart-keepalived"), vrrp(31.0, "node1", "MASTER")])
    v = check_flapping(ev)
    assert v.valid is False
    assert v.summary == "1 MASTER entr(ies)/VIP move(s) no fault explains: 31.00s node1 MASTER"
    assert v.evidence == {"unexplained": ["31.00s node1 MASTER"]}
    assert v.windows == [[31.0, 31.0]] and v.signature == ["unexplained MASTER on node1"]


def test_a_skipped_fault_explains_nothing():
    ev = ordered(failover_history(end=40.0),
                 [vrrp(3.9, "node2", "MASTER"), fault(20.0, "skipped"),
                  vrrp(21.0, "node1", "MASTER")])
    v = check_flapping(ev)
    assert v.valid is False
    assert v.evidence == {"unexplained": ["21.00s node1 MASTER"]}


def test_an_initial_vrrp_state_is_no_transition():
    initial = {**vrrp(0.2, "node1", "MASTER"), "initial": True}
    v = check_flapping(ordered(failover_history(), [initial, vrrp(3.9, "node2", "MASTER")]))
    assert v.valid is True, v.summary
    assert v.metrics == {"vrrp_transitions": 1, "master_entries": 1, "vip_takes": 1,
                         "unexplained": 0}


def test_a_move_at_the_very_instant_of_the_fault_is_explained():
    ev = ordered(failover_history(move_at=2.0), [vrrp(2.0, "node2", "MASTER")])
    v = check_flapping(ev)
    assert v.valid is True, v.summary
    assert v.metrics["vip_takes"] == 1 and v.metrics["master_entries"] == 1


def test_a_move_exactly_at_the_end_of_the_bound_is_explained():
    # fault at 2 s, migration_s 10 s, healed only at 20 s: the move at 12 s is on the bound
    ev = ordered(failover_history(move_at=12.0, heal_at=20.0, end=25.0),
                 [vrrp(12.0, "node2", "MASTER")])
    v = check_flapping(ev)
    assert v.valid is True, v.summary
    assert v.metrics["vip_takes"] == 1 and v.metrics["master_entries"] == 1


def test_a_move_just_after_the_bound_is_not_explained():
    ev = ordered(failover_history(move_at=12.5, heal_at=20.0, end=25.0),
                 [vrrp(12.5, "node2", "MASTER")])
    v = check_flapping(ev)
    assert v.valid is False
    assert v.evidence == {"unexplained": ["12.50s node2 MASTER", "12.50s node2 takes the VIP"]}
    assert v.signature == ["unexplained MASTER on node2", "unexplained VIP take by node2"]


def test_a_master_entry_of_a_node_the_run_does_not_declare_is_unexplained():
    ev = ordered(failover_history(), [vrrp(3.9, "node2", "MASTER"), vrrp(3.0, "node3", "MASTER")])
    v = check_flapping(ev)
    assert v.valid is False
    assert v.summary == "1 MASTER entr(ies)/VIP move(s) no fault explains: 3.00s node3 MASTER"
    assert v.signature == ["unexplained MASTER on node3"]


def test_one_fault_explains_one_master_entry_per_node():
    ev = ordered(failover_history(), [vrrp(3.9, "node2", "MASTER"), vrrp(4.5, "node2", "BACKUP"),
                                      vrrp(5.0, "node2", "MASTER")])
    v = check_flapping(ev)
    assert v.invariant == "flapping" and v.valid is False
    assert v.summary == "1 MASTER entr(ies)/VIP move(s) no fault explains: 5.00s node2 MASTER"
    assert v.metrics == {"vrrp_transitions": 3, "master_entries": 2, "vip_takes": 1,
                         "unexplained": 1}
    assert v.windows == [[5.0, 5.0]]


def test_one_fault_explains_two_vip_takes_not_three():
    ev = ordered(failover_history(), [vrrp(3.9, "node2", "MASTER"), vip(5.0, "node2", False),
                                      vip(5.5, "node2", True), vip(6.0, "node2", False),
                                      vip(6.5, "node2", True)])
    v = check_flapping(ev)
    assert v.valid is False
    assert v.summary == ("1 MASTER entr(ies)/VIP move(s) no fault explains: 6.50s node2 takes "
                         "the VIP")
    assert v.evidence == {"unexplained": ["6.50s node2 takes the VIP"]}
    assert v.metrics == {"vrrp_transitions": 1, "master_entries": 1, "vip_takes": 3,
                         "unexplained": 1}
    assert v.signature == ["unexplained VIP take by node2"]


def test_many_unexplained_entries_list_six_in_the_summary_and_all_in_the_evidence():
    late = [20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0]
    ev = ordered(failover_history(end=30.0),
                 [vrrp(3.9, "node2", "MASTER"), *(vrrp(t, "node2", "MASTER") for t in late),
                  vip(27.0, "node1", True)])
    v = check_flapping(ev)
    assert v.invariant == "flapping" and v.valid is False
    listing = [f"{t:.2f}s node2 MASTER" for t in late] + ["27.00s node1 takes the VIP"]
    assert v.summary == ("8 MASTER entr(ies)/VIP move(s) no fault explains: "
                         + ", ".join(listing[:6]))
    assert v.evidence == {"unexplained": listing}
    assert v.metrics == {"vrrp_transitions": 8, "master_entries": 8, "vip_takes": 2,
                         "unexplained": 8}
    assert v.windows == [[t, t] for t in [*late, 27.0]]
    assert v.signature == ["unexplained MASTER on node2", "unexplained VIP take by node1"]


# --- redundancy ------------------------------------------------------------------------------
RESTORE_DONE = 9.5
READY = {"vrrp": 10.0, "proc": 10.0, "repl": 10.2, "check": 10.3}


def restored(*, ready=None, phase="done", peer_state="BACKUP", keepalived=1, end=40.0,
             drop=lambda e: False, extra=()):
    """node1 killed at 2 s, node2 takes over; restore of node1 done at 9.5 s and node1 back as
    BACKUP with keepalived, channels and check (each stream at its ``ready`` time)."""
    at = {**READY, **(ready or {})}
    ev = [run(0.0, scenario="fail-restore-fail-kill-mysqld"), vip(0.0, "node1", True),
          vip(0.0, "node2", False), fault(2.0), vip(3.5, "node1", False), vip(4.0, "node2", True),
          vrrp(4.0, "node2", "MASTER"), vrrp(4.1, "node1", "STOP"), proc(0.5, "node2"),
          check_event(0.6, "node2"), fault(8.0, "healed"), action(9.0, "start"),
          action(RESTORE_DONE, phase), vrrp(at["vrrp"], "node1", peer_state),
          proc(at["proc"], "node1", keepalived), repl(at["repl"], "node1"),
          repl(at["repl"], "node2"), check_event(at["check"], "node1"), *extra,
          final(end, owners=("node2",))]
    return sorted(without(ev, drop), key=lambda e: e["t"])


def test_redundancy_without_a_restore_or_a_bound_is_unknown_in_full():
    v = check_redundancy(failover_history())
    assert v.invariant == "redundancy" and v.valid is None
    assert v.summary == "unknown: no restore in the history"
    ev = [dict(e, bounds={}) if e["kind"] == "run" else e for e in restored()]
    v = check_redundancy(ev)
    assert v.invariant == "redundancy" and v.valid is None
    assert v.summary == "unknown: the history does not say the bound (no run event)"


def test_redundancy_pass_in_full():
    v = check_redundancy(restored())
    assert v.invariant == "redundancy" and v.valid is True
    assert v.summary == ("redundant again 0.8 s after the restore (both keepalived, one MASTER + "
                         "one BACKUP, checks and channels fine)")
    assert v.evidence == {"restored_after_s": [0.8]}
    assert v.metrics == {"restored_after_s": 0.8, "restores": 1, "bound_s": 20.0}
    assert v.windows == [] and v.signature == []


def test_restored_after_is_rounded_to_the_millisecond():
    v = check_redundancy(restored(ready={"vrrp": 9.6, "proc": 9.6, "repl": 9.7,
                                           "check": 9.8126}))
    assert v.evidence == {"restored_after_s": [0.313]}
    assert v.metrics["restored_after_s"] == 0.313


@pytest.mark.parametrize("kind", ["vip", "proc", "vrrp", "repl"])
def test_redundancy_is_judged_at_the_instant_each_stream_shows_it(kind):
    """The pair is redundant from the observation that completes it, whatever its stream."""
    if kind == "vip":  # node2 briefly not seen holding the VIP, holding it again at 12 s
        ev = restored(extra=[vip(9.8, "node2", False), vip(12.0, "node2", True)])
    else:
        ev = restored(ready={kind: 12.0})
    v = check_redundancy(ev)
    assert v.valid is True, v.summary
    assert v.metrics["restored_after_s"] == 2.5 and v.evidence == {"restored_after_s": [2.5]}


def test_a_failed_restore_is_judged_too():
    ev = restored(phase="failed", peer_state="STOP", keepalived=0)
    assert [e["phase"] for e in restores(ev)] == ["failed"]
    v = check_redundancy(ev)
    assert v.valid is False
    assert v.evidence == {"problems": ["VRRP states ['MASTER', 'STOP'], not one MASTER and one "
                                       "BACKUP", "node1: keepalived not running"],
                          "restore_at": 9.5}


def test_a_pair_not_redundant_when_the_run_ends_exactly_at_the_bound_fails():
    v = check_redundancy(restored(peer_state="STOP", keepalived=0, end=RESTORE_DONE + 20.0))
    assert v.invariant == "redundancy" and v.valid is False
    assert v.summary == ("20.0 s after restoring node1 the pair was not redundant: VRRP states "
                         "['MASTER', 'STOP'], not one MASTER and one BACKUP; node1: keepalived "
                         "not running")
    assert v.windows == [[9.5, 29.5]]
    assert v.signature == ["VRRP states MASTER+STOP", "keepalived stopped on node1"]


def test_the_next_fault_ends_the_restores_window():
    """Redundancy must be back before the next fault starts; the state judged is the one at
    that fault, even if the pair recovers later within the bound."""
    late = restored(peer_state="STOP", keepalived=0,
                    extra=[vrrp(20.0, "node1", "BACKUP"), proc(20.0, "node1")])
    assert check_redundancy(late).valid is True  # no fault: recovered 10.5 s after the restore
    v = check_redundancy(sorted([*late, fault(15.0, target="master", owner_at_start="node2",
                                              nodes=("node2",))], key=lambda e: e["t"]))
    assert v.invariant == "redundancy" and v.valid is False
    # judged at the next fault (5.5 s after the restore), and said so: not "20.0 s after"
    assert v.summary == ("5.5 s after restoring node1, when the next fault began, the pair was "
                         "not redundant: VRRP states ['MASTER', 'STOP'], not one MASTER and one "
                         "BACKUP; node1: keepalived not running")
    assert v.windows == [[9.5, 15.0]]
    assert v.metrics == {"restored_after_s": None, "restores": 1, "bound_s": 20.0}


def test_a_check_that_never_reported_keeps_the_pair_from_being_redundant():
    v = check_redundancy(restored(drop=lambda e: e["kind"] == "check" and e["node"] == "node1"))
    assert v.invariant == "redundancy" and v.valid is False
    assert v.summary == ("20.0 s after restoring node1 the pair was not redundant: node1: check "
                         "check_mysql never reported a result (disabled by keepalived?)")
    assert v.evidence == {"problems": ["node1: check check_mysql never reported a result "
                                       "(disabled by keepalived?)"], "restore_at": 9.5}
    assert v.signature == ["check check_mysql silent on node1"]


def test_at_most_four_problems_in_the_summary_all_in_the_evidence():
    ev = restored(peer_state="STOP", keepalived=0,
                  extra=[vip(9.8, "node2", False), check_event(12.0, "node2", ok=False),
                         repl(12.0, "node1", io=False)])
    v = check_redundancy(ev)
    problems = ["VIP held by nobody, not by exactly one node",
                "VRRP states ['MASTER', 'STOP'], not one MASTER and one BACKUP",
                "node1: keepalived not running",
                "node1: replication channel not running (io=False, sql=True)",
                "node2: check check_mysql failing"]
    assert v.summary == ("20.0 s after restoring node1 the pair was not redundant: "
                         + "; ".join(problems[:4]))
    assert v.evidence == {"problems": problems, "restore_at": 9.5}
    assert v.signature == ["VIP held by nobody", "VRRP states MASTER+STOP",
                           "keepalived stopped on node1", "channel stopped on node1",
                           "check check_mysql failing on node2"]


# --- bring-up --------------------------------------------------------------------------------
def not_on_node2(kind):
    return lambda e: e["kind"] == kind and e.get("node") == "node2"


def test_a_node_never_observed_is_unknown_in_full():
    v = check_bringup(without(bringup_history(), not_on_node2("repl")))
    assert v.invariant == "bringup" and v.valid is None
    assert v.summary == ("unknown: the processes, addresses or channels of ['node2'] were never "
                         "observed")


def test_seen_wrong_beats_unobserved_and_only_what_was_seen_is_listed():
    ev = ordered(without(bringup_history(), not_on_node2("repl")), [proc(6.0, "node1", 0)])
    v = check_bringup(ev)
    assert v.invariant == "bringup" and v.valid is False
    assert v.summary == "not up as intended: node1: keepalived not running"
    assert v.evidence["problems_at_end"] == ["node1: keepalived not running"]
    assert v.metrics == {"ready_s": None}
    assert v.windows == [[0.5, 12.0]] and v.signature == ["keepalived stopped on node1"]


def test_the_wrong_owner_seen_beats_an_unobserved_channel():
    v = check_bringup(without(bringup_history(owner="node2"), not_on_node2("repl")))
    assert v.valid is False
    assert v.summary == "not up as intended: VIP held by ['node2'], intended node1 alone"
    assert v.signature == ["VIP held by node2"]


def test_a_silent_check_seen_beats_an_unobserved_channel():
    ev = without(bringup_history(), lambda e: not_on_node2("repl")(e) or (
        e["kind"] == "check" and e["node"] == "node1"))
    v = check_bringup(ev)
    assert v.valid is False
    assert v.summary == ("not up as intended: node1: check check_mysql never reported a result "
                         "(disabled by keepalived?)")
    assert v.signature == ["check check_mysql silent on node1"]


def test_everything_observed_lists_the_silent_check_of_a_stopped_keepalived():
    ev = ordered(without(bringup_history(), not_on_node2("check")), [proc(6.0, "node2", 0)])
    v = check_bringup(ev)
    assert v.valid is False
    assert v.evidence["problems_at_end"] == [
        "node2: keepalived not running",
        "node2: check check_mysql never reported a result (disabled by keepalived?)"]
    assert v.signature == ["keepalived stopped on node2", "check check_mysql silent on node2"]


def test_up_late_in_full():
    v = check_bringup(bringup_history(ready_at=25.0, end=30.0))
    assert v.invariant == "bringup" and v.valid is False
    assert v.summary == "up as intended only after 24.5 s (bound 20.0 s)"
    assert v.metrics == {"ready_s": 24.5} and v.evidence["problems_at_end"] == []
    assert v.windows == [[0.5, 30.0]] and v.signature == ["up late"]


def test_wrong_owner_signature():
    v = check_bringup(bringup_history(owner="node2"))
    assert v.signature == ["VIP held by node2"]
    assert v.evidence["intended_owner"] == "node1" and v.evidence["bound_s"] == 20.0
