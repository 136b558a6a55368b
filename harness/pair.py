"""The pair: bring up (judged like a fault), wire GTID dual-master replication, reset, tear down.

``Pair`` is a context manager: if anything fails inside ``up()``, everything it created is
removed before the error propagates (containers, network, host link). Bring-up is recorded as
a history of its own (``pair.bringup``): a config that does not come up as its operator
intends gets a verdict with evidence, and ``ensure_intended()`` then puts the pair in the
intended state so the rest can still be tested.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pymysql

from harness import keepalived_conf, wait
from harness.bundle import Bundle
from harness.checkers.query import problems_in, state_at
from harness.engine import PREFIX, RUN_LABEL, Engine
from harness.errors import HarnessError, ReadinessTimeout
from harness.history import History
from harness.labnet import LabNetwork
from harness.node import Node, connect

log = logging.getLogger("vipchaos")

DB, TABLE = "vipchaos", "writes"
SCHEMA = [
    f"CREATE DATABASE IF NOT EXISTS {DB}",
    f"""CREATE TABLE IF NOT EXISTS {DB}.{TABLE} (
        seq BIGINT AUTO_INCREMENT PRIMARY KEY,
        op_id VARCHAR(64) NOT NULL,
        origin VARCHAR(64) NOT NULL,
        at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        KEY (op_id))""",
    # Application-made unique numbers (ticket/order numbers as MAX()+1): the classic source of
    # duplicate-key errors when both sides of a split brain accept writes.
    f"""CREATE TABLE IF NOT EXISTS {DB}.tickets (
        ticket_no BIGINT NOT NULL PRIMARY KEY,
        op_id VARCHAR(64) NOT NULL)""",
]
# Harness choice, not the bundle's: retry the source connection every 2 s (MySQL's default is
# 60 s), so convergence after a heal is measured in seconds. The total retry budget stays
# MySQL's default (10 x 60 s = 600 s): with only the interval shortened, the IO thread would
# give up after 10 x 2 s and a 20 s outage would look like broken replication.
# replica_net_timeout stays the bundle's (my.cnf): how fast a dead peer is noticed is part of
# the config under test.
CONNECT_RETRY_S = 2
RETRY_COUNT = 600 // CONNECT_RETRY_S
READY_TIMEOUT_S = 90
HOLD_KEEPALIVED = "/etc/vipchaos/hold-keepalived"
OBSERVER_GAP_S = 1.0
BRINGUP_MARGIN_S = 5.0


def new_run_id() -> str:
    return secrets.token_hex(3)


def tracked_checks(bundle: Bundle) -> dict[str, list[str]]:
    """The vrrp_scripts each node's keepalived.conf tracks (for the bring-up verdict)."""
    out: dict[str, list[str]] = {}
    for spec in bundle.topology.nodes:
        root = keepalived_conf.parse(bundle.render(spec).keepalived_conf)
        names = [c.keyword for inst in root.find("vrrp_instance")
                 for t in inst.find("track_script") for c in t.children]
        out[spec.name] = sorted(set(names))
    return out


class Pair:
    def __init__(self, engine: Engine, bundle: Bundle, image: str, run_id: str | None = None,
                 ready_timeout: float = READY_TIMEOUT_S) -> None:
        self.ready_timeout = ready_timeout
        self.engine, self.bundle, self.image = engine, bundle, image
        self.run_id = run_id or new_run_id()
        self.topology = bundle.topology
        self.network = LabNetwork(engine, self.topology, self.run_id)
        self.nodes = [
            Node(engine, spec, f"{PREFIX}{self.run_id}-{spec.name}", self.topology.vip,
                 self.topology.interface, self.network.name)
            for spec in self.topology.nodes
        ]
        self.timings: dict[str, float] = {}
        #: the one registry of active faults: a fault adds itself when started and removes
        #: itself when healed; ``reset()`` heals whatever is left
        self.active_faults: list[Any] = []
        self.bringup: History | None = None
        self.network_ready = False
        self.write_table = f"{DB}.{TABLE}"  # where the workload writes (promotion samples)

    # --- lifecycle ---------------------------------------------------------------------
    def __enter__(self) -> Pair:
        if self.bringup is None:
            self.up()
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise HarnessError(f"no node {name!r}; nodes: {[n.name for n in self.nodes]}")

    def peer(self, node: Node) -> Node:
        return next(n for n in self.nodes if n is not node)

    @property
    def intended_owner(self) -> Node:
        return max(self.nodes, key=lambda n: n.spec.priority)

    def bounds(self) -> dict[str, float]:
        """Bounds derived from the config under test, recorded in every run's history."""
        t = self.bundle.timing()
        migration = self.bundle.migration_bound_s()
        return {"migration_s": migration, "master_down_s": round(t.master_down_s, 3),
                "detection_s": round(t.detection_s, 3), "bringup_s": migration,
                "observer_gap_s": OBSERVER_GAP_S}

    def run_header(self, scenario: str, expectations: list | None = None) -> dict[str, Any]:
        return {"bundle": self.bundle.name, "scenario": scenario,
                "nodes": [{"name": n.name, "ip": n.ip, "priority": n.spec.priority}
                          for n in self.nodes],
                "vip": self.topology.vip, "bounds": self.bounds(),
                "checks": tracked_checks(self.bundle),
                "expectations": [e.to_dict() for e in expectations or []]}

    def up(self) -> History:
        """Create network and nodes, boot the pair as a production host boots (mysqld with
        its accounts, replication wired, then keepalived), and record the bring-up. Returns the
        bring-up history. Cleans up on any failure."""
        from harness.observe import start_observers, stop_observers
        from harness.progress import phase
        name = f"{self.bundle.name}/bring-up"
        try:
            self.make_network()
            started = time.monotonic()
            phase(name, "create containers")
            self._create_nodes()
            self._parallel(lambda n: n.start())
            phase(name, "mysqld, accounts, replication")
            self._parallel(self.wait_mysqld)
            self.timings["mysqld_s"] = round(time.monotonic() - started, 2)
            self._parallel(self._apply_accounts)
            self._wire_replication()
            self.wait_replication_running()
            history = History()
            history.add("run", **self.run_header("bring-up", getattr(self.bundle, "risks", [])))
            observers = start_observers(history, self)
            try:
                history.add("phase", name="bring-up")
                phase(name, "keepalived")
                deadline = time.monotonic() + self.bounds()["bringup_s"]
                self._boot_keepalived_in_order(history, deadline)
                checks = tracked_checks(self.bundle)
                wait.until(lambda: not problems_in(
                    state_at(history.events(), history.now(), [n.name for n in self.nodes]),
                    self.intended_owner.name, checks), timeout=deadline - time.monotonic(),
                    interval=0.2)
                time.sleep(0.5)
                history.add("phase", name="check")
                history.add("final", **self.final_state())
            finally:
                stop_observers(observers)
            self.bringup = history
            self.timings["bringup_s"] = round(time.monotonic() - started, 2)
            phase(name, "done")
            return history
        except BaseException:
            self.down()
            raise

    def make_network(self) -> None:
        """The lab network and its host link (call it inside ``network.subnet_lease`` so no
        other session takes the subnet meanwhile); ``up()`` calls it when not done yet."""
        if not self.network_ready:
            self.network.up()
            self.network_ready = True

    def down(self) -> None:
        """Remove this run's containers, network and host link. Safe to repeat."""
        for n in self.nodes:
            try:
                self.engine.remove_container(n.container_name)
            except Exception as exc:  # keep going: the network must go too
                log.warning("removing %s: %s", n.container_name, exc)
        self.engine.reap(self.run_id)
        self.network.down()

    def _create_nodes(self) -> None:
        hosts = {n.name: n.ip for n in self.nodes}
        hosts[f"gateway-{self.run_id}"] = self.topology.host_ip
        for n in self.nodes:
            self.engine.create_node(
                name=n.container_name, image=self.image, network=self.network.name, ip=n.ip,
                hostname=n.name, labels={RUN_LABEL: self.run_id, "vipchaos.node": n.name,
                                         "vipchaos.bundle": self.bundle.name},
                env={"VC_NODE": n.name, "TZ": "UTC"},
                # the lab's name service: production has DNS for its hosts; here every lab
                # address resolves from /etc/hosts (MySQL's reverse lookups answer at once)
                extra_hosts=hosts,
            )
            n.put_files({**self._files(n), HOLD_KEEPALIVED: (b"", 0o644)})

    def _files(self, node: Node) -> dict:
        return self.bundle.render(node.spec).files

    def _boot_keepalived_in_order(self, history: History, deadline: float) -> None:
        """keepalived on the intended master first, then (once it is MASTER, gave up, or the
        bound passed) on its peer: how an operator brings a pair up. Started at the same
        instant, two BACKUP nodes with nopreempt race: whichever's master-down timer expires
        first keeps the VIP, whatever the priorities (seen: the lower priority won by 0.1 s)."""
        first = self.intended_owner
        self._release_keepalived(first)

        def settled() -> bool:
            for e in reversed(history.events()):
                if e.get("node") != first.name:
                    continue
                if e["kind"] == "vrrp" and not e.get("initial"):
                    return e["state"] in ("MASTER", "FAULT", "STOP")
                if e["kind"] == "proc" and e.get("keepalived") == 0:
                    return True
            return False
        wait.until(settled, timeout=max(deadline - time.monotonic(), 0.1), interval=0.1)
        for n in self.nodes:
            if n is not first:
                self._release_keepalived(n)

    def _release_keepalived(self, node: Node) -> None:
        node.exec(["rm", "-f", HOLD_KEEPALIVED])
        node.vcctl("start", "keepalived")

    def _apply_accounts(self, node: Node) -> None:
        """The bundle's accounts, on this node only (never in the binlog), as the operator
        created them long before keepalived first started."""
        conn = connect(node.ip, timeout=10)
        try:
            with conn.cursor() as cur:
                cur.execute("SET SESSION sql_log_bin = 0")
                for st in self.bundle.accounts(node.spec):
                    try:
                        cur.execute(st.sql)
                    except pymysql.err.MySQLError as exc:
                        raise HarnessError(
                            f"{st.where}: MySQL {self._version(node)} rejects this account "
                            f"statement on {node.name}: {exc.args[-1]}") from exc
        finally:
            conn.close()

    @staticmethod
    def _version(node: Node) -> str:
        try:
            return node.sql("SELECT VERSION() AS v")[0]["v"]
        except Exception:
            return "?"

    # --- readiness ---------------------------------------------------------------------
    def wait_mysqld(self, node: Node, timeout: float | None = None) -> None:
        """Until mysqld answers: over TCP, or, every second, on its own socket inside the
        node (a heal can come while another fault still cuts the node off the network)."""
        timeout = timeout or self.ready_timeout
        failures = itertools.count()

        def answers() -> bool:
            try:
                return bool(node.sql("SELECT 1", timeout=1))
            except Exception:
                return next(failures) % 2 == 0 and node.vcctl("status", "mysqld") == "running"

        if not wait.until(answers, timeout=timeout, interval=0.2):
            raise self._timeout(f"mysqld on {node.name} to answer", timeout, first=node)

    def _wire_replication(self) -> None:
        user, password = self.bundle.replication_account
        for n in self.nodes:
            status = n.replica_status()
            if status and status[0].get("Source_Host") == self.peer(n).ip:
                n.sql("START REPLICA")
                continue
            n.sql("STOP REPLICA")
            n.sql(
                "CHANGE REPLICATION SOURCE TO SOURCE_HOST=%s, SOURCE_PORT=3306, "
                "SOURCE_USER=%s, SOURCE_PASSWORD=%s, SOURCE_AUTO_POSITION=1, "
                f"GET_SOURCE_PUBLIC_KEY=1, SOURCE_CONNECT_RETRY={CONNECT_RETRY_S}, "
                f"SOURCE_RETRY_COUNT={RETRY_COUNT}",
                (self.peer(n).ip, user, password),
            )
            n.sql("START REPLICA")
        first = self.nodes[0]
        for stmt in SCHEMA:
            first.sql(stmt)

    def channels(self, node: Node) -> list[dict[str, Any]]:
        return [
            {"io_running": r["Replica_IO_Running"] == "Yes",
             "sql_running": r["Replica_SQL_Running"] == "Yes",
             "io_error": r["Last_IO_Error"], "sql_error": r["Last_SQL_Error"],
             "sql_errno": r.get("Last_SQL_Errno") or 0,
             "source_host": r["Source_Host"],
             "retrieved": (r.get("Retrieved_Gtid_Set") or "").replace("\n", "")}
            for r in node.replica_status()
        ]

    def replication_running(self) -> bool:
        return all(
            (chs := self.channels(n)) and all(c["io_running"] and c["sql_running"] for c in chs)
            for n in self.nodes
        )

    def wait_replication_running(self, timeout: float = 60) -> None:
        if not wait.until(self.replication_running, timeout=timeout, interval=0.2):
            detail = {n.name: self._safe_channels(n) for n in self.nodes}
            raise self._timeout(f"both replication channels to run (now: {detail})", timeout)

    def _safe_channels(self, node: Node) -> Any:
        try:
            return self.channels(node)
        except Exception as exc:
            return str(exc)

    def vip_owners(self) -> list[str]:
        return [n.name for n in self.nodes if n.holds_vip()[0]]

    def wait_single_owner(self, timeout: float = 60) -> str:
        owners = wait.until(lambda: (o := self.vip_owners()) and len(o) == 1 and o,
                            timeout=timeout, interval=0.1)
        if not owners:
            raise self._timeout(f"exactly one VIP owner (now: {self.vip_owners()})", timeout)
        return owners[0]

    def ensure_intended(self, timeout: float = 30) -> str:
        """Both keepalived running and the VIP on the highest-priority node, so every test
        starts from the state the operator intends.

        With nopreempt the owner is whoever won the start-up race or the last failover; a
        graceful keepalived restart on that node (priority-0 advert) hands the VIP over."""
        best = self.intended_owner
        want = {n.name: ("MASTER" if n is best else "BACKUP") for n in self.nodes}
        for attempt in range(1, 4):
            self._parallel(lambda n: n.vcctl("start", "keepalived"))
            # the intended master must be up and listening before the owner lets go, or the
            # VIP has nobody to go to (with the tutorial's check, a master that sees no VIP
            # stops its own keepalived)
            wait.until(lambda: self.vrrp_states().get(best.name) in ("BACKUP", "MASTER"),
                       timeout=timeout, interval=0.1)
            owner = wait.until(lambda: (o := self.vip_owners()) and len(o) == 1 and o[0],
                               timeout=timeout, interval=0.1)
            if owner and owner != best.name:
                old = self.node(owner)
                old.vcctl("stop", "keepalived")
                wait.until(lambda: self.vip_owners() == [best.name], timeout=10)
                old.vcctl("start", "keepalived")
            # A test starts from a settled pair: the owner MASTER, its peer BACKUP (a
            # restarted keepalived announces BACKUP only after its checks pass; that must not
            # land in the next test's history as an unexplained transition).
            if wait.until(lambda: self.vrrp_states() == want and
                          self.vip_owners() == [best.name], timeout=10, interval=0.1):
                return best.name
            log.info("the pair did not settle with %s as MASTER (attempt %d: %s); again",
                     best.name, attempt, self.vrrp_states())
        raise self._timeout(f"{best.name} MASTER with the VIP and its peer BACKUP (now: "
                            f"{self.vrrp_states()}, VIP on {self.vip_owners()})", timeout)

    def vrrp_states(self) -> dict[str, str | None]:
        """Each node's last VRRP state, from keepalived's own log file."""
        from harness.node import KEEPALIVED_LOGS
        from harness.observe import klog_events, parse_klog
        out: dict[str, str | None] = {}
        for n in self.nodes:
            state = None
            for path in KEEPALIVED_LOGS:
                try:
                    lines = n.read_file(path).decode(errors="replace").splitlines()
                except OSError:
                    continue
                for line in lines[-200:]:
                    parsed = parse_klog(line)
                    for kind, f in klog_events(parsed[1], path.endswith("_vrrp.log")) \
                            if parsed else []:
                        if kind == "vrrp":
                            state = (parsed[0], f["state"]) if state is None or \
                                parsed[0] >= state[0] else state
            out[n.name] = state[1] if state else None
        return out

    def converged(self) -> bool:
        sets = {n.gtid_executed() for n in self.nodes}
        return len(sets) == 1

    def wait_converged(self, timeout: float) -> float | None:
        """Seconds until both GTID executed sets are equal, or None if not within timeout."""
        started = time.monotonic()
        ok = wait.until(self.converged, timeout=timeout, interval=0.25)
        return round(time.monotonic() - started, 2) if ok else None

    def _timeout(self, what: str, timeout: float, first: Node | None = None) -> ReadinessTimeout:
        """The error with every node's log tails, the node waited for first (CI output keeps
        the head of a long message)."""
        nodes = sorted(self.nodes, key=lambda n: n is not first)
        return ReadinessTimeout(what, timeout, {n.name: n.log_tails() for n in nodes})

    def final_state(self, converged_after: float | None = None) -> dict[str, Any]:
        """What each node holds now (the ``final`` history event)."""
        nodes: dict[str, Any] = {}
        for n in self.nodes:
            try:
                nodes[n.name] = {
                    "reachable": True,
                    "server_uuid": n.sql("SELECT @@server_uuid AS u")[0]["u"],
                    "gtid_executed": n.gtid_executed(),
                    "channels": self.channels(n),
                    "checksum": n.sql(f"CHECKSUM TABLE {DB}.{TABLE}")[0]["Checksum"],
                    "write_ids": [r["op_id"] for r in n.sql(f"SELECT op_id FROM {DB}.{TABLE}")],
                    "keepalived": n.vcctl("status", "keepalived"),
                }
            except Exception as exc:
                nodes[n.name] = {"reachable": False, "error": str(exc)[:300]}
        owners = self.vip_owners()
        return {"nodes": nodes, "vip_owners": owners, "converged_after_s": converged_after}

    # --- reset between tests -----------------------------------------------------------
    def reset(self) -> float:
        """Heal every fault, restart what is down, make replication run and the intended node
        own the VIP. Rebuilds the nodes only when replication cannot be resumed (e.g. a
        duplicate-key error after a split brain). Returns seconds spent."""
        started = time.monotonic()
        for fault in reversed(list(self.active_faults)):
            try:
                fault.heal()
            except Exception as exc:
                log.warning("healing %s failed: %s", fault, exc)
        self.active_faults.clear()
        try:
            self._parallel(self._revive)
            self._parallel(self.wait_mysqld)
            broken = any(c["sql_error"] for n in self.nodes for c in self.channels(n))
            why = "replication broken beyond START REPLICA"
        except HarnessError as exc:
            # The previous test's verdict is recorded; the next test gets a working pair.
            broken, why = True, f"a node did not come back ({str(exc).splitlines()[0]})"
        if broken:
            log.info("%s: rebuilding the nodes", why)
            self.rebuild()
        else:
            for n in self.nodes:
                n.sql("START REPLICA")
            self.wait_replication_running()
            self.ensure_intended()
        self.timings["reset_s"] = round(time.monotonic() - started, 2)
        return self.timings["reset_s"]

    def _revive(self, node: Node) -> None:
        from harness.faults.network import flush_chains
        st = node.status()
        if st["paused"]:
            node.unpause()
        if not st["running"]:
            node.start()
        flush_chains(node)
        node.put_files(self._files(node))
        node.vcctl("thaw", "mysqld")
        node.vcctl("start", "mysqld")

    def rebuild(self) -> None:
        """Replace both nodes with fresh ones on the same network, booted exactly like at
        bring-up (that recording is kept; this one is not judged)."""
        for n in self.nodes:
            self.engine.remove_container(n.container_name)
            n.forget()
        kept = self.bringup
        try:
            self.up()
        finally:
            self.bringup = kept or self.bringup
        for n in self.nodes:
            n.pid(refresh=True)
        self.ensure_intended()

    # --- clients -----------------------------------------------------------------------
    def connect_vip(self, timeout: float = 3) -> pymysql.Connection:
        """A PyMySQL connection through the VIP, to the vipchaos database."""
        return connect(self.topology.vip, timeout=timeout, database=DB)

    def _parallel(self, fn) -> list[Any]:
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            return list(pool.map(fn, self.nodes))
