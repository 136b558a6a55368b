"""The lab network: a Docker macvlan network whose parent is a veth pair the harness makes.

A host cannot reach its own macvlan children through the parent, so the parent is one end of a
veth pair and the other end (``vc-<run>-h``) holds ``host_ip``: the test process then reaches
node addresses and the VIP directly, exactly like a client on the same LAN. No ``dummy`` link
(missing from this kernel) is needed.

The lab is sealed: pasted production configs carry production addresses, and one unmapped
``unicast_peer`` must never reach a real node. A chain of ours (``VC-<run>``), jumped to from
the top of ``FORWARD`` (and of ``DOCKER-USER``, which Docker moves above us), counts and drops
everything routed out of or into the lab, whatever the host's FORWARD policy. Traffic between
nodes (switched by macvlan) and to the host's own addresses (INPUT) is untouched.

Subnets come from ``subnet_lease``: the preferred one if free, else the first free /24 of
198.18.0.0/15 (RFC 2544, never handed out by Docker), chosen under a host-wide lock held until
the caller's network exists, so concurrent sessions and xdist workers never collide.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import re
import shlex
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from harness import hostcmd, ownership
from harness.bundle.topology import Topology
from harness.engine import PREFIX, RUN_LABEL, Engine
from harness.errors import CommandError, NetworkSetupError
from harness.ownership import Resource

LINK_PREFIX = "vc-"
CHAIN_PREFIX = "VC-"
LINK_RE = re.compile(rf"^{LINK_PREFIX}(.+)-([hp])$")
POOL = ipaddress.IPv4Network("198.18.0.0/15")
LOCK_DIRS = (Path("/run/vipchaos"), Path("/tmp"))
LOCK_TIMEOUT_S = 300
OUT_NOTE, IN_NOTE = "out-of-lab", "into-lab"


class LabNetwork:
    """Create with ``up()``, remove with ``down()``; both safe to repeat."""

    def __init__(self, engine: Engine, topology: Topology, run_id: str) -> None:
        self.engine, self.topology, self.run_id = engine, topology, run_id
        self.name = f"{PREFIX}net-{run_id}"
        self.parent = f"{LINK_PREFIX}{run_id}-p"
        self.host_link = f"{LINK_PREFIX}{run_id}-h"
        self.chain = f"{CHAIN_PREFIX}{run_id}"
        self.is_up = False

    def up(self) -> None:
        """Link, seal, Docker network; under the host lock so that no other session takes the
        subnet meanwhile and no reaper sees a link before its owner is recorded."""
        if self.is_up:
            return
        try:
            with host_lock():
                self._check_subnet_free()
                self._make_link()
                self._seal()
                self.engine.create_macvlan(
                    self.name, self.parent, str(self.topology.subnet), self.topology.host_ip,
                    {RUN_LABEL: self.run_id},
                )
            self.is_up = True
        except BaseException:
            self.down()
            raise

    def down(self) -> None:
        self.engine.remove_network(self.name)
        remove_chain(self.run_id)
        hostcmd.run(["ip", "link", "del", self.host_link], check=False)
        self.is_up = False

    def hand_over(self) -> None:
        """Record on the host link that the run now belongs to the user (``vipchaos up``): its
        manual resources outlive this process (see ``harness.ownership``)."""
        _set_alias(self.host_link, ownership.tag(self.run_id, ownership.manual_owner(self.run_id)))

    def pin_neighbour(self, ip: str, mac: str) -> None:
        """The cloud profile's address assignment: the host (every client of the lab) delivers
        ``ip`` to ``mac`` through a permanent neighbour entry, which no gratuitous ARP
        overrides, as a cloud network delivers an address to the interface it is assigned to.
        Gone with the host link."""
        hostcmd.run(["ip", "neigh", "replace", ip, "lladdr", mac, "dev", self.host_link,
                     "nud", "permanent"])

    def forget_neighbour(self, ip: str) -> None:
        """Drop what the host learnt about ``ip`` by ARP (a pinned, permanent entry stays):
        each test's client starts without the previous test's view of the VIP."""
        hostcmd.run(["ip", "neigh", "flush", "to", ip, "dev", self.host_link], check=False)

    def neighbour(self, ip: str, permanent_only: bool = False) -> str | None:
        """The host link's neighbour entry for ``ip``: its MAC, or None."""
        proc = hostcmd.run(["ip", "-j", "neigh", "show", "to", ip, "dev", self.host_link],
                           check=False)
        try:
            entries = json.loads(proc.stdout or "[]")
        except ValueError:
            return None
        for e in entries:
            states = e.get("state") or []
            if e.get("lladdr") and (not permanent_only or "PERMANENT" in states) and \
                    "FAILED" not in states and "INCOMPLETE" not in states:
                return e["lladdr"]
        return None

    def seal_counters(self) -> dict[str, int]:
        """Packets dropped at the lab's edge: ``out`` (routed from the lab towards anywhere else)
        and ``in`` (routed from elsewhere into the lab)."""
        out = {"out": 0, "in": 0}
        for packets, rule in rule_counters("filter"):
            if rule.startswith(f"-A {self.chain} "):
                out["out" if OUT_NOTE in rule else "in"] += packets
        return out

    def _make_link(self) -> None:
        t = self.topology
        alias = ownership.tag(self.run_id, ownership.process_owner())
        cmds = [
            ["ip", "link", "add", self.parent, "type", "veth", "peer", "name", self.host_link],
            ["ip", "link", "set", "dev", self.host_link, "alias", alias],
            ["ip", "link", "set", "dev", self.parent, "alias", alias],
            ["ip", "link", "set", self.parent, "up"],
            ["ip", "addr", "add", f"{t.host_ip}/{t.prefixlen}", "dev", self.host_link],
            ["ip", "link", "set", self.host_link, "up"],
        ]
        try:
            for cmd in cmds:
                hostcmd.run(cmd)
        except CommandError as exc:
            hint = ("run as root (or with CAP_NET_ADMIN): the harness creates a veth pair on "
                    "the host" if "not permitted" in exc.output.lower() else
                    "remove leftovers of dead runs with `vipchaos clean`"
                    if "exists" in exc.output.lower() else "check `ip link` on the host")
            raise NetworkSetupError(
                f"Could not create the host link {self.host_link} ({exc.cmd} -> "
                f"{exc.output.strip()}): {hint}."
            ) from exc

    def _seal(self) -> None:
        try:
            remove_chain(self.run_id)  # a second seal replaces the first rather than doubling
            rules = seal_rules(self.run_id, self.host_link, ownership.owner_of(self.run_id),
                               docker_user=_chain_exists("DOCKER-USER"))
            hostcmd.run(["iptables-restore", "-w", "10", "--noflush"], input=rules)
        except CommandError as exc:
            raise NetworkSetupError(
                f"Could not seal the lab (iptables-restore -> {exc.output.strip()}): the harness "
                "must drop everything routed out of the lab, so that a production address in a "
                "pasted config never receives a packet. Install iptables and run as root."
            ) from exc

    def _check_subnet_free(self) -> None:
        subnet = self.topology.subnet
        for net, subnets in self.engine.network_subnets().items():
            for s in subnets:
                if ":" not in s and ipaddress.ip_network(s).overlaps(subnet):
                    raise NetworkSetupError(
                        f"The lab subnet {subnet} overlaps Docker network {net!r} ({s}). Pick a "
                        f"free subnet (topology.toml `subnet`, or `--subnet`), or remove {net!r} "
                        f"(`vipchaos clean` removes leftovers of dead runs)."
                    )
        for dst, dev in host_routes():
            if dst.overlaps(subnet):
                raise NetworkSetupError(
                    f"The lab subnet {subnet} is already routed on this host ({dst} via {dev}). "
                    f"Pick a free subnet (topology.toml `subnet`, or `--subnet`)"
                    + ("; `vipchaos clean` removes links of dead runs."
                       if dev.startswith(LINK_PREFIX) else ".")
                )


# --- the seal -------------------------------------------------------------------------------
def seal_rules(run_id: str, host_link: str, owner: str, *, docker_user: bool) -> str:
    """iptables-restore input that creates the run's chain and its jumps in one transaction
    (so no reaper ever sees an unlabelled half of it)."""
    chain, tag = f"{CHAIN_PREFIX}{run_id}", ownership.tag(run_id, owner)
    lines = ["*filter", f":{chain} - [0:0]",
             f'-A {chain} -i {host_link} -m comment --comment "{tag} {OUT_NOTE}" -j DROP',
             f'-A {chain} -o {host_link} -m comment --comment "{tag} {IN_NOTE}" -j DROP']
    for parent in ("FORWARD", "DOCKER-USER") if docker_user else ("FORWARD",):
        for direction in ("-o", "-i"):
            lines.append(f'-I {parent} 1 {direction} {host_link} -m comment --comment "{tag}" '
                         f"-j {chain}")
    return "\n".join([*lines, "COMMIT", ""])


def rule_counters(table: str) -> list[tuple[int, str]]:
    """(packets, rule as ``-A CHAIN ...``) for every rule of an iptables table."""
    out = hostcmd.run(["iptables-save", "-c", "-t", table]).stdout
    return [(int(m.group(1)), m.group(2)) for line in out.splitlines()
            if (m := re.match(r"\[(\d+):\d+\] (-A .*)", line))]


def _chain_exists(chain: str) -> bool:
    return hostcmd.run(["iptables", "-w", "10", "-S", chain], check=False).returncode == 0


def _filter_rules() -> list[str]:
    try:
        return hostcmd.run(["iptables", "-w", "10", "-S"]).stdout.splitlines()
    except CommandError as exc:
        if exc.exit_code == 127:
            return []  # no iptables: nothing of ours can exist
        raise


def remove_chain(run_id: str) -> None:
    """Remove the run's chain and every rule that jumps to it or carries its tag. Safe to
    repeat."""
    chain = f"{CHAIN_PREFIX}{run_id}"
    rules = _filter_rules()
    for rule in rules:
        if not rule.startswith("-A ") or rule.startswith(f"-A {chain} ") or \
                (chain not in rule and f"run={run_id} " not in rule):
            continue  # only ours are parsed: an admin's odd quoting must not stop a reaper
        args = shlex.split(rule)
        found = ownership.parse_tag(args[args.index("--comment") + 1]) \
            if "--comment" in args else None
        if args[-2:] == ["-j", chain] or (found and found[0] == run_id):
            hostcmd.run(["iptables", "-w", "10", "-D", *args[1:]], check=False)
    if f"-N {chain}" in rules:
        hostcmd.run(["iptables", "-w", "10", "-F", chain], check=False)
        hostcmd.run(["iptables", "-w", "10", "-X", chain], check=False)


# --- host resources (for ownership) ---------------------------------------------------------
def host_resources(*, everything: bool = False) -> list[Resource]:
    """Our host links (by ifalias) and chains (by rule comment). A link or chain named like
    ours without a record counts as dead; ``everything`` adds any ``vc-*`` link and ``VC-*``
    chain."""
    out: list[Resource] = []
    links = json.loads(hostcmd.run(["ip", "-j", "link"]).stdout or "[]")
    names = {link.get("ifname", "") for link in links}
    for link in links:
        name = link.get("ifname", "").split("@")[0]
        m = LINK_RE.match(name)
        if m:
            if m.group(2) == "h" or f"{LINK_PREFIX}{m.group(1)}-h" not in names:  # one a pair
                found = ownership.parse_tag(link.get("ifalias", ""))
                out.append(Resource("link", name, *(found or (m.group(1), ""))))
        elif everything and name.startswith(LINK_PREFIX):
            out.append(Resource("link", name))
    rules = _filter_rules()
    for rule in rules:
        if not rule.startswith(f"-N {CHAIN_PREFIX}"):
            continue
        chain = rule.split()[1]
        run_id, owner = chain[len(CHAIN_PREFIX):], ""
        for r in rules:
            found = ownership.parse_tag(_comment(r))
            if found and found[0] == run_id:
                owner = found[1]
                break
        out.append(Resource("chain", chain, run_id, owner))
    return out


def _comment(rule: str) -> str:
    m = re.search(r'--comment (?:"([^"]*)"|(\S+))', rule)
    return (m.group(1) or m.group(2)) if m else ""


def remove_host_resource(res: Resource) -> None:
    if res.kind == "chain":
        remove_chain(res.name[len(CHAIN_PREFIX):])
    elif res.kind == "link":
        hostcmd.run(["ip", "link", "del", res.name], check=False)


def _set_alias(link: str, alias: str) -> None:
    hostcmd.run(["ip", "link", "set", "dev", link, "alias", alias])


# --- subnets --------------------------------------------------------------------------------
def host_routes() -> list[tuple[ipaddress.IPv4Network, str]]:
    """(destination, device) of every IPv4 route of the main table but the default."""
    return routed_subnets(json.loads(hostcmd.run(["ip", "-j", "-4", "route"]).stdout or "[]"))


def routed_subnets(routes: list[dict]) -> list[tuple[ipaddress.IPv4Network, str]]:
    out = []
    for r in routes:
        dst = r.get("dst", "")
        if dst in ("default", ""):
            continue
        out.append((ipaddress.ip_network(dst if "/" in dst else f"{dst}/32", strict=False),
                    r.get("dev", "")))
    return out


def taken_subnets(engine: Engine) -> list[ipaddress.IPv4Network]:
    """Every IPv4 subnet a Docker network uses or a host route covers."""
    nets = [ipaddress.IPv4Network(s, strict=False)
            for subnets in engine.network_subnets().values() for s in subnets if ":" not in s]
    return nets + [dst for dst, _ in host_routes()]


def choose_subnet(preferred: str | None, taken: Iterable[ipaddress.IPv4Network],
                  prefixlen: int = 24, pool: ipaddress.IPv4Network = POOL) -> str:
    """The preferred subnet if it overlaps nothing taken, else the first free subnet of
    ``prefixlen`` in ``pool``."""
    taken = list(taken)

    def free(net: ipaddress.IPv4Network) -> bool:
        return not any(net.overlaps(t) for t in taken)

    if preferred:
        try:
            want = ipaddress.IPv4Network(preferred)
        except ValueError as exc:
            raise NetworkSetupError(f"{preferred!r} is not an IPv4 subnet like "
                                    "198.18.181.0/24.") from exc
        if free(want):
            return str(want)
    for net in pool.subnets(new_prefix=prefixlen):
        if free(net):
            return str(net)
    raise NetworkSetupError(
        f"No free /{prefixlen} left in {pool}: Docker networks or host routes cover it all. "
        "Remove leftovers of dead runs (`vipchaos clean`) or pass a free subnet explicitly."
    )


def allocate_subnet(engine: Engine, preferred: str | None = None, prefixlen: int = 24) -> str:
    """The subnet ``subnet_lease`` would hand out now, without reserving it: another session
    may take it before you create anything. Create networks inside ``subnet_lease`` instead."""
    with host_lock():
        return choose_subnet(preferred, taken_subnets(engine), prefixlen)


@contextlib.contextmanager
def subnet_lease(engine: Engine, preferred: str | None = None,
                 prefixlen: int = 24) -> Iterator[str]:
    """``with subnet_lease(engine, "198.18.181.0/24") as subnet:`` create the network inside
    (e.g. ``Pair(...).network.up()``); no other session is handed an overlapping subnet
    until the block ends."""
    with host_lock():
        yield choose_subnet(preferred, taken_subnets(engine), prefixlen)


# --- the host-wide lock ---------------------------------------------------------------------
_local = threading.RLock()
_depth = 0
_fd: int | None = None


def lock_path() -> Path:
    for d in LOCK_DIRS:
        with contextlib.suppress(OSError):
            d.mkdir(parents=True, exist_ok=True)
            if os.access(d, os.W_OK):
                return d / "vipchaos.lock"
    raise NetworkSetupError(f"No writable directory for the host lock among {LOCK_DIRS}.")


@contextlib.contextmanager
def host_lock(timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """An exclusive flock shared by every vipchaos process on this host; re-entrant within a
    process (threads of it wait). The kernel releases it when its holder dies, even by
    SIGKILL."""
    global _depth, _fd
    with _local:
        if _depth == 0:
            path = lock_path()
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        holder = Path(path).read_text(errors="replace").strip() or "?"
                        os.close(fd)
                        raise NetworkSetupError(
                            f"Another vipchaos process (owner {holder}) has held the host lock "
                            f"{path} for over {timeout:.0f} s. If it hangs, stop it; the lock "
                            "goes with its process.") from None
                    time.sleep(0.05)
            os.ftruncate(fd, 0)
            os.pwrite(fd, ownership.process_owner().encode(), 0)
            _fd = fd
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
            if _depth == 0 and _fd is not None:
                os.close(_fd)  # releases the flock
                _fd = None
