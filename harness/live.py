"""Hands-on sessions on the pair ``vipchaos up`` made: its state file, one shared history, and
the commands that act on the pair (``fault``, ``heal``, ``action``, ``watch``, ``down``).

The state file (``.vipchaos-up.json`` in the directory ``up`` ran in) says which run the pair
is, where its bundle and history are, which faults are active and whether someone watches::

    {"run_id": "1a2b3c", "bundle": "prod/", "bundle_path": "/abs/prod", "subnet": "...",
     "vip": "...", "nodes": [{"name", "ip", "priority"}], "image": "vipchaos-node:...",
     "run_dir": "/abs/runs/up-1a2b3c", "history": "/abs/runs/up-1a2b3c/history.jsonl",
     "origin": 1764095098.123, "faults": [{"fault", "target", "node", "params", "step", "t"}],
     "next_step": 2, "watcher": {"pid": 4242, "owner": "host:4242:...:..."} | null}

The history (``runs/up-<run>/history.jsonl``) has the schema of a test's (``harness.history``)
on one clock for every process: ``t = time.time() - origin``. ``up`` writes the ``run`` event
(scenario ``manual``, the bundle's accepted risks as expectations); the bring-up itself is
judged on its own, in ``runs/up-<run>/bring-up/`` as the suites do. ``watch`` runs the
observers (and a writer through the VIP) and appends their events; ``fault``, ``heal`` and
``action`` append theirs (``fault`` start with step, nodes, target, owner_at_start,
removes_service, detail; ``fault`` healed, stamped when the heal began, with ``done_at``;
``action`` start/done/failed). The process that ends the observation records the ``final``
state after replication converged: ``watch`` when it stops, else ``down`` (after healing what
is still active). ``vipchaos check runs/up-<run>`` then judges it like a test; the judged
session is also saved as ``runs/up-<run>/session/result.json`` for ``vipchaos report``.

Why the bring-up is not in the session history: its boot transitions would count as
unexplained VRRP transitions (flapping), and the stretch between the end of bring-up and the
start of ``watch`` as unobserved (unknown single owner); it is judged by the bring-up
checkers instead.

What nobody watched is not observed: a stretch without ``watch`` running makes the verdicts
that need it *unknown*, naming the stretch (as for a test whose observer stalled).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, FaultUnsupported

STATE_NAME = ".vipchaos-up.json"
HISTORY_NAME = "history.jsonl"
RESULT_NAME = "result.json"
SESSION_DIR = "session"  # runs/up-<run>/session/: the judged session, for `vipchaos report`
#: after a flush the watcher keeps only these kinds in memory (the replication sampler reads
#: ``vip`` events to spot promotions); everything else is in the file
KEEP_IN_MEMORY = ("vip",)


# --- the state file -------------------------------------------------------------------------
@dataclass
class UpState:
    run_id: str
    bundle: str = ""
    bundle_path: str = ""
    subnet: str = ""
    vip: str = ""
    nodes: list[dict[str, Any]] = field(default_factory=list)
    image: str = ""
    run_dir: str = ""
    history: str = ""
    origin: float = 0.0
    faults: list[dict[str, Any]] = field(default_factory=list)
    next_step: int = 0
    watcher: dict[str, Any] | None = None
    created: str = ""

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> UpState:
        known = {f.name for f in fields(cls)}
        if not isinstance(d, dict) or not d.get("run_id"):
            raise ValueError("no run_id")
        return cls(**{k: v for k, v in d.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def recorded(self) -> bool:
        """Whether this pair has a live history (made by this version of ``up``)."""
        return bool(self.history and self.origin)

    def t(self, wall: float | None = None) -> float:
        """Now (or ``wall``) on the history's clock."""
        return live_t(self.origin, wall)


def live_t(origin: float, wall: float | None = None) -> float:
    return round((time.time() if wall is None else wall) - origin, 3)


def _parse_state(text: str, path: Path) -> UpState:
    try:
        return UpState.from_dict(json.loads(text))
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path}: not a `vipchaos up` state file ({exc}); `vipchaos status "
                          "--all` lists the pairs, `vipchaos down --run RUN_ID` removes one, "
                          f"then delete {path}") from exc


def read_state(path: Path) -> UpState | None:
    """The state of the pair from ``vipchaos up``, or None when there is none."""
    try:
        with open(path) as fh:
            fcntl.flock(fh, fcntl.LOCK_SH)
            text = fh.read()
    except FileNotFoundError:
        return None
    return _parse_state(text, Path(path))


def write_state(path: Path, state: UpState) -> None:
    """Write the whole state (``up``: the file is new; others go through ``update_state``)."""
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps(state.to_dict(), indent=1) + "\n")


def update_state(path: Path, change: Callable[[UpState], Any]) -> Any:
    """Read, change and write the state under an exclusive lock (several commands may run at
    once: a ``fault`` while ``watch`` runs). Returns what ``change`` returned."""
    try:
        fh = open(path, "r+")  # noqa: SIM115 (closed below, after the lock is released)
    except FileNotFoundError:
        raise ConfigError(f"no pair from `vipchaos up` here (no {path})") from None
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        state = _parse_state(fh.read(), Path(path))
        out = change(state)
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps(state.to_dict(), indent=1) + "\n")
        return out


def take_step(path: Path) -> int:
    """The next step index (faults and actions share one sequence, as in a scenario)."""
    def bump(s: UpState) -> int:
        s.next_step += 1
        return s.next_step - 1
    return update_state(path, bump)


# --- the history file -----------------------------------------------------------------------
def append_events(path: Path, events: Iterable[dict[str, Any]]) -> None:
    """Append events as JSON lines, under a lock, in one write (other processes append too)."""
    data = "".join(json.dumps(e, sort_keys=True, default=str) + "\n" for e in events)
    if not data:
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write(data)
        fh.flush()


def read_events(path: Path) -> list[dict[str, Any]]:
    """The history, time-ordered (lines appended concurrently may arrive slightly late)."""
    from harness.history import load
    return load(Path(path))


def event(kind: str, t: float, **fields_: Any) -> dict[str, Any]:
    return {"t": round(t, 3), "kind": kind, **fields_}


def fault_event(t: float, phase: str, fault: str, *, step: int, nodes: list[str],
                **extra: Any) -> dict[str, Any]:
    """A ``fault`` event as ``harness.scenario`` writes it. ``start`` carries target,
    owner_at_start, owners_at_start, removes_service, detail and verified_at."""
    return event("fault", t, phase=phase, fault=fault, step=step, nodes=list(nodes), **extra)


def fault_common(fault: str, *, step: int, nodes: list[str], target: str,
                 owners: list[str], removes_service: bool) -> dict[str, Any]:
    """The fields every event of one injection carries (``_start`` in harness.scenario)."""
    return {"fault": fault, "step": step, "nodes": list(nodes), "target": target,
            "owner_at_start": owners[0] if len(owners) == 1 else None,
            "owners_at_start": list(owners), "removes_service": removes_service}


def action_event(t: float, phase: str, action: str, *, node: str, step: int,
                 **extra: Any) -> dict[str, Any]:
    return event("action", t, phase=phase, action=action, node=node, step=step, **extra)


def needs_final(events: list[dict[str, Any]]) -> bool:
    """Whether the history lacks a final state taken after the last thing done to the pair."""
    last_final = max((e["t"] for e in events if e["kind"] == "final"), default=None)
    if last_final is None:
        return True
    return any(e["kind"] in ("fault", "action") and e["t"] > last_final for e in events)


class LiveHistory:
    """The ``History`` interface observers and the writer use, on the session's clock
    (``t = wall - origin``). New events wait in memory until ``flush`` appends them to the
    history file; after that only ``vip`` events stay in memory (what the observers read back).
    """

    def __init__(self, origin: float, clock: Callable[[], float] = time.time) -> None:
        import threading
        self.origin, self._clock = origin, clock
        self._lock = threading.Lock()
        self._kept: list[dict[str, Any]] = []
        self._pending: list[dict[str, Any]] = []

    def now(self) -> float:
        return round(self._clock() - self.origin, 3)

    def wall_to_t(self, wall_stamp: float) -> float:
        return round(wall_stamp - self.origin, 3)

    def add(self, kind: str, t: float | None = None, **fields_: Any) -> dict[str, Any]:
        e = event(kind, self.now() if t is None else t, **fields_)
        with self._lock:
            self._pending.append(e)
            self._kept.append(e)
        return e

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            snap = list(self._kept)
        snap.sort(key=lambda e: e["t"])
        return [e for e in snap if kind is None or e["kind"] == kind]

    def __len__(self) -> int:
        return len(self._kept)

    def flush(self, path: Path) -> list[dict[str, Any]]:
        """Append what is new to ``path``; returns it."""
        with self._lock:
            out, self._pending = self._pending, []
            self._kept = [e for e in self._kept if e["kind"] in KEEP_IN_MEMORY]
        append_events(path, out)
        return out


# --- what a line of the history says (watch's live output) -----------------------------------
def describe(e: dict[str, Any]) -> str | None:
    """One line for a notable event, None for the rest (beats, samples, writes)."""
    kind, t = e["kind"], e["t"]
    text = None
    if kind == "fault":
        where = ",".join(e.get("nodes") or [])
        text = {"start": f"FAULT   {e['fault']} on {where}", "healed": f"HEALED  {e['fault']} on "
                f"{where}"}.get(e.get("phase"), f"fault   {e['fault']} {e.get('phase')} on "
                                                f"{where}")
        if e.get("detail"):
            text += f"  [{str(e['detail'])[:80]}]"
    elif kind == "action":
        text = f"ACTION  {e['action']} on {e.get('node')} {e.get('phase')}" + (
            f"  [{str(e['detail'])[:80]}]" if e.get("detail") else "")
    elif kind == "vrrp":
        text = f"vrrp    {e['node']} {'is' if e.get('initial') else '->'} {e['state']}"
    elif kind == "vip" and e.get("held") is not None:
        text = f"vip     {e['node']} {'holds' if e['held'] else 'does not hold'} the VIP"
    elif kind == "vip":
        text = f"vip     {e['node']} not observable ({str(e.get('why'))[:50]})"
    elif kind == "check" and not e.get("initial"):
        text = f"check   {e['node']} {e['script']} {e.get('result')}"
    elif kind == "observer_error":
        text = f"UNSEEN  {e['observer']} {e.get('node') or ''}: {str(e['error'])[:70]}"
    elif kind == "note":
        text = f"note    {e.get('text')}"
    elif kind == "final":
        text = f"final   state recorded; VIP on {e.get('vip_owners')}"
    return None if text is None else f"{t:>9.2f}s  {text}"


# --- the pair ---------------------------------------------------------------------------------
def pair_for(state: UpState, engine):
    """A handle on the running pair (no ``up()``): the bundle as ``up`` placed it."""
    from harness.bundle import load_bundle, relocate
    from harness.pair import Pair
    if not state.recorded:
        raise ConfigError(f"run {state.run_id} was made by an older `vipchaos up` (its state "
                          "file has no history): `vipchaos down`, then `vipchaos up` again")
    try:
        bundle = relocate(load_bundle(state.bundle_path or state.bundle), state.subnet)
    except ConfigError as exc:
        raise ConfigError(f"the bundle of run {state.run_id} ({state.bundle_path}) no longer "
                          f"loads: {exc}") from exc
    nodes = [{"name": n.name, "ip": n.ip, "priority": n.priority} for n in bundle.topology.nodes]
    if state.nodes and (nodes != state.nodes or bundle.topology.vip != state.vip):
        raise ConfigError(f"{state.bundle_path} changed since `vipchaos up` (nodes or VIP "
                          "differ): the running pair is not what it describes now; `vipchaos "
                          "down` and `vipchaos up` again")
    return Pair(engine, bundle, state.image, run_id=state.run_id)


def node_names(state: UpState) -> list[str]:
    return [n["name"] for n in state.nodes]


def check_target(state: UpState, target: str, extra: tuple[str, ...] = ()) -> None:
    allowed = ["owner", "standby", *node_names(state), *extra]
    if target not in allowed:
        raise ConfigError(f"unknown target {target!r}: give one of {', '.join(allowed)}")


def resolve(pair, target: str):
    from harness.scenario import resolve_target
    return resolve_target(pair, target)


def parse_params(items: list[str] | None) -> dict[str, Any]:
    """``["probability=0.5", "path=/etc/x"]`` -> ``{"probability": 0.5, "path": "/etc/x"}``."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--param {item!r}: write it as KEY=VALUE (e.g. probability=0.5)")
        out[key.strip()] = _value(value)
    return out


def _value(text: str) -> Any:
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


@dataclass
class Done:
    """What a command did, for the CLI to print; ``status`` is an exit status."""
    status: int
    lines: list[str] = field(default_factory=list)


def watcher_alive(state: UpState) -> bool:
    from harness import ownership
    w = state.watcher or {}
    return bool(w.get("owner")) and ownership.process_alive(w["owner"])


def inject(state_path: Path, engine, name: str, target: str, params: dict[str, Any],
           hold: float | None = None) -> Done:
    """Inject ``name`` on ``target``, verified, recorded; it stays (state file) until healed;
    with ``hold``, healed after that many seconds."""
    from harness.faults import fault_class, make_fault
    state = _must(state_path)
    cls = fault_class(name)
    check_target(state, target)
    pair = pair_for(state, engine)
    node = resolve(pair, target)
    if any(f["fault"] == name and f["node"] == node.name for f in state.faults):
        raise ConfigError(f"{name} is already active on {node.name}: `vipchaos heal {name}` "
                          "first")
    owners = pair.vip_owners()
    fault = make_fault(name, pair, node, **params)
    step = take_step(state_path)
    fault.step = step
    common = fault_common(name, step=step, nodes=fault.nodes, target=target, owners=owners,
                          removes_service=cls.removes_service)
    t0 = state.t()
    lines = [] if watcher_alive(state) else [
        "warning: nothing watches this pair (`vipchaos watch` in another terminal): what this "
        "fault does is not observed, and verdicts over it will be unknown"]
    try:
        detail = fault.start()
    except KeyboardInterrupt:
        append_events(state.history, [event("fault", state.t(), phase="failed",
                                            detail="interrupted", **common)])
        _try_heal(fault)
        raise
    except FaultUnsupported as exc:
        append_events(state.history, [event("fault", state.t(), phase="skipped",
                                            detail=str(exc), **common)])
        with contextlib.suppress(Exception):
            fault.heal()
        return Done(2, [*lines, f"{name} cannot run here: {exc}"])
    except Exception as exc:  # FaultNotVerified, a command that failed, ...
        append_events(state.history, [event("fault", state.t(), phase="failed",
                                            detail=str(exc)[:300], **common)])
        healed = _try_heal(fault)
        return Done(2, [*lines, f"{name} on {node.name} was not verified: {exc}",
                        "healed again" if healed is None else f"healing it failed too: {healed}"])
    append_events(state.history, [event("fault", t0, phase="start", detail=detail,
                                        verified_at=state.t(), **common)])
    record = {"fault": name, "target": target, "node": node.name, "params": params,
              "step": step, "t": t0}
    update_state(state_path, lambda s: s.faults.append(record))
    lines.append(f"{name} on {node.name} ({target}; VIP was on {owners or 'no node'}) at "
                 f"t={t0:.2f}s: {detail}")
    if hold is None:
        lines.append(f"active until `vipchaos heal {name}`")
        return Done(0, lines)
    time.sleep(hold)
    done = heal(state_path, engine, name, node.name)
    return Done(done.status, lines + done.lines)


def _try_heal(fault) -> str | None:
    try:
        fault.active = True
        fault.heal()
        return None
    except Exception as exc:
        return str(exc)[:200]


def heal(state_path: Path, engine, name: str | None = None, node: str | None = None) -> Done:
    """Heal the active faults (all, or those named / on ``node``), newest first, recorded."""
    from harness.faults import make_fault
    state = _must(state_path)
    chosen = [f for f in state.faults if (name is None or f["fault"] == name)
              and (node is None or f["node"] == node)]
    if not chosen:
        if name is None and node is None:
            return Done(0, ["no active fault"])
        active = ", ".join(f"{f['fault']} on {f['node']}" for f in state.faults) or "none"
        raise ConfigError(f"no active fault {name or ''}{' on ' + node if node else ''} "
                          f"(active: {active})")
    pair = pair_for(state, engine)
    status, lines = 0, []
    for rec in sorted(chosen, key=lambda f: -f["step"]):
        fault = make_fault(rec["fault"], pair, pair.node(rec["node"]),
                           **rec.get("params", {}))
        fault.step = rec["step"]
        fault.active = True
        pair.active_faults.append(fault)
        t = state.t()  # stamped when the heal began, as harness.scenario does
        try:
            fault.heal()
        except Exception as exc:
            append_events(state.history, [fault_event(state.t(), "heal-failed", rec["fault"],
                                                      step=rec["step"], nodes=fault.nodes,
                                                      detail=str(exc)[:300])])
            lines.append(f"healing {rec['fault']} on {rec['node']} failed: {exc}")
            status = 2
            continue
        append_events(state.history, [fault_event(t, "healed", rec["fault"], step=rec["step"],
                                                  nodes=fault.nodes, done_at=state.t())])
        update_state(state_path, lambda s, r=rec: s.faults.remove(r) if r in s.faults else None)
        lines.append(f"healed {rec['fault']} on {rec['node']} at t={t:.2f}s")
    return Done(status, lines)


def act(state_path: Path, engine, name: str, target: str, params: dict[str, Any]) -> Done:
    """Run an operator action (``harness.actions``) on ``target``, recorded."""
    from harness.actions import action_name, run_action
    state = _must(state_path)
    canonical = action_name(name)
    check_target(state, target)
    pair = pair_for(state, engine)
    node = resolve(pair, target)
    step = take_step(state_path)
    t0 = state.t()
    append_events(state.history, [action_event(t0, "start", canonical, node=node.name,
                                               step=step, target=target)])
    try:
        detail = run_action(canonical, pair, node, **params)
    except ConfigError:
        raise
    except Exception as exc:
        append_events(state.history, [action_event(state.t(), "failed", canonical,
                                                   node=node.name, step=step,
                                                   detail=str(exc)[:300])])
        return Done(2, [f"{canonical} on {node.name} failed: {exc}"])
    t1 = state.t()
    append_events(state.history, [action_event(t1, "done", canonical, node=node.name, step=step,
                                               detail=detail, started=t0)])
    return Done(0, [f"{canonical} on {node.name} ({target}) at t={t0:.2f}s, done in "
                    f"{t1 - t0:.2f} s: {detail}"])


def _must(state_path: Path) -> UpState:
    state = read_state(state_path)
    if state is None:
        raise ConfigError(f"no pair from `vipchaos up` here (no {state_path}): `vipchaos up "
                          "--config BUNDLE` makes one (commands run from the directory it "
                          "ran in)")
    return state


# --- ending the observation -------------------------------------------------------------------
def settle(pair, timeout: float | None = None) -> float | None:
    """Wait (bounded) for replication to run and both GTID sets to agree, as a test does
    before its final state; seconds it took, or None. An SQL-thread error stops the wait."""
    from harness import wait
    from harness.scenario import convergence_bound_s
    bound = convergence_bound_s(pair) if timeout is None else timeout
    deadline = time.monotonic() + bound
    stuck = lambda: any(c["sql_error"] for n in pair.nodes  # noqa: E731
                        for c in pair.channels(n))
    state = wait.until(lambda: "stuck" if stuck() else
                       ("running" if pair.replication_running() else None),
                       timeout=bound, interval=0.5)
    if state != "running":
        return None
    return pair.wait_converged(max(deadline - time.monotonic(), 1))


def judge_file(history: Path, run_dir: Path | None = None):
    """The verdicts of a live history (as ``vipchaos check`` gives them). With ``run_dir``,
    also saved as ``<run_dir>/session/result.json`` (next to a link to the history), so that
    ``vipchaos report <run_dir>`` shows the session beside its bring-up."""
    from harness.results import result_of
    out = Path(run_dir) / SESSION_DIR if run_dir is not None else None
    result = result_of(read_events(history), out)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        link = out / HISTORY_NAME
        if not link.exists() and not link.is_symlink():
            link.symlink_to(Path("..") / Path(history).name)
        (out / RESULT_NAME).write_text(json.dumps(result.to_dict(), indent=2, default=str))
    return result


def verdict_lines(result) -> list[str]:
    lines = [f"  {v.invariant:13} {v.status:8} {v.summary}" for v in result.verdicts]
    lines.append(f"outcome: {result.outcome}")
    lines += [f"  - {why}" for why in result.judgement.reasons]
    return lines


def record_final(state: UpState, pair, say: Callable[[str], None],
                 wait_converge: bool = True) -> dict[str, Any]:
    converged = None
    if wait_converge:
        say("waiting for replication to converge before the final state (Ctrl-C skips)")
        try:
            converged = settle(pair)
        except KeyboardInterrupt:
            say("not waiting: final state as it is now")
    fin = event("final", state.t(), **pair.final_state(converged))
    append_events(state.history, [fin])
    return fin


def end_session(state_path: Path, engine, say: Callable[[str], None],
                watcher_timeout: float | None = None) -> Any:
    """What ``down`` does before removing the pair: heal what is active (recorded), end the
    watcher (which records the final state) or record it here, judge. Returns the Result,
    or None when the pair has no live history."""
    state = read_state(state_path)
    if state is None or not state.recorded:
        return None
    pair = pair_for(state, engine)
    if state.faults:
        for line in heal(state_path, engine).lines:
            say(line)
    state = _must(state_path)
    if watcher_alive(state):
        from harness.scenario import convergence_bound_s
        pid = int(state.watcher["pid"])
        timeout = watcher_timeout if watcher_timeout is not None else \
            convergence_bound_s(pair) + 30
        say(f"stopping `vipchaos watch` (pid {pid}): it stops writing, waits for replication "
            f"(up to {timeout:.0f} s) and records the final state")
        stop_watcher(state_path, pid, timeout, say)
    if needs_final(read_events(state.history)):
        record_final(state, pair, say)
    return judge_file(Path(state.history), Path(state.run_dir))


def _local(owner: str) -> bool:
    """Whether a process owner string names a process of this host and pid namespace (only
    those may be signalled)."""
    from harness import ownership
    mine = ownership.process_owner().split(":")
    theirs = owner.split(":")
    return len(theirs) == 4 and theirs[0] == mine[0] and theirs[3] == mine[3]


def stop_watcher(state_path: Path, pid: int, timeout: float, say: Callable[[str], None]) -> None:
    """SIGTERM the watcher (it ends like Ctrl-C: final state, verdicts); SIGKILL it if it has
    not ended within ``timeout`` (its writer must not run while the final state is read)."""
    state = _must(state_path)
    owner = (state.watcher or {}).get("owner", "")
    if not _local(owner):
        say(f"`vipchaos watch` (pid {pid}) runs elsewhere ({owner}): stop it there")
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while watcher_alive(_must(state_path)) and time.monotonic() < deadline:
        time.sleep(0.2)
    if watcher_alive(_must(state_path)):
        say(f"`vipchaos watch` (pid {pid}) did not end within {timeout:.0f} s: killing it")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        update_state(state_path, lambda s: setattr(s, "watcher", None))


# --- watch ------------------------------------------------------------------------------------
def watch(state_path: Path, engine, say: Callable[[str], None], *, rate: float = 20.0,
          mode: str = "insert", flush_every: float = 0.25) -> Done:
    """Observe the pair in the foreground until Ctrl-C (or SIGTERM, or ``vipchaos down``):
    the observers of a test, and a writer through the VIP (``rate`` writes/s; 0: none), their
    events appended to the history. Stopping records the final state and judges the history."""
    from harness import ownership
    from harness.observe import start_observers, stop_observers
    from harness.workload import Writer
    state = _must(state_path)
    pair = pair_for(state, engine)
    me = {"pid": os.getpid(), "owner": ownership.process_owner()}

    def claim(s: UpState) -> None:
        if s.watcher and s.watcher.get("owner") != me["owner"] and watcher_alive(s):
            raise ConfigError(f"run {s.run_id} is already watched by pid {s.watcher['pid']}; "
                              "one watcher per pair")
        s.watcher = me
    history = LiveHistory(state.origin)
    previous = read_events(state.history)
    last_seen = max((e["t"] for e in previous if e["kind"] in ("beat", "final")), default=None)
    offset = Path(state.history).stat().st_size if Path(state.history).exists() else 0
    ops = {"ok": 0, "fail": 0, "unknown": 0}
    observers: list = []
    writer = None
    status = 0
    update_state(state_path, claim)
    old_sigterm = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        history.add("note", text=f"watch started (pid {os.getpid()}, writes at {rate:g}/s)")
        if last_seen is not None:
            say(f"note: nothing watched this pair since t={last_seen:.2f}s: verdicts over that "
                "stretch will be unknown")
        observers = start_observers(history, pair)
        if rate > 0:
            writer = Writer(history, pair.connect_vip, rate=rate, mode=mode,
                            prefix=f"manual-{state.run_id}-{int(time.time())}").start()
        say(f"watching run {state.run_id} (VIP {state.vip}); history {state.history}; "
            "Ctrl-C stops watching and records the final state")
        next_summary = time.monotonic() + 10
        while True:
            history.flush(Path(state.history))
            offset = _print_new(Path(state.history), offset, say, ops)
            if time.monotonic() >= next_summary and writer is not None:
                say(f"{state.t():>9.2f}s  writes  ok={ops['ok']} fail={ops['fail']} "
                    f"unknown={ops['unknown']} (last 10 s)")
                ops.update(ok=0, fail=0, unknown=0)
                next_summary += 10
            now = read_state(state_path)
            if now is None or now.run_id != state.run_id or \
                    (now.watcher or {}).get("owner") != me["owner"]:
                raise _PairGone
            time.sleep(flush_every)
    except _PairGone:
        say("the pair is gone (`vipchaos down`?): watch ends without a final state")
        status = 0
    except KeyboardInterrupt:
        if writer is not None:
            writer.stop()
            writer = None
        history.add("note", text="watch stopping")
        history.flush(Path(state.history))
        offset = _print_new(Path(state.history), offset, say, ops)
        try:
            fin = _final_while_observing(state, pair, history, say)
            history.flush(Path(state.history))
            _print_new(Path(state.history), offset, say, ops)
            stop_observers(observers)
            observers = []
            history.add("note", text="watch stopped")
            history.flush(Path(state.history))
            result = judge_file(Path(state.history), Path(state.run_dir))
            say(f"final state at t={fin['t']:.2f}s; verdicts so far "
                f"(`vipchaos check {state.run_dir}` judges it again):")
            for line in verdict_lines(result):
                say(line)
        except KeyboardInterrupt:
            say("interrupted again: no final state recorded")
            status = 130
    finally:
        if writer is not None:
            writer.stop()
        stop_observers(observers)
        history.flush(Path(state.history))
        signal.signal(signal.SIGTERM, old_sigterm)
        with contextlib.suppress(ConfigError):
            update_state(state_path, lambda s: setattr(s, "watcher", None)
                         if (s.watcher or {}).get("owner") == me["owner"] else None)
    return Done(status)


class _PairGone(Exception):
    pass


def _raise_interrupt(*_: Any) -> None:
    raise KeyboardInterrupt


def _final_while_observing(state: UpState, pair, history: LiveHistory,
                           say: Callable[[str], None]) -> dict[str, Any]:
    """Converge (bounded; Ctrl-C skips), then the final state, observers still running."""
    converged = None
    say("waiting for replication to converge before the final state (Ctrl-C skips)")
    try:
        converged = settle(pair)
    except KeyboardInterrupt:
        say("not waiting: final state as it is now")
    return history.add("final", **pair.final_state(converged))


def _print_new(path: Path, offset: int, say: Callable[[str], None],
               ops: dict[str, int]) -> int:
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read()
    except FileNotFoundError:
        return offset
    chunk, sep, _ = data.rpartition(b"\n")
    if not sep:
        return offset
    for line in chunk.decode(errors="replace").splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("kind") == "op" and e.get("type") in ops:
            ops[e["type"]] += 1
            continue
        text = describe(e)
        if text and e.get("kind") != "final":
            say(text)
    return offset + len(chunk) + 1


# --- status -----------------------------------------------------------------------------------
def node_status(pair, node, vrrp: str | None) -> dict[str, Any]:
    """What one node holds and runs now: container, VRRP state (keepalived's log), VIP (the
    node's kernel), keepalived and mysqld processes, mysqld answering, replication channel."""
    from harness.observe import ProcSampler
    out: dict[str, Any] = {"container": node.container_name, "ip": node.ip,
                           "priority": node.spec.priority, "vrrp": vrrp}
    try:
        st = node.status()
        out["state"] = "paused" if st["paused"] else "running" if st["running"] else \
            "stopped" if st["id"] else "missing"
    except Exception as exc:
        out["state"] = f"unknown ({str(exc)[:60]})"
        st = {"running": False, "pid": 0}
    held, why = node.holds_vip()
    out["holds_vip"] = held if held is not None else None
    out["vip_why"] = why
    procs = None
    if st.get("running") and st.get("pid"):
        with contextlib.suppress(Exception):
            procs = ProcSampler.sample(st["pid"])
    out["keepalived_processes"] = procs["keepalived"] if procs else None
    out["mysqld_process"] = {"R": "running", "S": "running", "D": "running (disk wait)",
                             "T": "stopped (SIGSTOP)", "Z": "zombie", None: "none"}.get(
        procs["mysqld"], procs["mysqld"]) if procs else None
    if out["state"] == "paused" and procs:
        out["mysqld_process"] = "frozen (container paused)"
    try:
        chans = pair.channels(node)
        out["mysqld_answers"] = True
        out["replication"] = [{"source": c["source_host"], "io": c["io_running"],
                               "sql": c["sql_running"], "io_error": c["io_error"],
                               "sql_error": c["sql_error"]} for c in chans]
    except Exception as exc:
        out["mysqld_answers"] = False
        out["replication"] = None
        out["mysql_error"] = str(exc)[:120]
    return out


def pair_status(state: UpState, pair) -> dict[str, Any]:
    """Everything ``vipchaos status`` shows about the pair from ``vipchaos up``."""
    from concurrent.futures import ThreadPoolExecutor

    from harness.bundle.accounts import created
    from harness.node import ADMIN_PASSWORD, ADMIN_USER
    try:
        vrrp = pair.vrrp_states()
    except Exception:
        vrrp = {}
    with ThreadPoolExecutor(len(pair.nodes)) as pool:
        nodes = dict(zip([n.name for n in pair.nodes], pool.map(
            lambda n: node_status(pair, n, vrrp.get(n.name)), pair.nodes), strict=True))
    accounts: dict[tuple[str, str], dict[str, Any]] = {}
    for n in pair.nodes:
        with contextlib.suppress(Exception):
            for a in created(pair.bundle.accounts(n.spec)):
                accounts.setdefault((a.user, a.host), {"user": a.user, "host": a.host,
                                                       "password": a.password, "where": a.where})
    return {
        "run_id": state.run_id, "bundle": state.bundle, "bundle_path": state.bundle_path,
        "subnet": state.subnet, "vip": state.vip,
        "vip_owners": [name for name, n in nodes.items() if n["holds_vip"]],
        "connect": {"host": state.vip, "port": 3306, "user": ADMIN_USER,
                    "password": ADMIN_PASSWORD, "database": "vipchaos"},
        "accounts": list(accounts.values()), "nodes": nodes, "active_faults": state.faults,
        "watched_by": state.watcher["pid"] if watcher_alive(state) else None,
        "history": state.history, "t": state.t(),
    }


# --- up ---------------------------------------------------------------------------------------
def new_state(pair, *, bundle_ref: str, image: str, run_dir: Path) -> UpState:
    return UpState(
        run_id=pair.run_id, bundle=str(bundle_ref), bundle_path=str(pair.bundle.path),
        subnet=str(pair.topology.subnet), vip=pair.topology.vip,
        nodes=[{"name": n.name, "ip": n.ip, "priority": n.spec.priority}
               for n in pair.nodes],
        image=image, run_dir=str(run_dir.resolve()),
        history=str((run_dir / HISTORY_NAME).resolve()), origin=round(time.time(), 3),
        created=time.strftime("%Y-%m-%dT%H:%M:%S"))


def start_history(state: UpState, pair) -> None:
    """The live history's first events: the ``run`` header (scenario ``manual``, the bundle's
    accepted risks) and a note on the bring-up's verdict (judged on its own)."""
    Path(state.history).parent.mkdir(parents=True, exist_ok=True)
    Path(state.history).write_text("")
    header = pair.run_header("manual", getattr(pair.bundle, "risks", []))
    br = getattr(pair, "bringup_result", None)
    note = f"pair handed over by `vipchaos up` (run {state.run_id})"
    if br is not None:
        note += f"; bring-up {br.outcome} (bring-up/result.json)"
    append_events(state.history, [event("run", 0.0, **header), event("note", 0.0, text=note)])


__all__ = [
    "HISTORY_NAME",
    "STATE_NAME",
    "Done",
    "LiveHistory",
    "UpState",
    "act",
    "append_events",
    "describe",
    "end_session",
    "fault_common",
    "fault_event",
    "heal",
    "inject",
    "judge_file",
    "needs_final",
    "new_state",
    "pair_for",
    "pair_status",
    "parse_params",
    "read_events",
    "read_state",
    "start_history",
    "update_state",
    "watch",
    "write_state",
]
