"""A history as a short text timeline: faults, VRRP transitions, VIP changes, check results, the
client's ARP entry, and write outcomes folded per second, so a replay's story reads in a
terminal. Times are in the scenario's own clock (0 = the timeline's start, as an incident file
writes ``at: 5s``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from harness.checkers.query import judged_events
from harness.history import Event


def render(events: Iterable[Event], width: int = 100) -> str:
    events = judged_events(list(events))
    origin = next((e["t"] for e in events if e["kind"] == "phase"
                   and e.get("name") == "timeline"), 0.0)
    events = [{**e, "t": round(e["t"] - origin, 3)} for e in events]
    lines: list[str] = []
    ops: Counter[str] = Counter()
    ops_second: int | None = None
    servers: Counter[str] = Counter()

    def flush() -> None:
        if ops_second is not None and ops:
            by = ",".join(f"{k}" for k in sorted(servers)) or "-"
            parts = " ".join(f"{k}={ops[k]}" for k in ("ok", "fail", "unknown") if ops[k])
            lines.append(f"{ops_second:>7.0f}s  writes  {parts}  (acked by {by})")
        ops.clear()
        servers.clear()

    for e in events:
        kind, t = e["kind"], e["t"]
        if kind == "op":
            if e["type"] == "invoke":
                continue
            sec = int(t // 1)
            if sec != ops_second:
                flush()
                ops_second = sec
            ops[e["type"]] += 1
            if e["type"] == "ok" and e.get("node"):
                servers[e["node"]] += 1
            continue
        text = _describe(e)
        if text:
            lines.append(f"{t:>8.2f}s  {text}"[:width])
    flush()
    lines.sort(key=lambda line: float(line.split("s", 1)[0]))
    return "\n".join(lines)


def _describe(e: Event) -> str | None:
    kind = e["kind"]
    if kind == "fault":
        verb = {"start": "FAULT", "healed": "HEAL ", "skipped": "SKIP "}.get(e["phase"],
                                                                          e["phase"].upper())
        return f"{verb}   {e['fault']} on {','.join(e.get('nodes', []))}" + (
            f"  [{e['detail']}]" if e.get("detail") else "")
    if kind == "vrrp":
        return f"vrrp    {e['node']} -> {e['state']}" + (" (at start)" if e.get("initial") else "")
    if kind == "check" and not e.get("initial"):
        return f"check   {e['node']} {e['script']} {e.get('result', 'ok' if e['ok'] else 'failed')}"
    if kind == "arp":
        return f"arp     client's VIP entry -> {e.get('node') or e.get('mac') or 'none'}"
    if kind == "observer_error":
        return f"UNSEEN  {e['observer']} {e.get('node') or ''}: {e['error'][:60]}"
    if kind == "vip":
        if e["held"] is None:
            return f"vip     {e['node']} not observable ({e.get('why', '')[:40]})"
        if e.get("source") == "dump":
            return f"vip     {e['node']} {'holds' if e['held'] else 'does not hold'} the VIP"
        return f"vip     {e['node']} {'takes' if e['held'] else 'drops'} the VIP"
    if kind == "stream" and e.get("state") == "down" and "observation ended" not in \
            e.get("why", ""):
        return f"stream  {e['node']} addresses: {e['state']} ({e.get('why', '')[:60]})"
    if kind == "service" and e.get("event") in ("started", "exited"):
        how = f" signal {e['signal']}" if "signal" in e else \
            f" status {e['status']}" if "status" in e else ""
        return f"service {e['node']} {e['service']} {e['event']}{how}"
    if kind == "phase" and e["name"] in ("heal", "converge", "check"):
        return f"phase   {e['name']}"
    if kind == "repl" and e.get("error"):
        return f"repl    {e['node']} error: {e['error'][:60]}"
    return None
