"""Run-level outputs from per-test ``result.json`` files: a terminal table, summary.json and
JUnit XML (for CI systems)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

INVARIANTS = ("single_owner", "migration", "replication", "writes")
SHORT = {"single_owner": "1-owner", "migration": "migrate", "replication": "repl",
         "writes": "writes"}


def load_results(run_dir: Path) -> list[dict[str, Any]]:
    out = []
    for f in sorted(Path(run_dir).glob("*/result.json")):
        r = json.loads(f.read_text())
        r["_dir"] = f.parent.name
        out.append(r)
    return out


def cell(result: dict[str, Any], inv: str) -> str:
    v = next((v for v in result.get("verdicts", []) if v["invariant"] == inv), None)
    if v is None:
        return "-"
    if v["valid"] is True:
        return "ok"
    if v["valid"] is None:
        return "?"
    return "xfail" if inv in result.get("expected_violations", []) else "FAIL"


def _num(x: Any) -> str:
    return "-" if x is None else f"{x:.1f}"


def summary_table(results: list[dict[str, Any]]) -> str:
    head = (f"{'bundle':10} {'fault':28} " + " ".join(f"{SHORT[i]:>7}" for i in INVARIANTS)
            + f" {'failover':>8} {'gap s':>6} {'dual s':>6} {'ok/lost/unk':>13}  outcome")
    lines = [head, "-" * len(head)]
    for r in results:
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
    path = Path(run_dir) / "summary.json"
    rows = [{k: v for k, v in r.items() if k not in ("final",)} for r in results]
    outcomes = [r.get("outcome") for r in results]
    path.write_text(json.dumps({
        "tests": len(results),
        "outcomes": {o: outcomes.count(o) for o in sorted(set(map(str, outcomes)))},
        "gate": gate(results), "results": rows}, indent=2, default=str))
    return path


def gate(results: list[dict[str, Any]]) -> bool:
    """CI gate: pass only when every invariant held or its violation was declared expected
    (and detected). Unknown never passes."""
    return all(r.get("outcome") in ("pass", "xfail", "skipped") for r in results) and bool(results)


def failing(results: list[dict[str, Any]]) -> list[str]:
    out = []
    for r in results:
        for v in r.get("verdicts", []):
            if v["valid"] is not True and v["invariant"] not in r.get("expected_violations", []):
                out.append(f"{r.get('bundle')}/{r.get('test')}: {v['invariant']}: {v['summary']}")
        if r.get("outcome") == "xpass":
            out.append(f"{r.get('bundle')}/{r.get('test')}: the expected violation "
                       f"{r.get('expected_violations')} did not happen")
    return out


def write_junit(run_dir: Path, results: list[dict[str, Any]]) -> Path:
    suite = ET.Element("testsuite", name="vipchaos", tests=str(len(results)))
    counts = {"failures": 0, "skipped": 0}
    for r in results:
        tc = ET.SubElement(suite, "testcase", classname=f"vipchaos.{r.get('bundle')}",
                           name=str(r.get("test")), time=f"{r.get('duration_s') or 0:.1f}")
        bad = [v for v in r.get("verdicts", [])
               if v["valid"] is not True and v["invariant"] not in r.get("expected_violations", [])]
        if r.get("outcome") == "skipped":
            ET.SubElement(tc, "skipped", message=r.get("skip_reason") or "")
            counts["skipped"] += 1
        elif bad or r.get("outcome") in ("fail", "xpass", "error"):
            text = "\n".join(f"{v['invariant']}: {v['status']}: {v['summary']}" for v in bad)
            ET.SubElement(tc, "failure", message=", ".join(v["invariant"] for v in bad)
                          or str(r.get("outcome"))).text = text
            counts["failures"] += 1
        props = ET.SubElement(tc, "properties")
        for k in ("fault", "failover_s", "dual_owner_s", "outcome"):
            ET.SubElement(props, "property", name=k, value=str(r.get(k)))
    for k, v in counts.items():
        suite.set(k, str(v))
    path = Path(run_dir) / "junit.xml"
    ET.ElementTree(suite).write(path, encoding="unicode", xml_declaration=True)
    return path
