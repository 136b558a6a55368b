"""Every shipped incident replays as its file says: a reproduction shows the declared
violations inside their windows (and nothing else), a fix shows every invariant holding.

An incident of a bundle as shipped replays on this worker's pair of that bundle, reset to its
intended state as before any chaos test, and is dealt out with that bundle's tests
(``on_pair``): a fresh bring-up per file cost 6-25 s each for nothing the reset does not give.
One that changes the topology (``overrides``) brings up a pair of its own, on a lab subnet of
its own. ``vipchaos replay`` always starts from a fresh pair."""

from pathlib import Path

import pytest

from harness.outcome import explain
from harness.replay import pooled_bundle, replay

INCIDENTS = sorted((Path(__file__).parent.parent / "incidents").glob("*.yaml"))


def _param(path: Path):
    bundle = pooled_bundle(path)
    return pytest.param(path, id=path.stem,
                        marks=[pytest.mark.on_pair(bundle)] if bundle else [])


@pytest.mark.chaos
@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", [_param(p) for p in INCIDENTS])
def test_incident_replays_as_expected(path, vipchaos_settings, record_result, request):
    on_pair = request.node.get_closest_marker("on_pair")
    pair = request.getfixturevalue("pair_of")(on_pair.args[0]) if on_pair else None
    rep = replay(path, vipchaos_settings.run_dir, subnet=None, pair=pair)
    record_result(rep.result.out_dir)
    assert rep.ok, f"{rep.incident.name} ({rep.incident.source}):\n" + \
        "\n".join(rep.reasons) + "\n" + explain(rep.result)
