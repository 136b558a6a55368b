"""The CI gate over a run: nothing executed, all skipped, any unknown, fail or error never pass."""

import pytest

from harness.judge import gate
from harness.report.summary import gate as results_gate


def test_every_test_passing_or_accepted_passes():
    assert gate(["pass", "accepted", "pass"]) == (True, "2 pass, 1 accepted, 0 skipped")


def test_skipped_tests_do_not_block_others():
    assert gate(["pass", "skipped"], executed=1) == (True, "1 pass, 0 accepted, 1 skipped")


def test_nothing_executed_never_passes():
    assert gate([]) == (False, "no chaos test executed")
    assert gate(["pass"], executed=0) == (False, "no chaos test executed")


def test_every_test_skipped_never_passes():
    assert gate(["skipped", "skipped"]) == (False, "every test was skipped")
    assert gate(["skipped"], executed=None)[0] is False


@pytest.mark.parametrize("bad", ["unknown", "error", "fail"])
def test_any_unknown_error_or_fail_blocks(bad):
    ok, why = gate(["pass", bad, "accepted", "skipped"])
    assert ok is False and why == f"1 {bad}"


def test_the_reason_counts_every_bad_status():
    ok, why = gate(["fail", "unknown", "unknown", "error", "pass", "skipped"])
    assert ok is False and why == "1 error, 1 fail, 2 unknown"


def test_an_unheard_of_status_is_an_error():
    with pytest.raises(ValueError):
        gate(["pass", "xpassed"])


def result(outcome):
    return {"test": "t", "bundle": "seed", "outcome": outcome}


def test_results_gate_reads_outcomes():
    assert results_gate([result("pass"), result("accepted")]) is True
    assert results_gate([result("pass"), result("unknown")]) is False
    assert results_gate([result("pass"), result("fail")]) is False
    assert results_gate([result("skipped")]) is False
    assert results_gate([]) is False


def test_results_gate_treats_a_result_without_outcome_as_an_error():
    assert results_gate([result("pass"), {"test": "crashed"}]) is False
    assert results_gate([result("pass"), result(None)]) is False
