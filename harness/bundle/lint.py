"""Checks knowable from a bundle's files alone (no container): what a pasted production config
commonly gets wrong, and what would make the lab differ from production.

Every message is ``file:line: what is wrong and what it does``, naming the operator's file.
Errors: the lab cannot reproduce production as given (an unmapped address or interface, a VIP
or priority the topology does not have) or the pair can never elect one owner. Warnings: what
production does too, and what the operator should know (a check keepalived disables, a
truncated password, equal priorities).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import harness.bundle.accounts as acc
import harness.bundle.sqlcheck as sqlcheck
from harness import keepalived_conf
from harness.bundle.addresses import addresses_in, foreign
from harness.bundle.kinds import KEEPALIVED_CONF, code, interpreter, kind, shebang
from harness.bundle.model import Bundle, RenderedNode
from harness.bundle.risks import unsigned
from harness.bundle.shell import commands
from harness.bundle.topology import NodeSpec

NOT_EXECUTABLE = ("keepalived will disable this check: the VIP will never move on its failure")
AUTH_PASS_MAX = 8


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def error(self, msg: str) -> None:
        if msg not in self.errors:
            self.errors.append(msg)

    def warn(self, msg: str) -> None:
        if msg not in self.warnings:
            self.warnings.append(msg)


@dataclass
class Probes:
    """What only the node image can answer, per node: paths, interpreters, commands."""

    scripts: dict[str, str] = field(default_factory=dict)  # referenced, not shipped -> where
    interpreters: dict[str, str] = field(default_factory=dict)  # path or name -> where
    commands: dict[str, list[str]] = field(default_factory=dict)  # command -> [where, ...]


def unmapped_addresses(bundle: Bundle) -> list[str]:
    """Addresses (and MySQL host patterns) outside the lab left in what the nodes get: one
    message per address, at its first use, naming the others."""
    found: dict[str, list[str]] = {}
    values: dict[str, ipaddress.IPv4Address | ipaddress.IPv4Network] = {}
    topo = bundle.topology
    for node in topo.nodes:
        rendered = bundle.render(node)
        sources = [(rendered.origins[path], data, kind(path, data))
                   for path, (data, _) in rendered.files.items()]
        if bundle.accounts_file:
            sources.append((bundle.accounts_file, bundle.content(bundle.accounts_file, node),
                            "sql"))
        for src, data, kind_ in sources:
            if src.builtin or b"\0" in data:
                continue
            for lineno, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
                for written, value in addresses_in(code(line, kind_)):
                    if foreign(value, topo):
                        wheres = found.setdefault(written, [])
                        if f"{src.name}:{lineno}" not in wheres:
                            wheres.append(f"{src.name}:{lineno}")
                        values[written] = value
    return [_unmapped(written, values[written], wheres, topo.prefixlen)
            for written, wheres in found.items()]


def _unmapped(written: str, value, wheres: list[str], prefixlen: int) -> str:
    also = f" (also {', '.join(wheres[1:])})" if len(wheres) > 1 else ""
    if isinstance(value, ipaddress.IPv4Network):
        return (f"{wheres[0]}: host pattern '{written}' is not in the lab{also}: map its "
                f"network in topology.toml [address_map] (\"{value}\" = \"lab\" maps a "
                f"/{value.prefixlen} onto a lab subnet of that size)")
    net = ipaddress.IPv4Network(f"{value}/{prefixlen}", strict=False)
    return (f"{wheres[0]}: {value} is a production address with no lab mapping{also}: add it "
            f"to topology.toml [address_map] (\"{value}\" = \"vip\" | \"gateway\" | a node "
            f"name | a lab address, or its network \"{net}\" = \"lab\")")


def lint(bundle: Bundle) -> tuple[Report, dict[str, Probes]]:
    """Static findings, and per node what to ask the node image."""
    rep = Report()
    probes: dict[str, Probes] = {}
    parsed: dict[str, tuple[str, keepalived_conf.Block]] = {}
    ifaces: dict[str, list[tuple[str, bool]]] = {}  # name -> [(file:line, literal)]
    noexec: dict[str, list[str]] = {}  # script source -> [file:line running it]
    for node in bundle.topology.nodes:
        rendered = bundle.render(node)
        name = rendered.sources[KEEPALIVED_CONF]
        root = keepalived_conf.parse(rendered.keepalived_conf)
        parsed[node.name] = (name, root)
        _instances(bundle, node, name, root, rep, ifaces)
        probes[node.name] = _scripts(bundle, node, rendered, name, root, rep, noexec)
    for iface, wheres in ifaces.items():
        rep.error(_iface_problem(bundle, iface, wheres))
    for what, wheres in noexec.items():
        also = f" (also run at {', '.join(wheres[2:])})" if len(wheres) > 2 else ""
        rep.warn(f"{wheres[1]}: {what} is not executable{also}: {NOT_EXECUTABLE}")
    _cross_check(bundle, parsed, rep)
    _accounts(bundle, rep)
    for w in unsigned(bundle.risks):
        rep.warn(w)
    return rep, probes


def _lab_ifaces(bundle: Bundle) -> set[str]:
    return {bundle.topology.interface, "lo"}


def _iface_problem(bundle: Bundle, iface: str, wheres: list[tuple[str, bool]]) -> str:
    lab = bundle.topology.interface
    fix = (f"map it in topology.toml [interface_map] ({iface} = \"{lab}\")" if wheres[0][1]
           else "use {{ interface }}")
    also = f" (also {', '.join(w for w, _ in wheres[1:])})" if len(wheres) > 1 else ""
    return (f"{wheres[0][0]}: interface {iface} does not exist in the lab node (it has {lab})"
            f"{also}: {fix}")


def _instances(bundle: Bundle, node: NodeSpec, name: str, root: keepalived_conf.Block,
               rep: Report, ifaces: dict[str, list[tuple[str, bool]]]) -> None:
    topo = bundle.topology
    literal = not bundle.files[node.name][KEEPALIVED_CONF].template
    peer = topo.peer(node.name)
    scripts = {b.args[0]: b.line for b in root.find("vrrp_script") if b.args}
    instances = root.find("vrrp_instance")
    if not instances:
        rep.error(f"{name}: no vrrp_instance: keepalived would never hold the VIP")
    where = _topology_where(bundle)

    def iface(value: str, line: int) -> None:
        if value not in _lab_ifaces(bundle):
            ifaces.setdefault(value, []).append((f"{name}:{line}", literal))

    for inst in instances:
        label = inst.args[0] if inst.args else "?"
        for c in inst.find("interface"):
            if c.args:
                iface(c.args[0], c.line)
        for block in inst.find("virtual_ipaddress") + inst.find("virtual_ipaddress_excluded"):
            for a in block.children:
                if "dev" in a.args[:-1]:
                    iface(a.args[a.args.index("dev") + 1], a.line)
        for block in inst.find("track_interface"):
            for a in block.children:
                iface(a.keyword, a.line)
        for block in inst.find("unicast_peer"):
            for a in block.children:
                if a.keyword != peer.ip and not foreign_text(a.keyword, bundle):
                    rep.error(f"{name}:{a.line}: unicast_peer {a.keyword} is not {peer.name}'s "
                              f"lab address ({peer.ip}): {node.name} would send its adverts "
                              f"elsewhere; map {peer.name}'s production address to "
                              f"\"{peer.name}\" in topology.toml [address_map]")
        for kw in ("unicast_src_ip", "mcast_src_ip"):
            for c in inst.find(kw):
                if c.args and c.args[0] != node.ip and not foreign_text(c.args[0], bundle):
                    rep.error(f"{name}:{c.line}: {kw} {c.args[0]} is not {node.name}'s lab "
                              f"address ({node.ip}): keepalived cannot send from an address "
                              f"the node does not have; map it to \"{node.name}\" in "
                              "topology.toml [address_map]")
        for block in inst.find("track_script"):
            for t in block.children:
                defined = scripts.get(t.keyword)
                if defined is None:
                    rep.warn(f"{name}:{t.line}: track_script names {t.keyword}, which no "
                             "vrrp_script defines: keepalived ignores it, so the VIP will "
                             "never move on its failure")
                elif defined > inst.line:
                    rep.warn(f"{name}:{t.line}: vrrp_script {t.keyword} is defined only after "
                             f"this vrrp_instance (line {defined}): keepalived reads the file in "
                             "order and ignores it, so the VIP will never move on its failure")
        for auth in inst.find("authentication"):
            pw = auth.value("auth_pass")
            if pw is not None and len(pw) > AUTH_PASS_MAX:
                line = auth.find("auth_pass")[-1].line
                rep.warn(f"{name}:{line}: auth_pass is {len(pw)} characters: keepalived uses "
                         f"only the first {AUTH_PASS_MAX} ({pw[:AUTH_PASS_MAX]!r}) and ignores "
                         "the rest, in production too")
        prio = inst.value("priority", "100")
        if prio is not None and prio.isdigit() and int(prio) != node.priority:
            rep.error(f"{where('nodes', node.index - 1, 'priority')}: {node.name} priority "
                      f"{node.priority}, but {name}:{_line(inst, 'priority')} says priority "
                      f"{prio}: give topology.toml the config's priorities (each test starts "
                      "with the VIP on the highest)")
        vrid = inst.value("virtual_router_id")
        if vrid is not None and vrid != str(topo.vrid):
            rep.error(f"{where('vrid')}: vrid {topo.vrid}, but {name}:"
                      f"{_line(inst, 'virtual_router_id')} (vrrp_instance {label}) says "
                      f"virtual_router_id {vrid}: make them agree")
        vips = [c.keyword.split("/")[0] for v in inst.find("virtual_ipaddress")
                for c in v.children]
        if topo.vip not in vips:
            rep.error(f"{name}:{inst.line}: vrrp_instance {label} does not carry the topology "
                      f"VIP {topo.vip} (it has {', '.join(vips) or 'none'}): map the production "
                      "VIP to \"vip\" in topology.toml [address_map]")


def foreign_text(text: str, bundle: Bundle) -> bool:
    """Whether a word is an address outside the lab (already refused when the bundle loaded)."""
    return any(foreign(v, bundle.topology) for _, v in addresses_in(text))


def _line(block: keepalived_conf.Block, keyword: str) -> int:
    found = block.find(keyword)
    return found[-1].line if found else block.line


def _topology_where(bundle: Bundle):
    doc = bundle.topology_doc

    def where(*keypath) -> str:
        return doc.where(*keypath) if doc else "topology.toml"
    return where


def _scripts(bundle: Bundle, node: NodeSpec, rendered: RenderedNode, conf_name: str,
             root: keepalived_conf.Block, rep: Report, noexec: dict[str, list[str]]) -> Probes:
    probes = Probes()
    for path, line in keepalived_conf.script_paths(root):
        where = f"{conf_name}:{line}"
        if path not in rendered.files:
            probes.scripts.setdefault(path, where)
            continue
        data, mode = rendered.files[path]
        if not mode & 0o111:
            what = f"{path} ({rendered.sources[path]}, mode {mode:o})"
            wheres = noexec.setdefault(what, [what])
            if where not in wheres:
                wheres.append(where)
    for path, (data, _) in rendered.files.items():
        src = rendered.origins[path]
        k = kind(path, data)
        if src.builtin or k not in ("shell", "script"):
            continue
        crlf = data.find(b"\r\n")
        if crlf >= 0:
            line = data[:crlf].count(b"\n") + 1
            sb = shebang(data)
            if sb and data.split(b"\n", 1)[0].endswith(b"\r"):
                rep.warn(f"{src.name}:{line}: CRLF line endings: the kernel looks for the "
                         f"interpreter {sb[0]!r} with a carriage return and the "
                         "script fails with 'bad interpreter', as it does in production "
                         "(dos2unix fixes it)")
            else:
                rep.warn(f"{src.name}:{line}: CRLF line endings: the shell reads each '\\r' as "
                         "part of a word and the commands fail, as they do in production "
                         "(dos2unix fixes it)")
            continue
        sb = shebang(data)
        if sb:
            interp = interpreter(data)
            target = sb[0] if sb[0].rsplit("/", 1)[-1] != "env" else interp
            if target:
                probes.interpreters.setdefault(target, f"{src.name}:1")
        if k == "shell":
            text = data.decode("utf-8", "replace")
            for cmd, line in commands(text).items():
                probes.commands.setdefault(cmd, []).append(f"{src.name}:{line}")
    return probes


def _cross_check(bundle: Bundle, parsed: dict[str, tuple[str, keepalived_conf.Block]],
                 rep: Report) -> None:
    seen: dict[str, dict[str, dict]] = {}
    prios = {}
    for node, (name, root) in parsed.items():
        for inst in root.find("vrrp_instance"):
            auth = inst.find("authentication")
            pw = auth[0].value("auth_pass") if auth else None
            seen.setdefault(inst.args[0] if inst.args else "?", {})[node] = {
                "name": name, "line": inst.line,
                "virtual_router_id": (inst.value("virtual_router_id"),
                                      _line(inst, "virtual_router_id")),
                "authentication": ((auth[0].value("auth_type"),
                                    pw[:AUTH_PASS_MAX] if pw else pw),
                                   _line(auth[0], "auth_pass")) if auth else (None, inst.line),
                "advert_int": (inst.value("advert_int", "1"), _line(inst, "advert_int")),
            }
            prios[node] = (inst.value("priority", "100"), f"{name}:{_line(inst, 'priority')}")
    why = {
        "virtual_router_id": "they are two separate routers, each MASTER",
        "authentication": "each discards the other's adverts and both become MASTER",
        "advert_int": "each discards the other's adverts (interval mismatch) and both become "
                      "MASTER",
    }
    for inst, per_node in seen.items():
        first = next(iter(per_node.values()))
        if len(per_node) < 2:
            missing = [n for n in parsed if n not in per_node]
            rep.error(f"{first['name']}:{first['line']}: vrrp_instance {inst} exists only on "
                      f"{', '.join(per_node)}, not on {', '.join(missing)}")
            continue
        for what, because in why.items():
            if len({v[what][0] for v in per_node.values()}) > 1:
                detail = "; ".join(f"{v['name']}:{v[what][1]}: {_show(what, v[what][0])}"
                                   for v in per_node.values())
                rep.error(f"{first['name']}:{first[what][1]}: vrrp_instance {inst}: {what} "
                          f"differs between the nodes ({detail}): {because}")
    if len(prios) == 2 and len({p for p, _ in prios.values()}) == 1:
        (p, w1), (_, w2) = prios.values()
        rep.warn(f"{w1}: both nodes have priority {p} (also {w2}): elections between equal "
                 "priorities go to the higher primary address, not to the node you meant")


def _show(what: str, value) -> str:
    if what == "authentication" and value:
        return f"{value[0]} {value[1]!r}"
    return str(value)


def _accounts(bundle: Bundle, rep: Report) -> None:
    user, password = bundle.replication_account
    where = _topology_where(bundle)
    for node in bundle.topology.nodes:
        stmts = bundle.accounts(node)
        refused = sqlcheck.check(stmts + bundle.replication_statements(node), bundle.platform)
        for finding in refused:
            rep.error(str(finding))
        src = (bundle.accounts_file or bundle.default_accounts)
        name = src.name if src else "accounts.sql"
        made = [a for a in acc.created(stmts) if a.user == user]
        if not made:
            rep.error(f"{name}: no statement creates the replication user {user!r} "
                      f"({where('replication', 'user')} names it): each node pulls from its "
                      f"peer as {user}, which would fail; add CREATE USER '{user}'@'...' "
                      "IDENTIFIED BY '...'")
            return
        if refused:
            return
        if not any(acc.host_matches(a.host, node.ip) for a in made) and \
                all(_is_pattern(a.host) for a in made):
            hosts = ", ".join(f"'{a.user}'@'{a.host}' ({a.where})" for a in made)
            rep.warn(f"{hosts}: does not admit {node.name} ({node.ip}), which connects to its "
                     "peer as the replication user: replication would fail to connect")
        wrong = [a for a in made if a.password is not None and a.password != password]
        if wrong and len(wrong) == len(made):
            rep.warn(f"{where('replication', 'password')}: [replication] password differs from "
                     f"the one {wrong[0].where} gives {user!r}: replication would fail to log in")
        grants = acc.grants_to(stmts, user)
        if not any("REPLICATION SLAVE" in g.upper() or "REPLICATION REPLICA" in g.upper()
                   or "ALL" in g.upper() for g, _, _ in grants):
            rep.warn(f"{made[0].where}: {user!r} is granted no REPLICATION SLAVE: replication "
                     "would connect but be refused")


def _is_pattern(host: str) -> bool:
    """Host parts this check can judge (addresses and patterns, not host names)."""
    return host in ("%", "localhost") or all(c.isdigit() or c in ".%_/" for c in host)
