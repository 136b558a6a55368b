"""keepalived crashes or stops on the VIP owner: service must go on, one owner at a time."""

import pytest
from expectations import expected

from harness.expect import assert_result


@pytest.mark.chaos
@pytest.mark.parametrize("fault", ["kill-keepalived", "stop-keepalived"])
def test_keepalived_fault_on_owner(chaos, bundle_name, fault):
    assert_result(chaos(fault, target="owner", expected=expected(bundle_name, fault)))
