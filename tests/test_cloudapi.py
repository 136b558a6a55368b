"""The cloud profile's stand-in platform API: a node's request moves the VIP after the
platform's latency; a request for another address is refused; both are recorded."""

import time
from types import SimpleNamespace

from harness.history import History
from harness.observers import cloudapi
from harness.observers.cloudapi import CLOUD_API_LOG, CloudApi


class FakeNode:
    def __init__(self, name):
        self.name, self.data = name, b""

    def read_from(self, path, offset):
        if path != CLOUD_API_LOG:
            raise FileNotFoundError(path)
        return self.data[offset:], offset

    def read_file(self, path):
        return self.read_from(path, 0)[0]


class FakePair:
    def __init__(self):
        self.nodes = [FakeNode("node1"), FakeNode("node2")]
        self.topology = SimpleNamespace(vip="198.18.153.100")
        self.assigned = []

    def node(self, name):
        return next(n for n in self.nodes if n.name == name)

    def assign_vip(self, node):
        self.assigned.append(node.name)
        return "02:42:c6:12:99:0c"


def test_a_request_moves_the_address_after_the_latency_and_is_recorded(monkeypatch):
    monkeypatch.setattr(cloudapi, "LATENCY_S", 0.05)
    pair, h = FakePair(), History()
    pair.nodes[1].data = b"1.0 assign 198.18.153.100\n"  # before observation: not acted on
    api = CloudApi(h, pair).start()
    now = time.time()
    pair.nodes[1].data += f"{now:.6f} assign 198.18.153.100\n{now:.6f} assign 10.0.0.9\n".encode()
    deadline = time.monotonic() + 5
    while not pair.assigned and time.monotonic() < deadline:
        time.sleep(0.02)
    api.stop()
    details = [e["detail"] for e in h.events() if e["kind"] == "lab"]
    assert pair.assigned == ["node2"]
    assert details == ["cloud API: node2 asks for 198.18.153.100",
                       "cloud API: refused 'assign 10.0.0.9' (the pair's address is "
                       "198.18.153.100)",
                       "cloud API: the network now delivers the VIP to node2"]
