"""The lines the node's programs write, and what each means as history events. Every line
carries its source's own stamp (wall clock, UTC), so when the harness reads it does not matter.

- keepalived's log file (``--log-file``; one file per process): ``Wed Nov 25 18:24:58.560804336
  2026: (VI_1) Entering MASTER STATE``
- mysqld's error log: ``2026-12-04T16:30:00.123456Z 0 [System] [MY-010931] [Server] ...``
  (MySQL), ``2026-12-04 16:30:00 12 [ERROR] Slave SQL: ... Error_code: 1062; ...`` (MariaDB:
  whole seconds, the server's local time, which is UTC in the node image)
- the node supervisor's service log (``vcctl``/``vc-svc`` in the node image): ``1733329800.123456789
  mysqld started pid=42``, ``... mysqld exited signal=9``
- ``ip -timestamp -oneline monitor address``: ``[2026-12-04T16:28:40.215998] 2: eth0    inet
  198.18.151.100/24 scope global secondary eth0\\ ...``, ``[...] Deleted 2: eth0 ...``
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime
from typing import Any

# --- keepalived -------------------------------------------------------------------------------
_KLOG = re.compile(r"^\w{3} (\w{3}) +(\d+) (\d\d):(\d\d):(\d\d)\.(\d+) (\d{4}): (.*)$")
_MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)}
_STATE = re.compile(r"^\((?P<inst>[^)]+)\) Entering (?P<state>MASTER|BACKUP|FAULT) STATE")
_SCRIPT = re.compile(r"^VRRP_Script\((?P<script>[^)]+)\) (?P<result>succeeded|failed|timed.out)")
# one line per gratuitous ARP packet is noise; keepalived's one "Sending/queueing gratuitous
# ARPs on IFACE for VIP" per transition is kept: it says when the network was told
_NOISE = ("Sending gratuitous ARP", "Please log an issue",
          "and include a full copy", "copies of the keepalived system log", "CPU usage")


def parse_klog(line: str) -> tuple[float, str] | None:
    """(wall-clock seconds, text) of one keepalived log-file line (stamped in UTC), or None."""
    m = _KLOG.match(line.rstrip("\r\n"))
    if not m or m.group(1) not in _MONTHS:
        return None
    mon, day, hh, mm, ss, frac, year, text = m.groups()
    secs = calendar.timegm((int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss)))
    return secs + float(f"0.{frac}"), text


def klog_events(text: str, child_log: bool) -> list[tuple[str, dict[str, Any]]]:
    """What one keepalived log line means, as (kind, fields) history events."""
    out: list[tuple[str, dict[str, Any]]] = []
    if not any(text.startswith(n) or n in text for n in _NOISE):
        out.append(("klog", {"text": text[:300]}))
    if m := _STATE.match(text):
        out.append(("vrrp", {"state": m.group("state"), "instance": m.group("inst")}))
    elif m := _SCRIPT.match(text):
        out.append(("check", {"script": m.group("script"), "ok": m.group("result") ==
                              "succeeded", "result": m.group("result")}))
    elif child_log and text.startswith("Stopped"):
        out.append(("vrrp", {"state": "STOP"}))
    elif not child_log and re.match(r"pid \d+ exited due to signal", text):
        out.append(("vrrp", {"state": "CRASH"}))
    elif not child_log and text.startswith("Stopped Keepalived"):
        out.append(("vrrp", {"state": "STOP"}))
    return out


def last_vrrp_state(lines: list[str], child_log: bool) -> tuple[float, str] | None:
    """(stamp, state) of the last VRRP state among keepalived log lines, or None."""
    found = None
    for line in lines:
        parsed = parse_klog(line)
        for kind, f in klog_events(parsed[1], child_log) if parsed else []:
            if kind == "vrrp" and (found is None or parsed[0] >= found[0]):
                found = (parsed[0], f["state"])
    return found


# --- mysqld's error log -----------------------------------------------------------------------
_MLOG = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:\d\d) +\d+ "
                   r"\[(\w+)\] \[(MY-\d+)\] \[(\w+)\] (.*)$")


_MARIA_LOG = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) +\d+ \[(\w+)\] (.*)$")
_MARIA_CODE = re.compile(r"(?:Error_code|error code):? (\d+)", re.IGNORECASE)


def parse_mlog(line: str) -> tuple[float, dict[str, Any]] | None:
    """(wall-clock seconds, fields) of one mysqld error-log line, or None (a continuation).
    A MariaDB line's code is its server error number (``1062``), MySQL's its ``MY-`` code."""
    m = _MLOG.match(line.rstrip("\r\n"))
    if not m:
        maria = _MARIA_LOG.match(line.rstrip("\r\n"))
        if not maria:
            return None
        stamp, level, text = maria.groups()
        code = _MARIA_CODE.search(text)
        level = {"Note": "Note", "Warning": "Warning", "ERROR": "ERROR"}.get(level, level)
        when = datetime.fromisoformat(stamp.replace(" ", "T") + "+00:00")
        return when.timestamp(), {"level": level, "code": code.group(1) if code else "",
                                  "text": text[:300]}
    stamp, zone, level, code, _subsystem, text = m.groups()
    zone = "+00:00" if zone == "Z" else zone
    when = datetime.fromisoformat(stamp + zone).astimezone(UTC)
    return when.timestamp(), {"level": level, "code": code, "text": text[:300]}


# --- the node supervisor's service log --------------------------------------------------------
_SVC = re.compile(r"^(\d+\.\d+) (\S+) (\S+)((?: \w+=\S+)*)$")


def parse_service(line: str) -> tuple[float, dict[str, Any]] | None:
    """(wall-clock seconds, fields) of one service-log line, or None."""
    m = _SVC.match(line.rstrip("\r\n"))
    if not m:
        return None
    stamp, service, event, rest = m.groups()
    fields: dict[str, Any] = {"service": service, "event": event}
    for kv in rest.split():
        k, _, v = kv.partition("=")
        fields[k] = int(v) if v.lstrip("-").isdigit() else v
    return float(stamp), fields


# --- ip monitor address -----------------------------------------------------------------------
_ADDR = re.compile(r"^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)\] (Deleted )?(\d+): \S+ +inet "
                   r"(\d+\.\d+\.\d+\.\d+)/\d+")


def parse_addr_event(line: str) -> tuple[float, int, str, bool] | None:
    """(wall-clock seconds, interface index, address, added) of an ``ip -ts -o monitor
    address`` line about an IPv4 address (stamped in UTC: the monitor runs with TZ=UTC), or
    None. A renamed interface (Docker renames one before taking it out of a stopped node)
    repeats its addresses as added: keyed by index, that changes nothing."""
    m = _ADDR.match(line)
    if not m:
        return None
    stamp, deleted, index, addr = m.groups()
    when = datetime.fromisoformat(stamp).replace(tzinfo=UTC)
    return when.timestamp(), int(index), addr, not deleted


def addresses_in_dump(lines: list[str]) -> set[tuple[int, str]]:
    """(interface index, IPv4 address) pairs an ``ip -o -4 addr show`` listing holds."""
    return {(int(m.group(1)), m.group(2)) for line in lines
            if (m := re.match(r"^(\d+): \S+ +inet (\d+\.\d+\.\d+\.\d+)/\d+", line))}
