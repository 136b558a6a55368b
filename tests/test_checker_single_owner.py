from histories import vip

from harness.checkers import check_single_owner

NODES = ["node1", "node2"]


def test_clean_handover_passes():
    ev = [vip(0, "node1", True), vip(0, "node2", False), vip(3.0, "node1", False),
          vip(3.6, "node2", True), {"t": 10, "kind": "phase", "name": "done"}]
    v = check_single_owner(ev, nodes=NODES)
    assert v.valid is True
    assert v.metrics["dual_owner_s"] == 0
    assert v.metrics["no_owner_s"] == 0.6


def test_overlap_fails_with_window():
    ev = [vip(0, "node1", True), vip(0, "node2", False), vip(3.4, "node2", True),
          vip(9.0, "node2", False), {"t": 12, "kind": "phase", "name": "done"}]
    v = check_single_owner(ev, nodes=NODES)
    assert v.valid is False
    assert v.evidence["dual_windows"] == [
        {"start": 3.4, "end": 9.0, "duration": 5.6, "nodes": ["node1", "node2"]}]
    assert v.metrics["dual_owner_s"] == 5.6


def test_overlap_open_at_end_is_closed_at_last_event():
    ev = [vip(0, "node1", True), vip(0, "node2", False), vip(5, "node2", True),
          {"t": 7.5, "kind": "op", "type": "ok", "id": "x"}]
    v = check_single_owner(ev, nodes=NODES)
    assert v.valid is False
    assert v.metrics["dual_owner_s"] == 2.5


def test_expected_dual_is_still_reported_as_violation():
    ev = [vip(0, "node1", True), vip(0, "node2", True), vip(1, "node2", False)]
    v = check_single_owner(ev, nodes=NODES, expected_dual=True)
    assert v.valid is False
    assert v.evidence["expected"] is True
    assert "expected" in v.summary


def test_tolerance():
    ev = [vip(0, "node1", True), vip(0, "node2", False), vip(1.0, "node2", True),
          vip(1.05, "node1", False), vip(2, "node1", False)]
    assert check_single_owner(ev, nodes=NODES, tolerance_s=0.1).valid is True
    assert check_single_owner(ev, nodes=NODES).valid is False


def test_missing_probes_is_unknown():
    v = check_single_owner([vip(0, "node1", True)], nodes=NODES)
    assert v.valid is None
    assert "node2" in v.summary
