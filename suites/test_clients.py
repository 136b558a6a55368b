"""What the application sees (harness.clients): the router, pool, pool-with-pre-ping and
reader profiles beside the direct writer, through one failover of the hardened pair. Each profile
must have been observed before and after the fault, and its client-visible downtime measured
(a profile that never recovered is a finding, not a pass). `make test` runs this one test;
`vipchaos run --clients router,pool,pool-ping,reader` runs every chaos test with them."""

import pytest

from harness.api import run_fault
from harness.outcome import assert_outcome
from harness.results import safe_name

PROFILES = ["direct", "router", "pool", "pool-ping", "reader"]


@pytest.mark.chaos
@pytest.mark.bundle("hardened")
@pytest.mark.fault("kill-mysqld")
@pytest.mark.timeout(300)
def test_every_client_profile_sees_the_failover(pair, vipchaos_settings, record_result):
    out = vipchaos_settings.run_dir / safe_name(f"{pair.bundle.name}-clients-kill-mysqld")
    record_result(out)
    result = run_fault(pair, "kill-mysqld", "owner", out_dir=out, clients=PROFILES)
    assert_outcome(result)
    seen = result.to_dict()["clients"]
    assert sorted(seen) == sorted(PROFILES), f"profiles observed: {sorted(seen)}"
    for profile, f in seen.items():
        assert f["ok"] > 0, f"{profile}: no successful operation at all ({f})"
        assert f["recovered"] and f["downtime_s"] is not None, \
            f"{profile}: no successful operation after the fault ({f})"
    assert seen["reader"]["reads"] > 0
    # the router's ARP entry was watched and followed the VIP to its new owner
    assert seen["router"]["arp_changes"] >= 1 and seen["router"]["arp_lag_s"] is not None, \
        f"router: its ARP entry never pointed at the new owner ({seen['router']})"
