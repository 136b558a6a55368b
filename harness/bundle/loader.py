"""Find, load and check a bundle; move it to another lab subnet.

Everything knowable from the files alone is checked here, before any container exists: keys of
topology.toml, the address map, the file layout, templates, accounts, accepted risks, and that
no production address is left unmapped. Errors name the operator's file and line.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.actions import action_name
from harness.bundle.accounts import parse_statements, replication_login
from harness.bundle.addresses import parse_address_map
from harness.bundle.kinds import KEEPALIVED_CONF
from harness.bundle.layout import collect, read_source
from harness.bundle.lint import unmapped_addresses
from harness.bundle.model import Bundle
from harness.bundle.refs import NETWORKS, parse_ref, qualified
from harness.bundle.risks import load_faults, load_risks
from harness.bundle.sources import TomlDoc, decode
from harness.bundle.topology import TOP_KEYS, check_keys, parse_topology, to_raw
from harness.errors import ConfigError
from harness.platform import DEFAULT, Platform, choose

BUNDLES_DIR = Path(__file__).resolve().parent.parent / "bundles"
DEFAULT_MYCNF = BUNDLES_DIR / "default-my.cnf.j2"
DEFAULT_ACCOUNTS = BUNDLES_DIR / "default-accounts.sql"
DEFAULT_REPLICATION = ("repl", "repl")


def bundle_names() -> list[str]:
    return sorted(p.name for p in BUNDLES_DIR.iterdir() if (p / "topology.toml").exists())


def resolve(name_or_path: str | Path) -> Path:
    """The bundle's directory (a ``@platform`` suffix names no other directory)."""
    name_or_path = parse_ref(name_or_path).name
    p = Path(name_or_path)
    if (BUNDLES_DIR / str(name_or_path)).is_dir() and not p.is_dir():
        return BUNDLES_DIR / str(name_or_path)
    if p.is_dir():
        return p.resolve()
    raise ConfigError(
        f"config bundle {str(name_or_path)!r} not found: give a directory holding topology.toml "
        f"and keepalived.conf(.j2) files, or one of the shipped bundles {bundle_names()}"
    )


def load_bundle(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Bundle:
    """Load and check a bundle; ``overrides`` replace topology keys (subnet, vip, vrid, ...).
    ``name@platform`` and ``name@cloud`` load it on that platform or network profile (named so
    in every result: harness.bundle.refs)."""
    ref = parse_ref(name_or_path)
    if ref.platform is not None or ref.network is not None:
        b = load_bundle(ref.name, overrides)
        b = replace(b, platform=ref.platform or b.platform, network=ref.network or b.network)
        return replace(b, name=qualified(b.name, b.platform if ref.platform else None,
                                         b.network if ref.network else None))
    path = resolve(name_or_path)
    topo_file = path / "topology.toml"
    if not topo_file.is_file():
        raise ConfigError(f"{path}: no topology.toml (subnet, host_ip, vip, vrid, nodes)")
    doc = TomlDoc.load(topo_file, "topology.toml")
    check_keys(doc)
    overrides = dict(overrides or {})
    bad = [k for k in overrides if k not in TOP_KEYS]
    if bad:
        raise ConfigError(f"overrides: unknown topology key(s) {bad}; known: "
                          f"{', '.join(TOP_KEYS)}")
    home = _subnet(doc.data.get("subnet"))
    doc.data = {**doc.data, **overrides}
    doc.overridden = frozenset(overrides)
    topology = parse_topology(doc.data, doc)
    accounts_file = _sql_file(path, "accounts.sql")
    replication_file = _sql_file(path, "replication.sql")
    bundle = Bundle(
        name=path.name,
        path=path,
        description=str(doc.data.get("description", "")),
        topology=topology,
        files=collect(path, topology, doc, DEFAULT_MYCNF),
        address_map=parse_address_map(doc, topology, home),
        accounts_file=accounts_file,
        default_accounts=read_source(DEFAULT_ACCOUNTS, DEFAULT_ACCOUNTS.name,
                                     "/" + DEFAULT_ACCOUNTS.name, builtin=True),
        replication_file=replication_file,
        replication_account=_replication(doc, accounts_file is not None, replication_file),
        risks=load_risks(path / "risks.toml", topology),
        faults=load_faults(doc),
        runbook=_runbook(doc),
        platform=_platform(doc),
        network=_network(doc),
        topology_doc=doc,
    )
    for node in topology.nodes:  # surface template, text and SQL errors now
        rendered = bundle.render(node)
        decode(rendered.files[KEEPALIVED_CONF][0], bundle.files[node.name][KEEPALIVED_CONF].name,
               "a keepalived.conf")
        bundle.accounts(node)
        bundle.replication_statements(node)
    problems = unmapped_addresses(bundle)
    if problems:
        raise ConfigError("\n".join(problems))
    return bundle


def _subnet(value: Any) -> ipaddress.IPv4Network | None:
    try:
        return ipaddress.IPv4Network(str(value))
    except ValueError:
        return None


def _sql_file(path: Path, name: str):
    given = [p for p in (path / name, path / f"{name}.j2") if p.is_file()]
    if len(given) > 1:
        raise ConfigError(f"{name}.j2: {name} is there too: keep one of them")
    return read_source(given[0], given[0].name, "/" + given[0].name) if given else None


def _runbook(doc: TomlDoc) -> tuple[str, ...] | None:
    """``[runbook] restore = ["start mysqld", "systemctl start keepalived"]``: how this
    operator restores a failed node (the sequences' restore step)."""
    book = doc.data.get("runbook")
    if book is None or "restore" not in book:
        return None
    steps = book["restore"]
    if not isinstance(steps, list) or not steps or not all(isinstance(x, str) for x in steps):
        raise ConfigError(f"{doc.where('runbook', 'restore')}: [runbook] restore is a list of "
                          "actions, e.g. [\"start mysqld\", \"systemctl start keepalived\"]")
    try:
        names = tuple(action_name(x) for x in steps)
    except ConfigError as exc:
        raise ConfigError(f"{doc.where('runbook', 'restore')}: {exc}") from exc
    if "restore" in names:
        raise ConfigError(f"{doc.where('runbook', 'restore')}: a runbook cannot call restore")
    return names


def _network(doc: TomlDoc) -> str:
    """``network = "cloud"``: the lab network behaves as a cloud's (harness.labnet)."""
    value = doc.data.get("network", "lan")
    if value not in NETWORKS:
        raise ConfigError(f"{doc.where('network')}: network {value!r}: one of "
                          f"{', '.join(NETWORKS)} (cloud: multicast dropped, gratuitous ARP "
                          "ignored)")
    return value


def _platform(doc: TomlDoc) -> Platform:
    """``[platform] database = "mariadb-10.11"  keepalived = "2.2.7"`` (or ``release``)."""
    plat = doc.data.get("platform")
    if not plat:
        return DEFAULT
    for key, value in plat.items():
        if not isinstance(value, str):
            example = getattr(DEFAULT, "suite" if key == "release" else key, "")
            raise ConfigError(f"{doc.where('platform', key)}: [platform] {key} is a string, "
                              f"e.g. {key} = \"{example}\"")
        choose(where=doc.where("platform", key), **{key: value})  # each value at its line
    return choose(where=doc.where("platform"), **plat)


def _replication(doc: TomlDoc, has_accounts: bool, setup=None) -> tuple[str, str]:
    rep = doc.data.get("replication")
    if rep is None:
        login = None
        if setup is not None and not setup.template:
            login = replication_login(parse_statements(decode(setup.data, setup.name,
                                                              "SQL statements"), setup.name))
        if login:
            return login[0], login[1]
        if has_accounts:
            raise ConfigError(f"{doc.name}: accounts.sql is given but no [replication] says "
                              "which of its accounts replication uses: add [replication] "
                              "user = \"...\" password = \"...\"")
        return DEFAULT_REPLICATION
    for key in ("user", "password"):
        if not isinstance(rep.get(key), str) or not rep[key]:
            raise ConfigError(f"{doc.where('replication', key)}: [replication] needs {key} = "
                              "\"...\" (the account each node uses to pull from its peer)")
    return rep["user"], rep["password"]


def with_topology(bundle: Bundle, **changes: Any) -> Bundle:
    """A copy of the bundle with topology fields replaced (checked again)."""
    raw = {**to_raw(bundle.topology), **changes}
    return replace(bundle, topology=parse_topology(raw, TomlDoc("topology.toml", raw)))


def relocate(bundle: Bundle, subnet: str) -> Bundle:
    """The same bundle on another lab subnet (addresses keep their offsets), so two pairs can
    exist at once. Pasted files move too: address-map words (vip, node1, ...) follow the new
    topology, literal lab addresses move by offset."""
    old = bundle.topology.subnet
    try:
        new = ipaddress.IPv4Network(subnet)
    except ValueError as exc:
        raise ConfigError(f"relocate: {subnet!r} is not an IPv4 network ({exc})") from exc
    if new.prefixlen != old.prefixlen:
        raise ConfigError(f"relocate: {subnet} must have the prefix length of {old}")

    def move(ip: str) -> str:
        return str(new.network_address + (int(ipaddress.IPv4Address(ip)) -
                                          int(old.network_address)))

    t = bundle.topology
    return with_topology(bundle, subnet=str(new), host_ip=move(t.host_ip), vip=move(t.vip),
                         nodes=[{"name": n.name, "ip": move(n.ip), "priority": n.priority}
                                for n in t.nodes])
