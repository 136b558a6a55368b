"""mysqld dies, stops or hangs on the VIP owner: the VIP must move, nothing acknowledged lost."""

import pytest
from expectations import expected

from harness.expect import assert_result


@pytest.mark.chaos
@pytest.mark.parametrize("fault", ["kill-mysqld", "stop-mysqld", "freeze-mysqld"])
def test_mysqld_fault_on_owner(chaos, bundle_name, fault):
    assert_result(chaos(fault, target="owner", expected=expected(bundle_name, fault)))
