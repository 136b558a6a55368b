"""The reset between tests: a pair that does not come back is rebuilt, never handed on broken
(one lab failure must not become every later test's setup error)."""

from harness.errors import ReadinessTimeout
from harness.pair import Pair


class Stub:
    """The parts of a Pair that ``Pair.reset`` uses, recording what it did."""

    def __init__(self, revive_error=None, sql_error=""):
        self.nodes, self.active_faults, self.timings, self.did = ["node1", "node2"], [], {}, []
        self.diskless: set[str] = set()
        self.revive_error, self.sql_error = revive_error, sql_error
        self.topology = type("T", (), {"vip": "198.18.151.100"})()
        self.network = type("N", (), {"forget_neighbour": lambda _, ip: self.did.append(
            f"forget {ip}")})()

    def _parallel(self, fn):
        return [fn(n) for n in self.nodes]

    def assign_vip(self, node=None):
        return None  # a LAN pair: ARP decides

    def _revive(self, node):
        self.did.append(f"revive {node}")
        if self.revive_error:
            raise self.revive_error

    def wait_mysqld(self, node):
        self.did.append(f"wait {node}")

    def channels(self, node):
        return [{"sql_error": self.sql_error}]

    def replication_stuck(self):
        return bool(self.sql_error)

    def rebuild(self):
        self.did.append("rebuild")

    def wait_replication_running(self):
        self.did.append("replication")

    def ensure_intended(self):
        self.did.append("intended")



def test_a_node_whose_mysqld_never_answers_is_rebuilt():
    stub = Stub(revive_error=ReadinessTimeout("mysqld on node2 to answer", 90))
    Pair.reset(stub)
    assert stub.did[-1] == "rebuild" and "intended" not in stub.did


def test_a_broken_applier_is_rebuilt():
    stub = Stub(sql_error="Duplicate entry")
    Pair.reset(stub)
    assert stub.did[-1] == "rebuild"


def test_a_healthy_pair_is_resumed_not_rebuilt(monkeypatch):
    stub = Stub()
    started = []
    stub.nodes = [type("N", (), {"sql": lambda self, q: started.append(q)})() for _ in (1, 2)]
    Pair.reset(stub)
    # ... and the client's view of the VIP from the previous test is dropped
    assert "rebuild" not in stub.did and stub.did[-3:] == ["replication", "intended",
                                                           "forget 198.18.151.100"]
    assert started == ["START REPLICA", "START REPLICA"]


def test_a_node_whose_disk_was_lost_is_rebuilt_without_trying_to_revive_it():
    """The pair remembers a wiped datadir itself: even when the fault object that wiped it
    was healed or dropped (a failed verification), the next reset rebuilds."""
    stub = Stub()
    stub.diskless.add("node1")
    Pair.reset(stub)
    assert stub.did == ["rebuild"] and stub.diskless == set()
