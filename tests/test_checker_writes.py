from histories import final, node_state, write

from harness.checkers import check_writes


def hist():
    return write(1, "a") + write(2, "b") + write(3, "c", "fail", None) + write(4, "d", "unknown")


def test_all_acknowledged_present_passes():
    v = check_writes(hist(), final(node_state(["a", "b", "d", "other"]),
                                   node_state(["a", "b", "d", "other"])))
    assert v.valid is True
    assert v.metrics == {"ok": 2, "fail": 1, "unknown": 1, "lost": 0, "duplicated": 0,
                         "errant": 0, "unknown_present": 1, "unknown_absent": 0}


def test_lost_write_fails():
    v = check_writes(hist(), final(node_state(["a"]), node_state(["a"])))
    assert v.valid is False
    assert v.evidence["lost"] == ["b"]


def test_lost_on_the_owner_counts_even_if_the_other_node_has_it():
    v = check_writes(hist(), final(node_state(["a"]), node_state(["a", "b"]), owner="node1"))
    assert v.valid is False
    assert v.evidence["lost"] == ["b"]
    assert v.evidence["errant"] == ["b"]


def test_duplicate_fails():
    v = check_writes(hist(), final(node_state(["a", "b", "b"]), node_state(["a", "b", "b"])))
    assert v.valid is False
    assert v.evidence["duplicated"] == ["b"]


def test_failed_write_present_fails():
    v = check_writes(hist(), final(node_state(["a", "b", "c"]), node_state(["a", "b", "c"])))
    assert v.valid is False
    assert v.evidence["failed_present"] == ["c"]


def test_unknown_on_one_node_only_is_errant():
    v = check_writes(hist(), final(node_state(["a", "b", "d"]), node_state(["a", "b"])))
    assert v.valid is False
    assert v.evidence["errant"] == ["d"]


def test_unreadable_final_state_is_unknown():
    assert check_writes(hist(), final(node_state(["a"]), {"reachable": False})).valid is None
    assert check_writes(hist(), {"nodes": {}}).valid is None
