"""Config bundles: the thing under test.

A bundle is a directory holding ``topology.toml`` (subnet, host address, VIP, VRID, interface,
nodes with address and priority), ``keepalived.conf.j2`` (rendered per node), an optional
``my.cnf.j2`` and ``scripts/`` (copied to ``/etc/keepalived/`` in each node). Two bundles ship:
``seed`` (the classic tutorial, faithfully) and ``hardened`` (what to run instead).

Configs pasted from production need no template: ``[literal]`` in topology.toml names one
keepalived.conf per node, and ``[address_map]`` maps production addresses (and
``[interface_map]`` interface names) to lab ones; the same map is applied to the scripts.

Everything is validated on load, before any container exists; errors name the file and line.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jinja2

from harness import keepalived_conf
from harness.errors import ConfigError

BUNDLES_DIR = Path(__file__).parent / "bundles"
NOTIFY_FIFO = "/run/vipchaos/vrrp.fifo"
NOTIFY_READER = "/usr/local/bin/vc-notify-fifo"
SCRIPTS_DIR = "/etc/keepalived"
MIGRATION_MARGIN_S = 5.0


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


@dataclass(frozen=True)
class RenderedNode:
    """Files one node needs, keyed by their absolute path in the container."""

    keepalived_conf: str
    files: dict[str, tuple[str, int]]  # path -> (content, mode)


@dataclass(frozen=True)
class Bundle:
    name: str
    path: Path
    description: str
    topology: Topology
    keepalived_template: str
    mycnf_template: str
    scripts: dict[str, str] = field(default_factory=dict)
    literal: dict[str, str] = field(default_factory=dict)  # node name -> translated config

    def context(self, node: NodeSpec) -> dict[str, Any]:
        topo = self.topology
        peer = topo.peer(node.name)
        return {
            "node": node, "peer": peer, "nodes": topo.nodes, "vip": topo.vip,
            "vrid": topo.vrid, "interface": topo.interface, "gateway": topo.host_ip,
            "subnet": str(topo.subnet), "prefixlen": topo.prefixlen,
        }

    def render(self, node: NodeSpec) -> RenderedNode:
        """Render keepalived.conf (instrumented with the harness's notify FIFO) and my.cnf."""
        ctx = self.context(node)
        conf = self.literal.get(node.name) or _render(
            self.keepalived_template, ctx, self.path / "keepalived.conf.j2")
        mycnf = _render(self.mycnf_template, ctx, self.path / "my.cnf.j2")
        files = {
            "/etc/keepalived/keepalived.conf": (instrument(conf), 0o644),
            "/etc/mysql/mysql.conf.d/zz-vipchaos.cnf": (mycnf, 0o644),
        }
        for name, text in self.scripts.items():
            files[f"{SCRIPTS_DIR}/{name}"] = (text, 0o755)
        return RenderedNode(conf, files)

    def timing(self) -> keepalived_conf.VrrpTiming:
        """Timing of the slowest node (lowest priority: longest master-down skew)."""
        worst = min(self.topology.nodes, key=lambda n: n.priority)
        conf = self.literal.get(worst.name) or _render(
            self.keepalived_template, self.context(worst), self.path)
        return keepalived_conf.timing(keepalived_conf.parse(conf))

    def migration_bound_s(self) -> float:
        """How long a failover may take under this config: check interval x fall (+ timeout)
        + master-down interval + a margin for process start/stop and ARP."""
        t = self.timing()
        return round(t.detection_s + t.master_down_s + MIGRATION_MARGIN_S, 1)


def instrument(conf: str) -> str:
    """Add the harness's VRRP notify FIFO to global_defs, so every state change is pushed into
    the history. Nothing else in the operator's config changes."""
    lines = [f"    vrrp_notify_fifo {NOTIFY_FIFO}", f"    vrrp_notify_fifo_script {NOTIFY_READER}"]
    root = keepalived_conf.parse(conf)
    gd = root.find("global_defs")
    text = conf.splitlines()
    if gd:
        idx = gd[0].line  # 1-based line of "global_defs {": insert after it
        if "{" not in text[idx - 1]:
            idx += 1
        text[idx:idx] = ["    # added by vipchaos: VRRP transitions into the history", *lines]
    else:
        text[0:0] = ["global_defs {  # added by vipchaos", *lines, "}"]
    return "\n".join(text) + "\n"


def _render(template: str, ctx: dict[str, Any], where: Path) -> str:
    try:
        return jinja2.Template(template, undefined=jinja2.StrictUndefined).render(**ctx)
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{where}:{exc.lineno}: template error: {exc.message}") from exc
    except jinja2.UndefinedError as exc:
        raise ConfigError(
            f"{where}: template uses an unknown variable ({exc.message}); known: {sorted(ctx)}"
        ) from exc


def bundle_names() -> list[str]:
    return sorted(p.name for p in BUNDLES_DIR.iterdir() if (p / "topology.toml").exists())


def resolve(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    if (BUNDLES_DIR / str(name_or_path)).is_dir() and not p.is_dir():
        return BUNDLES_DIR / str(name_or_path)
    if p.is_dir():
        return p.resolve()
    raise ConfigError(
        f"config bundle {str(name_or_path)!r} not found: give a directory holding topology.toml "
        f"and keepalived.conf.j2, or one of the shipped bundles {bundle_names()}"
    )


def load_bundle(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Bundle:
    """Load and validate a bundle; ``overrides`` replace topology keys (subnet, vip, vrid, ...)."""
    path = resolve(name_or_path)
    topo_file = path / "topology.toml"
    if not topo_file.exists():
        raise ConfigError(f"{path}: no topology.toml (subnet, host_ip, vip, vrid, nodes)")
    try:
        raw = tomllib.loads(topo_file.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{topo_file}: {exc}") from exc
    raw.update(overrides or {})
    topology = parse_topology(raw, topo_file)
    unknown = set(raw) - {"description", "subnet", "host_ip", "vip", "vrid", "interface",
                          "nodes", "literal", "address_map", "interface_map"}
    if unknown:
        raise ConfigError(f"{topo_file}: unknown key(s) {sorted(unknown)}")
    tmpl = path / "keepalived.conf.j2"
    literal_files = raw.get("literal") or {}
    if not tmpl.exists() and not literal_files:
        raise ConfigError(f"{path}: no keepalived.conf.j2 (a template rendered per node) and no "
                          "[literal] table naming one keepalived.conf per node")
    translate = address_translator(raw, topology, topo_file)
    literal = {}
    for node in topology.nodes:
        if literal_files:
            if node.name not in literal_files:
                raise ConfigError(f"{topo_file}: [literal] has no file for {node.name}")
            f = path / literal_files[node.name]
            if not f.exists():
                raise ConfigError(f"{topo_file}: [literal] {node.name} = {f.name}: no such file")
            literal[node.name] = translate(f.read_text())
    mycnf = path / "my.cnf.j2"
    scripts_dir = path / "scripts"
    scripts = (
        {p.name: translate(p.read_text()) for p in sorted(scripts_dir.iterdir()) if p.is_file()}
        if scripts_dir.is_dir() else {}
    )
    bundle = Bundle(
        name=path.name,
        path=path,
        description=str(raw.get("description", "")),
        topology=topology,
        keepalived_template=tmpl.read_text() if tmpl.exists() else "",
        mycnf_template=mycnf.read_text() if mycnf.exists()
        else (BUNDLES_DIR / "seed" / "my.cnf.j2").read_text(),
        scripts=scripts,
        literal=literal,
    )
    for node in topology.nodes:  # surface template errors now, not at container start
        bundle.render(node)
    return bundle


def address_translator(raw: dict[str, Any], topology: Topology, where: Path):
    """A function mapping production addresses and interface names to lab ones.

    ``[address_map]`` values may be lab addresses or the words vip, host, or a node name."""
    names = {"vip": topology.vip, "host": topology.host_ip, "gateway": topology.host_ip,
             **{n.name: n.ip for n in topology.nodes}}
    pairs: list[tuple[re.Pattern, str]] = []
    for prod, lab in (raw.get("address_map") or {}).items():
        try:
            ipaddress.IPv4Address(prod)
        except ValueError as exc:
            raise ConfigError(f"{where}: [address_map] key {prod!r} is not an IPv4 address") \
                from exc
        target = names.get(str(lab), str(lab))
        if ipaddress.IPv4Address(target) not in topology.subnet:
            raise ConfigError(f"{where}: [address_map] {prod} -> {lab}: {target} is outside "
                              f"the lab subnet {topology.subnet}")
        pairs.append((re.compile(rf"(?<![\d.]){re.escape(prod)}(?![\d])"), target))
    for prod, lab in (raw.get("interface_map") or {}).items():
        pairs.append((re.compile(rf"\b{re.escape(prod)}\b"), str(lab)))

    def translate(text: str) -> str:
        for pattern, lab in pairs:
            text = pattern.sub(lab, text)
        return text

    return translate


def with_topology(bundle: Bundle, **changes: Any) -> Bundle:
    """A copy of the bundle with topology fields replaced (validated again)."""
    raw = {
        "subnet": str(bundle.topology.subnet), "host_ip": bundle.topology.host_ip,
        "vip": bundle.topology.vip, "vrid": bundle.topology.vrid,
        "interface": bundle.topology.interface,
        "nodes": [{"name": n.name, "ip": n.ip, "priority": n.priority}
                  for n in bundle.topology.nodes],
        **changes,
    }
    return replace(bundle, topology=parse_topology(raw, bundle.path / "topology.toml"))


def relocate(bundle: Bundle, subnet: str) -> Bundle:
    """The same bundle on another lab subnet (addresses keep their offsets), so two pairs can
    exist at once. Literal configs are tied to their address map and cannot move."""
    if bundle.literal:
        raise ConfigError(f"{bundle.path}: literal configs cannot be relocated; change "
                          "subnet and [address_map] in its topology.toml instead")
    old, new = bundle.topology.subnet, ipaddress.IPv4Network(subnet)
    if new.prefixlen != old.prefixlen:
        raise ConfigError(f"relocate: {subnet} must have the prefix length of {old}")

    def move(ip: str) -> str:
        return str(new.network_address + (int(ipaddress.IPv4Address(ip)) -
                                          int(old.network_address)))

    t = bundle.topology
    return with_topology(bundle, subnet=str(new), host_ip=move(t.host_ip), vip=move(t.vip),
                         nodes=[{"name": n.name, "ip": move(n.ip), "priority": n.priority}
                                for n in t.nodes])


def parse_topology(raw: dict[str, Any], where: Path) -> Topology:
    def need(key: str) -> Any:
        if key not in raw:
            raise ConfigError(f"{where}: missing key {key!r}")
        return raw[key]

    try:
        subnet = ipaddress.IPv4Network(str(need("subnet")), strict=True)
    except ValueError as exc:
        raise ConfigError(f"{where}: subnet {raw.get('subnet')!r} is not an IPv4 network "
                          f"like 198.18.151.0/24 ({exc})") from exc

    def addr(key: str, value: Any) -> str:
        try:
            ip = ipaddress.IPv4Address(str(value))
        except ValueError as exc:
            raise ConfigError(f"{where}: {key} {value!r} is not an IPv4 address") from exc
        if ip not in subnet:
            raise ConfigError(f"{where}: {key} {ip} is outside the subnet {subnet}")
        return str(ip)

    host_ip, vip = addr("host_ip", need("host_ip")), addr("vip", need("vip"))
    vrid = need("vrid")
    if not isinstance(vrid, int) or not 1 <= vrid <= 255:
        raise ConfigError(f"{where}: vrid must be an integer 1..255, got {vrid!r}")
    nodes_raw = need("nodes")
    if not isinstance(nodes_raw, list) or len(nodes_raw) != 2:
        raise ConfigError(f"{where}: exactly two [[nodes]] are supported (a dual-master pair)")
    nodes = []
    for i, n in enumerate(nodes_raw, start=1):
        if not {"name", "ip", "priority"} <= set(n):
            raise ConfigError(f"{where}: node {i} needs name, ip and priority")
        pr = n["priority"]
        if not isinstance(pr, int) or not 1 <= pr <= 254:
            raise ConfigError(f"{where}: node {n['name']}: priority must be 1..254, got {pr!r}")
        nodes.append(NodeSpec(str(n["name"]), addr(f"node {n['name']} ip", n["ip"]), pr, i))
    used = [host_ip, vip, *(n.ip for n in nodes)]
    if len(set(used)) != len(used):
        raise ConfigError(f"{where}: host_ip, vip and node addresses must all differ: {used}")
    if len({n.name for n in nodes}) != len(nodes):
        raise ConfigError(f"{where}: node names must differ")
    return Topology(subnet, host_ip, vip, vrid, str(raw.get("interface", "eth0")), tuple(nodes))
