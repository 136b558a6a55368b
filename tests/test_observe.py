"""Observers over fake nodes: what they record, when they beat (only after a successful
observation), and that a failing round becomes an ``observer_error`` while the loop goes on.
Plus the parsers they rely on: ``vip_in_fib`` on real fib_trie text, keepalived's log lines."""

import calendar
import os
import time

import pytest
from fakes import FakeEngine, FakeNode, fake_pair

import harness.observers.base as observer_base
import harness.observers.samplers as samplers
from harness import observers
from harness.bundle import NodeSpec
from harness.history import History
from harness.logformats import klog_events, parse_klog
from harness.node import KEEPALIVED_LOGS, Node, vip_in_fib
from harness.observers import (
    ArpWatcher,
    KeepalivedLog,
    ProcSampler,
    ReplSampler,
    VipProber,
)

FIB = """\
Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 198.18.151.0/24 2 0 1
        +-- 198.18.151.0/28 2 0 2
           |-- 198.18.151.0
              /24 link UNICAST
           |-- 198.18.151.11
              /32 host LOCAL
        |-- 198.18.151.100
           /32 host LOCAL
        |-- 198.18.151.255
           /32 link BROADCAST
"""
PARENT, CHILD = KEEPALIVED_LOGS


@pytest.fixture
def beat_always(monkeypatch):
    monkeypatch.setattr(observer_base, "BEAT_EVERY_S", 0.0)


def kinds(h, kind):
    return [{k: v for k, v in e.items() if k != "t"} for e in h.events(kind)]


# --- vip_in_fib -----------------------------------------------------------------------------
def test_vip_in_fib_finds_a_local_host_address():
    assert vip_in_fib(FIB, "198.18.151.100") is True
    assert vip_in_fib(FIB, "198.18.151.11") is True


@pytest.mark.parametrize("addr", ["198.18.151.255", "198.18.151.0", "198.18.151.10",
                                  "198.18.151.1", "0.0.0.0", "10.0.0.1"])
def test_vip_in_fib_rejects_other_entries(addr):
    assert vip_in_fib(FIB, addr) is False


def test_vip_in_fib_reads_only_the_entry_s_own_lines():
    text = FIB.replace("198.18.151.100\n           /32 host LOCAL",
                       "198.18.151.100\n           /32 link UNICAST")
    assert vip_in_fib(text, "198.18.151.100") is False
    nested = "  |-- 198.18.151.100\n     +-- 198.18.151.128/25\n        /32 host LOCAL\n"
    assert vip_in_fib(nested, "198.18.151.100") is False
    assert vip_in_fib("", "198.18.151.100") is False


def test_vip_in_fib_looks_three_lines_ahead_at_most():
    text = "|-- 198.18.151.100\n  /32 link UNICAST\n  /24 x\n  /16 y\n  /32 host LOCAL\n"
    assert vip_in_fib(text, "198.18.151.100") is False
    text = "|-- 198.18.151.100\n  /32 link UNICAST\n  /24 x\n  /32 host LOCAL\n"
    assert vip_in_fib(text, "198.18.151.100") is True


# --- Node.holds_vip (the real one, its reads answered by this machine's /proc) -------------
def real_node(engine, **state):
    n = Node(engine, NodeSpec("n1", "198.18.151.11", 100, 1), "vc-real", "198.18.151.100",
             "eth0")
    engine.add("vc-real", **state)
    return n


def test_holds_vip_reads_the_fib_of_the_node_s_pid():
    e = FakeEngine()
    n = real_node(e, pid=os.getpid())  # this process's namespace: the VIP is not here
    assert n.holds_vip() == (False, "fib")


def test_a_stopped_node_holds_nothing():
    e = FakeEngine()
    n = real_node(e, running=False)
    assert n.holds_vip() == (False, "stopped")


def test_an_unreadable_fib_is_unknown_never_false(monkeypatch):
    from harness import node as node_mod

    class Denied:
        def __init__(self, path):
            self.path = path

        def read_text(self):
            raise PermissionError(13, "Permission denied", str(self.path))

    e = FakeEngine()
    n = real_node(e, pid=os.getpid())
    monkeypatch.setattr(node_mod, "Path", Denied)
    held, why = n.holds_vip()
    assert held is None and why.startswith("fib_trie unreadable")


def test_a_node_whose_process_is_gone_holds_nothing():
    e = FakeEngine()
    n = real_node(e, pid=2 ** 22 + 7)  # no such process here
    assert n.pid() == 2 ** 22 + 7
    e.containers["vc-real"].running = False
    assert n.holds_vip()[0] is False


def test_a_running_node_whose_proc_entry_cannot_be_found_is_unknown():
    e = FakeEngine()
    n = real_node(e, pid=2 ** 22 + 7)  # the engine says it runs with this pid
    assert n.holds_vip()[0] is None


def test_an_unreachable_engine_is_unknown_for_a_stopped_node_too():
    e = FakeEngine()
    n = real_node(e, running=False)
    e.broken = ConnectionError("docker.sock refused")
    assert n.holds_vip() == (None, "engine: docker.sock refused")


# --- VipProber ------------------------------------------------------------------------------
def test_vip_prober_records_changes_and_beats_per_node(beat_always):
    c, h = fake_pair(), History()
    p = VipProber(h, c.nodes)
    p.tick()
    p.tick()
    assert kinds(h, "vip") == [
        {"kind": "vip", "node": "node1", "held": True, "why": "fib", "source": "poll"},
        {"kind": "vip", "node": "node2", "held": False, "why": "fib", "source": "poll"}]
    assert [e["node"] for e in h.events("beat")] == ["node1", "node2", "node1", "node2"]
    assert {e["observer"] for e in h.events("beat")} == {"vip"}
    c.move_vip("node2")
    p.tick()
    assert [(e["node"], e["held"]) for e in h.events("vip")][2:] == [("node1", False),
                                                                     ("node2", True)]


def test_vip_prober_beats_at_most_every_half_second():
    c, h = fake_pair(), History()
    p = VipProber(h, c.nodes)
    for _ in range(5):
        p.tick()
    assert len(h.events("beat")) == 2


def test_vip_prober_records_null_and_no_beat_when_the_fib_cannot_be_read(beat_always):
    c, h = fake_pair(), History()
    c.nodes[1].container.fib_readable = False
    p = VipProber(h, c.nodes)
    p.tick()
    null = h.events("vip")[1]
    assert null["node"] == "node2" and null["held"] is None
    assert null["why"].startswith("fib_trie unreadable")
    assert [e["node"] for e in h.events("beat")] == ["node1"]
    (err,) = h.events("observer_error")
    assert err["observer"] == "vip" and err["node"] == "node2"


def test_vip_prober_records_false_when_the_node_is_stopped(beat_always):
    c, h = fake_pair(), History()
    p = VipProber(h, c.nodes)
    p.tick()
    c.engine.kill(c.nodes[0].container_name)
    p.tick()
    last = h.events("vip")[-1]
    assert (last["node"], last["held"], last["why"]) == ("node1", False, "stopped")
    assert [e["node"] for e in h.events("beat")][-2:] == ["node1", "node2"]


def test_a_null_with_another_reason_is_a_new_event(beat_always):
    c, h = fake_pair(), History()
    c.nodes[1].container.fib_readable = False
    p = VipProber(h, c.nodes)
    p.tick()
    p.tick()
    assert len(h.events("vip")) == 2
    c.engine.broken = ConnectionError("gone")
    p.tick()
    assert [e["why"] for e in h.events("vip")][-2:] == ["engine: gone", "engine: gone"]


def test_an_exception_in_a_round_is_an_observer_error_and_the_loop_goes_on():
    c, h = fake_pair(), History()
    calls = []
    real = c.nodes[0].holds_vip

    def flaky():
        calls.append(1)
        if len(calls) <= 2:
            raise RuntimeError("boom")
        return real()

    c.nodes[0].holds_vip = flaky
    p = VipProber(h, c.nodes).start()
    deadline = time.monotonic() + 5
    while not h.events("vip") and time.monotonic() < deadline:
        time.sleep(0.01)
    p.stop()
    errs = h.events("observer_error")
    assert errs and errs[0]["node"] is None and errs[0]["error"] == "RuntimeError: boom"
    assert len(errs) == 1  # the same message again within 2 s is not repeated
    assert h.events("vip") and len(calls) > 2


def test_observer_errors_are_rate_limited_per_message(monkeypatch):
    h = History()
    o = VipProber(h, [])
    o.error("n", "a")
    o.error("n", "a")
    o.error("n", "b")
    o.error("m", "a")
    assert [(e["node"], e["error"]) for e in h.events("observer_error")] == [
        ("n", "a"), ("n", "b"), ("m", "a")]
    monkeypatch.setattr(observer_base, "ERROR_EVERY_S", 0.0)
    o.error("n", "b")
    assert len(h.events("observer_error")) == 4
    o.error("n", ValueError("x" * 400))
    assert h.events("observer_error")[-1]["error"] == ("ValueError: " + "x" * 400)[:300]


def test_a_stopped_observer_stops_recording():
    c, h = fake_pair(), History()
    p = VipProber(h, c.nodes).start()
    time.sleep(0.1)
    p.stop()
    n = len(h)
    time.sleep(0.1)
    assert len(h) == n
    observers.stop_observers([p])  # stopping twice is fine


# --- keepalived's log file ------------------------------------------------------------------
LINE = "Wed Nov 25 18:29:15.630609363 2026: (VI_1) Entering BACKUP STATE"


def test_parse_klog_reads_the_nanosecond_utc_stamp():
    wall, text = parse_klog(LINE)
    assert text == "(VI_1) Entering BACKUP STATE"
    assert wall == pytest.approx(calendar.timegm((2026, 11, 25, 18, 29, 15)) + 0.630609363)
    assert parse_klog(LINE + "\r\n") == (wall, text)


def test_parse_klog_single_digit_days_and_junk():
    wall, _ = parse_klog("Thu Jan  1 00:00:01.5 1970: x")
    assert wall == pytest.approx(1.5)
    assert parse_klog("Thu Foo  1 00:00:01.5 1970: x") is None
    assert parse_klog("  continuation of the previous message") is None
    assert parse_klog("") is None


@pytest.mark.parametrize("text, child, events", [
    ("(VI_1) Entering MASTER STATE", True, [("vrrp", {"state": "MASTER", "instance": "VI_1"})]),
    ("(VI_1) Entering BACKUP STATE", True, [("vrrp", {"state": "BACKUP", "instance": "VI_1"})]),
    ("(VI_1) Entering FAULT STATE", True, [("vrrp", {"state": "FAULT", "instance": "VI_1"})]),
    ("VRRP_Script(check_mysql) succeeded", True,
     [("check", {"script": "check_mysql", "ok": True, "result": "succeeded"})]),
    ("VRRP_Script(check_mysql) failed", True,
     [("check", {"script": "check_mysql", "ok": False, "result": "failed"})]),
    ("VRRP_Script(chk) timed_out", True,
     [("check", {"script": "chk", "ok": False, "result": "timed_out"})]),
    ("Stopped - used (self/children) 0.01 user time, 0.02 system time", True,
     [("vrrp", {"state": "STOP"})]),
    ("Stopped - used (self/children) 0.01 user time, 0.02 system time", False, []),
    ("pid 160 exited due to signal 9 (Killed) - has rlimit_rttime been exceeded?", False,
     [("vrrp", {"state": "CRASH"})]),
    ("pid 160 exited due to signal 9 (Killed) - has rlimit_rttime been exceeded?", True, []),
    ("Stopped Keepalived v2.3.4 (06/10,2025)", False, [("vrrp", {"state": "STOP"})]),
    ("Starting VRRP child process, pid=160", False, []),
])
def test_klog_events(text, child, events):
    out = klog_events(text, child)
    assert out[0] == ("klog", {"text": text})
    assert out[1:] == events


def test_gratuitous_arp_chatter_is_not_kept_but_the_one_line_per_transition_is():
    text = "(VI_1) Sending/queueing gratuitous ARPs on eth0 for 198.18.151.100"
    assert klog_events(text, True) == [("klog", {"text": text})]
    assert klog_events("Sending gratuitous ARP on eth0 for 198.18.151.100", True) == []


def test_long_log_lines_are_cut():
    assert len(klog_events("x" * 1000, True)[0][1]["text"]) == 300


def stamped(text, wall=1_000_000.25):
    t = time.gmtime(wall)
    frac = f"{wall % 1:.9f}"[2:]
    return (f"{time.strftime('%a %b %d %H:%M:%S', t)}.{frac} {t.tm_year}: {text}\n").encode()


def logs(node, parent=b"", child=b""):
    node.container.files[PARENT] = parent
    node.container.files[CHILD] = child


def test_keepalived_log_records_the_last_known_state_at_start():
    c, h = fake_pair(), History()
    logs(c.nodes[0], stamped("Starting Keepalived"),
         stamped("(VI_1) Entering BACKUP STATE") + stamped("VRRP_Script(chk) failed")
         + stamped("(VI_1) Entering MASTER STATE") + stamped("VRRP_Script(chk) succeeded"))
    obs = KeepalivedLog(h, c.nodes)
    obs.start()
    obs.stop()
    initial = [e for e in h.events() if e.get("initial")]
    assert sorted((e["kind"], e.get("state"), e.get("ok")) for e in initial) == [
        ("check", None, True), ("vrrp", "MASTER", None)]
    assert all(e["node"] == "node1" for e in initial)
    assert not h.events("klog")  # the old lines are not replayed as new ones


def test_the_initial_state_is_the_latest_of_both_files():
    """The parent's CRASH is later than the child's last MASTER: the node's state is CRASH."""
    c, h = fake_pair(), History()
    logs(c.nodes[0],
         stamped("pid 160 exited due to signal 9 (Killed) - has rlimit_rttime been exceeded?",
                 1_000_050.0),
         stamped("(VI_1) Entering MASTER STATE", 1_000_000.0))
    obs = KeepalivedLog(h, c.nodes)
    obs.start()
    obs.stop()
    assert [(e["kind"], e["state"]) for e in h.events() if e.get("initial")] == [
        ("vrrp", "CRASH")]


def test_a_stop_said_by_child_and_parent_is_recorded_once(beat_always):
    c, h = fake_pair(), History()
    logs(c.nodes[0])
    obs = KeepalivedLog(h, c.nodes)
    c.nodes[0].container.files[CHILD] += stamped("Stopped - used (self/children) 0.1 user")
    c.nodes[0].container.files[PARENT] += stamped("Stopped Keepalived v2.3.4 (06/10,2025)")
    obs.tick()
    assert [e["state"] for e in h.events("vrrp")] == ["STOP"]
    c.nodes[0].container.files[CHILD] += stamped("(VI_1) Entering BACKUP STATE") + \
        stamped("Stopped - used (self/children) 0.2 user")
    obs.tick()
    assert [e["state"] for e in h.events("vrrp")] == ["STOP", "BACKUP", "STOP"]


def test_keepalived_log_follows_appended_lines_in_the_history_clock(beat_always):
    c = fake_pair()
    h = History()
    logs(c.nodes[0], b"", stamped("old line"))
    obs = KeepalivedLog(h, c.nodes)
    wall = time.time()
    c.nodes[0].container.files[CHILD] += stamped("(VI_1) Entering MASTER STATE", wall) + \
        stamped("VRRP_Script(check_mysql) failed", wall) + stamped("half a li", wall)[:-12]
    obs.tick()
    got = [(e["kind"], e.get("state") or e.get("script") or e.get("text")) for e in h.events()
           if e["kind"] != "beat"]
    assert got == [("klog", "(VI_1) Entering MASTER STATE"), ("vrrp", "MASTER"),
                   ("klog", "VRRP_Script(check_mysql) failed"), ("check", "check_mysql")]
    assert h.events("vrrp")[0]["t"] == pytest.approx(h.wall_to_t(wall), abs=0.01)
    assert h.events("vrrp")[0]["node"] == "node1"
    # the half line is read once it is complete
    c.nodes[0].container.files[CHILD] += b"ne\n"
    c.nodes[0].container.files[CHILD] = c.nodes[0].container.files[CHILD].replace(
        stamped("half a li", wall)[:-12] + b"ne\n", stamped("half a line", wall))
    obs.tick()
    assert h.events("klog")[-1]["text"] == "half a line"


def test_keepalived_log_parent_file_crash_and_stop(beat_always):
    c, h = fake_pair(), History()
    logs(c.nodes[1])
    obs = KeepalivedLog(h, c.nodes)
    c.nodes[1].container.files[PARENT] += stamped(
        "pid 160 exited due to signal 9 (Killed) - has rlimit_rttime been exceeded?")
    c.nodes[1].container.files[CHILD] += stamped("Stopped - used (self/children) 0.1 user")
    obs.tick()
    assert [(e["node"], e["state"]) for e in h.events("vrrp")] == [("node2", "CRASH"),
                                                                  ("node2", "STOP")]


def test_keepalived_log_rereads_a_replaced_file(beat_always):
    c, h = fake_pair(), History()
    logs(c.nodes[0], b"", stamped("a long line that will be gone " * 3))
    obs = KeepalivedLog(h, c.nodes)
    c.nodes[0].container.files[CHILD] = stamped("(VI_1) Entering BACKUP STATE")
    obs.tick()
    assert [e["state"] for e in h.events("vrrp")] == ["BACKUP"]


def test_keepalived_log_missing_files_are_not_errors(beat_always):
    c, h = fake_pair(), History()
    obs = KeepalivedLog(h, c.nodes)  # no log files at all
    obs.tick()
    assert not h.events("observer_error")
    assert [e["node"] for e in h.events("beat")] == ["node1", "node2"]


def test_keepalived_log_read_errors_are_recorded_without_a_beat(beat_always):
    c, h = fake_pair(), History()
    logs(c.nodes[0])
    obs = KeepalivedLog(h, c.nodes)
    c.nodes[0].container.files[CHILD] = PermissionError("denied")
    obs.tick()
    (err,) = h.events("observer_error")
    assert err["node"] == "node1" and err["observer"] == "keepalived"
    assert [e["node"] for e in h.events("beat")] == ["node2"]


# --- processes, ARP, replication ----------------------------------------------------------------
def fake_root(monkeypatch, tmp_path):
    monkeypatch.setattr(samplers, "Path", lambda p: tmp_path / str(p).lstrip("/"))


def put(tmp_path, path, text):
    f = tmp_path / path.lstrip("/")
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(text)


def test_proc_sampler_counts_keepalived_and_reads_mysqld_state(monkeypatch, tmp_path,
                                                               beat_always):
    fake_root(monkeypatch, tmp_path)
    c, h = fake_pair(), History()
    for n, cg in ((c.nodes[0], "/docker/a"), (c.nodes[1], "/docker/b")):
        put(tmp_path, f"/proc/{n.pid()}/cgroup", f"9:name=systemd:/x\n8:pids:{cg}\n0::/\n")
    put(tmp_path, "/sys/fs/cgroup/pids/docker/a/cgroup.procs", "11\n12\n13\n14\n")
    put(tmp_path, "/sys/fs/cgroup/pids/docker/b/cgroup.procs", "21\n")
    put(tmp_path, "/proc/11/stat", "11 (keepalived) S 1 ...")
    put(tmp_path, "/proc/12/stat", "12 (keepalived) S 11 ...")
    put(tmp_path, "/proc/13/stat", "13 (mysqld) T 1 ...")
    put(tmp_path, "/proc/21/stat", "21 (my (odd) name) R 1 ...")  # 14 vanished meanwhile
    assert ProcSampler.sample(c.nodes[0].pid()) == {"keepalived": 2, "mysqld": "T"}
    p = ProcSampler(h, c.nodes)
    p.tick()
    p.tick()
    assert kinds(h, "proc") == [
        {"kind": "proc", "node": "node1", "keepalived": 2, "mysqld": "T"},
        {"kind": "proc", "node": "node2", "keepalived": 0, "mysqld": None}]
    assert len(h.events("beat")) == 4


def test_proc_sampler_running_node_unreadable_is_an_error_not_a_sample(monkeypatch, tmp_path,
                                                                       beat_always):
    fake_root(monkeypatch, tmp_path)
    c, h = fake_pair(), History()
    c.engine.kill(c.nodes[1].container_name)
    ProcSampler(h, c.nodes).tick()
    assert kinds(h, "proc") == [{"kind": "proc", "node": "node2", "keepalived": 0,
                                 "mysqld": None, "running": False}]
    (err,) = h.events("observer_error")
    assert err["node"] == "node1" and err["error"] == "cannot read the node's processes"
    assert [e["node"] for e in h.events("beat")] == ["node2"]


def test_arp_watcher_names_the_node_behind_the_vip(monkeypatch, tmp_path, beat_always):
    fake_root(monkeypatch, tmp_path)
    c, h = fake_pair(), History()
    c.nodes[1].container.mac = "02:42:C6:12:97:0C"
    head = "IP address       HW type     Flags       HW address            Mask     Device\n"
    put(tmp_path, "/proc/net/arp", head +
        "198.18.151.100   0x1         0x2         02:42:c6:12:97:0c     *        vc-host\n"
        "198.18.151.100   0x1         0x2         02:42:c6:12:97:0b     *        other\n")
    w = ArpWatcher(h, c.nodes, "198.18.151.100", "vc-host")
    w.tick()
    w.tick()
    put(tmp_path, "/proc/net/arp", head +
        "198.18.151.100   0x1         0x0         00:00:00:00:00:00     *        vc-host\n")
    w.tick()
    assert kinds(h, "arp") == [{"kind": "arp", "mac": "02:42:c6:12:97:0c", "node": "node2"},
                               {"kind": "arp", "mac": None, "node": None}]
    assert [e["node"] for e in h.events("beat")] == [None, None, None]


def test_repl_sampler_records_channels_and_unreachable_nodes(beat_always):
    c, h = fake_pair(), History()
    c.nodes[1].container.services["mysqld"] = "stopped"
    r = ReplSampler(h, c.nodes, c.channels)
    r.tick()
    ok, down = h.events("repl")
    assert ok["node"] == "node1" and ok["reachable"] is True and ok["io"] is True
    assert ok["sql"] is True and ok["sql_error"] == "" and ok["gtid"].endswith(":1-10")
    assert down["node"] == "node2" and down["reachable"] is False
    assert "Can't connect" in down["error"]
    assert [e["node"] for e in h.events("beat")] == ["node1"]
    r.tick()  # within a second: no new full sample
    assert len(h.events("repl")) == 2


def test_the_fake_engine_records_what_the_observers_asked():
    e = FakeEngine()
    n = FakeNode(e, "x", "198.18.151.30", 1, 1)
    VipProber(History(), [n]).tick()
    assert ("status", "vc-x") in e.calls
