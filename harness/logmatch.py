"""A source's own log lines, compared with what the lab's keepalived wrote in a replay.

An incident file may quote the log its source shows (``logs:``) and say, line by line, what
the lab's keepalived writes for the same event (``lab:``, a piece of the line; ``{vip}``,
``{interface}`` and node names stand for the lab's values), or that it writes nothing there and
why (``lab: null`` and ``why:``: a line a newer keepalived dropped, a line of systemd's). A
line the lab writes that the source's version did not (``source: null``) is compared too.

The comparison reads the recorded history only: keepalived's lines (``klog`` events, stamped
by keepalived) of each node from the step the line belongs to (``after: N``, which holds for
the node's following lines too). Not in the source's order: versions order their start-up
lines differently (2.x reads its config in the parent, before the VRRP child starts; 1.3.5 in
the child), and the times printed beside each line show the lab's order. A line expected and
not found is the reproduction differing from the source: the replay fails and says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LogLine:
    node: str
    source: str | None  # the line as the source shows it (None: the source's version has none)
    lab: str | None  # what to find in the lab's log (None: the lab writes nothing for it)
    why: str = ""  # why the lab differs (required when lab or source is None)
    after: int | None = None  # the 1-based timeline step from which to look
    where: str = ""  # incident.yaml:line


@dataclass(frozen=True)
class Match:
    line: LogLine
    t: float | None  # when the lab wrote it (None: not found, or not expected)
    text: str = ""  # the lab's line as written

    @property
    def missing(self) -> bool:
        return self.line.lab is not None and self.t is None


def _step_starts(events: list[dict[str, Any]]) -> dict[int, float]:
    starts: dict[int, float] = {}
    for e in events:
        step = e.get("step")
        if e.get("kind") in ("fault", "action") and isinstance(step, int) and \
                e.get("phase") in ("start", "inject", None):
            starts.setdefault(step + 1, e["t"])
    return starts


def compare(lines: list[LogLine], events: list[dict[str, Any]],
            words: dict[str, str]) -> list[Match]:
    """Each expected line found (or not) in its node's keepalived lines from its step on.
    ``words`` fills the placeholders (``{vip}``, ``{interface}``, ...)."""
    starts = _step_starts(events)
    klogs: dict[str, list[tuple[float, str]]] = {}
    for e in events:
        if e.get("kind") == "klog" and "t" in e:
            klogs.setdefault(e.get("node", ""), []).append((e["t"], e.get("text", "")))
    for seen in klogs.values():
        seen.sort(key=lambda x: x[0])
    anchor: dict[str, float] = {}
    out = []
    for line in lines:
        if line.after is not None:
            anchor[line.node] = starts.get(line.after, float("inf"))
        if line.lab is None:
            out.append(Match(line, None))
            continue
        want = line.lab.format_map(_Words(words))
        since = anchor.get(line.node, float("-inf"))
        found = next(((t, text) for t, text in klogs.get(line.node, []) if t >= since and
                      want in text), None)
        if found:
            out.append(Match(line, found[0], found[1]))
        else:
            out.append(Match(line, None))
    return out


class _Words(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def table(matches: list[Match]) -> str:
    """The comparison as the replay prints it: the source's line, then the lab's (with when
    keepalived wrote it)."""
    rows = []
    for m in matches:
        src = m.line.source or "(no such line in the source's version)"
        if m.line.lab is None:
            lab = f"-- none: {m.line.why}"
        elif m.t is None:
            lab = f"!! NOT FOUND: {m.line.lab}"
        else:
            lab = f"t={m.t:6.2f}s {m.text}" + (f"  ({m.line.why})" if m.line.why else "")
        rows.append(f"  {m.line.node:6} {src}\n  {'':6}   lab: {lab}")
    return "\n".join(rows)
