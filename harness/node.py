"""A handle on one node container: run commands, SQL, read whether it holds the VIP."""

from __future__ import annotations

import threading
from typing import Any

import docker.errors
import pymysql
import pymysql.cursors

from harness import hostcmd
from harness.config import NodeSpec
from harness.engine import Engine
from harness.errors import CommandError, HarnessError

ADMIN_USER, ADMIN_PASSWORD = "vipchaos", "vipchaos"
MYSQL_LOG, KEEPALIVED_LOG, VRRP_LOG = (
    "/var/log/mysql/error.log", "/var/log/keepalived.log", "/var/log/vipchaos/vrrp.log")


def connect(host: str, *, timeout: float = 3, database: str | None = None) -> pymysql.Connection:
    """A PyMySQL connection with short timeouts (a hung server must not hang the harness)."""
    return pymysql.connect(
        host=host, port=3306, user=ADMIN_USER, password=ADMIN_PASSWORD, database=database,
        connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout, autocommit=True,
        cursorclass=pymysql.cursors.DictCursor,
    )


class Node:
    def __init__(self, engine: Engine, spec: NodeSpec, container_name: str, vip: str,
                 interface: str) -> None:
        self.engine, self.spec, self.container_name = engine, spec, container_name
        self.vip, self.interface = vip, interface
        self._pid: int | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def ip(self) -> str:
        return self.spec.ip

    @property
    def container(self):
        return self.engine.container(self.container_name)

    def __repr__(self) -> str:
        return f"Node({self.name} {self.ip})"

    # --- commands ----------------------------------------------------------------------
    def exec(self, cmd: list[str] | str, *, check: bool = True) -> str:
        """Run a command in the node (docker exec); raise CommandError on failure."""
        return self.engine.exec(self.container, cmd, check=check)[1]

    def vcctl(self, verb: str, service: str, *args: str) -> str:
        """Start/stop/kill/freeze/thaw/status mysqld or keepalived (see images/node/bin/vcctl)."""
        return self.exec(["vcctl", verb, service, *args]).strip()

    def pid(self, refresh: bool = False) -> int:
        """PID of the container's init (0 when the container is stopped or gone)."""
        with self._lock:
            if refresh or not self._pid:
                try:
                    self._pid = self.engine.pid(self.container)
                except docker.errors.NotFound:
                    self._pid = 0
            return self._pid

    def netns(self, cmd: list[str], *, check: bool = True) -> str:
        """Run a host binary in the node's network namespace (works while paused)."""
        pid = self.pid()
        if not pid:
            raise HarnessError(f"{self.name} is not running: no network namespace")
        try:
            return hostcmd.in_netns(pid, cmd, check=check).stdout
        except CommandError:
            if self.pid(refresh=True) == pid:
                raise
            return hostcmd.in_netns(self.pid(), cmd, check=check).stdout

    def running(self) -> bool:
        return self.engine.state(self.container)["Running"]

    def paused(self) -> bool:
        return self.engine.state(self.container)["Paused"]

    def holds_vip(self) -> bool:
        """True when the VIP is configured on the node's interface (read from its netns)."""
        try:
            out = self.netns(["ip", "-o", "-4", "addr", "show", "dev", self.interface])
        except HarnessError:
            return False  # no namespace: a crashed node holds nothing
        return f" {self.vip}/" in out

    # --- SQL ---------------------------------------------------------------------------
    def sql(self, query: str, args: Any = None, *, timeout: float = 5) -> list[dict[str, Any]]:
        """Run one statement on this node over TCP as the admin user; rows as dicts."""
        conn = connect(self.ip, timeout=timeout)
        try:
            with conn.cursor() as cur:
                cur.execute(query, args)
                return list(cur.fetchall())
        finally:
            conn.close()

    def replica_status(self) -> list[dict[str, Any]]:
        return self.sql("SHOW REPLICA STATUS")

    def gtid_executed(self) -> str:
        return self.sql("SELECT @@GLOBAL.gtid_executed AS g")[0]["g"].replace("\n", "")

    # --- logs --------------------------------------------------------------------------
    def log_tails(self, lines: int = 20) -> str:
        """Tails of mysqld's and keepalived's logs (for error messages); never raises."""
        try:
            out = self.exec(f"for f in {MYSQL_LOG} {KEEPALIVED_LOG}; do echo \"== $f\"; "
                            f"tail -n {lines} $f 2>/dev/null; done", check=False)
        except Exception as exc:
            out = f"(cannot read logs in the container: {exc})\n"
        return out + "== container output\n" + self.engine.logs(self.container, tail=lines)
