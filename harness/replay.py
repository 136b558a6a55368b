"""Replay an incident file against a fresh pair and judge it against its expectation."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from harness import report, timeline
from harness.cluster import Cluster
from harness.config import load_bundle, relocate
from harness.engine import Engine
from harness.images import ensure_node
from harness.incident import expected_violations, judge, load_incident
from harness.scenario import Result, Scenario, Step, progress, run_scenario
from harness.validate import validate_or_raise


@dataclass
class Replay:
    ok: bool
    reasons: list[str]
    result: Result
    report: Path


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48]


def replay(path: str | Path, run_dir: Path | None = None, say=progress,
           subnet: str | None = None) -> Replay:
    """Bring a pair up for the incident's bundle (on ``subnet`` if given), run its timeline,
    judge the verdicts against its ``expect``, write the report, tear the pair down."""
    inc = load_incident(path)
    bundle = load_bundle(inc.bundle_ref(), inc.overrides)
    if subnet:
        bundle = relocate(bundle, subnet)
    engine = Engine()
    image, _ = ensure_node(engine, log=say)
    validate_or_raise(bundle, engine, image, say=say)
    run_dir = run_dir or Path("runs") / f"replay-{time.strftime('%Y%m%d-%H%M%S')}"
    scenario = Scenario(
        name=slug(Path(path).stem), rate=inc.rate, mode=inc.mode, duration=inc.duration,
        steps=[Step(s.at, s.fault, s.target, s.duration, s.params) for s in inc.steps],
        expected_violations=expected_violations(inc),
    )
    say(f"replaying {inc.name!r} on bundle {bundle.name} (source: {inc.source})")
    with Cluster(engine, bundle, image, log=say) as cluster:
        result = run_scenario(cluster, scenario, run_dir / f"{bundle.name}-{scenario.name}",
                              say=say)
    ok, reasons = judge(inc.expect, result.verdicts) if not result.skipped \
        else (False, [f"skipped: {result.skipped}"])
    html = report.write_all(run_dir)["html"]
    return Replay(ok, reasons, result, html)


def describe(rep: Replay, expect: list[str]) -> str:
    r = rep.result
    lines = [timeline.render(r.history.events()), ""]
    for v in r.verdicts:
        lines.append(f"  {v.invariant:13} {v.status:8} {v.summary}")
    verdict = ("as expected" if rep.ok else "NOT as expected")
    lines.append(f"\nexpect {', '.join(expect)}: {verdict}")
    lines += [f"  - {why}" for why in rep.reasons]
    lines.append(f"report: {rep.report}")
    return "\n".join(lines)
