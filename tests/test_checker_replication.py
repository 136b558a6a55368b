"""Replication: no applier error sampled during the run; after heal both channels run without
error, GTID sets equal, checksums agree (the ``final`` event)."""

from histories import GTID, failover_history, final, node_state, repl, replace_final, without

from harness.checkers import check_replication

A = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
B = "4f22ab58-82db-22f2-af44-d91bb9530673"


def with_final(n1=None, n2=None, **kw):
    ev = [e for e in failover_history() if e["kind"] != "final"]
    return [*ev, final(12.0, n1, n2, **kw)]


# --- pass -----------------------------------------------------------------------------------
def test_healthy_pair_passes():
    v = check_replication(failover_history())
    assert v.valid is True
    assert v.summary == "both channels running, GTID sets and checksums equal"
    assert v.metrics == {"converged_after_s": 1.0}
    assert v.evidence["checksums"] == {"node1": 42, "node2": 42}
    assert v.evidence["sql_errors_sampled"] == [] and v.evidence["gtid_missing"] == {}


def test_an_io_error_sampled_mid_run_is_not_an_applier_error():
    ev = [*failover_history(), repl(5.0, "node2", io=False, io_error="connect failed")]
    assert check_replication(ev).valid is True


# --- FAIL -----------------------------------------------------------------------------------
def test_stopped_channel_fails():
    v = check_replication(with_final(n2=node_state([], sql=False)))
    assert v.valid is False
    assert "node2: channel not running (io=True, sql=False)" in v.summary
    assert v.windows == [[12.0, 12.0]]


def test_stopped_io_thread_fails():
    v = check_replication(with_final(n1=node_state([], io=False)))
    assert v.valid is False and "io=False" in v.summary


def test_channel_error_fails():
    v = check_replication(with_final(n2=node_state([], error="Error 1062 Duplicate entry")))
    assert v.valid is False and "node2: Error 1062 Duplicate entry" in v.summary


def test_gtid_mismatch_fails_with_the_difference():
    v = check_replication(with_final(n1=node_state([], gtid=f"{A}:1-12")))
    assert v.valid is False
    assert v.evidence["gtid_missing"] == {"node2 lacks": f"{A}:11-12"}
    assert f"node2 lacks GTIDs {A}:11-12 executed on node1" in v.summary


def test_gtid_sets_are_compared_both_ways():
    """The node with the larger set may be either: node1 missing node2's transactions is as
    much a divergence (a seeded one-direction comparison passed every test above)."""
    v = check_replication(with_final(n2=node_state([], gtid=f"{A}:1-12")))
    assert v.valid is False and v.evidence["gtid_missing"] == {"node1 lacks": f"{A}:11-12"}
    assert v.signature == ["missing transactions on node1"]
    both = check_replication(with_final(n1=node_state([], gtid=f"{A}:1-10,{B}:1-2"),
                                        n2=node_state([], gtid=f"{A}:1-11")))
    assert both.valid is False and both.evidence["gtid_missing"] == {
        "node2 lacks": f"{B}:1-2", "node1 lacks": f"{A}:11"}


def test_a_divergence_fails_whatever_the_channels_say():
    """Both channels running, no applier error, and still one node lacks a transaction of the
    other and their tables differ: a silent divergence is a FAIL naming the GTIDs."""
    v = check_replication(with_final(n1=node_state([], gtid=f"{A}:1-9", checksum=5)))
    assert v.valid is False
    assert v.summary.startswith(f"node1 lacks GTIDs {A}:10 executed on node2")
    assert set(v.signature) == {"missing transactions on node1", "checksums differ"}


def test_checksum_mismatch_fails():
    v = check_replication(with_final(n2=node_state([], checksum=7)))
    assert v.valid is False
    assert "CHECKSUM TABLE differs" in v.summary


def test_no_channel_fails():
    v = check_replication(with_final(n2=node_state([], channels=[])))
    assert v.valid is False and "node2: no replication channel" in v.summary


def test_sql_error_sampled_mid_run_then_cleared_fails():
    """The applier stopped on an error at 6 s; by the final state someone cleared it."""
    ev = [*failover_history(), repl(6.0, "node2", sql=False, sql_error="Error 1062: Duplicate")]
    v = check_replication(ev)
    assert v.valid is False
    assert v.summary == "node2: applier error at t=6.0s: Error 1062: Duplicate"
    assert v.windows == [[6.0, 12.0]]
    assert v.evidence["sql_errors_sampled"] == [
        {"t": 6.0, "node": "node2", "error": "Error 1062: Duplicate"}]


def test_sampled_sql_error_with_an_unreachable_node_still_fails():
    ev = [*with_final(n1=node_state([], reachable=False)),
          repl(6.0, "node2", sql=False, sql_error="Error 1032")]
    v = check_replication(ev)
    assert v.valid is False
    assert v.windows == [[6.0, 12.0]]
    assert "applier error at t=6.0s" in v.summary


def test_problems_are_listed_three_at_most():
    v = check_replication(with_final(node_state([], io=False, sql=False, error="e1"),
                                     node_state([], io=False, sql=False, error="e2",
                                                checksum=9)))
    assert v.valid is False
    assert v.summary.count(";") == 2


# --- unknown --------------------------------------------------------------------------------
def test_no_final_state_is_unknown():
    v = check_replication(without(failover_history(), lambda e: e["kind"] == "final"))
    assert v.valid is None and v.summary == "unknown: no final state in the history"


def test_an_unreachable_node_is_unknown():
    v = check_replication(with_final(n2=node_state([], reachable=False)))
    assert v.valid is None and "['node2']" in v.summary


def test_a_single_node_final_state_is_unknown():
    ev = replace_final(failover_history(), nodes={"node1": node_state([])})
    assert check_replication(ev).valid is None


def test_missing_channel_data_is_unknown():
    v = check_replication(with_final(n2=node_state([], channels=None)))
    assert v.valid is None and "no channel data for node2" in v.summary


def test_missing_checksum_is_unknown():
    v = check_replication(with_final(n2=node_state([], checksum=None)))
    assert v.valid is None and "checksum is missing" in v.summary


def test_unparsable_gtid_set_is_unknown():
    v = check_replication(with_final(n2=node_state([], gtid="garbage")))
    assert v.valid is None and "cannot compare GTID sets" in v.summary
    n2 = node_state([])
    del n2["gtid_executed"]
    assert check_replication(with_final(n2=n2)).valid is None


def test_gtid_sets_are_compared_as_sets():
    v = check_replication(with_final(n2=node_state([], gtid=f"{A}:1-5:6-10")))
    assert v.valid is True
    assert f"{A}:1-10" == GTID


def test_a_sampled_sql_error_beats_a_missing_checksum():
    ev = [*with_final(n2=node_state([], checksum=None)),
          repl(6.0, "node2", sql=False, sql_error="Error 1062")]
    assert check_replication(ev).valid is False


def test_no_replication_sample_during_the_run_is_unknown():
    v = check_replication(without(failover_history(), lambda e: e["kind"] == "repl"))
    assert v.valid is None


# --- names, evidence, caps ------------------------------------------------------------------
def test_every_replication_verdict_names_its_invariant():
    cases = [failover_history(), with_final(n2=node_state([], sql=False)),
             without(failover_history(), lambda e: e["kind"] == "final"),
             with_final(n2=node_state([], reachable=False)),
             with_final(n2=node_state([], channels=None)),
             with_final(n2=node_state([], checksum=None)),
             with_final(n2=node_state([], gtid="garbage")),
             [*with_final(n1=node_state([], reachable=False)),
              repl(6.0, "node2", sql=False, sql_error="Error 1032")]]
    for ev in cases:
        assert check_replication(ev).invariant == "replication"


def test_a_single_node_final_state_says_the_nodes():
    ev = replace_final(failover_history(), nodes={"node1": node_state([])})
    assert check_replication(ev).summary == "unknown: cannot read the final state of the nodes"
    assert check_replication(with_final(n2=node_state([], checksum=None))).summary == \
        "unknown: a table checksum is missing"


def test_the_unreachable_fail_keeps_its_evidence():
    ev = [*with_final(n1=node_state([], reachable=False)),
          repl(6.0, "node2", sql=False, sql_error="Error 1032")]
    v = check_replication(ev)
    assert v.evidence["sql_errors_sampled"] == [{"t": 6.0, "node": "node2",
                                                 "error": "Error 1032"}]
    assert v.metrics == {}


def test_long_errors_are_cut_and_samples_capped():
    err = "E" * 300
    ev = [*failover_history(), *(repl(5.0 + k, "node2", sql=False, sql_error=err)
                                 for k in range(7))]
    v = check_replication(ev)
    assert len(v.evidence["sql_errors_sampled"]) == 5
    assert v.evidence["sql_errors_sampled"][0]["error"] == "E" * 160
    assert v.summary == "node2: applier error at t=5.0s: " + "E" * 160
    v = check_replication(with_final(n2=node_state([], error="x" * 300)))
    assert v.summary == "node2: " + "x" * 160


def test_an_io_error_in_the_final_channel_is_a_problem():
    n2 = node_state([])
    n2["channels"][0]["io_error"] = "error connecting to source"
    v = check_replication(with_final(n2=n2))
    assert v.valid is False and v.summary == "node2: error connecting to source"


def test_the_final_fail_keeps_channels_and_metrics():
    v = check_replication(with_final(n2=node_state([], sql=False)))
    assert v.evidence["channels"]["node2"][0]["sql_running"] is False
    assert v.metrics == {"converged_after_s": 1.0}
    v = check_replication(failover_history())
    assert v.evidence["channels"]["node1"][0]["io_running"] is True


def test_long_gtid_differences_are_cut_in_the_summary():
    many = ":".join(str(k) for k in range(1, 60, 2))
    v = check_replication(with_final(n1=node_state([], gtid=f"{A}:{many}")))
    missing = v.evidence["gtid_missing"]["node2 lacks"]
    assert len(missing) > 80
    assert f"node2 lacks GTIDs {missing[:80]} executed on node1" in v.summary


def test_several_problems_are_joined():
    v = check_replication(with_final(n2=node_state([], sql=False, checksum=7)))
    assert v.summary == ("node2: channel not running (io=True, sql=False); CHECKSUM TABLE "
                         "differs: {'node1': 42, 'node2': 7}")


def test_the_root_cause_not_the_worker_that_stopped_after_it():
    """MySQL's multi-threaded applier reports the most recent failing worker: after a
    duplicate key, the others stop with 3030 ("stopped after at least one previous worker
    encountered an error"), and which one is reported is a race. The cause is the first worker
    error mysqld logged on that node."""
    from harness.checkers.replication import root_errno
    stopped = ("Coordinator stopped because there were error(s) in the worker(s). The most "
               "recent failure being: Worker 4 failed ... Replica worker has stopped after at "
               "least one previous worker encountered an error")
    log = [{"t": 30.4, "kind": "mlog", "node": "node2", "level": "ERROR",
            "text": "Replica SQL for channel '': Worker 1 failed executing transaction 'u:76'; "
                    "Could not execute Write_rows event on table vipchaos.tickets; Duplicate "
                    "entry '73' for key 'tickets.PRIMARY', Error_code: 1062; handler error"},
           {"t": 30.5, "kind": "mlog", "node": "node1", "level": "ERROR",
            "text": "Worker 1 failed ... Error_code: MY-001146"}]
    assert root_errno(log, "node2", 3030, stopped) == 1062
    assert root_errno(log, "node1", 3030, stopped) == 1146
    assert root_errno([], "node2", 3030, stopped) == 3030  # nothing better known
    assert root_errno(log, "node2", 1213, "deadlock") == 1213  # a cause stays the cause
    consequent = [{**log[0], "text": "Worker 2 ... Error_code: MY-003030"}, log[0]]
    assert root_errno(consequent, "node2", 0, stopped) == 1062
