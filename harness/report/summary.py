"""Run-level outputs from per-test ``result.json`` files: a terminal table, summary.json and
JUnit XML (for CI systems). Outcomes come from each result's judgement (``harness.judge``); the
run's gate is ``harness.judge.gate`` over them, including tests that crashed before writing a
result (listed in the session's ``session.json``)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from harness import clientview, remedies
from harness import judge as judging
from harness.catalogue import INVARIANTS
from harness.files import RunFileError, read_json, write_atomic, write_json

SHORT = {"bringup": "bring-up", "single_owner": "1-owner", "migration": "migrate",
         "service": "service", "redundancy": "redund", "flapping": "flap", "origin": "origin",
         "replication": "repl", "writes": "writes"}
#: the fields of a result row, for a test that crashed before writing one
EMPTY: dict[str, Any] = {"fault": None, "nodes": [], "verdicts": [], "expectations": [],
                         "failover_s": None, "dual_owner_s": None, "write_gap_s": None,
                         "writes": {"ok": 0, "fail": 0, "unknown": 0, "lost": None},
                         "duration_s": 0.0, "skip_reason": None, "_dir": ""}
CELLS = {"pass": "ok", "FAIL": "FAIL", "unknown": "?", "accepted": "accept", "stale": "STALE"}


def unreadable(path: Path, why: str, test: str | None = None) -> dict[str, Any]:
    """The row of a test whose result file cannot be read: unknown, saying file:line."""
    return {**EMPTY, "test": test or Path(path).parent.name, "bundle": "-", "outcome": "unknown",
            "_dir": Path(path).parent.name,
            "judgement": {"reasons": [f"unknown: {why}"], "per_invariant": {}}}


def read_result(path: Path, test: str | None = None) -> dict[str, Any]:
    """One result.json as a row; a broken one is an unknown row naming file:line (a report
    never crashes on a file)."""
    try:
        r = read_json(path)
        if not isinstance(r, dict):
            raise RunFileError(f"{path}: not a result (a JSON object)")
    except RunFileError as exc:
        return unreadable(path, str(exc), test)
    r["_dir"] = Path(path).parent.name
    return r


def load_results(run_dir: Path) -> list[dict[str, Any]]:
    """This session's results: those session.json lists (with an ``error`` row for a test that
    crashed before writing one); every */result.json when there is no session.json."""
    run_dir = Path(run_dir)
    session = run_dir / "session.json"
    if session.exists():
        out = []
        try:
            listed = read_json(session).get("tests", [])
        except (RunFileError, AttributeError) as exc:
            return [unreadable(session, str(exc), "session")]
        for t in listed:
            res = Path(t["result_dir"]) / "result.json" if t.get("result_dir") else None
            if res is not None and res.exists():
                r = read_result(res, t["nodeid"].split("::")[-1])
                if t.get("status") and t["status"] != r.get("outcome"):
                    r["outcome"] = t["status"]
                out.append(r)
            elif t.get("status") in ("error", "fail", "skipped"):
                out.append({**EMPTY, "test": t["nodeid"].split("::")[-1], "bundle": "-",
                            "outcome": t["status"],
                            "judgement": {"reasons": [f"pytest: {t['pytest']} (no result "
                                                      "written: the test crashed or errored)"],
                                          "per_invariant": {}}})
        return out
    return [read_result(f) for f in sorted(run_dir.glob("*/result.json"))]


#: the order rows are shown in: what needs attention first
ATTENTION = ("error", "fail", "unknown")


def ordered(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows grouped by bundle, then scenario; within a bundle, errors, failures and unknowns
    first (not the order in which parallel workers happened to finish)."""
    def key(r: dict[str, Any]) -> tuple:
        outcome = r.get("outcome") or "error"
        return (str(r.get("bundle") or ""),
                ATTENTION.index(outcome) if outcome in ATTENTION else len(ATTENTION),
                str(r.get("test") or ""))
    return sorted(results, key=key)


def cell(result: dict[str, Any], inv: str) -> str:
    per = (result.get("judgement") or {}).get("per_invariant") or {}
    return CELLS.get(per.get(inv, ""), "-")


def _num(x: Any) -> str:
    return "-" if x is None else f"{x:.1f}"


def summary_table(results: list[dict[str, Any]]) -> str:
    head = (f"{'bundle':10} {'fault':28} " + " ".join(f"{SHORT[i]:>7}" for i in INVARIANTS)
            + f" {'failover':>8} {'gap s':>6} {'dual s':>6} {'ok/lost/unk':>13}  outcome")
    lines = [head, "-" * len(head)]
    for r in ordered(results):
        w = r.get("writes") or {}
        wr = f"{w.get('ok', 0)}/{w.get('lost') if w.get('lost') is not None else '-'}/" \
             f"{w.get('unknown', 0)}"
        fault = (r.get("test") or r.get("fault") or "")[:28]
        lines.append(
            f"{r.get('bundle', '')[:10]:10} {fault:28} "
            + " ".join(f"{cell(r, i):>7}" for i in INVARIANTS)
            + f" {_num(r.get('failover_s')):>8} {_num(r.get('write_gap_s')):>6}"
            + f" {_num(r.get('dual_owner_s')):>6} {wr:>13}  "
            + (r.get("outcome") or "")
            + (f" ({r['skip_reason'][:50]})" if r.get("skip_reason") else ""))
    return "\n".join(lines)


def write_summary_json(run_dir: Path, results: list[dict[str, Any]]) -> Path:
    rows = [{k: v for k, v in r.items() if k not in ("final",)} for r in results]
    outcomes = [r.get("outcome") for r in results]
    return write_json(Path(run_dir) / "summary.json", {
        "tests": len(results),
        "outcomes": {o: outcomes.count(o) for o in sorted(set(map(str, outcomes)))},
        "gate": gate(results), "results": rows,
        "clients": clientview.aggregate(results),
        "remedies": remedies.for_results(results)})


def gate(results: list[dict[str, Any]]) -> bool:
    """CI gate (``harness.judge.gate``): every invariant held or an accepted risk happened as
    declared; unknown, errors, and an empty or all-skipped run never pass."""
    return judging.gate([r.get("outcome") or "error" for r in results])[0]


def failing(results: list[dict[str, Any]]) -> list[str]:
    """One line per reason a test did not pass (violations, unknowns, stale risks, crashes)."""
    out = []
    for r in results:
        if r.get("outcome") in ("fail", "unknown", "error"):
            for why in (r.get("judgement") or {}).get("reasons", []):
                if ": accepted: " not in why:
                    out.append(f"{r.get('bundle')}/{r.get('test')}: {why}")
    return out


def remedy_lines(results: list[dict[str, Any]]) -> list[str]:
    """The shipped bundles' known remedies for the run's violations (``harness.remedies``),
    for tests that did not pass as declared."""
    failed = [r for r in results if r.get("outcome") in ("fail", "unknown", "error")]
    return remedies.lines(remedies.for_results(failed))


def write_junit(run_dir: Path, results: list[dict[str, Any]]) -> Path:
    suite = ET.Element("testsuite", name="vipchaos", tests=str(len(results)))
    counts = {"failures": 0, "skipped": 0}
    for r in results:
        tc = ET.SubElement(suite, "testcase", classname=f"vipchaos.{r.get('bundle')}",
                           name=str(r.get("test")), time=f"{r.get('duration_s') or 0:.1f}")
        reasons = (r.get("judgement") or {}).get("reasons", [])
        if r.get("outcome") == "skipped":
            ET.SubElement(tc, "skipped", message="; ".join(reasons) or r.get("skip_reason") or "")
            counts["skipped"] += 1
        elif r.get("outcome") in ("fail", "unknown", "error"):
            bad = [x for x in reasons if ": accepted: " not in x]
            ET.SubElement(tc, "failure", message=f"{r.get('outcome')}: "
                          + (bad[0][:200] if bad else "")).text = "\n".join(bad)
            counts["failures"] += 1
        props = ET.SubElement(tc, "properties")
        for k in ("fault", "failover_s", "dual_owner_s", "outcome"):
            ET.SubElement(props, "property", name=k, value=str(r.get(k)))
    for k, v in counts.items():
        suite.set(k, str(v))
    text = ET.tostring(suite, encoding="unicode", xml_declaration=True)
    return write_atomic(Path(run_dir) / "junit.xml", text)
