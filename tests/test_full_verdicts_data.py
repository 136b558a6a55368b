"""Data checkers (replication, writes, origin) asserted in full: exact summaries, evidence,
metrics, windows and signatures of the verdicts, on histories built to sit on the edges the
checkers decide on (a change at the very instant a write began or ended, a takeover at the
instant of the loss, several nodes lost for good, errors whose number is only in the log)."""

from histories import (
    GTID,
    bringup_history,
    failover_history,
    fault,
    final,
    node_state,
    op,
    repl,
    run,
    vip,
    without,
    write,
)

from harness.checkers import check_origin, check_replication, check_writes
from harness.checkers.replication import errno, root_errno
from harness.checkers.verdict import Verdict
from harness.checkers.writes import lag_at_takeover

A = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
B = "4f22ab58-82db-22f2-af44-d91bb9530673"
DUP = "Duplicate entry 'w9' for key 'PRIMARY'"
WORKER = ("Coordinator stopped because there were error(s) in the worker(s). The most recent "
          "failure being: Worker 2 failed executing transaction")
N3 = ("node1", "node2", "node3")


def channel(*, io=True, sql=True, io_error="", sql_error="", **extra):
    return {"io_running": io, "sql_running": sql, "io_error": io_error, "sql_error": sql_error,
            **extra}


def mlog(t, node, text, code="MY-010584"):
    return {"t": t, "kind": "mlog", "node": node, "level": "ERROR", "code": code, "text": text}


def sampled_error(t, node, text, errno_=None):
    e = {"t": t, "kind": "repl", "node": node, "reachable": True, "io": True, "sql": False,
         "io_error": "", "sql_error": text, "gtid": GTID, "retrieved": ""}
    if errno_ is not None:
        e["sql_errno"] = errno_
    return e


def with_final(n1=None, n2=None, extra=()):
    ev = [e for e in failover_history() if e["kind"] != "final"]
    return sorted([*ev, *extra, final(12.0, n1, n2, owners=("node2",))], key=lambda e: e["t"])


def final_of(nodes, owners=(), t=20.0):
    return {"t": t, "kind": "final", "nodes": dict(nodes), "vip_owners": list(owners),
            "converged_after_s": 1.0}


def lost(nodes=("node1",), t=3.0):
    e = fault(t, name="crash-node", nodes=nodes)
    e["never"] = True
    return e


LOST = node_state([], reachable=False)


# --- replication: the pair ------------------------------------------------------------------
def test_a_sampled_applier_error_is_signed_with_its_number():
    ev = sorted([*failover_history(), sampled_error(5.0, "node2", DUP, 1062)],
                key=lambda e: e["t"])
    v = check_replication(ev)
    assert v.valid is False
    assert v.summary == f"node2: applier error at t=5.0s: {DUP}"
    assert v.signature == ["applier error 1062 on node2"]
    assert v.windows == [[5.0, 12.0]]
    assert v.metrics == {"converged_after_s": 1.0}
    assert v.evidence["sql_errors_sampled"] == [{"t": 5.0, "node": "node2", "error": DUP}]


def test_a_sampled_error_without_a_number_takes_the_code_its_text_names():
    text = f"{WORKER}; Error_code: MY-001062"
    ev = sorted([*failover_history(), sampled_error(5.0, "node2", text)], key=lambda e: e["t"])
    v = check_replication(ev)
    assert v.signature == ["applier error 1062 on node2"]
    assert v.summary == f"node2: applier error at t=5.0s: {text[:160]}"


def test_a_consequential_sampled_error_is_signed_with_the_first_worker_error_of_its_node():
    """3030 only says another worker failed first: the cause is the worker error mysqld logged
    on that node (not the other node's, not a log line without a code)."""
    logs = [{"t": 4.0, "kind": "mlog", "node": "node2", "level": "ERROR", "code": "MY-0"},
            mlog(4.1, "node1", "Worker 1 failed; Error_code: MY-001032"),
            mlog(4.2, "node2", "Worker 1 failed executing transaction; Error_code: MY-001062")]
    ev = sorted([*failover_history(), *logs, sampled_error(5.0, "node2", WORKER, 3030)],
                key=lambda e: e["t"])
    v = check_replication(ev)
    assert v.valid is False
    assert v.signature == ["applier error 1062 on node2"]


def test_a_sampled_error_with_a_node_unreadable_at_the_end_fails_in_full():
    ev = with_final(n1=LOST, extra=[sampled_error(5.0, "node2", DUP, 1062)])
    v = check_replication(ev)
    assert v == Verdict("replication", False, f"node2: applier error at t=5.0s: {DUP}",
                        {"channels": {}, "checksums": {}, "gtid_missing": {},
                         "sql_errors_sampled": [{"t": 5.0, "node": "node2", "error": DUP}]},
                        {}, windows=[[5.0, 12.0]], signature=["applier error 1062 on node2"])


def test_a_node_without_channel_data_does_not_hide_the_other_nodes_problems():
    n2 = node_state([], channels=[channel(sql=False, sql_error=DUP, sql_errno=1062)])
    v = check_replication(with_final(n1=node_state([], channels=None), n2=n2))
    assert v.valid is False
    assert v.summary == f"node2: channel not running (io=True, sql=False); node2: {DUP}"
    assert v.signature == ["channel stopped on node2", "applier error 1062 on node2"]
    assert v.evidence["channels"] == {"node2": n2["channels"]}
    assert v.evidence["checksums"] == {"node2": 42}
    assert v.windows == [[12.0, 12.0]]


def test_final_applier_errors_are_signed_with_their_root_cause():
    """node1's applier stopped on 3030 (a worker failed first: the log says 1032); node2's
    error has no number sampled, its text says 1062."""
    n1 = node_state([], channels=[channel(sql=False, sql_error=WORKER, sql_errno=3030)])
    n2 = node_state([], channels=[channel(sql=False, sql_error="Error 1062: Duplicate entry")])
    log = [mlog(11.0, "node2", "Worker 1 failed; Error_code: MY-001146"),
           mlog(11.5, "node1", "Worker 1 failed; Error_code: MY-001032")]
    v = check_replication(with_final(n1, n2, extra=log))
    assert v.valid is False
    assert v.signature == ["channel stopped on node1", "applier error 1032 on node1",
                           "channel stopped on node2", "applier error 1062 on node2"]


def test_a_receiver_error_is_signed_as_such():
    n1 = node_state([], channels=[channel(io=False, io_error="error connecting to source")])
    v = check_replication(with_final(n1=n1))
    assert v.valid is False
    assert v.summary == ("node1: channel not running (io=False, sql=True); "
                         "node1: error connecting to source")
    assert v.signature == ["channel stopped on node1", "receiver error on node1"]
    assert v.metrics == {"converged_after_s": 1.0}


def test_a_node_without_any_channel_is_signed():
    v = check_replication(with_final(n2=node_state([], channels=[])))
    assert v.summary == "node2: no replication channel"
    assert v.signature == ["no channel on node2"]


def _node1_never_sampled():
    return [e if not (e["kind"] == "repl" and e["node"] == "node1")
            else repl(e["t"], "node1", reachable=False) for e in failover_history()]


def test_a_node_only_ever_unreachable_to_the_sampler_was_never_sampled():
    v = check_replication(_node1_never_sampled())
    assert v == Verdict("replication", None, "unknown: replication was never sampled on "
                        "['node1'] during the run (applier errors there could not be seen)")


def test_every_blind_spot_is_named():
    ev = [e if e["kind"] != "final" else final(12.0, n2=node_state([], checksum=None),
                                                owners=("node2",))
          for e in _node1_never_sampled()]
    assert check_replication(ev).summary == (
        "unknown: a table checksum is missing; replication was never sampled on ['node1'] "
        "during the run (applier errors there could not be seen)")


def test_without_a_fault_an_unsampled_node_is_not_a_blind_spot():
    ev = without(bringup_history(), lambda e: e["kind"] == "repl" and e["node"] == "node2")
    v = check_replication(ev)
    assert v.valid is True
    assert v.summary == "both channels running, GTID sets and checksums equal"


# --- replication: the survivors of a node lost for good -------------------------------------
def survivors_history(nodes, gone=("node1",), extra=()):
    ev = [run(0.0), *write(1.0, "a"), lost(gone), *write(8.0, "c", node="node2"), *extra,
          final_of(nodes, owners=("node2",))]
    return sorted(ev, key=lambda e: e["t"])


def survivor(channels=None, **kw):
    return node_state([], channels=channels if channels is not None else [
        channel(io=False, io_error="error connecting to node1")], **kw)


def test_two_nodes_lost_for_good_are_both_named():
    ev = survivors_history({"node1": LOST, "node2": LOST, "node3": survivor()},
                           gone=("node1", "node2"))
    v = check_replication(ev)
    assert v == Verdict("replication", True, "node3 applied what it received without an "
                        "applier error; node1+node2 lost for good (GTID sets and checksums not "
                        "compared)",
                        {"gone_for_good": ["node1", "node2"],
                         "channels": {"node3": survivor()["channels"]},
                         "sql_errors_sampled": []}, {})


def test_two_survivors_are_both_named():
    ev = survivors_history({"node1": LOST, "node2": survivor(), "node3": survivor()})
    v = check_replication(ev)
    assert v.valid is True
    assert v.summary == ("node2+node3 applied what it received without an applier error; "
                         "node1 lost for good (GTID sets and checksums not compared)")


def test_sampled_errors_before_a_loss_are_capped_and_signed_by_root_cause():
    """Five samples kept; 3030 is signed with the worker error node2 logged (1062), an error
    without a number with the code its text names (1032)."""
    errs = [sampled_error(2.0 + k / 10, "node2", WORKER, 3030) for k in range(5)]
    errs.append(sampled_error(2.6, "node2", "Worker 1 failed; Error_code: MY-001032"))
    log = [mlog(1.5, "node1", "Error_code: MY-001146"), mlog(1.9, "node2", "Error_code: MY-001062")]
    v = check_replication(survivors_history({"node1": LOST, "node2": survivor()},
                                            extra=[*errs, *log]))
    assert v.valid is False
    assert v.summary == f"node2: applier error at t=2.0s: {WORKER}"
    assert v.signature == ["applier error 1062 on node2", "applier error 1032 on node2"]
    assert v.metrics == {}
    assert v.windows == [[2.0, 20.0]]
    assert v.evidence["sql_errors_sampled"] == [
        {"t": round(2.0 + k / 10, 3), "node": "node2", "error": WORKER} for k in range(5)]


def test_a_survivor_applier_error_fails_even_with_the_thread_running():
    long = DUP + " " + "x" * 200
    n2 = survivor([channel(io=False, sql=True, sql_error=long, sql_errno=1062)])
    v = check_replication(survivors_history({"node1": LOST, "node2": n2}))
    assert v == Verdict("replication", False, f"node2: applier not running ({long[:160]})",
                        {"gone_for_good": ["node1"], "channels": {"node2": n2["channels"]},
                         "sql_errors_sampled": []}, {},
                        windows=[[20.0, 20.0]], signature=["applier error 1062 on node2"])


def test_survivor_problems_are_joined_three_at_most():
    chs = [channel(sql=False, sql_error=f"e{k}", sql_errno=3030) for k in range(4)]
    log = [mlog(9.0, "node1", "Error_code: MY-001146"), mlog(9.5, "node2", "Error_code: MY-001062")]
    v = check_replication(survivors_history({"node1": LOST, "node2": survivor(chs)}, extra=log))
    assert v.summary == ("node2: applier not running (e0); node2: applier not running (e1); "
                         "node2: applier not running (e2)")
    assert v.signature == ["applier error 1062 on node2"]


def test_an_unreadable_survivor_is_unknown_in_full():
    v = check_replication(survivors_history({"node1": LOST, "node2": survivor(channels=[])
                                             | {"channels": None}}))
    assert v == Verdict("replication", None,
                        "unknown: cannot read the survivors of node1: ['node2']")


def test_a_survivor_gtid_set_that_cannot_be_read_is_unknown_in_full():
    v = check_replication(survivors_history({"node1": LOST, "node2": survivor(gtid="garbage")}))
    assert v == Verdict("replication", None, "unknown: cannot compare the survivors' GTID sets: "
                        "not a GTID set: bad server uuid in 'garbage'")


def test_a_survivor_behind_what_it_received_is_unknown_in_full():
    ch = channel(io=False, io_error="error connecting to node1",
                 retrieved=f"{A}:1-100,{B}:1-100")
    v = check_replication(survivors_history({"node1": LOST,
                                             "node2": survivor([ch], gtid=f"{A}:1-10")}))
    behind = f"{A}:11-100,{B}:1-100"
    assert len(behind) > 80
    assert v == Verdict("replication", None, "unknown: a survivor had not applied everything it "
                        f"received at the final state: {({'node2': behind[:80]})}")


# --- replication: error numbers -------------------------------------------------------------
def test_errno_reads_the_number_in_any_case():
    assert errno(None, "Error 1062: Duplicate entry") == 1062
    assert errno(0, "ERRNO: 1213 deadlock") == 1213
    assert errno(1146, "Error 1062") == 1146
    assert errno(None, "Coordinator stopped") is None


def test_root_errno_skips_log_lines_without_text_or_code():
    ev = [{"t": 1.0, "kind": "mlog", "node": "node2"},
          mlog(2.0, "node2", "Worker 1 failed; Error_code: MY-003030"),
          mlog(3.0, "node2", "Worker 2 failed; Error_code: MY-001062")]
    assert root_errno(ev, "node2", 3030, WORKER) == 1062
    assert root_errno(ev, "node1", 3030, WORKER) == 3030


# --- writes ---------------------------------------------------------------------------------
def writes_history(nodes, gone=("node1",), owners=("node3",), extra=()):
    ev = [run(0.0), *write(1.0, "a"), *write(2.0, "b"), lost(gone),
          *write(8.0, "c", node="node3"), *extra, final_of(nodes, owners=owners)]
    return sorted(ev, key=lambda e: e["t"])


def test_writes_on_one_survivor_of_two_nodes_lost_for_good_pass_in_full():
    v = check_writes(writes_history({"node1": LOST, "node2": LOST,
                                     "node3": node_state(["a", "b", "c"])},
                                    gone=("node1", "node2")))
    assert v == Verdict(
        "writes", True, "all 3 acknowledged writes present once on node3 (node1+node2 lost for "
        "good); 0 unknown (0 applied)",
        {"judged_on": ["node3"], "lost": [], "duplicated": [], "failed_present": [],
         "errant": [], "gone_for_good": ["node1", "node2"]},
        {"ok": 3, "fail": 0, "unknown": 0, "lost": 0, "duplicated": 0, "errant": 0,
         "unknown_present": 0, "unknown_absent": 0, "lost_for_good": 0})


def test_writes_are_judged_on_every_survivor_when_none_alone_holds_the_vip():
    v = check_writes(writes_history({"node1": LOST, "node2": node_state(["a", "b", "c"]),
                                     "node3": node_state(["a", "b", "c"])}, owners=()))
    assert v.valid is True
    assert v.summary == ("all 3 acknowledged writes present once on node2+node3 (node1 lost for "
                         "good); 0 unknown (0 applied)")
    assert v.evidence["judged_on"] == ["node2", "node3"]


def test_writes_lost_with_two_nodes_lost_for_good_name_both():
    v = check_writes(writes_history({"node1": LOST, "node2": LOST,
                                     "node3": node_state(["a", "c"])}, gone=("node1", "node2")))
    assert v.valid is False
    assert v.summary == ("1 lost for good with node1+node2 of 3 acknowledged writes "
                         "(first: b)")
    assert v.signature == ["acknowledged writes lost"]
    assert v.windows == [[2.01, 2.01]]


def test_a_duplicate_on_the_survivor_is_not_lost_for_good():
    v = check_writes(writes_history({"node1": LOST, "node3": node_state(["a", "a", "b", "c"])}))
    assert v.valid is False
    assert v.summary == "1 duplicated of 3 acknowledged writes (first: a)"
    assert v.signature == ["writes duplicated"]
    assert v.metrics["lost_for_good"] == 0 and v.metrics["duplicated"] == 1


def test_no_survivor_at_all_names_every_node_lost_for_good():
    v = check_writes(writes_history({"node1": LOST, "node2": LOST}, gone=("node1", "node2")))
    assert v == Verdict("writes", None, "unknown: no readable final state of any node but "
                        "node1, node2, lost for good")


def promotion(t, node="node2", *, took_at=..., **fields):
    e = {"t": t, "kind": "promotion", "node": node, **fields}
    if took_at is not ...:
        e["took_at"] = took_at
    return e


def test_lag_without_a_loss_counts_any_takeover():
    ev = [promotion(0.5, took_at=0.5, ids=[], retrieved=f"{A}:1-3", executed=f"{A}:1-3")]
    assert lag_at_takeover(ev, ["node2"], {"a": 0.2}) == {
        "took_over": "node2", "backlog_at_promotion": 0, "missing_at_promotion": 1}


def test_lag_of_a_takeover_whose_reading_failed_and_was_not_stamped_is_unrecorded():
    ev = [lost(), promotion(4.0, error="timeout")]
    assert lag_at_takeover(ev, ["node2"], {"a": 1.0}) == {}


def test_lag_is_read_at_the_takeover_after_the_loss_not_the_one_recorded_after_it():
    """A takeover at 2.9 s recorded at 3.2 s is before the loss at 3.0 s: the one that
    counts is the later one."""
    ev = [lost(), promotion(3.2, took_at=2.9, ids=["a", "b"], retrieved=f"{A}:1-9",
                            executed=f"{A}:1-9"),
          promotion(5.1, took_at=5.0, ids=["a"], retrieved=f"{A}:1-9", executed=f"{A}:1-6")]
    assert lag_at_takeover(ev, ["node2"], {"a": 1.0, "b": 2.0}) == {
        "took_over": "node2", "backlog_at_promotion": 3, "missing_at_promotion": 1}


def test_lag_at_a_takeover_at_the_instant_of_the_loss_counts():
    ev = [lost(), promotion(3.1, took_at=3.0, ids=["a"], retrieved=f"{A}:1-4",
                            executed=f"{A}:1-2")]
    assert lag_at_takeover(ev, ["node2"], {"a": 1.0}) == {
        "took_over": "node2", "backlog_at_promotion": 2, "missing_at_promotion": 0}


def test_lag_with_one_gtid_set_missing():
    nothing_retrieved = [lost(), promotion(5.1, took_at=5.0, ids=[], executed=f"{A}:1-4")]
    assert lag_at_takeover(nothing_retrieved, ["node2"], {})["backlog_at_promotion"] == 0
    nothing_executed = [lost(), promotion(5.1, took_at=5.0, ids=[], retrieved=f"{A}:1-5")]
    assert lag_at_takeover(nothing_executed, ["node2"], {})["backlog_at_promotion"] == 5


def test_lag_counts_the_writes_acknowledged_up_to_the_takeover_it_did_not_hold():
    ev = [lost(), promotion(5.1, took_at=5.0, ids=["a", "b"], retrieved="", executed="")]
    acked = {"a": 1.0, "b": 2.0, "c": 5.0, "d": 6.0}
    assert lag_at_takeover(ev, ["node2"], acked)["missing_at_promotion"] == 1


# --- origin ---------------------------------------------------------------------------------
def origin_history(*events, nodes=("node1", "node2")):
    return sorted([run(0.0, nodes=nodes, priorities=(150, 100, 50)[:len(nodes)]), *events],
                  key=lambda e: e["t"])


def test_no_acknowledged_write_is_unknown_in_full():
    v = check_origin(origin_history(vip(0.0, "node1", True), *write(1.0, "w1", "fail")))
    assert v == Verdict("origin", None, "unknown: no acknowledged write to attribute")


def test_a_write_without_its_server_is_unknown_in_full():
    v = check_origin(origin_history(vip(0.0, "node1", True), op(1.0, "invoke", "w1"),
                                    op(1.01, "ok", "w1")))
    assert v == Verdict("origin", None, "unknown: an acknowledged write does not say which "
                        "server committed it")


def test_writes_while_nobody_held_and_unattributable_ones_still_pass_in_full():
    ev = origin_history(vip(0.0, "node1", True), vip(0.0, "node2", False),
                        *write(1.0, "w1"),
                        vip(2.0, "node1", False), *write(3.0, "w2"),
                        vip(4.0, "node2", None), *write(5.0, "w3"))
    v = check_origin(ev)
    assert v == Verdict(
        "origin", True, "every write committed on the VIP's holder (1 while nobody held it, "
        "by a surviving connection)",
        {"by_second_master": [], "while_nobody_held": [{"t": 3.01, "id": "w2", "by": "node1"}],
         "per_server": {"node1": 3, "node2": 0}},
        {"acknowledged": 3, "by_second_master": 0, "while_nobody_held": 1, "unattributable": 1})


def test_a_write_by_a_server_not_in_the_run_is_unattributable():
    ev = origin_history(vip(0.0, "node1", True), vip(0.0, "node2", False),
                        *write(1.0, "w1"), *write(2.0, "w2", node="node9"))
    v = check_origin(ev)
    assert v.valid is True
    assert v.metrics == {"acknowledged": 2, "by_second_master": 0, "while_nobody_held": 0,
                         "unattributable": 1}


def test_an_acknowledgement_without_its_invoke_is_judged_at_its_own_instant():
    ev = origin_history(vip(0.0, "node1", True), vip(0.0, "node2", False),
                        op(1.0, "ok", "w1", node="node1"))
    v = check_origin(ev)
    assert v.valid is True
    assert v.metrics["unattributable"] == 0


def test_writes_before_the_vip_was_first_observed_are_unknown_in_full():
    ev = origin_history(*write(1.0, "w1"), vip(5.0, "node1", True), vip(5.0, "node2", False))
    assert check_origin(ev) == Verdict(
        "origin", None, "unknown: the VIP was not observed when the writes were committed")


def test_a_state_observed_at_the_instant_the_write_began_counts():
    ev = origin_history(vip(1.0, "node1", True), vip(1.0, "node2", False), *write(1.0, "w1"))
    v = check_origin(ev)
    assert v.valid is True
    assert v.metrics["unattributable"] == 0


def test_a_take_at_the_instant_of_the_acknowledgement_counts():
    ev = origin_history(vip(0.0, "node1", False), vip(0.0, "node2", True),
                        *write(1.0, "w1"),
                        vip(1.01, "node1", True), vip(1.01, "node2", False))
    v = check_origin(ev)
    assert v.valid is True
    assert v.evidence["by_second_master"] == []


def test_the_last_state_known_at_the_invoke_is_the_one_judged():
    """node2 unreadable then seen holding the VIP, both at the instant w1 began: what was known
    at that instant is that node2 held it, and w1 was committed on node1."""
    ev = origin_history(vip(0.0, "node1", False), vip(0.0, "node2", False),
                        vip(1.0, "node2", None), vip(1.0, "node2", True), *write(1.0, "w1"))
    v = check_origin(ev)
    assert v.valid is False
    assert v.evidence["by_second_master"] == [
        {"t": 1.01, "id": "w1", "by": "node1", "vip_on": ["node2"]}]


def test_a_write_on_a_second_master_with_two_holders_fails_in_full():
    ev = origin_history(vip(0.0, "node1", True), vip(0.0, "node2", False),
                        vip(0.0, "node3", False),
                        vip(1.0, "node1", False), vip(1.0, "node2", True), vip(1.0, "node3", True),
                        *write(2.0, "w1"), *write(3.0, "w2", node="node2"), nodes=N3)
    v = check_origin(ev)
    assert v == Verdict(
        "origin", False, "1 acknowledged write(s) committed on node1 while the VIP was on "
        "node2+node3 (first at t=2.01s): two masters took writes",
        {"by_second_master": [{"t": 2.01, "id": "w1", "by": "node1",
                               "vip_on": ["node2", "node3"]}],
         "while_nobody_held": [], "per_server": {"node1": 1, "node2": 1, "node3": 0}},
        {"acknowledged": 2, "by_second_master": 1, "while_nobody_held": 0,
         "unattributable": 0},
        windows=[[2.01, 2.01]], signature=["writes on a second master node1"])
