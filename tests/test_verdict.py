from histories import bringup_history, failover_history

from harness.checkers import (
    INVARIANTS,
    Verdict,
    check,
    combine,
    run_checkers,
    unknown,
)


def v(valid):
    return Verdict("x", valid, "")


def test_combine_is_pessimistic():
    assert combine([v(True), v(True)]) is True
    assert combine([v(True), v(None)]) is None
    assert combine([v(None), v(False), v(True)]) is False
    assert combine([]) is None


def test_status_and_dict():
    assert [v(x).status for x in (True, False, None)] == ["pass", "FAIL", "unknown"]
    d = Verdict("w", False, "s", {"e": 1}, {"m": 2}, [[1.0, 2.0]], ["errant writes"]).to_dict()
    assert d == {"invariant": "w", "valid": False, "summary": "s", "evidence": {"e": 1},
                 "metrics": {"m": 2}, "windows": [[1.0, 2.0]], "signature": ["errant writes"],
                 "status": "FAIL"}
    u = unknown("writes", "no final state")
    assert (u.invariant, u.valid, u.summary) == ("writes", None, "unknown: no final state")


def test_crashing_checker_is_unknown_not_pass():
    out = run_checkers({"ok": lambda: v(True), "boom": lambda: 1 / 0})
    assert [x.valid for x in out] == [True, None]
    assert out[1].invariant == "boom"
    assert "ZeroDivisionError" in out[1].summary and "checker crashed" in out[1].summary


def test_check_picks_the_checkers_for_the_run():
    fault_run = [x.invariant for x in check(failover_history())]
    assert fault_run[:4] == ["single_owner", "migration", "replication", "writes"]
    assert "bringup" not in fault_run
    assert [x.invariant for x in check(bringup_history())] == ["bringup", "single_owner"]
    # the harness's recorded attempts to reach the intended state are judged as a bring-up
    setup = [{**e, "scenario": "setup"} if e["kind"] == "run" else e for e in bringup_history()]
    assert [x.invariant for x in check(setup)] == ["bringup", "single_owner"]
    assert set(fault_run) <= set(INVARIANTS) and "bringup" in INVARIANTS


def test_check_sorts_the_history_first():
    assert all(x.valid for x in check(list(reversed(failover_history()))))


def test_a_checker_crashing_on_a_malformed_history_is_unknown():
    bad = [*failover_history(), {"t": 5.0, "kind": "vip", "node": "node2"}]  # no "held"
    out = {x.invariant: x for x in check(bad)}
    assert out["single_owner"].valid is None
    assert "checker crashed" in out["single_owner"].summary


def test_a_run_with_a_runbook_restore_is_also_judged_on_redundancy():
    restore = {"t": 9.0, "kind": "action", "action": "restore", "phase": "done", "node": "node1"}
    names = [x.invariant for x in check([*failover_history(), restore])]
    assert "redundancy" in names
    assert "redundancy" not in [x.invariant for x in check(failover_history())]


def test_operator_actions_alone_have_no_migration_to_judge_but_an_inapplicable_fault_does():
    h = failover_history()
    actions = [e for e in h if e["kind"] != "fault"] + [
        {"t": 2.0, "kind": "action", "phase": "start", "action": "stop-keepalived",
         "node": "node1", "step": 0},
        {"t": 2.1, "kind": "action", "phase": "done", "action": "stop-keepalived",
         "node": "node1", "step": 0}]
    assert "migration" not in [x.invariant for x in check(actions)]
    tried = [*actions, {"t": 3.0, "kind": "fault", "phase": "not-applicable",
                        "fault": "kill-mysqld", "nodes": ["node1"], "step": 1}]
    out = {x.invariant: x for x in check(tried)}
    assert out["migration"].valid is None
    harness_only = [e for e in h if e["kind"] != "fault"] + [
        {"t": 2.0, "kind": "action", "phase": "done", "action": "start-keepalived",
         "node": "node1", "step": None, "by": "harness"}]
    assert check(harness_only)[1].invariant == "migration"  # nothing of the operator's
