"""Production addresses and interface names onto the lab: ``[address_map]``, ``[interface_map]``.

A pasted file keeps every byte except the addresses and interface names it names, so line
numbers, line endings and everything else stay the operator's. Map entries:

- ``"10.0.0.5" = "node1"``: a production address to a lab address, or to a word that follows
  the topology (``vip``, ``gateway``/``host``, a node name), so a relocated bundle moves along;
- ``"192.168.0.0/24" = "lab"``: a whole production network onto the lab subnet, offsets kept
  (same prefix length), so addresses *and* MySQL host patterns such as ``'192.168.0.%'`` move.

Single addresses win over networks. A bundle relocated to another lab subnet also moves the lab
addresses its files name literally (by offset).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from harness.bundle.sources import TomlDoc
from harness.bundle.topology import Topology
from harness.errors import ConfigError

# An IPv4 address, or a MySQL host pattern of 1-3 octets followed by ".%".
ADDRESS = re.compile(
    rb"(?<![\d.])(?:(?P<pat>\d{1,3}(?:\.\d{1,3}){0,2})\.%|(?P<ip>\d{1,3}(?:\.\d{1,3}){3})"
    rb"(?!\d|\.\d))")
ADDRESS_TEXT = re.compile(ADDRESS.pattern.decode())
IFACE_NAME = re.compile(r"^[A-Za-z0-9_.:@-]{1,15}$")


def exempt(ip: IPv4Address) -> bool:
    """Addresses that mean the same in production and in the lab: loopback, 0.0.0.0,
    multicast (VRRP's 224.0.0.18), masks (255.x)."""
    first = int(ip) >> 24
    return first in (0, 127, 255) or ip.is_multicast


@dataclass(frozen=True)
class Target:
    """Where a production address goes: a word that follows the topology, or a lab offset."""

    word: str | None = None
    offset: int | None = None

    def host(self, topo: Topology) -> IPv4Address:
        if self.word is not None:
            return IPv4Address(topo.names()[self.word])
        return topo.subnet.network_address + (self.offset or 0)

    def network(self, topo: Topology, prefixlen: int) -> IPv4Network:
        if self.word == "lab":
            return topo.subnet
        base = topo.subnet.network_address + (self.offset or 0)
        return IPv4Network(f"{base}/{prefixlen}")

    def __str__(self) -> str:
        return self.word or f"lab+{self.offset}"


@dataclass(frozen=True)
class AddressMap:
    hosts: tuple[tuple[IPv4Address, Target, str], ...] = ()  # production, target, where
    nets: tuple[tuple[IPv4Network, Target, str], ...] = ()
    interfaces: tuple[tuple[str, str, str], ...] = ()
    home: IPv4Network | None = None  # the lab subnet the bundle's files were written for

    @property
    def empty(self) -> bool:
        return not (self.hosts or self.nets or self.interfaces)

    def bind(self, topo: Topology) -> Translator:
        return Translator(self, topo)


def parse_address_map(doc: TomlDoc, topo: Topology,
                      home: IPv4Network | None = None) -> AddressMap:
    """``[address_map]`` and ``[interface_map]`` of topology.toml, checked against the lab.
    ``home``: the subnet the files were written for (topology.toml's, before overrides)."""
    raw = doc.data
    home = home or topo.subnet
    words = topo.names()
    hosts, nets = [], []
    for prod, lab in (raw.get("address_map") or {}).items():
        where = doc.where("address_map", prod)
        lab = str(lab)
        if "/" in prod:
            nets.append((*_network_entry(prod, lab, home, where), where))
            continue
        try:
            ip = IPv4Address(prod)
        except ValueError as exc:
            raise ConfigError(f"{where}: [address_map] key {prod!r} is not an IPv4 address "
                              "or network (like \"10.0.0.5\" or \"10.0.0.0/24\")") from exc
        if lab == "lab":
            raise ConfigError(f"{where}: \"lab\" names the whole lab subnet: use it for a "
                              f"network (\"{ipaddress.IPv4Network(f'{ip}/24', strict=False)}\""
                              " = \"lab\"), or map this address to vip, gateway, a node name "
                              "or a lab address")
        if lab in words:
            target = Target(word=lab)
        else:
            try:
                lab_ip = IPv4Address(lab)
            except ValueError as exc:
                raise ConfigError(f"{where}: [address_map] {prod} -> {lab!r}: give a lab "
                                  f"address or one of {', '.join(words)}") from exc
            if lab_ip not in home:
                raise ConfigError(f"{where}: [address_map] {prod} -> {lab}: {lab} is outside "
                                  f"the lab subnet {home}")
            target = Target(offset=int(lab_ip) - int(home.network_address))
        hosts.append((ip, target, where))
    ifaces = []
    for prod, lab in (raw.get("interface_map") or {}).items():
        where = doc.where("interface_map", prod)
        for name in (prod, str(lab)):
            if not IFACE_NAME.match(name):
                raise ConfigError(f"{where}: [interface_map] {name!r} is not an interface name")
        ifaces.append((prod, str(lab), where))
    return AddressMap(tuple(hosts), tuple(nets), tuple(ifaces), home)


def _network_entry(prod: str, lab: str, home: IPv4Network, where: str) -> tuple[IPv4Network,
                                                                                  Target]:
    try:
        net = IPv4Network(prod, strict=False)
    except ValueError as exc:
        raise ConfigError(f"{where}: [address_map] key {prod!r} is not an IPv4 network") from exc
    if str(net) != prod:
        raise ConfigError(f"{where}: [address_map] {prod!r} has host bits set: write the "
                          f"network as \"{net}\"")
    if lab == "lab":
        lab_net = home
        target = Target(word="lab")
    else:
        try:
            lab_net = IPv4Network(lab, strict=True)
        except ValueError as exc:
            raise ConfigError(f"{where}: [address_map] {prod} -> {lab!r}: a network maps onto "
                              "\"lab\" (the lab subnet) or a lab network like "
                              f"\"{home}\"") from exc
        if not lab_net.subnet_of(home):
            raise ConfigError(f"{where}: [address_map] {prod} -> {lab}: {lab} is outside the "
                              f"lab subnet {home}")
        target = Target(offset=int(lab_net.network_address) - int(home.network_address))
    if lab_net.prefixlen != net.prefixlen:
        raise ConfigError(
            f"{where}: [address_map] {prod} -> {lab}: the production network is a "
            f"/{net.prefixlen} but {lab_net} is a /{lab_net.prefixlen}; offsets are kept only "
            f"between networks of one size: make the lab subnet a /{net.prefixlen}, or map a "
            f"/{lab_net.prefixlen} of it (\"{_sub(net, lab_net.prefixlen)}\" = \"{lab}\"), or "
            "map single addresses")
    return net, target


def _sub(net: IPv4Network, prefixlen: int) -> IPv4Network:
    if prefixlen >= net.prefixlen:
        return next(net.subnets(new_prefix=prefixlen))
    return net.supernet(new_prefix=prefixlen)


class Translator:
    """An address map bound to one topology: turns production bytes into lab bytes."""

    def __init__(self, amap: AddressMap, topo: Topology) -> None:
        self.topology = topo
        self.hosts = {ip: t.host(topo) for ip, t, _ in amap.hosts}
        self.nets = sorted(((n, t.network(topo, n.prefixlen)) for n, t, _ in amap.nets),
                           key=lambda p: -p[0].prefixlen)
        if amap.home is not None and amap.home != topo.subnet:
            self.nets.append((amap.home, topo.subnet))
        self.ifaces = [(re.compile(rb"\b" + re.escape(p.encode()) + rb"\b"), lab.encode())
                       for p, lab, _ in amap.interfaces]

    def address(self, ip: IPv4Address) -> IPv4Address | None:
        if ip in self.hosts:
            return self.hosts[ip]
        for prod, lab in self.nets:
            if ip in prod:
                return lab.network_address + (int(ip) - int(prod.network_address))
        return None

    def pattern(self, net: IPv4Network) -> IPv4Network | None:
        """A MySQL ``a.b.c.%`` pattern (as a network) through the network entries."""
        for prod, lab in self.nets:
            if net.subnet_of(prod):
                base = lab.network_address + (int(net.network_address) -
                                              int(prod.network_address))
                return IPv4Network(f"{base}/{net.prefixlen}")
        return None

    def translate(self, data: bytes) -> bytes:
        """Map addresses, host patterns and interface names; every other byte stays."""
        if self.hosts or self.nets:
            data = ADDRESS.sub(self._sub_address, data)
        for pattern, lab in self.ifaces:
            data = pattern.sub(lab, data)
        return data

    def _sub_address(self, m: re.Match) -> bytes:
        if m.group("pat"):
            net = pattern_network(m.group("pat").decode())
            lab = self.pattern(net) if net else None
            if lab is None:
                return m.group(0)
            octets = str(lab.network_address).split(".")[:lab.prefixlen // 8]
            return (".".join(octets) + ".%").encode()
        try:
            ip = IPv4Address(m.group("ip").decode())
        except ValueError:
            return m.group(0)
        lab = self.address(ip)
        return str(lab).encode() if lab is not None else m.group(0)


def pattern_network(prefix: str) -> IPv4Network | None:
    """``192.168.0`` (from ``192.168.0.%``) as 192.168.0.0/24; None if not octets."""
    octets = prefix.split(".")
    if any(int(o) > 255 for o in octets):
        return None
    full = octets + ["0"] * (4 - len(octets))
    return IPv4Network(f"{'.'.join(full)}/{8 * len(octets)}")


def addresses_in(text: str) -> list[tuple[str, IPv4Network | IPv4Address]]:
    """Every address and host pattern in a line: (as written, value)."""
    out: list[tuple[str, IPv4Network | IPv4Address]] = []
    for m in ADDRESS_TEXT.finditer(text):
        if m.group("pat"):
            net = pattern_network(m.group("pat"))
            if net is not None:
                out.append((m.group(0), net))
            continue
        try:
            out.append((m.group(0), IPv4Address(m.group("ip"))))
        except ValueError:
            continue
    return out


def foreign(value: IPv4Network | IPv4Address, topo: Topology) -> bool:
    """An address or pattern that is not the lab's (and not one of the universal ones)."""
    if isinstance(value, IPv4Network):
        return not (value.subnet_of(topo.subnet) or value.supernet_of(topo.subnet)
                    or exempt(value.network_address))
    return not exempt(value) and value not in topo.subnet
