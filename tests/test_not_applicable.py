"""A fault with nothing to act on in the pair's present state (an explored sequence can stop
keepalived before it draws kill-keepalived) says so, instead of failing as a harness error;
the scenario records the step as not applicable and goes on."""

import pytest
from fakes import fake_pair

from harness.errors import FaultNotApplicable
from harness.faults import make_fault


def test_kill_keepalived_without_keepalived_is_not_applicable():
    c = fake_pair()
    c.nodes[1].container.services["keepalived"] = "stopped"
    f = make_fault("kill-keepalived", c, c.nodes[1])
    with pytest.raises(FaultNotApplicable, match="keepalived is not running on node2"):
        f.start()


def test_stall_applier_needs_an_answering_mysqld_and_a_running_receiver(monkeypatch):
    c = fake_pair()
    node = c.nodes[1]
    node.container.services["mysqld"] = "stopped"
    with pytest.raises(FaultNotApplicable, match="does not answer"):
        make_fault("stall-applier", c, node).start()
    node.container.services["mysqld"] = "running"
    monkeypatch.setattr(type(node), "replica_status", lambda self: [
        {"Replica_IO_Running": "Connecting", "Replica_SQL_Running": "Yes"}])
    with pytest.raises(FaultNotApplicable, match="receiver on node2 is not running"):
        make_fault("stall-applier", c, node).start()


def test_a_scenario_records_a_step_that_found_nothing_to_do_and_goes_on():
    from harness.history import History
    from harness.recorder import Recorder
    c = fake_pair()
    c.nodes[0].container.services["keepalived"] = "stopped"
    h = History()
    done = Recorder(c, h).inject("kill-keepalived", "owner", step=0)
    fault = done.fault
    assert done.phase == "not-applicable" and not fault.active and c.active_faults == []
    ev = [e for e in h.events() if e["kind"] == "fault"]
    assert [e["phase"] for e in ev] == ["not-applicable"]
    assert "nothing to kill" in ev[0]["detail"]
