"""Reports of a run: terminal table, summary.json, JUnit XML, HTML timeline page."""

from harness.report.html import render_html, timeline_svg
from harness.report.summary import (
    failing,
    gate,
    load_results,
    remedy_lines,
    summary_table,
    write_junit,
    write_summary_json,
)


def write_all(run_dir) -> dict:
    """Write summary.json, junit.xml and index.html; return the results and paths."""
    results = load_results(run_dir)
    return {"results": results, "summary": write_summary_json(run_dir, results),
            "junit": write_junit(run_dir, results), "html": render_html(run_dir)}


__all__ = [
    "failing",
    "gate",
    "load_results",
    "remedy_lines",
    "render_html",
    "summary_table",
    "timeline_svg",
    "write_all",
    "write_junit",
    "write_summary_json",
]
