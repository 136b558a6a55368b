"""Turning a judged result into a pytest outcome (the judgement itself is ``harness.judge``).

pass -> the test passes; accepted (only declared violations happened, inside their windows)
-> xfailed with the declared reasons; fail or unknown -> a failure listing why; skipped (a fault
this kernel cannot do) -> skipped with the reason. An accepted risk that no longer happens is a
failure ("remove it"), so declarations cannot rot silently.
"""

from __future__ import annotations

import pytest

from harness.results import Result


def assert_outcome(result: Result) -> None:
    j = result.judgement
    if j.status == "skipped":
        pytest.skip("; ".join(j.reasons))
    if j.status == "accepted":
        pytest.xfail("; ".join(r for r in j.reasons if ": accepted: " in r))
    if j.status in ("fail", "unknown"):
        raise AssertionError(explain(result))


def explain(result: Result) -> str:
    lines = [f"{result.bundle}/{result.scenario}: {result.outcome}"]
    lines += [f"  {r}" for r in result.judgement.reasons]
    if result.out_dir:
        lines.append(f"  history: {result.out_dir / 'history.jsonl'} "
                     f"(re-judge: vipchaos check {result.out_dir})")
    return "\n".join(lines)
