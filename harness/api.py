"""The public API for people who write their own tests, testcontainers-style::

    from harness.api import DualMasterPair

    with DualMasterPair("hardened") as pair:          # a bundle name or directory
        print(pair.vip, pair.bringup.outcome)          # the bring-up, judged
        result = pair.chaos("kill-mysqld")             # one fault, judged like the suites do
        assert result.judgement.ok, result.judgement.reasons
        with pair.fault("block-vrrp", target="standby"):   # or drive a fault yourself
            conn = pair.connect()

Everything it creates is labelled with its owner and removed on exit (also when ``__enter__``
fails half-way); a process killed with SIGKILL leaves resources the next session reaps.
The pytest plugin's pair pool, ``vipchaos up`` and incident replay use the same ``bring_up``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from harness import ownership
from harness.bundle import Bundle, load_bundle, relocate
from harness.engine import Engine
from harness.errors import ReadinessTimeout
from harness.faults import Fault, fault_class, make_fault
from harness.history import History
from harness.images import ensure_node
from harness.labnet import subnet_lease
from harness.pair import Pair, new_run_id
from harness.results import Result, result_of, safe_name, save
from harness.scenario import Scenario, Step, run_scenario
from harness.validate import validate_or_raise

log = logging.getLogger("vipchaos")


def bring_up(engine: Engine, image: str, bundle: Bundle, *, subnet: str | None = None,
             out_dir: Path | None = None, run_id: str | None = None,
             manual: bool = False) -> Pair:
    """A pair for ``bundle`` on a free lab subnet (the preferred one when free), booted,
    its bring-up judged (``pair.bringup_result``, saved under ``out_dir``), then put in
    the intended state. When even that cannot be reached the pair stays up and
    ``pair.setup_history`` holds the recorded attempt: every test that needs the intended
    state fails on its evidence (``setup_failure``), none errors.

    ``manual``: the pair is handed to the user (``vipchaos up``, ``--vipchaos-keep``): no
    dead-owner reaper removes it once this process ends; ``vipchaos down`` or ``clean --all``
    does. Anything that fails before the hand-over is removed."""
    run_id = run_id or new_run_id()
    if manual:
        ownership.claim_manual(run_id)
    with subnet_lease(engine, subnet or str(bundle.topology.subnet)) as lab:
        if lab != str(bundle.topology.subnet):
            bundle = relocate(bundle, lab)
        pair = Pair(engine, bundle, image, run_id=run_id)
        try:
            pair.make_network()
        except BaseException:
            pair.down()
            raise
    log.info("%s: bringing the pair up on %s", bundle.name, lab)
    pair.up()
    if manual:
        pair.network.hand_over()
    pair.bringup_result = result_of(pair.bringup.events(), out_dir)
    if out_dir is not None:
        save(pair.bringup_result, pair.bringup, out_dir)
    reached, attempt = pair.record_setup()
    if not reached:
        pair.setup_history = attempt
    pair.fresh = True
    return pair


def prepare(pair: Pair) -> History | None:
    """Put the pair in its intended state for the next test (a pair just brought up is in
    it already): None when it is there; otherwise the recorded attempt that did not get there
    (also kept on the pair: later tests fail on the same evidence without trying again)."""
    if pair.setup_history is not None:
        return pair.setup_history
    if pair.fresh:
        pair.fresh = False
        return None
    try:
        pair.reset()
        return None
    except ReadinessTimeout as exc:
        log.warning("%s: the pair did not return to its intended state (%s); recording "
                    "another try", pair.bundle.name, exc.what)
    reached, attempt = pair.record_setup()
    if reached:
        return None
    pair.setup_history = attempt
    return attempt


def setup_failure(pair: Pair, test: str, out_dir: Path | None = None) -> Result:
    """The result of a test that could not run because the pair never came up as intended:
    the recorded attempt judged by the bring-up checker (no accepted risk applies: the test
    itself never ran), saved under ``out_dir`` with the test's name."""
    events = [dict(e, test=test) if e["kind"] == "run" else e
              for e in pair.setup_history.events()]
    result = result_of(events, out_dir)
    if out_dir is not None:
        history = History()
        for e in events:
            history.add(e["kind"], **{k: v for k, v in e.items() if k != "kind"})
        save(result, history, out_dir)
    return result


def run_fault(pair: Pair, fault: str, target: str = "owner", *, hold: float | None = None,
              out_dir: Path | None = None, clients: list[str] | None = None,
              **params: Any) -> Result:
    """One fault as the suites run it: workload on, fault injected and verified, held long
    enough for a failover under the bundle's timing (healed 2 s after the migration
    completed), healed, converged, checked, judged against the bundle's accepted risks."""
    cls = fault_class(fault)
    if hold is None:
        hold = pair.bundle.migration_bound_s() + 1 if cls.removes_service else 6.0
    scenario = Scenario(
        name=f"{fault}-{target}",
        steps=[Step(0, fault, target, hold, params, heal_once_moved=cls.removes_service)],
        expectations=list(getattr(pair.bundle, "risks", [])),
        clients=list(clients or ["direct"]),
    )
    return run_scenario(pair, scenario, out_dir)


class DualMasterPair:
    """A GTID dual-master pair behind a keepalived VIP, as a context manager."""

    def __init__(self, bundle: str | Path | Bundle = "seed", *, subnet: str | None = None,
                 engine: Engine | None = None, run_dir: Path | None = None,
                 validate: bool = True) -> None:
        self._bundle_ref, self._subnet, self._engine = bundle, subnet, engine
        self._run_dir, self._validate = run_dir, validate
        self.pair: Pair | None = None
        self._runs = 0

    def __enter__(self) -> DualMasterPair:
        engine = self._engine or Engine()
        bundle = self._bundle_ref if isinstance(self._bundle_ref, Bundle) \
            else load_bundle(self._bundle_ref)
        image, _ = ensure_node(engine, log=log.info, platform=bundle.platform)
        if self._validate:
            validate_or_raise(bundle, engine, image, say=log.warning)
        out = self._run_dir / f"{safe_name(bundle.name)}-bring-up" if self._run_dir else None
        self.pair = bring_up(engine, image, bundle, subnet=self._subnet, out_dir=out)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pair is not None:
            self.pair.down()
            self.pair = None

    def _c(self) -> Pair:
        if self.pair is None:
            raise RuntimeError("use DualMasterPair as a context manager: `with ... as pair:`")
        return self.pair

    @property
    def vip(self) -> str:
        return self._c().topology.vip

    @property
    def nodes(self) -> list:
        return self._c().nodes

    @property
    def bringup(self) -> Result:
        return self._c().bringup_result

    def connect(self, timeout: float = 3):
        """A PyMySQL connection through the VIP (to the ``vipchaos`` database)."""
        return self._c().connect_vip(timeout=timeout)

    def fault(self, name: str, target: str = "owner", **params: Any) -> Fault:
        """An injected and verified fault; use it as a context manager to heal on exit."""
        c = self._c()
        f = make_fault(name, c, c.resolve(target), **params)
        f.start()
        return f

    def chaos(self, fault: str, target: str = "owner", **params: Any) -> Result:
        """Reset the pair, then run one fault exactly as the shipped suites do; a pair that
        cannot be put in its intended state gives that attempt's FAIL instead."""
        c = self._c()
        if prepare(c) is not None:
            return setup_failure(c, f"{fault}-{target}")
        self._runs += 1
        out = self._run_dir / safe_name(f"{c.bundle.name}-{fault}-{target}-run{self._runs}") \
            if self._run_dir else None
        return run_fault(c, fault, target, out_dir=out, **params)
