"""Seeded exploration without a pair: the draws (deterministic per seed, within the rules), the
classification of an episode, the incident file it writes (parsed back to the same timeline and
expectations), and the loop (violations written and replayed, unsupported faults left out with
their reason) over synthetic results."""

import random
from types import SimpleNamespace

import pytest

from harness import explore as ex
from harness.checkers.verdict import Verdict
from harness.expectations import Expectation
from harness.faults import CATALOGUE, fault_class
from harness.incident import parse_incident
from harness.judge import Judgement
from harness.results import Result
from harness.scenario import Scenario, Step

POOL = sorted(CATALOGUE)


def scenarios(seed, n=40, bound=6.0):
    rng = random.Random(seed)
    return [ex.draw_scenario(rng, POOL, bound, i + 1) for i in range(n)]


def test_the_same_seed_draws_the_same_episodes_and_another_seed_others():
    assert scenarios(7) == scenarios(7)
    assert [s.steps for s in scenarios(7)] != [s.steps for s in scenarios(8)]


@pytest.mark.parametrize("seed", range(20))
def test_draws_follow_the_rules(seed):
    bound = 6.0
    for sc in scenarios(seed, bound=bound):
        faults = [s for s in sc.steps if s.fault]
        assert 1 <= len(faults) <= 3
        assert len({s.fault for s in faults}) == len(faults)  # distinct families
        assert sc.mode in ex.MODES
        ats = [s.at for s in sc.steps if s.at is not None]
        assert ats == sorted(ats) and ats[0] == 0
        for s in faults:
            assert 2.0 <= s.duration <= bound + 2.0 and s.target in ("owner", "standby")
            assert s.at * 2 == int(s.at * 2) and s.duration * 2 == int(s.duration * 2)
        for a in faults:  # a whole-node fault never shares its window
            for b in faults:
                if a is not b and (fault_class(a.fault).whole_node
                                   or fault_class(b.fault).whole_node):
                    assert a.at + a.duration <= b.at or b.at + b.duration <= a.at
        restores = [s for s in sc.steps if s.action]
        assert len(restores) <= 1
        if restores:
            assert restores[0].action == "restore" and restores[0].target == "last-faulted"
            assert restores[0].at > max(s.at + s.duration for s in faults)
            assert sc.steps[-2] is restores[0]  # then a barrier: redundant again
            assert (sc.steps[-1].when, sc.steps[-1].timeout, sc.steps[-1].at) == \
                ("redundant", bound, None)
        else:
            assert all(s.fault for s in sc.steps)


def test_some_episodes_restore_and_some_overlap():
    scs = scenarios(3, n=60)
    assert any(s.action for sc in scs for s in sc.steps)
    assert not all(any(s.action for s in sc.steps) for sc in scs)
    overlapping = [sc for sc in scs if any(
        a.at < b.at + b.duration and b.at < a.at + a.duration
        for i, a in enumerate(sc.steps) if a.fault for b in sc.steps[i + 1:] if b.fault)]
    assert overlapping


def result(per, outcome="fail", summaries=None, faults=("isolate-node",)):
    verdicts = [Verdict(i, {"FAIL": False, "accepted": False, "unknown": None}.get(s, True),
                        (summaries or {}).get(i, f"{i} summary"), windows=[[1.0, 2.0]])
                for i, s in per.items()]
    events = [{"t": 0.0, "kind": "run", "scenario": "explore-001-x"}] + [
        {"t": 1.0, "kind": "fault", "phase": "start", "fault": f, "target": "owner",
         "nodes": ["node1"]} for f in faults]
    return Result("explore-001-x", "b", verdicts, Judgement(outcome, [f"{i}: {s}" for i, s in
                                                                      per.items()], per), events)


def test_classify():
    assert ex.classify(result({"single_owner": "FAIL", "writes": "pass"})) == "violation"
    assert ex.classify(result({"single_owner": "accepted"}, "accepted")) == "ok"
    assert ex.classify(result({"single_owner": "stale"}, "fail")) == "ok"  # a risk not provoked
    assert ex.classify(result({"writes": "unknown"}, "unknown")) == "unknown"
    assert ex.classify(result({"writes": "unknown", "origin": "FAIL"})) == "violation"
    assert ex.classify(result({}, "skipped")) == "skipped"
    assert ex.classify(result({}, "unknown")) == "unknown"


def test_an_incident_file_replays_the_episode_and_declares_its_violations():
    sc = Scenario("explore-004-isolate-node+kill-mysqld", mode="next-number", steps=[
        Step(0.0, "isolate-node", "owner", 5.5), Step(2.5, "kill-mysqld", "standby", 3.0),
        Step(9.0, None, "last-faulted", action="restore"),
        Step(None, None, when="redundant", timeout=6.0)],
        expectations=[Expectation("origin", fault="isolate-node", target="owner",
                                  reason="an ARP race", intermittent=True),
                      Expectation("single_owner", fault="isolate-node", target="owner",
                                  reason="no reachability check")])
    res = result({"single_owner": "accepted", "origin": "accepted", "writes": "FAIL",
                  "migration": "pass"}, summaries={"writes": "3 lost of 90 acknowledged"})
    text = ex.incident_text(sc, res, bundle="hardened", seed=42, index=4,
                            command="vipchaos explore --seed 42 --config hardened")
    inc = parse_incident(text, "explore-42-004.yaml")
    assert inc.bundle == "hardened" and inc.mode == "next-number"
    def shape(steps):
        return [(s.at, s.fault, s.duration, s.action, s.when, s.timeout)
                + ((s.target,) if s.fault or s.action else ()) for s in steps]
    assert shape(inc.steps) == shape(sc.steps)
    by = {e.invariant: e for e in inc.expectations}
    assert set(by) == {"single_owner", "origin", "writes"}  # every violation, no pass
    assert all(e.when == "anytime" for e in by.values())
    assert by["origin"].intermittent and not by["single_owner"].intermittent
    assert not by["writes"].intermittent and "3 lost" in by["writes"].reason
    assert "seed 42" in inc.name and "--seed 42" in inc.source


class FakePair:
    def __init__(self):
        self.bundle = SimpleNamespace(name="b", risks=[], faults=None,
                                      migration_bound_s=lambda: 6.0)


def test_the_loop_writes_violations_replays_them_and_leaves_out_what_cannot_run(
        tmp_path, monkeypatch):
    ran = []

    def fake_run(pair, sc, out_dir):
        ran.append(sc.name)
        if sc.name.startswith("explore-42-"):  # the replay of a written incident
            return result({"writes": "accepted"}, "accepted")
        faults = [s.fault for s in sc.steps if s.fault]
        if "delay-link" in faults:
            r = result({}, "skipped")
            r.events.append({"t": 0.5, "kind": "fault", "phase": "skipped",
                             "fault": "delay-link", "detail": "no netem here"})
            return r
        return result({"writes": "FAIL"}) if "kill-mysqld" in faults else \
            result({"writes": "pass"}, "pass")

    clock = iter(range(0, 10**6))
    monkeypatch.setattr(ex, "run_episode", fake_run)
    monkeypatch.setattr(ex.time, "monotonic", lambda: next(clock))
    out = ex.explore(FakePair(), seed=42, duration_s=60, run_dir=tmp_path, bundle_ref="b",
                     faults=["delay-link", "kill-mysqld", "block-vrrp"])
    statuses = {e.status for e in out.episodes}
    assert "violation" in statuses and "ok" in statuses
    assert out.dropped == {"delay-link": "no netem here"}
    skipped = [e.index for e in out.episodes if e.status == "skipped"]
    assert skipped  # delay-link was drawn once, then left the pool
    assert not any(s.get("fault") == "delay-link" for e in out.episodes if e.index > skipped[0]
                   for s in e.steps)
    violations = [e for e in out.episodes if e.status == "violation"]
    assert all(e.incident and e.replay == "same verdict" for e in violations)
    assert sorted(p.name for p in (tmp_path / "incidents").iterdir()) == \
        [f"explore-42-{e.index:03d}.yaml" for e in violations]
    assert (tmp_path / "explore.json").is_file()
    assert "violation" in out.summary() and "left out delay-link: no netem here" in out.summary()
