"""Accepted risks (``risks.toml``) and the fault families a bundle wants run.

Each ``[[accept]]`` is a violation its operator knows and accepts, with the reason and its
``signature``: the findings that make it up (``keepalived stopped on node1``, ``VIP held by
node2``; the vocabulary is :mod:`harness.checkers.signature`). The judge (:mod:`harness.judge`)
passes a test only when the violation shows where declared and is made of those findings, and
fails it when a declared violation stops happening ("remove it"). A risk without a signature
accepts any violation of its invariant in its window; validation warns about it.
"""

from __future__ import annotations

from pathlib import Path

from harness.bundle.sources import TomlDoc
from harness.bundle.topology import Topology
from harness.catalogue import INVARIANTS, check_fault_name
from harness.errors import ConfigError
from harness.expectations import WHEN, Expectation

ACCEPT_KEYS = ("fault", "target", "scenario", "invariant", "when", "reason", "intermittent",
               "signature", "consequences")


def check_fault(name: object, where: str) -> str:
    if not isinstance(name, str):
        raise ConfigError(f"{where}: a fault is a name like \"kill-mysqld\", got {name!r}")
    try:
        return check_fault_name(name)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def load_risks(path: Path, topo: Topology) -> list[Expectation]:
    if not path.exists():
        return []
    doc = TomlDoc.load(path, path.name)
    problems = doc.unknown_keys(doc.data, ["accept"], (), path.name)
    entries = doc.data.get("accept", [])
    if not isinstance(entries, list):
        problems.append(f"{doc.where('accept')}: accept must be an array of tables: write "
                        "[[accept]]")
        entries = []
    for i, e in enumerate(entries):
        if isinstance(e, dict):
            problems += doc.unknown_keys(e, ACCEPT_KEYS, ("accept", i), "[[accept]]")
    if problems:
        raise ConfigError("\n".join(problems))
    invariants = INVARIANTS
    targets = ["owner", "standby", *(n.name for n in topo.nodes)]
    out = []
    for i, e in enumerate(entries):
        where = doc.where("accept", i)

        def field(key: str, required: bool = False, e: dict = e, i: int = i) -> str | None:
            value = e.get(key)
            if value is None:
                if required:
                    raise ConfigError(f"{doc.where('accept', i)}: [[accept]] needs {key} = ...")
                return None
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{doc.where('accept', i, key)}: {key} must be a non-empty "
                                  "string")
            return value

        invariant = field("invariant", required=True)
        if invariants and invariant not in invariants:
            raise ConfigError(f"{doc.where('accept', i, 'invariant')}: unknown invariant "
                              f"{invariant!r}; known: {', '.join(invariants)}")
        fault = field("fault")
        if fault is not None:
            check_fault(fault, doc.where("accept", i, "fault"))
        target = field("target")
        if target is not None and target not in targets:
            raise ConfigError(f"{doc.where('accept', i, 'target')}: target {target!r}: give "
                              f"one of {', '.join(targets)}")
        when = field("when") or "during"
        if when not in WHEN:
            raise ConfigError(f"{doc.where('accept', i, 'when')}: when {when!r}: give one of "
                              f"{', '.join(WHEN)}")
        reason = field("reason", required=True)
        out.append(Expectation(invariant=invariant, fault=fault, target=target, when=when,
                               reason=reason, where=where, scenario=field("scenario"),
                               intermittent=_flag(doc, e, i, "intermittent"),
                               signature=_phrases(doc, e, i, "signature"),
                               consequences=_phrases(doc, e, i, "consequences")))
    return out


def _phrases(doc: TomlDoc, e: dict, i: int, key: str) -> tuple[str, ...]:
    """``signature = "dual ownership"`` or a list of such phrases (globs allowed)."""
    value = e.get(key, [])
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(x, str) and x.strip() for x in items):
        raise ConfigError(f"{doc.where('accept', i, key)}: {key} is a phrase or a list of "
                          "phrases naming findings (harness.checkers.signature), e.g. "
                          "[\"keepalived stopped on node1\", \"VIP held by node2\"]")
    return tuple(" ".join(x.split()) for x in items)


def unsigned(risks: list[Expectation]) -> list[str]:
    """Validation warnings for risks that accept any violation of their invariant."""
    return [f"{r.where}: this risk has no signature: it accepts any {r.invariant} violation in "
            "its window, also a different one; name what it accepts, e.g. signature = "
            f"[{_example(r.invariant)}]" for r in risks if not r.signature
            and not r.consequences]


def _example(invariant: str) -> str:
    return {"single_owner": '"dual ownership"', "migration": '"VIP never moved off node1"',
            "bringup": '"keepalived stopped on node1", "VIP held by node2"',
            "replication": '"applier error 1062 on node2"', "writes": '"acknowledged writes '
            'lost"', "origin": '"writes on a second master node2"',
            "redundancy": '"keepalived stopped on node1"'}.get(invariant, '"..."')


def _flag(doc: TomlDoc, e: dict, i: int, key: str) -> bool:
    value = e.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{doc.where('accept', i, key)}: {key} is true or false")
    return value


def load_faults(doc: TomlDoc) -> list[str] | None:
    """``faults = [...]`` of topology.toml: the fault families to run (None: all)."""
    if "faults" not in doc.data:
        return None
    faults = doc.data["faults"]
    if not isinstance(faults, list):
        raise ConfigError(f"{doc.where('faults')}: faults must be a list like "
                          "[\"kill-mysqld\", \"crash-node\"]")
    return [check_fault(f, doc.where("faults")) for f in faults]
