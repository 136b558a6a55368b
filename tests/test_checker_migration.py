from histories import failover_history, fault, vip, write

from harness.checkers import check_migration


def test_failover_within_bound_passes():
    v = check_migration(failover_history(4.0, 4.5), faulted=["node1"], bound_s=10)
    assert v.valid is True
    assert v.metrics["vip_moved_s"] == 2.0
    assert v.metrics["failover_s"] == 2.51
    assert v.evidence["new_owner"] == "node2"


def test_failover_over_bound_fails():
    v = check_migration(failover_history(9.0, 9.5), faulted=["node1"], bound_s=5)
    assert v.valid is False
    assert "over" in v.summary


def test_vip_never_moves_fails():
    ev = [vip(0, "node1", True), vip(0, "node2", False), fault(2.0)]
    ev += write(3.0, "x", outcome="fail", node=None)
    v = check_migration(ev, faulted=["node1"], bound_s=10)
    assert v.valid is False
    assert "never moved" in v.summary


def test_vip_moves_but_no_write_succeeds_fails():
    ev = [vip(0, "node1", True), vip(0, "node2", False), fault(2.0), vip(4, "node2", True)]
    ev += write(5.0, "x", outcome="unknown", node="node2")
    v = check_migration(ev, faulted=["node1"], bound_s=10)
    assert v.valid is False
    assert "no write" in v.summary


def test_write_acked_by_faulted_node_does_not_count():
    ev = [vip(0, "node1", True), vip(0, "node2", False), fault(2.0), vip(4, "node2", True)]
    ev += write(5.0, "x", node="node1")
    assert check_migration(ev, faulted=["node1"], bound_s=10).valid is False


def test_service_continuity_when_vip_need_not_move():
    ev = [vip(0, "node1", True), vip(0, "node2", False), fault(2.0)]
    ev += write(2.5, "x", node="node1")
    v = check_migration(ev, faulted=["node2"], bound_s=10, must_move=False)
    assert v.valid is True
    assert v.metrics["failover_s"] == 0.51
    ev2 = [vip(0, "node1", True), vip(0, "node2", False), fault(2.0)]
    ev2 += write(1.0, "y") + write(20.0, "z")
    v2 = check_migration(ev2, faulted=["node2"], bound_s=10, must_move=False)
    assert v2.valid is False
    assert v2.metrics["write_gap_s"] == 19.0


def test_long_outage_after_a_first_write_fails_continuity():
    ev = [vip(0, "node1", True), vip(0, "node2", False), fault(2.0)]
    ev += write(2.1, "a") + write(15.0, "b") + write(15.2, "c")
    v = check_migration(ev, faulted=["node1"], bound_s=10, must_move=False)
    assert v.valid is False and "over" in v.summary


def test_no_fault_is_unknown():
    v = check_migration([vip(0, "node1", True)], faulted=["node1"], bound_s=10)
    assert v.valid is None
