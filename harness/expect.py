"""Turning a scenario result into a test outcome, precisely.

A test with a declared expected violation is marked ``xfail(strict=True,
raises=InvariantViolated)``: only the declared invariant failing counts as the expected failure.
Any other invariant failing (or unknown) raises ``AssertionError``, a real failure; and if the
declared violation stops happening the strict xfail turns the test red.
"""

from __future__ import annotations

from harness.scenario import Result


class InvariantViolated(AssertionError):
    """The declared, expected violation was detected."""


def assert_result(result: Result) -> None:
    if result.skipped:
        import pytest
        pytest.skip(result.skipped)
    expected = result.scenario.expected_violations
    unexpected = [v for v in result.violated() if v.invariant not in expected]
    if unexpected:
        raise AssertionError(_explain(result, unexpected))
    detected = [v for v in result.violated() if v.invariant in expected]
    if detected:
        raise InvariantViolated(_explain(result, detected))


def _explain(result: Result, verdicts) -> str:
    lines = [f"{result.bundle}/{result.scenario.name}:"]
    for v in verdicts:
        lines.append(f"  {v.invariant}: {v.status}: {v.summary}")
    if result.out_dir:
        lines.append(f"  history: {result.out_dir / 'history.jsonl'}")
    return "\n".join(lines)
