"""Which file of a bundle goes where in which node.

A bundle mirrors the nodes' filesystems:

- ``files/<path>``: on both nodes at ``/<path>``;
- ``<node>/<path>`` (``node1/etc/keepalived/checkmysql.sh``): on that node only, replacing a
  ``files/`` entry at the same path;
- a ``.j2`` suffix makes a Jinja template (rendered per node, suffix dropped); anything else is
  copied byte for byte (after the address map), keeping its mode as it is on disk.

The older shorthands map onto the same model: ``keepalived.conf.j2`` and ``my.cnf.j2`` at the
top (both nodes; my.cnf.j2 becomes ``/etc/mysql/mysql.conf.d/zz-vipchaos.cnf``), ``scripts/*``
(both nodes, in ``/etc/keepalived/``) and ``[literal] node1 = "file"`` (that node's
keepalived.conf). A node given no MySQL option file at all gets the harness's GTID dual-master
defaults (``default-my.cnf.j2``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.bundle.kinds import KEEPALIVED_CONF
from harness.bundle.sources import TomlDoc
from harness.bundle.topology import Topology
from harness.errors import ConfigError

SCRIPTS_DIR = "/etc/keepalived"
MYCNF_PATH = "/etc/mysql/mysql.conf.d/zz-vipchaos.cnf"
RESERVED = {"files", "scripts"}


@dataclass(frozen=True)
class SourceFile:
    """One file of the bundle, as the operator gave it."""

    node_path: str  # absolute path in the node
    name: str  # as the operator knows it: the path relative to the bundle
    data: bytes  # exact bytes on disk
    mode: int  # permission bits on disk (stat), carried into the node unchanged
    template: bool
    builtin: bool = False  # the harness's default, not the operator's


def read_source(file: Path, name: str, node_path: str, builtin: bool = False) -> SourceFile:
    template = file.name.endswith(".j2")
    if template:
        node_path = node_path.removesuffix(".j2")
    try:
        return SourceFile(node_path, name, file.read_bytes(), file.stat().st_mode & 0o7777,
                          template, builtin)
    except OSError as exc:
        raise ConfigError(f"{name}: cannot be read ({exc.strerror})") from exc


def _tree(root: Path, bundle: Path) -> list[SourceFile]:
    out = []
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = f.relative_to(root).as_posix()
        if "__pycache__" in rel.split("/"):
            continue
        out.append(read_source(f, f.relative_to(bundle).as_posix(), "/" + rel))
    return out


def _place(into: dict[str, SourceFile], f: SourceFile, scope: str) -> None:
    other = into.get(f.node_path)
    if other is not None:
        raise ConfigError(f"{f.name}: {scope} already has {f.node_path} from {other.name}: "
                          "keep one of them")
    into[f.node_path] = f


def collect(path: Path, topo: Topology, doc: TomlDoc, defaults: Path) -> dict[str, dict[str,
                                                                                      SourceFile]]:
    """node name -> node path -> source file, shared files overridden per node."""
    literal = doc.data.get("literal") or {}
    node_names = [n.name for n in topo.nodes]
    for name in literal:
        if name not in node_names:
            raise ConfigError(f"{doc.where('literal', name)}: [literal] {name}: no node of that "
                              f"name (nodes: {', '.join(node_names)})")
    literal_dirs = {Path(str(f)).parts[0] for f in literal.values() if len(Path(str(f)).parts) > 1}
    for entry in sorted(path.iterdir()):
        if entry.is_dir() and not entry.name.startswith((".", "__")) and \
                entry.name not in RESERVED | set(node_names) | literal_dirs:
            raise ConfigError(f"{entry.name}/: a directory that is neither files/, scripts/ "
                              f"nor a node ({', '.join(node_names)}): name per-node trees after "
                              "the nodes of topology.toml")

    shared: dict[str, SourceFile] = {}
    if (path / "keepalived.conf.j2").is_file():
        _place(shared, read_source(path / "keepalived.conf.j2", "keepalived.conf.j2",
                                   KEEPALIVED_CONF + ".j2"), "both nodes")
    if (path / "my.cnf.j2").is_file():
        _place(shared, read_source(path / "my.cnf.j2", "my.cnf.j2", MYCNF_PATH + ".j2"),
               "both nodes")
    if (path / "scripts").is_dir():
        for f in sorted(p for p in (path / "scripts").iterdir() if p.is_file()):
            _place(shared, read_source(f, f"scripts/{f.name}", f"{SCRIPTS_DIR}/{f.name}"),
                   "both nodes")
    if (path / "files").is_dir():
        for f in _tree(path / "files", path):
            _place(shared, f, "both nodes")

    per_node: dict[str, dict[str, SourceFile]] = {}
    for node in node_names:
        own: dict[str, SourceFile] = {}
        if (path / node).is_dir():
            for f in _tree(path / node, path):
                _place(own, f, node)
        if node in literal:
            rel = str(literal[node])
            f = path / rel
            if not f.is_file():
                raise ConfigError(f"{doc.where('literal', node)}: [literal] {node} = {rel!r}: "
                                  "no such file in the bundle")
            _place(own, read_source(f, rel, KEEPALIVED_CONF), node)
        files = {**shared, **own}
        if KEEPALIVED_CONF not in files:
            raise ConfigError(
                f"{doc.name}: no keepalived.conf for {node}: give keepalived.conf.j2, "
                f"files/etc/keepalived/keepalived.conf, {node}/etc/keepalived/keepalived.conf "
                f"(.j2 for a template) or [literal] {node} = \"file\"")
        if not any(p == "/etc/my.cnf" or (p.startswith("/etc/mysql/") and p.endswith(".cnf"))
                   for p in files):
            files[MYCNF_PATH] = read_source(defaults, defaults.name, MYCNF_PATH + ".j2",
                                            builtin=True)
        per_node[node] = dict(sorted(files.items()))
    return per_node
