"""Degraded links: random loss on the owner's link; latency where the kernel allows it."""

import pytest
from expectations import expected

from harness.expect import assert_result


@pytest.mark.chaos
def test_lossy_link_on_owner(chaos, bundle_name):
    assert_result(chaos("lossy-link", target="owner", probability=0.3,
                        expected=expected(bundle_name, "lossy-link")))


@pytest.mark.chaos
def test_delay_link_on_owner(chaos, bundle_name):
    """Skipped with the reason on kernels without netem (this machine's)."""
    assert_result(chaos("delay-link", target="owner", delay_ms=200,
                        expected=expected(bundle_name, "delay-link")))
