"""The pair: bring up (recorded, judged like a fault), wire GTID dual-master replication, reset,
tear down; and every question about its present state, asked in one place.

``Pair`` is a context manager: if anything fails inside ``up()``, everything it created is
removed before the error propagates (containers, network, host link). Bring-up is recorded as
a history of its own (``pair.bringup``): a config that does not come up as its operator
intends gets a verdict with evidence. ``ensure_intended()`` then puts the pair in the intended
state (the highest-priority node MASTER with the VIP) so the rest can be tested; when even that
fails, ``record_setup()`` has the attempt on record, judged as a FAIL with keepalived's
evidence, never a harness error.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pymysql

from harness import keepalived_conf, wait
from harness.bundle import Bundle
from harness.checkers import gtid
from harness.checkers.query import problems_in, state_at
from harness.clientnet import spare_address
from harness.dialect import dialect_for
from harness.engine import PREFIX, RUN_LABEL, Engine
from harness.errors import ConfigError, HarnessError, ReadinessTimeout
from harness.faults.network import counted, flush_chains
from harness.history import History
from harness.labnet import LabNetwork
from harness.logformats import last_vrrp_state
from harness.node import KEEPALIVED_LOGS, Node, connect
from harness.observers import start_observers, stop_observers
from harness.progress import phase
from harness.readiness import (
    IntendedState,
    KeepalivedListening,
    MysqldAnswers,
    ReplicationRunning,
    SingleOwner,
    wait_for,
)
from harness.recorder import Recorder

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
#: the lab network's profile, read by the node's init at every start (images/node vc-init)
NETWORK_PROFILE = "/etc/vipchaos/network-profile"
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


@contextlib.contextmanager
def setup_writes(cur) -> Iterator[None]:
    """The harness's own setup (accounts, the workload's schema) on a server that starts
    read-only, as a fenced bundle's does: read-only is lifted for these statements and put back
    as the operator's config had it. Nothing else the harness does writes."""
    cur.execute("SELECT @@GLOBAL.read_only AS ro")
    was = cur.fetchone()["ro"]
    super_ro = None
    if was:
        with contextlib.suppress(pymysql.err.MySQLError):  # MariaDB has no super_read_only
            cur.execute("SELECT @@GLOBAL.super_read_only AS s")
            super_ro = cur.fetchone()["s"]
            cur.execute("SET GLOBAL super_read_only = OFF")
        cur.execute("SET GLOBAL read_only = OFF")
    try:
        yield
    finally:
        if was:
            cur.execute("SET GLOBAL read_only = ON")
            if super_ro:
                cur.execute("SET GLOBAL super_read_only = ON")


class Pair:
    def __init__(self, engine: Engine, bundle: Bundle, image: str, run_id: str | None = None,
                 ready_timeout: float = READY_TIMEOUT_S) -> None:
        self.ready_timeout = ready_timeout
        self.engine, self.bundle, self.image = engine, bundle, image
        self.run_id = run_id or new_run_id()
        self.topology = bundle.topology
        self.network = LabNetwork(engine, self.topology, self.run_id)
        #: how this pair's server is spoken to (MySQL or MariaDB)
        self.dialect = dialect_for(bundle.platform)
        self.nodes = [
            Node(engine, spec, f"{PREFIX}{self.run_id}-{spec.name}", self.topology.vip,
                 self.topology.interface, self.network.name, self.dialect)
            for spec in self.topology.nodes
        ]
        self.timings: dict[str, float] = {}
        #: the one registry of active faults: a fault adds itself when started and removes
        #: itself when healed; ``reset()`` heals whatever is left
        self.active_faults: list[Any] = []
        #: the recorded bring-up (``up``); kept across rebuilds
        self.bringup: History | None = None
        #: its judgement (``harness.api.bring_up`` judges it)
        self.bringup_result: Any = None
        #: when the pair could not be put in its intended state: the recorded attempt
        #: (``record_setup``), judged as a FAIL for every test that needs that state
        self.setup_history: History | None = None
        #: brought up (or rebuilt) and not used since: the next test needs no reset
        self.fresh = False
        self.network_ready = False
        #: nodes whose datadir a fault emptied (crash-node disk: lost): only a rebuild helps
        self.diskless: set[str] = set()
        self.write_table = f"{DB}.{TABLE}"  # where the workload writes (promotion samples)
        self.assigned: str | None = None  # cloud profile: the node the network delivers to

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
                "expectations": [e.to_dict() for e in expectations or []],
                **({"network": self.bundle.network} if self.bundle.network != "lan" else {})}

    def up(self) -> History:
        """Create network and nodes, boot the pair as a production host boots (mysqld with
        its accounts, replication wired, then keepalived), and record the bring-up. Returns the
        bring-up history. Cleans up on any failure."""
        name = f"{self.bundle.name}/bring-up"
        try:
            self.make_network()
            started = time.monotonic()
            phase(name, "create containers")
            self._create_nodes()
            self._parallel(lambda n: n.start())
            self.assign_vip()
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
                self._boot_keepalived_in_order(Recorder(self, history), deadline)
                checks = tracked_checks(self.bundle)
                wait.until(lambda: not problems_in(
                    state_at(history.events(), history.now(), [n.name for n in self.nodes]),
                    self.intended_owner.name, checks), timeout=deadline - time.monotonic(),
                    interval=0.2)
                # Not before the last started peer's master-down timer could have fired: a
                # peer that hears no adverts (auth or VRID mismatch, multicast dropped) takes
                # the VIP only then, and a bring-up judged before it would pass unearned.
                starts = [e["t"] for e in history.events() if e["kind"] == "action"
                          and e.get("action") == "start-keepalived"]
                horizon = max(starts, default=0.0) + self.bounds()["master_down_s"] + 0.5
                time.sleep(max(horizon - history.now(), 0.5))
                self.record_network(history)
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

    def assign_vip(self, node: Node | None = None) -> str | None:
        """The cloud profile: the network delivers the VIP to ``node`` (default: the intended
        owner, as an operator assigns the address at provisioning) whoever holds it. Returns
        the MAC, None on a LAN (where ARP decides)."""
        if self.bundle.network != "cloud":
            return None
        node = node or self.intended_owner
        mac = node.mac()
        if mac:
            self.network.pin_neighbour(self.topology.vip, mac)
            self.assigned = node.name
        return mac

    def record_network(self, history: History) -> None:
        """The cloud profile as it acts now, into ``history``: per node, the multicast its
        rules dropped on arrival (a node only receives the groups a running keepalived has
        joined); and the node the network delivers the VIP to."""
        if self.bundle.network != "cloud":
            return
        for n in self.nodes:
            try:
                listing = n.netns(["iptables", "-w", "-L", "VIPCHAOS-NET", "-v", "-x", "-n"])
                dropped = counted(listing)
                history.add("lab", network="cloud", node=n.name, dropped=dropped,
                            detail=f"{dropped} multicast packets dropped on arrival so far")
            except Exception as exc:
                history.add("lab", network="cloud", node=n.name,
                            detail=f"multicast rules not readable: {str(exc)[:120]}")
        mac = self.network.neighbour(self.topology.vip, permanent_only=True)
        history.add("lab", network="cloud", **({"mac": mac} if mac else {}),
                    node=self.assigned or "",
                    detail=(f"the network delivers the VIP to {self.assigned} ({mac}), whoever "
                            "holds it: gratuitous ARP does not move it" if mac else
                            "the VIP is assigned to no node: nothing reaches it"))

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
        router = spare_address(self.topology)  # the router client profile's (harness.clientnet)
        if router:
            hosts[f"client-router-{self.run_id}"] = router
        for n in self.nodes:
            self.engine.create_node(
                name=n.container_name, image=self.image, network=self.network.name, ip=n.ip,
                hostname=n.name, labels={RUN_LABEL: self.run_id, "vipchaos.node": n.name,
                                         "vipchaos.bundle": self.bundle.name},
                env={"VC_NODE": n.name, "TZ": "UTC"},
                # the lab's name service: production has DNS for its hosts; here every lab
                # address resolves from /etc/hosts (MySQL's reverse lookups answer at once)
                extra_hosts=hosts, datadir=self.bundle.platform.datadir,
            )
            n.put_files({**self._files(n), HOLD_KEEPALIVED: (b"", 0o644),
                         NETWORK_PROFILE: (self.bundle.network.encode(), 0o644)})

    def _files(self, node: Node) -> dict:
        return self.bundle.render(node.spec).files

    def _boot_keepalived_in_order(self, recorder: Recorder, deadline: float) -> None:
        """keepalived on the intended master first, then (once it is MASTER, gave up, or the
        bound passed) on its peer: how an operator brings a pair up. Started at the same
        instant, two BACKUP nodes with nopreempt race: whichever's master-down timer expires
        first keeps the VIP, whatever the priorities (seen: the lower priority won by 0.1 s).
        Each start is recorded as the harness's action."""
        history = recorder.history
        first = self.intended_owner
        self._release_keepalived(first, recorder)

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
                self._release_keepalived(n, recorder)

    def _release_keepalived(self, node: Node, recorder: Recorder) -> None:
        """The node's first boot held keepalived back until its accounts existed; now start
        it, as the service enabled at boot does from then on."""
        node.exec(["rm", "-f", HOLD_KEEPALIVED])
        recorder.act("start-keepalived", node.name, by="harness")

    def _apply_accounts(self, node: Node) -> None:
        """The bundle's accounts, on this node only (never in the binlog), as the operator
        created them long before keepalived first started."""
        conn = connect(node.ip, timeout=10)
        try:
            with conn.cursor() as cur, setup_writes(cur):
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

    # --- readiness (named strategies: harness.readiness) -------------------------------
    def wait_mysqld(self, node: Node, timeout: float | None = None) -> None:
        """Until mysqld on ``node`` answers (``readiness.MysqldAnswers``)."""
        wait_for(self, MysqldAnswers(node=node), timeout or self.ready_timeout)

    def _wire_replication(self) -> None:
        user, password = self.bundle.replication_account
        for n in self.nodes:
            status = n.replica_status()
            if status and status[0].get("Source_Host") == self.peer(n).ip:
                n.sql("START REPLICA")
                continue
            n.sql("STOP REPLICA")
            n.sql(*self.dialect.change_source(self.peer(n).ip, user, password,
                                              CONNECT_RETRY_S, RETRY_COUNT))
            n.sql("START REPLICA")
        conn = connect(self.nodes[0].ip, timeout=10)
        try:
            with conn.cursor() as cur, setup_writes(cur):
                for stmt in SCHEMA:
                    cur.execute(stmt)
        finally:
            conn.close()

    def channels(self, node: Node) -> list[dict[str, Any]]:
        return [
            {"io_running": r["Replica_IO_Running"] == "Yes",
             "sql_running": r["Replica_SQL_Running"] == "Yes",
             "io_error": r["Last_IO_Error"], "sql_error": r["Last_SQL_Error"],
             "sql_errno": r.get("Last_SQL_Errno") or 0,
             "source_host": r["Source_Host"],
             "retrieved": self.dialect.gtid_set(r.get("Retrieved_Gtid_Set") or "")}
            for r in node.replica_status()
        ]

    def replication_running(self) -> bool:
        return all(
            (chs := self.channels(n)) and all(c["io_running"] and c["sql_running"] for c in chs)
            for n in self.nodes
        )

    def wait_replication_running(self, timeout: float = 60) -> None:
        wait_for(self, ReplicationRunning(), timeout)

    def replication_stuck(self) -> bool:
        """An applier (SQL thread) stopped on an error: it never clears by itself (a 1062
        after a split brain), so nobody should wait for convergence any longer."""
        return any(c["sql_error"] for n in self.nodes for c in self.channels(n))

    def convergence_bound_s(self) -> float:
        """How long replication may take to resume: a dead TCP peer is noticed after
        replica_net_timeout (the config's), then the reconnect retry, plus margin."""
        try:
            net = float(self.nodes[0].sql("SELECT @@replica_net_timeout AS t")[0]["t"])
        except Exception:
            net = 60.0
        return net + CONNECT_RETRY_S + 15

    def converge(self, bound: float | None = None) -> float | None:
        """Wait (up to ``bound``, default ``convergence_bound_s``) until both channels run and
        both GTID executed sets are equal; seconds it took, or None (an applier stopped on an
        error ends the wait at once: it never clears by itself)."""
        bound = self.convergence_bound_s() if bound is None else bound
        started = time.monotonic()
        state = wait.until(lambda: "stuck" if self.replication_stuck() else
                           ("converged" if self.replication_running() and self.converged()
                            else None), timeout=bound, interval=0.25)
        return round(time.monotonic() - started, 2) if state == "converged" else None

    def drain(self, nodes: list[Node], bound: float) -> float | None:
        """Wait (up to ``bound``) until each of ``nodes`` has applied every transaction its
        receiver retrieved (the survivors of a node lost for good: nothing to converge with,
        but their relay logs still hold the lost node's last writes); seconds, or None (an
        applier error, or not within the bound)."""
        def drained() -> str | None:
            chans = [c for n in nodes for c in self.channels(n)]
            if any(c["sql_error"] for c in chans):
                return "stuck"
            return "drained" if all(
                gtid.is_subset(c["retrieved"], n.gtid_executed())
                for n in nodes for c in self.channels(n)) else None
        started = time.monotonic()
        state = wait.until(drained, timeout=bound, interval=0.25)
        return round(time.monotonic() - started, 2) if state == "drained" else None

    def vip_owners(self) -> list[str]:
        """The nodes whose kernel holds the VIP now."""
        return [n.name for n in self.nodes if n.holds_vip()[0]]

    def wait_single_owner(self, timeout: float = 60) -> str:
        wait_for(self, SingleOwner(), timeout)
        return self.vip_owners()[0]

    def resolve(self, target: str, last_target: list[str] | None = None) -> Node:
        """owner / standby (from who holds the VIP now), last-faulted (the previous fault's
        target), or a node name."""
        if target == "last-faulted":
            if not last_target:
                raise ConfigError("target last-faulted: no fault has started yet")
            return self.node(last_target[0])
        if target in ("owner", "standby"):
            owners = self.vip_owners()
            owner = self.node(owners[0]) if owners else self.nodes[0]
            return owner if target == "owner" else self.peer(owner)
        return self.node(target)

    def ensure_intended(self, timeout: float | None = None, history: History | None = None,
                        attempts: int = 3) -> str:
        """Both keepalived running and the VIP on the highest-priority node, so every test
        starts from the state the operator intends; the harness's moves are recorded in
        ``history`` when given. ReadinessTimeout (naming the state seen) after three tries.

        With nopreempt the owner is whoever won the start-up race or the last failover; a
        graceful keepalived restart on that node (priority-0 advert) hands the VIP over."""
        # each wait lasts what the config needs to come up (its bring-up bound), 10-30 s: a
        # config that never gets there must not cost minutes per try
        timeout = timeout or min(30.0, max(10.0, self.bounds()["bringup_s"]))
        rec = Recorder(self, history if history is not None else History())
        best = self.intended_owner
        for attempt in range(1, attempts + 1):
            self._parallel(lambda n: rec.act("start-keepalived", n.name, by="harness"))
            # the intended master must be up and listening before the owner lets go, or the
            # VIP has nobody to go to (with the tutorial's check, a master that sees no VIP
            # stops its own keepalived)
            wait.until(lambda: KeepalivedListening(node=best).ready(self), timeout=timeout,
                       interval=0.1)
            owner = wait.until(lambda: (o := self.vip_owners()) and len(o) == 1 and o[0],
                               timeout=timeout, interval=0.1)
            if owner and owner != best.name:
                rec.act("stop-keepalived", owner, by="harness")
                wait.until(lambda: self.vip_owners() == [best.name], timeout=10)
                rec.act("start-keepalived", owner, by="harness")
            # A test starts from a settled pair: the owner MASTER, its peer BACKUP (a
            # restarted keepalived announces BACKUP only after its checks pass; that must not
            # land in the next test's history as an unexplained transition).
            if wait.until(lambda: IntendedState().ready(self), timeout=10, interval=0.1):
                return best.name
            log.info("the pair did not settle with %s as MASTER (attempt %d: %s); again",
                     best.name, attempt, self.vrrp_states())
        wait_for(self, IntendedState(), timeout=0)
        return best.name

    def record_setup(self) -> tuple[bool, History]:
        """``ensure_intended`` with the pair observed: (reached, the recorded attempt). The
        history has the schema of a bring-up (scenario ``setup``): when the intended state was
        not reached it is judged by the bring-up checker, a FAIL with keepalived's and the
        checks' evidence ("never came up as intended: VIP held by nobody")."""
        history = History()
        history.add("run", **self.run_header("setup"))
        observers = start_observers(history, self)
        reached = True
        try:
            history.add("phase", name="bring-up")
            try:
                self.ensure_intended(history=history, attempts=2)
            except ReadinessTimeout as exc:
                reached = False
                history.add("note", text=f"not in the intended state: {exc.what}")
            time.sleep(0.5)
            history.add("phase", name="check")
            history.add("final", **self.final_state())
        finally:
            stop_observers(observers)
        return reached, history

    def vrrp_states(self) -> dict[str, str | None]:
        """Each node's last VRRP state, from keepalived's own log files."""
        out: dict[str, str | None] = {}
        for n in self.nodes:
            found = []
            for path in KEEPALIVED_LOGS:
                try:
                    lines = n.read_file(path).decode(errors="replace").splitlines()[-200:]
                except OSError:
                    continue
                if last := last_vrrp_state(lines, path.endswith("_vrrp.log")):
                    found.append(last)
            out[n.name] = max(found)[1] if found else None
        return out

    def converged(self) -> bool:
        sets = {n.gtid_executed() for n in self.nodes}
        return len(sets) == 1

    def wait_converged(self, timeout: float) -> float | None:
        """Seconds until both GTID executed sets are equal, or None if not within timeout."""
        started = time.monotonic()
        ok = wait.until(self.converged, timeout=timeout, interval=0.25)
        return round(time.monotonic() - started, 2) if ok else None

    def final_state(self, converged_after: float | None = None) -> dict[str, Any]:
        """What each node holds now (the ``final`` history event), read until two readings in
        a row agree: a transaction applied between the reads of one node's GTID set and its
        table (a write a thawed mysqld had buffered) must not look like a divergence."""
        nodes = self._read_nodes()
        for _ in range(5):
            again = self._read_nodes()
            if _fingerprint(again) == _fingerprint(nodes):
                break
            nodes = again
            time.sleep(0.5)
        else:
            for n in nodes.values():
                n["unstable"] = True
        return {"nodes": nodes, "vip_owners": self.vip_owners(),
                "converged_after_s": converged_after}

    def _read_nodes(self) -> dict[str, Any]:
        nodes: dict[str, Any] = {}
        for n in self.nodes:
            try:
                nodes[n.name] = {
                    "reachable": True,
                    "server_uuid": n.sql(f"SELECT {self.dialect.identity} AS u")[0]["u"],
                    "gtid_executed": n.gtid_executed(),
                    "channels": self.channels(n),
                    "checksum": n.sql(f"CHECKSUM TABLE {DB}.{TABLE}")[0]["Checksum"],
                    "write_ids": [r["op_id"] for r in n.sql(f"SELECT op_id FROM {DB}.{TABLE}")],
                    "keepalived": n.vcctl("status", "keepalived"),
                }
            except Exception as exc:
                nodes[n.name] = {"reachable": False, "error": str(exc)[:300]}
        return nodes

    # --- reset between tests -----------------------------------------------------------
    def reset(self) -> float:
        """Heal every fault, restart what is down, make replication run and the intended node
        own the VIP. Rebuilds the nodes only when replication cannot be resumed (e.g. a
        duplicate-key error after a split brain). Returns seconds spent."""
        started = time.monotonic()
        diskless = sorted(self.diskless | {f.target.name for f in self.active_faults
                                           if f.loses_disk})
        for fault in reversed(list(self.active_faults)):
            if fault.loses_disk:
                continue
            try:
                fault.heal()
            except Exception as exc:
                log.warning("healing %s failed: %s", fault, exc)
        self.active_faults.clear()
        try:
            if diskless:
                raise HarnessError(f"{', '.join(diskless)} lost its disk")
            self._parallel(self._revive)
            self._parallel(self.wait_mysqld)
            broken = self.replication_stuck()
            why = "replication broken beyond START REPLICA"
            if not broken:
                for n in self.nodes:
                    n.sql("START REPLICA")
                self.wait_replication_running()
                self.assign_vip()  # cloud: back to the address's provisioned node
                self.ensure_intended()
                # A split brain of the previous test can leave the host's ARP entry on the
                # node that stepped down (no gratuitous ARP ends a split): the next test's
                # client starts fresh, as a new client would, not with that stale entry.
                self.network.forget_neighbour(self.topology.vip)
        except HarnessError as exc:
            # The previous test's verdict is recorded; the next test gets a working pair.
            broken, why = True, f"the pair did not come back ({str(exc).splitlines()[0]})"
        if broken:
            log.info("%s: rebuilding the nodes", why)
            self.rebuild()
            self.diskless.clear()
        self.timings["reset_s"] = round(time.monotonic() - started, 2)
        return self.timings["reset_s"]

    def _revive(self, node: Node) -> None:
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
        bring-up (that recording is kept; this one is not judged), then put in the intended
        state; ReadinessTimeout when even a fresh pair does not get there."""
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
    def connect_vip(self, timeout: float = 3, rows: str = "dict") -> pymysql.Connection:
        """A PyMySQL connection through the VIP, to the vipchaos database."""
        return connect(self.topology.vip, timeout=timeout, database=DB, rows=rows)

    def _parallel(self, fn) -> list[Any]:
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            return list(pool.map(fn, self.nodes))


def _fingerprint(nodes: dict[str, Any]) -> list:
    return [(name, n.get("gtid_executed"), n.get("checksum"), len(n.get("write_ids") or []))
            for name, n in sorted(nodes.items())]
