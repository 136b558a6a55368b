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

from harness.history import History
from harness.pair import TABLE
from harness.workload import Writer, classify

PROFILES = ("direct", "pool", "pool-ping", "reader")
POOL_SIZE = 4


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


class Reader(_Client):
    profile = "reader"

    def __init__(self, history: History, connect: Callable[[], object], writer: Writer, *,
                 rate: float, prefix: str) -> None:
        super().__init__(history, rate, prefix)
        self.connect, self.writer = connect, writer
        self._conn = None
        self._server: str | None = None
        self._threads = [threading.Thread(target=self._paced, args=(1.0 / rate, self.read),
                                          daemon=True, name="reader")]

    def read(self, n: int) -> str:
        expect = self.writer.last_ok  # acknowledged before this read began
        started = self.history.now()
        op_id = f"{self.prefix}-read-{n}"
        if expect is None:
            return "skip"
        try:
            if self._conn is None:
                self._conn = self.connect()
                with self._conn.cursor() as cur:
                    cur.execute("SELECT @@hostname AS h")
                    self._server = cur.fetchone()["h"]
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

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
        self._conn, self._server = None, None

    def close(self) -> None:
        self._drop()


def start_clients(profiles: list[str], history: History, pair, writer: Writer, *,
                  rate: float, prefix: str) -> list[_Client]:
    """Start every profile but ``direct`` (the writer the run already has)."""
    out: list[_Client] = []
    for p in profiles:
        if p in ("pool", "pool-ping"):
            out.append(PoolClient(history, lambda: pair.connect_vip(rows="tuple"), rate=rate,
                                  prefix=prefix, identity=pair.dialect.identity,
                                  pre_ping=p == "pool-ping").start())
        elif p == "reader":
            out.append(Reader(history, pair.connect_vip, writer, rate=rate / 2,
                              prefix=prefix).start())
    return out


def stop_clients(clients: list[_Client]) -> None:
    for c in clients:
        c.stop()
