"""keepalived crashes or stops on the VIP owner: service must go on, one owner at a time."""

import pytest

from harness.outcome import assert_outcome


@pytest.mark.chaos
@pytest.mark.parametrize("fault", ["kill-keepalived", "stop-keepalived"])
def test_keepalived_fault_on_owner(chaos, fault):
    assert_outcome(chaos(fault, target="owner"))
