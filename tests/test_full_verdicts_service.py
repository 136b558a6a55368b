"""Full verdicts of service, single owner and migration: each history below is built to sit on
one edge of the checker (a write at the instant of a heal, exactly at the bound, the run ending
exactly at the bound, ties between heals, a poller contradicting the stream just over the
tolerance) and the verdict is asserted in full: validity, summary, evidence, metrics, windows,
signature."""

from histories import (
    failover_history,
    fault,
    final,
    healed,
    node_state,
    op,
    run,
    vip,
    watched,
    without,
    write,
)

from harness.checkers import check_migration, check_service, check_single_owner
from harness.checkers.migration import _one
from harness.checkers.service import heal_points
from harness.checkers.verdict import Verdict


# --- service ------------------------------------------------------------------------------------
def action(t, name, node="node1", phase="done"):
    return {"t": t, "kind": "action", "phase": phase, "action": name, "node": node, "step": 1}


def service_history(*extra, bound=10.0, end=20.0):
    ev = [run(0.0, bounds={"migration_s": bound, "observer_gap_s": 1.0}), *extra, final(end)]
    return sorted(ev, key=lambda e: e["t"])


def test_service_without_any_heal_is_unknown():
    assert check_service([run(0.0), *write(1.0, "a")]) == Verdict(
        "service", None, "unknown: nothing was healed in the history")


def test_service_without_the_bound_is_unknown():
    assert check_service([fault(1.0), healed(5.0), *write(6.0, "a")]) == Verdict(
        "service", None, "unknown: the history does not say the bound (no run event)")
    no_bound = [run(0.0, bounds={"observer_gap_s": 1.0}), healed(5.0), *write(6.0, "a")]
    assert check_service(no_bound).summary == \
        "unknown: the history does not say the bound (no run event)"


def test_heal_points_are_heals_losses_and_restoring_actions_done():
    loss = {**fault(3.0, name="crash-node", nodes=("node1", "node2")), "never": True,
            "verified_at": 3.25}
    ev = [run(0.0), fault(1.0), healed(5.0),
          loss,
          action(6.0, "stop-mysqld"),  # not restoring
          action(6.5, "restart-mysqld", "node2", phase="start"),  # not done yet
          action(7.0, "restart-mysqld", "node2"),
          action(7.5, "restore", phase="failed"),
          {"t": 8.0, "kind": "step", "phase": "done", "action": "restore", "node": "node1"},
          action(9.0, "start-keepalived")]
    assert heal_points(ev) == [(3.25, "loss of node1+node2 (crash-node, for good)"),
                               (5.0, "heal of kill-mysqld"),
                               (7.0, "restart-mysqld on node2"),
                               (9.0, "start-keepalived on node1")]


def test_service_after_a_restoring_action_passes_in_full():
    ev = service_history(fault(1.0), healed(4.0), action(7.0, "restart-mysqld", "node2"),
                         *write(4.5, "a"), *write(12.0, "b", node="node2"))
    v = check_service(ev)
    heals = [{"t": 4.0, "what": "heal of kill-mysqld"},
             {"t": 7.0, "what": "restart-mysqld on node2"}]
    assert v == Verdict("service", True, "a write succeeded after every heal (slowest 5.01 s, "
                        "after the restart-mysqld on node2)", {"heals": heals, "unserved": []},
                        {"slowest_s": 5.01, "heals": 2, "bound_s": 10.0})


def test_the_slowest_comeback_is_the_one_reported_not_the_last():
    """Heal at 2 served after 2.01 s, action at 6 served after 0.51 s: the slowest is the
    first."""
    ev = service_history(healed(2.0), action(6.0, "start-mysqld"),
                         *write(1.0, "a"), *write(4.0, "b"), *write(6.5, "c"))
    v = check_service(ev)
    assert v.valid is True
    assert v.summary == ("a write succeeded after every heal (slowest 2.01 s, after the heal of "
                         "kill-mysqld)")
    assert v.metrics == {"slowest_s": 2.01, "heals": 2, "bound_s": 10.0}


def test_equally_slow_comebacks_report_the_later_one():
    ev = service_history(healed(2.0), action(6.0, "start-mysqld"),
                         op(3.0, "invoke", "b"), op(3.5, "ok", "b", "node1"),
                         op(7.0, "invoke", "c"), op(7.5, "ok", "c", "node1"))
    v = check_service(ev)
    assert v.summary == ("a write succeeded after every heal (slowest 1.50 s, after the "
                         "start-mysqld on node1)")
    assert v.metrics["slowest_s"] == 1.5


def test_the_slowest_comeback_is_rounded_to_the_millisecond():
    ev = service_history(healed(5.0), op(5.05, "invoke", "a"), op(5.1237, "ok", "a", "node1"))
    v = check_service(ev)
    assert v.metrics["slowest_s"] == 0.124
    assert v.summary == ("a write succeeded after every heal (slowest 0.12 s, after the heal of "
                         "kill-mysqld)")


def test_a_write_acknowledged_at_the_instant_of_the_heal_counts():
    ev = service_history(healed(5.0), op(4.99, "invoke", "a"), op(5.0, "ok", "a", "node1"))
    v = check_service(ev)
    assert v.valid is True
    assert v.metrics == {"slowest_s": 0.0, "heals": 1, "bound_s": 10.0}
    assert v.summary == ("a write succeeded after every heal (slowest 0.00 s, after the heal of "
                         "kill-mysqld)")


def test_a_write_acknowledged_exactly_at_the_bound_is_in_time():
    ev = service_history(healed(5.0), op(14.99, "invoke", "a"), op(15.0, "ok", "a", "node1"))
    v = check_service(ev)
    assert v.valid is True
    assert v.metrics == {"slowest_s": 10.0, "heals": 1, "bound_s": 10.0}


def test_no_write_after_the_heal_never_served_fails_in_full():
    """A write invoked at the instant of the heal was attempted; none was acknowledged ever."""
    ev = service_history(fault(1.0), healed(5.0), *write(5.0, "a", "fail"))
    v = check_service(ev)
    assert v == Verdict(
        "service", False, "after the heal of kill-mysqld (t=5.0s) a write through the VIP "
        "never succeeded (bound 10.0 s)",
        {"heals": [{"t": 5.0, "what": "heal of kill-mysqld"}],
         "unserved": [{"at": 5.0, "after": "heal of kill-mysqld", "first_write": None}]},
        {"slowest_s": None, "heals": 1, "bound_s": 10.0},
        windows=[[5.0, 15.0]], signature=["no service after the heal of kill-mysqld"])


def test_a_write_invoked_at_the_end_of_the_bound_was_attempted():
    ev = service_history(healed(5.0), op(15.0, "invoke", "a"))
    v = check_service(ev)
    assert v.valid is False
    assert v.evidence["unserved"] == [{"at": 5.0, "after": "heal of kill-mysqld",
                                       "first_write": None}]


def test_a_run_ending_exactly_at_the_bound_can_tell():
    ev = service_history(healed(5.0), *write(6.0, "a", "fail"), end=15.0)
    v = check_service(ev)
    assert v.valid is False
    assert v.windows == [[5.0, 15.0]]
    assert v.summary.endswith("never succeeded (bound 10.0 s)")


def test_a_run_ending_before_the_bound_cannot_tell():
    """A write was attempted (and failed); the run ended before the bound: unknown, saying
    that the run ended, not that nothing was attempted."""
    ev = service_history(healed(5.0), *write(6.0, "a", "fail"), end=12.0)
    assert check_service(ev) == Verdict(
        "service", None, "unknown: the run ended 7.0 s after the heal of kill-mysqld, before "
        "the bound (10.0 s), with no write through the VIP yet")


def test_no_write_attempted_after_the_heal_is_unknown_naming_it():
    ev = service_history(healed(5.0), *write(1.0, "a"),
                         action(8.0, "reload-keepalived", "node2"))
    assert check_service(ev) == Verdict(
        "service", None,
        "unknown: no write attempted within the bound after the heal of kill-mysqld")


def test_an_unattempted_heal_does_not_hide_a_later_failed_one():
    ev = service_history(healed(2.0), action(10.0, "restart-keepalived"),
                         *write(10.5, "a", "fail"), bound=3.0)
    v = check_service(ev)
    assert v.valid is False
    assert v.summary == ("after the restart-keepalived on node1 (t=10.0s) a write through the "
                         "VIP never succeeded (bound 3.0 s)")
    assert v.signature == ["no service after restart-keepalived on node1"]


def test_every_late_comeback_is_a_window_and_a_finding():
    ev = service_history(fault(1.0), healed(2.0), action(8.0, "start-keepalived"),
                         *write(2.5, "a", "fail"), *write(8.5, "b", "fail"),
                         *write(14.99, "c"), bound=3.0)
    v = check_service(ev)
    assert v == Verdict(
        "service", False, "after the heal of kill-mysqld (t=2.0s) a write through the VIP "
        "succeeded only after 13.0 s (bound 3.0 s)",
        {"heals": [{"t": 2.0, "what": "heal of kill-mysqld"},
                   {"t": 8.0, "what": "start-keepalived on node1"}],
         "unserved": [{"at": 2.0, "after": "heal of kill-mysqld", "first_write": 15.0},
                      {"at": 8.0, "after": "start-keepalived on node1", "first_write": 15.0}]},
        {"slowest_s": None, "heals": 2, "bound_s": 3.0},
        windows=[[2.0, 5.0], [8.0, 11.0]],
        signature=["no service after the heal of kill-mysqld",
                   "no service after start-keepalived on node1"])


def test_a_write_the_node_lost_for_good_acknowledged_is_no_comeback():
    loss = {**fault(3.0, name="crash-node"), "never": True, "verified_at": 3.2}
    ev = [run(0.0), *write(1.0, "a"), loss, *write(4.0, "b"),  # acked by the lost node1
          *write(20.0, "c", node="node2"),
          final(30.0, node_state([], reachable=False), node_state(["a", "c"]),
                owners=("node2",))]
    v = check_service(ev)
    assert v == Verdict(
        "service", False, "after the loss of node1 (crash-node, for good) (t=3.2s) a write "
        "through the VIP succeeded only after 16.8 s (bound 10.0 s)",
        {"heals": [{"t": 3.2, "what": "loss of node1 (crash-node, for good)"}],
         "unserved": [{"at": 3.2, "after": "loss of node1 (crash-node, for good)",
                       "first_write": 20.01}]},
        {"slowest_s": None, "heals": 1, "bound_s": 10.0},
        windows=[[3.2, 13.2]], signature=["no service after loss of node1 (crash-node, for good)"])


# --- single owner: a poller contradicting the stream --------------------------------------------
def stream(t, node, state):
    return {"t": t, "kind": "stream", "stream": "addr", "node": node, "state": state,
            "why": "test"}


def kvip(t, node, held, source="kernel"):
    return {"t": t, "kind": "vip", "node": node, "held": held, "why": source, "source": source}


def pvip(t, node, held):
    return {"t": t, "kind": "vip", "node": node, "held": held, "why": "fib", "source": "poll"}


def test_a_poller_contradicting_both_streams_is_unknown_in_full():
    """node1 holds the VIP until 13.5 by its stream, node2 from 13.6; the poller reads node1
    without it four times (the last 1.5 s before the stream says so: over the 1 s tolerance)
    and node2 with it once, long before the take."""
    ev = sorted([run(0.0), stream(0.0, "node1", "up"), stream(0.0, "node2", "up"),
                 kvip(0.0, "node1", True, "dump"), kvip(0.0, "node2", False, "dump"),
                 pvip(3.0, "node1", False), pvip(3.5, "node1", False),
                 pvip(8.0, "node1", False), pvip(10.0, "node2", True),
                 pvip(12.0, "node1", False),
                 kvip(13.5, "node1", False), kvip(13.6, "node2", True), final(20.0)],
                key=lambda e: e["t"])
    v = check_single_owner(ev)
    assert v == Verdict(
        "single_owner", None, "unknown: the VIP poller contradicts the kernel's address stream "
        "for over 1.0 s (node1 at 3.00s, 3.50s, 8.00s; node2 at 10.00s)",
        {"dual_windows": [],
         "no_owner_windows": [{"start": 13.5, "end": 13.6, "duration": 0.1, "nodes": []}],
         "unobserved": [], "observed": [0.0, 20.0],
         "poll_disagreements": {"node1": [3.0, 3.5, 8.0, 12.0], "node2": [10.0]},
         "streams": {"node1": [(0.0, 20.0)], "node2": [(0.0, 20.0)]}},
        {"dual_owner_s": 0, "dual_windows": 0, "no_owner_s": 0.1, "unobserved_s": 0,
         "poll_disagreements": 5})


def test_the_poller_tolerance_follows_a_longer_observer_gap():
    ev = sorted([run(0.0, bounds={"migration_s": 10.0, "observer_gap_s": 2.5}),
                 stream(0.0, "node1", "up"), stream(0.0, "node2", "up"),
                 kvip(0.0, "node1", True, "dump"), kvip(0.0, "node2", False, "dump"),
                 pvip(3.0, "node1", False), pvip(8.0, "node1", False),
                 kvip(10.0, "node1", False), kvip(10.0, "node2", True), final(20.0)],
                key=lambda e: e["t"])
    v = check_single_owner(ev)
    assert v.evidence["poll_disagreements"] == {"node1": [3.0]}
    assert v.summary == ("unknown: the VIP poller contradicts the kernel's address stream for "
                         "over 2.5 s (node1 at 3.00s)")


# --- migration ----------------------------------------------------------------------------------
def is_move(e):
    return e["kind"] == "vip" and e["node"] == "node2" and e["t"] > 0


def on_node2(e):
    return e["kind"] == "op" and e["t"] >= 4.5


def test_a_vip_that_never_moved_is_named_in_the_signature():
    v = check_migration(without(failover_history(), lambda e: is_move(e) or on_node2(e)))
    assert v.valid is False
    assert v.signature == ["VIP never moved off node1"]
    assert v.windows == [[2.0, 8.0]]


def test_a_vip_that_moved_after_the_heal_is_named_in_the_signature():
    ev = [*without(failover_history(), lambda e: is_move(e) or on_node2(e)),
          vip(9.0, "node2", True)]
    v = check_migration(ev)
    assert v.valid is False
    assert v.summary == ("kill-mysqld: the VIP moved only after the heal (t=9.00s) off "
                         "['node1'] (bound 10.0 s)")
    assert v.signature == ["VIP moved only after the heal off node1"]


def test_no_write_through_the_new_owner_is_named_in_the_signature():
    ev = [*without(failover_history(), on_node2), *write(5.0, "x", "fail")]
    v = check_migration(ev)
    assert v.valid is False
    assert v.summary == ("kill-mysqld: the VIP moved to node2 after 2.0 s but no write "
                         "succeeded through it")
    assert v.signature == ["no write through node2"]
    assert v.windows == [[4.0, 12.0]]


def test_a_failover_over_the_bound_is_named_in_the_signature():
    v = check_migration(failover_history(bounds={"migration_s": 2.5, "observer_gap_s": 1.0}))
    assert v.valid is False
    assert v.summary == "kill-mysqld: failover to node2 in 2.51 s (over the 2.5 s bound)"
    assert v.signature == ["failover over the bound"]
    assert v.windows == [[2.0, 4.51]]


def continuity(bound):
    ev = [run(0.0, bounds={"migration_s": bound, "observer_gap_s": 1.0}),
          vip(0.0, "node1", True), vip(0.0, "node2", False), *watched(0.0, 12.0),
          fault(2.0, name="block-vrrp", removes_service=False), *write(1.0, "a"),
          *write(3.0, "b"), *write(5.0, "c", "fail"), *write(8.05, "d"),
          healed(9.0, "block-vrrp"), final(12.0, ids=["a", "b", "d"])]
    return sorted(ev, key=lambda e: e["t"])


def test_a_write_gap_over_the_bound_is_named_in_the_signature():
    v = check_migration(continuity(5.0))
    assert v.valid is False
    assert v.summary == ("block-vrrp: service went on: longest stretch without an acknowledged "
                         "write 5.05 s (over the 5.0 s bound)")
    assert v.signature == ["write gap over the bound"]
    assert v.windows == [[2.0, 9.0]]


# --- migration: each fault's own verdict ------------------------------------------------------
def one(events, i=0):
    events = sorted(events, key=lambda e: e["t"])
    start = [e for e in events if e["kind"] == "fault" and e["phase"] == "start"][i]
    end = next(e["t"] for e in events if e["kind"] == "final")
    return _one(events, start, 10.0, end, 1.0)


def test_a_fault_s_own_verdict_of_a_failover_in_time_passes_without_findings():
    v = one(failover_history())
    assert v == Verdict(
        "migration", True, "kill-mysqld: failover to node2 in 2.51 s (within the 10.0 s bound)",
        {"fault": "kill-mysqld", "fault_start": 2.0, "healed": 8.0, "faulted": ["node1"],
         "owner_at_start": "node1", "bound_s": 10.0, "must_move": True, "new_owner": "node2",
         "first_write_after": "w9"},
        {"failover_s": 2.51, "vip_moved_s": 2.0, "write_gap_s": 3.0, "bound_s": 10.0})


def test_a_fault_s_own_verdict_of_service_going_on_passes_without_findings():
    v = one(continuity(10.0))
    assert v == Verdict(
        "migration", True, "block-vrrp: service went on: longest stretch without an "
        "acknowledged write 5.05 s (within the 10.0 s bound)",
        {"fault": "block-vrrp", "fault_start": 2.0, "healed": 9.0, "faulted": ["node1"],
         "owner_at_start": "node1", "bound_s": 10.0, "must_move": False},
        {"failover_s": 1.01, "vip_moved_s": None, "write_gap_s": 5.05, "bound_s": 10.0})


def test_every_fault_s_own_verdict_names_the_invariant():
    never = without(failover_history(), lambda e: is_move(e) or on_node2(e))
    blind = [e for e in never if not (e["kind"] == "beat" and e["node"] == "node2"
                                      and e["t"] > 3.0)]
    no_try = without(failover_history(), lambda e: e["kind"] == "op" and e["t"] >= 4.0)
    no_write = [*without(failover_history(), on_node2), *write(5.0, "x", "fail")]
    quiet = without(continuity(10.0), lambda e: e["kind"] == "op" and 2.0 <= e["t"] <= 9.0)
    cases = {
        "unknown: the VIP was not observed at 3.00-12.00s": blind,
        "kill-mysqld: the VIP never moved off ['node1'] (bound 10.0 s)": never,
        "unknown: no write was attempted after the VIP moved": no_try,
        "kill-mysqld: the VIP moved to node2 after 2.0 s but no write succeeded through it":
            no_write,
        "unknown: no write was attempted during the fault": quiet,
    }
    for summary, ev in cases.items():
        v = one(ev)
        assert (v.invariant, v.summary) == ("migration", summary)
