"""The code verdicts lean on, asserted in full: remedies read from a bundle's remedies.toml and
matched to violations, the questions asked of a history (findings in a state, address streams,
unobserved stretches, polls that disagree with the stream, nodes lost for good), and the
comparison of a source's log lines with the lab's."""

import pytest
from histories import fault, final, node_state, run

from harness import remedies
from harness.catalogue import INVARIANTS
from harness.checkers.query import (
    findings_in,
    gone_nodes,
    judged_events,
    poll_disagreements,
    stream_spans,
    unobserved,
)
from harness.errors import ConfigError
from harness.logmatch import LogLine, Match, _step_starts, compare, table
from harness.remedies import Remedy

# --- remedies.load: every bad entry of a file in one ConfigError, at its line -------------------

BAD = """extra = 1
[[remedy]]
invariant = "speed"
[[remedy]]
invariant = "migration"
signature = ["  "]
[[remedy]]
invariant = "migration"
signature = ["x"]
see = "s"
[[remedy]]
invariant = "migration"
signature = "x"
change = "c"
see = "s"
costs = "k"
fualt = "kill-mysqld"
"""


def test_every_bad_remedy_of_a_file_is_reported_at_its_line_in_one_error(tmp_path):
    f = tmp_path / "remedies.toml"
    f.write_text(BAD)
    with pytest.raises(ConfigError) as exc:
        remedies.load(f, "b")
    assert str(exc.value).split("\n") == [
        "b/remedies.toml:1: unknown key 'extra' in remedies.toml; known: remedy",
        f"b/remedies.toml:2: invariant 'speed': one of {', '.join(INVARIANTS)}",
        'b/remedies.toml:4: signature: the findings it removes, e.g. ["VIP never moved off *"]',
        "b/remedies.toml:7: change, costs missing: say what the change is, where, and what it "
        "costs",
        "b/remedies.toml:17: unknown key 'fualt' in [[remedy]] (did you mean 'fault'?); known: "
        "invariant, fault, network, signature, change, see, costs",
    ]


@pytest.mark.parametrize("signature", ['["VIP never moved off *", " "]', '[]', '""', '[3]'])
def test_a_signature_with_a_blank_or_non_text_phrase_could_never_match(tmp_path, signature):
    f = tmp_path / "remedies.toml"
    f.write_text('# a remedy\n\n[[remedy]]\ninvariant = "migration"\n'
                 f'signature = {signature}\nchange = "c"\nsee = "s"\ncosts = "k"\n')
    with pytest.raises(ConfigError) as exc:
        remedies.load(f, "b")
    assert str(exc.value) == ('b/remedies.toml:3: signature: the findings it removes, e.g. '
                              '["VIP never moved off *"]')


def test_an_unknown_key_alone_is_reported_even_when_the_entries_are_good(tmp_path):
    f = tmp_path / "remedies.toml"
    f.write_text('[[remedy]]\ninvariant = "migration"\nsignature = ["x"]\nchange = "c"\n'
                 'see = "s"\ncosts = "k"\nnetwrok = "cloud"\n')
    with pytest.raises(ConfigError) as exc:
        remedies.load(f, "b")
    assert str(exc.value) == ("b/remedies.toml:7: unknown key 'netwrok' in [[remedy]] (did you "
                              "mean 'network'?); known: invariant, fault, network, signature, "
                              "change, see, costs")


def test_good_remedies_load_with_their_line_fault_network_and_words_joined(tmp_path):
    f = tmp_path / "remedies.toml"
    f.write_text('# header\n'
                 '[[remedy]]\n'
                 'invariant = "migration"\n'
                 'fault = "freeze-mysqld"\n'
                 'signature = "VIP never moved off *"\n'
                 'change = """a timeout\n   on the   check"""\n'
                 'see = "  keepalived.conf.j2\\n (vrrp_script)  "\n'
                 'costs = "a slow\\tmysqld   moves the VIP"\n'
                 '\n'
                 '[[remedy]]\n'
                 'invariant = "service"\n'
                 'network = "cloud"\n'
                 'signature = ["no service after *", "no write through *"]\n'
                 'change = "notify_master"\n'
                 'see = "cloud-assign-vip.sh"\n'
                 'costs = "the API"\n')
    assert remedies.load(f, "hardened") == [
        Remedy("hardened", "migration", ("VIP never moved off *",), "a timeout on the check",
               "keepalived.conf.j2 (vrrp_script)", "a slow mysqld moves the VIP",
               fault="freeze-mysqld", network=None, where="hardened/remedies.toml:2"),
        Remedy("hardened", "service", ("no service after *", "no write through *"),
               "notify_master", "cloud-assign-vip.sh", "the API", fault=None, network="cloud",
               where="hardened/remedies.toml:11"),
    ]


def test_a_file_without_remedies_has_none(tmp_path):
    f = tmp_path / "remedies.toml"
    f.write_text("# nothing yet\n")
    assert remedies.load(f, "b") == []


# --- Remedy.matches, to_dict, for_results, lines -------------------------------------------------

LAN_ONLY = Remedy("fenced", "migration", ("VIP never moved off *",), "fence it", "fence.sh",
                  "a fence device", network="lan", where="fenced/remedies.toml:3")


def test_a_remedy_for_the_lan_profile_matches_where_no_profile_is_named():
    assert LAN_ONLY.matches("migration", ["VIP never moved off node1"], None)
    assert not LAN_ONLY.matches("migration", ["VIP never moved off node1"], None, "cloud")
    assert LAN_ONLY.to_dict() == {"bundle": "fenced", "change": "fence it", "see": "fence.sh",
                                  "costs": "a fence device", "where": "fenced/remedies.toml:3"}


def verdicts(*pairs):
    return [{"invariant": inv, "status": status, "signature": sig} for inv, status, sig in pairs]


def test_for_results_lists_each_failed_verdict_with_the_remedys_bundle_outcome_in_full():
    results = [
        {"bundle": "seed@cloud", "test": "freeze-owner", "fault": "freeze-mysqld",
         "outcome": "fail",
         "verdicts": verdicts(("bringup", "pass", []),
                              ("migration", "FAIL", ["VIP never moved off node1"]))},
        {"bundle": "fenced@cloud", "test": "freeze-owner", "fault": "freeze-mysqld",
         "outcome": "pass", "verdicts": verdicts(("migration", "pass", []))},
        {"bundle": "seed", "test": "kill-owner", "fault": "kill-mysqld", "outcome": "fail",
         "verdicts": verdicts(("migration", "FAIL", ["VIP never moved off node1"]))},
    ]
    found = remedies.for_results(results, [LAN_ONLY])
    # the rows name no network profile: the lan remedy applies to both
    assert found == [
        {"bundle": "seed@cloud", "test": "freeze-owner", "invariant": "migration",
         "remedy": LAN_ONLY.to_dict(), "their_outcome": "pass", "see_it": None},
        {"bundle": "seed", "test": "kill-owner", "invariant": "migration",
         "remedy": LAN_ONLY.to_dict(), "their_outcome": None,
         "see_it": "vipchaos run --config fenced --faults kill-mysqld"},
    ]
    assert remedies.lines(found) == [
        "remedy for seed@cloud/freeze-owner (migration): fence it [fenced: fence.sh; fenced on "
        "the same test: pass; costs: a fence device]",
        "remedy for seed/kill-owner (migration): fence it [fenced: fence.sh; see it: vipchaos run "
        "--config fenced --faults kill-mysqld; costs: a fence device]",
    ]


def test_a_lan_remedy_does_not_apply_on_the_cloud_profile():
    results = [{"bundle": "seed@cloud", "test": "t", "fault": "kill-mysqld", "network": "cloud",
                "outcome": "fail",
                "verdicts": verdicts(("migration", "FAIL", ["VIP never moved off node1"]))}]
    assert remedies.for_results(results, [LAN_ONLY]) == []


# --- findings_in: why a state is not the intended one ---------------------------------------------

def node(vip=True, keepalived=True, checks=None, vrrp="MASTER", io=True, sql=True):
    return {"vip": vip, "keepalived": keepalived, "checks": dict(checks or {}), "vrrp": vrrp,
            "io": io, "sql": sql}


def test_an_unobserved_value_is_a_problem_by_default():
    st = {"node1": node(vip=None, keepalived=None, vrrp=None, io=None, sql=None),
          "node2": node(vip=False, vrrp="BACKUP")}
    assert findings_in(st, "node1") == [
        ("VIP held by nobody, intended node1 alone", "VIP held by nobody"),
        ("node1: keepalived not running", "keepalived stopped on node1"),
        ("node1: replication channel not running (io=None, sql=None)",
         "channel stopped on node1"),
    ]


def test_the_intended_node_alone_against_what_was_seen_when_not_strict():
    two = {"node1": node(vip=None), "node2": node(vip=True, vrrp="BACKUP")}
    assert findings_in(two, "node1", strict=False) == [
        ("VIP held by ['node2'], intended node1 alone", "VIP held by node2")]
    dropped = {"node1": node(vip=False), "node2": node(vip=None, vrrp="BACKUP")}
    assert findings_in(dropped, "node1", strict=False) == [
        ("VIP held by nobody, intended node1 alone", "VIP held by nobody")]
    unknown = {"node1": node(vip=None), "node2": node(vip=None, vrrp="BACKUP")}
    assert findings_in(unknown, "node1", strict=False) == []
    # an intended node the state does not know: nothing seen wrong unless strict
    assert findings_in(unknown, "node3", strict=False) == []
    assert findings_in(unknown, "node3") == [
        ("VIP held by nobody, intended node3 alone", "VIP held by nobody")]


def test_any_single_owner_against_what_was_seen_when_not_strict():
    def pair(v1, v2, s1="MASTER", s2="BACKUP"):
        return {"node1": node(vip=v1, vrrp=s1), "node2": node(vip=v2, vrrp=s2)}

    assert findings_in(pair(True, True, "MASTER", "MASTER"), None, strict=False) == [
        ("VIP held by ['node1', 'node2'], not by exactly one node", "VIP held by node1+node2"),
        ("VRRP states ['MASTER', 'MASTER'], not one MASTER and one BACKUP",
         "VRRP states MASTER+MASTER"),
    ]
    assert findings_in(pair(False, False), None, strict=False) == [
        ("VIP held by nobody, not by exactly one node", "VIP held by nobody")]
    assert findings_in(pair(False, None), None, strict=False) == []
    assert findings_in(pair(None, None), None, strict=False) == []
    assert findings_in(pair(None, None), None) == [
        ("VIP held by nobody, not by exactly one node", "VIP held by nobody")]
    assert findings_in(pair(True, False, "MASTER", None), None, strict=False) == []
    assert findings_in(pair(True, False, "MASTER", None), None) == [
        ("VRRP states ['MASTER', 'None'], not one MASTER and one BACKUP",
         "VRRP states MASTER+None")]
    assert findings_in(pair(True, False, "BACKUP", "BACKUP"), None, strict=False) == [
        ("VRRP states ['BACKUP', 'BACKUP'], not one MASTER and one BACKUP",
         "VRRP states BACKUP+BACKUP")]


def test_silent_and_failing_checks_name_every_script_in_their_phrases():
    st = {"node1": node(checks={"chk_b": False, "chk_a": False, "chk_c": False, "chk_ok": True}),
          "node2": node(vip=False, vrrp="BACKUP", keepalived=None, checks={"chk_x": True}),
          "node3": node(vip=False, vrrp="BACKUP", keepalived=True)}
    del st["node3"]
    expected = {"node1": ["chk_a", "chk_b"],
                "node2": ["chk_x", "chk_y", "chk_z", "chk_w"]}
    assert findings_in(st, "node1", expected) == [
        ("node1: check chk_a, chk_b, chk_c failing", "check chk_a failing on node1"),
        ("", "check chk_b failing on node1"),
        ("", "check chk_c failing on node1"),
        ("node2: keepalived not running", "keepalived stopped on node2"),
        ("node2: check chk_y, chk_z, chk_w never reported a result (disabled by keepalived?)",
         "check chk_y silent on node2"),
        ("", "check chk_z silent on node2"),
        ("", "check chk_w silent on node2"),
    ]
    # not strict: a check is silent because keepalived is down, or reported nothing while it ran
    assert findings_in(st, "node1", expected, strict=False) == [
        ("node1: check chk_a, chk_b, chk_c failing", "check chk_a failing on node1"),
        ("", "check chk_b failing on node1"),
        ("", "check chk_c failing on node1"),
    ]
    running = {**st, "node2": node(vip=False, vrrp="BACKUP", checks={"chk_x": True})}
    assert findings_in(running, "node1", {"node2": ["chk_x", "chk_y"]}, strict=False) == [
        ("node1: check chk_a, chk_b, chk_c failing", "check chk_a failing on node1"),
        ("", "check chk_b failing on node1"),
        ("", "check chk_c failing on node1"),
        ("node2: check chk_y never reported a result (disabled by keepalived?)",
         "check chk_y silent on node2"),
    ]


# --- address streams and what they say about the poller ------------------------------------------

def stream(t, nd, state, kind="addr"):
    e = {"t": t, "kind": "stream", "node": nd, "state": state}
    if kind is not None:
        e["stream"] = kind
    return e


def vip(t, nd, held, source="poll", why="fib"):
    return {"t": t, "kind": "vip", "node": nd, "held": held, "source": source, "why": why}


def test_stream_spans_run_from_each_up_to_its_down_of_that_nodes_address_stream():
    events = [stream(0.5, "node1", "down"),  # a down with nothing open: no span
              stream(1.0, "node1", "up", kind=None),  # a stream without a name is the address's
              stream(1.5, "node2", "up"),
              stream(2.0, "node1", "up"),  # already up
              {"t": 2.5, "kind": "vrrp", "node": "node1", "state": "down"},
              stream(3.0, "node1", "down", kind="link"),
              stream(4.0, "node1", "down"),
              stream(5.0, "node1", "up"),
              stream(6.0, "node2", "down"),
              {"t": 9.0, "kind": "note", "node": "node1"}]
    assert stream_spans(events, "node1") == [(1.0, 4.0), (5.0, 9.0)]
    assert stream_spans(events, "node2") == [(1.5, 6.0)]
    assert stream_spans(events, "node3") == []


def test_polls_on_the_edges_of_a_stream_span_are_left_to_the_stream():
    events = [stream(1.0, "node1", "up"), vip(1.0, "node1", True), vip(2.0, "node1", True),
              stream(3.0, "node1", "down"), vip(3.0, "node1", True), vip(3.5, "node1", True),
              vip(2.0, "node1", True, source="kernel")]
    assert judged_events(events) == [events[0], events[3], events[5], events[6]]


def test_unobserved_is_the_poll_gaps_the_stream_did_not_cover_rounded():
    events = [{"t": 0.0, "kind": "beat", "observer": "vip", "node": "node1"},
              stream(2.12345, "node1", "up"), stream(4.56789, "node1", "down"),
              {"t": 5.0, "kind": "beat", "observer": "vip", "node": "node1"},
              {"t": 5.5, "kind": "beat", "observer": "vip", "node": "node1"},
              {"t": 10.0, "kind": "beat", "observer": "vip", "node": "node1"}]
    assert unobserved(events, "node1", 0.0, 10.0, 0.2) == [[0.0, 2.123], [4.568, 5.0],
                                                             [5.0, 5.5], [5.5, 10.0]]
    assert unobserved(events, "node1", 0.0, 10.0, 0.5) == [[0.0, 2.123], [5.5, 10.0]]
    # short pieces on both sides of a span; one exactly as long as the allowed gap is no gap
    short = [stream(0.25, "node1", "up"), stream(0.75, "node1", "down"),
             {"t": 2.0, "kind": "beat", "observer": "vip", "node": "node1"}]
    assert unobserved(short, "node1", 0.0, 1.0, 0.125) == [[0.0, 0.25], [0.75, 1.0]]
    assert unobserved(short, "node1", 0.0, 1.0, 0.25) == []


def disagreements(*events, tolerance=0.5):
    return poll_disagreements(sorted(events, key=lambda e: e["t"]), "node1", tolerance)


def test_a_poll_disagrees_only_with_no_stream_state_within_tolerance_either_side():
    base = [stream(0.0, "node1", "up"), vip(1.0, "node1", True, source="kernel"),
            stream(9.0, "node1", "down")]
    # the kernel's first word comes after the window opens: the poll saw nothing it said
    assert disagreements(*base, vip(1.25, "node1", False)) == [1.25]
    # a change exactly at the window's start is the state there
    changed = [*base, vip(2.0, "node1", False, source="dump")]
    assert disagreements(*changed, vip(2.5, "node1", True)) == [2.5]
    assert disagreements(*changed, vip(2.5, "node1", False)) == []
    # a change exactly at the window's end counts too
    assert disagreements(*changed, vip(1.5, "node1", False)) == []
    assert disagreements(*changed, vip(1.25, "node1", False)) == [1.25]
    # both ends of the window must be inside the stream span
    assert disagreements(*changed, vip(8.75, "node1", True)) == []
    assert disagreements(*changed, vip(8.5, "node1", True)) == [8.5]
    late = [stream(1.0, "node1", "up"), vip(1.0, "node1", True, source="kernel"),
            stream(9.0, "node1", "down")]
    assert disagreements(*late, vip(1.25, "node1", False)) == []
    assert disagreements(*late, vip(1.5, "node1", False)) == [1.5]
    # only real readings: not an unreadable table, not an inference from a gone init
    assert disagreements(*late, vip(2.0, "node1", False, why="init gone"),
                         vip(3.0, "node1", None, why="fib_trie unreadable")) == []
    assert disagreements(vip(1.0, "node1", False)) == []


def test_a_node_is_gone_when_lost_before_the_final_state_and_not_healed_even_if_the_heal_failed():
    def lost(start_t, *extra):
        start = fault(start_t, name="crash-node")
        start["never"] = True
        return [run(0.0), start, *extra,
                final(10.0, node_state([], reachable=False), node_state([]), owners=("node2",))]

    assert gone_nodes(lost(10.0)) == ["node1"]
    assert gone_nodes(lost(3.0, fault(5.0, "heal-failed", "crash-node"))) == []
    assert gone_nodes(lost(3.0, fault(5.0, "healed", "crash-node"))) == []
    assert gone_nodes(lost(3.0, fault(5.0, "failed", "crash-node"))) == ["node1"]


# --- logmatch ------------------------------------------------------------------------------------

def test_steps_start_at_their_fault_or_action_start_including_inject():
    events = [{"t": 0.5, "kind": "fault", "phase": "start", "fault": "x"},  # no step: none
              {"t": 1.0, "kind": "fault", "phase": "inject", "step": 0},
              {"t": 2.0, "kind": "action", "phase": "failed", "step": 1},
              {"t": 3.0, "kind": "fault", "phase": "healed", "step": 2},
              {"t": 3.5, "kind": "step", "phase": "reached", "step": 2},
              {"t": 4.0, "kind": "action", "step": 3},
              {"t": 4.5, "kind": "fault", "phase": "start", "step": 4},
              {"t": 5.0, "kind": "fault", "phase": "start", "step": 4}]
    assert _step_starts(events) == {1: 1.0, 4: 4.0, 5: 4.5}


KLOGS = [
    {"t": 1.0, "kind": "fault", "phase": "start", "step": 0, "node": "node1"},
    {"t": 3.0, "kind": "klog", "node": "node1", "text": "(VI_1) Entering BACKUP STATE"},
    {"t": 1.0, "kind": "klog", "node": "node1", "text": "(VI_1) Entering MASTER STATE"},
    {"t": 1.0, "kind": "klog", "node": "node1", "text": "(VI_1) Entering FAULT STATE"},
    {"t": 0.5, "kind": "klog", "node": "node1"},  # no text
    {"kind": "klog", "node": "node1", "text": "no time: not the lab's"},
    {"t": 0.2, "kind": "note", "node": "node1", "text": "(VI_1) Entering nothing STATE"},
    {"t": 2.0, "kind": "klog", "node": "node2", "text": "sending on {peer} literally"},
]


def test_compare_reads_each_nodes_klog_lines_in_time_order_from_the_step_start_on():
    lines = [LogLine("node1", "src 0", "FAULT"),  # no step yet: from the first line on
             LogLine("node1", "src a", "Entering", after=1),
             LogLine("node1", "src b", "STATE"),
             LogLine("node1", None, "BACKUP", why="newer keepalived"),
             LogLine("node1", "src d", None, why="systemd's"),
             LogLine("node1", "src e", "no time"),
             LogLine("node1", "src f", "nothing"),
             LogLine("node2", "src g", "on {peer}"),
             LogLine("node2", "src h", "on {vip}", after=1),
             LogLine("node1", "src i", "MASTER", after=2)]
    got = compare(lines, KLOGS, {"vip": "198.18.151.100"})
    assert got.pop(0) == Match(lines[0], 1.0, "(VI_1) Entering FAULT STATE")
    assert got == [Match(lines[1], 1.0, "(VI_1) Entering MASTER STATE"),
                   Match(lines[2], 1.0, "(VI_1) Entering MASTER STATE"),
                   Match(lines[3], 3.0, "(VI_1) Entering BACKUP STATE"),
                   Match(lines[4], None),
                   Match(lines[5], None),
                   Match(lines[6], None),
                   Match(lines[7], 2.0, "sending on {peer} literally"),
                   Match(lines[8], None),
                   Match(lines[9], None)]
    assert [m.missing for m in got] == [False, False, False, False, True, True, False, True, True]
    assert table(got[2:5] + got[7:]) == "\n".join([
        "  node1  (no such line in the source's version)",
        "           lab: t=  3.00s (VI_1) Entering BACKUP STATE  (newer keepalived)",
        "  node1  src d",
        "           lab: -- none: systemd's",
        "  node1  src e",
        "           lab: !! NOT FOUND: no time",
        "  node2  src h",
        "           lab: !! NOT FOUND: on {vip}",
        "  node1  src i",
        "           lab: !! NOT FOUND: MASTER",
    ])
    assert table(got[:1]) == ("  node1  src a\n"
                              "           lab: t=  1.00s (VI_1) Entering MASTER STATE")


@pytest.mark.parametrize("text", ['[remedy]\ninvariant = "service"\n', 'remedy = "x"\n',
                                  'remedy = ["x"]\n'])
def test_a_remedy_that_is_not_an_array_of_tables_is_an_error(tmp_path, text):
    """Written as [remedy] (one table) or a plain value, it would load as no remedies."""
    f = tmp_path / "remedies.toml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=r"b/remedies.toml:1: remedy must be an array of "
                                          r"tables: write each one under \[\[remedy\]\]"):
        remedies.load(f, "b")
