"""The one judge: from a test's verdicts and its declared expectations to an outcome.

Everything that turns verdicts into pass/fail calls ``judge`` (the pytest outcome, incident
replay, summary.json, JUnit, HTML, the exit status), so the rules live here once:

- *unknown* is never a pass and never satisfies an expectation;
- a FAIL counts as expected only when an expectation names its invariant, applies to the test's
  faults, its ``signature`` (when it has one) covers every finding of the verdict (which node,
  which evidence: ``keepalived stopped on node1``, ``VIP held by nobody``, ``dual ownership``,
  ``applier error 1062 on node2``), and the verdict's evidence windows overlap the
  expectation's window (``when``): a different violation of the same invariant is a regression;
- a window is only ever the part of the run that was observed: one that opens after the
  observation ended (an ``after-heal`` window of a run that stopped early) was not observed, and
  a violation it might have covered is *unknown*, naming the window, never a FAIL "outside";
- an expectation whose invariant held is itself a failure ("no longer happens: remove it");
- combination is pessimistic (Jepsen): fail beats unknown beats accepted beats pass.

Expectation windows are computed from the history's own fault events, so a stored run is judged
again from its ``history.jsonl`` alone.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.checkers.query import observation_end
from harness.checkers.verdict import Verdict
from harness.expectations import Expectation
from harness.history import Event

#: Outcomes, worst first. ``error``: the test crashed before judging; ``accepted``: only
#: declared violations happened, as declared.
OUTCOMES = ("error", "fail", "unknown", "accepted", "pass", "skipped")


@dataclass
class Judgement:
    status: str  # one of OUTCOMES
    reasons: list[str] = field(default_factory=list)
    #: invariant -> pass | FAIL | unknown | accepted | stale (an expectation that held)
    per_invariant: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether a CI gate lets this through."""
        return self.status in ("pass", "accepted")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def applicable(expectations: Iterable[Expectation], faults: list[dict[str, Any]],
               scenario: str | None = None) -> list[Expectation]:
    """Expectations that apply to a test named ``scenario`` whose started faults are ``faults``
    (fault events)."""
    out = []
    for e in expectations:
        if e.scenario is not None and not fnmatch.fnmatchcase(scenario or "", e.scenario):
            continue
        if e.fault is None:
            out.append(e)
            continue
        if any(f.get("fault") == e.fault and (e.target is None or e.target in (
                f.get("target"), *f.get("nodes", []))) for f in faults):
            out.append(e)
    return out


def fault_windows(events: list[Event], settle_s: float) -> list[tuple[float, float, dict]]:
    """(start, heal + settle, start event) for each fault that really started; a fault never
    healed lasts to the end of the history."""
    end = max((e["t"] for e in events), default=0.0)
    starts = [e for e in events if e["kind"] == "fault" and e.get("phase") == "start"]
    out = []
    for s in starts:
        key = s.get("step", s.get("fault"))
        heal = next((e["t"] for e in events if e["kind"] == "fault" and e.get("phase") == "healed"
                     and e.get("step", e.get("fault")) == key and e["t"] >= s["t"]), None)
        out.append((s["t"], (heal if heal is not None else end) + settle_s, s))
    return out


def expectation_window(e: Expectation, events: list[Event], settle_s: float) -> \
        list[tuple[float, float]]:
    """Where the evidence of an expected violation must lie, as declared (a window may reach
    past the end of the observation, or open after it: ``observed_windows`` cuts them)."""
    end = max((ev["t"] for ev in events), default=0.0)
    wins = [(a, b, s) for a, b, s in fault_windows(events, settle_s)
            if e.fault is None or (s.get("fault") == e.fault and (e.target is None or e.target in (
                s.get("target"), *s.get("nodes", []))))]
    if e.when == "anytime":
        return [(0.0, end)]
    if e.when == "bring-up":
        first = min((a for a, _, _ in fault_windows(events, 0.0)), default=end)
        return [(0.0, first)]
    if e.when == "after-heal":
        return [(b, end) for _, b, _ in wins]
    return [(a, b) for a, b, _ in wins]


def observed_windows(e: Expectation, events: list[Event], settle_s: float) -> \
        tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """(observed, unobserved): the expectation's windows cut to the observation (which ends at
    the final state), and those that open only after it ended. Never an inverted window."""
    end = observation_end(events)
    seen, unseen = [], []
    for a, b in expectation_window(e, events, settle_s):
        if a > end:
            unseen.append((a, b))
        else:
            seen.append((a, min(b, end)))  # b >= a always: never inverted
    return seen, unseen


def _overlaps(windows: list[list[float]], allowed: list[tuple[float, float]]) -> bool:
    """Every window of the violation touches an accepted window (a second, unrelated
    violation long after the heal is not covered by the first one's acceptance); closed
    intervals: touching at one instant counts."""
    return bool(windows) and all(any(a <= wb and wa <= b for a, b in allowed)
                                 for wa, wb in windows)


def _spans(windows) -> str:
    return ", ".join(f"{a:.1f}-{b:.1f}s" for a, b in windows)


def _decide_fail(v: Verdict, declared: list[Expectation], events: list[Event],
                 settle_s: float) -> tuple[str, str]:
    """A FAIL verdict against the risks declared for its invariant: (state, reason)."""
    findings = list(v.signature)
    matching = [e for e in declared if e.covers(findings)]
    if not matching:
        sigs = "; ".join(p for e in declared for p in e.signature) or "anything"
        seen = "; ".join(findings) or "no finding named"
        return "FAIL", (f"{v.invariant}: FAIL, not the accepted risk (it accepts: {sigs}; "
                        f"seen: {seen}; {declared[0].where or declared[0].reason}): {v.summary}")
    allowed: list[tuple[float, float]] = []
    unobserved: list[tuple[float, float, Expectation]] = []
    for e in matching:
        seen, unseen = observed_windows(e, events, settle_s)
        allowed += seen
        unobserved += [(a, b, e) for a, b in unseen]
    if v.windows and _overlaps(v.windows, allowed):
        return "accepted", f"{v.invariant}: accepted: {v.summary} ({matching[0].reason})"
    if unobserved:
        a, _, e = unobserved[0]
        return "unknown", (f"{v.invariant}: unknown: the accepted window {e.when} (from "
                           f"{a:.1f}s) was never observed: the run ended at "
                           f"{observation_end(events):.1f}s ({e.where or e.reason}); seen "
                           f"{_spans(v.windows) or 'no window'}: {v.summary}")
    return "FAIL", (f"{v.invariant}: FAIL outside the accepted window ({matching[0].when}: "
                    f"{_spans(allowed) or 'none'}; seen {_spans(v.windows) or 'no window'}): "
                    f"{v.summary}")


def judge(verdicts: list[Verdict], expectations: Iterable[Expectation], events: list[Event],
          *, settle_s: float, skipped: str | None = None) -> Judgement:
    """Decide one test's outcome. ``settle_s`` is how long after a heal a violation still
    counts as the fault's (the config's master-down interval, from the run event)."""
    if skipped:
        return Judgement("skipped", [skipped])
    if not verdicts:
        return Judgement("unknown", ["no verdict at all: nothing was judged"])
    faults = [e for e in events if e["kind"] == "fault" and e.get("phase") == "start"]
    scenario = next((e.get("scenario") for e in events if e["kind"] == "run"), None)
    judged = {v.invariant for v in verdicts}
    # a risk on an invariant this test does not judge (redundancy in a single-fault test)
    # says nothing about it
    exp = [e for e in applicable(expectations, faults, scenario) if e.invariant in judged]
    by_inv: dict[str, list[Expectation]] = {}
    for e in exp:
        by_inv.setdefault(e.invariant, []).append(e)
    per: dict[str, str] = {}
    reasons: list[str] = []
    for v in verdicts:
        declared = by_inv.get(v.invariant, [])
        if v.valid is None:
            per[v.invariant] = "unknown"
            why = v.summary if v.summary.startswith("unknown") else f"unknown: {v.summary}"
            reasons.append(f"{v.invariant}: {why}")
        elif v.valid:
            if declared and all(e.intermittent for e in declared):
                per[v.invariant] = "pass"
                reasons.append(f"{v.invariant}: held this time (an intermittent accepted risk: "
                               f"{declared[0].reason})")
            elif declared:
                per[v.invariant] = "stale"
                reasons.append(f"{v.invariant}: accepted risk no longer happens: remove it "
                               f"({declared[0].where or declared[0].reason})")
            else:
                per[v.invariant] = "pass"
        elif not declared:
            per[v.invariant] = "FAIL"
            reasons.append(f"{v.invariant}: FAIL: {v.summary}")
        else:
            per[v.invariant], why = _decide_fail(v, declared, events, settle_s)
            reasons.append(why)
    states = set(per.values())
    if "FAIL" in states or "stale" in states:
        status = "fail"
    elif "unknown" in states:
        status = "unknown"
    elif "accepted" in states:
        status = "accepted"
    else:
        status = "pass"
    return Judgement(status, reasons, per)


def gate(statuses: Iterable[str], *, executed: int | None = None) -> tuple[bool, str]:
    """The CI gate over a run: (passes, why). Nothing executed never passes."""
    statuses = list(statuses)
    if executed == 0 or not statuses:
        return False, "no chaos test executed"
    worst = min(statuses, key=OUTCOMES.index)
    if all(s == "skipped" for s in statuses):
        return False, "every test was skipped"
    if worst in ("fail", "unknown", "error"):
        counts = {s: statuses.count(s) for s in set(statuses) if s not in ("pass", "accepted",
                                                                         "skipped")}
        return False, ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    return True, f"{statuses.count('pass')} pass, {statuses.count('accepted')} accepted, " \
                 f"{statuses.count('skipped')} skipped"
