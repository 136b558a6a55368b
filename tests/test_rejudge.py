"""The history is the only input: stored runs of every scenario kind (bring-up, a single fault,
a sequence with runbook restores, lag at failover, an incident replay) give the same verdicts and
the same outcome when judged again from their history.jsonl alone, as `vipchaos check` does."""

import json
from pathlib import Path

import pytest

from harness.history import load
from harness.results import result_of

RUNS = sorted(p for p in (Path(__file__).parent / "fixtures" / "runs").iterdir() if p.is_dir())


@pytest.mark.parametrize("run", RUNS, ids=[p.name for p in RUNS])
def test_a_stored_run_is_judged_the_same_from_its_history(run):
    stored = json.loads((run / "result.json").read_text())
    again = result_of(load(run / "history.jsonl")).to_dict()
    assert again["outcome"] == stored["outcome"]
    assert [(v["invariant"], v["valid"], v["summary"]) for v in again["verdicts"]] == \
        [(v["invariant"], v["valid"], v["summary"]) for v in stored["verdicts"]]
    assert again["judgement"] == stored["judgement"]


def test_every_scenario_kind_is_covered():
    kinds = {json.loads((r / "result.json").read_text())["test"].split("-")[0] for r in RUNS}
    assert {"bring", "fail", "lag"} <= kinds and len(RUNS) >= 5


def test_replay_describes_a_stored_incident_run():
    """What `vipchaos replay` prints: the source's symptom, our reconstruction, the timeline,
    the verdicts and the outcome (this path crashed on a real replay once)."""
    from harness.incident import load_incident
    from harness.replay import Replay, describe
    root = Path(__file__).parent.parent
    inc = load_incident(root / "incidents" / "hung-mysqld.yaml")
    result = result_of(load(Path(__file__).parent / "fixtures" / "runs" / "seed-hung-mysqld"
                            / "history.jsonl"))
    text = describe(Replay(True, [], result, Path("runs/x/index.html"), inc))
    assert inc.source_reports.symptom.split()[0] in text
    assert "our reconstruction:" in text and "outcome: " in text and "report: runs/x" in text
    assert all(v.invariant in text for v in result.verdicts)
