"""Replication lag at failover (the tutorial's third caveat): the standby falls behind under
write load (its applier stalled, or the binlog stream shaped to 16 kbit/s), then the owner's
mysqld dies. The migration verdict records the backlog at promotion (retrieved but not executed
on the new owner the instant it took the VIP) and classifies each acknowledged write it did not
hold then: arrived late, conflicting, or lost."""

import pytest

from harness.outcome import assert_outcome
from harness.results import safe_name
from harness.scenario import Scenario, Step, run_scenario

CASES = [("stall-applier", "standby", "insert"), ("stall-applier", "standby", "next-number"),
         ("slow-replication", "owner", "insert")]


@pytest.mark.chaos
@pytest.mark.fault("kill-mysqld")
@pytest.mark.timeout(300)
@pytest.mark.parametrize(("stall", "target", "mode"), CASES,
                         ids=[f"{s}-{m}" for s, _, m in CASES])
def test_lag_at_failover(pair, stall, target, mode, vipchaos_settings, record_result):
    bound = pair.bundle.migration_bound_s()
    sc = Scenario(
        name=f"lag-{stall}-{mode}-kill-mysqld",
        mode=mode,
        steps=[Step(0, stall, target, bound + 12),
               Step(6, "kill-mysqld", "owner", bound + 1, heal_once_moved=True)],
        expectations=list(getattr(pair.bundle, "risks", [])),
    )
    out = vipchaos_settings.run_dir / safe_name(f"{pair.bundle.name}-{sc.name}")
    record_result(out)
    result = run_scenario(pair, sc, out)
    assert_outcome(result)
    # the point of this suite is the figure: a failover whose lag was not observed (no
    # promotion sample) must not pass as if it had been
    lag = result.to_dict()["lag"]
    assert lag and lag.get("backlog_at_promotion") is not None, \
        f"no lag at promotion recorded for the failover (migration metrics: {lag})"
