"""Client profiles beside the harness's own writer: what an application sees through the VIP.

The verdicts stand on the ``direct`` writer (``harness.workload``): one connection from the
host, reconnecting at once. Applications mostly hold a connection pool and read as well as
write, so a failover looks different to them. Each profile here runs in its own threads
through the VIP and records every operation as a ``client`` event (``harness.events``), which
``harness.clientview`` turns into per-profile figures; the checkers do not read them.

- ``pool``: an application's connection pool (SQLAlchemy's ``QueuePool``, the pool most Python
  applications use) of ``size`` connections, one worker thread per connection writing at its
  share of the rate; connections are kept across a failover (no pre-ping: the pool's default),
  so a connection to the old owner fails (or, worse, still works) on its next use.
- ``pool-ping``: the same with ``pool_pre_ping``: a connection is tested before each use and
  replaced when it is dead.
- ``reader``: reads through the VIP the last write the ``direct`` writer had acknowledged
  before the read began; a read that does not find it is a stale read.
- ``router``: the ``direct`` writer's behaviour (one connection, reconnecting after an error)
  from a client namespace behind a router namespace with its own ARP cache
  (``harness.clientnet``); the router's entry for the VIP (which node's MAC it points at) is
  recorded as ``client`` events of op ``arp`` whenever it changes.

The pool writes go into the same table as the writer's, with their own ids, so what a pooled
connection wrote on a node that no longer held the VIP reaches the databases (and replication)
as it would in production.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable

from harness.clientnet import RoutedClientNet
from harness.history import History
from harness.node import connect as connect_to
from harness.pair import DB, TABLE
from harness.workload import Writer, brief, classify

PROFILES = ("direct", "router", "pool", "pool-ping", "reader")
POOL_SIZE = 4
ARP_POLL_S = 0.1


def parse_profiles(text: str | None) -> list[str]:
    """``--clients direct,pool``: the profiles, ``direct`` always first (the verdicts stand on
    it). Raises ValueError naming the unknown one."""
    names = [p.strip() for p in (text or "").split(",") if p.strip()]
    bad = [p for p in names if p not in PROFILES]
    if bad:
        raise ValueError(f"unknown client profile {bad[0]!r}; profiles: {', '.join(PROFILES)}")
    return ["direct", *[p for p in dict.fromkeys(names) if p != "direct"]]


class _Client:
    """A profile's threads, recording ``client`` events until stopped."""

    profile = ""

    def __init__(self, history: History, rate: float, prefix: str) -> None:
        self.history, self.rate, self.prefix = history, rate, prefix
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> _Client:
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=15)
        self.close()

    def close(self) -> None:
        pass

    def _paced(self, period: float, one: Callable[[int], None]) -> None:
        next_at = time.monotonic()
        for n in itertools.count(1):
            if self._stop.is_set():
                return
            one(n)
            next_at += period
            delay = next_at - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            else:
                next_at = time.monotonic()

    def _record(self, op: str, op_id: str, started: float, outcome: str, **fields) -> None:
        self.history.add("client", profile=self.profile, op=op, id=op_id, outcome=outcome,
                         started=started, **fields)


class PoolClient(_Client):
    def __init__(self, history: History, connect: Callable[[], object], *, rate: float,
                 prefix: str, identity: str, pre_ping: bool, size: int = POOL_SIZE) -> None:
        super().__init__(history, rate, prefix)
        import sqlalchemy  # heavy (SQLAlchemy): imported only when a pool profile runs

        self.profile = "pool-ping" if pre_ping else "pool"
        self.identity = identity
        self.engine = sqlalchemy.create_engine(
            "mysql+pymysql://", creator=connect, pool_size=size, max_overflow=0,
            pool_timeout=3, pool_pre_ping=pre_ping)
        period = size / rate
        self._threads = [threading.Thread(target=self._paced, args=(period, self._worker(w)),
                                          daemon=True, name=f"{self.profile}-{w}")
                         for w in range(size)]

    def _worker(self, w: int) -> Callable[[int], None]:
        def one(n: int) -> None:
            self.write(w, f"{self.prefix}-{self.profile}{w}-{n}")
        return one

    def write(self, worker: int, op_id: str) -> str:
        started = self.history.now()
        server = uuid = None
        try:
            with self.engine.connect() as c:
                info = c.connection.info  # kept with the DB-API connection across checkouts
                if "server" not in info:
                    row = c.exec_driver_sql(f"SELECT @@hostname, {self.identity}").one()
                    info["server"], info["uuid"] = row[0], row[1]
                server, uuid = info["server"], info["uuid"]
                c.exec_driver_sql(f"INSERT INTO {TABLE} (op_id, origin) VALUES (%s, "
                                  f"{self.identity})", (op_id,))
                c.commit()
        except Exception as exc:  # classified, never raised
            cause = getattr(exc, "orig", None) or exc
            outcome = "fail" if server is None else classify(cause)
            self._record("write", op_id, started, outcome, worker=worker, node=server,
                         error=f"{type(cause).__name__}: {cause}"[:200])
            return outcome
        self._record("write", op_id, started, "ok", worker=worker, node=server, uuid=uuid)
        return "ok"

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.engine.dispose()


class _Connected(_Client):
    """A profile on one connection, opened again after an error (as the ``direct`` writer)."""

    def __init__(self, history: History, connect: Callable[[], object], rate: float,
                 prefix: str) -> None:
        super().__init__(history, rate, prefix)
        self.connect = connect
        self._conn = None
        self._server: str | None = None

    def _open(self) -> None:
        if self._conn is None:
            self._conn = self.connect()
            with self._conn.cursor() as cur:
                cur.execute("SELECT @@hostname AS h")
                self._server = cur.fetchone()["h"]

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
        self._conn, self._server = None, None

    def close(self) -> None:
        self._drop()


class Reader(_Connected):
    profile = "reader"

    def __init__(self, history: History, connect: Callable[[], object], writer: Writer, *,
                 rate: float, prefix: str) -> None:
        super().__init__(history, connect, rate, prefix)
        self.writer = writer
        self._threads = [threading.Thread(target=self._paced, args=(1.0 / rate, self.read),
                                          daemon=True, name="reader")]

    def read(self, n: int) -> str:
        expect = self.writer.last_ok  # acknowledged before this read began
        started = self.history.now()
        op_id = f"{self.prefix}-read-{n}"
        if expect is None:
            return "skip"
        try:
            self._open()
            with self._conn.cursor() as cur:
                cur.execute(f"SELECT COUNT(*) AS n FROM {TABLE} WHERE op_id = %s", (expect,))
                seen = cur.fetchone()["n"] > 0
        except Exception as exc:
            server = self._server
            self._drop()
            self._record("read", op_id, started, "fail", expect=expect, node=server,
                         error=f"{type(exc).__name__}: {exc}"[:200])
            return "fail"
        self._record("read", op_id, started, "ok", expect=expect, seen=seen, node=self._server)
        return "ok"


class RouterClient(_Connected):
    """Writes from the client namespace behind the router; a second thread (on the host)
    records the router's ARP entry for the VIP whenever it changes."""

    profile = "router"

    def __init__(self, history: History, net: RoutedClientNet, *, rate: float, prefix: str,
                 identity: str, macs: dict[str, str]) -> None:
        vip = net.topology.vip
        super().__init__(history, lambda: connect_to(vip, database=DB), rate, prefix)
        self.net, self.identity = net, identity
        self.macs = {mac.lower(): node for node, mac in macs.items() if mac}
        self._entered = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, daemon=True, name="router"),
            threading.Thread(target=self._watch_arp, daemon=True, name="router-arp")]

    def start(self) -> RouterClient:
        super().start()
        self._entered.wait(10)
        return self

    def close(self) -> None:
        super().close()
        self.net.down()  # its namespaces go with it, after its threads stopped

    def _run(self) -> None:
        try:
            self.net.enter()  # this thread only, for good: it ends with the client
        except Exception as exc:
            self._record("write", f"{self.prefix}-router-0", self.history.now(), "fail",
                         error=f"cannot enter the client namespace: {exc}"[:200])
            self._entered.set()
            return
        self._entered.set()
        self._paced(1.0 / self.rate, lambda n: self.write(f"{self.prefix}-router-{n}"))

    def write(self, op_id: str) -> str:
        started = self.history.now()
        try:
            self._open()
        except Exception as exc:
            self._drop()
            self._record("write", op_id, started, "fail", error=f"connect: {brief(exc)}")
            return "fail"
        server = self._server
        try:
            with self._conn.cursor() as cur:
                cur.execute(f"INSERT INTO {TABLE} (op_id, origin) VALUES (%s, "
                            f"{self.identity})", (op_id,))
        except Exception as exc:  # classified, never raised
            self._drop()
            outcome = classify(exc)
            self._record("write", op_id, started, outcome, node=server, error=brief(exc))
            return outcome
        self._record("write", op_id, started, "ok", node=server)
        return "ok"

    def _watch_arp(self) -> None:
        last: tuple[str | None, bool] | None = None
        while not self._stop.is_set():
            try:
                mac, state = self.net.vip_entry()
            except Exception:  # a stalled or failed `ip`: the next sample tells
                mac, state = None, "unreadable"
            usable = bool(mac) and state.split(",")[0] not in ("FAILED", "INCOMPLETE")
            if (mac, usable) != last:
                last = (mac, usable)
                self.history.add("client", profile=self.profile, op="arp", mac=mac,
                                 state=state, node=self.macs.get((mac or "").lower()))
            self._stop.wait(ARP_POLL_S)


def start_clients(profiles: list[str], history: History, pair, writer: Writer, *,
                  rate: float, prefix: str) -> list[_Client]:
    """Start every profile but ``direct`` (the writer the run already has). If one cannot
    start, those already started are stopped before the error propagates."""
    out: list[_Client] = []
    try:
        for p in profiles:
            _start(p, out, history, pair, writer, rate=rate, prefix=prefix)
    except BaseException:
        stop_clients(out)
        raise
    return out


def _start(p: str, out: list[_Client], history: History, pair, writer: Writer, *,
           rate: float, prefix: str) -> None:
    if p == "router":
        net = RoutedClientNet(pair.topology, pair.run_id, pair.network.parent).up()
        try:
            out.append(RouterClient(history, net, rate=rate, prefix=prefix,
                                    identity=pair.dialect.identity,
                                    macs={n.name: n.mac() for n in pair.nodes}).start())
        except BaseException:
            net.down()
            raise
    elif p in ("pool", "pool-ping"):
        out.append(PoolClient(history, lambda: pair.connect_vip(rows="tuple"), rate=rate,
                              prefix=prefix, identity=pair.dialect.identity,
                              pre_ping=p == "pool-ping").start())
    elif p == "reader":
        out.append(Reader(history, pair.connect_vip, writer, rate=rate / 2,
                          prefix=prefix).start())


def stop_clients(clients: list[_Client]) -> None:
    for c in clients:
        c.stop()

