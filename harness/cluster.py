"""The pair: bring up, wire GTID dual-master replication, wait for one VIP owner, reset, tear down.

``Cluster`` is a context manager: if anything fails inside ``up()``, everything it created is
removed before the error propagates (containers, network, host link). Readiness timeouts carry
the nodes' mysqld and keepalived log tails.
"""

from __future__ import annotations

import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pymysql

from harness import wait
from harness.config import Bundle
from harness.engine import PREFIX, RUN_LABEL, Engine
from harness.errors import HarnessError, ReadinessTimeout
from harness.network import LabNetwork
from harness.node import Node, connect

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


def new_run_id() -> str:
    return secrets.token_hex(3)


class Cluster:
    def __init__(self, engine: Engine, bundle: Bundle, image: str, run_id: str | None = None,
                 log=lambda msg: None, ready_timeout: float = READY_TIMEOUT_S) -> None:
        self.ready_timeout = ready_timeout
        self.engine, self.bundle, self.image = engine, bundle, image
        self.run_id = run_id or new_run_id()
        self.topology = bundle.topology
        self.network = LabNetwork(engine, self.topology, self.run_id)
        self.nodes = [
            Node(engine, spec, f"{PREFIX}{self.run_id}-{spec.name}", self.topology.vip,
                 self.topology.interface)
            for spec in self.topology.nodes
        ]
        self.log = log
        self.timings: dict[str, float] = {}
        self.heal_hooks: list[Any] = []  # active faults register here; reset() heals them

    # --- lifecycle ---------------------------------------------------------------------
    def __enter__(self) -> Cluster:
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

    def up(self) -> float:
        """Create network and nodes, start them in parallel, wire replication, wait for one VIP
        owner. Returns seconds from "create containers" to ready. Cleans up on any failure."""
        try:
            self.network.up()
            started = time.monotonic()
            self._create_nodes()
            self._parallel(lambda n: n.container.start())
            self.wait_ready(started)
            return self.timings["bringup_s"]
        except BaseException:
            self.down()
            raise

    def down(self) -> None:
        """Remove this run's containers, network and host link. Safe to repeat."""
        for n in self.nodes:
            try:
                self.engine.remove_container(n.container_name)
            except Exception as exc:  # keep going: the network must go too
                self.log(f"warning: removing {n.container_name}: {exc}")
        self.engine.reap(self.run_id)
        self.network.down()

    def _create_nodes(self) -> None:
        for n in self.nodes:
            c = self.engine.create_node(
                name=n.container_name, image=self.image, network=self.network.name, ip=n.ip,
                hostname=n.name, labels={RUN_LABEL: self.run_id, "vipchaos.node": n.name,
                                         "vipchaos.bundle": self.bundle.name},
                env={"VC_NODE": n.name},
            )
            self.engine.put_files(c, self.bundle.render(n.spec).files)

    def wait_ready(self, started: float | None = None) -> None:
        """mysqld answers on both, replication wired and running, exactly one VIP owner."""
        started = started or time.monotonic()
        self._parallel(self.wait_mysqld)
        self.timings["mysqld_s"] = time.monotonic() - started
        self._wire_replication()
        self.wait_replication_running()
        self.prefer_owner()
        self.timings["bringup_s"] = round(time.monotonic() - started, 2)

    # --- readiness ---------------------------------------------------------------------
    def wait_mysqld(self, node: Node, timeout: float | None = None) -> None:
        timeout = timeout or self.ready_timeout
        if not wait.until(lambda: node.sql("SELECT 1", timeout=2), timeout=timeout,
                          interval=0.2):
            raise self._timeout(f"mysqld on {node.name} to answer", timeout)

    def _wire_replication(self) -> None:
        for n in self.nodes:
            status = n.replica_status()
            if status and status[0].get("Source_Host") == self.peer(n).ip:
                n.sql("START REPLICA")
                continue
            n.sql("STOP REPLICA")
            n.sql(
                "CHANGE REPLICATION SOURCE TO SOURCE_HOST=%s, SOURCE_PORT=3306, "
                "SOURCE_USER='repl', SOURCE_PASSWORD='repl', SOURCE_AUTO_POSITION=1, "
                f"GET_SOURCE_PUBLIC_KEY=1, SOURCE_CONNECT_RETRY={CONNECT_RETRY_S}, "
                f"SOURCE_RETRY_COUNT={RETRY_COUNT}",
                (self.peer(n).ip,),
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
             "source_host": r["Source_Host"]}
            for r in node.replica_status()
        ]

    def replication_running(self) -> bool:
        return all(
            (chs := self.channels(n)) and all(c["io_running"] and c["sql_running"] for c in chs)
            for n in self.nodes
        )

    def wait_replication_running(self, timeout: float = 60) -> None:
        if not wait.until(self.replication_running, timeout=timeout, interval=0.2):
            raise self._timeout("both replication channels to run", timeout)

    def vip_owners(self) -> list[str]:
        return [n.name for n in self.nodes if n.holds_vip()]

    def wait_single_owner(self, timeout: float = 60) -> str:
        owners = wait.until(lambda: (o := self.vip_owners()) and len(o) == 1 and o,
                            timeout=timeout, interval=0.1)
        if not owners:
            raise self._timeout(f"exactly one VIP owner (now: {self.vip_owners()})", timeout)
        return owners[0]

    def prefer_owner(self, timeout: float = 30) -> str:
        """Return the VIP to the highest-priority node, so every test starts from one state.

        With nopreempt the owner is whoever won the start-up race or the last failover; a
        graceful keepalived restart on that node (priority-0 advert) hands the VIP over."""
        owner = self.wait_single_owner(timeout)
        best = max(self.nodes, key=lambda n: n.spec.priority)
        if owner != best.name:
            old = self.node(owner)
            old.vcctl("stop", "keepalived")
            if not wait.until(lambda: self.vip_owners() == [best.name], timeout=timeout):
                raise self._timeout(f"the VIP to move to {best.name}", timeout)
            old.vcctl("start", "keepalived")
            self.wait_single_owner(timeout)
        return best.name

    def converged(self) -> bool:
        sets = {n.gtid_executed() for n in self.nodes}
        return len(sets) == 1

    def wait_converged(self, timeout: float) -> float | None:
        """Seconds until both GTID executed sets are equal, or None if not within timeout."""
        started = time.monotonic()
        ok = wait.until(self.converged, timeout=timeout, interval=0.25)
        return round(time.monotonic() - started, 2) if ok else None

    def _timeout(self, what: str, timeout: float) -> ReadinessTimeout:
        return ReadinessTimeout(what, timeout, {n.name: n.log_tails() for n in self.nodes})

    # --- reset between tests -----------------------------------------------------------
    def reset(self) -> float:
        """Heal every fault, restart what is down, make replication run and one node own the
        VIP. Rebuilds the nodes only when replication cannot be resumed (e.g. a duplicate-key
        error after a split brain). Returns seconds spent."""
        started = time.monotonic()
        for hook in reversed(self.heal_hooks):
            try:
                hook()
            except Exception as exc:
                self.log(f"warning: healing {hook}: {exc}")
        self.heal_hooks.clear()
        self._parallel(self._revive)
        self._parallel(self.wait_mysqld)
        if any(c["sql_error"] for n in self.nodes for c in self.channels(n)):
            self.log("replication broken beyond START REPLICA: rebuilding the nodes")
            self.rebuild()
        else:
            for n in self.nodes:
                n.sql("START REPLICA")
            self._parallel(lambda n: n.vcctl("start", "keepalived"))
            self.wait_replication_running()
            self.prefer_owner()
        self.timings["reset_s"] = round(time.monotonic() - started, 2)
        return self.timings["reset_s"]

    def _revive(self, node: Node) -> None:
        state = self.engine.state(node.container)
        if state["Paused"]:
            node.container.unpause()
        if not state["Running"]:
            node.container.start()
            node.pid(refresh=True)
        node.netns(["iptables", "-F", "VIPCHAOS"], check=False)
        self.engine.put_files(node.container, self.bundle.render(node.spec).files)
        node.vcctl("thaw", "mysqld")
        node.vcctl("start", "mysqld")

    def rebuild(self) -> None:
        """Replace both nodes with fresh ones on the same network."""
        for n in self.nodes:
            self.engine.remove_container(n.container_name)
        started = time.monotonic()
        self._create_nodes()
        self._parallel(lambda n: n.container.start())
        for n in self.nodes:
            n.pid(refresh=True)
        self.wait_ready(started)

    # --- clients -----------------------------------------------------------------------
    def connect_vip(self, timeout: float = 3) -> pymysql.Connection:
        """A PyMySQL connection through the VIP, to the vipchaos database."""
        return connect(self.topology.vip, timeout=timeout, database=DB)

    def _parallel(self, fn) -> list[Any]:
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            return list(pool.map(fn, self.nodes))
