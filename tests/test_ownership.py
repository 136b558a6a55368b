"""Ownership: who owns a resource, whether that owner is alive, and what the reaper removes.

The last test uses the real engine and host (skipped without them): a process that made a run
of its own is killed with SIGKILL, and ``reap_dead`` removes exactly that run's resources."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness import clientnet, labnet, ownership, reaper
from harness.ownership import Resource

ROOT = Path(__file__).resolve().parent.parent


def _sleeper_owner() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(["sleep", "30"])
    owner = (f"{socket.gethostname()}:{proc.pid}:{ownership.start_time(proc.pid)}:"
             f"{ownership._pid_namespace()}")
    return proc, owner


def test_start_time_is_field_22_even_when_the_command_name_has_spaces_and_parens():
    stat = "4242 (a b) c) S 1 4242 4242 0 -1 4194560 99 0 0 0 1 2 0 0 20 0 1 0 777123 10 2"
    assert ownership.parse_start_time(stat) == "777123"


def test_this_process_is_alive():
    assert ownership.process_alive(ownership.process_owner())


def test_an_exited_process_is_dead():
    proc, owner = _sleeper_owner()
    assert ownership.process_alive(owner)
    proc.kill()
    proc.wait()
    assert not ownership.process_alive(owner)


def test_a_recycled_pid_is_not_the_owner():
    host, pid, started, pidns = ownership.process_owner().split(":")
    assert not ownership.process_alive(f"{host}:{pid}:{int(started) + 1}:{pidns}")


def test_a_foreign_owner_is_never_judged_dead():
    assert ownership.process_alive("elsewhere:1:1:4026531836")
    host = socket.gethostname()
    assert ownership.process_alive(f"{host}:999999:1:1")  # another pid namespace


@pytest.mark.parametrize("owner", ["", "garbage", "a:b:c:d", "host:12"])
def test_unrecorded_or_unreadable_owners_are_dead(owner):
    assert not ownership.process_alive(owner)


def test_tags_round_trip():
    t = ownership.tag("ab12cd", "vm:1:2:3", "out-of-lab")
    assert ownership.parse_tag(t) == ("ab12cd", "vm:1:2:3")
    assert ownership.parse_tag("some admin's alias") is None
    assert ownership.parse_tag("") is None


def test_claimed_runs_are_owned_by_the_user():
    assert ownership.owner_of("r1") == ownership.process_owner()
    ownership.claim_manual("r2")
    try:
        assert ownership.owner_of("r2") == "manual:r2"
        assert ownership.owner_of(None) == ownership.process_owner()
    finally:
        ownership._claims.pop("r2")


def test_manual_runs_live_as_long_as_their_host_link_says_so():
    me = ownership.process_owner()
    proc, gone = _sleeper_owner()
    proc.kill()
    proc.wait()
    res = [
        # handed over by `vipchaos up`: kept
        Resource("container", "c-done", "done", "manual:done"),
        Resource("link", "vc-done-h", "done", "manual:done"),
        # `vipchaos up` still bringing it up: kept
        Resource("network", "n-busy", "busy", "manual:busy"),
        Resource("link", "vc-busy-h", "busy", me),
        # `vipchaos up` killed mid-way: reaped, link included
        Resource("container", "c-killed", "killed", "manual:killed"),
        Resource("chain", "VC-killed", "killed", "manual:killed"),
        Resource("link", "vc-killed-h", "killed", gone),
        # no link at all: nothing vouches for it
        Resource("container", "c-orphan", "orphan", "manual:orphan"),
    ]
    assert {r.name for r in ownership.dead(res)} == {
        "c-killed", "VC-killed", "vc-killed-h", "c-orphan"}


class FakeEngine:
    def __init__(self, resources: list[Resource]) -> None:
        self.items = resources
        self.removed: list[str] = []

    def resources(self) -> list[Resource]:
        return list(self.items)

    def remove(self, res: Resource) -> None:
        self.removed.append(res.name)
        self.items.remove(res)


def test_reap_dead_removes_only_dead_owners_users_first(monkeypatch):
    me = ownership.process_owner()
    proc, gone = _sleeper_owner()
    proc.kill()
    proc.wait()
    engine = FakeEngine([
        Resource("network", "net-dead", "dead", gone),
        Resource("container", "c-dead", "dead", gone),
        Resource("container", "c-old", "old", ""),  # made before owners were recorded
        Resource("container", "c-live", "live", me),
        Resource("network", "net-live", "live", me),
    ])
    host = [Resource("link", "vc-dead-h", "dead", gone), Resource("link", "vc-live-h", "live", me),
            Resource("chain", "VC-dead", "dead", gone)]
    removed_host: list[str] = []
    spaces = [Resource("netns", "vc-dead-r", "dead", gone),
              Resource("netns", "vc-live-r", "live", me)]
    monkeypatch.setattr(labnet, "host_resources", lambda everything=False: host)
    monkeypatch.setattr(labnet, "remove_host_resource", lambda r: removed_host.append(r.name))
    monkeypatch.setattr(clientnet, "host_resources", lambda: spaces)
    monkeypatch.setattr(clientnet, "remove_netns", removed_host.append)
    monkeypatch.setattr(labnet, "LOCK_DIRS", (Path(os.environ.get("TMPDIR", "/tmp")),))

    assert reaper.reap_dead(engine, runs={"live", "old"}) == ["c-old"]
    said: list[str] = []
    removed = reaper.reap_dead(engine, say=said.append)
    assert removed == ["c-dead", "vc-dead-r", "net-dead", "VC-dead", "vc-dead-h"]  # in order
    assert engine.removed == ["c-old", "c-dead", "net-dead"]
    assert removed_host == ["vc-dead-r", "VC-dead", "vc-dead-h"]
    assert len(said) == 5 and all(s.startswith("removing ") for s in said)


# --- on the real engine ---------------------------------------------------------------------
CHILD = textwrap.dedent("""
    import sys, time
    from harness.bundle import load_bundle, relocate
    from harness.engine import RUN_LABEL, Engine
    from harness.labnet import LabNetwork, subnet_lease
    run_id, image = sys.argv[1:3]
    engine = Engine()
    with subnet_lease(engine) as subnet:
        net = LabNetwork(engine, relocate(load_bundle("seed"), subnet).topology, run_id)
        net.up()
    engine.create_node(name=f"vipchaos-{run_id}-node1", image=image, network=net.name,
                       ip=net.topology.nodes[0].ip, hostname="node1",
                       labels={RUN_LABEL: run_id}, env={})
    print("ready", flush=True)
    time.sleep(120)
""")


@pytest.fixture
def real_engine():
    if os.geteuid() != 0:
        pytest.skip("needs root: the run makes a host link and an iptables chain")
    from harness.engine import Engine
    from harness.errors import DockerUnavailable
    try:
        engine = Engine()
    except DockerUnavailable as exc:
        pytest.skip(str(exc))
    images = [t for i in engine.client.images.list() for t in i.tags]
    if not images:
        pytest.skip("no local image to make a container from")
    engine.test_image = next((t for t in images if t.startswith("vipchaos-node")), images[0])
    return engine


def _start_run(engine, run_id: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", CHILD, run_id, engine.test_image], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if line.strip() != "ready":
        proc.kill()
        raise AssertionError(f"child {run_id} failed: {line}{proc.stderr.read()}")
    return proc


def test_reap_dead_after_sigkill_removes_exactly_the_killed_runs_resources(real_engine):
    tag = os.urandom(2).hex()
    killed_run, live_run = f"k{tag}", f"l{tag}"
    killed, live = _start_run(real_engine, killed_run), _start_run(real_engine, live_run)
    mine = {killed_run, live_run}
    try:
        def kinds(run_id: str) -> set[str]:
            return {r.kind for r in reaper.inventory(real_engine) if r.run_id == run_id}

        assert kinds(killed_run) == kinds(live_run) == {"container", "network", "link", "chain"}
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        removed = reaper.reap_dead(real_engine, runs=mine)
        assert sorted(removed) == sorted([
            f"vipchaos-{killed_run}-node1", f"vipchaos-net-{killed_run}",
            f"VC-{killed_run}", f"vc-{killed_run}-h"])
        assert kinds(killed_run) == set()
        assert kinds(live_run) == {"container", "network", "link", "chain"}
        assert reaper.reap_dead(real_engine, runs=mine) == []  # the live run stays
    finally:
        for proc in (killed, live):
            proc.kill()
            proc.wait()
        reaper.reap_dead(real_engine, runs=mine)
    assert not [r for r in reaper.inventory(real_engine) if r.run_id in mine]


def test_clean_lists_what_it_will_remove_and_keeps_live_runs(monkeypatch, capsys, tmp_path):
    from harness import cli
    monkeypatch.setattr(cli, "STATE_FILE", tmp_path / ".vipchaos-up.json")
    proc, gone = _sleeper_owner()
    proc.kill()
    proc.wait()
    engine = FakeEngine([Resource("container", "c-dead", "dead", gone),
                         Resource("container", "c-live", "live", ownership.process_owner()),
                         Resource("container", "c-up", "up", "manual:up")])
    host = [Resource("link", "vc-up-h", "up", "manual:up")]
    monkeypatch.setattr(cli, "Engine", lambda: engine)
    monkeypatch.setattr(labnet, "host_resources", lambda everything=False: host)
    monkeypatch.setattr(labnet, "remove_host_resource", lambda r: host.remove(r))
    monkeypatch.setattr(clientnet, "host_resources", lambda: [])
    monkeypatch.setattr(labnet, "LOCK_DIRS", (Path(os.environ.get("TMPDIR", "/tmp")),))

    assert cli.main(["clean", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would remove 1 resource(s) of dead runs:\n  container c-dead" in out
    assert "keeping 3 resource(s)" in out and engine.removed == []
    assert cli.main(["clean"]) == 0
    assert engine.removed == ["c-dead"]
    assert cli.main(["clean", "--all"]) == 0
    out = capsys.readouterr().out
    assert out.index("  container c-live") < out.index("removed 3 of 3")
    assert engine.items == [] and host == []
