"""Bring-up is a scenario: the pair as its operator intends it, within a bound from the config.

The booted_pair fixture boots each bundle's pair once per worker (mysqld with its accounts,
replication wired, then keepalived, as a production host boots) and records it; this test judges
that recording like any fault: exactly one VIP owner, the highest-priority node, keepalived and
every check passing on both, both channels running. A bundle that declares a bring-up violation
in risks.toml gets it accepted only if it really happens, as declared."""

import pytest

from harness.outcome import assert_outcome


@pytest.mark.chaos
def test_bringup(booted_pair, record_result):
    result = booted_pair.bringup_result
    record_result(result.out_dir)
    assert_outcome(result)
