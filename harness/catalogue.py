"""The names the bundle and incident layers validate against, without importing what they
name: fault families (``harness.faults`` implements them) and invariants (``harness.checkers``
judges them). Tests keep the two sides equal."""

from __future__ import annotations

import difflib

from harness.errors import ConfigError

FAULTS = ("kill-mysqld", "stop-mysqld", "freeze-mysqld", "kill-keepalived", "stop-keepalived",
          "pause-node", "crash-node", "isolate-node", "block-vrrp", "block-replication",
          "one-way-partition", "lossy-link", "hang-check", "delay-link", "cpu-starvation",
          "slow-replication", "stall-applier", "block-gateway")

#: invariants, in the order reports show them
INVARIANTS = ("bringup", "single_owner", "migration", "service", "redundancy", "flapping",
              "origin", "replication", "writes")


def check_fault_name(name: str) -> str:
    """``name`` if it is a fault of the catalogue; ConfigError naming the known ones (and the
    closest) otherwise."""
    if name not in FAULTS:
        close = difflib.get_close_matches(name, FAULTS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"unknown fault {name!r}{hint}; known faults: {', '.join(FAULTS)}")
    return name
