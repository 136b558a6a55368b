"""The fake engine ``harness.engine`` promises ("a fake with the same methods in unit tests"),
plus fake nodes and a fake pair, so that nodes, faults, observers and the fault timeline run
without Docker, MySQL or network namespaces.

``FakeEngine`` records every call (``engine.calls``) and simulates each container's state:
running / paused / pid, files, its two services (mysqld: running | stopped | frozen;
keepalived: running | stopped), whether its kernel holds the VIP, iptables chains with packet
counters that rise while rules exist, and tc qdiscs (netem only if ``netem=True``).

``FakeNode`` is a real ``harness.node.Node`` (its lifecycle, exec and vcctl go through the
engine) whose host-side reads (``/proc/<pid>/...``, nsenter, SQL over TCP) are answered by the
engine's simulation instead: nothing leaves the process.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pymysql

from harness.bundle import NodeSpec
from harness.errors import CommandError
from harness.node import Node
from harness.pair import Pair

VIP = "198.18.151.100"
GATEWAY = "198.18.151.1"  # the topology's host_ip
GTID = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-10"
_pids = itertools.count(1000)


class NotFound(Exception):
    """What the fake raises for a container that does not exist (docker.errors.NotFound)."""


@dataclass
class FakeContainer:
    name: str
    running: bool = True
    paused: bool = False
    pid: int = 0
    mac: str = "02:42:c6:12:97:0b"
    files: dict[str, bytes] = field(default_factory=dict)
    services: dict[str, str] = field(default_factory=lambda: {"mysqld": "running",
                                                              "keepalived": "running"})
    vip_held: bool = False
    fib_readable: bool = True
    chains: dict[str, list[list[Any]]] = field(default_factory=dict)  # chain -> [[pkts, rule]]
    hooks: dict[str, list[str]] = field(default_factory=dict)  # INPUT -> [chain, ...]
    netem: bool = False
    qdiscs: list[str] = field(default_factory=list)
    cpu_quota: int = -1
    logs: str = "container output\n"
    children: list[str] = field(default_factory=lambda: ["160"])
    #: no traffic of its own: hooked rules count only what a probe (``ping``) sends
    quiet: bool = False


class FakeEngine:
    """The engine methods ``Node`` and the faults use, by container name."""

    def __init__(self) -> None:
        self.containers: dict[str, FakeContainer] = {}
        self.calls: list[tuple[Any, ...]] = []
        #: set to an exception to make every call raise it (the engine is unreachable)
        self.broken: BaseException | None = None
        #: (cmd) -> (code, output) or None: consulted before the built-in simulation
        self.exec_handler = None
        self._lock = threading.Lock()

    # --- set-up ----------------------------------------------------------------------------
    def add(self, name: str, **state: Any) -> FakeContainer:
        c = FakeContainer(name, **state)
        if c.running and not c.pid:
            c.pid = next(_pids)
        self.containers[name] = c
        return c

    def _record(self, *call: Any) -> None:
        with self._lock:
            self.calls.append(call)
        if self.broken is not None:
            raise self.broken

    def called(self, method: str) -> list[tuple[Any, ...]]:
        return [c for c in self.calls if c[0] == method]

    def _get(self, name: str) -> FakeContainer:
        if name not in self.containers:
            raise NotFound(f"No such container: {name}")
        return self.containers[name]

    # --- lifecycle -------------------------------------------------------------------------
    def status(self, name: str) -> dict:
        self._record("status", name)
        c = self.containers.get(name)
        if c is None:
            return {"running": False, "paused": False, "pid": 0, "id": None}
        return {"running": c.running, "paused": c.paused, "pid": c.pid if c.running else 0,
                "id": f"id-{name}"}

    def start(self, name: str) -> None:
        self._record("start", name)
        c = self._get(name)
        if not c.running:
            c.running, c.paused, c.pid = True, False, next(_pids)
            c.services = {"mysqld": "running", "keepalived": "running"}
            c.chains, c.hooks, c.qdiscs = {}, {}, []  # a new network namespace

    def kill(self, name: str) -> None:
        self._record("kill", name)
        c = self._get(name)
        self._require_running(c, "kill")
        c.running, c.paused, c.pid, c.vip_held = False, False, 0, False
        c.services = {"mysqld": "stopped", "keepalived": "stopped"}

    def pause(self, name: str) -> None:
        self._record("pause", name)
        c = self._get(name)
        self._require_running(c, "pause")
        c.paused = True

    def unpause(self, name: str) -> None:
        self._record("unpause", name)
        c = self._get(name)
        if not c.paused:
            raise CommandError(f"docker unpause {name}", 1, "Container is not paused", name)
        c.paused = False

    def put_files_in(self, name: str, files: dict) -> None:
        self._record("put_files_in", name, dict(files))
        c = self._get(name)
        for path, (text, _mode) in files.items():
            c.files[path] = text.encode()

    def mac_address(self, name: str, network: str) -> str | None:
        self._record("mac_address", name, network)
        return self._get(name).mac

    def logs_of(self, name: str, tail: int = 40) -> str:
        self._record("logs_of", name, tail)
        c = self.containers.get(name)
        return "(container gone)" if c is None else c.logs

    def set_cpu_quota(self, name: str, quota_us: int, period_us: int = 100_000) -> None:
        self._record("set_cpu_quota", name, quota_us, period_us)
        self._get(name).cpu_quota = quota_us

    @staticmethod
    def _require_running(c: FakeContainer, what: str) -> None:
        if not c.running:
            raise CommandError(f"docker {what} {c.name}", 1, f"Container {c.name} is not "
                               "running", c.name)

    # --- commands in a container -----------------------------------------------------------
    def exec_in(self, name: str, cmd: list[str] | str, *, check: bool = True) -> tuple[int, str]:
        self._record("exec_in", name, cmd)
        c = self._get(name)
        if not c.running or c.paused:
            raise CommandError(str(cmd), -1, f"container {name} is not running or is paused",
                               name)
        code, out = None, ""
        if self.exec_handler is not None:
            handled = self.exec_handler(name, cmd)
            if handled is not None:
                code, out = handled
        if code is None:
            code, out = self._simulate(c, cmd)
        if check and code != 0:
            raise CommandError(str(cmd), code, out, name)
        return code, out

    def _simulate(self, c: FakeContainer, cmd: list[str] | str) -> tuple[int, str]:
        if isinstance(cmd, list) and cmd[:1] == ["vcctl"]:
            return self._vcctl(c, cmd[1], cmd[2])
        text = cmd if isinstance(cmd, str) else " ".join(cmd)
        if text.startswith("ping "):  # answered unless an ICMP rule of ours drops it
            hooked = any(c.hooks.values()) and not c.paused
            icmp = [r for rules in c.chains.values() for r in rules if "icmp" in r[1].split()]
            for rule in icmp if hooked else []:
                rule[0] += 1
            return (1, "1 packets transmitted, 0 received\n") if hooked and icmp else \
                (0, "1 packets transmitted, 1 received\n")
        if text.startswith("ps -o stat= -C mysqld,mariadbd"):
            return 0, {"running": "Ssl\n", "frozen": "Tsl\n"}.get(c.services["mysqld"], "")
        if text.startswith("pgrep -x 'mysqld|mariadbd'"):
            return 0, "" if c.services["mysqld"] == "stopped" else "4242\n"
        if text.startswith("ls /etc/keepalived/check*.sh"):
            return 0, "/etc/keepalived/check_mysql.sh\n"
        if text.startswith("ps -eo args"):
            return 0, "keepalived -n\n" + ("sleep 3600\n" if c.files.get("hung") else "")
        if "check*.sh" in text and "printf" in text:  # hang-check's inject
            c.files["hung"] = b"1"
            return 0, ""
        if "vipchaos-orig" in text and "mv -f" in text:  # hang-check's repair
            c.files.pop("hung", None)
            return 0, ""
        return 0, ""

    def _vcctl(self, c: FakeContainer, verb: str, svc: str) -> tuple[int, str]:
        s = c.services
        if svc == "mysqld":
            if verb == "start":
                s["mysqld"] = "running" if s["mysqld"] == "stopped" else s["mysqld"]
            elif verb in ("stop", "kill"):
                s["mysqld"] = "stopped"
            elif verb == "freeze" and s["mysqld"] == "running":
                s["mysqld"] = "frozen"
            elif verb == "thaw" and s["mysqld"] == "frozen":
                s["mysqld"] = "running"
            elif verb == "status":
                return 0, {"running": "running\n", "frozen": "unresponsive\n"}.get(
                    s["mysqld"], "stopped\n")
            return 0, ""
        if verb == "start":
            if s["keepalived"] != "running":
                s["keepalived"], c.children = "running", [str(next(_pids))]
        elif verb == "stop":
            s["keepalived"], c.children, c.vip_held = "stopped", [], False
        elif verb == "kill":
            if s["keepalived"] != "running":
                return 1, "keepalived not running\n"
            killed, c.children = c.children, [str(next(_pids))]  # the parent respawns it
            return 0, " ".join(killed) + "\n"
        elif verb == "children":
            return 0, "\n".join(c.children) + "\n"
        elif verb == "status":
            return 0, ("running" if s["keepalived"] == "running" else "stopped") + "\n"
        return 0, ""

    # --- the node's network namespace (what nsenter would run) -----------------------------
    def netns(self, name: str, cmd: list[str], *, check: bool = True) -> str:
        self._record("netns", name, list(cmd))
        c = self._get(name)
        if not c.running:
            raise CommandError(" ".join(cmd), 1, "no such process", "host")
        code, out = (self._iptables(c, [a for a in cmd[1:] if a != "-w"]) if cmd[0] == "iptables"
                     else self._tc(c, cmd[1:]) if cmd[0] == "tc" else (127, "not found"))
        if check and code != 0:
            raise CommandError(" ".join(cmd), code, out, "host")
        return out

    def _iptables(self, c: FakeContainer, args: list[str]) -> tuple[int, str]:
        op, chain = args[0], args[1]
        if op == "-N":
            if chain in c.chains:
                return 1, "iptables: Chain already exists.\n"
            c.chains[chain] = []
            return 0, ""
        if op == "-D" and chain in c.chains:  # a rule of ours, by its spec
            text = " ".join(args[2:])
            rules = c.chains.get(chain, [])
            match = next((r for r in rules if r[1] == text), None)
            if match is None:
                return 1, "iptables: Bad rule (does a matching rule exist in that chain?).\n"
            rules.remove(match)
            return 0, ""
        if op == "-D":
            hooked = c.hooks.get(chain, [])
            if args[-1] not in hooked:
                return 1, "iptables: No chain/target/match by that name.\n"
            hooked.remove(args[-1])
            return 0, ""
        if op == "-I":
            c.hooks.setdefault(chain, []).insert(0, args[-1])
            return 0, ""
        if chain not in c.chains:
            return 1, f"iptables: No chain/target/match by that name ({chain}).\n"
        if op == "-A":
            c.chains[chain].append([0, " ".join(args[2:])])
            return 0, ""
        if op == "-F":
            c.chains[chain] = []
            return 0, ""
        if op == "-L":
            live = any(chain in hooked for hooked in c.hooks.values()) and not c.paused \
                and not c.quiet
            lines = [f"Chain {chain} (1 references)",
                     "    pkts      bytes target     prot opt in     out     source"
                     "               destination"]
            for rule in c.chains[chain]:
                rule[0] += 3 if live else 0  # traffic hits hooked rules
                words = rule[1].split()
                comment = (words[words.index("--comment") + 1] if "--comment" in words
                           else rule[1])
                lines.append(f"{rule[0]:>8} {rule[0] * 60:>8} DROP       all  --  *      *"
                             f"       0.0.0.0/0            0.0.0.0/0   /* {comment} */")
            return 0, "\n".join(lines) + "\n"
        return 2, f"unknown iptables op {op}"

    def _tc(self, c: FakeContainer, args: list[str]) -> tuple[int, str]:
        if args[:2] == ["qdisc", "add"]:
            if not c.netem:
                return 2, "Error: Specified qdisc kind is unknown.\n"
            c.qdiscs.append("netem")
            return 0, ""
        if args[:2] == ["qdisc", "show"]:
            kinds = c.qdiscs or ["noqueue"]
            return 0, "".join(f"qdisc {k} 8001: root refcnt 2\n" for k in kinds)
        if args[:2] == ["qdisc", "del"]:
            c.qdiscs = []
            return 0, ""
        return 1, "tc: unknown command"

    # --- host-side reads of the node (what /proc/<pid>/... would say) ----------------------
    def fib_holds(self, name: str) -> bool:
        c = self._get(name)
        if not c.running:
            raise FileNotFoundError(f"/proc/0/net/fib_trie ({name} is not running)")
        if not c.fib_readable:
            raise PermissionError(f"/proc/{c.pid}/net/fib_trie")
        return c.vip_held

    def read(self, name: str, path: str) -> bytes:
        c = self._get(name)
        if not c.running:
            raise FileNotFoundError(path)
        if path not in c.files:
            raise FileNotFoundError(path)
        data = c.files[path]
        if isinstance(data, BaseException):
            raise data
        return data


class FakeNode(Node):
    """A real ``Node`` whose reads from the host (fib_trie, files, SQL, nsenter) are answered
    by the fake engine's simulation."""

    def __init__(self, engine: FakeEngine, name: str, ip: str, priority: int, index: int,
                 **state: Any) -> None:
        super().__init__(engine, NodeSpec(name, ip, priority, index), f"vc-{name}", VIP, "eth0",
                         "lab")
        engine.add(self.container_name, **state)

    @property
    def container(self) -> FakeContainer:
        return self.engine.containers[self.container_name]

    def netns(self, cmd: list[str], *, check: bool = True) -> str:
        return self.engine.netns(self.container_name, cmd, check=check)

    def read_file(self, path: str) -> bytes:
        return self.engine.read(self.container_name, path)

    def read_from(self, path: str, offset: int) -> tuple[bytes, int]:
        data = self.engine.read(self.container_name, path)
        if len(data) < offset:
            offset = 0
        return data[offset:], offset

    def holds_vip(self) -> tuple[bool | None, str]:
        try:
            st = self.status()
        except Exception as exc:
            return None, f"engine: {exc}"[:200]
        if not st["running"]:
            return False, "stopped"
        try:
            return self.engine.fib_holds(self.container_name), "fib"
        except OSError as exc:
            return None, f"fib_trie unreadable: {exc}"[:200]

    def sql(self, query: str, args: Any = None, *, timeout: float = 5) -> list[dict[str, Any]]:
        c = self.container
        if not c.running or c.services["mysqld"] == "stopped":
            raise pymysql.err.OperationalError(2003, f"Can't connect to MySQL server on "
                                                     f"'{self.ip}'")
        if c.paused or c.services["mysqld"] == "frozen":
            raise pymysql.err.OperationalError(2013, "Lost connection to MySQL server during "
                                                     "query (timed out)")
        if "gtid_executed" in query:
            return [{"g": GTID}]
        if "replica_net_timeout" in query:
            return [{"t": 1}]
        return [{"1": 1}]


def fake_pair(engine: FakeEngine | None = None, owner: str = "node1") -> FakePair:
    """A fake pair: node1 (priority 150) and node2 (100), ``owner`` holding the VIP."""
    engine = engine or FakeEngine()
    nodes = [FakeNode(engine, "node1", "198.18.151.11", 150, 1),
             FakeNode(engine, "node2", "198.18.151.12", 100, 2)]
    pair = FakePair(engine, nodes)
    if owner:
        pair.node(owner).container.vip_held = True
    return pair


class FakePair:
    """What faults, observers and the fault timeline use of ``harness.pair.Pair``."""

    def __init__(self, engine: FakeEngine, nodes: list[FakeNode]) -> None:
        self.engine, self.nodes = engine, nodes
        self.active_faults: list[Any] = []
        self.diskless: set[str] = set()
        self.bundle = SimpleNamespace(name="fake", risks=[])
        self.topology = SimpleNamespace(vip=VIP, host_ip=GATEWAY)
        self.network = None
        self.waited: list[str] = []

    def node(self, name: str) -> FakeNode:
        return next(n for n in self.nodes if n.name == name)

    resolve = Pair.resolve  # owner / standby / last-faulted / a node name, as the pair does

    def peer(self, node: Node) -> FakeNode:
        return next(n for n in self.nodes if n is not node)

    @property
    def intended_owner(self) -> FakeNode:
        return max(self.nodes, key=lambda n: n.spec.priority)

    def vip_owners(self) -> list[str]:
        return [n.name for n in self.nodes if n.holds_vip()[0]]

    def move_vip(self, to: str | None) -> None:
        for n in self.nodes:
            n.container.vip_held = n.name == to

    def wait_mysqld(self, node: Node, timeout: float | None = None) -> None:
        self.waited.append(node.name)
        node.sql("SELECT 1")

    def channels(self, node: Node) -> list[dict[str, Any]]:
        node.sql("SHOW REPLICA STATUS")
        return [{"io_running": True, "sql_running": True, "io_error": "", "sql_error": "",
                 "retrieved": ""}]
