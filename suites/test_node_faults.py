"""The whole owner node freezes (docker pause) or crashes (docker kill) and comes back."""

import pytest

from harness.outcome import assert_outcome


@pytest.mark.chaos
@pytest.mark.parametrize("fault", ["pause-node", "crash-node"])
def test_node_fault_on_owner(chaos, fault):
    assert_outcome(chaos(fault, target="owner"))
