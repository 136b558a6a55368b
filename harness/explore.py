"""Seeded exploration: a nemesis for this architecture (after Jepsen's).

``vipchaos explore --seed S --duration 10m --config B`` keeps one pair busy with *episodes*
drawn from the seed: one to three distinct faults from the catalogue (or the bundle's own
``faults``), each on the owner or the standby of that moment, started at drawn times (they may
overlap, except a whole-node fault, which never shares its window), held for a drawn time up to
the config's migration bound + 2 s, and half the time the runbook's restore of the last faulted
node afterwards; the workload is plain inserts or MAX()+1 ticket numbers. Each episode is a
``Scenario`` run by ``run_scenario`` like every suite: observers and writer run through the whole
episode, the history is judged by the same checkers and the bundle's accepted risks.

An episode with an invariant FAIL (not accepted by a risk) is a *violation*: its timeline is
written out as an incident file (``incidents/explore-<seed>-<n>.yaml`` under the run) that
declares every violated invariant, and it is replayed on the same pair at the end: it "replays
to the same verdict" when the replay shows the same violations (outcome accepted). Unknown
verdicts are counted as unknown, never as a pass nor as a violation. An accepted risk that did
not happen in an episode is not a finding here (random episodes often do not provoke it).

The draws depend only on the seed and the fault pool, so the same seed gives the same episodes;
what the pair does with them is what is being explored.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.expectations import Expectation
from harness.faults import CATALOGUE, fault_class
from harness.judge import applicable
from harness.results import Result, safe_name
from harness.scenario import Scenario, Step, run_scenario

log = logging.getLogger("vipchaos.explore")  # the CLI shows this one at INFO

MODES = ("insert", "next-number")
RESTORE_CHANCE = 0.5


def _half(x: float) -> float:
    """Times on a 0.5 s grid: readable incident files."""
    return round(x * 2) / 2


def draw_scenario(rng: random.Random, pool: list[str], bound: float, index: int,
                  risks: list[Expectation] | None = None) -> Scenario:
    """One episode from the generator's next draws (``bound``: the bundle's migration bound)."""
    count = min(len(pool), rng.choice((1, 1, 2, 2, 3)))
    faults = rng.sample(sorted(pool), count)
    steps: list[Step] = []
    windows: list[tuple[float, float, bool]] = []  # start, end, whole node
    for i, name in enumerate(faults):
        whole = fault_class(name).whole_node
        hold = _half(rng.uniform(2.0, bound + 2.0))
        at = 0.0 if i == 0 else _half(steps[-1].at + rng.uniform(0, windows[-1][1]
                                                                  - windows[-1][0] + 2))
        target = rng.choice(("owner", "standby"))
        if any(a < at + hold and at < b and (whole or w) for a, b, w in windows):
            at = _half(max(b for _, b, _ in windows) + 1)  # a whole node never shares
        steps.append(Step(at, name, target, hold))
        windows.append((at, at + hold, whole))
    if rng.random() < RESTORE_CHANCE:
        steps.append(Step(_half(max(b for _, b, _ in windows) + 1), None, "last-faulted",
                          action="restore"))
        # then wait (up to the bound) for the pair to be redundant again, so the redundancy
        # verdict is judged rather than cut short by the end of the episode
        steps.append(Step(None, None, when="redundant", timeout=bound))
    mode = rng.choice(MODES)
    return Scenario(name=f"explore-{index:03d}-{'+'.join(faults)}", steps=steps, mode=mode,
                    expectations=list(risks or []))


@dataclass
class Episode:
    index: int
    scenario: str
    steps: list[dict[str, Any]]
    mode: str
    status: str  # ok | violation | unknown | skipped | error
    per_invariant: dict[str, str] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    incident: str | None = None
    replay: str | None = None  # same verdict | different verdict (outcome) | not replayed
    duration_s: float = 0.0


def classify(result: Result) -> str:
    """ok, violation (an invariant FAIL no risk accepts), unknown, or skipped. A declared risk
    that did not happen ("stale") is no finding in a random episode."""
    if result.outcome == "skipped":
        return "skipped"
    per = result.judgement.per_invariant
    if "FAIL" in per.values():
        return "violation"
    if "unknown" in per.values() or not per:
        return "unknown"
    return "ok"


def step_dict(step: Step) -> dict[str, Any]:
    """A step as an incident file writes it."""
    if step.at is None:  # a barrier
        return {"when": step.when, "timeout": f"{step.timeout:g}s"}
    d: dict[str, Any] = {"at": f"{step.at:g}s"}
    if step.fault:
        d |= {"fault": step.fault, "target": step.target, "for": f"{step.duration:g}s"}
    else:
        d |= {"action": step.action, "target": step.target}
    return d


def incident_text(scenario: Scenario, result: Result, *, bundle: str, seed: int,
                  index: int, command: str) -> str:
    """The episode as an incident file: its timeline, and every invariant it violated as an
    expectation (``when: anytime``), so a replay that shows the same violations is accepted
    and one that does not is a failure. A violation a bundle risk accepted only as an
    intermittent race stays intermittent."""
    faults = [e for e in result.events if e["kind"] == "fault" and e.get("phase") == "start"]
    risks = applicable(scenario.expectations, faults, scenario.name)
    per = result.judgement.per_invariant
    found = [v.invariant for v in result.verdicts if per.get(v.invariant) == "FAIL"]
    expect = []
    for v in result.verdicts:
        state = per.get(v.invariant)
        if state not in ("FAIL", "accepted"):
            continue
        declared = [r for r in risks if r.invariant == v.invariant]
        item: dict[str, Any] = {"invariant": v.invariant, "when": "anytime"}
        if state == "FAIL":
            item["reason"] = f"found by explore: {' '.join(v.summary.split())[:300]}"
        else:
            item["reason"] = f"an accepted risk of the bundle: {declared[0].reason}"[:400]
            if all(r.intermittent for r in declared):
                item["intermittent"] = True
        expect.append(item)
    doc = {
        "name": f"explore seed {seed}, episode {index}: {scenario.name.split('-', 2)[-1]} "
                f"on {bundle}",
        "source": command,
        "reconstruction": (
            f"Drawn by vipchaos explore (seed {seed}, episode {index}) and written out because "
            f"it violated {', '.join(found)}"
            f". The timeline is the episode's, step for step; targets are roles at the "
            f"moment of each step, as in the episode. Verdicts of the episode: "
            + "; ".join(f"{k}: {s}" for k, s in sorted(per.items())) + "."),
        "evidence": [r for r in result.judgement.reasons if ": FAIL" in r][:5] or ["-"],
        "bundle": bundle,
        "workload": {"rate": scenario.rate, "mode": scenario.mode},
        "timeline": [step_dict(s) for s in scenario.steps],
        "expect": expect,
    }
    return yaml.safe_dump(doc, sort_keys=False, width=100, allow_unicode=True)


@dataclass
class Exploration:
    seed: int
    bundle: str
    duration_s: float
    pool: list[str]
    episodes: list[Episode] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)  # fault -> why it left the pool
    run_dir: str = ""

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.episodes:
            out[e.status] = out.get(e.status, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"counts": self.counts()}

    def summary(self) -> str:
        lines = [f"explore seed {self.seed} on {self.bundle}: {len(self.episodes)} episodes in "
                 f"{self.duration_s:.0f} s: " + ", ".join(f"{n} {k}" for k, n in
                                                          sorted(self.counts().items()))]
        drawn: dict[str, int] = {}
        for e in self.episodes:
            for s in e.steps:
                if "fault" in s:
                    drawn[s["fault"]] = drawn.get(s["fault"], 0) + 1
        lines.append("faults drawn: " + ", ".join(f"{k} x{n}" for k, n in sorted(drawn.items())))
        for f, why in self.dropped.items():
            lines.append(f"left out {f}: {why}")
        for e in self.episodes:
            if e.status in ("violation", "unknown", "error"):
                lines.append(f"  #{e.index} {e.scenario} ({e.mode}): {e.status}"
                             + (f"; incident {e.incident}; replay: {e.replay}" if e.incident
                                else ""))
                lines += [f"      {r[:200]}" for r in e.reasons if "FAIL" in r or "unknown" in r]
        return "\n".join(lines)


def run_episode(pair, scenario: Scenario, out_dir: Path) -> Result:
    """Reset the pair, then run the episode like any suite scenario."""
    pair.reset()
    return run_scenario(pair, scenario, out_dir)


def fault_pool(bundle, faults: list[str] | None) -> list[str]:
    """The faults to draw from: the ones given, else the bundle's own selection, else all."""
    chosen = faults or list(getattr(bundle, "faults", None) or [])
    return sorted(chosen or CATALOGUE)


def explore(pair, *, seed: int, duration_s: float, run_dir: Path, bundle_ref: str,
            faults: list[str] | None = None, replay: bool = True,
            command: str = "vipchaos explore") -> Exploration:
    """Draw and run episodes on ``pair`` until ``duration_s`` has passed (the episode
    running then finishes), write violating ones out as incident files, replay each on the
    same pair. Results land in ``run_dir`` (one directory per episode, ``explore.json``)."""
    from harness.replay import load_incident, scenario_of
    rng = random.Random(seed)
    bound = pair.bundle.migration_bound_s()
    risks = list(getattr(pair.bundle, "risks", []))
    pool = fault_pool(pair.bundle, faults)
    ex = Exploration(seed, pair.bundle.name, duration_s, list(pool), run_dir=str(run_dir))
    inc_dir = run_dir / "incidents"
    started = time.monotonic()
    index = 0
    while time.monotonic() - started < duration_s and pool:
        index += 1
        sc = draw_scenario(rng, pool, bound, index, risks)
        t0 = time.monotonic()
        log.info("episode %d: %s (%s)", index, ", ".join(
            f"{s.fault or s.action} {s.target} at {s.at:g}s"
            + (f" for {s.duration:g}s" if s.duration else "") if s.at is not None
            else f"then until {s.when}" for s in sc.steps), sc.mode)
        ep = Episode(index, sc.name, [step_dict(s) for s in sc.steps], sc.mode, "error")
        try:
            result = run_episode(pair, sc, run_dir / safe_name(sc.name))
        except Exception as exc:  # the pair broke: recorded; the next reset rebuilds it
            ep.reasons = [f"error: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}"]
            log.warning("episode %d: %s", index, ep.reasons[0])
        else:
            ep.status = classify(result)
            ep.per_invariant = dict(result.judgement.per_invariant)
            ep.reasons = list(result.judgement.reasons)
            if ep.status == "skipped":
                skipped = [e for e in result.events if e["kind"] == "fault"
                           and e.get("phase") == "skipped"]
                for e in skipped:  # the machine cannot do it: leave it out, say why
                    if e["fault"] in pool:
                        pool.remove(e["fault"])
                        ex.dropped[e["fault"]] = e.get("detail", "unsupported")
            if ep.status == "violation":
                inc_dir.mkdir(parents=True, exist_ok=True)
                path = inc_dir / f"explore-{seed}-{index:03d}.yaml"
                path.write_text(incident_text(sc, result, bundle=bundle_ref, seed=seed,
                                              index=index, command=command))
                ep.incident = str(path)
        ep.duration_s = round(time.monotonic() - t0, 1)
        log.info("episode %d: %s", index, ep.status)
        ex.episodes.append(ep)
        _save(ex, run_dir)
    for ep in ex.episodes:
        if not ep.incident:
            continue
        if not replay:
            ep.replay = "not replayed"
            continue
        inc = load_incident(ep.incident)
        sc = scenario_of(inc, Path(ep.incident).stem)
        try:
            result = run_episode(pair, sc, run_dir / safe_name(f"replay-{sc.name}"))
        except Exception as exc:
            ep.replay = f"error: {str(exc).splitlines()[0][:200]}"
        else:
            differs = [r for r in result.judgement.reasons
                       if ": accepted: " not in r and "held this time" not in r]
            ep.replay = ("same verdict" if result.judgement.ok
                         else f"different verdict ({result.outcome}: "
                              + "; ".join(differs)[:300] + ")")
        log.info("replay of episode %d: %s", ep.index, ep.replay)
        _save(ex, run_dir)
    return ex


def _save(ex: Exploration, run_dir: Path) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "explore.json").write_text(json.dumps(ex.to_dict(), indent=1))

