"""The whole owner node freezes (docker pause) or crashes (docker kill) and comes back."""

import pytest

from harness import wait
from harness.faults import make_fault
from harness.outcome import assert_outcome


@pytest.mark.chaos
@pytest.mark.parametrize("fault", ["pause-node", "crash-node"])
def test_node_fault_on_owner(chaos, fault):
    assert_outcome(chaos(fault, target="owner"))


@pytest.mark.chaos
@pytest.mark.fault("crash-node")
def test_a_crashed_node_boots_with_no_stale_pidfile(pair):
    """A crash + restart is a boot: /run starts empty, as on any host (tmpfs). A container keeps
    its /run and restarts its PIDs from 1, so keepalived before 2.3.2, which believes a pidfile
    whose PID answers kill(pid, 0), refused to start ("daemon is already running") after a
    crash-node whenever the new boot reused its old PID (1 of ~12 restarts on 2.2.7)."""
    node = pair.node(pair.vip_owners()[0])
    node = pair.peer(node)  # the standby: no failover needed
    node.exec(["sh", "-c", "echo 1 > /run/vipchaos-stale.pid"])  # PID 1 is always alive
    with make_fault("crash-node", pair, node):
        pass
    assert node.exec(["sh", "-c", "ls /run/vipchaos-stale.pid 2>/dev/null || true"]) == ""
    assert wait.until(lambda: node.vcctl("status", "keepalived") == "running", timeout=30,
                      interval=0.5), "keepalived did not come back after the restart"
