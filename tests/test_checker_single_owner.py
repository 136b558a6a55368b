"""Single owner: at no instant do two nodes hold the VIP; a stretch nobody watched is unknown."""

from histories import (
    beat,
    beats,
    failover_history,
    final,
    healed,
    run,
    vip,
    watched,
    without,
)

from harness.checkers import check_single_owner


def watched_history(*changes, end=12.0, bounds=None, observed=None):
    """node1 owns from 0; ``changes`` are extra vip events; beats every 0.5 s for both
    nodes unless ``observed`` gives the beats."""
    ev = [run(0.0, bounds=bounds), vip(0.0, "node1", True), vip(0.0, "node2", False),
          *(watched(0.0, end) if observed is None else observed), *changes,
          final(end)]
    return sorted(ev, key=lambda e: e["t"])


# --- pass -----------------------------------------------------------------------------------
def test_clean_failover_passes_with_no_owner_time():
    v = check_single_owner(failover_history())
    assert v.valid is True, v.summary
    assert v.metrics == {"dual_owner_s": 0, "dual_windows": 0, "no_owner_s": 0.5,
                         "unobserved_s": 0, "poll_disagreements": 0}
    assert v.evidence["no_owner_windows"] == [
        {"start": 3.5, "end": 4.0, "duration": 0.5, "nodes": []}]
    assert v.evidence["observed"] == [0.0, 12.0]
    assert v.windows == []
    assert v.summary == "one owner at a time over 12.0 s observed (no owner for 0.5 s)"


def test_event_order_does_not_matter():
    assert check_single_owner(list(reversed(failover_history()))).valid is True


# --- FAIL -----------------------------------------------------------------------------------
def test_overlap_fails_with_its_window():
    ev = watched_history(vip(3.4, "node2", True), vip(9.0, "node2", False))
    v = check_single_owner(ev)
    assert v.valid is False
    assert v.evidence["dual_windows"] == [
        {"start": 3.4, "end": 9.0, "duration": 5.6, "nodes": ["node1", "node2"]}]
    assert v.metrics["dual_owner_s"] == 5.6 and v.metrics["dual_windows"] == 1
    assert v.windows == [[3.4, 9.0]]
    assert v.summary == ("two nodes held the VIP for 5.60 s in 1 window(s), first at "
                         "t=3.40s (node1+node2)")


def test_overlap_open_at_the_end_closes_at_the_final_state():
    v = check_single_owner(watched_history(vip(5.0, "node2", True), end=7.5))
    assert v.valid is False
    assert v.windows == [[5.0, 7.5]]
    assert v.metrics["dual_owner_s"] == 2.5


def test_two_overlaps_are_two_windows():
    ev = watched_history(vip(2.0, "node2", True), vip(3.0, "node2", False),
                         vip(6.0, "node2", True), vip(6.5, "node1", False))
    v = check_single_owner(ev)
    assert v.valid is False
    assert v.windows == [[2.0, 3.0], [6.0, 6.5]]
    assert v.metrics["dual_owner_s"] == 1.5 and v.metrics["dual_windows"] == 2
    assert "in 2 window(s), first at t=2.00s" in v.summary


def test_dual_window_after_the_heal_fails():
    """The fault is long healed when both nodes hold the VIP: a violation, seen where it was."""
    ev = [e for e in failover_history() if e["kind"] != "final"]
    ev += [vip(10.0, "node1", True), vip(11.0, "node1", False), final(12.0)]
    v = check_single_owner(ev)
    assert v.valid is False
    assert v.windows == [[10.0, 11.0]]


def test_overlap_beats_an_unobserved_stretch():
    """False beats unknown: both held the VIP even if part of the run was not watched."""
    ev = watched_history(vip(3.0, "node2", True), vip(4.0, "node2", False),
                         observed=watched(0.0, 5.0))
    v = check_single_owner(ev)
    assert v.valid is False
    assert v.evidence["unobserved"]  # the gap is still reported as evidence


def test_dual_owner_from_the_first_samples():
    ev = [run(0.0), vip(0.0, "node1", True), vip(0.0, "node2", True), *watched(0.0, 4.0),
          vip(1.0, "node1", False), final(4.0)]
    v = check_single_owner(ev)
    assert v.valid is False and v.windows == [[0.0, 1.0]]


# --- unknown --------------------------------------------------------------------------------
def test_missing_probes_for_a_node_is_unknown_naming_it():
    ev = without(failover_history(), lambda e: e["kind"] == "vip" and e["node"] == "node2")
    v = check_single_owner(ev)
    assert v.valid is None
    assert "node2" in v.summary and v.summary.startswith("unknown:")


def test_empty_history_is_unknown():
    v = check_single_owner([])
    assert v.valid is None and "any node" in v.summary


def test_prober_that_recorded_only_its_first_samples_is_unknown_naming_the_gap():
    """Beats stop after 0.5 s (the prober thread died): the rest of the run is unwatched."""
    v = check_single_owner(watched_history(observed=watched(0.0, 0.5)))
    assert v.valid is None
    assert v.summary == "unknown: the VIP was not observed at 0.50-12.00s"
    assert v.evidence["unobserved"] == [[0.5, 12.0]]  # both nodes' gap, named once
    assert v.metrics["unobserved_s"] == 11.5


def test_no_beats_at_all_is_unknown():
    v = check_single_owner(watched_history(observed=[]))
    assert v.valid is None and "0.00-12.00s" in v.summary


def test_one_node_unwatched_in_the_middle_is_unknown():
    observed = [*beats(0.0, 12.0, "node1"), *beats(0.0, 4.0, "node2"),
                *beats(7.0, 12.0, "node2")]
    v = check_single_owner(watched_history(observed=observed))
    assert v.valid is None
    assert v.evidence["unobserved"] == [[4.0, 7.0]]
    assert "4.00-7.00s" in v.summary


def test_a_long_null_stretch_is_unknown():
    """held=null: the node's table could not be read; watching it for 3 s said nothing."""
    v = check_single_owner(watched_history(vip(3.0, "node2", None), vip(6.0, "node2", False)))
    assert v.valid is None
    assert v.evidence["unobserved"] == [[3.0, 6.0]]
    assert "3.00-6.00s" in v.summary


def test_a_null_stretch_open_at_the_end_is_unknown():
    v = check_single_owner(watched_history(vip(9.0, "node2", None)))
    assert v.valid is None and [9.0, 12.0] in v.evidence["unobserved"]


def test_a_null_stretch_within_the_observer_gap_is_tolerated():
    v = check_single_owner(watched_history(vip(3.0, "node2", None), vip(4.0, "node2", False)))
    assert v.valid is True
    assert v.metrics["unobserved_s"] == 0


def test_a_null_stretch_longer_than_the_gap_by_a_hair_is_unknown():
    v = check_single_owner(watched_history(vip(3.0, "node2", None), vip(4.01, "node2", False)))
    assert v.valid is None


def test_the_observer_gap_comes_from_the_run_bounds():
    bounds = {"observer_gap_s": 4.0}
    ev = watched_history(vip(3.0, "node2", None), vip(6.0, "node2", False), bounds=bounds)
    assert check_single_owner(ev).valid is True
    observed = [*beats(0.0, 12.0, "node1"), *beats(0.0, 4.0, "node2"),
                *beats(7.0, 12.0, "node2")]
    assert check_single_owner(watched_history(observed=observed, bounds=bounds)).valid is True


def test_default_observer_gap_is_one_second_without_a_bound():
    observed = [*beats(0.0, 12.0, "node1"), *beats(0.0, 4.0, "node2"),
                *beats(5.5, 12.0, "node2")]
    assert check_single_owner(watched_history(observed=observed, bounds={})).valid is None
    observed = [*beats(0.0, 12.0, "node1"), *beats(0.0, 4.0, "node2"),
                *beats(5.0, 12.0, "node2")]
    assert check_single_owner(watched_history(observed=observed, bounds={})).valid is True


def test_blind_windows_name_the_unseen_node():
    ev = watched_history(vip(3.0, "node2", None), vip(6.0, "node2", False))
    v = check_single_owner(ev)
    assert v.valid is None
    assert v.evidence["unobserved"] == [[3.0, 6.0]]


def test_observation_starts_when_every_node_was_first_seen():
    """Before node2's first sample nothing is judged: node1 alone is not 'one owner'."""
    ev = [run(0.0), vip(0.0, "node1", True), *beats(0.0, 8.0, "node1"),
          vip(2.0, "node2", False), *beats(2.0, 8.0, "node2"), final(8.0)]
    v = check_single_owner(ev)
    assert v.valid is True
    assert v.evidence["observed"] == [2.0, 8.0]
    assert "over 6.0 s observed" in v.summary


def test_nodes_come_from_vip_events_without_a_run_header():
    ev = [e for e in failover_history() if e["kind"] != "run"]
    assert check_single_owner(ev).valid is True


def test_observation_ends_at_the_last_event_without_a_final_state():
    ev = [e for e in watched_history(vip(5.0, "node2", True)) if e["kind"] != "final"]
    v = check_single_owner(ev)
    assert v.valid is False and v.windows == [[5.0, 12.0]]


def test_many_gaps_are_summarised():
    observed = [b for k in range(7) for n in ("node1", "node2")
                for b in beats(k * 2.0, k * 2.0 + 0.5, n)]
    v = check_single_owner(watched_history(observed=observed, end=14.0))
    assert v.valid is None
    assert "(+" in v.summary and "more)" in v.summary


def test_heal_events_do_not_change_the_verdict():
    ev = watched_history(healed(5.0))
    assert check_single_owner(ev).valid is True


# --- what a history says about itself (harness.checkers.query) ---------------------------
def test_gaps_count_only_this_observer_s_beats_for_this_node():
    from harness.checkers.query import gaps
    ev = [*beats(0.0, 10.0, "node2"), *beats(0.0, 10.0, "node1", observer="proc")]
    assert gaps(ev, "vip", "node1", 0.0, 10.0, 1.0) == [[0.0, 10.0]]
    assert gaps(ev, "vip", "node2", 0.0, 10.0, 1.0) == []


def test_gaps_use_the_beats_around_the_window():
    from harness.checkers.query import gaps
    ev = [beat(1.0, "n"), beat(5.0, "n")]
    assert gaps(ev, "vip", "n", 2.0, 4.0, 1.0) == [[2.0, 4.0]]  # clipped to the window
    ev = [beat(2.0, "n"), beat(3.5, "n"), beat(4.0, "n")]
    assert gaps(ev, "vip", "n", 2.0, 4.0, 1.0) == [[2.0, 3.5]]
    ev = [beat(1.5, "n"), beat(2.5, "n"), beat(4.5, "n")]
    assert gaps(ev, "vip", "n", 2.0, 4.0, 1.0) == [[2.5, 4.0]]
    ev = [beat(1.5, "n"), beat(2.4, "n"), beat(3.3, "n"), beat(4.2, "n")]
    assert gaps(ev, "vip", "n", 2.0, 4.0, 1.0) == []
    assert gaps([beat(2.0, "n"), beat(4.0, "n")], "vip", "n", 2.0, 4.0, 1.99) == [[2.0, 4.0]]
    assert gaps([beat(2.0, "n"), beat(4.0, "n")], "vip", "n", 2.0, 4.0, 2.0) == []


def test_gaps_are_rounded_to_the_millisecond():
    from harness.checkers.query import gaps
    assert gaps([], "vip", "n", 1.00012, 3.00049, 1.0) == [[1.0, 3.0]]


def test_describe_lists_four_windows_and_counts_the_rest():
    from harness.checkers.query import describe
    w = [[float(i), i + 0.5] for i in range(6)]
    assert describe(w[:4]) == "0.00-0.50s, 1.00-1.50s, 2.00-2.50s, 3.00-3.50s"
    assert describe(w[:5]) == "0.00-0.50s, 1.00-1.50s, 2.00-2.50s, 3.00-3.50s (+1 more)"
    assert describe(w) == "0.00-0.50s, 1.00-1.50s, 2.00-2.50s, 3.00-3.50s (+2 more)"


def test_priorities_default_to_zero_and_observation_ends_at_the_final_state():
    from harness.checkers.query import observation_end, priorities
    ev = [{"t": 0.0, "kind": "run", "nodes": [{"name": "a"}, {"name": "b", "priority": 5}]}]
    assert priorities(ev) == {"a": 0, "b": 5}
    assert priorities([]) == {}
    assert observation_end([]) == 0.0
    assert observation_end([final(5.0), beat(7.0, "n")]) == 5.0
    assert observation_end([beat(7.0, "n")]) == 7.0


def test_three_nodes_are_watched_from_when_the_last_was_first_seen():
    ev = [run(0.0, nodes=("a", "b", "c"), priorities=(3, 2, 1)), vip(0.0, "a", True),
          vip(1.0, "b", False), vip(2.0, "c", False),
          *watched(0.0, 8.0, nodes=("a", "b", "c")), final(8.0)]
    v = check_single_owner(ev)
    assert v.valid is True and v.evidence["observed"] == [2.0, 8.0]


def test_an_overlap_after_late_first_samples_still_fails():
    ev = [run(0.0), vip(0.0, "node1", True), *beats(0.0, 8.0, "node1"),
          vip(2.0, "node2", False), *beats(2.0, 8.0, "node2"), vip(5.0, "node2", True),
          final(8.0)]
    v = check_single_owner(ev)
    assert v.valid is False and v.windows == [[5.0, 8.0]]


def test_a_repeated_sample_does_not_restart_a_window():
    dual = watched_history(vip(3.0, "node2", True), vip(4.0, "node2", True),
                           vip(5.0, "node2", False))
    assert check_single_owner(dual).windows == [[3.0, 5.0]]
    nobody = watched_history(vip(3.0, "node1", False), vip(4.0, "node1", False),
                             vip(5.0, "node2", True))
    assert check_single_owner(nobody).evidence["no_owner_windows"][0]["start"] == 3.0
    blind = watched_history(vip(3.0, "node2", None, why="a"), vip(4.0, "node2", None, why="b"),
                            vip(4.8, "node2", False))
    v = check_single_owner(blind)
    assert v.valid is None and v.evidence["unobserved"] == [[3.0, 4.8]]


def test_metrics_are_rounded_to_the_millisecond():
    ev = watched_history(vip(3.00012, "node2", True), vip(4.50049, "node2", False),
                         vip(6.0, "node1", False), vip(7.50049, "node2", True),
                         vip(8.0, "node2", None), vip(9.5, "node2", False))
    v = check_single_owner(ev)
    assert v.evidence["dual_windows"][0]["duration"] == 1.5
    assert v.evidence["no_owner_windows"][0]["duration"] == 1.5
    assert v.metrics["dual_owner_s"] == 1.5 and v.metrics["no_owner_s"] == 4.0
    assert v.metrics["unobserved_s"] == 1.5


def test_every_single_owner_verdict_names_its_invariant():
    for ev in ([], watched_history(), watched_history(vip(3.0, "node2", True)),
               watched_history(observed=[])):
        assert check_single_owner(ev).invariant == "single_owner"
    assert check_single_owner([]).summary == "unknown: no VIP observation recorded for any node"


def test_a_silence_that_began_before_the_window_counts_inside_it():
    from harness.checkers.query import gaps
    assert gaps([beat(1.5, "n"), beat(2.6, "n"), beat(3.5, "n")], "vip", "n", 2.0, 4.0,
                1.0) == [[2.0, 2.6]]
    assert gaps([beat(1.0, "n"), beat(2.0, "n"), beat(2.9, "n"), beat(3.8, "n")], "vip", "n",
                2.0, 4.0, 1.0) == []  # the beat at the start is the last before it


def test_a_silence_that_goes_on_after_the_window_counts_inside_it():
    from harness.checkers.query import gaps
    assert gaps([beat(2.0, "n"), beat(2.9, "n"), beat(3.5, "n"), beat(4.6, "n")], "vip", "n",
                2.0, 4.0, 1.0) == [[3.5, 4.0]]
    assert gaps([beat(2.0, "n"), beat(2.9, "n"), beat(3.1, "n"), beat(4.0, "n"),
                 beat(5.0, "n")], "vip", "n", 2.0, 4.0, 1.0) == []  # the beat at the end


def test_unobserved_time_is_rounded_to_the_millisecond():
    v = check_single_owner(watched_history(vip(3.00012, "node2", None),
                                           vip(4.50049, "node2", False)))
    assert v.metrics["unobserved_s"] == 1.5
