import json
import xml.etree.ElementTree as ET

from histories import failover_history

from harness.report import gate, load_results, render_html, summary_table, write_junit


def _result(name, verdicts, outcome, expected=()):
    return {"test": name, "bundle": "seed", "fault": "kill-mysqld", "nodes": ["node1", "node2"],
            "verdicts": verdicts, "expected_violations": list(expected), "outcome": outcome,
            "skip_reason": None, "failover_s": 2.5, "dual_owner_s": 0.0, "write_gap_s": 2.4,
            "writes": {"ok": 10, "fail": 1, "unknown": 0, "lost": 0}, "duration_s": 12.0}


def _v(inv, valid, summary="s"):
    return {"invariant": inv, "valid": valid, "summary": summary, "evidence": {"x": 1},
            "metrics": {"m": 1}, "status": {True: "pass", False: "FAIL", None: "unknown"}[valid]}


def _run(tmp_path):
    good = _result("kill-mysqld-owner", [_v(i, True) for i in
                                         ("single_owner", "migration", "replication", "writes")],
                   "pass")
    bad = _result("pause-node-owner", [_v("single_owner", False, "two owners"),
                                       _v("migration", True), _v("replication", None),
                                       _v("writes", True)], "fail")
    for r in (good, bad):
        d = tmp_path / f"seed-{r['test']}"
        d.mkdir()
        (d / "result.json").write_text(json.dumps(r))
        (d / "history.jsonl").write_text("\n".join(json.dumps(e) for e in failover_history()))
    return load_results(tmp_path)


def test_table_has_rows_and_marks(tmp_path):
    table = summary_table(_run(tmp_path))
    assert "kill-mysqld-owner" in table and "pause-node-owner" in table
    row = next(line for line in table.splitlines() if "pause-node" in line)
    assert "FAIL" in row and "?" in row


def test_gate_fails_on_failure_or_unknown(tmp_path):
    results = _run(tmp_path)
    assert gate(results) is False
    assert gate([results[0]]) is True
    assert gate([]) is False


def test_junit_has_a_failure_for_the_failing_test(tmp_path):
    root = ET.parse(write_junit(tmp_path, _run(tmp_path))).getroot()
    assert root.get("tests") == "2" and root.get("failures") == "1"
    failure = root.find(".//testcase[@name='pause-node-owner']/failure")
    assert failure is not None and "single_owner" in failure.get("message")


def test_html_has_timeline_lanes_and_fault_label(tmp_path):
    _run(tmp_path)
    page = render_html(tmp_path).read_text()
    assert page.count("<svg") == 2
    assert "node1 vrrp" in page and "node2 VIP" in page
    assert "kill-mysqld (node1)" in page
