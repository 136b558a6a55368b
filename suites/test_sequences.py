"""Sequences, as incidents happen: fail the owner, restore it by the runbook, fail the new
owner; and the standby failing while it is the standby, then restored. Judged for every
invariant, plus redundancy restored after each restore and service after every heal."""

import pytest

from harness.outcome import assert_outcome
from harness.results import safe_name
from harness.scenario import run_scenario
from harness.sequences import fail_restore_fail, standby_fail_restore

MUST_MOVE = ["kill-mysqld", "stop-mysqld", "freeze-mysqld", "crash-node", "pause-node",
             "isolate-node"]
STANDBY = ["kill-mysqld", "crash-node", "pause-node"]


def _run(pair, scenario, vipchaos_settings, record_result):
    out = vipchaos_settings.run_dir / safe_name(f"{pair.bundle.name}-{scenario.name}")
    record_result(out)
    return run_scenario(pair, scenario, out)


@pytest.mark.chaos
@pytest.mark.timeout(400)
@pytest.mark.parametrize("fault", MUST_MOVE)
def test_fail_restore_fail(pair, fault, vipchaos_settings, record_result):
    sc = fail_restore_fail(fault, pair.bundle.migration_bound_s(),
                           getattr(pair.bundle, "risks", []))
    assert_outcome(_run(pair, sc, vipchaos_settings, record_result))


@pytest.mark.chaos
@pytest.mark.timeout(300)
@pytest.mark.parametrize("fault", STANDBY)
def test_standby_fail_restore(pair, fault, vipchaos_settings, record_result):
    sc = standby_fail_restore(fault, pair.bundle.migration_bound_s(),
                              getattr(pair.bundle, "risks", []))
    assert_outcome(_run(pair, sc, vipchaos_settings, record_result))
