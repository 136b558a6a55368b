"""Incident files: what an on-call engineer writes to replay an incident.

```yaml
name: Split brain when VRRP multicast is dropped   # required
source: https://github.com/acassen/keepalived/issues/2370   # required: where it was reported
description: ...                                   # optional
bundle: seed              # a shipped bundle or a directory (relative to this file)
overrides: {vip: 198.18.151.50}                    # optional topology overrides
workload: {rate: 20, mode: insert}                 # optional (mode: insert | next-number)
duration: 40s             # optional; default: last step end
timeline:
  - at: 5s
    fault: pause node1    # "FAULT TARGET" or fault + target keys; TARGET: node name|owner|standby
    for: 10s              # optional; absent: healed at the end of the timeline
    params: {probability: 0.3}
expect: dual_owner        # or a list: all_invariants | dual_owner | no_migration |
                          # lost_writes | replication_broken | migration
```
Every problem is a ConfigError naming the file and line.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.checkers.verdict import Verdict
from harness.errors import ConfigError
from harness.faults import CATALOGUE

FAULT_NAMES = tuple(CATALOGUE)
ALIASES = {"pause": "pause-node", "crash": "crash-node", "isolate": "isolate-node",
           "partition": "isolate-node", "kill": "kill-mysqld", "freeze": "freeze-mysqld"}
EXPECT = {"all_invariants": set(), "migration": set(), "dual_owner": {"single_owner"},
          "no_migration": {"migration"}, "lost_writes": {"writes"},
          "replication_broken": {"replication"}}
TOP_KEYS = {"name", "source", "description", "bundle", "overrides", "workload", "duration",
            "timeline", "expect"}
STEP_KEYS = {"at", "fault", "target", "for", "params"}


@dataclass
class Step:
    at: float
    fault: str
    target: str
    duration: float | None
    params: dict[str, Any]
    line: int


@dataclass
class Incident:
    name: str
    source: str
    description: str
    bundle: str
    overrides: dict[str, Any]
    rate: float
    mode: str
    duration: float | None
    steps: list[Step]
    expect: list[str]
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def bundle_ref(self) -> str | Path:
        """The bundle as given: a shipped name, or a directory relative to the file."""
        if self.path and ("/" in self.bundle or self.bundle.startswith(".")):
            return (self.path.parent / self.bundle).resolve()
        return self.bundle


def canonical_fault(name: str) -> str:
    n = name.strip().lower().replace(" ", "-").replace("_", "-")
    n = ALIASES.get(n, n)
    if n in CATALOGUE:
        return n
    close = difflib.get_close_matches(n, [*FAULT_NAMES, *ALIASES], n=1)
    hint = f" (did you mean {ALIASES.get(close[0], close[0])!r}?)" if close else ""
    raise ValueError(f"unknown fault {name!r}{hint}; known: {', '.join(FAULT_NAMES)}")


def parse_duration(value: Any) -> float:
    """'5s', '500ms', '1.5s', '2m' or a bare number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*", str(value))
    if not m:
        raise ValueError(f"not a duration: {value!r} (use 5s, 500ms, 2m or a number)")
    return float(m.group(1)) * {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}[m.group(2)]


def load_incident(path: str | Path) -> Incident:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: no such incident file")
    return parse_incident(p.read_text(), p)


def parse_incident(text: str, path: str | Path = "<string>") -> Incident:
    where = str(path)
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else "?"
        raise ConfigError(f"{where}:{line}: not valid YAML: "
                          f"{getattr(exc, 'problem', None) or exc}") from exc
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(f"{where}:1: an incident file is a mapping (name:, source:, "
                          "timeline:, expect:)")

    def err(node: yaml.Node, msg: str) -> ConfigError:
        return ConfigError(f"{where}:{node.start_mark.line + 1}: {msg}")

    top = _mapping(root)
    for key, (knode, _) in top.items():
        if key not in TOP_KEYS:
            close = difflib.get_close_matches(key, TOP_KEYS, n=1)
            raise err(knode, f"unknown key {key!r}" + (f" (did you mean {close[0]!r}?)"
                                                       if close else "")
                      + f"; keys: {', '.join(sorted(TOP_KEYS))}")
    for key in ("name", "source", "timeline", "expect"):
        if key not in top:
            raise err(root, f"missing required key {key!r}")

    def scalar(key: str, default: Any = None) -> Any:
        if key not in top:
            return default
        return yaml.safe_load(yaml.serialize(top[key][1]))

    tl_node = top["timeline"][1]
    if not isinstance(tl_node, yaml.SequenceNode) or not tl_node.value:
        raise err(tl_node, "timeline must be a list of steps (- at: 5s  fault: ...)")
    steps = [_step(i, n, err) for i, n in enumerate(tl_node.value, start=1)]

    expect_raw = scalar("expect")
    expect = expect_raw if isinstance(expect_raw, list) else [expect_raw]
    for e in expect:
        if e not in EXPECT:
            raise err(top["expect"][1], f"unknown expectation {e!r}; one of: "
                      f"{', '.join(EXPECT)}")
    workload = scalar("workload", {}) or {}
    if not isinstance(workload, dict) or set(workload) - {"rate", "mode"}:
        raise err(top["workload"][1], "workload takes rate (writes/s) and mode "
                  "(insert | next-number)")
    rate = workload.get("rate", 20)
    if not isinstance(rate, int | float) or rate <= 0:
        raise err(top["workload"][1], f"workload rate must be > 0, got {rate!r}")
    mode = workload.get("mode", "insert")
    if mode not in ("insert", "next-number"):
        raise err(top["workload"][1], f"workload mode {mode!r}: use insert or next-number")
    duration = None
    if "duration" in top:
        try:
            duration = parse_duration(scalar("duration"))
        except ValueError as exc:
            raise err(top["duration"][1], str(exc)) from exc
        last = max(s.at + (s.duration or 0) for s in steps)
        if duration < last:
            raise err(top["duration"][1], f"duration {duration:g}s ends before the last step "
                      f"({last:g}s)")
    overrides = scalar("overrides", {}) or {}
    if not isinstance(overrides, dict):
        raise err(top["overrides"][1], "overrides must be a mapping of topology keys")
    for key in ("name", "source"):
        if not isinstance(scalar(key), str) or not scalar(key).strip():
            raise err(top[key][1], f"{key} must be a non-empty string")
    return Incident(
        name=scalar("name"), source=scalar("source"), description=scalar("description", ""),
        bundle=str(scalar("bundle", "seed")), overrides=overrides, rate=float(rate), mode=mode,
        duration=duration, steps=steps, expect=expect,
        path=Path(path) if path != "<string>" else None,
    )


def _mapping(node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    return {k.value: (k, v) for k, v in node.value}


def _step(i: int, node: yaml.Node, err) -> Step:
    if not isinstance(node, yaml.MappingNode):
        raise err(node, f"step {i}: a step is a mapping (at:, fault:, for:)")
    m = _mapping(node)
    for key, (knode, _) in m.items():
        if key not in STEP_KEYS:
            raise err(knode, f"step {i}: unknown key {key!r}; keys: {', '.join(sorted(STEP_KEYS))}")
    if "at" not in m or "fault" not in m:
        raise err(node, f"step {i}: needs at: and fault:")

    def val(key: str) -> Any:
        return yaml.safe_load(yaml.serialize(m[key][1]))

    try:
        at = parse_duration(val("at"))
    except ValueError as exc:
        raise err(m["at"][1], f"step {i}: {exc}") from exc
    if at < 0:
        raise err(m["at"][1], f"step {i}: at must be >= 0")
    words = str(val("fault")).split()
    target = str(val("target")) if "target" in m else "owner"
    if len(words) == 2 and "target" not in m:
        target = words[1]
    elif len(words) != 1:
        raise err(m["fault"][1], f"step {i}: write `fault: NAME TARGET` or fault: + target:")
    try:
        fault = canonical_fault(words[0])
    except ValueError as exc:
        raise err(m["fault"][1], f"step {i}: {exc}") from exc
    duration = None
    if "for" in m:
        try:
            duration = parse_duration(val("for"))
        except ValueError as exc:
            raise err(m["for"][1], f"step {i}: {exc}") from exc
        if duration <= 0:
            raise err(m["for"][1], f"step {i}: for must be > 0")
    params = val("params") if "params" in m else {}
    if not isinstance(params, dict):
        raise err(m["params"][1], f"step {i}: params must be a mapping")
    return Step(at, fault, target, duration, params, node.start_mark.line + 1)


def expected_violations(incident: Incident) -> set[str]:
    return set().union(*(EXPECT[e] for e in incident.expect))


def judge(expect: list[str], verdicts: list[Verdict]) -> tuple[bool, list[str]]:
    """Did the run show what the incident expects? Returns (as expected, reasons)."""
    by = {v.invariant: v for v in verdicts}
    reasons: list[str] = []
    wanted = set().union(*(EXPECT[e] for e in expect))
    for inv, v in by.items():
        if v.valid is None:
            reasons.append(f"{inv} is unknown: {v.summary}")
        elif inv in wanted and v.valid:
            reasons.append(f"expected a {inv} violation, but it held: {v.summary}")
        elif inv not in wanted and not v.valid:
            reasons.append(f"{inv} violated unexpectedly: {v.summary}")
    for inv in wanted - set(by):
        reasons.append(f"no verdict for {inv}")
    if "migration" in expect and not (by.get("migration") and by["migration"].valid):
        reasons.append("expected the VIP to move, it did not")
    return (not reasons, reasons)
