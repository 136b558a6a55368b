"""Replay an incident file against a fresh pair and judge it against its expectation."""

from __future__ import annotations

import logging
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import logmatch, report, timeline
from harness.api import bring_up, setup_failure
from harness.bundle import load_bundle
from harness.engine import Engine
from harness.expectations import Expectation
from harness.files import write_json
from harness.images import ensure_node
from harness.incident import load_incident
from harness.results import Result, safe_name
from harness.scenario import Scenario, Step, run_scenario
from harness.validate import validate_or_raise

log = logging.getLogger("vipchaos")


@dataclass
class Replay:
    ok: bool
    reasons: list[str]
    result: Result
    report: Path | None  # None: the session writes the report (a replay on a suite's pair)
    incident: Any = None
    logs: list[logmatch.Match] = field(default_factory=list)  # the source's log, compared


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48]


def incident_expectations(inc) -> list[Expectation]:
    return list(inc.expectations)


def scenario_of(inc, name: str) -> Scenario:
    """The incident's timeline and expectations as a scenario (replay and explore)."""
    return Scenario(
        name=slug(name), rate=inc.rate, mode=inc.mode, duration=inc.duration,
        steps=[Step(s.at, s.fault, s.target, s.duration, s.params, action=s.action, when=s.when,
                    heal_when=s.heal_when, timeout=s.timeout, never=s.never) for s in inc.steps],
        expectations=incident_expectations(inc),
    )


def pooled_bundle(path: str | Path) -> str | None:
    """The bundle an incident can be replayed on with a suite's pair of it (a shipped name or
    a directory), or None when the file changes the topology (``overrides``): a pair of its
    own then."""
    inc = load_incident(path)
    return None if inc.overrides else str(inc.bundle_ref())


def replay(path: str | Path, run_dir: Path | None = None, subnet: str | None = None,
           pair=None) -> Replay:
    """Run the incident's timeline and judge the verdicts against its ``expect``.

    Alone (``vipchaos replay``): a fresh pair of the incident's bundle (on ``subnet`` if given),
    torn down after, and the run's report written. Given ``pair`` (the suites: a pair of
    that bundle, already validated and reset to its intended state, as every chaos test
    starts): the timeline runs on it and the session writes the report."""
    inc = load_incident(path)
    run_dir = run_dir or Path("runs") / f"replay-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    scenario = scenario_of(inc, Path(path).stem)
    own = pair is None
    if own:
        bundle = load_bundle(inc.bundle_ref(), inc.overrides)
        engine = Engine()
        image, _ = ensure_node(engine, log=log.info, platform=bundle.platform)
        validate_or_raise(bundle, engine, image, say=log.warning)
    log.info("replaying %r on bundle %s (source: %s)", inc.name,
             (bundle if own else pair.bundle).name, inc.source)
    if own:
        pair = bring_up(engine, image, bundle, subnet=subnet)
    out = run_dir / safe_name(f"{pair.bundle.name}-{scenario.name}")
    try:  # the pair is up already: `with pair` would boot it a second time
        if pair.setup_history is not None:  # it never came up as intended: that is the FAIL
            result = setup_failure(pair, scenario.name, out)
        else:
            result = run_scenario(pair, scenario, out)
    finally:
        if own:
            pair.down()
    j = result.judgement
    judged = {v.invariant for v in result.verdicts}
    unjudged = [f"{e.invariant}: the incident expects it ({e.where}) but this run does not "
                "judge it" for e in scenario.expectations if e.invariant not in judged]
    logs = compare_logs(inc, result, pair)
    unseen = [f"logs: {m.line.where}: the source's line {m.line.source!r} has no counterpart "
              f"on {m.line.node} (looked for {m.line.lab!r})" for m in logs if m.missing]
    html = report.write_all(run_dir)["html"] if own else None
    return Replay(j.ok and not unjudged and not unseen, j.reasons + unjudged + unseen, result,
                  html, inc, logs)


def compare_logs(inc, result: Result, pair) -> list[logmatch.Match]:
    """The incident's quoted log lines against the replay's history (saved beside it)."""
    if not inc.logs or result.out_dir is None:
        return []
    topo = pair.topology
    words = {"vip": topo.vip, "interface": topo.interface, "prefixlen": str(topo.prefixlen),
             **{n.name: n.ip for n in topo.nodes}}
    matches = logmatch.compare(inc.logs, result.events, words)
    write_json(result.out_dir / "logs.json",
               [{"node": m.line.node, "source": m.line.source, "lab": m.line.lab,
                 "why": m.line.why, "t": m.t, "text": m.text, "missing": m.missing}
                for m in matches], indent=1)
    return matches


def describe(rep: Replay) -> str:
    r, inc = rep.result, rep.incident
    lines = []
    if inc is not None:
        lines.append(f"{inc.name}\nsource: {inc.source}")
        symptom = getattr(inc.source_reports, "symptom", "")
        if symptom:
            lines.append(f"the source reports: {' '.join(str(symptom).split())}")
        if getattr(inc, "reconstruction", None):
            lines.append(f"our reconstruction: {' '.join(inc.reconstruction.split())}")
        lines.append("")
    lines += ["timeline (the incident file's clock; 0 = its timeline start):",
              timeline.render(r.events), ""]
    for v in r.verdicts:
        lines.append(f"  {v.invariant:13} {v.status:8} {v.summary}")
    status = r.judgement.status
    verdict = {"accepted": "reproduced as the file expects", "pass": "every invariant held",
               "skipped": "skipped"}.get(status, f"NOT as expected ({status})")
    if rep.logs:
        seen = sum(1 for m in rep.logs if m.t is not None)
        expected = sum(1 for m in rep.logs if m.line.lab is not None)
        lines += ["", f"the source's log against the lab's ({seen} of {expected} expected lines "
                  "seen):", logmatch.table(rep.logs)]
    lines.append(f"\noutcome: {verdict}")
    lines += [f"  - {why}" for why in r.judgement.reasons]
    for note in getattr(inc, "evidence", None) or []:
        lines.append(f"  look for: {note}")
    lines.append(f"report: {rep.report}")
    return "\n".join(lines)
