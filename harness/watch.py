"""``vipchaos watch``: observe the ``vipchaos up`` pair in the foreground, as a test's observers
do, appending everything to the session history (``harness.session``) and printing what
happens. Stopping (Ctrl-C, SIGTERM, ``vipchaos down``) stops writing, waits for replication to
converge, records the final state with the observers still running, and judges the history."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import ownership
from harness.errors import ConfigError
from harness.history import History, load
from harness.observers import start_observers, stop_observers
from harness.pair import Pair
from harness.session import (
    KEEP_IN_MEMORY,
    Done,
    UpState,
    judge_file,
    must,
    pair_for,
    read_state,
    update_state,
    watcher_alive,
)
from harness.show import verdict_lines
from harness.workload import Writer


def watch(state_path: Path, engine, say: Callable[[str], None], *, rate: float = 20.0,
          mode: str = "insert", flush_every: float = 0.25) -> Done:
    """Observe the pair until Ctrl-C (or SIGTERM, or ``vipchaos down``): the observers of a
    test, and a writer through the VIP (``rate`` writes/s; 0: none), their events appended to
    the history. Stopping records the final state and judges the history."""
    state = must(state_path)
    pair = pair_for(state, engine)
    me = {"pid": os.getpid(), "owner": ownership.process_owner()}

    def claim(s: UpState) -> None:
        if s.watcher and s.watcher.get("owner") != me["owner"] and watcher_alive(s):
            raise ConfigError(f"run {s.run_id} is already watched by pid {s.watcher['pid']}; "
                              "one watcher per pair")
        s.watcher = me
    history = state.recording(keep=KEEP_IN_MEMORY)
    previous = load(state.history)
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
            writer = Writer(history, pair.connect_vip, identity=pair.dialect.identity,
                            rate=rate, mode=mode,
                            prefix=f"manual-{state.run_id}-{int(time.time())}").start()
        say(f"watching run {state.run_id} (VIP {state.vip}); history {state.history}; "
            "Ctrl-C stops watching and records the final state")
        next_summary = time.monotonic() + 10
        while True:
            history.flush()
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
        history.flush()
        offset = _print_new(Path(state.history), offset, say, ops)
        try:
            fin = _final_while_observing(pair, history, say)
            history.flush()
            _print_new(Path(state.history), offset, say, ops)
            stop_observers(observers)
            observers = []
            history.add("note", text="watch stopped")
            history.flush()
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
        history.flush()
        signal.signal(signal.SIGTERM, old_sigterm)
        with contextlib.suppress(ConfigError):
            update_state(state_path, lambda s: setattr(s, "watcher", None)
                         if (s.watcher or {}).get("owner") == me["owner"] else None)
    return Done(status)


class _PairGone(Exception):
    pass


def _raise_interrupt(*_: Any) -> None:
    raise KeyboardInterrupt


def _final_while_observing(pair: Pair, history: History,
                           say: Callable[[str], None]) -> dict[str, Any]:
    """Converge (bounded; Ctrl-C skips), then the final state, observers still running."""
    converged = None
    say("waiting for replication to converge before the final state (Ctrl-C skips)")
    try:
        converged = pair.converge()
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
    elif kind == "vip" and e.get("source") == "poll":
        text = None  # the stream says it, stamped at the source
    elif kind == "vip" and e.get("held") is not None:
        text = f"vip     {e['node']} {'holds' if e['held'] else 'does not hold'} the VIP"
    elif kind == "vip":
        text = f"vip     {e['node']} not observable ({str(e.get('why'))[:50]})"
    elif kind == "check" and not e.get("initial"):
        text = f"check   {e['node']} {e['script']} {e.get('result')}"
    elif kind == "service":
        text = f"service {e['node']} {e['service']} {e['event']}"
    elif kind == "observer_error":
        text = f"UNSEEN  {e['observer']} {e.get('node') or ''}: {str(e['error'])[:70]}"
    elif kind == "note":
        text = f"note    {e.get('text')}"
    elif kind == "final":
        text = f"final   state recorded; VIP on {e.get('vip_owners')}"
    return None if text is None else f"{t:>9.2f}s  {text}"
