"""mysqld dies, stops or hangs on the VIP owner: the VIP must move, nothing acknowledged lost."""

import pytest

from harness.outcome import assert_outcome


@pytest.mark.chaos
@pytest.mark.parametrize("fault", ["kill-mysqld", "stop-mysqld", "freeze-mysqld"])
def test_mysqld_fault_on_owner(chaos, fault):
    assert_outcome(chaos(fault, target="owner"))
