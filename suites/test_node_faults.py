"""The whole owner node freezes (docker pause) or crashes (docker kill) and comes back."""

import pytest
from expectations import expected

from harness.expect import assert_result


@pytest.mark.chaos
@pytest.mark.parametrize("fault", ["pause-node", "crash-node"])
def test_node_fault_on_owner(chaos, bundle_name, fault):
    assert_result(chaos(fault, target="owner", expected=expected(bundle_name, fault)))
