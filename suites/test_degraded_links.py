"""Degraded links: random loss on the owner's link; latency where the kernel allows it."""

import pytest

from harness.outcome import assert_outcome


@pytest.mark.chaos
@pytest.mark.fault("lossy-link")
def test_lossy_link_on_owner(chaos):
    assert_outcome(chaos("lossy-link", target="owner", probability=0.3))


@pytest.mark.chaos
@pytest.mark.fault("delay-link")
def test_delay_link_on_owner(chaos):
    """Skipped with the reason on kernels without netem (this machine's)."""
    assert_outcome(chaos("delay-link", target="owner", delay_ms=200))


@pytest.mark.chaos
@pytest.mark.fault("cpu-starvation")
def test_cpu_starvation_on_owner(chaos):
    """5 % of one CPU with a busy loop competing: adverts and checks run late; no flapping
    beyond what the fault explains, service goes on."""
    assert_outcome(chaos("cpu-starvation", target="owner", cpu=0.05))
