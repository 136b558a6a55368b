"""Every shipped incident replays as its file says: a reproduction shows the declared
violations inside their windows (and nothing else), a fix shows every invariant holding.

Replays bring up their own pair; they run on a lab subnet of their own so they can share a
session with the suites' pairs."""

from pathlib import Path

import pytest

from harness.expect import explain
from harness.incident import load_incident
from harness.replay import replay

INCIDENTS = sorted((Path(__file__).parent.parent / "incidents").glob("*.yaml"))


@pytest.mark.chaos
@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", INCIDENTS, ids=[p.stem for p in INCIDENTS])
def test_incident_replays_as_expected(path, vipchaos_settings, record_result):
    inc = load_incident(path)
    rep = replay(path, vipchaos_settings.run_dir, subnet=None)
    record_result(rep.result.out_dir)
    assert rep.ok, f"{inc.name} ({inc.source}):\n" + explain(rep.result)
