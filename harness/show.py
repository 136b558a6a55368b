"""Text for people: verdict lines, the ``vipchaos status`` table, aligned tables, the fault and
action catalogue. No logic of its own: it formats what the library returns."""

from __future__ import annotations

import textwrap
from typing import Any

from harness.actions import ACTIONS
from harness.faults import CATALOGUE


def verdict_lines(result) -> list[str]:
    """A judged result: one line per verdict, the outcome, and why."""
    lines = [f"  {v.invariant:13} {v.status:8} {v.summary}" for v in result.verdicts]
    lines.append(f"outcome: {result.outcome}")
    lines += [f"  - {why}" for why in result.judgement.reasons]
    return lines


def format_table(columns: list[str], rows: list[list[Any]]) -> str:
    """Rows under their column names, aligned; NULL for None."""
    def cell(v: Any) -> str:
        if v is None:
            return "NULL"
        if isinstance(v, bytes | bytearray):
            v = bytes(v).decode(errors="replace")
        return str(v).replace("\n", "\\n")
    body = [[cell(v) for v in r] for r in rows]
    widths = [max([len(str(c)), *(len(r[i]) for r in body)]) for i, c in enumerate(columns)]
    out = ["  ".join(str(c).ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    out += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in body]
    return "\n".join(out)


def format_status(info: dict[str, Any]) -> str:
    """``vipchaos status``: the pair from ``vipchaos up`` (``session.pair_status``)."""
    c = info["connect"]
    lines = [f"run {info['run_id']} ({info['bundle']}) on {info['subnet']}; VIP {info['vip']} "
             f"on {', '.join(info['vip_owners']) or 'no node'}; t={info['t']:.1f}s",
             f"connect: mysql -h {c['host']} -P {c['port']} -u {c['user']} -p{c['password']} "
             f"{c['database']}"]
    rows = [["node", "ip", "container", "vrrp", "vip", "keepalived", "mysqld", "replication"]]
    for name, n in info["nodes"].items():
        if n["replication"] is None:
            repl = "?"
        elif not n["replication"]:
            repl = "no channel"
        else:
            ch = n["replication"][0]
            repl = f"IO {'yes' if ch['io'] else 'NO'} SQL {'yes' if ch['sql'] else 'NO'}"
            err = ch["sql_error"] or ch["io_error"]
            if err:
                repl += f" ({err[:50]})"
        vip = {True: "HOLDS", False: "-", None: f"? {n['vip_why'][:20]}"}[n["holds_vip"]]
        ka = n["keepalived_processes"]
        mysqld = (n["mysqld_process"] or "?") + ("" if n["mysqld_answers"] else
                                                 ", not answering")
        rows.append([name, n["ip"], n["state"], n["vrrp"] or "?", vip,
                     "?" if ka is None else "running" if ka else "stopped", mysqld, repl])
    lines.append(format_table(rows[0], rows[1:]))
    if info["accounts"]:
        lines.append("bundle accounts: " + ", ".join(
            f"{a['user']}@{a['host']}" + (f" ({a['password']})" if a["password"] else "")
            for a in info["accounts"]))
    faults = info["active_faults"]
    lines.append("active faults: " + (", ".join(f"{f['fault']} on {f['node']} (since "
                                                f"t={f['t']:.1f}s)" for f in faults)
                                      if faults else "none"))
    watched = f"by pid {info['watched_by']}" if info["watched_by"] else \
        "no (`vipchaos watch` records what happens)"
    lines.append(f"watched: {watched}; history {info['history']}")
    return "\n".join(lines)


def catalogue() -> str:
    """The faults and operator actions, for ``--help`` and ``vipchaos faults``."""
    lines = ["faults (vipchaos fault NAME; run --faults NAME,...):"]
    for name, cls in CATALOGUE.items():
        text = ("[VIP must move] " if cls.removes_service else "") + cls.description
        lines.append(textwrap.fill(text, 92, initial_indent=f"  {name:18} ",
                                   subsequent_indent=" " * 21))
    lines.append("operator actions (vipchaos action NAME):")
    lines += [f"  {name}" for name in ACTIONS]
    return "\n".join(lines)
