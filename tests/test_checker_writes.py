"""Acknowledged writes: each ok write present once after convergence, no failed write applied,
no row of ours on one node only; no acknowledged write at all is unknown."""

from histories import final, node_state, op, run, write

from harness.checkers import check_writes


def history(ops, n1_ids, n2_ids, owners=("node1",), n1=None, n2=None):
    return [run(0.0), *ops, final(20.0, n1 or node_state(n1_ids), n2 or node_state(n2_ids),
                                  owners=owners)]


OPS = [*write(1.0, "a"), *write(2.0, "b"), *write(3.0, "c", "fail"), *write(4.0, "d", "unknown")]


# --- pass -----------------------------------------------------------------------------------
def test_all_acknowledged_present_passes():
    v = check_writes(history(OPS, ["a", "b"], ["a", "b"]))
    assert v.valid is True
    assert v.metrics == {"ok": 2, "fail": 1, "unknown": 1, "lost": 0, "duplicated": 0,
                         "errant": 0, "unknown_present": 0, "unknown_absent": 1}
    assert v.summary == "all 2 acknowledged writes present once; 1 unknown (0 applied)"
    assert v.evidence["judged_on"] == ["node1"]


def test_an_unknown_write_applied_on_both_is_fine():
    v = check_writes(history(OPS, ["a", "b", "d"], ["a", "b", "d"]))
    assert v.valid is True
    assert v.metrics["unknown_present"] == 1 and v.metrics["unknown_absent"] == 0
    assert "1 unknown (1 applied)" in v.summary


def test_rows_not_written_by_us_are_ignored():
    assert check_writes(history(OPS, ["a", "b", "zz", "zz"], ["a", "b", "zz", "zz"])).valid


# --- FAIL -----------------------------------------------------------------------------------
def test_lost_write_fails():
    v = check_writes(history(OPS, ["a"], ["a"]))
    assert v.valid is False
    assert v.evidence["lost"] == ["b"]
    assert v.metrics["lost"] == 1
    assert v.windows == [[2.01, 2.01]]
    assert v.summary == "1 lost of 2 acknowledged writes (first: b)"


def test_lost_on_the_owner_counts_even_if_the_other_node_has_it():
    v = check_writes(history(OPS, ["a"], ["a", "b"], owners=("node1",)))
    assert v.valid is False
    assert v.evidence["lost"] == ["b"] and v.evidence["errant"] == ["b"]


def test_without_a_single_owner_every_node_is_judged():
    v = check_writes(history(OPS, ["a", "b"], ["a"], owners=()))
    assert v.valid is False
    assert v.evidence["judged_on"] == ["node1", "node2"]
    assert v.evidence["lost"] == ["b"]
    v2 = check_writes(history(OPS, ["a", "b"], ["a", "b"], owners=("node1", "node2")))
    assert v2.valid is True and v2.evidence["judged_on"] == ["node1", "node2"]


def test_lost_writes_are_ordered_by_acknowledgement():
    ops = [*write(5.0, "late"), *write(1.0, "early")]
    v = check_writes(history(ops, [], []))
    assert v.evidence["lost"] == ["early", "late"]
    assert v.windows == [[1.01, 5.01]]


def test_duplicate_fails():
    v = check_writes(history(OPS, ["a", "b", "b"], ["a", "b", "b"]))
    assert v.valid is False
    assert v.evidence["duplicated"] == ["b"] and v.metrics["duplicated"] == 1
    assert "1 duplicated" in v.summary


def test_a_duplicate_on_either_node_alone_fails():
    """A duplicate counted on one node only (a seeded bug) would miss these."""
    for n1_ids, n2_ids in ((["a", "b"], ["a", "b", "b"]), (["a", "b", "b"], ["a", "b"])):
        v = check_writes(history(OPS, n1_ids, n2_ids))
        assert v.valid is False and v.evidence["duplicated"] == ["b"], (n1_ids, n2_ids)
    v = check_writes(history(OPS, ["a", "b"], ["a", "b", "b"], owners=("node2",)))
    assert v.valid is False and v.signature == ["writes duplicated"]


def test_failed_write_present_fails():
    v = check_writes(history(OPS, ["a", "b", "c"], ["a", "b", "c"]))
    assert v.valid is False
    assert v.evidence["failed_present"] == ["c"]
    assert "1 failed-but-present" in v.summary and "(first: c)" in v.summary
    assert v.windows == [[3.01, 3.01]]  # when the client was told it failed


def test_unknown_on_one_node_only_is_errant():
    v = check_writes(history(OPS, ["a", "b", "d"], ["a", "b"]))
    assert v.valid is False
    assert v.evidence["errant"] == ["d"] and v.metrics["errant"] == 1


def test_every_problem_is_counted():
    v = check_writes(history(OPS, ["a", "a", "c"], ["a", "a", "c"]))
    assert v.valid is False
    assert v.summary.startswith("1 lost, 1 duplicated, 1 failed-but-present of 2 ")


def test_invoke_without_outcome_counts_as_unknown():
    ops = [*write(1.0, "a"), op(2.0, "invoke", "x")]
    v = check_writes(history(ops, ["a"], ["a"]))
    assert v.valid is True and v.metrics["unknown"] == 1
    v2 = check_writes(history(ops, ["a", "x"], ["a"]))
    assert v2.valid is False and v2.evidence["errant"] == ["x"]


def test_outcome_before_invoke_in_the_list_keeps_the_outcome():
    ops = [op(1.01, "ok", "a", "node1"), op(1.0, "invoke", "a")]
    assert check_writes(history(ops, ["a"], ["a"])).metrics["ok"] == 1


def test_evidence_is_capped():
    ops = [e for k in range(30) for e in write(k, f"id{k:02}")]
    v = check_writes(history(ops, [], []))
    assert v.metrics["lost"] == 30 and len(v.evidence["lost"]) == 20


# --- unknown --------------------------------------------------------------------------------
def test_zero_acknowledged_writes_is_unknown():
    ops = [*write(1.0, "a", "fail"), *write(2.0, "b", "unknown")]
    v = check_writes(history(ops, [], []))
    assert v.valid is None
    assert v.summary == ("unknown: no acknowledged write (2 attempted): nothing to judge "
                         "durability on")


def test_no_write_at_all_is_unknown():
    assert check_writes(history([], [], [])).valid is None


def test_no_final_state_is_unknown():
    v = check_writes([run(0.0), *OPS])
    assert v.valid is None and v.summary == "unknown: no final state in the history"


def test_an_unreachable_node_is_unknown():
    v = check_writes(history(OPS, ["a", "b"], [], n2=node_state([], reachable=False)))
    assert v.valid is None and v.summary == "unknown: cannot read ['node2']"


def test_no_readable_node_is_unknown():
    down = node_state([], reachable=False)
    v = check_writes(history(OPS, [], [], n1=down, n2=down))
    assert v.valid is None and "no readable final state" in v.summary


def test_missing_write_ids_is_unknown():
    n2 = node_state(["a", "b"])
    del n2["write_ids"]
    v = check_writes(history(OPS, ["a", "b"], [], n2=n2))
    assert v.valid is None and "no readable final state" in v.summary


def test_an_empty_final_state_is_unknown():
    ev = [run(0.0), *OPS, {"t": 20.0, "kind": "final", "nodes": {}, "vip_owners": []}]
    assert check_writes(ev).valid is None


def test_every_writes_verdict_names_its_invariant():
    down = node_state([], reachable=False)
    n2 = node_state(["a", "b"])
    del n2["write_ids"]
    for ev in (history(OPS, ["a", "b"], ["a", "b"]), history(OPS, ["a"], ["a"]),
               [run(0.0), *OPS], history(OPS, ["a", "b"], [], n2=down),
               history(OPS, [], [], n1=down, n2=down), history([], [], []),
               history(OPS, ["a", "b"], [], n2=n2)):
        assert check_writes(ev).invariant == "writes"
    assert check_writes(history(OPS, ["a", "b"], [], n2=n2)).summary == \
        "unknown: no readable final state of any node"


def test_lost_writes_are_ordered_by_acknowledgement_not_by_id():
    ops = [*write(5.0, "a"), *write(1.0, "b")]
    assert check_writes(history(ops, [], [])).evidence["lost"] == ["b", "a"]


def test_errant_writes_are_named_in_the_summary():
    v = check_writes(history(OPS, ["a", "b", "d"], ["a", "b"]))
    assert v.summary == "1 errant of 2 acknowledged writes (first: d)"
