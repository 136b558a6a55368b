"""The writer's outcome classification (Jepsen's ok / fail / info) and ``Writer.write`` against a
fake connection: every write is an invoke and exactly one outcome; errors never escape."""

import time

import pymysql
import pytest

from harness.history import History
from harness.workload import CANNOT_CONNECT, Writer, classify

OpErr, IntErr = pymysql.err.OperationalError, pymysql.err.IntegrityError


# --- classify -------------------------------------------------------------------------------
@pytest.mark.parametrize("exc, outcome", [
    (OpErr(2013, "Lost connection to MySQL server during query"), "unknown"),
    (OpErr(2006, "MySQL server has gone away"), "unknown"),
    (OpErr(2055, "Lost connection to MySQL server at 'x'"), "unknown"),
    (OpErr(2014, "Command out of sync"), "unknown"),
    (OpErr(2000, "Unknown MySQL error"), "unknown"),
    (OpErr(2003, "Can't connect to MySQL server"), "fail"),
    (OpErr(1290, "The MySQL server is running with the --read-only option"), "fail"),
    (OpErr(1205, "Lock wait timeout exceeded"), "fail"),
    (OpErr(1999, "a server error"), "fail"),
    (IntErr(1062, "Duplicate entry 'x' for key 'PRIMARY'"), "fail"),
    (pymysql.err.ProgrammingError(1064, "syntax"), "fail"),
    (pymysql.err.InterfaceError(0, ""), "fail"),
    (TimeoutError("timed out"), "unknown"),
    (ConnectionResetError(104, "Connection reset by peer"), "unknown"),
    (BrokenPipeError(32, "Broken pipe"), "unknown"),
    (RuntimeError("surprise"), "unknown"),
])
def test_classify(exc, outcome):
    assert classify(exc) == outcome


def test_cannot_connect_is_2003():
    assert CANNOT_CONNECT == 2003


def test_an_operational_error_without_a_code_is_unknown():
    assert classify(OpErr()) == "unknown"
    assert classify(OpErr("2003")) == "unknown"  # a code that is not an int says nothing


# --- Writer.write with a fake connection ----------------------------------------------------
class FakeCursor:
    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, query, args=None):
        self.conn.executed.append((query, args))
        fail = self.conn.fail_on
        if fail and fail[0] in query:
            raise fail[1]

    def fetchone(self):
        return {"h": self.conn.server, "u": f"uuid-{self.conn.server}"}


class FakeConn:
    def __init__(self, server="node1", fail_on=None):
        self.server, self.fail_on = server, fail_on
        self.executed: list = []
        self.closed = False

    def cursor(self):
        return FakeCursor(self)

    def close(self):
        self.closed = True


class Connector:
    """``connect`` for the writer: hands out the given connections (or raises) in order."""

    def __init__(self, *conns):
        self.conns = list(conns)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        c = self.conns.pop(0)
        if isinstance(c, BaseException):
            raise c
        return c


def ops(history):
    return [(e["type"], e["id"], e.get("node"), e.get("error")) for e in history.events("op")]


def test_an_acknowledged_write_names_the_server_and_reuses_the_connection():
    h, conn = History(), FakeConn("node2")
    w = Writer(h, Connector(conn))
    assert w.write("a") == "ok" and w.write("b") == "ok"
    assert ops(h) == [("invoke", "a", None, None), ("ok", "a", "node2", None),
                      ("invoke", "b", None, None), ("ok", "b", "node2", None)]
    assert h.events("op")[1]["uuid"] == "uuid-node2"
    assert h.events("op")[1]["f"] == "write"
    inserts = [q for q in conn.executed if "INSERT" in q[0]]
    assert [a for _, a in inserts] == [("a",), ("b",)]
    assert w.counts == {"ok": 2, "fail": 0, "unknown": 0}


def test_connect_failure_is_fail():
    h = History()
    w = Writer(h, Connector(OpErr(2003, "Can't connect")))
    assert w.write("a") == "fail"
    (_, _, _, _), (kind, op_id, _node, error) = ops(h)
    assert (kind, op_id) == ("fail", "a")
    assert error.startswith("connect: OperationalError: ")
    assert w.counts["fail"] == 1


def test_connect_timeout_is_still_fail():
    """No connection: the INSERT was never sent, whatever the error says."""
    h = History()
    w = Writer(h, Connector(OpErr(2013, "Lost connection during handshake")))
    assert w.write("a") == "fail"


def test_identity_query_failing_is_fail_and_drops_the_connection():
    h, conn = History(), FakeConn(fail_on=("@@hostname", OpErr(2013, "lost")))
    w = Writer(h, Connector(conn, FakeConn("node2")))
    assert w.write("a") == "fail"
    assert conn.closed
    assert w.write("b") == "ok"


def test_lost_connection_during_the_insert_is_unknown():
    h = History()
    conn = FakeConn("node1", fail_on=("INSERT", OpErr(2013, "Lost connection")))
    w = Writer(h, Connector(conn, FakeConn("node2")))
    assert w.write("a") == "unknown"
    ev = h.events("op")[-1]
    assert ev["type"] == "unknown" and ev["id"] == "a"
    assert ev["error"] == "OperationalError: (2013, 'Lost connection')"
    assert conn.closed
    # the next write reconnects (to whoever holds the VIP now)
    assert w.write("b") == "ok"
    assert h.events("op")[-1]["node"] == "node2"
    assert w.counts == {"ok": 1, "fail": 0, "unknown": 1}


def test_an_unknown_outcome_names_the_server_it_was_sent_to():
    h = History()
    conn = FakeConn("node1", fail_on=("INSERT", OpErr(2013, "Lost connection")))
    Writer(h, Connector(conn)).write("a")
    ev = h.events("op")[-1]
    assert (ev["node"], ev["uuid"]) == ("node1", "uuid-node1")


def test_a_server_refusal_is_fail():
    h = History()
    conn = FakeConn(fail_on=("INSERT", IntErr(1062, "Duplicate entry")))
    w = Writer(h, Connector(conn))
    assert w.write("a") == "fail"
    assert h.events("op")[-1]["error"].startswith("IntegrityError: (1062")


def test_a_socket_error_during_the_insert_is_unknown():
    conn = FakeConn(fail_on=("INSERT", ConnectionResetError(104, "reset")))
    assert Writer(History(), Connector(conn)).write("a") == "unknown"


def test_a_close_that_raises_is_swallowed():
    class Sticky(FakeConn):
        def close(self):
            raise OSError("already gone")

    conn = Sticky(fail_on=("INSERT", OpErr(2006, "gone away")))
    w = Writer(History(), Connector(conn, FakeConn()))
    assert w.write("a") == "unknown"
    assert w.write("b") == "ok"


def test_errors_are_brief():
    conn = FakeConn(fail_on=("INSERT", OpErr(2013, "x" * 500)))
    h = History()
    Writer(h, Connector(conn)).write("a")
    assert len(h.events("op")[-1]["error"]) == 200


def test_next_number_mode_runs_one_transaction():
    h, conn = History(), FakeConn()
    w = Writer(h, Connector(conn), mode="next-number")
    assert w.write("a") == "ok"
    stmts = [q.split()[0] for q, _ in conn.executed[1:]]
    assert stmts == ["BEGIN", "INSERT", "INSERT", "COMMIT"]
    assert "tickets" in conn.executed[3][0] and conn.executed[3][1] == ("a",)


def test_lost_connection_at_commit_is_unknown():
    conn = FakeConn(fail_on=("COMMIT", OpErr(2013, "lost")))
    assert Writer(History(), Connector(conn), mode="next-number").write("a") == "unknown"


@pytest.mark.parametrize("kw, msg", [({"rate": 0}, "rate must be > 0"),
                                     ({"rate": -1}, "rate must be > 0"),
                                     ({"mode": "upsert"}, "unknown workload mode")])
def test_bad_settings_are_refused(kw, msg):
    with pytest.raises(ValueError, match=msg):
        Writer(History(), Connector(), **kw)


def test_the_writer_thread_writes_numbered_ids_until_stopped():
    h = History()
    conn = FakeConn()
    w = Writer(h, lambda: conn, rate=200.0, prefix="t").start()
    deadline = time.monotonic() + 5
    while len(h.events("op")) < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    w.stop()
    ids = [e["id"] for e in h.events("op") if e["type"] == "invoke"]
    assert ids[:3] == ["t-1", "t-2", "t-3"]
    assert conn.closed  # stop() drops the connection
    n = len(h.events("op"))
    time.sleep(0.05)
    assert len(h.events("op")) == n
    # every invoke has exactly one outcome
    outcomes = [e["id"] for e in h.events("op") if e["type"] != "invoke"]
    assert sorted(outcomes) == sorted(ids)
