"""What watches a pair while a scenario runs, feeding its history.

The facts verdicts stand on come from streams stamped at their source, recorded outside this
process or read from files their writers stamped: the kernel's address events of each node's
namespace (``addresses.AddressStream``), keepalived's own log, the node supervisor's service log
and mysqld's error log (``logs``). Pollers (``samplers``) cross-check them and add what no
stream says (processes, replication channels, the client's ARP entry). On the cloud network
profile one more follower acts: the platform's address API, stood in for (``cloudapi``).
"""

from __future__ import annotations

from harness.history import History
from harness.observers.addresses import AddressStream
from harness.observers.base import Observer
from harness.observers.cloudapi import CloudApi
from harness.observers.logs import KeepalivedLog, MysqldLog, ServiceLog
from harness.observers.samplers import ArpWatcher, ProcSampler, ReplSampler, VipProber


def start_observers(history: History, pair) -> list[Observer]:
    """Every observer of a pair, started; stop them with ``stop_observers``."""
    obs: list[Observer] = [
        KeepalivedLog(history, pair.nodes), ServiceLog(history, pair.nodes),
        MysqldLog(history, pair.nodes), AddressStream(history, pair.nodes, pair.topology.vip),
        VipProber(history, pair.nodes), ProcSampler(history, pair.nodes),
        ReplSampler(history, pair.nodes, pair.channels, getattr(pair, "write_table", ""))]
    if getattr(pair, "network", None) is not None:
        obs.append(ArpWatcher(history, pair.nodes, pair.topology.vip, pair.network.host_link))
    if getattr(getattr(pair, "bundle", None), "network", "lan") == "cloud":
        obs.append(CloudApi(history, pair))  # the platform's address API, stood in for
    return [o.start() for o in obs]


def stop_observers(observers: list[Observer]) -> None:
    """Stop them all (each records its last round, then releases what it holds)."""
    for o in observers:
        o._stop.set()
    for o in observers:
        o.stop()


__all__ = ["AddressStream", "ArpWatcher", "CloudApi", "KeepalivedLog", "MysqldLog", "Observer",
           "ProcSampler", "ReplSampler", "ServiceLog", "VipProber", "start_observers",
           "stop_observers"]
