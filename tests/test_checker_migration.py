"""Migration: after a fault that takes away the owner's service a healthy node holds the VIP
and a write through it succeeds within the bound; otherwise service goes on."""

from histories import (
    acked,
    failover_history,
    fault,
    final,
    healed,
    node_state,
    op,
    repl,
    replace_final,
    run,
    vip,
    watched,
    without,
    write,
)

from harness.checkers import check_migration


def drop(events, *pred):
    return without(events, lambda e: any(p(e) for p in pred))


def is_move(e):
    return e["kind"] == "vip" and e["node"] == "node2" and e["t"] > 0


def writes_on_node2(e):
    return e["kind"] == "op" and e["t"] >= 4.5


# --- pass -----------------------------------------------------------------------------------
def test_failover_within_the_bound_passes():
    v = check_migration(failover_history())
    assert v.valid is True, v.summary
    assert v.metrics["failover_s"] == 2.51 and v.metrics["vip_moved_s"] == 2.0
    assert v.metrics["bound_s"] == 10.0 and v.metrics["faults"] == 1
    ev = v.evidence["per_fault"][0]
    assert ev["new_owner"] == "node2" and ev["must_move"] is True
    assert ev["owner_at_start"] == "node1" and ev["faulted"] == ["node1"]
    assert ev["healed"] == 8.0 and ev["fault_start"] == 2.0
    assert ev["first_write_after"] == "w9"
    assert v.summary == "kill-mysqld: failover to node2 in 2.51 s (within the 10.0 s bound)"
    assert v.windows == []


def test_failover_exactly_at_the_bound_passes():
    bounds = {"migration_s": 2.51, "observer_gap_s": 1.0}
    assert check_migration(failover_history(bounds=bounds)).valid is True


# --- FAIL -----------------------------------------------------------------------------------
def test_failover_over_the_bound_fails_with_its_window():
    bounds = {"migration_s": 2.5, "observer_gap_s": 1.0}
    v = check_migration(failover_history(bounds=bounds))
    assert v.valid is False
    assert v.windows == [[2.0, 4.51]]
    assert "over the 2.5 s bound" in v.summary


def test_vip_never_moves_fails():
    v = check_migration(drop(failover_history(), is_move, writes_on_node2))
    assert v.valid is False
    assert v.summary == "kill-mysqld: the VIP never moved off ['node1'] (bound 10.0 s)"
    assert v.windows == [[2.0, 8.0]]
    assert v.metrics["failover_s"] is None and v.metrics["vip_moved_s"] is None


def test_vip_moved_only_after_the_heal_fails():
    ev = [*drop(failover_history(), is_move, writes_on_node2), vip(9.0, "node2", True)]
    v = check_migration(ev)
    assert v.valid is False
    assert "moved only after the heal (t=9.00s)" in v.summary
    assert v.windows == [[2.0, 8.0]]


def test_vip_moving_to_the_faulted_node_does_not_count():
    ev = [*drop(failover_history(), is_move, writes_on_node2), vip(5.0, "node1", True)]
    assert check_migration(ev).valid is False


def test_vip_moves_but_no_write_succeeds_fails():
    ev = drop(failover_history(), writes_on_node2)
    ev += [*write(5.0, "x1", "fail"), *write(6.0, "x2", "unknown")]
    v = check_migration(ev)
    assert v.valid is False
    assert v.windows == [[4.0, 12.0]]
    assert "moved to node2 after 2.0 s but no write succeeded through it" in v.summary


def test_a_write_acknowledged_by_the_faulted_node_does_not_count():
    ev = drop(failover_history(), writes_on_node2)
    ev += write(5.0, "x1", "ok", node="node1")
    v = check_migration(ev)
    assert v.valid is False


def test_service_continuity_fails_on_a_long_outage():
    """The fault leaves the owner able to serve, yet writes stopped for 5 s."""
    ev = [run(0.0), vip(0.0, "node1", True), vip(0.0, "node2", False), *watched(0.0, 12.0),
          fault(2.0, name="block-vrrp", removes_service=False), *write(1.0, "a"),
          *write(3.0, "b"), *write(5.0, "c", "fail"), *write(8.05, "d"), healed(9.0, "block-vrrp"),
          final(12.0, ids=["a", "b", "d"])]
    bounds_ok = check_migration(ev)
    assert bounds_ok.valid is True  # 5.05 s without an acknowledged write, bound 10
    ev[0] = run(0.0, bounds={"migration_s": 5.0, "observer_gap_s": 1.0})
    v = check_migration(ev)
    assert v.valid is False
    assert v.metrics["write_gap_s"] == 5.05  # ok at 3.01, next at 8.06
    assert v.windows == [[2.0, 9.0]]
    assert "longest stretch without an acknowledged write 5.05 s (over the 5.0 s bound)" \
        in v.summary


# --- service continuity (the VIP need not move) --------------------------------------------
def continuity_history(*, removes_service=False, target="owner", nodes=("node1",),
                       owner="node1"):
    ev = [run(0.0), vip(0.0, "node1", True), vip(0.0, "node2", False), *watched(0.0, 12.0),
          fault(2.0, name="block-replication", nodes=nodes, target=target,
                owner_at_start=owner, removes_service=removes_service),
          healed(8.0, "block-replication", nodes=nodes)]
    ids = []
    for k in range(1, 22):
        ev += write(k * 0.5, f"c{k}")
        ids.append(f"c{k}")
    return [*ev, final(12.0, ids=ids)]


def test_service_goes_on_when_the_vip_need_not_move():
    v = check_migration(continuity_history())
    assert v.valid is True
    assert v.metrics["write_gap_s"] == 0.5  # fault at 2.0: oks at 1.51, 2.01, 2.51, ...
    assert v.metrics["failover_s"] == 0.01
    assert v.evidence["per_fault"][0]["must_move"] is False
    assert "service went on" in v.summary and "within" in v.summary


def test_a_fault_on_the_standby_only_needs_service_to_go_on():
    v = check_migration(continuity_history(removes_service=True, target="standby",
                                           nodes=("node2",)))
    assert v.valid is True
    assert v.evidence["per_fault"][0]["must_move"] is False


def test_no_write_attempted_during_a_continuity_fault_is_unknown():
    ev = without(continuity_history(), lambda e: e["kind"] == "op" and 2.0 <= e["t"] <= 8.0)
    v = check_migration(ev)
    assert v.valid is None
    assert v.summary == "unknown: no write was attempted during the fault"


def test_writes_gap_is_measured_to_the_heal_not_the_end():
    ev = without(continuity_history(), lambda e: e["kind"] == "op" and e["t"] > 3.0)
    ev += write(8.0, "late", "fail")
    v = check_migration(ev)
    assert v.metrics["write_gap_s"] == 5.49  # last ok at 2.51 -> heal at 8.0
    assert v.valid is True


# --- unknown --------------------------------------------------------------------------------
def test_no_fault_is_unknown():
    ev = without(failover_history(), lambda e: e["kind"] == "fault")
    v = check_migration(ev)
    assert v.valid is None and v.summary == "unknown: no fault started in the history"


def test_a_missing_bound_is_unknown():
    ev = without(failover_history(), lambda e: e["kind"] == "run")
    v = check_migration(ev)
    assert v.valid is None and "migration bound" in v.summary
    assert check_migration([run(0.0, bounds={}), fault(1.0)]).valid is None


def test_never_moved_while_nobody_watched_is_unknown_naming_the_gap():
    ev = drop(failover_history(), is_move, writes_on_node2,
              lambda e: e["kind"] == "beat" and e["node"] == "node2" and e["t"] > 3.0)
    v = check_migration(ev)
    assert v.valid is None
    assert v.summary == "unknown: the VIP was not observed at 3.00-12.00s"


def test_no_write_attempted_after_the_vip_moved_is_unknown():
    ev = drop(failover_history(), lambda e: e["kind"] == "op" and e["t"] >= 4.0)
    v = check_migration(ev)
    assert v.valid is None
    assert v.summary == "unknown: no write was attempted after the VIP moved"
    assert v.metrics["vip_moved_s"] == 2.0


# --- several faults -------------------------------------------------------------------------
def two_faults(second_moves: bool):
    """kill-mysqld on node1 at 2 s (VIP to node2), then kill-mysqld on node2 at 14 s."""
    ev = failover_history(end=30.0)
    ev = [e for e in ev if (e["kind"] != "final" and e["t"] < 13.0) or e["kind"] == "beat"
          or e["kind"] == "run"]
    ev += [fault(14.0, nodes=("node2",), step=1, owner_at_start="node2"),
           healed(20.0, nodes=("node2",), step=1)]
    if second_moves:
        ev += [vip(15.0, "node2", False), vip(15.5, "node1", True), *write(16.0, "z", "ok")]
    else:
        ev += write(16.0, "z", "fail")
    return [*ev, final(30.0)]


def test_every_fault_is_judged_and_the_worst_wins():
    ok = check_migration(two_faults(True))
    assert ok.valid is True and ok.metrics["faults"] == 2
    assert len(ok.evidence["per_fault"]) == 2
    assert ok.summary.count("failover to") == 2 and "; " in ok.summary
    bad = check_migration(two_faults(False))
    assert bad.valid is False
    assert bad.windows == [[14.0, 20.0]]
    assert bad.metrics["faults"] == 2
    assert "never moved off ['node2']" in bad.summary


def test_the_heal_is_matched_by_step():
    """A later heal of another step does not end this fault."""
    ev = failover_history()
    ev = [e for e in ev if not (e["kind"] == "fault" and e["phase"] == "healed")]
    ev += [healed(3.0, step=7), healed(8.0, step=0)]
    v = check_migration(ev)
    assert v.evidence["per_fault"][0]["healed"] == 8.0


def test_a_fault_never_healed_lasts_to_the_end():
    ev = without(failover_history(), lambda e: e["kind"] == "fault" and e["phase"] == "healed")
    v = check_migration(ev)
    assert v.valid is True
    assert v.evidence["per_fault"][0]["healed"] == 12.0


def test_a_heal_before_the_start_does_not_count():
    ev = failover_history()
    ev = [e for e in ev if not (e["kind"] == "fault" and e["phase"] == "healed")]
    ev += [healed(1.0)]
    assert check_migration(ev).evidence["per_fault"][0]["healed"] == 12.0


def test_vip_gap_before_the_fault_does_not_matter():
    """Only the window from the fault to its bound must be watched."""
    ev = drop(failover_history(), is_move, writes_on_node2,
              lambda e: e["kind"] == "beat" and e["t"] < 1.5)
    assert check_migration(ev).valid is False  # not unknown: the fault window was watched


# --- boundaries, names, evidence ----------------------------------------------------------
def test_every_migration_verdict_names_its_invariant_and_keeps_its_evidence():
    cases = [failover_history(), drop(failover_history(), is_move, writes_on_node2),
             drop(failover_history(), writes_on_node2),
             drop(failover_history(), lambda e: e["kind"] == "op" and e["t"] >= 4.0),
             drop(failover_history(), is_move, writes_on_node2,
                  lambda e: e["kind"] == "beat" and e["node"] == "node2" and e["t"] > 3.0),
             continuity_history(),
             without(continuity_history(), lambda e: e["kind"] == "op" and 2.0 <= e["t"] <= 8.0),
             without(failover_history(), lambda e: e["kind"] == "fault"),
             without(failover_history(), lambda e: e["kind"] == "run")]
    for ev in cases:
        v = check_migration(ev)
        assert v.invariant == "migration", v.summary
        if "per_fault" in v.evidence:
            one = v.evidence["per_fault"][0]
            assert one["fault"] in ("kill-mysqld", "block-replication")
            assert one["bound_s"] == 10.0 and v.metrics["bound_s"] == 10.0
            assert "failover_s" in v.metrics and "write_gap_s" in v.metrics
    assert check_migration(cases[-1]).summary == \
        "unknown: the history does not say the migration bound (no run event)"


def test_a_move_at_the_instant_of_the_fault_counts():
    ev = [*drop(failover_history(), is_move), vip(2.0, "node2", True)]
    v = check_migration(ev)
    assert v.valid is True and v.metrics["vip_moved_s"] == 0.0


def test_a_move_at_the_instant_of_the_heal_is_in_time():
    ev = [*drop(failover_history(), is_move, writes_on_node2), vip(8.0, "node2", True),
          *write(8.5, "late", "ok", "node2")]
    v = check_migration(ev)
    assert v.valid is True and v.metrics["vip_moved_s"] == 6.0


def test_a_write_served_at_the_instant_of_the_move_counts():
    ev = [*drop(failover_history(), writes_on_node2),
          op(4.0, "ok", "w-now", "node2"), op(3.99, "invoke", "w-now")]
    v = check_migration(ev)
    assert v.valid is True and v.metrics["failover_s"] == 2.0


def test_a_write_invoked_at_the_instant_of_the_move_was_attempted():
    ev = [*drop(failover_history(), lambda e: e["kind"] == "op" and e["t"] >= 4.0),
          op(4.0, "invoke", "x"), op(4.2, "fail", "x")]
    assert check_migration(ev).valid is False


def test_an_outcome_after_the_move_of_a_write_invoked_before_is_no_attempt():
    ev = [*drop(failover_history(), lambda e: e["kind"] == "op" and e["t"] >= 3.5),
          op(3.9, "invoke", "x"), op(4.05, "fail", "x")]
    v = check_migration(ev)
    assert v.valid is None and "no write was attempted after the VIP moved" in v.summary


def test_metrics_are_rounded_to_the_millisecond():
    ev = [*drop(failover_history(), is_move, writes_on_node2),
          vip(4.00049, "node2", True), *write(4.50049, "s", "ok", "node2")]
    ev = [{**e, "t": 2.00012} if e["kind"] == "fault" and e["phase"] == "start" else e
          for e in ev]
    v = check_migration(ev)
    assert v.metrics["vip_moved_s"] == 2.0 and v.metrics["failover_s"] == 2.51
    assert v.metrics["write_gap_s"] == 3.49  # 4.51049 -> heal at 8.0


def test_the_observer_gap_comes_from_the_bounds_or_defaults_to_one_second():
    never = drop(failover_history(), is_move, writes_on_node2,
                 lambda e: e["kind"] == "beat" and e["node"] == "node2" and 3.0 < e["t"] < 6.0)
    assert check_migration(never).valid is None  # 3 s unwatched
    wide = [run(0.0, bounds={"migration_s": 10.0, "observer_gap_s": 4.0}) if e["kind"] == "run"
            else e for e in never]
    assert check_migration(wide).valid is False  # a 3 s gap is within 4 s
    no_gap = [run(0.0, bounds={"migration_s": 10.0}) if e["kind"] == "run" else e
              for e in never]
    assert check_migration(no_gap).valid is None
    plain = [run(0.0, bounds={"migration_s": 10.0}) if e["kind"] == "run" else e
             for e in failover_history()]
    assert check_migration(plain).valid is True


def test_metrics_of_several_faults_take_the_first_figure_each_fault_gave():
    bad = check_migration(two_faults(False))
    assert bad.metrics["vip_moved_s"] == 2.0 and bad.metrics["failover_s"] == 2.51
    assert bad.metrics["faults"] == 2
    ok = check_migration(two_faults(True))
    assert ok.summary == ("kill-mysqld: failover to node2 in 2.51 s (within the 10.0 s bound); "
                          "kill-mysqld: failover to node1 in 2.01 s (within the 10.0 s bound)")


def test_faults_without_a_step_are_healed_by_name():
    ev = [e for e in failover_history() if e["kind"] != "fault"]
    ev += [{"t": 2.0, "kind": "fault", "phase": "start", "fault": "kill-mysqld",
            "nodes": ["node1"], "owner_at_start": "node1", "removes_service": True},
           {"t": 3.0, "kind": "fault", "phase": "healed", "fault": "other", "nodes": ["node2"]},
           {"t": 8.0, "kind": "fault", "phase": "healed", "fault": "kill-mysqld",
            "nodes": ["node1"]}]
    assert check_migration(ev).evidence["per_fault"][0]["healed"] == 8.0


def test_a_heal_at_the_instant_of_the_start_counts():
    ev = [e for e in failover_history() if not (e["kind"] == "fault" and e["phase"] == "healed")]
    ev.append(healed(2.0))
    v = check_migration(ev)
    assert v.evidence["per_fault"][0]["healed"] == 2.0
    assert v.valid is False and "moved only after the heal" in v.summary


def test_continuity_boundaries():
    at_start = without(continuity_history(), lambda e: e["kind"] == "op" and 1.9 <= e["t"] <= 8.0)
    assert check_migration([*at_start, op(2.0, "invoke", "s")]).valid is not None
    assert check_migration([*at_start, op(8.0, "invoke", "h")]).valid is not None
    exact = [*without(continuity_history(), lambda e: e["kind"] == "op" and e["t"] > 1.2),
             op(2.0, "invoke", "t0"), op(2.0, "ok", "t0", "node1"),
             op(12.0, "invoke", "z"), op(12.0, "ok", "z", "node1")]
    bounded = [run(0.0, bounds={"migration_s": 6.0, "observer_gap_s": 1.0}) if e["kind"] == "run"
               else e for e in exact]
    v = check_migration(bounded)
    assert v.metrics["failover_s"] == 10.0  # the ok at the fault instant is not 'after' it
    assert v.metrics["write_gap_s"] == 6.0 and v.valid is True  # exactly the bound
    assert "(within the 6.0 s bound)" in v.summary


def test_continuity_gap_counts_from_the_last_write_before_the_fault():
    ev = [*without(continuity_history(), lambda e: e["kind"] == "op" and e["t"] > 1.0),
          *write(4.5, "x")]
    v = check_migration(ev)
    assert v.metrics["write_gap_s"] == 4.0  # the last ok before the fault (0.51) -> 4.51
    assert v.valid is True


def test_continuity_without_any_write_before_the_fault():
    ev = [*without(continuity_history(), lambda e: e["kind"] == "op"), *write(4.0, "x")]
    v = check_migration(ev)
    assert v.metrics["write_gap_s"] == 3.99  # 4.01 -> heal at 8.0
    assert v.metrics["failover_s"] == 2.01


def test_continuity_with_no_acknowledged_write_inside_the_fault():
    ev = [*without(continuity_history(), lambda e: e["kind"] == "op" and e["t"] > 1.0),
          *write(3.0, "f", "fail")]
    v = check_migration(ev)
    assert v.metrics["write_gap_s"] == 7.49 and v.metrics["failover_s"] is None
    assert v.valid is True
    short = [run(0.0, bounds={"migration_s": 5.0, "observer_gap_s": 1.0}) if e["kind"] == "run"
             else e for e in ev]
    assert check_migration(short).valid is False


# --- lag at promotion ------------------------------------------------------------------------
A = "3e11fa47-71ca-11e1-9e33-c80aa9429562"


def promotion(took_at=4.0, node="node2", ids=("w1", "w2"), retrieved=f"{A}:1-10",
              executed=f"{A}:1-7", **extra):
    return {"t": took_at + 0.05, "kind": "promotion", "node": node, "took_at": took_at,
            "executed": executed, "retrieved": retrieved, "ids": list(ids), **extra}


def lag(*extra, final_ids=None):
    ev = failover_history()
    if final_ids is not None:
        ev = replace_final(ev, nodes={"node1": node_state(final_ids),
                                      "node2": node_state(final_ids)})
    return check_migration([*ev, *extra]).metrics


def test_lag_at_promotion_counts_backlog_and_missing_writes():
    m = lag(promotion())
    assert m["backlog_at_promotion"] == 3  # 8-10 retrieved, not executed
    assert m["missing_at_promotion"] == 1  # w3 acked at 1.51, not held by node2 at 4.0
    assert m["arrived_late"] == 1  # the final state has it
    assert m["conflicting"] == 0 and m["lost_at_promotion"] == 0


def test_lag_at_promotion_lost_and_conflicting_writes():
    ids = [i for i in acked(failover_history()) if i != "w3"]
    m = lag(promotion(), final_ids=ids)
    assert m["missing_at_promotion"] == 1 and m["arrived_late"] == 0
    assert m["lost_at_promotion"] == 1 and m["conflicting"] == 0
    n1 = node_state(acked(failover_history()))
    ev = [*replace_final(failover_history(), nodes={"node1": n1, "node2": node_state(ids)}),
          promotion(), repl(6.0, "node2", sql=False, sql_error="Error 1062: Duplicate entry")]
    m = check_migration(ev).metrics
    assert m["conflicting"] == 1 and m["lost_at_promotion"] == 0
    ev[-1] = repl(6.0, "node2", sql=False, sql_error="Error 1032: row not found")
    m = check_migration(ev).metrics
    assert m["conflicting"] == 0 and m["lost_at_promotion"] == 1


def test_lag_at_promotion_without_the_new_owner_s_final_rows_is_unknown():
    ev = replace_final(failover_history(), nodes={"node1": node_state(["w1"]),
                                                  "node2": node_state([])})
    m = check_migration([*ev, promotion()]).metrics
    assert m["lost_at_promotion"] is None and m["arrived_late"] == 0
    no_final = without([*failover_history(), promotion()], lambda e: e["kind"] == "final")
    m = check_migration(no_final).metrics
    assert m["lost_at_promotion"] is None and m["missing_at_promotion"] == 1


def test_lag_at_promotion_only_reads_the_promotion_of_this_move():
    assert "backlog_at_promotion" not in lag(promotion(took_at=3.0))
    assert "backlog_at_promotion" not in lag(promotion(node="node1"))
    broken = promotion()
    del broken["ids"]
    assert "backlog_at_promotion" not in lag(broken)
    assert lag(promotion(), promotion(took_at=3.0, ids=()))["missing_at_promotion"] == 1


def test_lag_at_promotion_counts_only_writes_acked_before_the_move():
    m = lag(promotion(ids=("w1", "w2", "w3")))
    assert m["missing_at_promotion"] == 0 and m["lost_at_promotion"] == 0
    m = lag(promotion(ids=()))
    assert m["missing_at_promotion"] == 3  # w1-w3: acked up to 1.51 s; w4-w8 failed


def test_lag_at_promotion_backlog_of_several_sources():
    b = "4e11fa47-71ca-11e1-9e33-c80aa9429562"
    m = lag(promotion(retrieved=f"{A}:1-10,{b}:1-4", executed=f"{A}:1-10,{b}:1"))
    assert m["backlog_at_promotion"] == 3
    m = lag(promotion(retrieved="", executed=f"{A}:1-10"))
    assert m["backlog_at_promotion"] == 0
    m = lag(promotion(retrieved=None, executed=None))
    assert m["backlog_at_promotion"] == 0


def test_metrics_of_a_slow_move_are_rounded_not_truncated_to_seconds():
    ev = [*drop(failover_history(), is_move, writes_on_node2), vip(4.25, "node2", True),
          op(4.5, "invoke", "s"), op(4.51049, "ok", "s", "node2")]
    v = check_migration(ev)
    assert v.metrics["vip_moved_s"] == 2.25
    assert v.metrics["write_gap_s"] == 3.49  # 4.51049 -> heal at 8.0


def test_continuity_failover_is_rounded_to_the_millisecond():
    ev = [*without(continuity_history(), lambda e: 1.2 < e["t"] < 3.0 and e["kind"] == "op"),
          op(2.4, "invoke", "s"), op(2.50049, "ok", "s", "node1")]
    assert check_migration(ev).metrics["failover_s"] == 0.5


def test_a_write_acknowledged_at_the_instant_of_the_move_was_before_it():
    m = lag(promotion(), op(3.99, "invoke", "edge"), op(4.0, "ok", "edge", "node1"))
    assert m["missing_at_promotion"] == 2


def test_the_failover_figures_come_from_the_fault_that_had_to_move_the_vip():
    ev = [*failover_history(),
          fault(0.5, name="block-replication", nodes=("node2",), step=5, target="standby",
                owner_at_start="node1", removes_service=False),
          healed(1.8, name="block-replication", nodes=("node2",), step=5)]
    v = check_migration(ev)
    assert v.valid is True and v.metrics["faults"] == 2
    assert v.metrics["failover_s"] == 2.51 and v.metrics["vip_moved_s"] == 2.0
    assert v.metrics["write_gap_s"] == 3.0  # the must-move fault's, first


def conflicting_after(*repl_events):
    ids = [i for i in acked(failover_history()) if i != "w3"]
    n1 = node_state(acked(failover_history()))
    ev = [*replace_final(failover_history(), nodes={"node1": n1, "node2": node_state(ids)}),
          promotion(), *repl_events]
    return check_migration(ev).metrics["conflicting"]


def test_a_duplicate_key_is_recognised_by_number_or_by_message():
    dup = {"t": 6.0, "kind": "repl", "node": "node2", "reachable": True, "sql": False}
    assert conflicting_after({**dup, "sql_errno": 1062, "sql_error": "Coordinator stopped"}) == 1
    assert conflicting_after({**dup, "sql_errno": 1032, "sql_error": "Error 1062 in worker"}) == 1
    assert conflicting_after({**dup, "sql_error": "Could not execute: Duplicate entry 'x'"}) == 1
    assert conflicting_after({**dup, "sql_errno": 1032, "sql_error": "Can't find record"}) == 0
    assert conflicting_after({**dup, "sql_errno": 1063}) == 0
    assert conflicting_after({**dup, "sql_error": None}) == 0
