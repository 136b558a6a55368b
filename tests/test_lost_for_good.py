"""A node lost for good (a step's ``for: never``): the checkers judge on the survivor; writes the
lost node acknowledged and never shipped are lost for good; nothing about the lost node passes
by default."""

from histories import GTID, fault, final, node_state, run, write

from harness.checkers import check_replication, check_service, check_writes
from harness.checkers.query import gone_nodes
from harness.checkers.verdict import Verdict
from harness.errors import ConfigError
from harness.incident import parse_incident
from harness.scenario import Scenario, Step

LOST = node_state([], reachable=False)


def lost_history(survivor_ids, *, never=True, healed_before_final=False, promo=None,
                 extra=()):
    loss = fault(3.0, name="crash-node")
    if never:
        loss["never"] = True
    ev = [run(0.0), *write(1.0, "a"), *write(2.0, "b", node="node1"), loss,
          *write(8.0, "c", node="node2"), *extra]
    if healed_before_final:
        ev.append(fault(9.0, "healed", "crash-node"))
    if promo:
        ev.append({"t": 7.0, "kind": "promotion", "node": "node2", "took_at": 7.0,
                   "ids": ["a"], **promo})
    n2 = node_state(survivor_ids, channels=[{"io_running": False, "sql_running": True,
                                             "io_error": "error connecting to node1",
                                             "sql_error": ""}])
    ev.append(final(20.0, LOST, n2, owners=("node2",)))
    return sorted(ev, key=lambda e: e["t"])


def test_gone_nodes_are_never_faults_not_healed_before_the_final_state():
    assert gone_nodes(lost_history(["a", "b", "c"])) == ["node1"]
    assert gone_nodes(lost_history(["a", "b", "c"], never=False)) == []
    assert gone_nodes(lost_history(["a", "b", "c"], healed_before_final=True)) == []


def test_writes_judged_on_the_survivor_pass_when_all_are_there():
    v = check_writes(lost_history(["a", "b", "c"]))
    assert v.valid is True
    assert v.evidence["judged_on"] == ["node2"] and v.evidence["gone_for_good"] == ["node1"]
    assert "on node2 (node1 lost for good)" in v.summary


def test_writes_missing_on_the_survivor_are_lost_for_good_with_the_backlog():
    v = check_writes(lost_history(["a", "c"], promo={"retrieved": f"{GTID.split(':')[0]}:1-5",
                                                     "executed": f"{GTID.split(':')[0]}:1-3"}))
    assert v.valid is False
    assert v.evidence["lost"] == ["b"] and v.metrics["lost_for_good"] == 1
    assert v.metrics["backlog_at_promotion"] == 2
    assert v.metrics["missing_at_promotion"] == 1  # b, acked at 2.01, not held at 7.0
    assert "1 lost for good with node1 of 3 acknowledged writes (first: b); when node2 took " \
           "the VIP it lacked 1 acknowledged write(s) and had 2 transaction(s) retrieved" \
           in v.summary
    assert "acknowledged writes lost" in v.signature


def test_an_unreadable_node_that_was_not_lost_for_good_stays_unknown():
    v = check_writes(lost_history(["a", "b", "c"], never=False))
    assert v.valid is None and "cannot read ['node1']" in v.summary


def test_replication_on_the_survivor_alone():
    v = check_replication(lost_history(["a", "b", "c"]))
    assert v.valid is True and "node1 lost for good" in v.summary
    assert "not compared" in v.summary


def test_replication_survivor_applier_error_fails():
    ev = lost_history(["a", "b", "c"])
    ev[-1]["nodes"]["node2"]["channels"][0].update(sql_running=False, sql_error="Error 1062")
    v = check_replication(ev)
    assert v.valid is False and "node2: applier not running" in v.summary


def test_replication_sampled_applier_error_before_the_loss_fails():
    err = {"t": 2.5, "kind": "repl", "node": "node2", "reachable": True, "io": True,
           "sql": False, "sql_error": "Duplicate entry", "sql_errno": 1062}
    v = check_replication(lost_history(["a", "b", "c"], extra=[err]))
    assert v.valid is False and "applier error at t=2.5s" in v.summary


def test_replication_unreadable_survivor_is_unknown():
    ev = lost_history(["a", "b", "c"])
    ev[-1]["nodes"]["node2"] = node_state([], reachable=False)
    assert check_replication(ev).valid is None


def test_service_must_come_back_after_the_loss():
    ok = check_service(lost_history(["a", "b", "c"]))
    assert ok.valid is True and "loss of node1" in str(ok.evidence["heals"])
    ev = [e for e in lost_history(["a", "b", "c"]) if not (e["kind"] == "op" and e["t"] > 3)]
    ev += [{"t": t, "kind": "op", "type": "invoke", "id": f"x{t}"} for t in (4.0, 9.0, 15.0)]
    bad = check_service(sorted(ev, key=lambda e: e["t"]))
    assert isinstance(bad, Verdict) and bad.valid is False


INCIDENT = """\
name: t
source: https://example.org/r
timeline:
  - at: 2s
    fault: crash-node owner
    for: {hold}
    params: {params}
expect: [lost_writes]
"""


def test_incident_for_never_and_disk_lost():
    inc = parse_incident(INCIDENT.format(hold="never", params="{disk: lost}"), "x.yaml")
    assert inc.steps[0].never and inc.steps[0].duration is None


def test_disk_lost_needs_for_never():
    try:
        parse_incident(INCIDENT.format(hold="10s", params="{disk: lost}"), "x.yaml")
    except ConfigError as exc:
        assert "add for: never" in str(exc) and "x.yaml:7" in str(exc)
    else:
        raise AssertionError("accepted a lost disk that heals")


def test_never_is_only_for_faults():
    text = "name: t\nsource: s\ntimeline:\n  - at: 2s\n    action: stop-mysqld\n" \
           "    target: node1\n    for: never\nexpect: [lost_writes]\n"
    try:
        parse_incident(text, "x.yaml")
    except ConfigError as exc:
        assert "for: never holds a fault" in str(exc)
    else:
        raise AssertionError("accepted for: never on an action")


def test_a_never_step_counts_to_its_start_in_the_timeline():
    sc = Scenario("s", [Step(2, "slow-replication", duration=None),
                        Step(10, "crash-node", never=True)])
    assert sc.timeline_end() == 10


def test_a_fault_never_healed_has_its_write_gap_end_with_the_workload():
    from histories import beats, vip

    from harness.checkers import check_migration
    ev = [run(0.0, bounds={"migration_s": 10.0}), vip(0.0, "node1", True),
          vip(0.0, "node2", False), *beats(0.0, 40.0, "node1"), *beats(0.0, 40.0, "node2"),
          fault(3.0, name="slow-replication", removes_service=False)]
    ev += [x for t in range(1, 20) for x in write(float(t), f"w{t}")]
    ev.append(final(40.0, owners=("node1",)))
    v = check_migration(sorted(ev, key=lambda e: e["t"]))
    assert v.metrics["write_gap_s"] == 1.0  # not 21 s to the end of the observation
    assert v.valid is True


# --- what a loss is not ------------------------------------------------------------------------
def test_only_a_fault_that_takes_the_service_away_loses_a_node():
    ev = lost_history(["a", "b", "c"])
    for e in ev:
        if e["kind"] == "fault":
            e["removes_service"] = False  # e.g. block-vrrp held for good: both nodes alive
    assert gone_nodes(ev) == []


def test_a_node_readable_at_the_end_was_not_lost():
    ev = lost_history(["a", "b", "c"])
    ev[-1]["nodes"]["node1"] = node_state(["a", "b", "c"])
    assert gone_nodes(ev) == []
    assert "lost for good" not in check_writes(ev).summary


def test_a_write_of_the_dying_node_is_no_comeback():
    """The loss point is when the loss was verified; only the survivor's writes count."""
    ev = [e for e in lost_history(["a", "b"]) if not (e["kind"] == "op" and e["t"] > 3)]
    for e in ev:
        if e["kind"] == "fault":
            e["verified_at"] = 3.5
    ev += write(3.2, "late", node="node1")  # acknowledged by node1 as it went down
    ev += [{"t": t, "kind": "op", "type": "invoke", "id": f"x{t}"} for t in (4.0, 9.0, 15.0)]
    v = check_service(sorted(ev, key=lambda e: e["t"]))
    assert v.valid is False
    assert "loss of node1" in v.summary


def test_a_survivor_that_had_not_applied_all_it_received_is_unknown():
    ev = lost_history(["a", "b", "c"])
    uuid = GTID.split(":")[0]
    ev[-1]["nodes"]["node2"]["gtid_executed"] = f"{uuid}:1-5"
    ev[-1]["nodes"]["node2"]["channels"][0]["retrieved"] = f"{uuid}:1-9"
    v = check_replication(ev)
    assert v.valid is None and "had not applied everything" in v.summary


def test_the_lag_is_the_first_takeover_after_the_loss():
    uuid = GTID.split(":")[0]
    ev = lost_history(["a", "c"], promo={"retrieved": f"{uuid}:1-5", "executed": f"{uuid}:1-3"})
    ev.append({"t": 1.0, "kind": "promotion", "node": "node2", "took_at": 1.0, "ids": [],
               "retrieved": f"{uuid}:1-50", "executed": f"{uuid}:1-1"})  # before the loss
    v = check_writes(sorted(ev, key=lambda e: e["t"]))
    assert v.metrics["backlog_at_promotion"] == 2


def test_disk_lost_is_refused_without_for_never():
    import pytest
    from fakes import fake_pair

    from harness.faults import make_fault
    pair = fake_pair()
    f = make_fault("crash-node", pair, pair.nodes[0], disk="lost")
    with pytest.raises(ConfigError, match="needs for: never"):
        f.start()
    assert pair.diskless == set()


def _incident_err(text):
    try:
        parse_incident(text, "x.yaml")
    except ConfigError as exc:
        return str(exc)
    raise AssertionError("accepted")


def test_never_only_for_faults_that_take_the_whole_node():
    assert "only a fault that takes the whole node" in _incident_err(
        INCIDENT.format(hold="never", params="{}").replace("crash-node", "block-vrrp"))
    assert "disk: kept | lost is a crash-node param" in _incident_err(
        INCIDENT.format(hold="never", params="{disk: lost}").replace("crash-node", "pause-node"))


def test_nothing_may_follow_a_loss_for_good():
    text = INCIDENT.format(hold="never", params="{}").replace(
        "expect:", "  - at: 9s\n    action: restore\nexpect:")
    assert "make it the last fault or action" in _incident_err(text)


# --- the survivor's verdicts in full (every field, so a changed word or key is seen) ---------
SURVIVOR_CHANNEL = {"io_running": False, "sql_running": True,
                    "io_error": "error connecting to node1", "sql_error": ""}


def test_survivor_replication_pass_in_full():
    v = check_replication(lost_history(["a", "b", "c"]))
    assert v.invariant == "replication" and v.valid is True and v.metrics == {}
    assert v.summary == ("node2 applied what it received without an applier error; node1 lost "
                         "for good (GTID sets and checksums not compared)")
    assert v.evidence == {"gone_for_good": ["node1"], "sql_errors_sampled": [],
                          "channels": {"node2": [SURVIVOR_CHANNEL]}}
    assert v.windows == [] and v.signature == []


def test_survivor_replication_sampled_error_in_full():
    err = {"t": 2.5, "kind": "repl", "node": "node2", "reachable": True, "io": True,
           "sql": False, "sql_error": "Duplicate entry 'x' " + "y" * 200, "sql_errno": 1062}
    v = check_replication(lost_history(["a", "b", "c"], extra=[err]))
    assert v.invariant == "replication" and v.valid is False
    assert v.summary == "node2: applier error at t=2.5s: " + err["sql_error"][:160]
    assert v.evidence["sql_errors_sampled"] == [
        {"t": 2.5, "node": "node2", "error": err["sql_error"][:160]}]
    assert v.signature == ["applier error 1062 on node2"]
    assert v.windows == [[2.5, 20.0]]


def test_survivor_replication_stopped_applier_in_full():
    ev = lost_history(["a", "b", "c"])
    ev[-1]["nodes"]["node2"]["channels"][0].update(
        sql_running=False, sql_error="Could not execute Write_rows; Error_code: MY-001062",
        sql_errno=0)
    v = check_replication(ev)
    assert v.summary == ("node2: applier not running (Could not execute Write_rows; "
                         "Error_code: MY-001062)")
    assert v.signature == ["applier error 1062 on node2"] and v.windows == [[20.0, 20.0]]
    ev[-1]["nodes"]["node2"]["channels"][0].update(sql_running=False, sql_error="")
    v = check_replication(ev)
    assert v.valid is False and v.summary == "node2: applier not running ()"
    assert v.signature == ["applier error on node2"]


def test_survivor_replication_unknowns_in_full():
    ev = lost_history(["a", "b", "c"])
    ev[-1]["nodes"]["node2"] = {"reachable": True, "channels": None}
    v = check_replication(ev)
    assert v.valid is None
    assert v.summary == "unknown: cannot read the survivors of node1: ['node2']"
    ev[-1]["nodes"] = {"node1": LOST}
    assert check_replication(ev).summary == \
        "unknown: cannot read the survivors of node1: none left"
    ev = lost_history(["a", "b", "c"])
    uuid = GTID.split(":")[0]
    ev[-1]["nodes"]["node2"]["gtid_executed"] = f"{uuid}:1-5"
    ev[-1]["nodes"]["node2"]["channels"][0]["retrieved"] = f"{uuid}:1-9"
    assert check_replication(ev).summary == (
        "unknown: a survivor had not applied everything it received at the final state: "
        f"{{'node2': '{uuid}:6-9'}}")
    ev[-1]["nodes"]["node2"]["gtid_executed"] = "not a set"
    assert check_replication(ev).summary.startswith(
        "unknown: cannot compare the survivors' GTID sets:")


def test_survivor_writes_in_full():
    uuid = GTID.split(":")[0]
    v = check_writes(lost_history(["a", "c"], promo={"retrieved": f"{uuid}:1-5",
                                                     "executed": f"{uuid}:1-3"}))
    assert v.invariant == "writes" and v.valid is False
    assert v.evidence == {"judged_on": ["node2"], "lost": ["b"], "duplicated": [],
                          "failed_present": [], "errant": [], "gone_for_good": ["node1"]}
    assert v.metrics == {"ok": 3, "fail": 0, "unknown": 0, "lost": 1, "duplicated": 0,
                         "errant": 0, "unknown_present": 0, "unknown_absent": 0,
                         "lost_for_good": 1, "backlog_at_promotion": 2,
                         "missing_at_promotion": 1}
    assert v.windows == [[2.01, 2.01]] and v.signature == ["acknowledged writes lost"]
    ok = check_writes(lost_history(["a", "b", "c"]))
    assert ok.summary == ("all 3 acknowledged writes present once on node2 (node1 lost for "
                          "good); 0 unknown (0 applied)")
    assert ok.metrics["lost_for_good"] == 0 and "backlog_at_promotion" not in ok.metrics
    bad = lost_history(["a", "b", "c"])
    bad[-1]["nodes"]["node2"] = node_state([], reachable=False)
    assert check_writes(bad).summary == \
        "unknown: no readable final state of any node but node1, lost for good"


def test_a_failed_promotion_reading_gives_no_lag():
    ev = lost_history(["a", "c"])
    ev.append({"t": 7.0, "kind": "promotion", "node": "node2", "took_at": 7.0,
               "error": "timed out"})
    v = check_writes(sorted(ev, key=lambda e: e["t"]))
    assert "backlog_at_promotion" not in v.metrics and "when node2" not in v.summary


def test_service_loss_points_in_full():
    from harness.checkers.service import heal_points
    ev = lost_history(["a", "b", "c"])
    for e in ev:
        if e["kind"] == "fault":
            e["verified_at"] = 3.4
    assert heal_points(ev) == [(3.4, "loss of node1 (crash-node, for good)")]
    v = check_service(ev)
    assert v.summary == ("a write succeeded after every heal (slowest 4.61 s, after the loss "
                         "of node1 (crash-node, for good))")
    assert v.metrics == {"slowest_s": 4.61, "heals": 1, "bound_s": 10.0}
    assert v.evidence == {"heals": [{"t": 3.4, "what": "loss of node1 (crash-node, for good)"}],
                          "unserved": []}
