"""A handle on one node container: commands, SQL, and what the node's kernel says it holds.

Everything Docker goes through ``Engine`` by container name; reads of the node's kernel state
(addresses, processes, files) go through ``/proc/<pid>/...`` of the container's init, which
costs microseconds and works while the container is ``docker pause``d.
"""

from __future__ import annotations

import os
import re
import ssl
import threading
import time
from pathlib import Path
from typing import Any

import pymysql
import pymysql.cursors

from harness import hostcmd
from harness.bundle.topology import NodeSpec
from harness.dialect import Dialect
from harness.engine import Engine
from harness.errors import CommandError, HarnessError

ADMIN_USER, ADMIN_PASSWORD = "vipchaos", "vipchaos"
PID_RECHECK_S = 0.3  # how often a node whose init is gone is asked for again
MYSQL_LOG, KEEPALIVED_CONSOLE = "/var/log/mysql/error.log", "/var/log/keepalived.log"
#: keepalived's own log files (``--log-file``): the parent's and the VRRP child's
KEEPALIVED_LOGS = ("/var/log/vipchaos/keepalived.log", "/var/log/vipchaos/keepalived_vrrp.log")
#: the node supervisor's record of the services it runs (``vcctl``/``vc-svc`` in the image)
SERVICE_LOG = "/var/log/vipchaos/services.log"


def _preferred_tls() -> ssl.SSLContext:
    """TLS as MySQL's PREFERRED mode does it (encrypt, verify nothing), built once per process."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


_PREFERRED_TLS = _preferred_tls()


class _Connection(pymysql.Connection):
    """PyMySQL >= 1.2 speaks TLS when the server offers it (PREFERRED), as the mysql client and
    an application's driver do, but builds a new default context per connection, loading the
    system's CA bundle each time to verify nothing: 45 % of a test process's CPU went there (the
    samplers connect several times a second), which starved the observers of parallel workers.
    The same mode with one shared context; a server without TLS is still spoken to in clear."""

    def _create_ssl_ctx(self, sslp):
        return _PREFERRED_TLS if sslp == {} else super()._create_ssl_ctx(sslp)


def connect(host: str, *, timeout: float = 3, database: str | None = None,
            rows: str = "dict") -> pymysql.Connection:
    """A PyMySQL connection with short timeouts (a hung server must not hang the harness).
    ``rows="tuple"`` gives the DB-API's plain rows (a connection pool's library expects them)."""
    return _Connection(
        host=host, port=3306, user=ADMIN_USER, password=ADMIN_PASSWORD, database=database,
        connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout, autocommit=True,
        cursorclass=pymysql.cursors.DictCursor if rows == "dict" else pymysql.cursors.Cursor,
    )


def vip_in_fib(fib_trie: str, vip: str) -> bool:
    """Whether ``/proc/net/fib_trie`` text lists ``vip`` as a local (/32 host LOCAL) address."""
    lines = fib_trie.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == f"|-- {vip}":
            for nxt in lines[i + 1:i + 4]:
                if "|--" in nxt or "+--" in nxt:
                    break
                if "/32 host LOCAL" in nxt:
                    return True
    return False


def _cgroup_procs(pid: int) -> str | None:
    """The cgroup.procs file of the (v1 pids, or v2) cgroup process ``pid`` is in."""
    try:
        lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "pids" in controllers.split(","):
            return f"/sys/fs/cgroup/pids{path}/cgroup.procs"
    for line in lines:
        if line.startswith("0::"):
            return f"/sys/fs/cgroup{line[3:]}/cgroup.procs"
    return None


def collapse_repeats(text: str) -> str:
    """Runs of lines that differ only in numbers (a replica retrying every 2 s) shown as the
    first line and a count, so a log tail shows more than one message."""
    out: list[str] = []
    key_of = lambda line: re.sub(r"\d+", "#", line)  # noqa: E731
    run = 0
    for line in text.splitlines():
        if out and key_of(line) == key_of(out[-1]):
            run += 1
            continue
        if run:
            out.append(f"    ... and {run} more like it")
            run = 0
        out.append(line)
    if run:
        out.append(f"    ... and {run} more like it")
    return "\n".join(out) + "\n"


class Node:
    def __init__(self, engine: Engine, spec: NodeSpec, container_name: str, vip: str,
                 interface: str, network: str = "", dialect: Dialect | None = None) -> None:
        self.engine, self.spec, self.container_name = engine, spec, container_name
        self.dialect = dialect or Dialect()
        self.vip, self.interface, self.network = vip, interface, network
        self._pid: int | None = None
        self._pid_checked = 0.0
        self._procs_path: str | None = None  # the container's cgroup.procs (survives restarts)
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def ip(self) -> str:
        return self.spec.ip

    def __repr__(self) -> str:
        return f"Node({self.name} {self.ip})"

    # --- lifecycle (through the engine) ---------------------------------------------------
    def status(self) -> dict[str, Any]:
        return self.engine.status(self.container_name)

    def running(self) -> bool:
        return self.status()["running"]

    def paused(self) -> bool:
        return self.status()["paused"]

    def start(self) -> None:
        self.engine.start(self.container_name)
        self.pid(refresh=True)

    def kill(self) -> None:
        self.engine.kill(self.container_name)

    def pause(self) -> None:
        self.engine.pause(self.container_name)

    def unpause(self) -> None:
        self.engine.unpause(self.container_name)

    def set_cpu_quota(self, quota_us: int) -> None:
        self.engine.set_cpu_quota(self.container_name, quota_us)

    def put_files(self, files: dict) -> None:
        self.engine.put_files_in(self.container_name, files)

    def mac(self) -> str | None:
        return self.engine.mac_address(self.container_name, self.network)

    # --- commands ----------------------------------------------------------------------
    def exec(self, cmd: list[str] | str, *, check: bool = True) -> str:
        """Run a command in the node (docker exec); raise CommandError on failure."""
        return self.engine.exec_in(self.container_name, cmd, check=check)[1]

    def vcctl(self, verb: str, service: str, *args: str) -> str:
        """Start/stop/kill/freeze/thaw/status mysqld or keepalived (the node image's vcctl)."""
        return self.exec(["vcctl", verb, service, *args]).strip()

    def pid(self, refresh: bool = False) -> int:
        """PID of the container's init (0 when the container is stopped or gone). Found through
        the container's cgroup once it is known (no engine call: observers must never wait on a
        busy engine; a stopped container has no init there), else asked of the engine; the lock
        is never held across either."""
        if not refresh and self._pid:
            return self._pid
        if self._procs_path is not None:
            new = self._init_from_cgroup()
        else:
            new = self.status()["pid"]
            if new:
                self._procs_path = _cgroup_procs(new)
        with self._lock:
            self._pid = new
        return new

    def forget(self) -> None:
        """The container was replaced (a rebuild): its pid and cgroup are new."""
        with self._lock:
            self._pid, self._procs_path = None, None

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

    def read_file(self, path: str) -> bytes:
        """A file of the node's filesystem via /proc/<pid>/root (no exec; works when paused).
        Raises OSError when it cannot be read (stopped container, missing file)."""
        return self.read_from(path, 0)[0]

    def read_from(self, path: str, offset: int) -> tuple[bytes, int]:
        """(bytes from ``offset`` to the end, where they start) of a node file via
        /proc/<pid>/root; when the file shrank (replaced), reads it from the start. Raises
        OSError (FileNotFoundError: no such file, or the node is down)."""
        pid = self.pid()
        if not os.path.exists(f"/proc/{pid}"):
            pid = self.pid(refresh=True)
        with open(f"/proc/{pid}/root{path}", "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size < offset:
                offset = 0
            fh.seek(offset)
            return fh.read(), offset

    def holds_vip(self) -> tuple[bool | None, str]:
        """Whether the node's kernel has the VIP as a local address, and how that is known.

        (True/False, "fib") from the node's routing table; (False, "gone") when the node's
        init process is gone (its network namespace went with it: it holds nothing; a restarted
        container has a new, empty namespace until keepalived adds the VIP seconds later);
        (None, why) when the state could not be read: unknown, never "not held"."""
        pid = self._pid or 0
        if pid:
            try:
                return vip_in_fib(Path(f"/proc/{pid}/net/fib_trie").read_text(), self.vip), "fib"
            except (FileNotFoundError, ProcessLookupError):
                pass  # that process is gone: so is its namespace (unless it was replaced)
            except OSError as exc:
                return None, f"fib_trie unreadable: {exc}"[:200]
        now = time.monotonic()
        if pid and now - self._pid_checked < PID_RECHECK_S:
            return False, "gone"
        self._pid_checked = now
        try:
            new = self.pid(refresh=True)
        except Exception as exc:  # the engine cannot be asked
            return (False, "gone") if pid else (None, f"engine: {exc}"[:200])
        if not new:
            return False, "gone" if pid else "stopped"
        if new == pid:  # said to run with the very pid whose /proc is missing
            return None, f"init {pid} is said to run but /proc/{pid} cannot be read"
        try:
            return vip_in_fib(Path(f"/proc/{new}/net/fib_trie").read_text(), self.vip), "fib"
        except OSError as exc:
            return None, f"fib_trie unreadable: {exc}"[:200]

    def _init_from_cgroup(self) -> int:
        """The container's init pid, from its cgroup (no Docker API call: the prober must never
        wait on a busy engine); 0 when the cgroup has no init (container stopped)."""
        if self._procs_path is None:
            return 0
        try:
            procs = Path(self._procs_path).read_text().split()
        except OSError:
            return 0
        for p in procs:
            try:
                status = Path(f"/proc/{p}/status").read_text()
            except OSError:
                continue
            nspid = next((line.split()[1:] for line in status.splitlines()
                          if line.startswith("NSpid:")), [])
            if nspid and nspid[-1] == "1":
                return int(p)
        return 0

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
        """The replication channels, in MySQL's column names whatever the server."""
        return [self.dialect.channel_row(r) for r in self.sql("SHOW REPLICA STATUS")]

    def gtid_executed(self) -> str:
        """Every transaction this server holds, as a GTID set (harness.dialect)."""
        return self.dialect.gtid_set(self.sql(self.dialect.gtid_state)[0]["g"])

    # --- logs --------------------------------------------------------------------------
    def log_tails(self, lines: int = 40) -> str:
        """Tails of mysqld's and keepalived's logs (for error messages); never raises."""
        files = " ".join([MYSQL_LOG, KEEPALIVED_CONSOLE, *KEEPALIVED_LOGS, SERVICE_LOG])
        try:
            out = self.exec(f"for f in {files}; do [ -s $f ] || continue; echo \"== $f\"; "
                            f"tail -n {lines} $f; done", check=False)
        except Exception as exc:
            out = f"(cannot read logs in the container: {exc})\n"
        return collapse_repeats(out + "== container output\n"
                                + self.engine.logs_of(self.container_name, lines))
