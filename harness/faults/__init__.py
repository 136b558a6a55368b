"""The fault catalogue. ``make_fault(name, pair, target)`` builds one by name."""

from __future__ import annotations

from harness.catalogue import check_fault_name
from harness.faults.base import Fault, FaultNotVerified
from harness.faults.network import (
    BlockGateway,
    BlockReplication,
    BlockVrrp,
    DelayLink,
    IsolateNode,
    LossyLink,
    OneWayPartition,
    SlowReplication,
)
from harness.faults.node import CpuStarvation, CrashNode, PauseNode
from harness.faults.process import (
    FreezeMysqld,
    HangCheck,
    KillKeepalived,
    KillMysqld,
    StallApplier,
    StopKeepalived,
    StopMysqld,
)

CATALOGUE: dict[str, type[Fault]] = {f.name: f for f in (
    KillMysqld, StopMysqld, FreezeMysqld, KillKeepalived, StopKeepalived, PauseNode, CrashNode,
    IsolateNode, BlockVrrp, BlockReplication, OneWayPartition, LossyLink, HangCheck, DelayLink,
    CpuStarvation, SlowReplication, StallApplier, BlockGateway,
)}


def fault_class(name: str) -> type[Fault]:
    return CATALOGUE[check_fault_name(name)]


def make_fault(name: str, pair, target, **params) -> Fault:
    return fault_class(name)(pair, target, **params)


__all__ = ["CATALOGUE", "Fault", "FaultNotVerified", "fault_class", "make_fault"]
