"""The ``router`` profile's network: a client behind a router, as most applications sit.

The harness's own writer is on the lab segment itself and learns the VIP's new MAC from the
new owner's gratuitous ARP like any neighbour. An application usually reaches the VIP through
a router whose ARP cache holds the VIP's MAC. Here that router is a network namespace of its
own with the kernel's default ARP settings (a fresh namespace gets them whatever the host's
are), a macvlan leg on the lab segment (beside the nodes, on the lab's parent link) and a veth
leg to a second namespace, the client's, which routes everything through it; the router
masquerades, so the nodes see it as the client (accounts for ``'%'`` match it). Its neighbour
entry for the VIP is the client's view of the VIP's MAC, read with ``ip -n``.

Nothing here leaves the lab: the router knows only the lab subnet and the client's link
(TEST-NET-1, 192.0.2.0/30, which exists only inside the two namespaces). The namespaces are
named ``vc-<run>-r`` and ``vc-<run>-c`` and their lab leg carries the run's ownership tag as
its alias, so ``vipchaos clean`` and the next run after a kill -9 find and remove them
(``host_resources``); made under the host lock, like the lab's links.
"""

from __future__ import annotations

import ctypes
import json
import os
import re

from harness import hostcmd, ownership
from harness.bundle.topology import Topology
from harness.errors import CommandError, NetworkSetupError
from harness.labnet import LINK_PREFIX, host_lock
from harness.ownership import Resource

NETNS_RE = re.compile(rf"^{LINK_PREFIX}(.+)-([rc])$")
NETNS_DIR = "/run/netns"
LAB_LEG = "lab0"
ROUTER_SIDE, CLIENT_SIDE = "192.0.2.1", "192.0.2.2"
CLONE_NEWNET = 0x40000000


def spare_address(topology: Topology) -> str | None:
    """The router's lab address: the highest host address of the lab subnet that no node, VIP
    or host link uses; None when there is none. The nodes' /etc/hosts name it (the lab's name
    service, ``Pair``), as production's DNS names its clients: without that, MySQL without
    ``skip_name_resolve`` waits on a reverse lookup at every connection from the router."""
    used = {topology.host_ip, topology.vip, *(n.ip for n in topology.nodes)}
    for ip in reversed(list(topology.subnet.hosts())):
        if str(ip) not in used:
            return str(ip)
    return None


def router_address(topology: Topology) -> str:
    """``spare_address``, or a clear error when the subnet has none."""
    found = spare_address(topology)
    if found:
        return found
    raise NetworkSetupError(f"The lab subnet {topology.subnet} has no free address for the "
                            "router profile's router: use a larger subnet (topology.toml).")


class RoutedClientNet:
    """``up()`` makes the two namespaces and their links, ``down()`` removes them (both safe to
    repeat); ``enter()`` moves the calling thread into the client's namespace."""

    def __init__(self, topology: Topology, run_id: str, lab_parent: str) -> None:
        self.topology, self.run_id, self.lab_parent = topology, run_id, lab_parent
        self.router = f"{LINK_PREFIX}{run_id}-r"
        self.client = f"{LINK_PREFIX}{run_id}-c"
        self.router_ip = router_address(topology)

    def up(self) -> RoutedClientNet:
        t, r, c = self.topology, self.router, self.client
        tag = ownership.tag(self.run_id, ownership.process_owner())
        cmds = [
            ["ip", "netns", "add", r], ["ip", "netns", "add", c],
            ["ip", "link", "add", LAB_LEG, "link", self.lab_parent, "netns", r,
             "type", "macvlan", "mode", "bridge"],
            ["ip", "-n", r, "link", "set", "dev", LAB_LEG, "alias", tag],
            ["ip", "-n", r, "addr", "add", f"{self.router_ip}/{t.prefixlen}", "dev", LAB_LEG],
            ["ip", "link", "add", "cli0", "netns", r, "type", "veth", "peer", "name", "eth0",
             "netns", c],
            ["ip", "-n", r, "addr", "add", f"{ROUTER_SIDE}/30", "dev", "cli0"],
            ["ip", "-n", c, "addr", "add", f"{CLIENT_SIDE}/30", "dev", "eth0"],
            *[["ip", "-n", ns, "link", "set", dev, "up"]
              for ns, dev in ((r, "lo"), (r, LAB_LEG), (r, "cli0"), (c, "lo"), (c, "eth0"))],
            ["ip", "-n", c, "route", "add", "default", "via", ROUTER_SIDE],
            ["ip", "netns", "exec", r, "sysctl", "-qw", "net.ipv4.ip_forward=1"],
            ["ip", "netns", "exec", r, "iptables", "-w", "10", "-t", "nat", "-A", "POSTROUTING",
             "-o", LAB_LEG, "-j", "MASQUERADE"],
        ]
        try:
            with host_lock():  # no reaper sees the namespaces before the tag is on them
                for cmd in cmds:
                    hostcmd.run(cmd)
        except CommandError as exc:
            self.down()
            raise NetworkSetupError(
                f"Could not make the router profile's namespaces ({exc.cmd} -> "
                f"{exc.output.strip()}): it needs root, iproute2 with netns support and "
                "iptables' nat table.") from exc
        return self

    def down(self) -> None:
        for ns in (self.client, self.router):
            hostcmd.run(["ip", "netns", "del", ns], check=False)

    def enter(self) -> None:
        """Move the calling thread (only it: setns acts per thread) into the client's
        namespace: sockets it opens from now on go through the router."""
        fd = os.open(f"{NETNS_DIR}/{self.client}", os.O_RDONLY)
        try:
            if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                raise NetworkSetupError(f"Could not enter {self.client}: {os.strerror(err)}.")
        finally:
            os.close(fd)

    def vip_entry(self) -> tuple[str | None, str]:
        """The router's neighbour entry for the VIP: (MAC or None, state such as REACHABLE,
        STALE, FAILED, or "none" when there is no entry)."""
        proc = hostcmd.run(["ip", "-n", self.router, "-j", "neigh", "show", "to",
                            self.topology.vip, "dev", LAB_LEG], check=False, timeout=5)
        try:
            entries = json.loads(proc.stdout or "[]")
        except ValueError:
            entries = []
        for e in entries:
            return e.get("lladdr"), ",".join(e.get("state") or []) or "?"
        return None, "none"


def host_resources() -> list[Resource]:
    """The router profile's namespaces on this host, with the owner tagged on the router's lab
    leg (a client namespace takes its router's; one without a tag counts as dead)."""
    proc = hostcmd.run(["ip", "-j", "netns", "list"], check=False)
    try:
        names = [n.get("name", "") for n in json.loads(proc.stdout or "[]")]
    except ValueError:
        names = []
    owners: dict[str, str] = {}
    out = []
    for name in sorted(names, key=lambda n: not n.endswith("-r")):  # routers first
        m = NETNS_RE.match(name)
        if not m:
            continue
        run_id = m.group(1)
        if m.group(2) == "r":
            owners[run_id] = _tag_owner(name, run_id)
        out.append(Resource("netns", name, run_id, owners.get(run_id, "")))
    return out


def _tag_owner(netns: str, run_id: str) -> str:
    proc = hostcmd.run(["ip", "-n", netns, "-j", "link", "show", LAB_LEG], check=False)
    try:
        links = json.loads(proc.stdout or "[]")
    except ValueError:
        return ""
    found = ownership.parse_tag(links[0].get("ifalias", "")) if links else None
    return found[1] if found and found[0] == run_id else ""


def remove_netns(name: str) -> None:
    hostcmd.run(["ip", "netns", "del", name], check=False)
