"""GTID sets as MySQL prints them (``uuid:1-5:7,uuid2[:tag]:1-3``), compared in pure Python.

A MariaDB state reaches here already as a set whose sources are ``domain-server`` pairs
(``1-1:1-100``: harness.dialect), so one set arithmetic serves both servers."""

from __future__ import annotations

import re

GtidSet = dict[str, list[tuple[int, int]]]  # "uuid" or "uuid:tag" -> sorted merged intervals
_UUID = re.compile(r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|"
                   r"\d+-\d+)$")  # a MySQL server uuid, or a MariaDB domain-server pair


def parse(text: str) -> GtidSet:
    """Parse a GTID set; raises ValueError naming the bad part."""
    out: GtidSet = {}
    for part in re.sub(r"\s+", "", text or "").split(","):
        if not part:
            continue
        fields = part.split(":")
        if not _UUID.match(fields[0]):
            raise ValueError(f"not a GTID set: bad server uuid in {part!r}")
        key, tag = fields[0].lower(), None
        for f in fields[1:]:
            if re.fullmatch(r"\d+(-\d+)?", f):
                lo, _, hi = f.partition("-")
                a, b = int(lo), int(hi or lo)
                if a < 1 or b < a:
                    raise ValueError(f"not a GTID set: bad interval {f!r} in {part!r}")
                out.setdefault(key if tag is None else f"{key}:{tag}", []).append((a, b))
            elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,31}", f):
                tag = f.lower()
            else:
                raise ValueError(f"not a GTID set: cannot read {f!r} in {part!r}")
    return {k: _merge(v) for k, v in out.items()}


def _merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _minus(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for lo, hi in a:
        cur = lo
        for blo, bhi in b:
            if bhi < cur or blo > hi:
                continue
            if blo > cur:
                out.append((cur, blo - 1))
            cur = max(cur, bhi + 1)
        if cur <= hi:
            out.append((cur, hi))
    return out


def difference(a: str | GtidSet, b: str | GtidSet) -> str:
    """GTIDs in ``a`` and not in ``b``, formatted like MySQL ('' when none)."""
    sa, sb = _as_set(a), _as_set(b)
    diff = {k: _minus(v, sb.get(k, [])) for k, v in sa.items()}
    return format_set({k: v for k, v in diff.items() if v})


def is_subset(a: str | GtidSet, b: str | GtidSet) -> bool:
    return difference(a, b) == ""


def equal(a: str | GtidSet, b: str | GtidSet) -> bool:
    return is_subset(a, b) and is_subset(b, a)


def format_set(s: GtidSet) -> str:
    return ",".join(
        k + "".join(f":{lo}" if lo == hi else f":{lo}-{hi}" for lo, hi in v)
        for k, v in sorted(s.items())
    )


def _as_set(x: str | GtidSet) -> GtidSet:
    return parse(x) if isinstance(x, str) else x
