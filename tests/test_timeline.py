from histories import fault, vip, write

from harness.timeline import render


def test_timeline_folds_writes_per_second_and_orders_events():
    ev = [vip(0.1, "node1", True), *write(1.2, "a"), *write(1.4, "b", "fail", None),
          fault(2.0, name="pause-node")]
    out = render(ev).splitlines()
    assert "node1 takes the VIP" in out[0]
    assert "ok=1 fail=1" in out[1]
    assert "FAULT   pause-node on node1" in out[2]
