"""The cloud profile's platform API, stood in for: the one part of the lab that acts on what a
node asks rather than only watching.

On a cloud network gratuitous ARP moves nothing; an address moves to another instance only
when someone asks the platform (``aws ec2 assign-private-ip-addresses --allow-reassignment``
and its kin), typically a keepalived ``notify_master`` script. In the lab such a script calls
``vc-cloud assign ADDRESS`` (images/node), which appends a stamped request to the node's
``cloud-api.log``; this follower reads it and, ``LATENCY_S`` after the request (platform APIs
answer at once and converge later), re-points the lab network to the asking node
(``Pair.assign_vip``) and records both facts as ``lab`` events. A request for another address
is recorded and refused, as the platform would refuse it.
"""

from __future__ import annotations

import threading

from harness.history import History
from harness.observers.logs import LogFollower

CLOUD_API_LOG = "/var/log/vipchaos/cloud-api.log"
#: how long the stand-in takes to move the address (cloud APIs: about 1-10 s)
LATENCY_S = 1.0


class CloudApi(LogFollower):
    name = "cloud-api"
    interval = 0.1
    paths = (CLOUD_API_LOG,)

    def __init__(self, history: History, pair) -> None:
        self.pair = pair
        self._timers: list[threading.Timer] = []
        super().__init__(history, pair.nodes)

    def line(self, node: str, path: str, line: str) -> None:
        stamp, _, rest = line.partition(" ")
        verb, _, address = rest.partition(" ")
        try:
            t = self.history.wall_to_t(float(stamp))
        except ValueError:
            return
        vip = self.pair.topology.vip
        if verb != "assign" or address.strip() != vip:
            self.history.add("lab", t=t, network="cloud", node=node,
                             detail=f"cloud API: refused {rest.strip()!r} (the pair's address "
                                    f"is {vip})")
            return
        self.history.add("lab", t=t, network="cloud", node=node,
                         detail=f"cloud API: {node} asks for {vip}")
        timer = threading.Timer(LATENCY_S, self._move, args=(node,))
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _move(self, node: str) -> None:
        try:
            mac = self.pair.assign_vip(self.pair.node(node))
            self.history.add("lab", network="cloud", node=node, mac=mac or "",
                             detail=f"cloud API: the network now delivers the VIP to {node}")
        except Exception as exc:
            self.error(node, exc)

    def close(self) -> None:
        for timer in self._timers:
            timer.join(timeout=LATENCY_S + 5)
