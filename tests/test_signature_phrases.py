"""The findings' phrases (``harness.checkers.signature``) are the vocabulary accepted risks are
written in: a risk in an operator's ``risks.toml`` matches them as globs, so a changed phrase
silently stops accepting. Each builder is pinned here to the vocabulary its docstring states;
and the judge's reasons when a risk does not cover a violation, in full."""

from histories import fault, healed, run

from harness.checkers import signature as sig
from harness.checkers.verdict import Verdict
from harness.expectations import Expectation
from harness.judge import judge


def test_ownership_phrases():
    assert sig.vip_held_by([]) == "VIP held by nobody"
    assert sig.vip_held_by(["node2"]) == "VIP held by node2"
    assert sig.vip_held_by(["node2", "node1"]) == "VIP held by node1+node2"
    assert sig.vrrp_states(["BACKUP", "BACKUP"]) == "VRRP states BACKUP+BACKUP"
    assert sig.vrrp_states(["MASTER", "FAULT"]) == "VRRP states FAULT+MASTER"
    assert sig.DUAL_OWNERSHIP == "dual ownership"
    assert sig.UP_LATE == "up late"


def test_process_and_check_phrases():
    assert sig.keepalived_stopped("node1") == "keepalived stopped on node1"
    assert sig.check_failing("chk_mysql", "node1") == "check chk_mysql failing on node1"
    assert sig.check_silent("chk_mysql", "node2") == "check chk_mysql silent on node2"
    assert sig.channel_stopped("node1") == "channel stopped on node1"


def test_migration_phrases():
    assert sig.never_moved(["node1"]) == "VIP never moved off node1"
    assert sig.never_moved(["node1", "node2"]) == "VIP never moved off node1+node2"
    assert sig.moved_after_heal(["node1"]) == "VIP moved only after the heal off node1"
    assert sig.moved_after_heal(["node1", "node2"]) == \
        "VIP moved only after the heal off node1+node2"
    assert sig.no_write_through("node2") == "no write through node2"
    assert sig.FAILOVER_OVER_BOUND == "failover over the bound"
    assert sig.GAP_OVER_BOUND == "write gap over the bound"


def test_service_phrases_say_the_heal_of_a_fault_and_a_restore_apart():
    assert sig.no_service_after("heal of kill-mysqld") == \
        "no service after the heal of kill-mysqld"
    assert sig.no_service_after("restore on node1") == "no service after restore on node1"


def test_flapping_phrases_name_a_vip_take_apart_from_a_state():
    assert sig.unexplained("takes the VIP", "node2") == "unexplained VIP take by node2"
    assert sig.unexplained("MASTER", "node1") == "unexplained MASTER on node1"
    assert sig.unexplained("takes the vip", "node1") == "unexplained takes the vip on node1"


def test_data_phrases():
    assert sig.second_master("node2") == "writes on a second master node2"
    assert sig.applier_error("node2", 1062) == "applier error 1062 on node2"
    assert sig.applier_error("node2", None) == "applier error on node2"
    assert sig.applier_error("node2", 0) == "applier error on node2"
    assert sig.receiver_error("node1") == "receiver error on node1"
    assert sig.no_channel("node1") == "no channel on node1"
    assert sig.missing_transactions("node1") == "missing transactions on node1"
    assert (sig.CHECKSUMS_DIFFER, sig.WRITES_LOST, sig.WRITES_DUPLICATED, sig.FAILED_APPLIED,
            sig.ERRANT) == ("checksums differ", "acknowledged writes lost",
                            "writes duplicated", "failed writes applied", "errant writes")
    assert sig.unique(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]


# --- the judge's reasons, in full ----------------------------------------------------------
#: fault at 2 s on node1, healed at 8 s, observed until 20 s; settle 3 s
EVENTS = [run(0.0), fault(2.0), healed(8.0), {"t": 20.0, "kind": "final", "nodes": {}}]


def _bad(windows=((3.0, 4.0),), signature=("dual ownership",)):
    return Verdict("single_owner", False, "two owners", windows=[list(w) for w in windows],
                   signature=list(signature))


def _judge(verdicts, risks, events=EVENTS):
    return judge(verdicts, risks, events, settle_s=3.0)


def test_a_violation_naming_no_finding_says_so():
    out = _judge([_bad(signature=())], [Expectation("single_owner", signature=["dual ownership"],
                                                    where="risks.toml:4")])
    assert out.reasons == ["single_owner: FAIL, not the accepted risk (it accepts: dual "
                           "ownership; seen: no finding named; risks.toml:4): two owners"]


def test_a_risk_of_consequences_only_is_described_as_accepting_anything_it_names():
    risk = Expectation("single_owner", consequences=["checksums differ"], reason="why")
    out = _judge([_bad(signature=["dual ownership"])], [risk])
    assert out.reasons == ["single_owner: FAIL, not the accepted risk (it accepts: anything; "
                           "seen: dual ownership; why): two owners"]


def test_each_covering_risk_adds_its_window():
    """Two risks cover the finding: one during the fault, one after the heal; a violation
    after the heal is accepted by the second whatever the order of the risks."""
    during = Expectation("single_owner", when="during", reason="during")
    after = Expectation("single_owner", when="after-heal", reason="after")
    late = _bad(windows=[(15.0, 16.0)])
    assert _judge([late], [after, during]).status == "accepted"
    assert _judge([late], [during, after]).status == "accepted"


def test_an_unobserved_window_of_any_covering_risk_makes_it_unknown():
    """The after-heal window opens after the run ended (heal 8 + settle 3 > 10): unknown,
    whether that risk comes first or second."""
    events = [run(0.0), fault(2.0), healed(8.0), {"t": 10.0, "kind": "final", "nodes": {}}]
    after = Expectation("single_owner", when="after-heal", reason="after the heal")
    other = Expectation("single_owner", fault="crash-node", reason="a crash")
    late = _bad(windows=[(9.5, 10.0)])
    for risks in ([after, other], [other, after]):
        out = _judge([late], risks, events)
        assert out.status == "unknown", risks
        assert out.reasons == ["single_owner: unknown: the accepted window after-heal (from "
                               "11.0s) was never observed: the run ended at 10.0s (after the "
                               "heal); seen 9.5-10.0s: two owners"]


def test_an_unobserved_window_and_a_violation_without_windows():
    events = [run(0.0), fault(2.0), healed(8.0), {"t": 10.0, "kind": "final", "nodes": {}}]
    after = Expectation("single_owner", when="after-heal", reason="r", where="risks.toml:9")
    out = _judge([_bad(windows=())], [after], events)
    assert out.reasons == ["single_owner: unknown: the accepted window after-heal (from 11.0s) "
                           "was never observed: the run ended at 10.0s (risks.toml:9); seen no "
                           "window: two owners"]
