"""The ``vipchaos up`` session: its state file, its history mirrored to a file on one clock for
every process, and the commands that act on the pair through the one recorder (fault, heal,
action), with a fake pair; the watcher's liveness; the judged session saved for ``report``."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from histories import failover_history

from harness import cli, session, watch
from harness.errors import ConfigError, HarnessError
from harness.exitcodes import EXIT_PASS, EXIT_UNKNOWN, EXIT_USAGE
from harness.history import History, append_events, load
from harness.pair import Pair


def _no_traceback(capsys) -> str:
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    return out.err


def _write(dir_: Path, events) -> None:
    dir_.mkdir(parents=True, exist_ok=True)
    append_events(dir_ / "history.jsonl", events)


def _state(tmp_path: Path, **kw) -> session.UpState:
    run_dir = tmp_path / "runs" / "up-abc123"
    run_dir.mkdir(parents=True, exist_ok=True)
    return session.UpState(run_id="abc123", bundle="seed", bundle_path="/b/seed",
                        subnet="198.18.191.0/24", vip="198.18.191.100",
                        nodes=[{"name": "node1", "ip": "198.18.191.11", "priority": 100},
                               {"name": "node2", "ip": "198.18.191.12", "priority": 90}],
                        image="img", run_dir=str(run_dir),
                        history=str(run_dir / "history.jsonl"),
                        origin=round(time.time() - 100, 3), **kw)


def test_state_file_round_trip_and_locked_updates(tmp_path):
    path = tmp_path / "state.json"
    assert session.read_state(path) is None
    s = _state(tmp_path)
    session.write_state(path, s)
    assert session.read_state(path) == s and s.recorded
    assert [session.take_step(path) for _ in range(3)] == [0, 1, 2]
    session.update_state(path, lambda st: st.faults.append({"fault": "x"}))
    assert session.read_state(path).faults == [{"fault": "x"}]
    assert session.read_state(path).next_step == 3
    # a state from an older `up` (run id only) loads, and is not a recorded session
    session.write_state(path, session.UpState(run_id="old"))
    assert not session.read_state(path).recorded


def test_a_corrupt_state_file_is_a_usage_error(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("[1, 2")
    with pytest.raises(ConfigError, match="not a `vipchaos up` state file"):
        session.read_state(path)


def test_times_are_on_the_histories_clock(tmp_path):
    s = _state(tmp_path)
    assert s.t(s.origin + 12.3456) == 12.346
    clock = iter([100.0, 112.5, 112.5])
    h = History(1000.0, clock=lambda: next(clock), wall=lambda: 1000.0)
    assert h.now() == 12.5 and h.wall_to_t(1003.25) == 3.25
    assert h.add("note", text="x") == {"t": 12.5, "kind": "note", "text": "x"}


def test_a_mirrored_history_flushes_appends_and_keeps_only_what_it_is_told(tmp_path):
    path = tmp_path / "h.jsonl"
    append_events(path, [{"t": 0.0, "kind": "run", "scenario": "manual"}])
    h = History(0.0, mirror=path, keep=("vip",), clock=lambda: 5.0, wall=lambda: 5.0)
    h.add("vip", node="node1", held=True)
    h.add("beat", observer="vip", node="node1")
    h.add("vrrp", t=4.0, node="node1", state="MASTER")
    assert [e["kind"] for e in h.flush()] == ["vip", "beat", "vrrp"]
    assert h.flush() == []
    assert [e["kind"] for e in h.events()] == ["vip"]
    assert [e["kind"] for e in load(path)] == ["run", "vrrp", "vip", "beat"]


def test_needs_final():
    run = {"t": 0.0, "kind": "run"}
    assert session.needs_final([run])
    fin = {"t": 5.0, "kind": "final"}
    assert not session.needs_final([run, {"t": 1.0, "kind": "fault"}, fin,
                                 {"t": 6.0, "kind": "note"}])
    assert session.needs_final([run, fin, {"t": 6.0, "kind": "action"}])


def test_parse_params():
    assert session.parse_params(["probability=0.5", "delay_ms=200", "flag=true", "path=/a=b"]) == {
        "probability": 0.5, "delay_ms": 200, "flag": True, "path": "/a=b"}
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        session.parse_params(["probability"])


def test_describe_notable_events_only():
    assert watch.describe({"t": 1.5, "kind": "vrrp", "node": "node2", "state": "MASTER"}) == \
        "     1.50s  vrrp    node2 -> MASTER"
    assert "FAULT   kill-mysqld on node1" in watch.describe(
        {"t": 1, "kind": "fault", "phase": "start", "fault": "kill-mysqld", "nodes": ["node1"]})
    assert watch.describe({"t": 1, "kind": "beat", "observer": "vip", "node": "node1"}) is None


class FakeNode:
    def __init__(self, name, ip, priority):
        from types import SimpleNamespace
        self.name, self.ip = name, ip
        self.spec = SimpleNamespace(name=name, ip=ip, priority=priority)
        self.container_name = f"vipchaos-abc123-{name}"
        self.calls, self.mysqld = [], True

    def vcctl(self, verb, service, *args):
        self.calls.append(f"{verb} {service}")
        if service == "mysqld":
            self.mysqld = verb in ("start", "restart", "thaw")
        return "running" if verb == "status" else ""

    def exec(self, cmd, check=True):
        return "42" if "pgrep -x 'mysqld|mariadbd'" in str(cmd) and self.mysqld else ""

    def sql(self, query, args=None, timeout=5):
        if not self.mysqld:
            raise ConnectionRefusedError("mysqld is down")
        return [{"1": 1}]


class FakePair:
    resolve = Pair.resolve

    def __init__(self):
        self.nodes = [FakeNode("node1", "198.18.191.11", 100),
                      FakeNode("node2", "198.18.191.12", 90)]
        self.active_faults = []
        self.bundle = type("B", (), {"runbook": None})()

    def node(self, name):
        return next(n for n in self.nodes if n.name == name)

    def peer(self, node):
        return next(n for n in self.nodes if n is not node)

    def vip_owners(self):
        return ["node1"] if self.nodes[0].mysqld else ["node2"]

    def wait_mysqld(self, node, timeout=None):
        pass


@pytest.fixture
def up_pair(tmp_path, monkeypatch):
    path = tmp_path / ".vipchaos-up.json"
    state = _state(tmp_path)
    session.write_state(path, state)
    append_events(state.history, [{"t": 0.0, "kind": "run", "scenario": "manual"}])
    pair = FakePair()
    monkeypatch.setattr(session, "pair_for", lambda st, engine: pair)
    return path, state, pair


def test_fault_heal_and_action_are_recorded_and_tracked(up_pair):
    path, state, pair = up_pair
    done = session.inject(path, None, "kill-mysqld", "owner", {})
    assert done.status == 0 and "nothing watches this pair" in done.lines[0]
    assert pair.nodes[0].calls == ["kill mysqld"]
    active = session.read_state(path).faults
    assert [(f["fault"], f["node"], f["target"], f["step"]) for f in active] == [
        ("kill-mysqld", "node1", "owner", 0)]
    with pytest.raises(ConfigError, match="already active"):
        session.inject(path, None, "kill-mysqld", "node1", {})
    with pytest.raises(ConfigError, match="unknown target"):
        session.inject(path, None, "crash-node", "node9", {})
    done = session.heal(path, None)
    assert done.status == 0 and pair.nodes[0].calls[-1] == "start mysqld"
    assert session.read_state(path).faults == []
    assert session.act(path, None, "systemctl restart keepalived", "standby", {}).status == 0
    assert pair.nodes[1].calls == ["stop keepalived", "start keepalived"]
    events = load(state.history)
    start = next(e for e in events if e["kind"] == "fault" and e["phase"] == "start")
    assert {k: start[k] for k in ("fault", "step", "nodes", "target", "owner_at_start",
                                  "removes_service")} == {
        "fault": "kill-mysqld", "step": 0, "nodes": ["node1"], "target": "owner",
        "owner_at_start": "node1", "removes_service": True}
    assert start["detail"] and start["verified_at"] >= start["t"] > 0
    healed = next(e for e in events if e["kind"] == "fault" and e["phase"] == "healed")
    assert healed["step"] == 0 and healed["done_at"] >= healed["t"] >= start["t"]
    acts = [(e["phase"], e["action"], e["node"], e["step"]) for e in events
            if e["kind"] == "action"]
    assert acts == [("start", "restart-keepalived", "node2", 1),
                    ("done", "restart-keepalived", "node2", 1)]
    assert session.needs_final(events)


def test_a_fault_that_cannot_be_verified_is_healed_and_exits_2(up_pair, monkeypatch):
    path, state, pair = up_pair
    from harness.faults.process import KillMysqld
    monkeypatch.setattr(KillMysqld, "verify", lambda self: (_ for _ in ()).throw(
        HarnessError("mysqld still answers")))
    done = session.inject(path, None, "kill-mysqld", "owner", {})
    assert done.status == EXIT_UNKNOWN and "not verified" in done.lines[-1]
    assert session.read_state(path).faults == []
    assert pair.nodes[0].calls == ["kill mysqld", "start mysqld"]
    failed = [e for e in load(state.history) if e["kind"] == "fault"]
    assert [e["phase"] for e in failed] == ["failed"]


def test_heal_of_a_fault_not_active_is_a_usage_error(up_pair):
    path, _, _ = up_pair
    assert session.heal(path, None).lines == ["no active fault"]
    with pytest.raises(ConfigError, match="no active fault crash-node"):
        session.heal(path, None, "crash-node")


def test_cli_fault_and_heal_print_and_exit(up_pair, monkeypatch, capsys):
    monkeypatch.setattr(cli, "Engine", lambda: None)
    monkeypatch.setattr(cli, "STATE_FILE", up_pair[0])
    assert cli.main(["fault", "kill-mysqld", "--target", "node1"]) == EXIT_PASS
    assert "active until `vipchaos heal kill-mysqld`" in capsys.readouterr().out
    assert cli.main(["heal", "kill-mysqld"]) == EXIT_PASS
    assert "healed kill-mysqld on node1" in capsys.readouterr().out
    assert cli.main(["action", "reboot-the-world"]) == EXIT_USAGE
    assert "unknown operator action" in _no_traceback(capsys)


def test_watcher_liveness_is_the_owning_process(tmp_path):
    from harness import ownership
    s = _state(tmp_path, watcher={"pid": os.getpid(), "owner": ownership.process_owner()})
    assert session.watcher_alive(s)
    s.watcher = {"pid": 1, "owner": "elsewhere:1:1:1"}
    assert session.watcher_alive(s)  # another host's process is never judged dead...
    assert not session._local(s.watcher["owner"])  # ...nor signalled
    s.watcher = None
    assert not session.watcher_alive(s)


def test_the_judged_session_is_saved_for_report(tmp_path, capsys):
    run_dir = tmp_path / "up-abc123"
    _write(run_dir, failover_history())
    result = session.judge_file(run_dir / "history.jsonl", run_dir)
    assert result.outcome == "pass"
    saved = json.loads((run_dir / "session" / "result.json").read_text())
    assert saved["outcome"] == "pass"
    assert (run_dir / "session" / "history.jsonl").read_text() == \
        (run_dir / "history.jsonl").read_text()
    assert cli.main(["report", str(run_dir)]) == EXIT_PASS
    assert cli.main(["check", str(run_dir)]) == EXIT_PASS  # the session, not session/ again
    assert capsys.readouterr().out.count("outcome: pass") == 1
