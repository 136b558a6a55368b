"""The workload: writes through the VIP at a steady rate, each with a unique id.

Every write is recorded as ``invoke`` then exactly one of:
- ``ok``: the server acknowledged the commit (``node`` and ``uuid`` say which server committed
  it: ``@@hostname`` and ``@@server_uuid`` of the connection, which stays with one server);
- ``fail``: it certainly did not happen (no connection could be made, or the server refused it);
- ``unknown``: the request may have been applied (connection lost or timed out after sending).
Errors never escape: after one, the writer reconnects for the next write.

Modes: ``insert`` (one row per write, surrogate auto-increment key) and ``next-number`` (the
same row plus a ticket numbered MAX()+1 in one transaction, as applications do).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time

import pymysql

from harness.history import History
from harness.pair import TABLE

CANNOT_CONNECT = 2003  # the request never left: certainly not applied


def classify(exc: BaseException) -> str:
    """The outcome of a write that raised after it was sent (Jepsen's fail vs info).

    ``fail`` when it certainly did not happen: the server answered with an error (codes below
    2000: duplicate key 1062, read-only 1290, ...; any non-operational server error) or no
    connection could be made (2003). ``unknown`` when it may have been applied: the connection
    was lost or timed out after sending (2006, 2013, 2055, other client codes) or a socket-level
    surprise."""
    if isinstance(exc, pymysql.err.OperationalError):
        code = exc.args[0] if exc.args else None
        if isinstance(code, int) and (code < 2000 or code == CANNOT_CONNECT):
            return "fail"
        return "unknown"
    if isinstance(exc, pymysql.err.MySQLError):
        return "fail"
    return "unknown"


class Writer:
    MODES = ("insert", "next-number")

    def __init__(self, history: History, connect, *, rate: float = 20.0,
                 prefix: str = "w", mode: str = "insert",
                 identity: str = "@@server_uuid") -> None:
        if rate <= 0:
            raise ValueError(f"rate must be > 0 writes/s, got {rate}")
        if mode not in self.MODES:
            raise ValueError(f"unknown workload mode {mode!r}; modes: {', '.join(self.MODES)}")
        self.mode = mode
        self.identity = identity  # the server's name for itself (harness.dialect)
        self.history, self.connect, self.rate, self.prefix = history, connect, rate, prefix
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="writer")
        self._conn: pymysql.Connection | None = None
        self._server: str | None = None
        self._uuid: str | None = None
        self.counts = {"ok": 0, "fail": 0, "unknown": 0}
        #: the id of the last acknowledged write (the reader profile reads it back)
        self.last_ok: str | None = None

    def start(self) -> Writer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=15)
        self._drop()

    def _run(self) -> None:
        period = 1.0 / self.rate
        next_at = time.monotonic()
        for n in itertools.count(1):
            if self._stop.is_set():
                return
            self.write(f"{self.prefix}-{n}")
            next_at += period
            delay = next_at - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            else:
                next_at = time.monotonic()  # behind schedule (timeouts): don't burst

    def write(self, op_id: str) -> str:
        """One write; returns its outcome (and records invoke + outcome in the history)."""
        h = self.history
        h.add("op", type="invoke", id=op_id, f="write")
        try:
            if self._conn is None:
                self._conn = self.connect()
                with self._conn.cursor() as cur:
                    cur.execute(f"SELECT @@hostname AS h, {self.identity} AS u")
                    row = cur.fetchone()
                    self._server, self._uuid = row["h"], row["u"]
        except Exception as exc:
            self._drop()
            return self._outcome("fail", op_id, error=f"connect: {brief(exc)}")
        try:
            with self._conn.cursor() as cur:
                if self.mode == "next-number":
                    cur.execute("BEGIN")
                cur.execute(f"INSERT INTO {TABLE} (op_id, origin) VALUES (%s, "
                            f"{self.identity})", (op_id,))
                if self.mode == "next-number":
                    cur.execute("INSERT INTO tickets (ticket_no, op_id) SELECT "
                                "COALESCE(MAX(ticket_no), 0) + 1, %s FROM tickets", (op_id,))
                    cur.execute("COMMIT")
            return self._outcome("ok", op_id, node=self._server, uuid=self._uuid)
        except Exception as exc:  # classified, never raised
            server, uuid = self._server, self._uuid  # the server it was sent to
            self._drop()
            return self._outcome(classify(exc), op_id, error=brief(exc), node=server,
                                 uuid=uuid)

    def _outcome(self, kind: str, op_id: str, **fields) -> str:
        self.counts[kind] += 1
        self.history.add("op", type=kind, id=op_id, f="write", **fields)
        if kind == "ok":
            self.last_ok = op_id  # after it is in the history: a read begins after the ack
        return kind

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
        self._conn, self._server, self._uuid = None, None, None


def brief(exc: BaseException) -> str:
    """An error as the history records it: its type and message, at most 200 characters."""
    return f"{type(exc).__name__}: {exc}"[:200]
