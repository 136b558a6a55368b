"""Where the shipped bundles really violate an invariant, and why.

Each entry is an observed, explained behaviour of real keepalived and MySQL; the suites mark
those tests ``xfail(strict=True, raises=InvariantViolated)``. Every test starts with the VIP on
the highest-priority node (``Cluster.prefer_owner``), so "owner" and "standby" mean the same
thing in every run: only the declared invariant may
fail (anything else is a real failure), and the test turns red if the violation stops
happening. A user's own bundle (``--vipchaos-config``) has no entries: every invariant must hold.
"""

from __future__ import annotations

FROZEN = ("a frozen node keeps the VIP configured and its kernel still answers ARP; no check "
          "can run inside it, so the peer takes over after the master-down interval and both "
          "hold the VIP until unpause (only fencing could prevent it)")
VRRP_CUT = ("neither node hears the other: the standby becomes MASTER after the master-down "
            "interval while the owner keeps the VIP, split brain until the link heals "
            "(no health check can tell a lost advert from a dead peer)")
ONE_WAY = ("the lower-priority standby stops hearing the owner and becomes MASTER; the owner "
           "still hears it but ignores adverts of lower priority and stays MASTER. (Were the "
           "standby the higher priority, the owner would step down: a clean handover.)")

EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("seed", "freeze-mysqld"): {
        "migration": "the tutorial's check calls mysql with no timeout: it hangs on a frozen "
                     "mysqld, keepalived times it out, and a weight-only failure with nopreempt "
                     "never moves the VIP"},
    ("seed", "pause-node"): {"single_owner": FROZEN},
    ("seed", "isolate-node"): {
        "single_owner": "the isolated owner cannot tell it is cut off (no reachability check), "
                        "keeps the VIP, and the peer takes it too"},
    ("seed", "block-vrrp"): {"single_owner": VRRP_CUT},
    ("seed", "one-way-partition"): {"single_owner": ONE_WAY},
    ("hardened", "pause-node"): {"single_owner": FROZEN},
    ("hardened", "block-vrrp"): {"single_owner": VRRP_CUT},
    ("hardened", "one-way-partition"): {"single_owner": ONE_WAY},
}


def expected(bundle: str, fault: str) -> dict[str, str]:
    return EXPECTED.get((bundle, fault), {})
