"""The source's log lines against a replay's keepalived lines: found in order, or missing."""

import pytest

from harness.errors import ConfigError
from harness.incident import parse_incident
from harness.logmatch import LogLine, compare, table

EVENTS = [
    {"t": 1.0, "kind": "action", "phase": "start", "step": 0, "node": "node1"},
    {"t": 1.5, "kind": "klog", "node": "node1", "text": "(VI_1) Entering MASTER STATE"},
    {"t": 5.0, "kind": "action", "phase": "start", "step": 1, "node": "node1"},
    {"t": 5.2, "kind": "klog", "node": "node1", "text": "(VI_1) Entering BACKUP STATE"},
    {"t": 6.0, "kind": "klog", "node": "node1", "text": "(VI_1) Entering MASTER STATE"},
    {"t": 6.0, "kind": "klog", "node": "node1",
     "text": "(VI_1) Sending/queueing gratuitous ARPs on eth0 for 198.18.151.100"},
]


def test_lines_are_found_in_order_from_their_step_with_the_labs_words():
    lines = [LogLine("node1", "Entering BACKUP", "Entering BACKUP STATE", after=2),
             LogLine("node1", "Transition", None, why="gone in 2.x"),
             LogLine("node1", "Entering MASTER", "Entering MASTER STATE"),
             LogLine("node1", "GARP", "gratuitous ARPs on {interface} for {vip}")]
    got = compare(lines, EVENTS, {"vip": "198.18.151.100", "interface": "eth0"})
    assert [m.t for m in got] == [5.2, None, 6.0, 6.0]
    assert not any(m.missing for m in got)
    assert "-- none: gone in 2.x" in table(got)


def test_a_line_before_its_step_is_missing_and_the_step_holds_for_the_nodes_next_lines():
    got = compare([LogLine("node1", "GARP", "gratuitous ARPs", after=2),
                   LogLine("node1", "BACKUP", "Entering BACKUP STATE"),
                   LogLine("node1", "MASTER", "Entering MASTER STATE", after=1)], EVENTS, {})
    assert [m.t for m in got] == [6.0, 5.2, 1.5]  # the lab's own order shows in the times
    got = compare([LogLine("node1", "MASTER", "Entering MASTER STATE", after=2),
                   LogLine("node1", "BACKUP", "Entering MASTER STATE at 1.5")], EVENTS, {})
    assert [m.missing for m in got] == [False, True]
    assert "!! NOT FOUND: Entering MASTER STATE at 1.5" in table(got)
    assert compare([LogLine("node2", "x", "Entering MASTER STATE")], EVENTS, {})[0].missing


BASE = """name: n
source: https://example.org
timeline:
  - at: 1s
    action: stop keepalived
    target: node1
expect: all_invariants
"""


@pytest.mark.parametrize("logs, needle", [
    ("logs:\n  - {node: node1, source: a}\n", "a log line needs lab:"),
    ("logs:\n  - {node: node1, source: null, lab: b}\n", "why: is required"),
    ("logs:\n  - {node: node1, source: null, lab: null, why: x}\n", "cannot both be null"),
    ("logs:\n  - {node: node1, source: a, lab: b, after: 2}\n", "after is a step number, 1 to 1"),
    ("logs:\n  - {node: node1, source: a, lab: b, line: 3}\n", "unknown key 'line'"),
])
def test_a_bad_log_line_is_an_error_at_its_line(logs, needle):
    with pytest.raises(ConfigError, match=r"^i.yaml:9: ") as exc:
        parse_incident(BASE + logs, "i.yaml")
    assert needle in str(exc.value)
