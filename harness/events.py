"""The history's event schema, in one place: every kind, its fields, and every phase.

A history is a list of events, each a JSON object with ``t`` (seconds since the history's
origin, millisecond resolution) and ``kind``. Checkers read nothing else, so a history written by
hand is as good as a recorded one (that is how they are tested), and ``vipchaos check`` judges a
stored ``history.jsonl`` exactly as the run did. The records below are ``TypedDict``s: plain
dicts at run time (JSON in, JSON out), typed for readers and type checkers.

Where the facts come from. The VIP, VRRP states, checks and process events that verdicts stand
on are *streams stamped at their source*: the kernel's address events in each node's network
namespace (``ip -timestamp monitor address``, run from the host), keepalived's own log file,
the node supervisor's service log, mysqld's error log. Their stamps do not depend on when the
harness read them, so a busy test process cannot distort them. Polling (the 20 ms VIP prober,
process and replication samplers) cross-checks them and covers what no stream says.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

Event = dict[str, Any]

# --- kinds --------------------------------------------------------------------------------------
RUN, PHASE, FAULT, ACTION, STEP = "run", "phase", "fault", "action", "step"
VRRP, CHECK, KLOG, VIP, ARP, PROC = "vrrp", "check", "klog", "vip", "arp", "proc"
SERVICE, MLOG, STREAM = "service", "mlog", "stream"
BEAT, OBSERVER_ERROR, OP, REPL, PROMOTION, FINAL, NOTE, LAB, CLIENT = (
    "beat", "observer_error", "op", "repl", "promotion", "final", "note", "lab", "client")

#: fault phases: ``start`` (injected and verified; stamped when injection began,
#: ``verified_at`` says when the effect was seen), ``healed`` (stamped when the heal began,
#: ``done_at`` when it returned), ``heal-failed``, ``skipped`` (the machine cannot do it:
#: the run is skipped with the reason), ``not-applicable`` (nothing to act on in the pair's
#: state at that moment: the sequence goes on without it), ``failed`` (applied but not
#: verified, or interrupted)
FAULT_PHASES = ("start", "healed", "heal-failed", "skipped", "not-applicable", "failed")
#: operator action phases: ``start``, ``done`` (``started`` repeats the start), ``failed``
ACTION_PHASES = ("start", "done", "failed")
#: step phases (a sequence step that is neither fault nor action): ``reached`` (its condition
#: held), ``timeout`` (it did not within its timeout: the rest of the sequence was not run)
STEP_PHASES = ("reached", "timeout")
#: run phases, in order: bring-up | observe, workload, timeline, inject, hold, heal,
#: converge, check
RUN_PHASES = ("bring-up", "observe", "workload", "timeline", "inject", "hold", "heal",
              "converge", "check")
VRRP_STATES = ("MASTER", "BACKUP", "FAULT", "STOP", "CRASH")
OP_TYPES = ("invoke", "ok", "fail", "unknown")


class NodeDecl(TypedDict):
    name: str
    ip: str
    priority: int


class RunEvent(TypedDict):
    """First event: what was run, on what, and the bounds derived from the config."""
    t: float
    kind: Literal["run"]
    bundle: str
    scenario: str  # "bring-up", "setup", "manual" (a `vipchaos up` session) or a test's name
    nodes: list[NodeDecl]
    vip: str
    #: migration_s, master_down_s, detection_s, bringup_s, observer_gap_s
    bounds: dict[str, float]
    checks: dict[str, list[str]]  # node -> the vrrp_scripts its keepalived.conf tracks
    expectations: list[dict[str, Any]]  # harness.expectations.Expectation.to_dict()
    network: NotRequired[str]  # the lab network's profile (absent: lan)


class PhaseEvent(TypedDict):
    t: float
    kind: Literal["phase"]
    name: str  # RUN_PHASES


class FaultEvent(TypedDict):
    t: float
    kind: Literal["fault"]
    phase: str  # FAULT_PHASES
    fault: str
    step: int | None  # its index in the scenario (or the session's step counter)
    nodes: list[str]
    target: NotRequired[str]  # as written: owner | standby | last-faulted | a node name
    owner_at_start: NotRequired[str | None]  # who held the VIP when it started (one owner)
    owners_at_start: NotRequired[list[str]]
    removes_service: NotRequired[bool]  # the VIP must move
    detail: NotRequired[str]  # how it was verified, or why not
    verified_at: NotRequired[float]
    done_at: NotRequired[float]
    #: held for good (a step's ``for: never``): the node does not come back in this run; the
    #: checkers judge on the nodes that survive it
    never: NotRequired[bool]
    disk_lost: NotRequired[bool]  # crash-node with its datadir gone (``disk: lost``)


class ActionEvent(TypedDict):
    t: float
    kind: Literal["action"]
    phase: str  # ACTION_PHASES
    action: str  # harness.actions names: start-mysqld, restore, reboot, ...
    node: str
    step: int | None
    target: NotRequired[str]
    detail: NotRequired[str]
    started: NotRequired[float]
    by: NotRequired[str]  # "harness" for the harness's own moves (bring-up order, resets)


class StepEvent(TypedDict):
    t: float
    kind: Literal["step"]
    phase: str  # STEP_PHASES
    step: int
    when: NotRequired[str]
    label: NotRequired[str]
    detail: NotRequired[str]


class VrrpEvent(TypedDict):
    """A VRRP state from keepalived's own log (stamped by keepalived, ns)."""
    t: float
    kind: Literal["vrrp"]
    node: str
    state: str  # VRRP_STATES; STOP: keepalived stopped; CRASH: its VRRP child died
    instance: NotRequired[str]
    initial: NotRequired[bool]  # the last state before the observation began


class CheckEvent(TypedDict):
    t: float
    kind: Literal["check"]
    node: str
    script: str
    ok: bool
    result: NotRequired[str]  # succeeded | failed | timed out
    initial: NotRequired[bool]


class KlogEvent(TypedDict):
    """A keepalived log line (evidence; gratuitous-ARP chatter dropped)."""
    t: float
    kind: Literal["klog"]
    node: str
    text: str


class VipEvent(TypedDict):
    """Whether a node holds the VIP. ``source`` ``kernel``: the node's address events
    (stamped by ``ip monitor``; the VIP added or deleted), ``dump``: the addresses read when
    a stream started, ``down``: the node is not running (its namespace is gone: it holds
    nothing), ``poll``: the prober's 20 ms sample (a cross-check; stamped when read)."""
    t: float
    kind: Literal["vip"]
    node: str
    held: bool | None  # None: could not be observed
    why: NotRequired[str]
    source: NotRequired[str]


class ArpEvent(TypedDict):
    """The client's (host's) neighbour entry for the VIP: which node a new connection
    reaches."""
    t: float
    kind: Literal["arp"]
    mac: str | None
    node: str | None


class ProcEvent(TypedDict):
    """Processes of a node's cgroup, sampled from the host (works while paused)."""
    t: float
    kind: Literal["proc"]
    node: str
    keepalived: int  # process count
    mysqld: str | None  # process state letter (R, S, D, T) or None
    running: NotRequired[bool]  # False: the container is stopped


class ServiceEvent(TypedDict):
    """The node supervisor's record of a service (stamped in the node, ns): ``started``
    (with ``pid``), ``exited`` (``status``: exit code, or ``signal``), ``stopping``."""
    t: float
    kind: Literal["service"]
    node: str
    service: str  # mysqld | keepalived
    event: str
    pid: NotRequired[int]
    status: NotRequired[int]
    signal: NotRequired[int]


class MlogEvent(TypedDict):
    """A line of mysqld's error log (stamped by mysqld): evidence, with its error code."""
    t: float
    kind: Literal["mlog"]
    node: str
    level: str  # System | Warning | ERROR | Note
    code: str  # MY-010931 ...
    text: str


class StreamEvent(TypedDict):
    """An event stream of a node began or ended. Between ``up`` and ``down`` its silence
    means nothing changed; outside, what it reports is unknown unless polling covered it."""
    t: float
    kind: Literal["stream"]
    stream: str  # addr
    node: str
    state: str  # up | down
    why: NotRequired[str]


class BeatEvent(TypedDict):
    """A polling observer's heartbeat after a successful round: a gap between beats is a
    stretch that observer did not see."""
    t: float
    kind: Literal["beat"]
    observer: str  # vip | keepalived | proc | arp | repl
    node: str | None


class ObserverErrorEvent(TypedDict):
    t: float
    kind: Literal["observer_error"]
    observer: str
    node: str | None
    error: str


class OpEvent(TypedDict):
    """A client operation: invoke, then exactly one of ok (acknowledged; ``node``/``uuid``:
    the server that committed it), fail (certainly not applied), unknown (may have been)."""
    t: float
    kind: Literal["op"]
    type: str  # OP_TYPES
    id: str
    f: str  # write
    node: NotRequired[str | None]
    uuid: NotRequired[str | None]
    error: NotRequired[str]


class ClientEvent(TypedDict):
    """One completed operation of a client profile (harness.clients; not ``direct``, whose
    operations are ``op`` events): stamped when it completed, ``started`` when it began; or
    (op ``arp``) a change of the router profile's ARP entry for the VIP. Figures only
    (harness.clientview): no checker reads them."""
    t: float
    kind: Literal["client"]
    profile: str  # router | pool | pool-ping | reader
    op: str  # write | read | arp
    id: NotRequired[str]  # write, read
    outcome: NotRequired[str]  # write, read: ok | fail | unknown (OP_TYPES without invoke)
    started: NotRequired[float]  # write, read
    mac: NotRequired[str | None]  # arp: the MAC the router's entry holds (None: no entry)
    state: NotRequired[str]  # arp: the entry's state (REACHABLE, STALE, FAILED, none, ...)
    node: NotRequired[str | None]  # the server the connection was to (@@hostname); arp:
    # the node whose MAC the entry holds
    uuid: NotRequired[str | None]
    worker: NotRequired[int]  # the pool's worker (one connection each)
    expect: NotRequired[str]  # read: the acknowledged write it looked for
    seen: NotRequired[bool]  # read: whether it found it (False: a stale read)
    error: NotRequired[str]


class ReplEvent(TypedDict):
    """One node's replication channel and GTID set, sampled every second."""
    t: float
    kind: Literal["repl"]
    node: str
    reachable: bool
    io: NotRequired[bool]
    sql: NotRequired[bool]
    io_error: NotRequired[str]
    sql_error: NotRequired[str]
    sql_errno: NotRequired[int]
    gtid: NotRequired[str]  # executed
    retrieved: NotRequired[str]
    error: NotRequired[str]  # why it could not be read


class PromotionEvent(TypedDict):
    """The instant a node took the VIP: its backlog and the writes it held then (lag)."""
    t: float
    kind: Literal["promotion"]
    node: str
    took_at: float
    executed: NotRequired[str]
    retrieved: NotRequired[str]
    ids: NotRequired[list[str]]
    error: NotRequired[str]


class NodeFinal(TypedDict, total=False):
    reachable: bool
    server_uuid: str
    gtid_executed: str
    channels: list[dict[str, Any]]
    checksum: int | None
    write_ids: list[str]
    keepalived: str
    error: str


class FinalEvent(TypedDict):
    """What each node held once the run ended and replication had converged (or its bound
    passed)."""
    t: float
    kind: Literal["final"]
    nodes: dict[str, NodeFinal]
    vip_owners: list[str]
    converged_after_s: float | None


class NoteEvent(TypedDict):
    t: float
    kind: Literal["note"]
    text: str


class LabEvent(TypedDict):
    """What the lab network's profile does, as seen (``cloud``: the multicast the nodes'
    rules dropped, the node the network pinned the VIP to)."""
    t: float
    kind: Literal["lab"]
    network: str  # harness.bundle.refs.NETWORKS
    detail: str
    node: NotRequired[str]
    dropped: NotRequired[int]  # multicast packets dropped on arrival so far
    mac: NotRequired[str]  # the MAC the network delivers the VIP to


#: every kind, with its record
KINDS: dict[str, type] = {
    RUN: RunEvent, PHASE: PhaseEvent, FAULT: FaultEvent, ACTION: ActionEvent, STEP: StepEvent,
    VRRP: VrrpEvent, CHECK: CheckEvent, KLOG: KlogEvent, VIP: VipEvent, ARP: ArpEvent,
    PROC: ProcEvent, SERVICE: ServiceEvent, MLOG: MlogEvent, STREAM: StreamEvent,
    BEAT: BeatEvent, OBSERVER_ERROR: ObserverErrorEvent, OP: OpEvent, REPL: ReplEvent,
    PROMOTION: PromotionEvent, FINAL: FinalEvent, NOTE: NoteEvent, LAB: LabEvent,
    CLIENT: ClientEvent,
}
