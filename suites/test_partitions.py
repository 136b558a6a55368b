"""Partitions: the owner isolated, VRRP only, replication only, one way."""

import pytest
from expectations import expected

from harness.expect import assert_result

CASES = [
    ("isolate-node", "owner"),
    ("block-vrrp", "standby"),
    ("block-replication", "owner"),
    ("one-way-partition", "standby"),
]


@pytest.mark.chaos
@pytest.mark.parametrize(("fault", "target"), CASES, ids=[f"{f}-{t}" for f, t in CASES])
def test_partition(chaos, bundle_name, fault, target):
    assert_result(chaos(fault, target=target, expected=expected(bundle_name, fault)))
