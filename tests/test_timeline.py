"""The text timeline, in the scenario's own clock (0 = the timeline's start)."""

from histories import fault, healed, phase, vip, vrrp, write

from harness.timeline import render


def test_timeline_folds_writes_per_second_and_orders_events():
    ev = [vip(0.1, "node1", True), *write(1.2, "a"), *write(1.4, "b", "fail", None),
          fault(2.0, name="pause-node")]
    out = render(ev).splitlines()
    assert "node1 takes the VIP" in out[0]
    assert "ok=1 fail=1" in out[1] and "(acked by node1)" in out[1]
    assert "FAULT   pause-node on node1  [verified]" in out[2]


def test_times_are_in_the_scenario_clock():
    """The timeline phase at 2.5 s of the history is 0 s of the scenario (an incident's
    ``at: 5s`` reads 5.00s)."""
    ev = [phase(2.5, "timeline"), vip(1.0, "node1", True), fault(7.5), healed(12.5),
          vrrp(8.0, "node2", "MASTER")]
    out = render(ev).splitlines()
    assert out[0].strip().startswith("-1.50s") and "node1 takes the VIP" in out[0]
    assert out[1].strip().startswith("5.00s") and "FAULT" in out[1]
    assert out[2].strip().startswith("5.50s") and "vrrp    node2 -> MASTER" in out[2]
    assert out[3].strip().startswith("10.00s") and "HEAL" in out[3]


def test_without_a_timeline_phase_the_history_clock_is_used():
    assert render([fault(3.0)]).strip().startswith("3.00s")


def test_unobservable_vip_and_observer_errors_are_shown():
    ev = [vip(1.0, "node2", None, why="fib_trie unreadable: denied"),
          {"t": 2.0, "kind": "observer_error", "observer": "vip", "node": "node2",
           "error": "fib_trie unreadable"}]
    out = render(ev)
    assert "node2 not observable (fib_trie unreadable: denied)" in out
    assert "UNSEEN  vip node2: fib_trie unreadable" in out


def test_writes_of_different_seconds_are_separate_lines():
    ev = [*write(0.2, "a"), *write(0.4, "b", "unknown", None), *write(3.1, "c", "ok", "node2")]
    out = render(ev).splitlines()
    assert len(out) == 2
    assert "ok=1 unknown=1" in out[0] and "(acked by node1)" in out[0]
    assert out[1].strip().startswith("3s") and "(acked by node2)" in out[1]
