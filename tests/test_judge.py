"""The one judge: verdicts + expectations + the history's fault events -> an outcome.

Rules under test: unknown is never accepted; a FAIL is accepted only when an expectation names
its invariant, applies to the run's faults/targets, and the verdict's windows overlap the
expectation's window (during / after-heal / bring-up / anytime); an expectation whose invariant
held is stale (a failure); fail beats unknown beats accepted beats pass.
"""

import pytest
from histories import failover_history, fault, healed, run

from harness.checkers.verdict import Verdict
from harness.expectations import WHEN, Expectation
from harness.judge import (
    OUTCOMES,
    Judgement,
    applicable,
    expectation_window,
    fault_windows,
    judge,
    observed_windows,
)

#: fault at 2 s on node1 (target owner), healed at 8 s, history ends at 20 s; settle 3 s
EVENTS = [run(0.0), fault(2.0), healed(8.0), {"t": 20.0, "kind": "final", "nodes": {}}]
SETTLE = 3.0


def ok(inv="single_owner"):
    return Verdict(inv, True, "held")


def bad(inv="single_owner", windows=((3.0, 4.0),), signature=("dual ownership",)):
    return Verdict(inv, False, "two owners", windows=[list(w) for w in windows],
                   signature=list(signature))


def unk(inv="single_owner"):
    return Verdict(inv, None, "not observed")


def exp(inv="single_owner", **kw):
    return Expectation(inv, reason=kw.pop("reason", "accepted risk"), **kw)


def j(verdicts, expectations=(), events=EVENTS, settle=SETTLE, **kw):
    return judge(verdicts, expectations, events, settle_s=settle, **kw)


# --- Expectation and Judgement --------------------------------------------------------------
def test_expectation_rejects_an_unknown_when():
    with pytest.raises(ValueError, match="when must be one of during, after-heal"):
        Expectation("single_owner", when="sometimes")
    assert WHEN == ("during", "after-heal", "bring-up", "anytime")


def test_expectation_round_trips_through_a_dict():
    e = Expectation("writes", "pause-node", "owner", "after-heal", "why", "risks.toml:3")
    assert Expectation.from_dict(e.to_dict()) == e
    assert Expectation.from_dict({"invariant": "x", "extra": 1}) == Expectation("x")
    assert e.to_dict() == {"invariant": "writes", "fault": "pause-node", "target": "owner",
                           "when": "after-heal", "reason": "why", "where": "risks.toml:3",
                           "scenario": None, "intermittent": False, "signature": [],
                           "consequences": []}
    e2 = Expectation("writes", scenario="fail-restore-*", intermittent=True,
                     signature=["acknowledged writes lost"], consequences=["errant writes"])
    assert Expectation.from_dict(e2.to_dict()) == e2
    assert e2.signature == ("acknowledged writes lost",)


def test_only_pass_and_accepted_pass_the_gate():
    assert [s for s in OUTCOMES if Judgement(s).ok] == ["accepted", "pass"]
    assert Judgement("pass", ["r"], {"x": "pass"}).to_dict() == {
        "status": "pass", "reasons": ["r"], "per_invariant": {"x": "pass"}}


# --- plain outcomes -------------------------------------------------------------------------
def test_all_held_is_pass():
    out = j([ok("single_owner"), ok("writes")])
    assert out.status == "pass" and out.reasons == []
    assert out.per_invariant == {"single_owner": "pass", "writes": "pass"}


def test_skipped_is_skipped_with_its_reason():
    out = j([bad()], skipped="no netem")
    assert out.status == "skipped" and out.reasons == ["no netem"]


def test_no_verdict_at_all_is_unknown():
    out = j([])
    assert out.status == "unknown"
    assert out.reasons == ["no verdict at all: nothing was judged"]


def test_an_unknown_verdict_is_unknown():
    out = j([ok(), unk("writes")])
    assert out.status == "unknown"
    assert out.per_invariant == {"single_owner": "pass", "writes": "unknown"}
    assert out.reasons == ["writes: unknown: not observed"]


def test_an_undeclared_fail_is_fail():
    out = j([bad(), ok("writes")])
    assert out.status == "fail"
    assert out.per_invariant["single_owner"] == "FAIL"
    assert out.reasons == ["single_owner: FAIL: two owners"]


def test_fail_beats_unknown_beats_accepted_beats_pass():
    e = [exp()]
    assert j([bad(), unk("writes")]).status == "fail"
    assert j([bad(), unk("writes")], e).status == "unknown"
    assert j([bad(), ok("writes")], e).status == "accepted"
    assert j([bad("writes"), bad()], e).status == "fail"


# --- unknown is never accepted ------------------------------------------------------------
@pytest.mark.parametrize("when", WHEN)
def test_unknown_is_never_accepted(when):
    out = j([unk()], [exp(when=when)])
    assert out.status == "unknown" and out.per_invariant == {"single_owner": "unknown"}
    assert not out.ok


def test_a_risk_on_an_invariant_this_test_does_not_judge_says_nothing():
    out = j([ok()], [exp("redundancy", where="risks.toml:7")])
    assert out.status == "pass" and out.per_invariant == {"single_owner": "pass"}
    assert out.reasons == []


# --- accepted only inside the expectation's window -------------------------------------------
def test_fail_during_the_fault_is_accepted_when_declared_during():
    out = j([bad(windows=[(3.0, 4.0)])], [exp(reason="nopreempt split brain")])
    assert out.status == "accepted" and out.ok
    assert out.per_invariant == {"single_owner": "accepted"}
    assert out.reasons == ["single_owner: accepted: two owners (nopreempt split brain)"]


def test_during_lasts_until_heal_plus_settle_inclusive():
    assert j([bad(windows=[(11.0, 12.0)])], [exp()]).status == "accepted"  # heal 8 + 3
    out = j([bad(windows=[(11.01, 12.0)])], [exp()])
    assert out.status == "fail"
    assert out.reasons == ["single_owner: FAIL outside the accepted window (during: "
                           "2.0-11.0s; seen 11.0-12.0s): two owners"]


def test_during_starts_at_the_fault_inclusive():
    assert j([bad(windows=[(1.0, 2.0)])], [exp()]).status == "accepted"
    assert j([bad(windows=[(1.0, 1.99)])], [exp()]).status == "fail"


def test_a_dual_window_after_the_heal_is_not_accepted_as_during():
    assert j([bad(windows=[(15.0, 16.0)])], [exp()]).status == "fail"


def test_after_heal_accepts_only_after_heal_plus_settle():
    e = [exp(when="after-heal")]
    assert j([bad(windows=[(15.0, 16.0)])], e).status == "accepted"
    assert j([bad(windows=[(11.0, 11.0)])], e).status == "accepted"
    assert j([bad(windows=[(3.0, 4.0)])], e).status == "fail"
    assert j([bad(windows=[(3.0, 10.99)])], e).status == "fail"


def test_bring_up_accepts_only_before_the_first_fault():
    e = [exp(when="bring-up")]
    assert j([bad(windows=[(0.5, 1.0)])], e).status == "accepted"
    assert j([bad(windows=[(2.0, 2.0)])], e).status == "accepted"
    assert j([bad(windows=[(2.01, 3.0)])], e).status == "fail"


def test_bring_up_without_faults_covers_the_whole_history():
    events = [run(0.0, scenario="bring-up"), {"t": 30.0, "kind": "final"}]
    assert j([bad(windows=[(25.0, 30.0)])], [exp(when="bring-up")], events).status == \
        "accepted"
    assert j([bad(windows=[(30.5, 31.0)])], [exp(when="bring-up")], events).status == "fail"


def test_anytime_accepts_anywhere_in_the_history():
    e = [exp(when="anytime")]
    assert j([bad(windows=[(0.0, 0.0)])], e).status == "accepted"
    assert j([bad(windows=[(19.0, 20.0)])], e).status == "accepted"
    assert j([bad(windows=[(20.5, 21.0)])], e).status == "fail"


def test_a_fail_without_a_window_is_never_accepted():
    out = j([bad(windows=[])], [exp(when="anytime")])
    assert out.status == "fail" and "seen no window" in out.reasons[0]


def test_any_of_several_declarations_may_accept():
    e = [exp(when="bring-up"), exp(when="after-heal")]
    assert j([bad(windows=[(15.0, 16.0)])], e).status == "accepted"


def test_every_window_of_a_fail_must_lie_in_an_accepted_window():
    out = j([bad(windows=[(3.0, 4.0), (15.0, 16.0)])], [exp()])
    assert out.status == "fail"


# --- stale expectations -----------------------------------------------------------------------
def test_an_expectation_whose_invariant_held_is_stale():
    out = j([ok()], [exp(where="risks.toml:12")])
    assert out.status == "fail"
    assert out.per_invariant == {"single_owner": "stale"}
    assert out.reasons == ["single_owner: accepted risk no longer happens: remove it "
                           "(risks.toml:12)"]


def test_a_stale_expectation_names_its_reason_without_a_location():
    assert "(split brain)" in j([ok()], [exp(reason="split brain")]).reasons[0]


# --- fault and target matching -------------------------------------------------------------
def test_an_expectation_for_another_fault_does_not_apply():
    e = [exp(fault="pause-node")]
    assert j([bad()], e).status == "fail"
    assert j([ok()], e).status == "pass"  # and is not stale either


def test_an_expectation_for_the_run_fault_applies():
    assert j([bad()], [exp(fault="kill-mysqld")]).status == "accepted"


def test_target_matches_as_written_or_by_node_name():
    assert j([bad()], [exp(fault="kill-mysqld", target="owner")]).status == "accepted"
    assert j([bad()], [exp(fault="kill-mysqld", target="node1")]).status == "accepted"
    assert j([bad()], [exp(fault="kill-mysqld", target="standby")]).status == "fail"
    assert j([bad()], [exp(fault="kill-mysqld", target="node2")]).status == "fail"


def test_the_window_comes_from_the_matching_fault_only():
    events = [run(0.0), fault(2.0), healed(4.0),
              fault(10.0, name="pause-node", nodes=("node2",), step=1, target="standby"),
              healed(14.0, name="pause-node", nodes=("node2",), step=1),
              {"t": 30.0, "kind": "final"}]
    e = [exp(fault="pause-node")]
    assert j([bad(windows=[(3.0, 3.5)])], e, events).status == "fail"
    assert j([bad(windows=[(12.0, 13.0)])], e, events).status == "accepted"
    assert j([bad(windows=[(12.0, 13.0)])], [exp(fault="pause-node", target="owner")],
             events).status == "fail"


def test_applicable_filters_by_fault_and_target():
    faults = [fault(2.0)]
    any_ = Expectation("x")
    named = Expectation("x", fault="kill-mysqld")
    other = Expectation("x", fault="pause-node")
    by_node = Expectation("x", fault="kill-mysqld", target="node1")
    wrong_node = Expectation("x", fault="kill-mysqld", target="node2")
    assert applicable([any_, named, other, by_node, wrong_node], faults) == [
        any_, named, by_node]
    assert applicable([named], []) == []
    assert applicable([any_], []) == [any_]


# --- windows ---------------------------------------------------------------------------------
def test_fault_windows_run_from_start_to_heal_plus_settle():
    (a, b, s), = fault_windows(EVENTS, 3.0)
    assert (a, b) == (2.0, 11.0) and s["fault"] == "kill-mysqld"


def test_a_fault_never_healed_lasts_to_the_end_of_the_history():
    events = [run(0.0), fault(2.0), {"t": 20.0, "kind": "final"}]
    assert [w[:2] for w in fault_windows(events, 1.0)] == [(2.0, 21.0)]


def test_heals_are_matched_by_step_and_time():
    events = [run(0.0), healed(1.0), fault(2.0), healed(5.0, step=1), healed(6.0),
              {"t": 20.0, "kind": "final"}]
    assert [w[:2] for w in fault_windows(events, 0.0)] == [(2.0, 6.0)]


def test_a_fault_without_a_step_is_matched_by_name():
    events = [run(0.0), {"t": 2.0, "kind": "fault", "phase": "start", "fault": "x"},
              {"t": 3.0, "kind": "fault", "phase": "healed", "fault": "y"},
              {"t": 4.0, "kind": "fault", "phase": "healed", "fault": "x"},
              {"t": 10.0, "kind": "final"}]
    assert [w[:2] for w in fault_windows(events, 0.0)] == [(2.0, 4.0)]


def test_expectation_windows_by_when():
    assert expectation_window(exp(), EVENTS, 3.0) == [(2.0, 11.0)]
    assert expectation_window(exp(when="after-heal"), EVENTS, 3.0) == [(11.0, 20.0)]
    assert expectation_window(exp(when="bring-up"), EVENTS, 3.0) == [(0.0, 2.0)]
    assert expectation_window(exp(when="anytime"), EVENTS, 3.0) == [(0.0, 20.0)]
    assert expectation_window(exp(fault="pause-node"), EVENTS, 3.0) == []
    assert expectation_window(exp(when="anytime"), [], 3.0) == [(0.0, 0.0)]


def test_a_skipped_or_failed_fault_opens_no_window():
    events = [run(0.0), fault(2.0, phase="skipped"), {"t": 9.0, "kind": "final"}]
    assert fault_windows(events, 1.0) == []
    assert j([bad()], [exp()], events).status == "fail"


def test_a_recorded_failover_history_is_judged_pass():
    events = failover_history()
    from harness.checkers import check
    assert judge(check(events), [], events, settle_s=3.0).status == "pass"


def test_a_heal_at_the_very_start_time_counts():
    events = [run(0.0), fault(2.0), healed(2.0), {"t": 20.0, "kind": "final"}]
    assert [w[:2] for w in fault_windows(events, 1.0)] == [(2.0, 3.0)]


def test_fault_events_without_nodes_still_match_targets():
    bare = {"t": 2.0, "kind": "fault", "phase": "start", "fault": "f", "target": "owner"}
    e = Expectation("x", fault="f", target="owner")
    assert applicable([e], [bare]) == [e]
    assert expectation_window(e, [bare, {"t": 9.0, "kind": "final"}], 1.0) == [(2.0, 10.0)]


def test_only_started_faults_make_an_expectation_apply():
    """A skipped pause-node does not make a pause-node risk apply (nor go stale)."""
    events = [*EVENTS, fault(1.0, phase="skipped", name="pause-node")]
    assert j([ok()], [exp(fault="pause-node")], events).status == "pass"


def test_the_outside_window_reason_lists_every_window():
    events = [run(0.0), fault(2.0), healed(3.0), fault(5.0, step=1), healed(6.0, step=1),
              {"t": 20.0, "kind": "final"}]
    out = j([bad(windows=[(15.0, 16.0), (17.0, 18.0)])], [exp()], events, settle=0.0)
    assert out.reasons == ["single_owner: FAIL outside the accepted window (during: "
                           "2.0-3.0s, 5.0-6.0s; seen 15.0-16.0s, 17.0-18.0s): two owners"]


def test_the_outside_window_reason_says_none_when_no_window_applies():
    events = [run(0.0), {"t": 20.0, "kind": "final"}]
    out = j([bad()], [exp()], events)
    assert out.status == "fail"
    assert "(during: none; seen 3.0-4.0s)" in out.reasons[0]


def test_a_stale_declaration_without_a_location_names_its_reason():
    out = j([ok("writes")], [exp("writes", reason="lost writes on split brain")])
    assert out.reasons == ["writes: accepted risk no longer happens: remove it (lost writes "
                           "on split brain)"]


# --- intermittent risks and scenario globs ----------------------------------------------------
def test_an_intermittent_risk_that_did_not_happen_is_a_pass_not_stale():
    out = j([ok()], [exp(intermittent=True, reason="a race")])
    assert out.status == "pass" and out.per_invariant == {"single_owner": "pass"}
    assert out.reasons == ["single_owner: held this time (an intermittent accepted risk: "
                           "a race)"]


def test_an_intermittent_risk_that_happened_is_accepted_inside_its_window_only():
    e = [exp(intermittent=True)]
    assert j([bad(windows=[(3.0, 4.0)])], e).status == "accepted"
    assert j([bad(windows=[(15.0, 16.0)])], e).status == "fail"


def test_intermittent_and_firm_risks_together_are_stale_when_nothing_happened():
    out = j([ok()], [exp(intermittent=True), exp()])
    assert out.status == "fail" and out.per_invariant == {"single_owner": "stale"}


def test_a_risk_for_other_scenarios_does_not_apply():
    events = [run(0.0, scenario="fail-restore-fail-owner"), *EVENTS[1:]]
    assert j([bad()], [exp(scenario="fail-restore-*")], events).status == "accepted"
    assert j([bad()], [exp(scenario="kill-mysqld-*")], events).status == "fail"
    assert j([ok()], [exp(scenario="kill-mysqld-*")], events).status == "pass"
    assert j([bad()], [exp(scenario="*")], [e for e in events if e["kind"] != "run"]).status \
        == "accepted"
    assert j([bad()], [exp(scenario="fail-*")], [e for e in events if e["kind"] != "run"]) \
        .status == "fail"
    assert applicable([exp(scenario="FAIL-*")], [], "fail-restore") == []  # case matters


def test_scenario_patterns_against_a_run_without_a_name_and_later_expectations():
    assert applicable([exp(scenario="?*")], [], None) == []
    assert applicable([exp(scenario="")], [], None) == [exp(scenario="")]
    later = exp()
    assert applicable([exp(scenario="other-*"), later], [], "mine") == [later]


def test_an_unknown_summary_is_not_prefixed_twice():
    out = j([Verdict("writes", None, "unknown: no final state"), unk("single_owner")])
    assert out.reasons == ["writes: unknown: no final state",
                           "single_owner: unknown: not observed"]


# --- window edges: every judged window is an observed one ------------------------------------
def _ended_at(t, *extra):
    return [run(0.0), fault(2.0), healed(8.0), *extra, {"t": t, "kind": "final", "nodes": {}}]


def test_evidence_between_the_heal_and_heal_plus_settle_is_during_not_after_heal():
    assert j([bad(windows=[(9.0, 10.5)])], [exp()]).status == "accepted"
    out = j([bad(windows=[(9.0, 10.5)])], [exp(when="after-heal")])
    assert out.status == "fail" and "FAIL outside the accepted window (after-heal: " \
        "11.0-20.0s; seen 9.0-10.5s)" in out.reasons[0]


def test_a_run_that_ends_before_its_after_heal_window_opens_is_unknown_naming_it():
    """The split-brain-duplicate-key failure of a fresh clone: the applier broke 0.3 s after the
    heal, the run stopped at the first applier error, before heal + settle: the window the
    incident is judged on was never observed. Not a FAIL "outside" an inverted window."""
    events = _ended_at(10.0)
    out = j([bad("replication", windows=[(8.3, 10.0)])], [exp("replication",
                                                               when="after-heal")], events)
    assert out.status == "unknown" and out.per_invariant == {"replication": "unknown"}
    assert out.reasons[0].startswith("replication: unknown: the accepted window after-heal "
                                     "(from 11.0s) was never observed: the run ended at 10.0s")
    assert "seen 8.3-10.0s" in out.reasons[0]


def test_an_unobserved_window_never_accepts_and_never_passes_the_gate():
    out = j([bad(windows=[(8.3, 10.0)])], [exp(when="after-heal")], _ended_at(10.0))
    assert not out.ok


def test_observed_windows_are_never_inverted():
    events = _ended_at(10.0)
    seen, unseen = observed_windows(exp(when="after-heal"), events, 3.0)
    assert seen == [] and unseen == [(11.0, 10.0)]
    seen, unseen = observed_windows(exp(), events, 3.0)
    assert seen == [(2.0, 10.0)] and unseen == []  # cut at the end of the observation
    seen, _ = observed_windows(exp(when="after-heal"), _ended_at(11.0), 3.0)
    assert seen == [(11.0, 11.0)]
    assert all(a <= b for a, b in observed_windows(exp(when="anytime"), [], 3.0)[0])


def test_windows_touching_at_one_instant_overlap():
    assert j([bad(windows=[(11.0, 11.0)])], [exp()]).status == "accepted"  # during ends 11.0
    assert j([bad(windows=[(0.5, 2.0)])], [exp()]).status == "accepted"  # during starts 2.0
    assert j([bad(windows=[(9.0, 11.0)])], [exp(when="after-heal")]).status == "accepted"
    # an after-heal window opening at the very end of the observation is observed (one instant)
    assert j([bad(windows=[(10.0, 11.0)])], [exp(when="after-heal")],
             _ended_at(11.0)).status == "accepted"


def test_a_fail_outside_an_observed_window_stays_fail_even_when_another_was_unobserved():
    events = [run(0.0), fault(2.0), healed(4.0), fault(20.0, step=1),
              {"t": 22.0, "kind": "final", "nodes": {}}]
    # the first fault's during window [2, 7] was observed; the violation lies elsewhere
    assert j([bad(windows=[(12.0, 13.0)])], [exp()], events).status == "fail"


# --- signatures: a risk accepts what it names, not any violation of its invariant ----------------
def test_a_risk_with_a_signature_accepts_a_violation_made_of_those_findings():
    e = [exp("bringup", when="bring-up", signature=["keepalived stopped on node1",
                                                    "VIP held by node2"])]
    v = bad("bringup", windows=[(0.5, 1.0)],
            signature=["VIP held by node2", "keepalived stopped on node1"])
    assert j([v], e).status == "accepted"


def test_a_different_violation_of_the_same_invariant_is_not_accepted():
    """A pasted pair whose checks keepalived disabled, the VIP held by nobody, is not the
    tutorial's master stopping its own keepalived."""
    e = [exp("bringup", when="bring-up", signature=["keepalived stopped on node1",
                                                    "VIP held by node2"],
             where="risks.toml:5")]
    v = bad("bringup", windows=[(0.5, 1.0)],
            signature=["VIP held by nobody", "check chk_mysql silent on node1"])
    out = j([v], e)
    assert out.status == "fail" and out.per_invariant == {"bringup": "FAIL"}
    assert out.reasons[0].startswith("bringup: FAIL, not the accepted risk (it accepts: "
                                     "keepalived stopped on node1; VIP held by node2; seen: "
                                     "VIP held by nobody; check chk_mysql silent on node1; "
                                     "risks.toml:5)")


def test_one_extra_finding_is_enough_to_refuse():
    e = [exp("bringup", when="bring-up", signature=["keepalived stopped on node1"])]
    v = bad("bringup", windows=[(0.5, 1.0)],
            signature=["keepalived stopped on node1", "channel stopped on node2"])
    assert j([v], e).status == "fail"


def test_signatures_are_case_insensitive_globs():
    e = [exp("replication", signature=["applier error * on node*"])]
    assert j([bad("replication", signature=["Applier error 1062 on node2"])], e).status == \
        "accepted"
    assert j([bad("replication", signature=["missing transactions on node1"])], e).status == \
        "fail"


def test_a_signed_risk_never_accepts_a_violation_that_names_no_finding():
    e = [exp(signature=["dual ownership"])]
    assert j([bad(signature=())], e).status == "fail"


def test_a_risk_without_a_signature_accepts_any_finding_of_its_invariant():
    assert j([bad(signature=["anything at all"])], [exp()]).status == "accepted"
    assert j([bad(signature=())], [exp()]).status == "accepted"


def test_a_fail_restore_fail_whose_first_failover_never_happened_is_not_the_declared_race():
    """The seed's race loses the *second* failover: the VIP never moves off node2."""
    events = [run(0.0, scenario="fail-restore-fail-kill-mysqld"), fault(2.0), healed(8.0),
              fault(20.0, step=2, owner_at_start="node2", nodes=("node2",)),
              healed(30.0, step=2, nodes=("node2",)), {"t": 40.0, "kind": "final", "nodes": {}}]
    e = [exp("migration", scenario="fail-restore-fail-*", intermittent=True,
             signature=["VIP never moved off node2"])]
    second = bad("migration", windows=[(20.0, 30.0)], signature=["VIP never moved off node2"])
    first = bad("migration", windows=[(2.0, 8.0)], signature=["VIP never moved off node1"])
    assert j([second], e, events).status == "accepted"
    assert j([first], e, events).status == "fail"


def test_signatures_of_several_risks_do_not_add_up():
    e = [exp(signature=["dual ownership"]), exp(signature=["writes on a second master node2"])]
    v = bad(signature=["dual ownership", "writes on a second master node2"])
    assert j([v], e).status == "fail"


def test_consequences_may_come_with_the_signature_but_never_stand_in_for_it():
    """An applier stopped on a duplicate key leaves GTIDs and checksums apart: accepted with
    it; the same divergence without the applier error (a silent divergence) is not."""
    e = [exp("replication", signature=["applier error 1062 on *"],
             consequences=["channel stopped on *", "missing transactions on *",
                           "checksums differ"])]
    full = ["applier error 1062 on node2", "channel stopped on node2",
            "missing transactions on node1", "checksums differ"]
    assert j([bad("replication", signature=full)], e).status == "accepted"
    assert j([bad("replication", signature=["applier error 1062 on node2"])], e).status == \
        "accepted"
    silent = ["missing transactions on node1", "checksums differ"]
    out = j([bad("replication", signature=silent)], e)
    assert out.status == "fail" and "not the accepted risk" in out.reasons[0]


def test_every_pattern_of_a_signature_must_be_seen():
    e = [exp("bringup", when="bring-up", signature=["keepalived stopped on node1",
                                                    "VIP held by node2"])]
    v = bad("bringup", windows=[(0.5, 1.0)], signature=["keepalived stopped on node1"])
    assert j([v], e).status == "fail"
