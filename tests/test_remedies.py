"""Remedies: a violation is matched to the shipped change known to remove it, with that
bundle's verdict on the same test when the run has it; a remedy that could never match is an
error at its line."""

import pytest

from harness import remedies
from harness.errors import ConfigError


def row(bundle, test, fault, inv, status, signature, outcome="fail"):
    return {"bundle": bundle, "test": test, "fault": fault, "outcome": outcome,
            "verdicts": [{"invariant": inv, "status": status, "signature": signature}]}


def test_the_shipped_remedies_load_and_each_names_change_place_and_cost():
    found = remedies.shipped()
    assert {r.bundle for r in found} >= {"hardened", "fenced"}
    assert all(r.change and r.see and r.costs for r in found)


def test_a_hung_mysqld_under_the_seed_is_pointed_at_hardened_with_its_verdict():
    results = [row("seed", "freeze-mysqld-owner", "freeze-mysqld", "migration", "FAIL",
                   ["VIP never moved off node1"]),
               row("hardened", "freeze-mysqld-owner", "freeze-mysqld", "migration", "pass", [],
                   outcome="pass")]
    (f,) = [x for x in remedies.for_results(results) if "timeout" in x["remedy"]["change"]
            and x["remedy"]["see"].startswith("keepalived.conf.j2 (vrrp_script check_mysql), "
                                              "scripts/check_mysql.sh (timeout")]
    assert (f["bundle"], f["invariant"], f["their_outcome"]) == ("seed", "migration", "pass")
    assert "hardened on the same test: pass" in remedies.lines([f])[0]


def test_no_remedy_for_a_held_verdict_another_fault_or_the_bundle_itself():
    assert remedies.for_results([row("seed", "x", "isolate-node", "migration", "pass",
                                     ["VIP never moved off node1"])]) == []
    only_freeze = [r for r in remedies.shipped() if r.fault == "freeze-mysqld"]
    assert remedies.for_results([row("seed", "x", "kill-mysqld", "migration", "FAIL",
                                     ["VIP never moved off node1"])], only_freeze) == []
    assert remedies.for_results([row("hardened@cloud", "x", "freeze-mysqld", "migration",
                                     "FAIL", ["VIP never moved off node1"])]) == []


def test_without_that_bundle_in_the_run_the_report_says_how_to_see_it():
    (f,) = remedies.for_results([row("prod", "isolate-node-owner", "isolate-node",
                                     "single_owner", "FAIL", ["dual ownership"])])
    assert f["their_outcome"] is None
    assert f["see_it"] == "vipchaos run --config hardened --faults isolate-node"


@pytest.mark.parametrize("text, needle", [
    ('[[remedy]]\ninvariant = "speed"\nsignature = ["x"]\nchange = "c"\nsee = "s"\n'
     'costs = "k"\n', "invariant 'speed'"),
    ('[[remedy]]\ninvariant = "origin"\nchange = "c"\nsee = "s"\ncosts = "k"\n', "signature:"),
    ('[[remedy]]\ninvariant = "origin"\nsignature = ["x"]\nchange = "c"\nsee = "s"\n',
     "costs missing"),
    ('[[remedy]]\ninvariant = "origin"\nsignature = ["x"]\nchange = "c"\nsee = "s"\n'
     'costs = "k"\ncost = "k"\n', "unknown key 'cost'"),
])
def test_a_remedy_that_could_never_match_is_an_error_at_its_line(tmp_path, text, needle):
    f = tmp_path / "remedies.toml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=r"remedies.toml:\d+") as exc:
        remedies.load(f, "b")
    assert needle in str(exc.value)


def test_a_cloud_remedy_applies_on_the_cloud_profile_only():
    lan = row("seed", "kill-mysqld-owner", "kill-mysqld", "migration", "FAIL",
              ["no write through node2"])
    cloud = {**lan, "bundle": "seed@cloud", "network": "cloud"}
    assert not [f for f in remedies.for_results([lan]) if f["remedy"]["bundle"] ==
                "tutorial-cloud"]
    (f,) = [f for f in remedies.for_results([cloud]) if f["remedy"]["bundle"] ==
            "tutorial-cloud"]
    assert "notify_master" in f["remedy"]["change"]
