"""Bad input gets a clear error that says what to do, and leaves nothing running.

These use the real engine, on lab subnets of their own so they can share a session with the
suites' pair."""

import json
import shutil
import subprocess

import docker
import pytest

from harness.cluster import Cluster
from harness.config import BUNDLES_DIR, load_bundle, relocate
from harness.engine import Engine
from harness.errors import DockerUnavailable, NetworkSetupError, ReadinessTimeout


def _links() -> set[str]:
    out = subprocess.run(["ip", "-j", "link"], capture_output=True, text=True).stdout
    return {link["ifname"] for link in json.loads(out) if link["ifname"].startswith("vc-")}


def _leftovers(engine: Engine, run_id: str) -> list[str]:
    containers, networks = engine.managed(run_id)
    return [c.name for c in containers] + [n.name for n in networks]


def test_docker_unreachable(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(DockerUnavailable, match="start the daemon"):
        Engine()


def test_subnet_already_used_by_a_docker_network(docker_engine, node_image):
    bundle = relocate(load_bundle("seed"), "198.18.154.0/24")
    squatter = docker_engine.client.networks.create(
        "vipchaos-test-squatter", driver="bridge", labels={"vipchaos.managed": "1"},
        ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(
            subnet="198.18.154.0/25")]))
    links_before = _links()
    try:
        cluster = Cluster(docker_engine, bundle, node_image)
        with pytest.raises(NetworkSetupError, match="overlaps Docker network "
                                                    "'vipchaos-test-squatter'"):
            cluster.up()
        assert _links() == links_before
        assert _leftovers(docker_engine, cluster.run_id) == []
    finally:
        squatter.remove()


def test_node_that_never_becomes_ready_shows_its_logs(docker_engine, node_image, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(BUNDLES_DIR / "seed", broken)
    (broken / "my.cnf.j2").write_text("[mysqld]\nserver_id = {{ node.index }}\n"
                                      "no_such_option_at_all = 1\n")
    bundle = relocate(load_bundle(broken), "198.18.153.0/24")
    links_before = _links()
    cluster = Cluster(docker_engine, bundle, node_image, ready_timeout=15)
    with pytest.raises(ReadinessTimeout) as exc:
        cluster.up()
    msg = str(exc.value)
    assert "mysqld on node" in msg and "no_such_option_at_all" in msg  # the log tail says why
    assert _leftovers(docker_engine, cluster.run_id) == []
    assert _links() == links_before
