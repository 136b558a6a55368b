"""Hands-on sessions on the pair ``vipchaos up`` made: its state file, one shared history, and
what acts on the pair (``up``, ``fault``, ``heal``, ``action``, ``down``; ``watch`` observes:
``harness.watch``).

The state file (``.vipchaos-up.json`` in the directory ``up`` ran in) says which run the pair
is, where its bundle and history are, which faults are active and whether someone watches::

    {"run_id": "1a2b3c", "bundle": "prod/", "bundle_path": "/abs/prod", "subnet": "...",
     "vip": "...", "nodes": [{"name", "ip", "priority"}], "image": "vipchaos-node:...",
     "run_dir": "/abs/runs/up-1a2b3c", "history": "/abs/runs/up-1a2b3c/history.jsonl",
     "origin": 1764095098.123, "faults": [{"fault", "target", "node", "params", "step", "t"}],
     "next_step": 2, "watcher": {"pid": 4242, "owner": "host:4242:...:..."} | null}

The history (``runs/up-<run>/history.jsonl``) has the schema of a test's (``harness.events``)
on one clock for every process (``t`` = seconds since ``origin``): each command records
through the one recorder (``harness.recorder``) into a ``History`` mirrored to that file.
``up`` writes the ``run`` event (scenario ``manual``, the bundle's accepted risks as
expectations); the bring-up itself is judged on its own, in ``runs/up-<run>/bring-up/`` as the
suites do. The process that ends the observation records the ``final`` state after
replication converged: ``watch`` when it stops, else ``down`` (after healing what is still
active). ``vipchaos check runs/up-<run>`` then judges it like a test; the judged session is also
saved as ``runs/up-<run>/session/result.json`` for ``vipchaos report``.

Why the bring-up is not in the session history: its boot transitions would count as
unexplained VRRP transitions (flapping), and the stretch between the end of bring-up and the
start of ``watch`` as unobserved (unknown single owner); it is judged by the bring-up
checkers instead. What nobody watched is not observed: a stretch without ``watch`` running
makes the verdicts that need it *unknown*, naming the stretch.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import pymysql

from harness import ownership, reaper
from harness.api import bring_up
from harness.bundle import accounts, load_bundle, relocate
from harness.errors import ConfigError
from harness.faults import make_fault
from harness.files import write_json
from harness.history import History, load
from harness.node import ADMIN_PASSWORD, ADMIN_USER, connect
from harness.observers import ProcSampler
from harness.pair import Pair, new_run_id
from harness.recorder import Recorder
from harness.results import Result, result_of

STATE_NAME = ".vipchaos-up.json"
HISTORY_NAME = "history.jsonl"
RESULT_NAME = "result.json"
SESSION_DIR = "session"  # runs/up-<run>/session/: the judged session, for `vipchaos report`
#: after a flush a watcher keeps only these kinds in memory (the replication sampler finds
#: promotions in them); everything else is in the file
KEEP_IN_MEMORY = ("vip", "stream")


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
        return round((time.time() if wall is None else wall) - self.origin, 3)

    def recording(self, keep: tuple[str, ...] | None = None) -> History:
        """A history on the session's clock, mirrored to its file (``flush`` appends)."""
        return History(self.origin, mirror=Path(self.history), keep=keep)


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


def must(state_path: Path) -> UpState:
    state = read_state(state_path)
    if state is None:
        raise ConfigError(f"no pair from `vipchaos up` here (no {state_path}): `vipchaos up "
                          "--config BUNDLE` makes one (commands run from the directory it "
                          "ran in)")
    return state


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


def needs_final(events: list[dict[str, Any]]) -> bool:
    """Whether the history lacks a final state taken after the last thing done to the pair."""
    last_final = max((e["t"] for e in events if e["kind"] == "final"), default=None)
    if last_final is None:
        return True
    return any(e["kind"] in ("fault", "action") and e["t"] > last_final for e in events)


# --- the pair ---------------------------------------------------------------------------------
def pair_for(state: UpState, engine) -> Pair:
    """A handle on the running pair (no ``up()``): the bundle as ``up`` placed it."""
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


def check_target(state: UpState, target: str, extra: tuple[str, ...] = ()) -> None:
    allowed = ["owner", "standby", *(n["name"] for n in state.nodes), *extra]
    if target not in allowed:
        raise ConfigError(f"unknown target {target!r}: give one of {', '.join(allowed)}")


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
    w = state.watcher or {}
    return bool(w.get("owner")) and ownership.process_alive(w["owner"])


# --- up and down ------------------------------------------------------------------------------
def up(state_path: Path, engine, image: str, bundle_ref: str, *, subnet: str | None,
       run_dir_root: Path = Path("runs")) -> tuple[Pair, UpState]:
    """Bring a pair up and hand it to the user (owner ``manual:<run>``): no dead-owner reaper
    removes it, only ``down`` or ``vipchaos clean --all``. The state file is written first, so
    ``down`` finds the run even if this process dies mid-way."""
    bundle = load_bundle(bundle_ref)
    if subnet:
        bundle = relocate(bundle, subnet)
    previous = read_state(state_path) if state_path.exists() else None
    if previous and any(r.run_id == previous.run_id for r in reaper.inventory(engine)):
        raise ConfigError(f"a pair from `vipchaos up` (run {previous.run_id}) is still up here "
                          f"({state_path}): `vipchaos down` removes it first")
    run_id = new_run_id()
    run_dir = run_dir_root / f"up-{run_id}"
    write_state(state_path, UpState(run_id=run_id, bundle=bundle_ref))
    try:
        pair = bring_up(engine, image, bundle, run_id=run_id, manual=True,
                        out_dir=run_dir / "bring-up")
        state = new_state(pair, bundle_ref=bundle_ref, image=image, run_dir=run_dir)
        start_history(state, pair)
        write_state(state_path, state)
    except BaseException:
        reaper.reap_run(engine, run_id)
        state_path.unlink(missing_ok=True)
        raise
    return pair, state


def new_state(pair: Pair, *, bundle_ref: str, image: str, run_dir: Path) -> UpState:
    return UpState(
        run_id=pair.run_id, bundle=str(bundle_ref), bundle_path=bundle_path(pair.bundle),
        subnet=str(pair.topology.subnet), vip=pair.topology.vip,
        nodes=[{"name": n.name, "ip": n.ip, "priority": n.spec.priority} for n in pair.nodes],
        image=image, run_dir=str(run_dir.resolve()),
        history=str((run_dir / HISTORY_NAME).resolve()), origin=round(time.time(), 3),
        created=time.strftime("%Y-%m-%dT%H:%M:%S"))


def start_history(state: UpState, pair: Pair) -> None:
    """The session history's first events: the ``run`` header (scenario ``manual``, the
    bundle's accepted risks) and a note on the bring-up's verdict (judged on its own)."""
    Path(state.history).parent.mkdir(parents=True, exist_ok=True)
    Path(state.history).write_text("")
    history = state.recording()
    history.add("run", t=0.0, **pair.run_header("manual", pair.bundle.risks))
    note = f"pair handed over by `vipchaos up` (run {state.run_id})"
    if pair.bringup_result is not None:
        note += f"; bring-up {pair.bringup_result.outcome} (bring-up/result.json)"
    if pair.setup_history is not None:
        note += "; it never reached its intended state (the highest-priority node MASTER)"
    history.add("note", t=0.0, text=note)
    history.flush()


def down(state_path: Path, engine, say: Callable[[str], None], *, run: str | None = None,
         final: bool = True) -> tuple[str, list[str], Result | None, UpState | None]:
    """Record the session's final state, judge it, remove the pair `up` made (or run
    ``run``). Returns (run id, what was removed, the session's result, its state)."""
    state = read_state(state_path)
    run_id = run or (state.run_id if state else None)
    if not run_id:
        raise ConfigError(f"no pair from `vipchaos up` here (no {state_path}); `vipchaos "
                          "status --all` lists pairs and `vipchaos down --run RUN_ID` removes "
                          "one")
    result = None
    ours = state is not None and state.run_id == run_id
    if ours and final and state.recorded:
        try:
            result = end_session(state_path, engine, say)
        except KeyboardInterrupt:
            say("interrupted: removing the pair without a final state")
        except Exception as exc:  # the pair must go whatever happened to it
            say(f"could not record the final state ({exc}); removing the pair anyway")
    removed = reaper.reap_run(engine, run_id, say=say)
    if ours:
        state_path.unlink(missing_ok=True)
    return run_id, removed, result, state if ours else None


# --- faults and actions, through the one recorder --------------------------------------------
def inject(state_path: Path, engine, name: str, target: str, params: dict[str, Any],
           hold: float | None = None) -> Done:
    """Inject ``name`` on ``target``, verified, recorded; it stays (state file) until healed;
    with ``hold``, healed after that many seconds."""
    state = must(state_path)
    check_target(state, target)
    pair = pair_for(state, engine)
    node = pair.resolve(target)
    if any(f["fault"] == name and f["node"] == node.name for f in state.faults):
        raise ConfigError(f"{name} is already active on {node.name}: `vipchaos heal {name}` "
                          "first")
    step = take_step(state_path)
    history = state.recording()
    lines = [] if watcher_alive(state) else [
        "warning: nothing watches this pair (`vipchaos watch` in another terminal): what this "
        "fault does is not observed, and verdicts over it will be unknown"]
    try:
        done = Recorder(pair, history).inject(name, target, step=step, params=params)
    except Exception as exc:  # not verified (recorded as failed, healed again)
        return Done(2, [*lines, f"{name} on {node.name} was not verified: {exc}"])
    finally:
        history.flush()
    if done.phase == "skipped":
        return Done(2, [*lines, f"{name} cannot run here: {done.detail}"])
    if done.phase == "not-applicable":
        return Done(0, [*lines, f"{name}: {done.detail}"])
    node = done.fault.target
    record = {"fault": name, "target": target, "node": node.name, "params": params,
              "step": step, "t": done.t}
    update_state(state_path, lambda s: s.faults.append(record))
    owners = pair.vip_owners()
    lines.append(f"{name} on {node.name} ({target}; VIP now on {owners or 'no node'}) at "
                 f"t={done.t:.2f}s: {done.detail}")
    if hold is None:
        lines.append(f"active until `vipchaos heal {name}`")
        return Done(0, lines)
    time.sleep(hold)
    healed = heal(state_path, engine, name, node.name)
    return Done(healed.status, lines + healed.lines)


def heal(state_path: Path, engine, name: str | None = None, node: str | None = None) -> Done:
    """Heal the active faults (all, or those named / on ``node``), newest first, recorded."""
    state = must(state_path)
    chosen = [f for f in state.faults if (name is None or f["fault"] == name)
              and (node is None or f["node"] == node)]
    if not chosen:
        if name is None and node is None:
            return Done(0, ["no active fault"])
        active = ", ".join(f"{f['fault']} on {f['node']}" for f in state.faults) or "none"
        raise ConfigError(f"no active fault {name or ''}{' on ' + node if node else ''} "
                          f"(active: {active})")
    pair = pair_for(state, engine)
    history = state.recording()
    recorder = Recorder(pair, history)
    status, lines = 0, []
    for rec in sorted(chosen, key=lambda f: -f["step"]):
        fault = make_fault(rec["fault"], pair, pair.node(rec["node"]), **rec.get("params", {}))
        fault.step, fault.active = rec["step"], True  # started by the command that injected it
        pair.active_faults.append(fault)
        t = history.now()
        try:
            recorder.heal(fault)
        except Exception as exc:
            lines.append(f"healing {rec['fault']} on {rec['node']} failed: {exc}")
            status = 2
            continue
        finally:
            history.flush()
        update_state(state_path, lambda s, r=rec: s.faults.remove(r) if r in s.faults else None)
        lines.append(f"healed {rec['fault']} on {rec['node']} at t={t:.2f}s")
    return Done(status, lines)


def act(state_path: Path, engine, name: str, target: str, params: dict[str, Any]) -> Done:
    """Run an operator action (``harness.actions``) on ``target``, recorded."""
    state = must(state_path)
    check_target(state, target)
    pair = pair_for(state, engine)
    node = pair.resolve(target)
    history = state.recording()
    t0 = history.now()
    try:
        phase, detail = Recorder(pair, history).act(name, target, step=take_step(state_path),
                                                    params=params)
    finally:
        history.flush()
    if phase == "failed":
        return Done(2, [f"{name} on {node.name} failed: {detail}"])
    return Done(0, [f"{name} on {node.name} ({target}) at t={t0:.2f}s, done in "
                    f"{history.now() - t0:.2f} s: {detail}"])


# --- ending the observation -------------------------------------------------------------------
def judge_file(history: Path, run_dir: Path | None = None) -> Result:
    """The verdicts of a session history (as ``vipchaos check`` gives them). With ``run_dir``,
    also saved as ``<run_dir>/session/result.json`` (next to a link to the history), so that
    ``vipchaos report <run_dir>`` shows the session beside its bring-up."""
    out = Path(run_dir) / SESSION_DIR if run_dir is not None else None
    result = result_of(load(history), out)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        link = out / HISTORY_NAME
        if not link.exists() and not link.is_symlink():
            link.symlink_to(Path("..") / Path(history).name)
        write_json(out / RESULT_NAME, result.to_dict())
    return result


def record_final(state: UpState, pair: Pair, say: Callable[[str], None],
                 wait_converge: bool = True) -> dict[str, Any]:
    converged = None
    if wait_converge:
        say("waiting for replication to converge before the final state (Ctrl-C skips)")
        try:
            converged = pair.converge()
        except KeyboardInterrupt:
            say("not waiting: final state as it is now")
    history = state.recording()
    fin = history.add("final", **pair.final_state(converged))
    history.flush()
    return fin


def end_session(state_path: Path, engine, say: Callable[[str], None],
                watcher_timeout: float | None = None) -> Result | None:
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
    state = must(state_path)
    if watcher_alive(state):
        pid = int(state.watcher["pid"])
        timeout = watcher_timeout if watcher_timeout is not None else \
            pair.convergence_bound_s() + 30
        say(f"stopping `vipchaos watch` (pid {pid}): it stops writing, waits for replication "
            f"(up to {timeout:.0f} s) and records the final state")
        stop_watcher(state_path, pid, timeout, say)
    if needs_final(load(state.history)):
        record_final(state, pair, say)
    return judge_file(Path(state.history), Path(state.run_dir))


def _local(owner: str) -> bool:
    """Whether a process owner string names a process of this host and pid namespace (only
    those may be signalled)."""
    mine = ownership.process_owner().split(":")
    theirs = owner.split(":")
    return len(theirs) == 4 and theirs[0] == mine[0] and theirs[3] == mine[3]


def stop_watcher(state_path: Path, pid: int, timeout: float, say: Callable[[str], None]) -> None:
    """SIGTERM the watcher (it ends like Ctrl-C: final state, verdicts); SIGKILL it if it has
    not ended within ``timeout`` (its writer must not run while the final state is read)."""
    state = must(state_path)
    owner = (state.watcher or {}).get("owner", "")
    if not _local(owner):
        say(f"`vipchaos watch` (pid {pid}) runs elsewhere ({owner}): stop it there")
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while watcher_alive(must(state_path)) and time.monotonic() < deadline:
        time.sleep(0.2)
    if watcher_alive(must(state_path)):
        say(f"`vipchaos watch` (pid {pid}) did not end within {timeout:.0f} s: killing it")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        update_state(state_path, lambda s: setattr(s, "watcher", None))



def bundle_path(bundle) -> str:
    """The bundle's directory, with ``@platform`` when it runs on another than its own."""
    return str(bundle.path) + (f"@{bundle.platform.name}" if "@" in bundle.name else "")

# --- status and SQL ---------------------------------------------------------------------------
def node_status(pair: Pair, node, vrrp: str | None) -> dict[str, Any]:
    """What one node holds and runs now: container, VRRP state (keepalived's log), VIP (the
    node's kernel), keepalived and mysqld processes, mysqld answering, replication channel."""
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


def pair_status(state: UpState, pair: Pair) -> dict[str, Any]:
    """Everything ``vipchaos status`` shows about the pair from ``vipchaos up``."""
    try:
        vrrp = pair.vrrp_states()
    except Exception:
        vrrp = {}
    with ThreadPoolExecutor(len(pair.nodes)) as pool:
        nodes = dict(zip([n.name for n in pair.nodes], pool.map(
            lambda n: node_status(pair, n, vrrp.get(n.name)), pair.nodes), strict=True))
    made: dict[tuple[str, str], dict[str, Any]] = {}
    for n in pair.nodes:
        with contextlib.suppress(Exception):
            for a in accounts.created(pair.bundle.accounts(n.spec)):
                made.setdefault((a.user, a.host), {"user": a.user, "host": a.host,
                                                   "password": a.password, "where": a.where})
    return {
        "run_id": state.run_id, "bundle": state.bundle, "bundle_path": state.bundle_path,
        "subnet": state.subnet, "vip": state.vip,
        "vip_owners": [name for name, n in nodes.items() if n["holds_vip"]],
        "connect": {"host": state.vip, "port": 3306, "user": ADMIN_USER,
                    "password": ADMIN_PASSWORD, "database": "vipchaos"},
        "accounts": list(made.values()), "nodes": nodes, "active_faults": state.faults,
        "watched_by": state.watcher["pid"] if watcher_alive(state) else None,
        "history": state.history, "t": state.t(),
    }


@dataclass
class SqlAnswer:
    host: str
    columns: list[str]
    rows: list[list[Any]]
    rowcount: int


def run_sql(state: UpState, engine, target: str, query: str, *, database: str | None,
            timeout: float) -> SqlAnswer:
    """One statement as the lab's admin account on a node (or through the VIP); MySQL's own
    errors are raised as PyMySQL raises them."""
    check_target(state, target, ("vip",))
    host = state.vip if target == "vip" else pair_for(state, engine).resolve(target).ip
    conn = connect(host, timeout=timeout, database=database)
    try:
        with conn.cursor(pymysql.cursors.Cursor) as cur:
            cur.execute(query)
            columns = [d[0] for d in cur.description] if cur.description else []
            rows = [list(r) for r in cur.fetchall()] if columns else []
            return SqlAnswer(host, columns, rows, cur.rowcount)
    finally:
        conn.close()
