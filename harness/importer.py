"""``vipchaos import``: a bundle from the files of a production pair, as they are.

Reads both keepalived.conf files (and optionally check scripts, my.cnf and accounts), copies
them byte for byte (modes kept) to where the nodes will have them, and writes a topology.toml
that proposes the lab mapping: node addresses (from ``mcast_src_ip``/``unicast_src_ip``, the
peer's ``unicast_peer``, or the script's own address), the VIP (``virtual_ipaddress``), the
production network (onto the lab subnet, offsets kept), interface names. Whatever it cannot
decide is a ``# TODO`` in the file and in what it prints; ``vipchaos validate`` refuses the
bundle until each is settled.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

from harness import keepalived_conf
from harness.bundle.accounts import created, grants_to, parse_statements, replication_login
from harness.bundle.addresses import addresses_in, exempt
from harness.bundle.kinds import KEEPALIVED_CONF, code, kind
from harness.errors import ConfigError

LAB_SUBNET = IPv4Network("198.18.151.0/24")
LAB_INTERFACE = "eth0"
NODES = ("node1", "node2")
MYCNF_PATH = "/etc/my.cnf"


@dataclass
class NodeInput:
    name: str
    conf: Path
    scripts: list[Path] = field(default_factory=list)
    mycnf: Path | None = None


@dataclass
class Result:
    out: Path
    written: list[str] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = [f"wrote bundle {self.out}:"] + [f"  {w}" for w in self.written]
        if self.notes:
            lines += ["check:"] + [f"  - {n}" for n in self.notes]
        if self.todo:
            lines += ["still to do (marked TODO in the files):"] + [f"  - {t}" for t in self.todo]
        lines.append(f"then: vipchaos validate --config {self.out}")
        return "\n".join(lines)


@dataclass
class _Conf:
    node: NodeInput
    data: bytes
    root: keepalived_conf.Block
    priority: int | None = None
    vrid: str | None = None
    vip: IPv4Address | None = None
    vip_prefix: int | None = None
    src_ip: IPv4Address | None = None
    peers: list[IPv4Address] = field(default_factory=list)
    interfaces: dict[str, str] = field(default_factory=dict)  # name -> where


def import_pair(nodes: list[NodeInput], out: Path, accounts: Path | None = None,
                lab: IPv4Network = LAB_SUBNET, replication: Path | None = None) -> Result:
    """Write a bundle for the pair ``nodes`` (node1, node2) into ``out`` (new or empty);
    ``accounts`` and ``replication`` are the operator's SQL (CREATE USER/GRANT, and the
    CHANGE MASTER TO of replication's setup), copied as they are."""
    if len(nodes) != 2:
        raise ConfigError("import: give exactly two keepalived.conf files (node1's, node2's)")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"{out}: exists and is not empty: give --out a new directory")
    confs = [_read_conf(n) for n in nodes]
    res = Result(out)
    addrs = _addresses(confs, accounts, replication)
    vip, net = _vip_and_network(confs, res)
    prod_ips = _node_addresses(confs, vip, addrs, res)
    lab_ips, lab_vip, host_ip = _lab_addresses(prod_ips, vip, net, lab)

    files: dict[str, dict[str, tuple[bytes, int, str]]] = {n.name: {} for n in nodes}
    for c in confs:
        files[c.node.name][KEEPALIVED_CONF] = (c.data, _mode(c.node.conf), str(c.node.conf))
        referenced = {p.rsplit("/", 1)[-1]: (p, line)
                      for p, line in keepalived_conf.script_paths(c.root)}
        named = {s.name for s in c.node.scripts}
        unclaimed = [p for name, (p, _) in referenced.items() if name not in named]
        for s in c.node.scripts:
            path, _ = referenced.get(s.name, (None, None))
            if path is None and len(c.node.scripts) == 1 and len(unclaimed) == 1:
                # one script given, one referenced under another name (db1-check.sh saved
                # from the host's /etc/keepalived/check.sh): that is where it ran
                path = unclaimed[0]
                res.notes.append(f"{s}: placed at {path} on {c.node.name}, the one script "
                                 f"{c.node.conf} runs (check that this is the right file)")
            elif path is None:
                path = f"/etc/keepalived/{s.name}"
                res.notes.append(f"{s}: {c.node.conf} does not name it; placed at "
                                 f"{path} on {c.node.name}")
            files[c.node.name][path] = (_read(s), _mode(s), str(s))
        given = set(files[c.node.name])
        for p, line in keepalived_conf.script_paths(c.root):
            if p not in given:
                res.todo.append(f"{c.node.conf}:{line} runs {p}, which was not given "
                                f"(--scripts-{c.node.name}): give it, or the lab looks for it "
                                "in the node image")
        if c.node.mycnf:
            files[c.node.name][MYCNF_PATH] = (_read(c.node.mycnf), _mode(c.node.mycnf),
                                              str(c.node.mycnf))
            res.notes.append(f"{c.node.mycnf}: installed as {MYCNF_PATH} on {c.node.name}; "
                             "mysqld reads it first, then the image's /etc/mysql/my.cnf: paths "
                             "in it (datadir, socket, log-error) must exist in the node")
    out.mkdir(parents=True, exist_ok=True)
    _write_files(out, files, res)
    login = _write_accounts(out, accounts, confs, res)
    if replication:
        login = _write_replication(out, replication, login, res)
    _write_topology(out, confs, vip, net, prod_ips, lab_ips, lab_vip, host_ip, lab, addrs,
                    login, res)
    (out / "risks.toml").write_text(RISKS_SKELETON)
    res.written.append("risks.toml (accepted risks: none yet)")
    return res


def _read(p: Path) -> bytes:
    try:
        return p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{p}: cannot be read ({exc.strerror})") from exc


def _mode(p: Path) -> int:
    return p.stat().st_mode & 0o7777


def _read_conf(n: NodeInput) -> _Conf:
    data = _read(n.conf)
    root = keepalived_conf.parse(data.decode("utf-8", "replace"))
    insts = root.find("vrrp_instance")
    if not insts:
        raise ConfigError(f"{n.conf}: no vrrp_instance: is this a keepalived.conf?")
    c = _Conf(n, data, root)
    inst = insts[0]
    prio = inst.value("priority")
    c.priority = int(prio) if prio and prio.isdigit() else None
    c.vrid = inst.value("virtual_router_id")
    for v in inst.find("virtual_ipaddress"):
        for a in v.children:
            ip, _, prefix = a.keyword.partition("/")
            try:
                c.vip = IPv4Address(ip)
            except ValueError:
                continue
            c.vip_prefix = int(prefix) if prefix.isdigit() else None
            break
        if c.vip:
            break
    for kw in ("unicast_src_ip", "mcast_src_ip"):
        val = inst.value(kw)
        if val and c.src_ip is None:
            with contextlib.suppress(ValueError):
                c.src_ip = IPv4Address(val)
    for block in inst.find("unicast_peer"):
        for a in block.children:
            with contextlib.suppress(ValueError):
                c.peers.append(IPv4Address(a.keyword))
    for i in root.find("vrrp_instance"):
        for x in i.find("interface"):
            if x.args:
                c.interfaces.setdefault(x.args[0], f"{n.conf}:{x.line}")
        for v in i.find("virtual_ipaddress") + i.find("track_interface"):
            for a in v.children:
                if v.keyword == "track_interface":
                    c.interfaces.setdefault(a.keyword, f"{n.conf}:{a.line}")
                elif "dev" in a.args[:-1]:
                    c.interfaces.setdefault(a.args[a.args.index("dev") + 1],
                                            f"{n.conf}:{a.line}")
    return c


def _addresses(confs: list[_Conf], accounts: Path | None,
               replication: Path | None = None) -> dict[str, list[tuple[str, str]]]:
    """Every production address (and host pattern) in the given files -> [(where, node)]."""
    found: dict[str, list[tuple[str, str]]] = {}
    sources: list[tuple[Path, str, bytes, str]] = []
    for c in confs:
        n = c.node.name
        sources.append((c.node.conf, KEEPALIVED_CONF, c.data, n))
        sources += [(s, f"/etc/keepalived/{s.name}", _read(s), n) for s in c.node.scripts]
        if c.node.mycnf:
            sources.append((c.node.mycnf, MYCNF_PATH, _read(c.node.mycnf), n))
    for sql, name in ((accounts, "/accounts.sql"), (replication, "/replication.sql")):
        if sql:
            sources.append((sql, name, _read(sql), ""))
    for path, node_path, data, node in sources:
        k = kind(node_path, data)
        for lineno, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
            for written, value in addresses_in(code(line, k)):
                if isinstance(value, IPv4Address) and exempt(value):
                    continue
                if isinstance(value, IPv4Network) and value.prefixlen == 0:
                    continue
                entry = (f"{path}:{lineno}", node)
                if entry not in found.setdefault(written, []):
                    found[written].append(entry)
    return found


def _vip_and_network(confs: list[_Conf], res: Result) -> tuple[IPv4Address | None,
                                                                  IPv4Network | None]:
    vips = {c.vip for c in confs if c.vip}
    if not vips:
        res.todo.append("no virtual_ipaddress found: set vip and map the production VIP to "
                        "\"vip\" in topology.toml")
        return None, None
    vip = confs[0].vip or next(iter(vips))
    if len(vips) > 1:
        res.todo.append(f"the two configs carry different VIPs ({', '.join(map(str, vips))}): "
                        f"{vip} is mapped to vip")
    prefix = next((c.vip_prefix for c in confs if c.vip_prefix), None)
    if prefix is None:
        res.notes.append(f"the VIP {vip} has no prefix (keepalived then uses /32): the "
                         f"production network is guessed as {IPv4Network(f'{vip}/24', False)}")
        prefix = 24
    return vip, IPv4Network(f"{vip}/{prefix}", strict=False)


def _node_addresses(confs: list[_Conf], vip: IPv4Address | None,
                    addrs: dict[str, list[tuple[str, str]]],
                    res: Result) -> list[IPv4Address | None]:
    ips: list[IPv4Address | None] = [c.src_ip for c in confs]
    for i in range(len(confs)):
        if ips[i] is None:
            peer = confs[1 - i]
            cand = [p for p in peer.peers if p != peer.src_ip]
            if len(cand) == 1:
                ips[i] = cand[0]
    for i, c in enumerate(confs):
        if ips[i] is not None:
            continue
        cand = {IPv4Address(a) for a, wheres in addrs.items() if "%" not in a
                and any(node == c.node.name for _, node in wheres)
                and IPv4Address(a) != vip and IPv4Address(a) not in ips}
        if len(cand) == 1:
            ips[i] = cand.pop()
            res.notes.append(f"{c.node.name}'s production address {ips[i]} was taken from its "
                             "check script (the address it probes)")
        else:
            res.todo.append(f"{c.node.name}'s production address is not in {c.node.conf} "
                            "(no mcast_src_ip/unicast_src_ip): map it to \"" + c.node.name +
                            "\" in topology.toml [address_map]")
    return ips


def _lab_addresses(prod: list[IPv4Address | None], vip: IPv4Address | None,
                   net: IPv4Network | None, lab: IPv4Network) -> tuple[list[IPv4Address],
                                                                       IPv4Address,
                                                                       IPv4Address]:
    """Lab addresses: the production offsets when the network maps onto the lab (so names and
    the network agree), else .11, .12 and .100."""

    def same_offset(ip: IPv4Address | None) -> IPv4Address | None:
        if ip is None or net is None or net.prefixlen != lab.prefixlen or ip not in net:
            return None
        return lab.network_address + (int(ip) - int(net.network_address))

    chosen = [same_offset(ip) for ip in prod]
    lab_vip = same_offset(vip)
    used = {a for a in (*chosen, lab_vip) if a is not None}

    def free(*offsets: int) -> IPv4Address:
        ip = next(lab.network_address + o for o in (*offsets, *range(2, 254))
                  if lab.network_address + o not in used)
        used.add(ip)
        return ip

    nodes = [a or free(11 + i) for i, a in enumerate(chosen)]
    lab_vip = lab_vip or free(100)
    return nodes, lab_vip, free(1, 254)


def _write_files(out: Path, files: dict[str, dict[str, tuple[bytes, int, str]]],
                 res: Result) -> None:
    n1, n2 = NODES
    paths = sorted(set(files[n1]) | set(files[n2]))
    for path in paths:
        a, b = files[n1].get(path), files[n2].get(path)
        if a and b and a[:2] == b[:2]:
            targets = [("files", a)]
        else:
            targets = [(n, f) for n, f in ((n1, a), (n2, b)) if f]
        for top, (data, mode, src) in targets:
            dst = out / top / path.lstrip("/")
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(data)
            dst.chmod(mode)
            res.written.append(f"{top}{path} (from {src}, mode {mode:o})")


def _credentials(confs: list[_Conf]) -> list[tuple[str, str | None, str]]:
    """(user, password, where) the check scripts log in to MySQL with."""
    out = []
    for c in confs:
        for s in c.node.scripts:
            for lineno, line in enumerate(_read(s).decode("utf-8", "replace").splitlines(), 1):
                if not re.search(r"\bmysql(admin)?\b", line):
                    continue
                user = re.search(r"(?:--user=|\s-u\s*)([\w.$-]+)", line)
                pw = re.search(r"(?:--password=|\s-p)([^\s\"']+)", line)
                if user:
                    out.append((user.group(1), pw.group(1) if pw else None,
                                f"{s}:{lineno}"))
    return out


def _write_accounts(out: Path, accounts: Path | None, confs: list[_Conf],
                    res: Result) -> tuple[str, str, bool]:
    """Copy or sketch accounts.sql; returns the replication (user, password, known)."""
    if accounts:
        data = _read(accounts)
        (out / "accounts.sql").write_bytes(data)
        res.written.append(f"accounts.sql (from {accounts})")
        try:
            stmts = parse_statements(data.decode("utf-8"), accounts.name)
        except (UnicodeDecodeError, ConfigError) as exc:
            res.todo.append(f"{accounts.name}: cannot be read as SQL statements ({exc})")
            return "repl", "TODO", False
        for a in created(stmts):
            if any(re.search(r"REPLICATION\s+(SLAVE|REPLICA)", g, re.I)
                   for g, _, _ in grants_to(stmts, a.user)):
                return a.user, a.password or "TODO", a.password is not None
        res.todo.append(f"{accounts.name}: no account is granted REPLICATION SLAVE: say which "
                        "account replication uses in topology.toml [replication]")
        return "repl", "TODO", False
    lines = [
        "-- TODO: the MySQL accounts production has for its check scripts and replication,",
        "-- as you create them there (CREATE USER ... IDENTIFIED BY ...; GRANT ...;). Host parts",
        "-- are mapped like addresses ('192.168.0.%' follows \"192.168.0.0/24\" = \"lab\").",
    ]
    creds = _credentials(confs)
    if creds:
        lines.append("-- The check scripts log in as:")
        for user, pw, where in dict.fromkeys(creds):
            lines.append(f"--   {user} / {pw or '(no -p)'}   ({where})")
        for user, pw in dict.fromkeys((u, p) for u, p, _ in creds):
            lines.append(f"-- CREATE USER '{user}'@'%' IDENTIFIED BY '{pw or '...'}';")
    lines += ["-- CREATE USER 'repl'@'%' IDENTIFIED BY '...';",
              "-- GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%';", ""]
    (out / "accounts.sql").write_text("\n".join(lines))
    res.written.append("accounts.sql (to fill in)")
    res.todo.append("accounts.sql: write the accounts production has (the check scripts' and "
                    "replication's); without them the checks fail as they would in production")
    return "repl", "TODO", False


def _write_replication(out: Path, setup: Path, login: tuple[str, str, bool],
                       res: Result) -> tuple[str, str, bool]:
    """Copy the replication setup SQL; its CHANGE MASTER TO names the replication login."""
    data = _read(setup)
    (out / "replication.sql").write_bytes(data)
    res.written.append(f"replication.sql (from {setup}; checked, not run: the lab wires "
                       "replication itself)")
    try:
        found = replication_login(parse_statements(data.decode("utf-8"), setup.name))
    except (UnicodeDecodeError, ConfigError) as exc:
        res.todo.append(f"{setup.name}: cannot be read as SQL statements ({exc})")
        return login
    if found is None:
        res.todo.append(f"{setup.name}: no CHANGE MASTER TO ... MASTER_USER=..., "
                        "MASTER_PASSWORD=... in it: say which account replication uses in "
                        "topology.toml [replication]")
        return login
    user, password, where = found
    if login[2] and (login[0], login[1]) != (user, password):
        res.todo.append(f"{where}: replication logs in as {user!r}, but the accounts file's "
                        f"replication account is {login[0]!r} with another password: "
                        "topology.toml [replication] takes the CHANGE MASTER TO login")
    return user, password, True


def _q(s: str) -> str:
    return json.dumps(s)


def _write_topology(out: Path, confs: list[_Conf], vip: IPv4Address | None,
                    net: IPv4Network | None, prod_ips: list[IPv4Address | None],
                    lab_ips: list[IPv4Address], lab_vip: IPv4Address, host_ip: IPv4Address,
                    lab: IPv4Network, addrs: dict[str, list[tuple[str, str]]],
                    replication: tuple[str, str, bool], res: Result) -> None:
    vrids = {c.vrid for c in confs}
    vrid = confs[0].vrid or "51"
    t = [f"# Imported by `vipchaos import` from {confs[0].node.conf} (node1) and "
         f"{confs[1].node.conf} (node2).",
         "# The files under files/, node1/, node2/ are the production ones, byte for byte;",
         "# only the addresses and interface names below are mapped onto the lab.",
         f"description = {_q('imported from ' + ', '.join(str(c.node.conf) for c in confs))}",
         f"subnet = {_q(str(lab))}",
         f"host_ip = {_q(str(host_ip))}          # the test host (and the lab's gateway)",
         f"vip = {_q(str(lab_vip))}"]
    if len(vrids) > 1:
        t.append(f"vrid = {vrid}   # TODO: the configs disagree ({', '.join(map(str, vrids))})")
        res.todo.append(f"virtual_router_id differs between the configs ({vrids})")
    else:
        t.append(f"vrid = {vrid}")
    t.append(f"interface = {_q(LAB_INTERFACE)}")
    for i, c in enumerate(confs):
        prio = c.priority
        t += ["", "[[nodes]]", f"name = {_q(c.node.name)}", f"ip = {_q(str(lab_ips[i]))}"
              + (f"   # production {prod_ips[i]}" if prod_ips[i] else "")]
        if prio is None:
            t.append("priority = 100   # TODO: no priority in the config (keepalived's default)")
        else:
            t.append(f"priority = {prio}   # from {c.node.conf}")
    user, password, known = replication
    t += ["", "# The account each node uses to pull from its peer (created in accounts.sql).",
          "[replication]", f"user = {_q(user)}",
          f"password = {_q(password)}" + ("" if known else "   # TODO")]
    if not known:
        res.todo.append("topology.toml [replication]: the replication account's user and "
                        "password (as created in accounts.sql)")
    t += ["", "[address_map]"]
    mapped: set[str] = set()
    for i, c in enumerate(confs):
        if prod_ips[i]:
            t.append(f"{_q(str(prod_ips[i]))} = {_q(c.node.name)}")
            mapped.add(str(prod_ips[i]))
        else:
            t.append(f"# \"?\" = {_q(c.node.name)}   # TODO: {c.node.name}'s production address")
    if vip:
        t.append(f"{_q(str(vip))} = \"vip\"")
        mapped.add(str(vip))
    if net is not None:
        if net.prefixlen == lab.prefixlen:
            t.append(f"{_q(str(net))} = \"lab\"   # the rest of the production network, "
                     "offsets kept (also 'a.b.c.%' host patterns)")
        else:
            t.append(f"# {_q(str(net))} = \"lab\"   # TODO: a /{net.prefixlen} cannot map onto "
                     f"the /{lab.prefixlen} lab with offsets kept: map single addresses, or make "
                     f"subnet a /{net.prefixlen}")
            res.todo.append(f"the production network {net} is not a /{lab.prefixlen}: map its "
                            "other addresses one by one")
    for written, entries in sorted(addrs.items()):
        if written in mapped:
            continue
        wheres = [w for w, _ in entries]
        value = addresses_in(written)[0][1]
        inside = net is not None and net.prefixlen == lab.prefixlen and (
            value.subnet_of(net) if isinstance(value, IPv4Network) else value in net)
        if inside:
            t.append(f"#   {written} ({', '.join(wheres)}) follows the network")
            continue
        if isinstance(value, IPv4Network):
            t.append(f"# {_q(str(value))} = \"lab\"   # TODO: host pattern '{written}' "
                     f"({', '.join(wheres)})")
        else:
            t.append(f"# {_q(written)} = \"\"   # TODO ({', '.join(wheres)}): vip, gateway, "
                     "node1, node2 or a lab address")
        res.todo.append(f"{wheres[0]}: {written} is outside the production network: map it in "
                        "topology.toml [address_map]")
    ifaces: dict[str, str] = {}
    for c in confs:
        for name, where in c.interfaces.items():
            ifaces.setdefault(name, where)
    t += ["", "[interface_map]"]
    for name, where in ifaces.items():
        if name not in (LAB_INTERFACE, "lo"):
            t.append(f"{name} = {_q(LAB_INTERFACE)}   # {where}")
    (out / "topology.toml").write_text("\n".join(t) + "\n")
    res.written.insert(0, "topology.toml (lab addresses and the address map)")


RISKS_SKELETON = """\
# Violations you know and accept for this pair, one [[accept]] each, e.g.
#
#   [[accept]]
#   fault = "pause-node"        # the fault the test injects
#   target = "owner"            # optional: owner | standby | node name
#   invariant = "single_owner"  # single_owner | migration | replication | writes
#   when = "during"             # optional: during | after-heal | bring-up | anytime
#   reason = "why this is known and accepted"
"""

__all__ = ["NodeInput", "Result", "import_pair"]
