"""Faults against the fake engine: each injects through the engine / the node's namespace,
verifies its effect, registers in ``pair.active_faults`` when started and removes itself when
healed; healing twice is safe. Plus iptables counter parsing."""

import pytest
from fakes import GATEWAY, FakeEngine, fake_pair

from harness import wait
from harness.errors import CommandError, FaultUnsupported
from harness.faults import CATALOGUE, FaultNotVerified, make_fault
from harness.faults.network import CHAINS, counted, flush_chains

LISTING = """\
Chain VIPCHAOS-IN (1 references)
    pkts      bytes target     prot opt in     out     source               destination
      12      720 DROP       all  --  eth0   *       0.0.0.0/0            0.0.0.0/0
 1048576 62914560 DROP       112  --  *      *       0.0.0.0/0            0.0.0.0/0
       0        0 DROP       tcp  --  *      *       198.18.151.12        0.0.0.0/0    tcp dpt:3306
"""


@pytest.fixture
def fast_verify(monkeypatch):
    """Verification waits 0.2 s at most (a fault that cannot be verified fails fast)."""
    real = wait.until
    monkeypatch.setattr(wait, "until", lambda p, *, timeout, interval=0.1, **kw:
                        real(p, timeout=min(timeout, 0.2), interval=0.01))


# --- iptables counters ---------------------------------------------------------------------
def test_counted_sums_the_packet_column():
    assert counted(LISTING) == 12 + 1048576


def test_counted_skips_the_two_header_lines_and_blank_ones():
    assert counted("Chain X (1 references)\n    pkts bytes target\n\n") == 0
    assert counted("") == 0
    assert counted("5 header\n7 header\n   3 180 DROP all\n") == 3


def test_counted_ignores_lines_that_do_not_start_with_a_count():
    assert counted("Chain X\n pkts\n  warning: something\n  4 240 DROP\n") == 4


def test_flush_chains_flushes_ours_only_and_never_fails():
    c = fake_pair()
    node = c.nodes[0]
    flush_chains(node)  # no chain yet: iptables says so, nobody cares
    calls = [call[2] for call in c.engine.called("netns")]
    assert calls == [["iptables", "-w", "-F", chain] for chain in CHAINS]


# --- the registry ------------------------------------------------------------------------
def test_a_fault_registers_when_started_and_removes_itself_when_healed():
    c = fake_pair()
    f = make_fault("pause-node", c, c.nodes[0])
    assert c.active_faults == [] and not f.active
    assert f.start() == "container state Paused"
    assert c.active_faults == [f] and f.active and c.nodes[0].paused()
    f.heal()
    assert c.active_faults == [] and not f.active and not c.nodes[0].paused()


def test_healing_twice_is_safe():
    c = fake_pair()
    f = make_fault("pause-node", c, c.nodes[0])
    f.start()
    f.heal()
    f.heal()
    assert len(c.engine.called("unpause")) == 1
    assert c.active_faults == []


def test_a_fault_that_fails_half_way_stays_registered_for_the_reset():
    c = fake_pair()
    c.engine.kill(c.nodes[0].container_name)
    f = make_fault("pause-node", c, c.nodes[0])
    with pytest.raises(CommandError):
        f.start()
    assert c.active_faults == [f] and f.active
    f.heal()  # nothing to undo, and it is gone from the registry
    assert c.active_faults == []


def test_a_fault_is_a_context_manager_that_heals_on_error():
    c = fake_pair()
    with pytest.raises(RuntimeError), make_fault("pause-node", c, c.nodes[1]):
        assert c.nodes[1].paused()
        raise RuntimeError("test body failed")
    assert not c.nodes[1].paused() and c.active_faults == []


def test_two_faults_register_and_heal_independently():
    c = fake_pair()
    a, b = make_fault("pause-node", c, c.nodes[0]), make_fault("block-vrrp", c, c.nodes[1])
    a.start()
    b.start()
    assert c.active_faults == [a, b]
    a.heal()
    assert c.active_faults == [b]
    b.heal()
    assert c.active_faults == []


def test_an_unsupported_fault_does_not_stay_registered():
    c = fake_pair()
    f = make_fault("delay-link", c, c.nodes[0])
    with pytest.raises(FaultUnsupported):
        f.start()
    f.heal()
    assert c.active_faults == []


# --- each family against the fake engine -----------------------------------------------------
def test_fault_nodes_and_peer():
    c = fake_pair()
    f = make_fault("kill-mysqld", c, c.nodes[0])
    assert f.nodes == ["node1"] and f.peer is c.nodes[1]
    assert repr(f) == "kill-mysqld(node1)"
    assert {name for name, cls in CATALOGUE.items() if cls.removes_service} == {
        "kill-mysqld", "stop-mysqld", "freeze-mysqld", "pause-node", "crash-node",
        "isolate-node"}


@pytest.mark.parametrize("name, verb", [("kill-mysqld", "kill"), ("stop-mysqld", "stop")])
def test_mysqld_faults_verify_the_server_refuses_and_heal_by_starting_it(name, verb):
    c = fake_pair()
    node = c.nodes[0]
    f = make_fault(name, c, node)
    assert "refuses connections" in f.start()
    assert node.container.services["mysqld"] == "stopped"
    assert ("exec_in", node.container_name, ["vcctl", verb, "mysqld"]) in c.engine.calls
    f.heal()
    assert node.container.services["mysqld"] == "running" and c.waited == ["node1"]


def test_freeze_mysqld_verifies_state_t_and_thaws():
    c = fake_pair()
    node = c.nodes[0]
    f = make_fault("freeze-mysqld", c, node)
    assert "state T" in f.start()
    assert node.container.services["mysqld"] == "frozen"
    f.heal()
    assert node.container.services["mysqld"] == "running"


def test_freeze_mysqld_that_did_not_stop_is_not_verified():
    c = fake_pair()
    c.engine.exec_handler = lambda name, cmd: (0, "Ssl\n") if "ps -o stat=" in str(cmd) else None
    f = make_fault("freeze-mysqld", c, c.nodes[0])
    with pytest.raises(FaultNotVerified, match="not stopped"):
        f.start()
    f.heal()


def test_kill_keepalived_kills_the_vrrp_child_and_sees_it_gone():
    c = fake_pair()
    node = c.nodes[0]
    f = make_fault("kill-keepalived", c, node)
    assert f.start() == "VRRP child pid(s) ['160'] killed with SIGKILL"
    f.heal()
    assert node.container.services["keepalived"] == "running"


def test_stop_keepalived_and_heal():
    c = fake_pair()
    node = c.nodes[1]
    f = make_fault("stop-keepalived", c, node)
    assert f.start() == "no keepalived process left in the node"
    assert node.vcctl("status", "keepalived") == "stopped"
    f.heal()
    assert node.vcctl("status", "keepalived") == "running"


def test_crash_node_kills_the_container_and_restarts_it():
    c = fake_pair()
    node = c.nodes[0]
    f = make_fault("crash-node", c, node)
    assert f.start() == "container not running"
    assert not node.running() and node.holds_vip() == (False, "stopped")
    f.heal()
    assert node.running() and c.waited == ["node1"]
    assert [x[0] for x in c.engine.calls if x[0] in ("kill", "start")] == ["kill", "start"]


def test_hang_check_replaces_the_scripts_and_restores_them():
    c = fake_pair()
    f = make_fault("hang-check", c, c.nodes[0])
    assert "sleep 3600" in f.start()
    f.heal()
    assert "hung" not in c.nodes[0].container.files


@pytest.mark.parametrize("name, rules", [("isolate-node", 2), ("block-vrrp", 2),
                                         ("block-replication", 4), ("one-way-partition", 1),
                                         ("lossy-link", 4), ("block-gateway", 2)])
def test_iptables_faults_hook_our_chains_verify_by_counters_and_flush(name, rules):
    c = fake_pair()
    node = c.nodes[0]
    f = make_fault(name, c, node)
    detail = f.start()
    assert detail.startswith("iptables counters rising (") and "packets dropped" in detail
    ct = node.container
    assert ct.hooks == {"INPUT": ["VIPCHAOS-IN"], "OUTPUT": ["VIPCHAOS-OUT"]}
    assert sum(len(r) for r in ct.chains.values()) == rules
    f.heal()
    assert all(r == [] for r in ct.chains.values())
    assert c.active_faults == []


def test_iptables_rules_name_the_peer_and_the_interface():
    c = fake_pair()
    rules = make_fault("block-replication", c, c.nodes[0]).rules()
    assert all("198.18.151.12" in r for r in rules)
    lossy = make_fault("lossy-link", c, c.nodes[0], probability=0.5).rules()
    assert lossy[0][:3] == ["VIPCHAOS-IN", "-i", "eth0"] and lossy[2][:3] == [
        "VIPCHAOS-OUT", "-o", "eth0"]
    # adverts by count (never two in a row at 1/2), everything else at random
    assert lossy[0][3:] == ["-p", "112", "-m", "statistic", "--mode", "nth", "--every", "2",
                            "--packet", "0", "-j", "DROP"]
    assert lossy[1][3:6] == ["!", "-p", "112"] and "random" in lossy[1] and "0.5" in lossy[1]
    thirty = make_fault("lossy-link", c, c.nodes[0]).rules()
    assert thirty[0][thirty[0].index("--every") + 1] == "3"


def test_block_gateway_drops_only_icmp_to_and_from_the_gateway():
    """The client reaches the VIP from the gateway's own address: only ICMP may be dropped,
    and nothing that concerns the peer."""
    c = fake_pair()
    f = make_fault("block-gateway", c, c.nodes[0])
    assert not f.removes_service and f.gateway == GATEWAY == c.topology.host_ip
    assert f.rules() == [["VIPCHAOS-IN", "-s", GATEWAY, "-p", "icmp", "-j", "DROP"],
                         ["VIPCHAOS-OUT", "-d", GATEWAY, "-p", "icmp", "-j", "DROP"]]
    assert all(c.nodes[1].ip not in r and "-i" not in r and "-o" not in r for r in f.rules())
    assert "gateway" in f.description and "ICMP" in f.description


def test_block_gateway_is_verified_by_the_bundles_own_pings_without_a_probe():
    c = fake_pair()
    node = c.nodes[0]
    detail = make_fault("block-gateway", c, node).start()
    assert detail.endswith(f"ICMP to/from the gateway {GATEWAY})") and "probe" not in detail
    assert not [x for x in c.engine.called("exec_in") if "ping" in x[2]]


def test_block_gateway_probes_when_nothing_pings_the_gateway(fast_verify):
    """A bundle without a gateway check sends no ICMP: one probe ping from the target makes
    the counters rise (and must go unanswered)."""
    c = fake_pair()
    node = c.nodes[0]
    node.container.quiet = True
    f = make_fault("block-gateway", c, node)
    detail = f.start()
    assert "a probe ping from node1 went unanswered" in detail
    assert ("exec_in", node.container_name, ["ping", "-n", "-c", "1", "-W", "1", GATEWAY]) \
        in c.engine.calls
    f.heal()
    assert all(r == [] for r in node.container.chains.values())


def test_block_gateway_whose_probe_is_answered_is_not_verified(fast_verify):
    c = fake_pair()
    node = c.nodes[0]
    node.container.quiet = True
    c.engine.exec_handler = lambda name, cmd: (0, "1 received\n") if cmd[0] == "ping" else None
    f = make_fault("block-gateway", c, node)
    with pytest.raises(FaultNotVerified, match="still answers ping"):
        f.start()
    f.heal()
    assert c.active_faults == []


def test_injecting_twice_never_hooks_twice():
    c = fake_pair()
    f = make_fault("block-vrrp", c, c.nodes[0])
    f.start()
    f.inject()
    assert c.nodes[0].container.hooks == {"INPUT": ["VIPCHAOS-IN"], "OUTPUT": ["VIPCHAOS-OUT"]}


def test_an_iptables_fault_whose_rules_see_no_traffic_is_not_verified(fast_verify):
    c = fake_pair()
    c.nodes[0].container.paused = True  # nothing flows: counters stay at zero
    f = make_fault("isolate-node", c, c.nodes[0])
    with pytest.raises(FaultNotVerified, match="packets hitting the rules not observed"):
        f.start()
    f.heal()
    assert c.active_faults == []


def test_delay_link_without_netem_is_unsupported_and_says_why():
    c = fake_pair()
    f = make_fault("delay-link", c, c.nodes[0])
    with pytest.raises(FaultUnsupported, match="no netem qdisc"):
        f.start()
    assert not f.active


def test_delay_link_with_netem_installs_and_removes_the_qdisc():
    e = FakeEngine()
    c = fake_pair(e)
    c.nodes[0].container.netem = True
    f = make_fault("delay-link", c, c.nodes[0], delay_ms=50)
    assert f.start() == "netem qdisc installed"
    assert ("netem", "vc-node1") not in e.calls
    assert any(call[2][-2:] == ["delay", "50ms"] for call in e.called("netns"))
    f.heal()
    assert c.nodes[0].container.qdiscs == []


def test_pause_node_not_verified_when_the_engine_does_not_pause(fast_verify, monkeypatch):
    c = fake_pair()
    monkeypatch.setattr(c.engine, "pause", lambda name: None)
    f = make_fault("pause-node", c, c.nodes[0])
    with pytest.raises(FaultNotVerified, match="container paused not observed within"):
        f.start()


# --- what Node asks the engine --------------------------------------------------------------
def test_node_lifecycle_goes_through_the_engine_by_container_name():
    c = fake_pair()
    n = c.nodes[1]
    n.pause()
    n.unpause()
    n.kill()
    n.start()
    n.put_files({"/etc/x": ("hello", 0o644)})
    assert n.mac() == "02:42:c6:12:97:0b"
    assert n.container.files["/etc/x"] == b"hello"
    names = [(call[0], call[1]) for call in c.engine.calls if call[0] != "status"]
    assert names == [("pause", "vc-node2"), ("unpause", "vc-node2"), ("kill", "vc-node2"),
                     ("start", "vc-node2"), ("put_files_in", "vc-node2"),
                     ("mac_address", "vc-node2")]
    assert n.pid() == n.container.pid


def test_node_exec_raises_on_failure_unless_told_not_to():
    c = fake_pair()
    c.engine.exec_handler = lambda name, cmd: (3, "nope")
    with pytest.raises(CommandError):
        c.nodes[0].exec("false")
    assert c.nodes[0].exec("false", check=False) == "nope"


def test_log_tails_never_raise():
    c = fake_pair()
    c.engine.kill(c.nodes[0].container_name)
    out = c.nodes[0].log_tails()
    assert "cannot read logs in the container" in out and "container output" in out


def test_overlapping_faults_on_one_node_heal_only_their_own_rules():
    """The incident timeline blocks replication 2-24 s and isolates the same node 6-18 s:
    healing the isolation must leave the replication block in place."""
    c = fake_pair()
    node = c.nodes[0]
    block = make_fault("block-replication", c, node)
    isolate = make_fault("isolate-node", c, node)
    block.start()
    isolate.start()
    assert block.tag != isolate.tag
    isolate.heal()
    left = [r[1] for rules in node.container.chains.values() for r in rules]
    assert len(left) == 4 and all(block.tag in r for r in left)
    assert block.dropped() > 0 and isolate.dropped() == 0
    block.heal()
    assert all(r == [] for r in node.container.chains.values())


def test_a_fault_counts_only_its_own_rules():
    assert counted(LISTING.replace("tcp dpt:3306", "tcp dpt:3306 /* mine */"), "mine") == 0
    tagged = LISTING.replace("0.0.0.0/0\n", "0.0.0.0/0 /* mine */\n", 1)
    assert counted(tagged, "mine") == 12
