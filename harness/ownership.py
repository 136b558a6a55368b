"""Who owns each resource, whether that owner is still alive, and reaping what the dead left.

Every container, network, host link and iptables chain records its run id and an *owner*:

* a process, ``<hostname>:<pid>:<start time>:<pid namespace>`` (start time: field 22 of
  ``/proc/<pid>/stat``, so a recycled pid is not mistaken for the owner). It is dead when it
  is on this host (same hostname and pid namespace) and that pid no longer runs with that
  start time. An owner on another host (or pid namespace) is never judged dead: we cannot
  see its processes, and reaping a live session is worse than leaving a leftover.
* ``manual:<run id>``, for pairs from ``vipchaos up`` (whose process exits after bring-up).
  Containers, networks and chains cannot be relabelled, so their liveness is delegated to the
  run's host link, whose ifalias can change: it names the ``up`` process during bring-up and
  ``manual:<run id>`` once the pair is handed over. So a ``vipchaos up`` killed mid-way is
  reaped like any dead run, and a finished one only goes with ``down`` or ``clean --all``.

Resources without an owner (made before owners were recorded) count as dead. This module only
says who owns what and whether they live; ``harness.reaper`` lists and removes.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass

OWNER_LABEL = "vipchaos.owner"
MANUAL = "manual:"
TAG = "vipchaos"  # first word of link aliases and iptables comments

_claims: dict[str, str] = {}  # run id -> owner, for runs not owned by this process
_me: tuple[int, str] | None = None


@dataclass(frozen=True)
class Resource:
    kind: str  # "container" | "netns" | "network" | "chain" | "link"
    name: str
    run_id: str = ""  # "" when unknown
    owner: str = ""  # "" when unrecorded (old code): counts as dead

    def __str__(self) -> str:
        return f"{self.kind} {self.name} (run {self.run_id or '?'}, owner {self.owner or '?'})"


# --- identity ---------------------------------------------------------------------------------
def start_time(pid: int) -> str | None:
    """Field 22 of /proc/<pid>/stat (clock ticks after boot), or None if no such process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return parse_start_time(f.read())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


def parse_start_time(stat: str) -> str:
    fields = stat.rsplit(")", 1)[1].split()  # after "(comm)", which may hold spaces and ")"
    return fields[22 - 3]  # fields[0] is field 3


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid").strip("pid:[]")
    except OSError:
        return "?"


def process_owner() -> str:
    """The owner string of this process (recomputed after a fork)."""
    global _me
    pid = os.getpid()
    if _me is None or _me[0] != pid:
        _me = (pid, f"{socket.gethostname()}:{pid}:{start_time(pid)}:{_pid_namespace()}")
    return _me[1]


def manual_owner(run_id: str) -> str:
    return f"{MANUAL}{run_id}"


def claim_manual(run_id: str) -> None:
    """Resources made from now on for ``run_id`` belong to the user, not to this process
    (``vipchaos up``); hand the host link over with ``LabNetwork.hand_over()`` once ready."""
    _claims[run_id] = manual_owner(run_id)


def owner_of(run_id: str | None) -> str:
    """The owner to record on a new resource of ``run_id``."""
    return _claims.get(run_id or "", process_owner())


def tag(run_id: str, owner: str, note: str = "") -> str:
    """The text recorded on host links (ifalias) and iptables rules (comment)."""
    return f"{TAG} run={run_id} owner={owner}" + (f" {note}" if note else "")


def parse_tag(text: str) -> tuple[str, str] | None:
    """(run id, owner) from a link alias or rule comment; None if it is not ours."""
    m = re.match(rf"{TAG} run=(\S+) owner=(\S+)", text or "")
    return (m.group(1), m.group(2)) if m else None


# --- liveness ---------------------------------------------------------------------------------
def process_alive(owner: str) -> bool:
    """False only when we can tell that the owning process is gone (see module doc)."""
    parts = owner.split(":")
    if len(parts) != 4 or not parts[1].isdigit():
        return False  # unrecorded or unreadable: a leftover of old code
    host, pid, started, pidns = parts
    if host != socket.gethostname() or pidns != _pid_namespace():
        return True  # not ours to judge
    return start_time(int(pid)) == started


def is_alive(res: Resource, anchors: dict[str, str]) -> bool:
    """Whether ``res`` still has a live owner; ``anchors`` maps run id -> owner of its host link
    (the mutable record that a manual run delegates to)."""
    if res.owner.startswith(MANUAL):
        anchor = anchors.get(res.run_id) if res.kind != "link" else res.owner
        return bool(anchor) and (anchor.startswith(MANUAL) or process_alive(anchor))
    return process_alive(res.owner)


def dead(resources: list[Resource]) -> list[Resource]:
    anchors = {r.run_id: r.owner for r in resources if r.kind == "link" and r.run_id}
    return [r for r in resources if not is_alive(r, anchors)]


#: the order of removal: users before what they use
ORDER = {"container": 0, "netns": 1, "network": 2, "chain": 3, "link": 4}
