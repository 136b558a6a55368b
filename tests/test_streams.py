"""Facts stamped at their source: the kernel's address events (``ip monitor`` in each node's
namespace), the node supervisor's service log, mysqld's error log; and how verdicts use them: a
stream that was up covers a stalled poller, polled samples inside it are only a cross-check, a
stretch is unknown only where neither a stream nor the poller watched, and a poller that
contradicts the stream for long makes the verdict unknown."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from histories import beats, fault, final, healed, run, write

from harness.checkers import check_single_owner
from harness.checkers.migration import check_migration
from harness.checkers.query import (
    judged_events,
    poll_disagreements,
    stream_spans,
    unobserved,
    vip_takes,
)
from harness.history import History
from harness.logformats import (
    addresses_in_dump,
    parse_addr_event,
    parse_mlog,
    parse_service,
)
from harness.observers.addresses import AddressStream, _Stream

VIP = "198.18.151.100"


def stream(t, node, state, why="test"):
    return {"t": t, "kind": "stream", "stream": "addr", "node": node, "state": state, "why": why}


def kvip(t, node, held, source="kernel"):
    return {"t": t, "kind": "vip", "node": node, "held": held, "why": source, "source": source}


def pvip(t, node, held, why="fib"):
    return {"t": t, "kind": "vip", "node": node, "held": held, "why": why, "source": "poll"}


# --- the line formats --------------------------------------------------------------------------
def test_address_events_are_read_with_their_own_stamp_and_interface_index():
    added = "[2026-12-04T16:28:40.215998] 628: eth0    inet 198.18.151.100/32 scope global eth0"
    gone = ("[2026-12-04T16:55:15.225294] Deleted 628: eth0    inet 198.18.151.100/32 scope "
            "global vetha483dd0:2\\       valid_lft forever preferred_lft forever")
    t, index, addr, up = parse_addr_event(added)
    assert (index, addr, up) == (628, VIP, True) and round(t % 60, 6) == 40.215998
    assert parse_addr_event(gone)[1:] == (628, VIP, False)
    assert parse_addr_event("Timestamp: Fri Dec  4 17:10:03 2026 365481 usec") is None
    assert parse_addr_event("[2026-12-04T16:28:40.2] 2: eth0    inet6 fe80::1/64") is None
    assert addresses_in_dump(["1: lo    inet 127.0.0.1/8 scope host lo",
                              f"628: eth0    inet {VIP}/32 scope global eth0"]) == {
        (1, "127.0.0.1"), (628, VIP)}


def test_service_log_lines():
    assert parse_service("1796404201.322244708 mysqld exited pid=42 signal=9") == (
        1796404201.322244708, {"service": "mysqld", "event": "exited", "pid": 42, "signal": 9})
    assert parse_service("1796404201.5 keepalived killing-child pid=5,6")[1]["pid"] == "5,6"
    assert parse_service("garbage") is None


def test_mysqld_error_log_lines():
    t, f = parse_mlog("2026-12-04T16:30:00.123456Z 12 [ERROR] [MY-010584] [Repl] Replica SQL for "
                      "channel '': Worker 1 failed executing transaction; Error_code: MY-001062")
    assert f["level"] == "ERROR" and f["code"] == "MY-010584" and "MY-001062" in f["text"]
    assert round(t % 60, 6) == 0.123456
    assert parse_mlog("  a continuation line") is None


# --- the address stream observer, fed lines ---------------------------------------------------
def _fed(lines, dump_wall=1000.0):
    h = History(origin=990.0, wall=lambda: 990.0)
    obs = AddressStream.__new__(AddressStream)
    obs.history, obs.vip = h, VIP
    obs._errors = {}
    s = _Stream(pid=1, proc=None, path=Path("/dev/null"))
    for line in [f"DUMP {dump_wall}", *lines]:
        obs._line("node1", s, line)
    return h, s


def test_a_stream_comes_up_at_its_dump_with_the_state_then_records_changes_only():
    h, _ = _fed([f"628: eth0    inet {VIP}/32 scope global eth0", "DUMP-END",
                 f"[1970-01-01T00:16:41.000000] 628: eth0    inet {VIP}/32 scope global x",
                 f"[1970-01-01T00:16:42.500000] Deleted 628: eth0    inet {VIP}/32 scope x",
                 "[1970-01-01T00:16:43.000000] 628: eth0    inet 10.0.0.1/24 scope global x"])
    ev = [(e["kind"], e.get("state"), e.get("held"), e["t"]) for e in h.events()]
    assert ev == [("stream", "up", None, 10.0), ("vip", None, True, 10.0),
                  ("vip", None, False, 12.5)]  # the rename (added again) changes nothing


def test_events_older_than_the_dump_are_already_in_it():
    h, _ = _fed(["DUMP-END", f"[1970-01-01T00:16:39.000000] 628: eth0    inet {VIP}/32 x"])
    assert [e["held"] for e in h.events("vip")] == [False]


# --- verdicts over streams and polls ----------------------------------------------------------
def _history(extra, end=20.0):
    return sorted([run(0.0), *extra, final(end)], key=lambda e: e["t"])


def test_a_stalled_poller_inside_a_stream_is_not_a_blind_stretch():
    """The reason for streams: the poller stalled 5 s (no beats), the kernel's stream was up."""
    ev = _history([stream(0.1, "node1", "up"), stream(0.1, "node2", "up"),
                   kvip(0.1, "node1", True, "dump"), kvip(0.1, "node2", False, "dump"),
                   pvip(0.0, "node1", True), pvip(0.0, "node2", False),
                   *beats(0.0, 5.0, "node1"), *beats(0.0, 5.0, "node2"),
                   *beats(10.0, 20.0, "node1"), *beats(10.0, 20.0, "node2"),
                   stream(20.0, "node1", "down"), stream(20.0, "node2", "down")])
    assert unobserved(ev, "node1", 0.0, 20.0, 1.0) == []
    assert check_single_owner(ev).valid is True


def test_without_a_stream_the_same_stall_is_unknown():
    ev = _history([pvip(0.0, "node1", True), pvip(0.0, "node2", False),
                   *beats(0.0, 5.0, "node1"), *beats(0.0, 5.0, "node2"),
                   *beats(10.0, 20.0, "node1"), *beats(10.0, 20.0, "node2")])
    assert unobserved(ev, "node1", 0.0, 20.0, 1.0) == [[5.0, 10.0]]
    assert check_single_owner(ev).valid is None


def test_a_stretch_is_unknown_only_where_neither_watched():
    ev = _history([stream(0.1, "node1", "up"), stream(6.0, "node1", "down", "ip died"),
                   stream(12.0, "node1", "up"), *beats(0.0, 5.0, "node1"),
                   *beats(9.0, 20.0, "node1")])
    assert stream_spans(ev, "node1") == [(0.1, 6.0), (12.0, 20.0)]
    assert unobserved(ev, "node1", 0.0, 20.0, 1.0) == [[6.0, 9.0]]


def test_polled_samples_inside_a_stream_are_left_out_of_the_verdict():
    """A poll stamped late (a stalled reader) would fake a second owner; the stream says when."""
    ev = _history([stream(0.0, "node1", "up"), stream(0.0, "node2", "up"),
                   kvip(0.0, "node1", True, "dump"), kvip(0.0, "node2", False, "dump"),
                   kvip(5.0, "node1", False), kvip(5.2, "node2", True),
                   pvip(5.6, "node1", True),  # read before 5.0, stamped after a stall
                   pvip(5.7, "node1", False)])
    judged = [e for e in judged_events(ev) if e["kind"] == "vip"]
    assert all(e["source"] != "poll" for e in judged)
    assert check_single_owner(ev).valid is True
    assert vip_takes(ev) == [("node2", 5.2)]


def test_dual_ownership_seen_by_the_kernel_is_a_fail():
    ev = _history([stream(0.0, "node1", "up"), stream(0.0, "node2", "up"),
                   kvip(0.0, "node1", True, "dump"), kvip(0.0, "node2", False, "dump"),
                   kvip(4.0, "node2", True), kvip(7.5, "node2", False)])
    v = check_single_owner(ev)
    assert v.valid is False and v.windows == [[4.0, 7.5]] and v.signature == ["dual ownership"]


def test_a_poller_contradicting_the_stream_for_long_is_unknown():
    ev = _history([stream(0.0, "node1", "up"), stream(0.0, "node2", "up"),
                   kvip(0.0, "node1", True, "dump"), kvip(0.0, "node2", False, "dump"),
                   pvip(8.0, "node1", False), pvip(8.0, "node2", False),
                   *beats(0.0, 20.0, "node1"), *beats(0.0, 20.0, "node2")])
    assert poll_disagreements(ev, "node1", 1.0) == [8.0]
    v = check_single_owner(ev)
    assert v.valid is None and "contradicts the kernel's address stream" in v.summary


def test_a_short_lag_either_way_is_no_contradiction():
    ev = _history([stream(0.0, "node1", "up"), kvip(0.0, "node1", True, "dump"),
                   kvip(5.0, "node1", False), pvip(4.6, "node1", False),  # poll ahead of ip
                   pvip(5.8, "node1", True)])  # a reading stamped late
    assert poll_disagreements(ev, "node1", 1.0) == []
    gone = _history([stream(0.0, "node1", "up"), kvip(0.0, "node1", True, "dump"),
                     pvip(3.0, "node1", False, why="gone"), kvip(3.1, "node1", False)])
    assert poll_disagreements(gone, "node1", 1.0) == []  # an inference, not a reading


def test_migration_reads_the_move_from_the_stream():
    ev = _history([stream(0.0, "node1", "up"), stream(0.0, "node2", "up"),
                   kvip(0.0, "node1", True, "dump"), kvip(0.0, "node2", False, "dump"),
                   fault(2.0), kvip(2.1, "node1", False), kvip(5.0, "node2", True),
                   *write(5.5, "w1", node="node2"), healed(9.0),
                   pvip(6.0, "node2", False)])  # a stale poll does not undo the move
    v = check_migration(ev)
    assert v.valid is True and v.metrics["vip_moved_s"] == 3.0


@pytest.mark.parametrize("node_state", ["stopped", "running"])
def test_the_stream_follows_a_restarted_node_into_its_new_namespace(node_state, tmp_path,
                                                                    monkeypatch):
    """A node restarted (crash-node) has a new init: a new stream is spawned for it, and the
    old one is recorded down when the new one is up (no uncovered stretch)."""
    spawned = []
    h = History()
    node = SimpleNamespace(name="node1", _pid=100)
    node.pid = lambda refresh=False: node._pid
    obs = AddressStream(h, [node], VIP)

    def spawn(n, pid):
        path = tmp_path / f"{pid}.log"
        path.write_text(f"DUMP {h.origin + h.now() + 0.01}\nDUMP-END\n")
        spawned.append(pid)
        proc = SimpleNamespace(poll=lambda: None, pid=0, wait=lambda timeout: 0)
        return _Stream(pid, proc, path)
    monkeypatch.setattr(obs, "_spawn", spawn)
    monkeypatch.setattr(obs, "_end", lambda s: None)
    monkeypatch.setattr("os.path.exists", lambda p: True)
    obs.tick()
    node._pid = 200
    obs.tick()
    assert spawned == [100, 200]
    states = [(e["state"], e.get("why", "")[:20]) for e in h.events("stream")]
    assert states == [("up", "ip monitor in the na"), ("up", "ip monitor in the na"),
                      ("down", "the node restarted: ")]
    up2 = h.events("stream")[1]["t"]
    assert h.events("stream")[2]["t"] == up2
    obs.close()
    assert not obs._dir.exists()


def test_a_mariadb_error_log_line_is_read_with_its_error_number():
    from harness.logformats import parse_mlog
    wall, f = parse_mlog("2026-12-04 18:05:01 12 [ERROR] Slave SQL: Could not execute "
                         "Write_rows_v1 event on table vipchaos.tickets; Duplicate entry '5' "
                         "for key 'PRIMARY', Error_code: 1062; handler error "
                         "HA_ERR_FOUND_DUPP_KEY")
    assert wall == 1796407501.0
    assert (f["level"], f["code"]) == ("ERROR", "1062") and "Duplicate entry" in f["text"]
    assert parse_mlog("2026-12-04 18:01:50 0 [Note] Starting MariaDB 10.11")[1]["code"] == ""
    assert parse_mlog("  continuation of a stack trace") is None
