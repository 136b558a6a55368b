"""A test's result: its verdicts and judged outcome, from a history alone.

``judge_history(events)`` is the one path from a recorded history to an outcome: the checkers
that apply to the run (``harness.checkers.check``), then the judge against the expectations the
run declared in its ``run`` event, with the config's settle time. The suites, incident replay,
exploration, ``vipchaos check`` and ``vipchaos up`` sessions all judge through it, so a stored
``history.jsonl`` gives the same outcome as the run that wrote it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import checkers
from harness.checkers.query import bounds, run_info
from harness.checkers.verdict import Verdict
from harness.clientview import summarize as summarize_clients
from harness.errors import ConfigError
from harness.expectations import Expectation
from harness.files import RunFileError, write_json
from harness.history import Event, History, load
from harness.judge import Judgement, judge


@dataclass
class Result:
    scenario: str
    bundle: str
    verdicts: list[Verdict]
    judgement: Judgement
    events: list[Event]
    out_dir: Path | None = None
    skipped: str | None = None

    @property
    def outcome(self) -> str:
        return self.judgement.status

    def verdict(self, invariant: str) -> Verdict:
        return next(v for v in self.verdicts if v.invariant == invariant)

    def to_dict(self) -> dict[str, Any]:
        m = {v.invariant: v.metrics for v in self.verdicts}
        ops = [e for e in self.events if e["kind"] == "op"]
        faults = [e for e in self.events if e["kind"] == "fault"]
        starts = [f["t"] for f in faults if f["phase"] == "start"]
        run = run_info(self.events)
        return {
            "test": self.scenario, "bundle": self.bundle,
            "network": run.get("network", "lan"),
            "fault": "+".join(f["fault"] for f in faults if f["phase"] == "start") or None,
            "nodes": [n["name"] for n in run.get("nodes", [])],
            "verdicts": [v.to_dict() for v in self.verdicts],
            "expectations": run.get("expectations", []),
            "judgement": self.judgement.to_dict(),
            "outcome": self.outcome, "skip_reason": self.skipped,
            "failover_s": m.get("migration", {}).get("failover_s"),
            "dual_owner_s": m.get("single_owner", {}).get("dual_owner_s"),
            "write_gap_s": m.get("migration", {}).get("write_gap_s"),
            "ready_s": m.get("bringup", {}).get("ready_s"),
            "restored_s": m.get("redundancy", {}).get("restored_after_s"),
            "lag": {k: m.get("migration", {}).get(k) for k in (
                "backlog_at_promotion", "missing_at_promotion", "arrived_late", "conflicting",
                "lost_at_promotion") if m.get("migration", {}).get(k) is not None} or None,
            "vrrp_transitions": m.get("flapping", {}).get("vrrp_transitions"),
            "writes": {k: sum(1 for o in ops if o["type"] == k) for k in ("ok", "fail", "unknown")}
            | {"lost": m.get("writes", {}).get("lost")},
            "fault_window": [min(starts), max(f["t"] for f in faults)] if starts else None,
            "duration_s": max((e["t"] for e in self.events), default=0.0),
            "faults": [f for f in faults],
            "clients": summarize_clients(self.events),
        }


def judge_history(events: list[Event], skipped: str | None = None) -> tuple[list[Verdict],
                                                                             Judgement]:
    """Verdicts and outcome from a history alone (what ``vipchaos check`` does)."""
    events = sorted(events, key=lambda e: e["t"])
    skip = skipped or next((e.get("detail") for e in events if e["kind"] == "fault"
                            and e.get("phase") == "skipped"), None)
    if skip:
        return [], judge([], [], events, settle_s=0, skipped=skip)
    verdicts = checkers.check(events)
    expectations = [Expectation.from_dict(d) for d in run_info(events).get("expectations", [])]
    settle = bounds(events).get("master_down_s", 0.0)
    return verdicts, judge(verdicts, expectations, events, settle_s=settle)


def result_of(events: list[Event], out_dir: Path | None = None) -> Result:
    run = run_info(events)
    verdicts, judgement = judge_history(events)
    skipped = judgement.reasons[0] if judgement.status == "skipped" else None
    return Result(run.get("test") or run.get("scenario", "?"), run.get("bundle", "?"), verdicts,
                  judgement,
                  sorted(events, key=lambda e: e["t"]), out_dir, skipped)


def safe_name(text: str) -> str:
    """A directory name that is safe whatever the bundle or test is called."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:80] or "run"


def save(result: Result, history: History | None, out_dir: Path) -> None:
    """The history (when given) and the result, each written whole."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if history is not None:
        history.save(out_dir / "history.jsonl")
    write_json(out_dir / "result.json", result.to_dict())


# --- stored runs ------------------------------------------------------------------------------
def run_path(text: str) -> Path:
    """A run or test directory as given; ``latest`` means runs/latest. Missing: usage error."""
    p = Path(text)
    if not p.exists() and not p.is_symlink() and text in ("latest", "last"):
        p = Path("runs") / "latest"
    if p.is_symlink() and not p.exists():
        raise ConfigError(f"{text} points to {os.readlink(p)}, which no longer exists")
    if not p.exists():
        raise ConfigError(f"{text}: no such directory (runs are under runs/; runs/latest is "
                          "the newest)")
    return p


def histories_in(path: Path) -> list[Path]:
    """The histories ``check`` judges: the file, the directory's, or each test directory's."""
    if path.is_file():
        return [path]
    if (path / "history.jsonl").is_file():
        return [path / "history.jsonl"]
    found = sorted(path.glob("*/history.jsonl"))
    if not found:
        raise ConfigError(f"{path}: no history.jsonl here or in its test directories (give a "
                          "run directory such as runs/latest, a test directory inside it, or "
                          "runs/up-<run> of a `vipchaos up` pair)")
    return found


def judge_stored(path: Path) -> Result:
    """One stored history's result (``vipchaos check``); one that cannot be read is *unknown*,
    naming file:line."""
    try:
        events = load(path)
        if not events:
            raise RunFileError(f"{path}: empty history")
    except RunFileError as exc:
        return Result(path.parent.name, "?", [], Judgement("unknown", [f"unknown: {exc}"]), [],
                      path.parent)
    return result_of(events, path.parent)
