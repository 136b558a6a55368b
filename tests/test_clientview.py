"""What each client profile saw, from a synthetic history: downtime, errors by kind, writes on
a node that no longer held the VIP, stale reads; and their aggregate over a run."""

import pytest
from histories import failover_history, fault, run, vip

from harness.bench import client_stats_table
from harness.clients import PROFILES, parse_profiles
from harness.clientview import aggregate, error_kind, summarize


def client(t, profile, outcome="ok", *, started=None, op="write", node="node1", **kw):
    return {"t": t, "kind": "client", "profile": profile, "op": op, "id": f"{profile}-{t}",
            "outcome": outcome, "started": t - 0.01 if started is None else started,
            "node": node, **kw}


def test_profiles_are_parsed_with_direct_first():
    assert parse_profiles("reader,pool") == ["direct", "reader", "pool"]
    assert parse_profiles("pool,direct,pool") == ["direct", "pool"]
    assert parse_profiles("") == ["direct"] and parse_profiles(None) == ["direct"]
    assert parse_profiles("router") == ["direct", "router"]
    with pytest.raises(ValueError, match="unknown client profile 'nat'; profiles: direct, "
                                         "router, pool, pool-ping, reader"):
        parse_profiles("pool,nat")
    assert PROFILES == ("direct", "router", "pool", "pool-ping", "reader")


def test_error_kinds():
    assert error_kind("OperationalError: (2013, 'Lost connection to MySQL server')") == \
        "connection lost"
    assert error_kind("OperationalError: (2006, 'MySQL server has gone away')") == \
        "connection lost"
    assert error_kind("OperationalError: (2003, \"Can't connect\")") == "cannot connect"
    assert error_kind("OperationalError: (1290, 'read-only')") == "read-only"
    assert error_kind("InternalError: (1836, 'super_read_only')") == "read-only"
    assert error_kind("OperationalError: (1205, 'Lock wait timeout')") == "error 1205"
    assert error_kind("TimeoutError: timed out") == "timeout"
    assert error_kind("connect: socket.timeout") == "timeout"
    assert error_kind("QueuePool limit reached") == "QueuePool limit reached"
    assert error_kind(None) == "error"


def test_the_direct_writer_is_a_profile_of_its_own():
    """failover_history: writes ok on node1 until 2.0, fail until 4.5, ok on node2 after."""
    out = summarize(failover_history())
    assert list(out) == ["direct"]
    d = out["direct"]
    assert d["downtime_s"] == 3.0  # the last ok before the fault (1.5) to the first after (4.5)
    assert d["recovered"] is True and d["writes_on_non_owner"] == 0
    assert d["ok"] + sum(d["errors"].values()) == d["ops"]
    assert d["reads"] == 0 and d["stale_reads"] == 0


def test_a_pooled_connection_writing_to_the_old_owner_after_the_move():
    """node1 lost the VIP at 3.5, node2 took it at 4.0; a pooled connection kept to node1 had
    a write acknowledged there at 6.0: a write on a non-owner; one that began while node1
    still held the VIP is not."""
    ev = [*failover_history(),
          client(1.0, "pool"), client(3.6, "pool", started=3.4),
          client(6.0, "pool", started=5.9),
          client(2.5, "pool", "unknown", error="OperationalError: (2013, 'Lost connection')"),
          client(5.0, "pool", node="node2")]
    p = summarize(ev)["pool"]
    assert p["writes_on_non_owner"] == 1 and p["non_owner_nodes"] == ["node1"]
    assert p["errors"] == {"connection lost": 1}
    assert p["ops"] == 5 and p["ok"] == 4
    assert p["downtime_s"] == 2.6  # 1.0 before the fault at 2.0, then 3.6


def test_a_write_on_a_node_whose_vip_was_never_observed_is_not_counted():
    ev = [run(0.0), fault(1.0), client(2.0, "pool", node="node3")]
    assert summarize(ev)["pool"]["writes_on_non_owner"] == 0


def test_a_profile_that_never_succeeds_after_the_fault_never_recovered():
    ev = [run(0.0), vip(0.0, "node1", True), client(0.5, "pool"), fault(1.0),
          client(2.0, "pool", "fail", error="OperationalError: (2003, 'x')")]
    p = summarize(ev)["pool"]
    assert p["downtime_s"] is None and p["recovered"] is False
    assert p["errors"] == {"cannot connect": 1}


def test_without_a_fault_there_is_no_downtime():
    p = summarize([run(0.0), client(0.5, "pool"), client(3.0, "pool")])["pool"]
    assert p["downtime_s"] is None and p["recovered"] is True


def test_no_success_before_the_fault_counts_from_the_fault():
    p = summarize([run(0.0), fault(1.0), client(1.5, "pool"), client(4.0, "pool")])["pool"]
    assert p["downtime_s"] == 2.5


def test_stale_reads_are_reads_that_missed_an_acknowledged_write():
    ev = [run(0.0), fault(1.0),
          client(0.5, "reader", op="read", seen=True, expect="w1"),
          client(2.0, "reader", op="read", seen=False, expect="w3"),
          client(2.5, "reader", "fail", op="read", expect="w3",
                 error="OperationalError: (2013, 'x')"),
          client(3.0, "reader", op="read", seen=True, expect="w4")]
    r = summarize(ev)["reader"]
    assert (r["reads"], r["stale_reads"], r["ok"], r["ops"]) == (3, 1, 3, 4)
    assert r["writes_on_non_owner"] == 0  # reads are not writes


def test_aggregate_over_a_run():
    rows = [
        {"bundle": "hardened", "test": "a", "clients": {
            "direct": {"downtime_s": 3.0, "recovered": True, "errors": {"cannot connect": 2},
                       "writes_on_non_owner": 0, "stale_reads": 0},
            "pool": {"downtime_s": 5.0, "recovered": True, "errors": {"connection lost": 4},
                     "writes_on_non_owner": 2, "stale_reads": 0}}},
        {"bundle": "hardened", "test": "b", "clients": {
            "direct": {"downtime_s": 1.0, "recovered": True, "errors": {"cannot connect": 1},
                       "writes_on_non_owner": 0, "stale_reads": 0},
            "pool": {"downtime_s": None, "recovered": False, "errors": {},
                     "writes_on_non_owner": 1, "stale_reads": 0}}},
        {"bundle": "seed", "test": "c"},
    ]
    out = aggregate(rows)
    assert out["direct"] == {"tests": 2, "errors": {"cannot connect": 3},
                             "writes_on_non_owner": 0, "stale_reads": 0, "not_recovered": [],
                             "downtime_s": {"n": 2, "p50": 1.0, "p95": 3.0, "max": 3.0}}
    assert out["pool"] == {"tests": 2, "errors": {"connection lost": 4},
                           "writes_on_non_owner": 3, "stale_reads": 0,
                           "not_recovered": ["hardened/b"],
                           "downtime_s": {"n": 1, "p50": 5.0, "p95": 5.0, "max": 5.0}}
    assert aggregate([]) == {}


def test_aggregate_percentiles_by_nearest_rank():
    rows = [{"clients": {"direct": {"downtime_s": float(i)}}} for i in range(1, 21)]
    d = aggregate(rows)["direct"]["downtime_s"]
    assert d == {"n": 20, "p50": 10.0, "p95": 19.0, "max": 20.0}


def arp(t, node, mac=None, state="REACHABLE"):
    return {"t": t, "kind": "client", "profile": "router", "op": "arp",
            "mac": mac or (f"02:00:00:00:00:0{node[-1]}" if node else None), "state": state,
            "node": node}


def test_the_router_entry_following_the_new_owner_late_is_its_arp_lag():
    """node2 took the VIP at 4.0 (failover_history); the router's entry pointed at node1 until
    it expired and was resolved again at 4.3: lag 0.3 s, one change after the fault (the
    entry learnt before the fault is not counted); ARP samples are not operations."""
    ev = [*failover_history(), arp(0.6, "node1"), arp(4.3, "node2"),
          client(1.0, "router"), client(5.0, "router", node="node2")]
    r = summarize(ev)["router"]
    assert (r["arp_lag_s"], r["arp_changes"]) == (0.3, 1)
    assert (r["ops"], r["ok"]) == (2, 2)
    assert "arp_lag_s" not in summarize(failover_history())["direct"]


def test_a_router_entry_that_never_pointed_at_the_new_owner_has_no_lag():
    ev = [*failover_history(), arp(0.6, "node1"), arp(3.0, None, state="none"),
          arp(4.6, "node1", state="STALE"), client(1.0, "router")]
    assert (summarize(ev)["router"]["arp_lag_s"], summarize(ev)["router"]["arp_changes"]) == \
        (None, 2)


def test_a_router_entry_already_pointing_at_the_new_owner_lags_zero():
    ev = [*failover_history(), arp(0.6, "node1"), arp(3.9, "node2"), client(1.0, "router")]
    assert summarize(ev)["router"]["arp_lag_s"] == 0.0


def test_the_longest_of_several_moves_is_the_arp_lag():
    ev = [*failover_history(), vip(9.0, "node2", False), vip(9.2, "node1", True),
          arp(0.6, "node1"), arp(4.1, "node2"), arp(9.7, "node1"), client(1.0, "router")]
    r = summarize(ev)["router"]
    assert (r["arp_lag_s"], r["arp_changes"]) == (0.5, 2)


def test_no_arp_lag_without_a_fault_or_without_samples():
    ev = [e for e in failover_history() if e["kind"] != "fault"]
    assert summarize([*ev, arp(0.6, "node1"), client(1.0, "router")])["router"]["arp_lag_s"] \
        is None
    r = summarize([*failover_history(), client(1.0, "router")])["router"]
    assert (r["arp_lag_s"], r["arp_changes"]) == (None, 0)


def test_aggregate_spreads_the_router_arp_lag():
    rows = [{"clients": {"router": {"downtime_s": 1.0, "arp_lag_s": lag}}}
            for lag in (0.0, 0.4, None, 1.2)]
    out = aggregate(rows)["router"]
    assert out["arp_lag_s"] == {"n": 3, "p50": 0.4, "p95": 1.2, "max": 1.2}
    assert "arp_lag_s" not in aggregate([{"clients": {"direct": {"downtime_s": 1.0}}}])["direct"]


def test_bench_prints_client_distributions_per_bundle_fault_and_profile():
    def res(bundle, fault, direct, router, lag=None):
        return {"bundle": bundle, "fault": fault, "clients": {
            "direct": {"downtime_s": direct, "recovered": True, "errors": {}},
            "router": {"downtime_s": router, "recovered": True, "arp_lag_s": lag,
                       "errors": {"cannot connect": 2}, "writes_on_non_owner": 1}}}
    table = client_stats_table([res("seed", "kill-mysqld", 3.0, 3.5, 0.2),
                                res("seed", "kill-mysqld", 2.0, 2.5, None),
                                {"bundle": "seed", "fault": "crash-node",
                                 "clients": {"direct": {"downtime_s": 1.0}}}])
    lines = table.splitlines()
    assert lines[0].split() == ["bundle", "fault", "profile", "n", "p50", "p95", "max",
                                "non-owner", "stale", "arp", "lag", "max", "errors"]
    assert lines[1].split() == ["seed", "kill-mysqld", "direct", "2", "2.00", "3.00", "3.00",
                                "0", "0", "-", "-"]
    assert lines[2].split() == ["seed", "kill-mysqld", "router", "2", "2.50", "3.50", "3.50",
                                "2", "0", "0.20", "cannot", "connect", "4"]
    assert len(lines) == 3  # crash-node ran the direct writer only
    assert client_stats_table([{"clients": {"direct": {"downtime_s": 1.0}}}]) == ""
