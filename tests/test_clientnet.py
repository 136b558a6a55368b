"""The router profile's namespaces (harness.clientnet): the router's address, and how a
reaper finds them and their owner (with ``ip`` faked: the real thing runs in the chaos
suite's router profile)."""

import ipaddress
import json
import os
import secrets
import shutil
import socket
import subprocess
import threading

import pytest

from harness import clientnet, hostcmd, ownership, reaper
from harness.bundle.topology import NodeSpec, Topology
from harness.errors import NetworkSetupError


def topo(subnet="198.18.151.0/24", host="198.18.151.1", vip="198.18.151.100",
         nodes=("198.18.151.11", "198.18.151.12")):
    return Topology(ipaddress.IPv4Network(subnet), host, vip, 51, "eth0",
                    tuple(NodeSpec(f"node{i}", ip, 100 - i, i) for i, ip in enumerate(nodes, 1)))


def test_the_router_takes_the_highest_free_address():
    assert clientnet.router_address(topo()) == "198.18.151.254"
    assert clientnet.router_address(topo(vip="198.18.151.254")) == "198.18.151.253"
    assert clientnet.router_address(topo(
        subnet="10.0.0.0/29", host="10.0.0.6", vip="10.0.0.5",
        nodes=("10.0.0.1", "10.0.0.2"))) == "10.0.0.4"


def test_a_full_subnet_is_a_clear_error_for_the_router_and_no_name_for_the_nodes():
    full = topo(subnet="10.0.0.0/30", host="10.0.0.1", vip="10.0.0.2", nodes=("10.0.0.2",))
    with pytest.raises(NetworkSetupError, match=r"no free address .* use a larger subnet"):
        clientnet.router_address(full)
    assert clientnet.spare_address(full) is None
    assert clientnet.spare_address(topo()) == "198.18.151.254"


def test_namespace_names():
    net = clientnet.RoutedClientNet(topo(), "abc123", "vc-abc123-p")
    assert (net.router, net.client) == ("vc-abc123-r", "vc-abc123-c")
    assert clientnet.NETNS_RE.match("vc-abc123-r").groups() == ("abc123", "r")
    assert clientnet.NETNS_RE.match("vc-abc123-p") is None
    assert clientnet.NETNS_RE.match("other-r") is None


def fake_ip(monkeypatch, netns, aliases):
    calls = []

    def run(cmd, check=True, timeout=30, input=None):
        calls.append(cmd)
        if cmd[:4] == ["ip", "-j", "netns", "list"]:
            out = json.dumps([{"name": n} for n in netns])
        elif cmd[:2] == ["ip", "-n"] and "link" in cmd:
            alias = aliases.get(cmd[2])
            out = json.dumps([{"ifname": "lab0", "ifalias": alias}] if alias else [])
        else:
            out = ""
        return subprocess.CompletedProcess(cmd, 0, out, "")

    monkeypatch.setattr(clientnet.hostcmd, "run", run)
    return calls


def test_the_reaper_finds_namespaces_with_their_router_s_owner(monkeypatch):
    tag = ownership.tag("abc123", "host:42:9:ns")
    fake_ip(monkeypatch, ["vc-abc123-c", "vc-abc123-r", "vc-dead01-c", "mine", "vc-x-p"],
            {"vc-abc123-r": tag})
    found = {(r.kind, r.name, r.run_id, r.owner) for r in clientnet.host_resources()}
    assert found == {("netns", "vc-abc123-r", "abc123", "host:42:9:ns"),
                     ("netns", "vc-abc123-c", "abc123", "host:42:9:ns"),
                     ("netns", "vc-dead01-c", "dead01", "")}


def test_a_tag_of_another_run_is_no_owner(monkeypatch):
    fake_ip(monkeypatch, ["vc-abc123-r"], {"vc-abc123-r": ownership.tag("zzz", "h:1:2:3")})
    assert [r.owner for r in clientnet.host_resources()] == [""]


def test_namespaces_go_after_containers_and_before_networks_and_links():
    order = ownership.ORDER
    assert order["container"] < order["netns"] < order["network"] < order["link"]


def test_a_failed_setup_removes_what_it_made_and_says_what_it_needs(monkeypatch):
    calls = []

    def run(cmd, check=True, timeout=30, input=None):
        calls.append(cmd)
        if "macvlan" in cmd:
            raise clientnet.CommandError(" ".join(cmd), 2, "RTNETLINK answers: Not permitted")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(clientnet.hostcmd, "run", run)
    net = clientnet.RoutedClientNet(topo(), "abc123", "vc-abc123-p")
    with pytest.raises(NetworkSetupError, match="needs root"):
        net.up()
    assert calls[-2:] == [["ip", "netns", "del", "vc-abc123-c"],
                          ["ip", "netns", "del", "vc-abc123-r"]]


needs_netns = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("iptables") is None,
    reason="real namespaces need root, iproute2 and iptables")


@pytest.fixture
def lab_parent():
    """A throwaway veth pair standing in for the lab's links, tagged with this process as
    their owner (as ``LabNetwork`` tags them)."""
    run_id = secrets.token_hex(3)
    parent = f"vc-{run_id}-p"
    subprocess.run(["ip", "link", "add", parent, "type", "veth", "peer", "name",
                    f"vc-{run_id}-h"], check=True)
    for link in (parent, f"vc-{run_id}-h"):
        subprocess.run(["ip", "link", "set", "dev", link, "alias",
                        ownership.tag(run_id, ownership.process_owner())], check=True)
    subprocess.run(["ip", "link", "set", parent, "up"], check=True)
    yield run_id, parent
    subprocess.run(["ip", "link", "del", parent], check=False)
    for side in "rc":
        subprocess.run(["ip", "netns", "del", f"vc-{run_id}-{side}"], check=False,
                       capture_output=True)


def namespaces() -> set[str]:
    return {n["name"] for n in json.loads(
        subprocess.run(["ip", "-j", "netns", "list"], capture_output=True, text=True).stdout
        or "[]")}


@needs_netns
def test_real_namespaces_route_the_client_and_a_dead_owner_s_are_reaped(lab_parent,
                                                                        monkeypatch):
    """Made for real: the client's thread is in its namespace (its default route is the
    router), the router's lab leg carries the owner; a live owner's namespaces stay when the
    next run reaps, a dead one's (kill -9: the tag names a process that is gone) go."""
    run_id, parent = lab_parent
    net = clientnet.RoutedClientNet(topo(), run_id, parent).up()
    assert {net.router, net.client} <= namespaces()
    seen = {}

    def in_client():
        net.enter()
        with open("/proc/thread-self/net/route") as f:
            seen["routes"] = f.read()

    t = threading.Thread(target=in_client)
    t.start()
    t.join()
    routes = [line.split()[:3] for line in seen["routes"].splitlines()[1:]]
    assert ["eth0", "00000000", "010200C0"] in routes  # default via 192.0.2.1 (the router)
    assert {r[0] for r in routes} == {"eth0"}  # and nothing of the host's
    reaper.reap_dead(None, runs={run_id})
    assert {net.router, net.client} <= namespaces()  # alive: kept
    dead = f"{socket.gethostname()}:999999:1:{ownership._pid_namespace()}"
    hostcmd.run(["ip", "-n", net.router, "link", "set", "dev", "lab0", "alias",
                 ownership.tag(run_id, dead)])
    reaper.reap_dead(None, runs={run_id})
    assert not {net.router, net.client} & namespaces()
    net.down()  # safe to repeat
