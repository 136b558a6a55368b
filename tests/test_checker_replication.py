from histories import final, node_state

from harness.checkers import check_replication

A = "3e11fa47-71ca-11e1-9e33-c80aa9429562"


def test_healthy_pair_passes():
    v = check_replication(final(node_state([]), node_state([])))
    assert v.valid is True
    assert v.metrics["converged_after_s"] == 1.0


def test_stopped_channel_fails():
    v = check_replication(final(node_state([]), node_state([], sql=False,
                          error="Error 1062 Duplicate entry '7' for key 'tickets.PRIMARY'")))
    assert v.valid is False
    assert "1062" in v.summary


def test_gtid_mismatch_fails_with_difference():
    v = check_replication(final(node_state([], gtid=f"{A}:1-12"), node_state([], gtid=f"{A}:1-10")))
    assert v.valid is False
    assert v.evidence["gtid_missing"] == {"node2 lacks": f"{A}:11-12"}


def test_checksum_mismatch_fails():
    v = check_replication(final(node_state([], checksum=1), node_state([], checksum=2)))
    assert v.valid is False
    assert "CHECKSUM" in v.summary


def test_no_channel_fails():
    n2 = node_state([])
    n2["channels"] = []
    assert check_replication(final(node_state([]), n2)).valid is False


def test_unreachable_or_missing_is_unknown():
    assert check_replication(final(node_state([]), {"reachable": False})).valid is None
    n2 = node_state([])
    n2["checksum"] = None
    assert check_replication(final(node_state([]), n2)).valid is None
    assert check_replication({}).valid is None
    n2 = node_state([], gtid="garbage")
    assert check_replication(final(node_state([]), n2)).valid is None
