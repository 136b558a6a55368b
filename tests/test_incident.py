from pathlib import Path

import pytest

from harness.checkers import Verdict
from harness.errors import ConfigError
from harness.expectations import Expectation
from harness.incident import (
    canonical_fault,
    expected_violations,
    load_incident,
    parse_duration,
    parse_incident,
)

GOOD = """\
name: test
source: https://example.org/report
timeline:
  - at: 5s
    fault: pause node1
    for: 10s
  - at: 500ms
    fault: block-vrrp
    target: standby
    params: {probability: 0.5}
expect: [dual_owner, replication_broken]
"""

FULL = """\
name: full
source: https://example.org/issue/1
source_reports:
  kind: issue
  versions: keepalived 1.2.20
  config: both BACKUP, nopreempt
  symptom: |
    "vip appears on
    both machines"
  explanation: none in the thread
  related: [https://example.org/issue/2]
reconstruction: |
  block-vrrp on the standby.
  The report's began at start-up.
evidence:
  - "vrrp: node2 MASTER"
  - arp entry names node2
description: short
bundle: seed
overrides: {vip: 198.18.151.50}
workload: {rate: 10, mode: next-number}
duration: 40s
timeline:
  - at: 5s
    fault: block-vrrp
    target: standby
    for: 15s
  - at: 25s
    fault: pause
    target: node1
    for: 5s
expect:
  - {invariant: single_owner, when: after-heal, fault: block-vrrp}
  - invariant: migration
    fault: pause-node
    target: node1
    reason: the VIP never moves
  - lost_writes
"""


def test_good_file_both_step_forms():
    inc = parse_incident(GOOD)
    a, b = inc.steps
    assert (a.at, a.fault, a.target, a.duration, a.line) == (5.0, "pause-node", "node1", 10.0, 4)
    assert (b.at, b.fault, b.target, b.duration) == (0.5, "block-vrrp", "standby", None)
    assert b.params == {"probability": 0.5}
    assert inc.bundle == "seed" and inc.rate == 20 and inc.mode == "insert"
    assert expected_violations(inc) == {"single_owner", "replication"}
    assert inc.source_reports is None and inc.reconstruction == "" and inc.evidence == []


def test_old_words_become_expectations_with_where():
    inc = parse_incident(GOOD, "x.yaml")
    assert [(e.invariant, e.when, e.fault, e.target, e.where) for e in inc.expectations] == [
        ("single_owner", "during", None, None, "x.yaml:11"),
        ("replication", "during", None, None, "x.yaml:11")]
    assert inc.expect == ["dual_owner", "replication_broken"]


@pytest.mark.parametrize(("expect", "invariants"), [
    ("all_invariants", []), ("migration", []), ("dual_owner", ["single_owner"]),
    ("no_migration", ["migration"]), ("lost_writes", ["writes"]),
    ("replication_broken", ["replication"]), ("[no_migration, lost_writes]",
                                              ["migration", "writes"])])
def test_each_old_word(expect, invariants):
    inc = parse_incident(GOOD.replace("[dual_owner, replication_broken]", expect))
    assert [e.invariant for e in inc.expectations] == invariants
    assert all(isinstance(e, Expectation) and e.when == "during" for e in inc.expectations)
    words = {"single_owner": "dual_owner", "migration": "no_migration",
             "writes": "lost_writes", "replication": "replication_broken"}
    assert inc.expect == ([words[i] for i in invariants] or ["all_invariants"])


def test_block_list_of_words_has_a_line_each():
    text = GOOD.replace("expect: [dual_owner, replication_broken]\n",
                        "expect:\n  - dual_owner\n  - replication_broken\n")
    inc = parse_incident(text, "x.yaml")
    assert [e.where for e in inc.expectations] == ["x.yaml:12", "x.yaml:13"]


def test_full_file_every_field():
    inc = parse_incident(FULL, "inc.yaml")
    r = inc.source_reports
    assert r.url == "https://example.org/issue/1"  # defaults to source
    assert (r.kind, r.versions, r.config) == ("issue", "keepalived 1.2.20",
                                              "both BACKUP, nopreempt")
    assert r.symptom == '"vip appears on both machines"'  # whitespace folded
    assert r.explanation == "none in the thread"
    assert r.related == ["https://example.org/issue/2"]
    assert inc.reconstruction == "block-vrrp on the standby.\nThe report's began at start-up."
    assert inc.evidence == ["vrrp: node2 MASTER", "arp entry names node2"]
    assert inc.description == "short" and inc.overrides == {"vip": "198.18.151.50"}
    assert (inc.rate, inc.mode, inc.duration) == (10.0, "next-number", 40.0)
    assert [s.fault for s in inc.steps] == ["block-vrrp", "pause-node"]
    a, b, c = inc.expectations
    assert a == Expectation("single_owner", fault="block-vrrp", when="after-heal",
                            reason="full", where="inc.yaml:33")
    assert b == Expectation("migration", fault="pause-node", target="node1", when="during",
                            reason="the VIP never moves", where="inc.yaml:34")
    assert (c.invariant, c.when, c.where) == ("writes", "during", "inc.yaml:38")
    assert inc.expect == ["dual_owner", "no_migration", "lost_writes"]
    assert expected_violations(inc) == {"single_owner", "migration", "writes"}


def test_source_report_url_may_differ_from_source():
    text = FULL.replace("  kind: issue\n", "  kind: issue\n  url: https://example.org/c/9\n")
    assert parse_incident(text).source_reports.url == "https://example.org/c/9"


@pytest.mark.parametrize("when", ["during", "after-heal", "bring-up", "anytime"])
def test_every_when(when):
    text = GOOD.replace("[dual_owner, replication_broken]",
                        f"[{{invariant: single_owner, when: {when}}}]")
    assert parse_incident(text).expectations[0].when == when


@pytest.mark.parametrize(("value", "seconds"), [("5s", 5), ("500ms", 0.5), ("1.5s", 1.5),
                                                ("2m", 120), (3, 3), ("7", 7)])
def test_durations(value, seconds):
    assert parse_duration(value) == seconds


def _err(text):
    with pytest.raises(ConfigError) as exc:
        parse_incident(text, "x.yaml")
    return str(exc.value)


def test_unknown_fault_names_line_and_suggests():
    msg = _err(GOOD.replace("pause node1", "pauze node1"))
    assert msg.startswith("x.yaml:5:") and "did you mean 'pause-node'" in msg


def test_yaml_syntax_error_has_line():
    assert _err("name: a\nsource: b\ntimeline: [\n  - at: 1\n") .startswith("x.yaml:")


def test_unknown_top_key_suggests():
    msg = _err(GOOD + "expct: dual_owner\n")
    assert msg.startswith("x.yaml:12:") and "did you mean 'expect'" in msg
    msg = _err(GOOD + "reconstuction: x\n")
    assert msg.startswith("x.yaml:12:") and "did you mean 'reconstruction'" in msg


def test_missing_required_key():
    text = GOOD.replace("source: https://example.org/report\n", "")
    assert "missing required key 'source'" in _err(text)


def test_bad_duration_and_expectation():
    assert _err(GOOD.replace("for: 10s", "for: soon")).startswith("x.yaml:6:")
    msg = _err(GOOD.replace("replication_broken", "chaos"))
    assert msg.startswith("x.yaml:11:") and "unknown expectation 'chaos'" in msg
    assert "did you mean 'dual_owner'" in _err(GOOD.replace("[dual_owner", "[dual_ownr"))
    assert "ends before the last step" in _err(GOOD + "duration: 3s\n")
    assert "must be > 0" in _err(GOOD.replace("for: 10s", "for: 0"))
    assert "cannot be combined" in _err(GOOD.replace("[dual_owner", "[all_invariants"))
    assert "expect is empty" in _err(GOOD.replace("[dual_owner, replication_broken]", "[]"))


def _expect(body):
    """GOOD with expect: replaced by a block list holding ``body`` (a mapping at line 12)."""
    return _err(GOOD.replace("expect: [dual_owner, replication_broken]\n",
                             "expect:\n  - " + body + "\n"))


def test_bad_precise_expectations_name_their_line():
    msg = _expect("{invariant: single_ownr}")
    assert msg.startswith("x.yaml:12:") and "did you mean 'single_owner'" in msg
    assert "its invariant is 'single_owner'" in _expect("{invariant: dual_owner}")
    msg = _expect("{invariant: writes, when: after_heal}")
    assert msg.startswith("x.yaml:12:") and "did you mean 'after-heal'" in msg
    msg = _expect("{invariant: writes, whn: during}")
    assert msg.startswith("x.yaml:12:") and "did you mean 'when'" in msg
    assert "needs invariant:" in _expect("{when: during}")
    assert "did you mean 'isolate-node'" in _expect("{invariant: writes, fault: isolat-node}")
    assert "not in the timeline" in _expect("{invariant: writes, fault: crash-node}")
    assert "could never apply" in _expect("{invariant: writes, fault: pause, target: node2}")
    assert "could never apply" in _expect("{invariant: writes, fault: pause, target: owner}")
    assert "could never apply" in _expect("{invariant: writes, target: owner}")
    ok = GOOD.replace("[dual_owner, replication_broken]",
                      "[{invariant: writes, fault: block-vrrp, target: node2}]")
    assert parse_incident(ok).expectations[0].target == "node2"  # whoever the standby was
    assert "reason must be text" in _expect("{invariant: writes, reason: ''}")


def test_after_heal_needs_a_healed_fault():
    # block-vrrp has no for: (healed at the end of the timeline): nothing comes after its heal
    msg = _expect("{invariant: single_owner, when: after-heal, fault: block-vrrp}")
    assert msg.startswith("x.yaml:12:") and "give its step a for:" in msg
    inc = parse_incident(GOOD.replace(
        "[dual_owner, replication_broken]",
        "[{invariant: single_owner, when: after-heal, fault: pause}]"))
    assert inc.expectations[0].fault == "pause-node"


def test_bad_source_reports_evidence_reconstruction():
    base = GOOD + "source_reports:\n  symptom: x\n"
    assert parse_incident(base).source_reports.symptom == "x"
    msg = _err(base + "  versoins: 1.2\n")
    assert msg.startswith("x.yaml:14:") and "did you mean 'versions'" in msg
    msg = _err(GOOD + "source_reports:\n  versions: '1.2'\n")
    assert msg.startswith("x.yaml:12:") and "needs symptom:" in msg
    assert "is a mapping" in _err(GOOD + "source_reports: a bug\n")
    assert "must be non-empty text" in _err(GOOD + "source_reports:\n  symptom: ''\n")
    assert "list of links" in _err(base + "  related: https://x\n")
    assert _err(GOOD + "reconstruction: ''\n").startswith("x.yaml:12:")
    assert "list of short notes" in _err(GOOD + "evidence: look at arp\n")
    msg = _err(GOOD + "evidence:\n  - ok\n  - ''\n")
    assert msg.startswith("x.yaml:14:") and "non-empty text" in msg


def test_canonical_fault_aliases():
    assert canonical_fault("pause") == "pause-node"
    assert canonical_fault("Kill mysqld".replace(" ", "-")) == "kill-mysqld"
    with pytest.raises(ValueError, match="unknown fault"):
        canonical_fault("explode")


SHIPPED = sorted((Path(__file__).parent.parent / "incidents").glob("*.yaml"))


def test_there_are_shipped_incidents():
    assert len(SHIPPED) >= 6


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_incident_separates_report_from_reconstruction(path):
    inc = load_incident(path)
    root = Path(__file__).resolve().parent.parent
    # a link, or a document shipped in this repository (the tutorial's own text)
    assert inc.source.startswith("http") or (root / inc.source).is_file()
    r = inc.source_reports
    assert r is not None and r.symptom, path
    assert r.url.startswith("http") or (root / r.url).is_file(), path
    assert r.versions and r.config and r.explanation, path
    assert inc.reconstruction, path
    assert all(e.where.startswith(f"{path}:") for e in inc.expectations)
    # an expectation names a fault of its own timeline, so it says which window it means
    assert all(e.fault in {s.fault for s in inc.steps} for e in inc.expectations), path


def V(inv, valid):
    return Verdict(inv, valid, "s")


ALL = ["single_owner", "migration", "replication", "writes"]




SEQUENCE = """
name: Fail, restore by the runbook, fail the new owner
source: https://example.org/runbook
bundle: seed
timeline:
  - at: 2s
    fault: kill-mysqld
    heal_when: vip-moved
  - action: restore
    when: healed
  - fault: kill-mysqld
    when: redundant
    timeout: 30s
expect: all_invariants
"""


def test_incident_steps_can_wait_for_conditions_and_run_operator_actions():
    inc = parse_incident(SEQUENCE)
    first, restore, second = inc.steps
    assert (first.at, first.fault, first.heal_when) == (2.0, "kill-mysqld", "vip-moved")
    assert (restore.at, restore.action, restore.when, restore.target) == \
        (None, "restore", "healed", "last-faulted")
    assert (second.when, second.timeout) == ("redundant", 30.0)


@pytest.mark.parametrize("step,match", [
    ("  - fault: kill-mysqld\n", r"needs at: \(a time\) or when:"),
    ("  - at: 1s\n    fault: kill-mysqld\n    action: restore\n", "a fault or an action"),
    ("  - at: 1s\n    action: dance\n", "unknown operator action 'dance'"),
    ("  - when: the moon is full\n", "unknown condition"),
])
def test_bad_sequence_steps_name_their_line(step, match):
    text = "name: n\nsource: s\ntimeline:\n" + step + "expect: all_invariants\n"
    with pytest.raises(ConfigError, match=match):
        parse_incident(text)


def test_an_incident_replays_on_a_suite_pair_only_when_it_keeps_the_topology(tmp_path):
    from harness.replay import pooled_bundle
    plain, moved, local = tmp_path / "plain.yaml", tmp_path / "moved.yaml", tmp_path / "local.yaml"
    plain.write_text(GOOD + "bundle: hardened\n")
    moved.write_text(FULL)  # overrides the VIP: a pair of its own
    local.write_text(GOOD + "bundle: bundles/mine\n")
    assert pooled_bundle(plain) == "hardened"
    assert pooled_bundle(moved) is None
    assert pooled_bundle(local) == str((tmp_path / "bundles" / "mine").resolve())
