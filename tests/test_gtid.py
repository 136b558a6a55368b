import pytest

from harness.checkers import gtid

A = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
B = "4e11fa47-71ca-11e1-9e33-c80aa9429562"


def test_parse_merges_and_normalises():
    s = gtid.parse(f"{A}:1-3:4-5:9,\n{B.upper()}:7")
    assert s == {A: [(1, 5), (9, 9)], B: [(7, 7)]}
    assert gtid.format_set(s) == f"{A}:1-5:9,{B}:7"


def test_empty_set():
    assert gtid.parse("") == {}
    assert gtid.equal("", " ")


def test_subset_difference_equal():
    assert gtid.is_subset(f"{A}:1-5", f"{A}:1-10")
    assert not gtid.is_subset(f"{A}:1-11", f"{A}:1-10")
    assert gtid.difference(f"{A}:1-10,{B}:1-2", f"{A}:2-9") == f"{A}:1:10,{B}:1-2"
    assert gtid.equal(f"{A}:1-3,{B}:1", f"{B}:1,{A}:1-2:3")


def test_tagged_gtids_are_kept_apart():
    s = gtid.parse(f"{A}:1-3:mytag:1-2")
    assert s == {A: [(1, 3)], f"{A}:mytag": [(1, 2)]}
    assert not gtid.equal(f"{A}:1-3", f"{A}:1-3:mytag:1")


@pytest.mark.parametrize("bad", ["nonsense:1-2", f"{A}:5-2", f"{A}:0", f"{A}:1-x"])
def test_garbage_is_rejected(bad):
    with pytest.raises(ValueError, match="GTID"):
        gtid.parse(bad)


def test_empty_parts_are_skipped_not_the_end():
    assert gtid.parse(f"{A}:1-3,,{B}:1") == {A: [(1, 3)], B: [(1, 1)]}
    assert gtid.parse(f",{A}:2") == {A: [(2, 2)]}


def test_tags_may_be_upper_case():
    assert gtid.parse(f"{A}:MyTag_1:4") == {f"{A}:mytag_1": [(4, 4)]}


def test_adjacent_intervals_merge_but_gaps_stay():
    assert gtid.parse(f"{A}:1-3:4-5") == {A: [(1, 5)]}
    assert gtid.parse(f"{A}:1-3:5-6") == {A: [(1, 3), (5, 6)]}
    assert gtid.parse(f"{A}:1-9:2-3") == {A: [(1, 9)]}


def test_difference_against_intervals_before_and_after():
    assert gtid.difference(f"{A}:1-3", f"{A}:7-9") == f"{A}:1-3"
    assert gtid.difference(f"{A}:5-10", f"{A}:1-2") == f"{A}:5-10"
    assert gtid.difference(f"{A}:4-10", f"{A}:1-2:5-6") == f"{A}:4:7-10"
    assert gtid.difference(f"{A}:1-10", f"{A}:1-10") == ""


def test_parsed_sets_are_accepted_as_they_are():
    parsed = gtid.parse(f"{A}:1-3")
    assert gtid.equal(parsed, f"{A}:1-3")
    assert gtid.difference(parsed, {}) == f"{A}:1-3"
