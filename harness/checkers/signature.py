"""The findings a violation is made of, as short phrases: a violation's *signature*.

An accepted risk (``risks.toml``) names the findings it accepts, so a different violation of the
same invariant is not accepted (the master stopping its own keepalived at boot is not the same
as keepalived disabling the checks and nobody holding the VIP). Every checker states its
findings with these builders; the judge matches them against the risk's patterns
(case-insensitive globs: ``check * failing on node1``). The vocabulary, by invariant:

- bring-up, redundancy: ``VIP held by nobody``, ``VIP held by node2`` (the wrong node),
  ``VIP held by node1+node2``, ``VRRP states BACKUP+BACKUP`` (not one MASTER and one BACKUP),
  ``keepalived stopped on node1``, ``check chk_mysql failing on node1``, ``check chk_mysql
  silent on node1`` (never reported: disabled by keepalived?), ``channel stopped on node1``,
  ``up late`` (as intended only after the bound);
- single_owner: ``dual ownership``;
- migration: ``VIP never moved off node1``, ``VIP moved only after the heal off node1``,
  ``no write through node2``, ``failover over the bound``, ``write gap over the bound``;
- service: ``no service after the heal of kill-mysqld``, ``no service after restore on node1``;
- flapping: ``unexplained MASTER on node1``, ``unexplained VIP take by node2``;
- origin: ``writes on a second master node2``;
- replication: ``applier error 1062 on node2`` (``applier error on node2`` without a number),
  ``receiver error on node1``, ``channel stopped on node1``, ``no channel on node1``,
  ``missing transactions on node1``, ``checksums differ``;
- writes: ``acknowledged writes lost``, ``writes duplicated``, ``failed writes applied``,
  ``errant writes``.
"""

from __future__ import annotations


def vip_held_by(owners: list[str]) -> str:
    return f"VIP held by {'+'.join(sorted(owners)) or 'nobody'}"


def vrrp_states(states: list[str]) -> str:
    return f"VRRP states {'+'.join(sorted(states))}"


def keepalived_stopped(node: str) -> str:
    return f"keepalived stopped on {node}"


def check_failing(script: str, node: str) -> str:
    return f"check {script} failing on {node}"


def check_silent(script: str, node: str) -> str:
    return f"check {script} silent on {node}"


def channel_stopped(node: str) -> str:
    return f"channel stopped on {node}"


UP_LATE = "up late"
DUAL_OWNERSHIP = "dual ownership"


def never_moved(nodes: list[str]) -> str:
    return f"VIP never moved off {'+'.join(nodes)}"


def moved_after_heal(nodes: list[str]) -> str:
    return f"VIP moved only after the heal off {'+'.join(nodes)}"


def no_write_through(node: str) -> str:
    return f"no write through {node}"


FAILOVER_OVER_BOUND = "failover over the bound"
GAP_OVER_BOUND = "write gap over the bound"


def no_service_after(what: str) -> str:
    return f"no service after the {what}" if what.startswith("heal") else \
        f"no service after {what}"


def unexplained(state: str, node: str) -> str:
    return f"unexplained VIP take by {node}" if state == "takes the VIP" else \
        f"unexplained {state} on {node}"


def second_master(node: str) -> str:
    return f"writes on a second master {node}"


def applier_error(node: str, errno: int | None) -> str:
    return f"applier error {errno} on {node}" if errno else f"applier error on {node}"


def receiver_error(node: str) -> str:
    return f"receiver error on {node}"


def no_channel(node: str) -> str:
    return f"no channel on {node}"


def missing_transactions(node: str) -> str:
    return f"missing transactions on {node}"


CHECKSUMS_DIFFER = "checksums differ"
WRITES_LOST = "acknowledged writes lost"
WRITES_DUPLICATED = "writes duplicated"
FAILED_APPLIED = "failed writes applied"
ERRANT = "errant writes"


def unique(phrases: list[str]) -> list[str]:
    """Each phrase once, in order."""
    return list(dict.fromkeys(phrases))
