"""Every shipped incident replays as its file says: a reproduction shows the declared
violation (and nothing else), a fix shows every invariant holding.

Replays bring up their own pair; they run on a second lab subnet so they can share a session
with the suites' pair."""

from pathlib import Path

import pytest

from harness.incident import load_incident
from harness.replay import replay

INCIDENTS = sorted((Path(__file__).parent.parent / "incidents").glob("*.yaml"))


@pytest.mark.chaos
@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", INCIDENTS, ids=[p.stem for p in INCIDENTS])
def test_incident_replays_as_expected(path, vipchaos_settings):
    inc = load_incident(path)
    rep = replay(path, vipchaos_settings.run_dir, subnet="198.18.152.0/24")
    assert rep.ok, f"{inc.name} ({inc.source}):\n  " + "\n  ".join(rep.reasons)
