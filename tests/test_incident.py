from pathlib import Path

import pytest

from harness.checkers import Verdict
from harness.errors import ConfigError
from harness.incident import (
    canonical_fault,
    expected_violations,
    judge,
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


def test_good_file_both_step_forms():
    inc = parse_incident(GOOD)
    a, b = inc.steps
    assert (a.at, a.fault, a.target, a.duration, a.line) == (5.0, "pause-node", "node1", 10.0, 4)
    assert (b.at, b.fault, b.target, b.duration) == (0.5, "block-vrrp", "standby", None)
    assert b.params == {"probability": 0.5}
    assert inc.bundle == "seed" and inc.rate == 20 and inc.mode == "insert"
    assert expected_violations(inc) == {"single_owner", "replication"}


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


def test_missing_required_key():
    text = GOOD.replace("source: https://example.org/report\n", "")
    assert "missing required key 'source'" in _err(text)


def test_bad_duration_and_expectation():
    assert _err(GOOD.replace("for: 10s", "for: soon")).startswith("x.yaml:6:")
    assert "unknown expectation 'chaos'" in _err(GOOD.replace("replication_broken", "chaos"))
    assert "ends before the last step" in _err(GOOD + "duration: 3s\n")
    assert "must be > 0" in _err(GOOD.replace("for: 10s", "for: 0"))


def test_canonical_fault_aliases():
    assert canonical_fault("pause") == "pause-node"
    assert canonical_fault("Kill mysqld".replace(" ", "-")) == "kill-mysqld"
    with pytest.raises(ValueError, match="unknown fault"):
        canonical_fault("explode")


def test_shipped_incidents_parse_and_cite_a_source():
    files = sorted((Path(__file__).parent.parent / "incidents").glob("*.yaml"))
    assert len(files) >= 6
    for f in files:
        inc = load_incident(f)
        assert inc.source.startswith("http"), f


def V(inv, valid):
    return Verdict(inv, valid, "s")


ALL = ["single_owner", "migration", "replication", "writes"]


def test_judge_reproduction_and_fix():
    dual = [V("single_owner", False), V("migration", True), V("replication", True),
            V("writes", True)]
    assert judge(["dual_owner"], dual) == (True, [])
    ok, why = judge(["all_invariants"], dual)
    assert not ok and "single_owner violated" in why[0]
    assert judge(["all_invariants"], [V(i, True) for i in ALL]) == (True, [])
    ok, why = judge(["dual_owner"], [V(i, True) for i in ALL])
    assert not ok and "expected a single_owner violation" in why[0]
    ok, _ = judge(["all_invariants"], [V("single_owner", None)] + [V(i, True) for i in ALL[1:]])
    assert not ok
