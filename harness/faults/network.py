"""Network faults: iptables rules in the node's own network namespace.

Rules live in two chains of ours (VIPCHAOS-IN, VIPCHAOS-OUT) hooked into INPUT and OUTPUT. Each
rule carries its fault's own comment tag, so faults can overlap on one node: a heal deletes only
its own rules (healing an isolation must not lift a replication block still running), and a
fault is verified by the packet counters of its own rules rising (traffic really hit them), not
by the rule merely existing or by another fault's counters. The reset flushes both chains.
"""

from __future__ import annotations

import itertools
from typing import Any

from harness import wait
from harness.errors import FaultUnsupported
from harness.faults.base import Fault, FaultNotVerified
from harness.node import Node

CHAINS = {"VIPCHAOS-IN": "INPUT", "VIPCHAOS-OUT": "OUTPUT"}


def flush_chains(node) -> None:
    """Remove every rule of ours from a node's namespace (safe when none exist)."""
    for chain in CHAINS:
        node.netns(["iptables", "-w", "-F", chain], check=False)


def counted(listing: str, tag: str | None = None) -> int:
    """Packets counted by the rules of an ``iptables -L CHAIN -v -x -n`` listing (only the
    rules commented ``tag`` when one is given)."""
    total = 0
    for line in listing.splitlines()[2:]:
        fields = line.split()
        if fields and fields[0].isdigit() and (tag is None or f"/* {tag} */" in line):
            total += int(fields[0])
    return total


_instances = itertools.count(1)


class IptablesFault(Fault):
    def __init__(self, pair, target: Node, **params: Any) -> None:
        super().__init__(pair, target, **params)
        self.tag = f"vipchaos:{self.name}:{next(_instances)}"

    #: rules as iptables argument lists (after ``-A CHAIN``)
    def rules(self) -> list[list[str]]:
        raise NotImplementedError

    def tagged_rules(self) -> list[list[str]]:
        return [[rule[0], "-m", "comment", "--comment", self.tag, *rule[1:]]
                for rule in self.rules()]

    def ipt(self, *args: str, check: bool = True) -> str:
        return self.target.netns(["iptables", "-w", *args], check=check)

    def inject(self) -> None:
        for chain, hook in CHAINS.items():
            self.ipt("-N", chain, check=False)
            self.ipt("-D", hook, "-j", chain, check=False)  # never hook twice
            self.ipt("-I", hook, "1", "-j", chain)
        for rule in self.tagged_rules():
            self.ipt("-A", *rule)

    def dropped(self) -> int:
        return sum(counted(self.ipt("-L", chain, "-v", "-x", "-n", check=False), self.tag)
                   for chain in CHAINS)

    def verify(self) -> str:
        self._until("packets hitting the rules", lambda: self.dropped() > 0, timeout=15)
        return f"iptables counters rising ({self.dropped()} packets dropped so far)"

    def repair(self) -> None:
        for rule in self.tagged_rules():
            self.ipt("-D", *rule, check=False)


class IsolateNode(IptablesFault):
    name = "isolate-node"
    removes_service = True
    description = "drop all traffic in and out of the lab interface (peer and clients)."

    def rules(self) -> list[list[str]]:
        iface = self.target.interface
        return [["VIPCHAOS-IN", "-i", iface, "-j", "DROP"],
                ["VIPCHAOS-OUT", "-o", iface, "-j", "DROP"]]


class BlockVrrp(IptablesFault):
    """Both directions: dropping only the target's incoming adverts is a one-way cut, whose
    outcome depends on priorities (a higher-priority standby takes over and the owner steps
    down cleanly); that case is ``one-way-partition``."""

    name = "block-vrrp"
    description = "drop VRRP (IP protocol 112) in and out of the target: neither hears the other."

    def rules(self) -> list[list[str]]:
        return [["VIPCHAOS-IN", "-p", "112", "-j", "DROP"],
                ["VIPCHAOS-OUT", "-p", "112", "-j", "DROP"]]


class BlockReplication(IptablesFault):
    name = "block-replication"
    description = "drop MySQL traffic (tcp 3306) between the nodes only; clients unaffected."

    def rules(self) -> list[list[str]]:
        p = self.peer.ip
        return [["VIPCHAOS-IN", "-s", p, "-p", "tcp", "--dport", "3306", "-j", "DROP"],
                ["VIPCHAOS-IN", "-s", p, "-p", "tcp", "--sport", "3306", "-j", "DROP"],
                ["VIPCHAOS-OUT", "-d", p, "-p", "tcp", "--dport", "3306", "-j", "DROP"],
                ["VIPCHAOS-OUT", "-d", p, "-p", "tcp", "--sport", "3306", "-j", "DROP"]]


class OneWayPartition(IptablesFault):
    name = "one-way-partition"
    description = "the target hears nothing from its peer; the peer still hears the target."

    def rules(self) -> list[list[str]]:
        return [["VIPCHAOS-IN", "-s", self.peer.ip, "-j", "DROP"]]


class BlockGateway(IptablesFault):
    """The target loses its third party: ICMP to and from the lab gateway (the topology's
    ``host_ip``, what bundles get as ``{{ gateway }}``) is dropped in the target's namespace.
    Only ICMP: the harness's client reaches the VIP from that same address, and the peer is
    untouched, so MySQL, replication and VRRP go on; only a check that pings the gateway sees
    it gone (a gateway-arbitrated pair fails over although nothing else is wrong).

    Verified by the rules' own counters: the bundle's pings hit them within a second or two;
    for a bundle that never pings the gateway the fault sends one probe ping from the target
    (docker exec) so the counters still prove the rules drop what they claim."""

    name = "block-gateway"
    description = ("drop ICMP between the target and the lab gateway (host_ip) only: a gateway "
                   "check fails; clients, the peer, VRRP and replication are unaffected.")
    PROBE_AFTER_S = 2.5

    @property
    def gateway(self) -> str:
        return str(self.pair.topology.host_ip)

    def rules(self) -> list[list[str]]:
        gw = self.gateway
        return [["VIPCHAOS-IN", "-s", gw, "-p", "icmp", "-j", "DROP"],
                ["VIPCHAOS-OUT", "-d", gw, "-p", "icmp", "-j", "DROP"]]

    def verify(self) -> str:
        probe = ""
        if not wait.until(lambda: self.dropped() > 0, timeout=self.PROBE_AFTER_S, interval=0.1):
            code, _ = self.target.engine.exec_in(
                self.target.container_name, ["ping", "-n", "-c", "1", "-W", "1", self.gateway],
                check=False)
            if code == 0:
                raise FaultNotVerified(f"{self}: the gateway {self.gateway} still answers ping")
            probe = f"; a probe ping from {self.target.name} went unanswered"
        self._until(f"ICMP to/from the gateway {self.gateway} hitting the rules",
                    lambda: self.dropped() > 0, timeout=10)
        return (f"iptables counters rising ({self.dropped()} packets dropped so far: ICMP "
                f"to/from the gateway {self.gateway}{probe})")


class LossyLink(IptablesFault):
    """A share of packets dropped both ways. VRRP adverts are dropped by count, every n-th
    (n = 1/probability rounded, at least 2), the rest at random: with random loss, three adverts
    in a row are lost (the peer's master-down interval) about once every 37 intervals at 30 %,
    so the same run gave dual ownership or none by chance (2 of 9 in a matrix run). Every
    n-th never loses two in a row: the verdict is the pair's, not the dice's; sustained advert
    loss is block-vrrp's."""

    name = "lossy-link"
    description = ("drop a share of packets both ways (iptables statistic; default 30%): "
                   "every n-th VRRP advert (never two in a row), the rest at random.")

    def rules(self) -> list[list[str]]:
        share = float(self.params.get("probability", 0.3))
        every = str(max(2, round(1 / share))) if share > 0 else "1000000"
        iface = self.target.interface
        out = []
        for c in CHAINS:
            way = ["-i" if c.endswith("IN") else "-o", iface]
            out += [[c, *way, "-p", "112", "-m", "statistic", "--mode", "nth", "--every", every,
                     "--packet", "0", "-j", "DROP"],
                    [c, *way, "!", "-p", "112", "-m", "statistic", "--mode", "random",
                     "--probability", str(share), "-j", "DROP"]]
        return out


class DelayLink(Fault):
    """Latency through tc netem. This kernel has no netem: the fault reports that and skips."""

    name = "delay-link"
    description = "add latency with tc netem (needs the sch_netem kernel module)."

    def inject(self) -> None:
        iface = self.target.interface
        delay = f"{int(self.params.get('delay_ms', 200))}ms"
        proc = self.target.netns(["tc", "qdisc", "add", "dev", iface, "root", "netem",
                                  "delay", delay], check=False)
        if "netem" not in self.target.netns(["tc", "qdisc", "show", "dev", iface]):
            self.withdraw()
            raise FaultUnsupported(
                f"{self.name}: the kernel has no netem qdisc (tc: {proc.strip() or 'refused'}); "
                "latency, jitter and reordering cannot be injected on this machine")

    def verify(self) -> str:
        return "netem qdisc installed"

    def repair(self) -> None:
        self.target.netns(["tc", "qdisc", "del", "dev", self.target.interface, "root"],
                          check=False)


class SlowReplication(Fault):
    """The binlog stream from the target to its peer squeezed through an htb class (u32 filter
    on the MySQL source port towards the peer): the peer's retrieved set falls behind under
    write load. Everything else on the link runs at full speed."""

    name = "slow-replication"
    description = ("shape the target's replication stream to its peer (tc htb + u32; default "
                   "16 kbit/s): the peer lags. Heal: remove the qdisc.")

    def tc(self, *args: str, check: bool = True) -> str:
        return self.target.netns(["tc", *args], check=check)

    def inject(self) -> None:
        iface, rate = self.target.interface, str(self.params.get("rate", "16kbit"))
        try:
            self.tc("qdisc", "add", "dev", iface, "root", "handle", "1:", "htb", "default", "10")
            self.tc("class", "add", "dev", iface, "parent", "1:", "classid", "1:10", "htb",
                    "rate", "1gbit")
            self.tc("class", "add", "dev", iface, "parent", "1:", "classid", "1:20", "htb",
                    "rate", rate, "ceil", rate)
            self.tc("filter", "add", "dev", iface, "parent", "1:", "protocol", "ip", "prio", "1",
                    "u32", "match", "ip", "dst", f"{self.peer.ip}/32", "match", "ip", "sport",
                    "3306", "0xffff", "flowid", "1:20")
        except Exception as exc:
            self.repair()
            self.withdraw()
            raise FaultUnsupported(f"{self.name}: tc htb/u32 refused ({exc}); the replication "
                                   "link cannot be shaped on this machine") from exc

    def shaped_bytes(self) -> int:
        out = self.tc("-s", "class", "show", "dev", self.target.interface, check=False)
        block = out.split("class htb 1:20", 1)[-1]
        for line in block.splitlines():
            if line.strip().startswith("Sent"):
                return int(line.split()[1])
        return 0

    def verify(self) -> str:
        self._until("replication bytes through the shaped class",
                    lambda: self.shaped_bytes() > 0, timeout=15)
        return (f"htb class 1:20 at {self.params.get('rate', '16kbit')}: "
                f"{self.shaped_bytes()} bytes of the binlog stream shaped so far")

    def repair(self) -> None:
        self.tc("qdisc", "del", "dev", self.target.interface, "root", check=False)
