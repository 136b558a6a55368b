"""Seeded exploration: a nemesis for this architecture (after Jepsen's).

``vipchaos explore --seed S --duration 10m --config B`` keeps one pair busy with *episodes*
drawn from the seed: one to three distinct faults from the catalogue (or the bundle's own
``faults``), each on the owner or the standby of that moment, started at drawn times (they may
overlap, except a whole-node fault, which never shares its window), held for a drawn time up to
the config's migration bound + 2 s, and half the time the runbook's restore of the last faulted
node afterwards; the workload is plain inserts or MAX()+1 ticket numbers. Each episode is a
``Scenario`` run by ``run_scenario`` like every suite: observers and writer run through the whole
episode, the history is judged by the same checkers and the bundle's accepted risks.

An episode with an invariant FAIL (not accepted by a risk) is a *violation*. At the end each one
is *shrunk* on the same pair (``shrink``): steps are dropped and holds halved as long as the
smaller timeline still shows the same violation (its first violated invariant, with a finding
in common), within a budget of runs. The smallest timeline is written out as an incident file
(``incidents/explore-<seed>-<n>.yaml`` under the run) declaring every violated invariant with
the findings seen, then replayed N times: the file records its rate (``reproduced: 2 of 3
replays``), and the episode "replays to the same verdict" when every replay did. Many findings
are races, and a rate says so better than a yes. Unknown verdicts are counted as unknown,
never as a pass nor as a violation. An accepted risk that did not happen in an episode is not a
finding here (random episodes often do not provoke it).

The draws depend only on the seed and the fault pool, so the same seed gives the same episodes;
what the pair does with them is what is being explored.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from harness.api import prepare, setup_failure
from harness.exitcodes import EXIT_PASS, EXIT_UNKNOWN, EXIT_VIOLATION
from harness.expectations import Expectation
from harness.faults import CATALOGUE, fault_class
from harness.files import write_atomic, write_json
from harness.judge import applicable
from harness.replay import load_incident, scenario_of
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
    replay: str | None = None  # same verdict | ... in k of N replays | not replayed
    duration_s: float = 0.0
    shrunk: str | None = None  # "5 -> 2 steps"
    shrink_runs: int = 0
    reproduced: str | None = None  # "2 of 3 replays"


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
                  index: int, command: str, shrunk_from: int | None = None,
                  reproduced: str | None = None) -> str:
    """The episode as an incident file: its timeline, and every invariant it violated as an
    expectation (``when: anytime``) naming the findings seen (the first one required, the
    others allowed), so a replay that shows the same violations is accepted and one that does
    not is a failure. A violation a bundle risk accepted only as an intermittent race stays
    intermittent."""
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
            if v.signature:
                item["signature"] = v.signature[:1]
                if v.signature[1:]:
                    item["consequences"] = v.signature[1:]
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
            + (". The timeline is the episode's, step for step" if shrunk_from is None else
               f". The timeline is the smallest of the episode's that still showed it "
               f"({len(scenario.steps)} of its {shrunk_from} steps, holds shortened where that "
               f"kept it)")
            + "; targets are roles at the moment of each step, as in the episode. Verdicts: "
            + "; ".join(f"{k}: {s}" for k, s in sorted(per.items())) + "."),
        "evidence": [r for r in result.judgement.reasons if ": FAIL" in r][:5] or ["-"],
        "bundle": bundle,
        "workload": {"rate": scenario.rate, "mode": scenario.mode},
        "timeline": [step_dict(s) for s in scenario.steps],
        "expect": expect,
    }
    if reproduced:
        doc["reproduced"] = reproduced
    return yaml.safe_dump(doc, sort_keys=False, width=100, allow_unicode=True)


# --- shrinking a finding ------------------------------------------------------------------------
def primary(result: Result) -> tuple[str, set[str]] | None:
    """The violation a finding is about: its first invariant FAIL (no risk accepts it) and that
    verdict's findings."""
    per = result.judgement.per_invariant
    v = next((v for v in result.verdicts if per.get(v.invariant) == "FAIL"), None)
    return None if v is None else (v.invariant, set(v.signature))


def shows(result: Result, target: tuple[str, set[str]]) -> bool:
    """Whether ``result`` shows the same violation: that invariant FAILs, with a finding in
    common (or none named by either)."""
    invariant, found = target
    per = result.judgement.per_invariant
    if per.get(invariant) != "FAIL":
        return False
    v = next(v for v in result.verdicts if v.invariant == invariant)
    return not found or bool(found & set(v.signature))


def smaller(scenario: Scenario) -> Iterator[Scenario]:
    """Candidates one step simpler, smallest change first: each fault or action dropped (a
    restore with the barrier waiting for it), then each fault's hold halved (1 s at least)."""
    steps = scenario.steps
    for i, step in enumerate(steps):
        if step.at is None or not (step.fault or step.action):
            continue
        drop = {i} | ({i + 1} if step.action and i + 1 < len(steps) and steps[i + 1].at is None
                      else set())
        rest = [s for j, s in enumerate(steps) if j not in drop]
        if any(s.fault for s in rest):
            yield _rebase(scenario, rest)
    for i, step in enumerate(steps):
        if step.fault and step.duration and step.duration > 1.0:
            shorter = replace(step, duration=max(1.0, _half(step.duration / 2)))
            yield _rebase(scenario, [shorter if j == i else s for j, s in enumerate(steps)])


def _rebase(scenario: Scenario, steps: list[Step]) -> Scenario:
    """The steps with the first timed one at 0 (the gaps between them kept)."""
    first = min((s.at for s in steps if s.at is not None), default=0.0)
    return replace(scenario, steps=[replace(s, at=None if s.at is None else _half(s.at - first))
                                    for s in steps])


def shrink(pair, scenario: Scenario, result: Result, run_dir: Path,
           budget: int = 6) -> tuple[Scenario, Result, int]:
    """The smallest timeline found (within ``budget`` runs) that still shows ``result``'s
    violation, greedily: take the first simpler candidate that shows it, start over from it.
    Returns (scenario, its result, runs spent)."""
    target = primary(result)
    if target is None:
        return scenario, result, 0
    spent = 0
    improved = True
    while improved and spent < budget:
        improved = False
        for candidate in smaller(scenario):
            if spent >= budget:
                break
            spent += 1
            try:
                got = run_episode(pair, candidate, run_dir / safe_name(
                    f"shrink-{scenario.name[:40]}-{spent}"))
            except Exception as exc:  # the pair broke: this candidate says nothing
                log.warning("shrink run %d: %s", spent, str(exc).splitlines()[0][:200])
                continue
            if shows(got, target):
                log.info("shrink: %d -> %d steps still shows %s", len(scenario.steps),
                         len(candidate.steps), target[0])
                scenario, result, improved = candidate, got, True
                break
    return scenario, result, spent


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

    def exit_status(self) -> int:
        """1 when a violation was found, 2 when something stayed unknown (or nothing ran),
        0 when every episode held."""
        counts = self.counts()
        if counts.get("violation"):
            return EXIT_VIOLATION
        if counts.get("unknown") or counts.get("error") or not counts.get("ok"):
            return EXIT_UNKNOWN
        return EXIT_PASS

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
                             + (f"; shrunk {e.shrunk}; incident {e.incident}; replay: "
                                f"{e.replay}" if e.incident else ""))
                lines += [f"      {r[:200]}" for r in e.reasons if "FAIL" in r or "unknown" in r]
        return "\n".join(lines)


def run_episode(pair, scenario: Scenario, out_dir: Path) -> Result:
    """Put the pair in its intended state, then run the episode like any suite scenario (a
    pair that cannot get there gives that attempt's FAIL, as a test would)."""
    if prepare(pair) is not None:
        return setup_failure(pair, scenario.name, out_dir)
    return run_scenario(pair, scenario, out_dir)


def fault_pool(bundle, faults: list[str] | None) -> list[str]:
    """The faults to draw from: the ones given, else the bundle's own selection, else all."""
    chosen = faults or list(getattr(bundle, "faults", None) or [])
    return sorted(chosen or CATALOGUE)


def explore(pair, *, seed: int, duration_s: float, run_dir: Path, bundle_ref: str,
            faults: list[str] | None = None, replay: bool = True, replays: int = 3,
            shrink_budget: int = 6, command: str = "vipchaos explore") -> Exploration:
    """Draw and run episodes on ``pair`` until ``duration_s`` has passed (the episode
    running then finishes); then shrink each violating one, write it out as an incident file
    and replay it ``replays`` times on the same pair, recording the rate. Results land in
    ``run_dir`` (one directory per episode, ``explore.json``)."""
    rng = random.Random(seed)
    bound = pair.bundle.migration_bound_s()
    risks = list(getattr(pair.bundle, "risks", []))
    pool = fault_pool(pair.bundle, faults)
    ex = Exploration(seed, pair.bundle.name, duration_s, list(pool), run_dir=str(run_dir))
    inc_dir = run_dir / "incidents"
    found: dict[int, tuple[Scenario, Result]] = {}
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
                found[index] = (sc, result)
        ep.duration_s = round(time.monotonic() - t0, 1)
        log.info("episode %d: %s", index, ep.status)
        ex.episodes.append(ep)
        _save(ex, run_dir)
    for ep in ex.episodes:
        if ep.index not in found:
            continue
        sc, result = found[ep.index]
        steps_before = len(sc.steps)
        if replay:
            sc, result, ep.shrink_runs = shrink(pair, sc, result, run_dir, shrink_budget)
        ep.shrunk = f"{steps_before} -> {len(sc.steps)} steps"
        inc_dir.mkdir(parents=True, exist_ok=True)
        path = inc_dir / f"explore-{seed}-{ep.index:03d}.yaml"
        text = dict(bundle=bundle_ref, seed=seed, index=ep.index, command=command,
                    shrunk_from=steps_before)
        write_atomic(path, incident_text(sc, result, **text))
        ep.incident = str(path)
        if not replay:
            ep.replay = "not replayed"
            _save(ex, run_dir)
            continue
        inc = load_incident(path)
        replayed = scenario_of(inc, path.stem)
        outcomes = []
        for n in range(1, replays + 1):
            try:
                got = run_episode(pair, replayed, run_dir / safe_name(f"replay-{n}-{path.stem}"))
            except Exception as exc:
                outcomes.append(f"error: {str(exc).splitlines()[0][:120]}")
            else:
                outcomes.append("same" if got.judgement.ok else got.outcome)
        same = outcomes.count("same")
        ep.reproduced = f"{same} of {len(outcomes)} replays"
        write_atomic(path, incident_text(sc, result, **text, reproduced=(
            f"{ep.reproduced} on the pair that found it (`{command}`)")))
        ep.replay = "same verdict" if same == len(outcomes) else \
            f"same verdict in {same} of {len(outcomes)} replays ({', '.join(outcomes)})"
        log.info("episode %d: shrunk %s; replays: %s", ep.index, ep.shrunk, ep.replay)
        _save(ex, run_dir)
    return ex


def _save(ex: Exploration, run_dir: Path) -> None:
    write_json(run_dir / "explore.json", ex.to_dict(), indent=1)

