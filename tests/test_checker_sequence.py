"""The invariants of sequences: service after every heal, redundancy after a restore, no
flapping, who committed what. Each is fed a clean case, a violation, and a missing observation
(unknown, never a pass)."""

from histories import (
    failover_history,
    fault,
    healed,
    op,
    proc,
    repl,
    run,
    vip,
    vrrp,
    without,
    write,
)

from harness.checkers.flapping import check_flapping
from harness.checkers.origin import check_origin
from harness.checkers.redundancy import check_redundancy
from harness.checkers.service import check_service


# --- service after every heal ------------------------------------------------------------
def test_a_write_after_the_heal_passes_service():
    v = check_service(failover_history())
    assert v.valid is True and v.metrics["heals"] == 1


def test_no_write_succeeding_after_the_heal_fails_service():
    ev = [e for e in failover_history() if not (e["kind"] == "op" and e["t"] > 8.0
                                                and e["type"] == "ok")]
    ev += [{"t": t, "kind": "op", "type": "fail", "id": f"x{t}", "f": "write"} for t in (9, 10, 11)]
    ev = sorted(ev + [{"t": t - 0.01, "kind": "op", "type": "invoke", "id": f"x{t}", "f": "write"}
                      for t in (9, 10, 11)], key=lambda e: e["t"])
    ev = [e for e in ev if e["kind"] != "final"] + [
        {**next(e for e in failover_history() if e["kind"] == "final"), "t": 30.0}]
    v = check_service(ev)
    assert v.valid is False and v.windows == [[8.0, 18.0]]


def test_no_write_attempted_after_the_heal_is_unknown():
    ev = without(failover_history(), lambda e: e["kind"] == "op" and e["t"] > 8.0)
    assert check_service(ev).valid is None


def test_nothing_healed_is_unknown():
    assert check_service(without(failover_history(), lambda e: e["kind"] == "fault")).valid is None


# --- redundancy after a restore ---------------------------------------------------------------
def _restored(*, peer_state="BACKUP", keepalived=1, restore_at=9.0, end=40.0):
    ev = [run(0.0, scenario="fail-restore-fail-kill-mysqld"), vip(0.0, "node1", True),
          vip(0.0, "node2", False), fault(2.0), vip(3.5, "node1", False), vip(4.0, "node2", True),
          vrrp(4.0, "node2", "MASTER"), vrrp(4.1, "node1", "STOP"), healed(8.0),
          {"t": restore_at, "kind": "action", "phase": "start", "action": "restore",
           "node": "node1", "step": 1},
          {"t": restore_at + 0.5, "kind": "action", "phase": "done", "action": "restore",
           "node": "node1", "step": 1},
          vrrp(restore_at + 1.0, "node1", peer_state), proc(restore_at + 1.0, "node1", keepalived),
          proc(0.5, "node2"), repl(restore_at + 1.2, "node1"), repl(restore_at + 1.2, "node2"),
          {"t": restore_at + 1.3, "kind": "check", "node": "node1", "script": "check_mysql",
           "ok": True},
          {"t": 0.6, "kind": "check", "node": "node2", "script": "check_mysql", "ok": True},
          {"t": end, "kind": "final", "nodes": {}, "vip_owners": ["node2"]}]
    return sorted(ev, key=lambda e: e["t"])


def test_a_pair_that_can_fail_over_again_is_redundant():
    v = check_redundancy(_restored())
    assert v.valid is True and v.metrics["restored_after_s"] == 0.8  # from the restore done


def test_a_restored_node_without_keepalived_is_not_redundant():
    v = check_redundancy(_restored(peer_state="STOP", keepalived=0))
    assert v.valid is False and "keepalived not running" in v.summary


def test_a_run_that_ends_before_the_bound_is_unknown():
    v = check_redundancy(_restored(peer_state="STOP", keepalived=0, end=12.0))
    assert v.valid is None


def test_no_restore_is_unknown():
    assert check_redundancy(failover_history()).valid is None


# --- flapping ------------------------------------------------------------------------------
def test_a_failover_explains_its_transitions():
    ev = sorted([*failover_history(), vrrp(3.9, "node2", "MASTER"), vrrp(3.5, "node1", "FAULT"),
                 vrrp(9.0, "node1", "BACKUP")], key=lambda e: e["t"])
    v = check_flapping(ev)
    assert v.valid is True and v.metrics["master_entries"] == 1


def test_a_vip_bouncing_without_a_cause_is_flapping():
    extra = [vrrp(t, "node2", "MASTER") for t in (3.9, 25.0, 27.0)]
    extra += [vip(24.0, "node2", False), vip(25.0, "node2", True), vip(26.0, "node2", False),
              vip(27.0, "node2", True)]
    ev = sorted([*failover_history(end=30.0), *extra], key=lambda e: e["t"])
    v = check_flapping(ev)
    assert v.valid is False and v.windows[0] == [25.0, 25.0]


def test_a_cascade_of_consequences_is_not_flapping():
    ev = sorted([*failover_history(), vrrp(2.1, "node1", "CRASH"), vrrp(2.2, "node1", "BACKUP"),
                 vrrp(5.0, "node1", "STOP"), vrrp(3.9, "node2", "MASTER")],
                key=lambda e: e["t"])
    assert check_flapping(ev).valid is True


def test_flapping_without_bounds_is_unknown():
    ev = [dict(e, bounds={}) if e["kind"] == "run" else e for e in failover_history()]
    assert check_flapping(ev).valid is None


# --- who committed what ----------------------------------------------------------------------
def test_every_write_on_the_vip_holder_passes_origin():
    assert check_origin(failover_history()).valid is True


def test_a_write_on_a_node_that_lost_the_vip_to_its_peer_fails_origin():
    ev = sorted([*failover_history(), *write(6.0, "stale", node="node1")], key=lambda e: e["t"])
    v = check_origin(ev)
    assert v.valid is False and v.metrics["by_second_master"] == 1 and v.windows == [[6.01, 6.01]]


def test_a_write_while_nobody_held_the_vip_is_reported_not_failed():
    ev = sorted([*failover_history(), *write(3.7, "orphan", node="node1")],
                key=lambda e: e["t"])
    v = check_origin(ev)
    assert v.valid is True and v.metrics["while_nobody_held"] == 1


def test_writes_without_a_server_or_unobserved_are_unknown():
    ev = [dict(e, node=None) if e["kind"] == "op" and e["type"] == "ok" else e
          for e in failover_history()]
    assert check_origin(ev).valid is None
    blind = [dict(e, held=None) if e["kind"] == "vip" else e for e in failover_history()]
    assert check_origin(blind).valid is None
    assert check_origin(without(failover_history(), lambda e: e["kind"] == "op")).valid is None


# --- the whole verdict, not just its validity (what reports and the judge read) ---------------
def test_service_verdict_in_full():
    v = check_service(failover_history())
    assert v.summary == ("a write succeeded after every heal (slowest 0.01 s, after the heal of "
                         "kill-mysqld)")
    assert v.metrics == {"slowest_s": 0.01, "heals": 1, "bound_s": 10.0} and v.windows == []


def test_redundancy_verdicts_in_full():
    ok = check_redundancy(_restored())
    assert ok.summary == ("redundant again 0.8 s after the restore (both keepalived, one MASTER "
                          "+ one BACKUP, checks and channels fine)")
    assert ok.metrics == {"restored_after_s": 0.8, "restores": 1, "bound_s": 20.0}
    bad = check_redundancy(_restored(peer_state="STOP", keepalived=0))
    assert bad.summary == ("20.0 s after restoring node1 the pair was not redundant: VRRP states "
                           "['MASTER', 'STOP'], not one MASTER and one BACKUP; node1: keepalived "
                           "not running")
    assert bad.metrics == {"restored_after_s": None, "restores": 1, "bound_s": 20.0}
    assert bad.windows == [[9.5, 29.5]] and bad.evidence["restore_at"]
    late = check_redundancy(_restored(peer_state="STOP", keepalived=0, end=12.0))
    assert late.summary == ("unknown: the run ended 2.5 s after the restore of node1, before the "
                            "20.0 s bound")
    assert check_redundancy(failover_history()).summary == "unknown: no restore in the history"


def test_redundancy_restored_only_at_the_bound_still_counts_and_one_tick_later_does_not():
    slow = check_redundancy(_restored(restore_at=9.0, end=40.0))
    assert slow.valid is True
    ev = [e for e in _restored() if not (e["kind"] == "vrrp" and e["node"] == "node1")]
    ev = sorted([*ev, vrrp(29.4, "node1", "BACKUP")], key=lambda e: e["t"])
    assert check_redundancy(ev).valid is True  # 19.9 s after the restore: within the bound
    ev = [e for e in _restored() if not (e["kind"] == "vrrp" and e["node"] == "node1")]
    ev = sorted([*ev, vrrp(29.6, "node1", "BACKUP")], key=lambda e: e["t"])
    assert check_redundancy(ev).valid is False  # 20.1 s: too late


def test_flapping_verdicts_in_full():
    ev = sorted([*failover_history(), vrrp(3.9, "node2", "MASTER"), vrrp(3.5, "node1", "FAULT"),
                 vrrp(9.0, "node1", "BACKUP")], key=lambda e: e["t"])
    ok = check_flapping(ev)
    again = sorted([*ev, vip(6.0, "node2", True)], key=lambda e: e["t"])
    assert check_flapping(again).metrics == ok.metrics  # held again is no move
    assert ok.summary == ("1 MASTER entries and 1 VIP moves (3 VRRP transitions), all explained "
                          "by the faults and actions")
    assert ok.metrics == {"vrrp_transitions": 3, "master_entries": 1, "vip_takes": 1,
                          "unexplained": 0}
    extra = [vrrp(t, "node2", "MASTER") for t in (3.9, 25.0, 27.0)]
    extra += [vip(24.0, "node2", False), vip(25.0, "node2", True), vip(26.0, "node2", False),
              vip(27.0, "node2", True)]
    bad = check_flapping(sorted([*failover_history(end=30.0), *extra], key=lambda e: e["t"]))
    assert bad.summary == ("4 MASTER entr(ies)/VIP move(s) no fault explains: 25.00s node2 "
                           "MASTER, 27.00s node2 MASTER, 25.00s node2 takes the VIP, 27.00s node2 "
                           "takes the VIP")
    assert bad.metrics == {"vrrp_transitions": 3, "master_entries": 3, "vip_takes": 3,
                           "unexplained": 4}
    assert bad.windows == [[25.0, 25.0], [27.0, 27.0], [25.0, 25.0], [27.0, 27.0]]


def test_origin_verdicts_in_full():
    ok = check_origin(failover_history())
    assert ok.summary == ("every write committed on the VIP's holder (0 while nobody held it, "
                          "by a surviving connection)")
    assert ok.metrics == {"acknowledged": 16, "by_second_master": 0, "while_nobody_held": 0,
                          "unattributable": 0}
    bad = check_origin(sorted([*failover_history(), *write(6.0, "stale", node="node1")],
                              key=lambda e: e["t"]))
    assert bad.summary == ("1 acknowledged write(s) committed on node1 while the VIP was on node2 "
                           "(first at t=6.01s): two masters took writes")
    assert bad.metrics == {"acknowledged": 17, "by_second_master": 1, "while_nobody_held": 0,
                           "unattributable": 0}


def test_a_write_in_flight_while_its_node_drops_the_vip_is_not_a_second_masters():
    """The commit happened somewhere between invoke and acknowledgement: a write sent to node2
    while it held the VIP and acknowledged at the instant it dropped it (the kernel's stream
    stamps the drop to the ms) is the VIP holder's; one sent after the drop is not."""
    base = [e for e in failover_history() if e["kind"] != "op"]
    flight = [op(19.90, "invoke", "w1"), op(19.922, "ok", "w1", node="node2"),
              op(19.95, "invoke", "w2"), op(19.97, "ok", "w2", node="node2")]
    ev = sorted([*base, vip(10.0, "node2", True), vip(19.922, "node2", False),
                 vip(19.922, "node1", True), *flight], key=lambda e: e["t"])
    v = check_origin(ev)
    assert v.valid is False and [w["id"] for w in v.evidence["by_second_master"]] == ["w2"]
    assert check_origin([e for e in ev if e.get("id") != "w2"]).valid is True
