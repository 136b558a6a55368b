"""The lab a bundle runs in: subnet, host address, VIP, VRID, interface, two nodes.

topology.toml is checked key by key: an unknown key anywhere (also inside ``[[nodes]]`` or
``[replication]``) is an error with its line, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from harness.bundle.sources import TomlDoc
from harness.errors import ConfigError

TOP_KEYS = ("description", "subnet", "host_ip", "vip", "vrid", "interface", "nodes", "literal",
            "address_map", "interface_map", "replication", "faults", "runbook", "platform",
            "network")
NODE_KEYS = ("name", "ip", "priority")
REPLICATION_KEYS = ("user", "password")
PLATFORM_KEYS = ("database", "keepalived", "release")


@dataclass(frozen=True)
class NodeSpec:
    name: str
    ip: str
    priority: int
    index: int  # 1-based: server_id and auto_increment_offset


@dataclass(frozen=True)
class Topology:
    subnet: ipaddress.IPv4Network
    host_ip: str
    vip: str
    vrid: int
    interface: str
    nodes: tuple[NodeSpec, ...]

    @property
    def prefixlen(self) -> int:
        return self.subnet.prefixlen

    def node(self, name: str) -> NodeSpec:
        for n in self.nodes:
            if n.name == name:
                return n
        raise ConfigError(f"no node named {name!r}; nodes are {[n.name for n in self.nodes]}")

    def peer(self, name: str) -> NodeSpec:
        others = [n for n in self.nodes if n.name != name]
        return others[0]

    def names(self) -> dict[str, str]:
        """Words an address map may use for lab addresses: vip, gateway/host, node names."""
        return {"vip": self.vip, "gateway": self.host_ip, "host": self.host_ip,
                **{n.name: n.ip for n in self.nodes}}


def check_keys(doc: TomlDoc) -> None:
    """Unknown keys anywhere in topology.toml: one ConfigError listing each with its line."""
    raw = doc.data
    problems = doc.unknown_keys(raw, TOP_KEYS, (), "topology.toml")
    nodes = raw.get("nodes")
    if isinstance(nodes, list):
        for i, n in enumerate(nodes):
            if isinstance(n, dict):
                problems += doc.unknown_keys(n, NODE_KEYS, ("nodes", i), "[[nodes]]")
    rep = raw.get("replication")
    if isinstance(rep, dict):
        problems += doc.unknown_keys(rep, REPLICATION_KEYS, ("replication",), "[replication]")
    book = raw.get("runbook")
    if isinstance(book, dict):
        problems += doc.unknown_keys(book, ("restore",), ("runbook",), "[runbook]")
    plat = raw.get("platform")
    if isinstance(plat, dict):
        problems += doc.unknown_keys(plat, PLATFORM_KEYS, ("platform",), "[platform]")
    for table in ("literal", "address_map", "interface_map", "replication", "runbook",
                  "platform"):
        if table in raw and not isinstance(raw[table], dict):
            problems.append(f"{doc.where(table)}: {table} must be a table ([{table}])")
    if problems:
        raise ConfigError("\n".join(problems))


def parse_topology(raw: dict[str, Any], doc: TomlDoc | None = None) -> Topology:
    doc = doc or TomlDoc("topology.toml", raw)

    def need(key: str) -> Any:
        if key not in raw:
            raise ConfigError(f"{doc.name}: missing key {key!r} (subnet, host_ip, vip, vrid, "
                              "[[nodes]] are required)")
        return raw[key]

    try:
        subnet = ipaddress.IPv4Network(str(need("subnet")), strict=True)
    except ValueError as exc:
        raise ConfigError(f"{doc.where('subnet')}: subnet {raw.get('subnet')!r} is not an IPv4 "
                          f"network like 198.18.151.0/24 ({exc})") from exc

    def addr(keypath: tuple, label: str, value: Any) -> str:
        try:
            ip = ipaddress.IPv4Address(str(value))
        except ValueError as exc:
            raise ConfigError(f"{doc.where(*keypath)}: {label} {value!r} is not an IPv4 "
                              "address") from exc
        if ip not in subnet:
            raise ConfigError(f"{doc.where(*keypath)}: {label} {ip} is outside the subnet "
                              f"{subnet}")
        return str(ip)

    host_ip = addr(("host_ip",), "host_ip", need("host_ip"))
    vip = addr(("vip",), "vip", need("vip"))
    vrid = need("vrid")
    if not isinstance(vrid, int) or isinstance(vrid, bool) or not 1 <= vrid <= 255:
        raise ConfigError(f"{doc.where('vrid')}: vrid must be an integer 1..255, got {vrid!r}")
    nodes_raw = need("nodes")
    if not isinstance(nodes_raw, list) or len(nodes_raw) != 2:
        raise ConfigError(f"{doc.where('nodes')}: exactly two [[nodes]] are supported "
                          "(a dual-master pair)")
    nodes = []
    for i, n in enumerate(nodes_raw, start=1):
        if not isinstance(n, dict) or not {"name", "ip", "priority"} <= set(n):
            raise ConfigError(f"{doc.where('nodes', i - 1)}: node {i} needs name, ip and "
                              "priority")
        pr = n["priority"]
        if not isinstance(pr, int) or isinstance(pr, bool) or not 1 <= pr <= 254:
            raise ConfigError(f"{doc.where('nodes', i - 1, 'priority')}: node {n['name']}: "
                              f"priority must be 1..254, got {pr!r}")
        name = str(n["name"])
        if name in ("vip", "gateway", "host", "lab", "files", "scripts"):
            raise ConfigError(f"{doc.where('nodes', i - 1, 'name')}: {name!r} cannot name a "
                              "node (it is a reserved word of the bundle format)")
        nodes.append(NodeSpec(name, addr(("nodes", i - 1, "ip"), f"node {name} ip", n["ip"]),
                              pr, i))
    used = [host_ip, vip, *(n.ip for n in nodes)]
    if len(set(used)) != len(used):
        raise ConfigError(f"{doc.where('nodes')}: host_ip, vip and node addresses must all "
                          f"differ: {used}")
    if len({n.name for n in nodes}) != len(nodes):
        raise ConfigError(f"{doc.where('nodes')}: node names must differ")
    iface = raw.get("interface", "eth0")
    if not isinstance(iface, str) or not iface:
        raise ConfigError(f"{doc.where('interface')}: interface must be a name like eth0")
    return Topology(subnet, host_ip, vip, vrid, iface, tuple(nodes))


def to_raw(t: Topology) -> dict[str, Any]:
    """The topology as topology.toml keys (for copies with fields replaced)."""
    return {"subnet": str(t.subnet), "host_ip": t.host_ip, "vip": t.vip, "vrid": t.vrid,
            "interface": t.interface,
            "nodes": [{"name": n.name, "ip": n.ip, "priority": n.priority} for n in t.nodes]}
