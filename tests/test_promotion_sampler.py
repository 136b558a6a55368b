"""The replication sampler records a ``promotion`` (backlog and writes held) the instant a node
takes the VIP, after any number of rounds (the lag-at-failover figures come from it)."""

from harness.history import History
from harness.observers.samplers import ReplSampler


class StubNode:
    def __init__(self, name: str) -> None:
        self.name = name

    def gtid_executed(self) -> str:
        return "u:1-5"

    def sql(self, query: str, timeout: float = 0) -> list[dict]:
        return [{"op_id": "w1"}, {"op_id": "w2"}]


def channels(node) -> list[dict]:
    return [{"io_running": True, "sql_running": True, "io_error": "", "sql_error": "",
             "sql_errno": 0, "retrieved": "u:1-7"}]


def test_a_take_after_several_rounds_is_recorded_once():
    history = History()
    nodes = [StubNode("node1"), StubNode("node2")]
    sampler = ReplSampler(history, nodes, channels, "vipchaos.writes")
    history.add("vip", node="node1", held=True, source="poll", t=1.0)
    history.add("vip", node="node2", held=False, source="poll", t=1.0)
    for _ in range(3):
        sampler._round()
    assert not history.events("promotion")
    history.add("vip", node="node2", held=True, source="poll", t=2.0)
    sampler._round()
    sampler._round()
    promos = history.events("promotion")
    assert len(promos) == 1
    p = promos[0]
    assert p["node"] == "node2" and p["retrieved"] == "u:1-7" and p["executed"] == "u:1-5"
    assert p["ids"] == ["w1", "w2"]


def test_no_promotion_without_a_table():
    history = History()
    sampler = ReplSampler(history, [StubNode("node1"), StubNode("node2")], channels, "")
    history.add("vip", node="node2", held=False, source="poll", t=1.0)
    sampler._round()
    history.add("vip", node="node2", held=True, source="poll", t=2.0)
    sampler._round()
    assert not history.events("promotion")
