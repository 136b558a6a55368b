"""A loaded bundle: per-node files, address map, accounts, accepted risks; rendered per node."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from harness import keepalived_conf
from harness.bundle.accounts import Statement, parse_statements
from harness.bundle.addresses import AddressMap, Translator
from harness.bundle.kinds import KEEPALIVED_CONF
from harness.bundle.layout import MYCNF_PATH, SourceFile
from harness.bundle.sources import TomlDoc, decode
from harness.bundle.templates import render_template
from harness.bundle.topology import NodeSpec, Topology
from harness.expectations import Expectation
from harness.platform import DEFAULT, Platform

MIGRATION_MARGIN_S = 5.0


@dataclass(frozen=True)
class RenderedNode:
    """Files one node gets, keyed by their absolute path in the container."""

    keepalived_conf: str  # the text as installed (line numbers are the operator's)
    files: dict[str, tuple[bytes, int]]  # path -> (exact bytes, mode)
    sources: dict[str, str] = field(default_factory=dict)  # path -> file name in the bundle
    origins: dict[str, SourceFile] = field(default_factory=dict)  # path -> the bundle's file


@dataclass(frozen=True)
class Bundle:
    name: str
    path: Path
    description: str
    topology: Topology
    files: dict[str, dict[str, SourceFile]]  # node name -> node path -> source file
    address_map: AddressMap = field(default_factory=AddressMap)
    accounts_file: SourceFile | None = None  # None: default-accounts.sql
    default_accounts: SourceFile | None = None
    #: the operator's replication setup SQL (CHANGE MASTER TO ...): checked against the
    #: platform and read for the replication login; the harness wires replication itself
    replication_file: SourceFile | None = None
    replication_account: tuple[str, str] = ("repl", "repl")  # (user, password)
    risks: list[Expectation] = field(default_factory=list)
    faults: list[str] | None = None  # fault families to run; None: all
    #: the operator's restore steps (harness.actions names); None: start mysqld, then keepalived
    runbook: tuple[str, ...] | None = None
    platform: Platform = DEFAULT  # the server and keepalived the pair runs
    network: str = "lan"  # the lab network's profile (harness.bundle.refs.NETWORKS)
    topology_doc: TomlDoc | None = field(default=None, compare=False, repr=False)

    @property
    def is_literal(self) -> bool:
        """Whether any node's keepalived.conf is pasted (not a template)."""
        return any(not f[KEEPALIVED_CONF].template for f in self.files.values())

    def context(self, node: NodeSpec) -> dict[str, Any]:
        topo = self.topology
        peer = topo.peer(node.name)
        return {
            "node": node, "peer": peer, "nodes": topo.nodes, "vip": topo.vip,
            "vrid": topo.vrid, "interface": topo.interface, "gateway": topo.host_ip,
            "subnet": str(topo.subnet), "prefixlen": topo.prefixlen,
            "platform": self.platform,
        }

    def translator(self) -> Translator:
        return self.address_map.bind(self.topology)

    def content(self, f: SourceFile, node: NodeSpec, tr: Translator | None = None) -> bytes:
        """A file as the node gets it: a template rendered with lab values, anything else the
        operator's bytes with production addresses and interface names mapped."""
        if f.template:
            return render_template(decode(f.data, f.name, "a UTF-8 Jinja template"),
                                   self.context(node), f.name)
        return (tr or self.translator()).translate(f.data)

    def render(self, node: NodeSpec) -> RenderedNode:
        tr = self.translator()
        files, sources, origins = {}, {}, {}
        for path, f in self.files[node.name].items():
            if path == MYCNF_PATH:  # the lab's option file: last in the server's own dir
                path = f"{self.platform.conf_dir}/{PurePosixPath(MYCNF_PATH).name}"
            files[path] = (self.content(f, node, tr), f.mode)
            sources[path], origins[path] = f.name, f
        conf = files[KEEPALIVED_CONF][0].decode("utf-8", "replace")
        return RenderedNode(conf, files, sources, origins)

    def accounts(self, node: NodeSpec) -> list[Statement]:
        """The accounts to create on ``node``, lab-mapped, each with its ``file:line``."""
        src = self.accounts_file or self.default_accounts
        if src is None:
            return []
        text = decode(self.content(src, node), src.name, "SQL statements")
        return parse_statements(text, src.name)

    def replication_statements(self, node: NodeSpec) -> list[Statement]:
        """The replication setup statements for ``node`` (none when not given)."""
        src = self.replication_file
        if src is None:
            return []
        return parse_statements(decode(self.content(src, node), src.name, "SQL statements"),
                                src.name)

    def timing(self) -> keepalived_conf.VrrpTiming:
        """Timing of the slowest node (lowest priority: longest master-down skew)."""
        worst = min(self.topology.nodes, key=lambda n: n.priority)
        return keepalived_conf.timing(keepalived_conf.parse(self.render(worst).keepalived_conf))

    def migration_bound_s(self) -> float:
        """How long a failover may take under this config: check interval x fall (+ timeout)
        + master-down interval + a margin for process start/stop and ARP."""
        t = self.timing()
        return round(t.detection_s + t.master_down_s + MIGRATION_MARGIN_S, 1)
