"""The lab is sealed: nothing a node sends leaves the lab network, whatever the host's firewall.

A pasted production config carries production addresses; an unmapped ``unicast_peer`` must
never make a lab keepalived advertise to a real node. These run a real pair on a subnet of their
own (198.18.181.0/24 when free) and probe from inside a node towards a documentation address
(TEST-NET-3): the packet reaches the host, is counted and dropped by the run's chain at the
lab's edge, and never reaches POSTROUTING (so no interface of the host sends it)."""

from __future__ import annotations

import contextlib
import shlex

import pytest

from harness import hostcmd
from harness.bundle import load_bundle, relocate
from harness.labnet import LabNetwork, rule_counters, subnet_lease
from harness.pair import Pair, new_run_id

OUTSIDE = "203.0.113.7"
PREFERRED = "198.18.181.0/24"


@pytest.fixture(scope="module")
def sealed_pair(docker_engine, node_image):
    bundle = load_bundle("hardened")
    with subnet_lease(docker_engine, PREFERRED) as subnet:
        pair = Pair(docker_engine, relocate(bundle, subnet), node_image)
        pair.network.up()
    try:
        pair.up()
        yield pair
    finally:
        pair.down()


@contextlib.contextmanager
def counting(run_id: str, rules: dict[str, str]):
    """Counting-only rules (no target) in the mangle table, by name -> "CHAIN match..."; yields
    a function returning their packet counts."""
    specs = {name: (rule.split()[0], [*shlex.split(rule)[1:], "-m", "comment", "--comment",
                                      f"vipchaos-probe {run_id} {name}"])
             for name, rule in rules.items()}
    for chain, args in specs.values():
        hostcmd.run(["iptables", "-w", "10", "-t", "mangle", "-I", chain, "1", *args])

    def counts() -> dict[str, int]:
        got = dict.fromkeys(rules, 0)
        for packets, rule in rule_counters("mangle"):
            for name in rules:
                if f'"vipchaos-probe {run_id} {name}"' in rule:
                    got[name] += packets
        return got

    try:
        yield counts
    finally:
        for chain, args in specs.values():
            hostcmd.run(["iptables", "-w", "10", "-t", "mangle", "-D", chain, *args], check=False)


def test_packets_aimed_outside_are_dropped_at_the_lab_edge_and_never_leave(sealed_pair):
    net, node = sealed_pair.network, sealed_pair.nodes[1]
    link = net.host_link
    with counting(net.run_id, {
        "routed-icmp": f"FORWARD -i {link} -d {OUTSIDE} -p icmp",  # reached the host's routing
        "routed-udp": f"FORWARD -i {link} -d {OUTSIDE} -p udp",
        "leaving": f"POSTROUTING -d {OUTSIDE}",  # any interface of the host, any source
    }) as counts:
        before = net.seal_counters()
        code, out = sealed_pair.engine.exec_in(
            node.container_name, ["ping", "-c1", "-W1", OUTSIDE], check=False)
        assert code != 0, f"a reply from outside the lab: {out}"
        node.exec(f"echo vipchaos-probe > /dev/udp/{OUTSIDE}/9")
        dropped = net.seal_counters()["out"] - before["out"]
        seen = counts()
    assert seen["routed-icmp"] >= 1 and seen["routed-udp"] >= 1, \
        f"the probes never reached the host's forwarding path: {seen}"
    assert dropped >= 2, f"the seal counted {dropped} of the 2 probes (rules: {seen})"
    assert seen["leaving"] == 0, f"{seen['leaving']} packet(s) to {OUTSIDE} left the host"


def test_nodes_still_reach_each_other_the_vip_and_the_host(sealed_pair):
    topo = sealed_pair.topology
    owner = sealed_pair.node(sealed_pair.vip_owners()[0])
    standby = sealed_pair.peer(owner)
    for src, dst in [(standby, owner.ip), (standby, topo.vip), (standby, topo.host_ip),
                     (owner, standby.ip), (owner, topo.host_ip)]:
        code, out = sealed_pair.engine.exec_in(src.container_name, ["ping", "-c1", "-W2", dst],
                                               check=False)
        assert code == 0, f"{src.name} cannot reach {dst}: {out}"
    conn = sealed_pair.connect_vip()  # the host reaches MySQL through the VIP and back
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT @@hostname AS h")
            assert cur.fetchone()["h"] == owner.name
    finally:
        conn.close()


def test_the_seal_goes_with_the_network_and_both_are_safe_to_repeat(docker_engine):
    with subnet_lease(docker_engine, PREFERRED) as subnet:
        topo = relocate(load_bundle("hardened"), subnet).topology
        net = LabNetwork(docker_engine, topo, new_run_id())
        net.up()
    try:
        net.up()
        rules = hostcmd.run(["iptables", "-w", "10", "-S"]).stdout
        assert f"-N {net.chain}" in rules
        jumps = [r for r in rules.splitlines() if r.endswith(f"-j {net.chain}")]
        assert {r.split()[1] for r in jumps} >= {"FORWARD"} and len(jumps) >= 2
    finally:
        net.down()
    net.down()
    assert net.chain not in hostcmd.run(["iptables", "-w", "10", "-S"]).stdout
    assert hostcmd.run(["ip", "link", "show", net.host_link], check=False).returncode != 0
