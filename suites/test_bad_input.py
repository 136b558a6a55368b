"""Bad input gets a clear error that says what to do, and leaves nothing running.

These use the real engine, on lab subnets leased for them (``network.subnet_lease``) so they can
share a host with the suites' pair and with other sessions."""

import json
import shutil
import subprocess
from ipaddress import IPv4Network

import docker
import pytest

from harness import ownership
from harness.bundle import BUNDLES_DIR, load_bundle, relocate
from harness.engine import LABEL, RUN_LABEL, Engine
from harness.errors import DockerUnavailable, NetworkSetupError, ReadinessTimeout
from harness.labnet import subnet_lease
from harness.pair import Pair, new_run_id


def _host_leftovers(run_id: str) -> list[str]:
    """The run's host links and iptables rules/chains still present."""
    out = subprocess.run(["ip", "-j", "link"], capture_output=True, text=True).stdout
    links = [x["ifname"] for x in json.loads(out) if x["ifname"].startswith(f"vc-{run_id}-")]
    rules = subprocess.run(["iptables", "-w", "10", "-S"], capture_output=True, text=True).stdout
    return links + [r for r in rules.splitlines() if f"VC-{run_id}" in r or f"run={run_id}" in r]


def _leftovers(engine: Engine, run_id: str) -> list[str]:
    containers, networks = engine.managed(run_id)
    return [c.name for c in containers] + [n.name for n in networks] + _host_leftovers(run_id)


def test_docker_unreachable(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(DockerUnavailable, match="start the daemon"):
        Engine()


@pytest.fixture
def squatter(docker_engine):
    """A Docker network on half of a leased /24 (labelled as ours, so a reaper of dead runs
    leaves it alone while this session lives)."""
    run_id = new_run_id()
    with subnet_lease(docker_engine, "198.18.154.0/24") as subnet:
        half = next(IPv4Network(subnet).subnets(new_prefix=25))
        net = docker_engine.client.networks.create(
            f"vipchaos-test-squatter-{run_id}", driver="bridge",
            labels={LABEL: "1", RUN_LABEL: run_id,
                    ownership.OWNER_LABEL: ownership.owner_of(run_id)},
            ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=str(half))]))
    yield net, subnet
    net.remove()


def test_subnet_already_used_by_a_docker_network(docker_engine, node_image, squatter):
    net, subnet = squatter
    pair = Pair(docker_engine, relocate(load_bundle("seed"), subnet), node_image)
    with pytest.raises(NetworkSetupError, match=f"overlaps Docker network '{net.name}'"):
        pair.up()
    assert _leftovers(docker_engine, pair.run_id) == []


def test_the_subnet_lease_moves_off_a_taken_subnet(docker_engine, squatter):
    _, subnet = squatter
    with subnet_lease(docker_engine, subnet) as other:
        assert not IPv4Network(other).overlaps(IPv4Network(subnet))
        assert IPv4Network(other).subnet_of(IPv4Network("198.18.0.0/15"))


def test_node_that_never_becomes_ready_shows_its_logs(docker_engine, node_image, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(BUNDLES_DIR / "seed", broken)
    (broken / "my.cnf.j2").write_text("[mysqld]\nserver_id = {{ node.index }}\n"
                                      "no_such_option_at_all = 1\n")
    with subnet_lease(docker_engine, "198.18.153.0/24") as subnet:
        pair = Pair(docker_engine, relocate(load_bundle(broken), subnet), node_image,
                          ready_timeout=15)
        pair.network.up()
    with pytest.raises(ReadinessTimeout) as exc:
        pair.up()
    msg = str(exc.value)
    assert "mysqld on node" in msg and "no_such_option_at_all" in msg  # the log tail says why
    assert _leftovers(docker_engine, pair.run_id) == []


def test_a_config_that_never_holds_the_vip_is_a_violation_not_an_error(docker_engine, node_image,
                                                                        tmp_path):
    """hardened with a check that always fails (weight 0): both nodes stay in FAULT and nobody
    ever holds the VIP. The bring-up is a FAIL with keepalived's evidence, the recorded attempt
    at the intended state too, and so is every test that would need it: never a setup error."""
    from harness.api import bring_up, setup_failure
    broken = tmp_path / "never-up"
    shutil.copytree(BUNDLES_DIR / "hardened", broken)
    (broken / "scripts" / "check_mysql.sh").write_text("#!/bin/bash\nexit 1\n")
    pair = bring_up(docker_engine, node_image, load_bundle(broken), subnet="198.18.155.0/24",
                    out_dir=tmp_path / "bring-up")
    try:
        br = pair.bringup_result
        assert br.outcome == "fail", br.judgement.reasons
        assert "VIP held by nobody" in br.verdict("bringup").signature
        assert pair.setup_history is not None
        result = setup_failure(pair, "kill-mysqld-owner", tmp_path / "kill")
        assert result.outcome == "fail" and result.scenario == "kill-mysqld-owner"
        v = result.verdict("bringup")
        assert v.valid is False and "VIP held by nobody" in v.signature, v.summary
        assert any("check check_mysql failing" in p for p in v.signature), v.signature
        assert (tmp_path / "kill" / "result.json").exists()
    finally:
        pair.down()
    assert _leftovers(docker_engine, pair.run_id) == []
