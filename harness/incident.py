"""Incident files: what an on-call engineer writes to replay an incident.

```yaml
name: Split brain when VRRP adverts stop arriving      # required
source: https://github.com/acassen/keepalived/issues/2370   # required: where it was reported
source_reports:           # what the source itself says (quote or paraphrase closely)
  kind: issue             # optional: issue | how-to warning | mailing list | postmortem ...
  url: https://...        # optional (default: source), e.g. a comment's link
  versions: keepalived v1.2.20
  config: both BACKUP, nopreempt, priorities 100/50, multicast
  symptom: '"vip appears on both machines"'          # required inside source_reports
  explanation: what the maintainers said, or that the thread has no answer
  related: [https://..., ...]                        # optional list
reconstruction: |         # how the lab reproduces it and where the lab differs
  block-vrrp on the standby, after a normal start (the report's began at start-up) ...
evidence:                 # optional: what to look for in the printed timeline (not judged)
  - "vrrp: node2 enters MASTER while node1 stays MASTER"
description: ...          # optional
bundle: seed              # a shipped bundle or a directory (relative to this file)
overrides: {vip: 198.18.151.50}                    # optional topology overrides
workload: {rate: 20, mode: insert}                 # optional (mode: insert | next-number)
duration: 40s             # optional; default: last step end
timeline:
  - at: 5s
    fault: pause node1    # "FAULT TARGET" or fault + target keys; TARGET: node name|owner|standby
    for: 10s              # optional, from when it starts (a late start still holds it all);
                          # absent: healed at the end of the timeline; never: the
                          # node is lost for good (judged on the survivor, see below)
    params: {probability: 0.3}
expect:                   # a list of violations the run must show, each with when
  - {invariant: single_owner, when: during, fault: block-vrrp}
  - {invariant: replication, when: after-heal, fault: block-vrrp, reason: "..."}
```
``expect:`` also takes the old words (alone or in a list, mixed with mappings):
``all_invariants`` (no violation: a proven fix), ``migration`` (the VIP must move: every check
requires that anyway), ``dual_owner`` (single_owner), ``no_migration`` (migration),
``lost_writes`` (writes), ``replication_broken`` (replication); each becomes an expectation with
``when: during`` and no fault. ``when`` is during (injection to heal plus the settle time) |
after-heal | bring-up | anytime; see :mod:`harness.judge`.

Every problem is a ConfigError naming the file and line.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness import conditions
from harness.actions import action_name
from harness.errors import ConfigError
from harness.expectations import WHEN, Expectation
from harness.faults import CATALOGUE
from harness.logmatch import LogLine

FAULT_NAMES = tuple(CATALOGUE)
ALIASES = {"pause": "pause-node", "crash": "crash-node", "isolate": "isolate-node",
           "partition": "isolate-node", "kill": "kill-mysqld", "freeze": "freeze-mysqld"}
#: The invariants the checkers judge (an expectation naming another could never be met).
from harness.catalogue import INVARIANTS  # noqa: E402  (one list of what can be judged)

#: Old expectation words -> the invariants whose violation they declare.
EXPECT = {"all_invariants": set(), "migration": set(), "dual_owner": {"single_owner"},
          "no_migration": {"migration"}, "lost_writes": {"writes"},
          "replication_broken": {"replication"}}
#: Invariant -> the old word that declares its violation (for ``Incident.expect``).
WORD_FOR = {inv: word for word, invs in EXPECT.items() for inv in invs}
TOP_KEYS = {"name", "source", "source_reports", "reconstruction", "evidence", "description",
            "bundle", "overrides", "workload", "duration", "timeline", "expect", "reproduced",
            "logs"}
LOG_KEYS = {"node", "source", "lab", "why", "after"}
STEP_KEYS = {"at", "fault", "action", "target", "for", "params", "when", "heal_when",
             "timeout"}
REPORT_KEYS = {"kind", "url", "versions", "config", "symptom", "explanation", "related"}
EXPECTATION_KEYS = {"invariant", "when", "fault", "target", "reason", "intermittent",
                    "signature", "consequences"}


@dataclass
class Step:
    at: float | None
    fault: str | None
    target: str
    duration: float | None
    params: dict[str, Any]
    line: int
    action: str | None = None  # an operator action (harness.actions) instead of a fault
    when: str | None = None  # start once this condition holds (harness.conditions)
    heal_when: str | None = None
    timeout: float = 60.0
    never: bool = False  # ``for: never``: held for good, the node judged lost


@dataclass
class SourceReport:
    """What the cited source itself reports, kept apart from how the lab reproduces it."""

    url: str
    symptom: str
    kind: str = ""
    versions: str = ""
    config: str = ""
    explanation: str = ""
    related: list[str] = field(default_factory=list)


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
    #: The old expectation words, one per declared violation (``all_invariants`` when none).
    #: Kept for the deprecated :func:`judge`; :attr:`expectations` is what counts.
    expect: list[str]
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    source_reports: SourceReport | None = None
    reconstruction: str = ""
    evidence: list[str] = field(default_factory=list)
    #: The violations a replay must show, with when (for :func:`harness.judge.judge`).
    expectations: list[Expectation] = field(default_factory=list)
    #: The source's own log lines and the lab's counterparts (harness.logmatch)
    logs: list[LogLine] = field(default_factory=list)

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


def _unknown_key(key: str, known: set[str], what: str) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return (f"unknown key {key!r}{what}" + (f" (did you mean {close[0]!r}?)" if close else "")
            + f"; keys: {', '.join(sorted(known))}")


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
            raise err(knode, _unknown_key(key, TOP_KEYS, ""))
    for key in ("name", "source", "timeline", "expect"):
        if key not in top:
            raise err(root, f"missing required key {key!r}")

    def scalar(key: str, default: Any = None) -> Any:
        if key not in top:
            return default
        return _value(top[key][1])

    for key in ("name", "source"):
        if not isinstance(scalar(key), str) or not scalar(key).strip():
            raise err(top[key][1], f"{key} must be a non-empty string")
    name, source = scalar("name").strip(), scalar("source").strip()

    tl_node = top["timeline"][1]
    if not isinstance(tl_node, yaml.SequenceNode) or not tl_node.value:
        raise err(tl_node, "timeline must be a list of steps (- at: 5s  fault: ...)")
    steps = [_step(i, n, err) for i, n in enumerate(tl_node.value, start=1)]
    for i, s in enumerate(steps[:-1], start=1):
        if s.never and any(t.fault or t.action for t in steps[i:]):
            raise err(tl_node.value[i - 1], f"step {i}: a node lost for good (for: never) is "
                      "lost to every later step: make it the last fault or action")

    expectations = _expectations(top["expect"][1], steps, err, where, name)
    workload = scalar("workload", {}) or {}
    if not isinstance(workload, dict) or set(workload) - {"rate", "mode"}:
        raise err(top["workload"][1], "workload takes rate (writes/s) and mode "
                  "(insert | next-number)")
    rate = workload.get("rate", 20)
    if not isinstance(rate, int | float) or isinstance(rate, bool) or rate <= 0:
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
        last = max((s.at or 0) + (s.duration or 0) for s in steps)
        if duration < last:
            raise err(top["duration"][1], f"duration {duration:g}s ends before the last step "
                      f"({last:g}s)")
    overrides = scalar("overrides", {}) or {}
    if not isinstance(overrides, dict):
        raise err(top["overrides"][1], "overrides must be a mapping of topology keys")
    description = scalar("description", "") or ""
    if not isinstance(description, str):
        raise err(top["description"][1], "description must be text")
    reconstruction = ""
    if "reconstruction" in top:
        reconstruction = scalar("reconstruction")
        if not isinstance(reconstruction, str) or not reconstruction.strip():
            raise err(top["reconstruction"][1], "reconstruction must be text: how the lab "
                      "reproduces the report and where it differs")
    report = _source_report(top["source_reports"], source, err) \
        if "source_reports" in top else None
    evidence = _evidence(top["evidence"][1], err) if "evidence" in top else []
    logs = _logs(top["logs"][1], steps, err, where) if "logs" in top else []
    return Incident(
        name=name, source=source, description=description,
        bundle=str(scalar("bundle", "seed")), overrides=overrides, rate=float(rate), mode=mode,
        duration=duration, steps=steps,
        expect=[WORD_FOR.get(e.invariant, e.invariant) for e in expectations]
        or ["all_invariants"],
        path=Path(path) if path != "<string>" else None,
        source_reports=report, reconstruction=reconstruction.strip(), evidence=evidence,
        expectations=expectations, logs=logs,
    )


def _mapping(node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    return {k.value: (k, v) for k, v in node.value}


def _value(node: yaml.Node) -> Any:
    return yaml.safe_load(yaml.serialize(node))


def _text(node: yaml.Node, what: str, err) -> str:
    value = _value(node)
    if not isinstance(value, str) or not value.strip():
        raise err(node, f"{what} must be non-empty text")
    return " ".join(value.split())


def _source_report(nodes: tuple[yaml.Node, yaml.Node], source: str, err) -> SourceReport:
    knode, node = nodes
    if not isinstance(node, yaml.MappingNode):
        raise err(node, "source_reports is a mapping: symptom: (required), versions:, "
                  "config:, explanation:, kind:, url:, related:")
    m = _mapping(node)
    for key, (k, _) in m.items():
        if key not in REPORT_KEYS:
            raise err(k, _unknown_key(key, REPORT_KEYS, " in source_reports"))
    if "symptom" not in m:
        raise err(knode, "source_reports needs symptom: (what the source says happened)")
    fields = {key: _text(v, f"source_reports.{key}", err) for key, (_, v) in m.items()
              if key != "related"}
    related: list[str] = []
    if "related" in m:
        rnode = m["related"][1]
        if not isinstance(rnode, yaml.SequenceNode) or not rnode.value:
            raise err(rnode, "source_reports.related is a list of links")
        related = [_text(n, "each related link", err) for n in rnode.value]
    fields.setdefault("url", source)
    return SourceReport(related=related, **fields)


def _evidence(node: yaml.Node, err) -> list[str]:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise err(node, "evidence is a list of short notes of what to look for in the timeline")
    return [_text(n, "each evidence note", err) for n in node.value]


def _logs(node: yaml.Node, steps: list[Step], err, where: str) -> list[LogLine]:
    """``logs:`` - {node:, source:, lab:, why:, after:} per line of the source's log."""
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise err(node, "logs is a list of {node:, source:, lab:, why:, after:}: the source's "
                  "log lines and what the lab's keepalived writes for each")
    out = []
    for item in node.value:
        if not isinstance(item, yaml.MappingNode):
            raise err(item, "each log line is a mapping {node:, source:, lab:, why:, after:}")
        m = _mapping(item)
        for key, (k, _) in m.items():
            if key not in LOG_KEYS:
                raise err(k, _unknown_key(key, LOG_KEYS, " in a log line"))
        vals = {key: _value(v) for key, (_, v) in m.items()}
        if not isinstance(vals.get("node"), str):
            raise err(item, "a log line needs node: (whose log it is)")
        for key in ("source", "lab"):
            if key not in m:
                raise err(item, f"a log line needs {key}: (the line, or null when it has none)")
            if vals[key] is not None and (not isinstance(vals[key], str) or not vals[key]):
                raise err(m[key][1], f"{key} is the line's text, or null")
        if vals["source"] is None and vals["lab"] is None:
            raise err(item, "source and lab cannot both be null")
        why = vals.get("why") or ""
        if (vals["source"] is None or vals["lab"] is None) and not str(why).strip():
            raise err(item, "why: is required when source or lab is null (what differs, and "
                      "where that is said: a commit, a man page)")
        after = vals.get("after")
        if after is not None and (not isinstance(after, int) or isinstance(after, bool)
                                  or not 1 <= after <= len(steps)):
            raise err(m["after"][1], f"after is a step number, 1 to {len(steps)}")
        out.append(LogLine(vals["node"], vals["source"], vals["lab"], " ".join(str(why).split()),
                           after, f"{where}:{item.start_mark.line + 1}"))
    return out


def _expectations(node: yaml.Node, steps: list[Step], err, where: str, name: str) -> \
        list[Expectation]:
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    if not items:
        raise err(node, "expect is empty: write all_invariants for a run that must hold")
    out: list[Expectation] = []
    words: list[str] = []
    for item in items:
        at = f"{where}:{item.start_mark.line + 1}"
        if isinstance(item, yaml.MappingNode):
            out.append(_precise(item, steps, err, at, name))
            continue
        word = _value(item)
        if not isinstance(word, str) or word not in EXPECT:
            close = difflib.get_close_matches(str(word), [*EXPECT, *INVARIANTS], n=1)
            raise err(item, f"unknown expectation {word!r}"
                      + (f" (did you mean {close[0]!r}?)" if close else "")
                      + f"; one of: {', '.join(EXPECT)}, or a mapping "
                      "{invariant: ..., when: ..., fault: ...}")
        words.append(word)
        out += [Expectation(inv, reason=f"{name} (expect: {word})", where=at)
                for inv in sorted(EXPECT[word])]
    if "all_invariants" in words and len(items) > 1:
        raise err(node, "all_invariants means no violation: it cannot be combined with others")
    return out


def _precise(node: yaml.MappingNode, steps: list[Step], err, at: str, name: str) -> Expectation:
    m = _mapping(node)
    for key, (k, _) in m.items():
        if key not in EXPECTATION_KEYS:
            raise err(k, _unknown_key(key, EXPECTATION_KEYS, " in an expectation"))
    if "invariant" not in m:
        raise err(node, f"an expectation needs invariant: (one of {', '.join(INVARIANTS)})")
    vals = {key: _value(v) for key, (_, v) in m.items()}
    inv = vals["invariant"]
    if inv not in INVARIANTS:
        close = difflib.get_close_matches(str(inv), [*INVARIANTS, *WORD_FOR.values()], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        if close and close[0] in EXPECT:
            hint = f" ({close[0]!r} is an old word; its invariant is " \
                   f"{sorted(EXPECT[close[0]])[0]!r})"
        raise err(m["invariant"][1], f"unknown invariant {inv!r}{hint}; one of: "
                  f"{', '.join(INVARIANTS)}")
    when = vals.get("when", "during")
    if when not in WHEN:
        close = difflib.get_close_matches(str(when), WHEN, n=1)
        raise err(m["when"][1], f"when {when!r}" + (f" (did you mean {close[0]!r}?)" if close
                                                      else "") + f"; one of: {', '.join(WHEN)}")
    fault = None
    if "fault" in m:
        try:
            fault = canonical_fault(str(vals["fault"]))
        except ValueError as exc:
            raise err(m["fault"][1], str(exc)) from exc
        if fault not in {s.fault for s in steps}:
            raise err(m["fault"][1], f"fault {fault!r} is not in the timeline "
                      f"({', '.join(sorted({s.fault for s in steps}))}): the expectation "
                      "could never apply")
    target = None
    if "target" in m:
        target = str(vals["target"])
        # owner/standby match only steps written so; a node name also matches those (the
        # fault event lists the nodes it hit), but not a step written for another node
        roles = ("owner", "standby")
        if not any(s.target == target or (target not in roles and s.target in roles)
                   for s in steps if fault is None or s.fault == fault):
            raise err(m["target"][1], f"no {fault or 'step'} in the timeline has target "
                      f"{target!r}: the expectation could never apply")
    if when == "after-heal" and not any(s.duration for s in steps
                                        if fault is None or s.fault == fault):
        raise err(m.get("when", (node, node))[1], f"when: after-heal needs "
                  f"{fault or 'a fault'} to heal before the end: give its step a for:")
    reason = vals.get("reason", name)
    if not isinstance(reason, str) or not reason.strip():
        raise err(m["reason"][1], "reason must be text")
    intermittent = vals.get("intermittent", False)
    if not isinstance(intermittent, bool):
        raise err(m["intermittent"][1], "intermittent is true or false")
    phrases = {}
    for key in ("signature", "consequences"):
        value = vals.get(key, [])
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not all(isinstance(x, str) and x.strip()
                                                  for x in value):
            raise err(m[key][1], f"{key} is a phrase or a list of phrases naming findings, "
                      "e.g. [\"applier error 1062 on node2\"]")
        phrases[key] = tuple(" ".join(x.split()) for x in value)
    return Expectation(inv, fault=fault, target=target, when=when,
                       reason=" ".join(reason.split()), where=at, intermittent=intermittent,
                       **phrases)


def _step(i: int, node: yaml.Node, err) -> Step:
    if not isinstance(node, yaml.MappingNode):
        raise err(node, f"step {i}: a step is a mapping (at:, fault:, for:)")
    m = _mapping(node)
    for key, (knode, _) in m.items():
        if key not in STEP_KEYS:
            raise err(knode, f"step {i}: unknown key {key!r}; keys: {', '.join(sorted(STEP_KEYS))}")
    if "at" not in m and "when" not in m:
        raise err(node, f"step {i}: needs at: (a time) or when: (a condition)")
    if "fault" in m and "action" in m:
        raise err(m["action"][1], f"step {i}: a step is a fault or an action, not both")

    def val(key: str) -> Any:
        return _value(m[key][1])

    def seconds(key: str) -> float:
        try:
            return parse_duration(val(key))
        except ValueError as exc:
            raise err(m[key][1], f"step {i}: {exc}") from exc

    at = None
    if "at" in m:
        at = seconds("at")
        if at < 0:
            raise err(m["at"][1], f"step {i}: at must be >= 0")
    conds = {}
    for key in ("when", "heal_when"):
        if key in m:
            try:
                conditions.parse(str(val(key)), [])
            except ConfigError as exc:
                raise err(m[key][1], f"step {i}: {exc}") from exc
            conds[key] = str(val(key))
    timeout = 60.0
    if "timeout" in m:
        timeout = seconds("timeout")
    target = str(val("target")) if "target" in m else "owner"
    fault = action = None
    if "fault" in m:
        words = str(val("fault")).split()
        if len(words) == 2 and "target" not in m:
            target = words[1]
        elif len(words) != 1:
            raise err(m["fault"][1], f"step {i}: write `fault: NAME TARGET` or fault: + target:")
        try:
            fault = canonical_fault(words[0])
        except ValueError as exc:
            raise err(m["fault"][1], f"step {i}: {exc}") from exc
    elif "action" in m:
        try:
            action = action_name(str(val("action")))
        except ConfigError as exc:
            raise err(m["action"][1], f"step {i}: {exc}") from exc
        if "target" not in m:
            target = "last-faulted"
    elif "when" not in m:
        raise err(node, f"step {i}: needs fault:, action:, or when: (to wait for a condition)")
    duration = None
    never = "for" in m and str(val("for")).strip().lower() == "never"
    if never and (not fault or "heal_when" in m):
        raise err(m["for"][1], f"step {i}: for: never holds a fault for good (no heal_when)")
    if "for" in m and not never:
        duration = seconds("for")
        if duration <= 0:
            raise err(m["for"][1], f"step {i}: for must be > 0 (or never)")
    if never and not (CATALOGUE[fault].whole_node and CATALOGUE[fault].removes_service):
        raise err(m["for"][1], f"step {i}: for: never loses a node for good: only a fault that "
                  "takes the whole node (crash-node, pause-node) can, not " + fault)
    params = val("params") if "params" in m else {}
    if not isinstance(params, dict):
        raise err(m["params"][1], f"step {i}: params must be a mapping")
    if "disk" in params:
        if fault != "crash-node" or params["disk"] not in ("kept", "lost"):
            raise err(m["params"][1], f"step {i}: disk: kept | lost is a crash-node param")
        if params["disk"] == "lost" and not never:
            raise err(m["params"][1], f"step {i}: a node whose disk is lost does not come "
                      "back in the run: add for: never")
    return Step(at, fault, target, duration, params, node.start_mark.line + 1, action=action,
                when=conds.get("when"), heal_when=conds.get("heal_when"), timeout=timeout,
                never=never)


def expected_violations(incident: Incident) -> set[str]:
    """The invariants the incident declares violated (whatever the when)."""
    return {e.invariant for e in incident.expectations}
