"""Partitions: the owner isolated, VRRP only, replication only, one way."""

import pytest

from harness.outcome import assert_outcome

CASES = [
    ("isolate-node", "owner"),
    ("block-vrrp", "standby"),
    ("block-replication", "owner"),
    ("one-way-partition", "standby"),
]


@pytest.mark.chaos
@pytest.mark.parametrize(("fault", "target"), CASES, ids=[f"{f}-{t}" for f, t in CASES])
def test_partition(chaos, fault, target):
    assert_outcome(chaos(fault, target=target))
