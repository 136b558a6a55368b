"""Reading a bundle's own files (topology.toml, risks.toml, templates) with clear errors.

tomllib gives no line numbers, so ``TomlDoc`` finds them itself: every message about a key can
then say ``topology.toml:12``, the way an editor jumps to it.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import ConfigError


def read_text(path: Path, name: str, what: str = "a text file") -> str:
    """The file's text (UTF-8); a binary or undecodable file is one clear ConfigError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{name}: cannot be read ({exc.strerror})") from exc
    return decode(data, name, what)


def decode(data: bytes, name: str, what: str = "a text file") -> str:
    if b"\0" in data:
        raise ConfigError(f"{name}: not a text file (it holds NUL bytes): give {what}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{name}:{line}: not UTF-8 text (byte {data[exc.start]:#04x}): "
                          f"give {what}") from exc


@dataclass
class TomlDoc:
    """A parsed TOML file that remembers where each key was written."""

    name: str
    data: dict[str, Any]
    lines: dict[tuple, int] = field(default_factory=dict)
    overridden: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path, name: str) -> TomlDoc:
        text = read_text(path, name, "a TOML file")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            m = re.search(r"line (\d+)", str(exc))
            raise ConfigError(f"{name}:{m.group(1) if m else 1}: not valid TOML: {exc}") from exc
        return cls(name, data, key_lines(text))

    def line(self, *keypath: Any) -> int:
        """Line of the key (or of the closest enclosing table); 1 when unknown."""
        for n in range(len(keypath), 0, -1):
            if keypath[:n] in self.lines:
                return self.lines[keypath[:n]]
        return 1

    def where(self, *keypath: Any) -> str:
        if keypath and keypath[0] in self.overridden:
            return f"overrides ({keypath[0]})"
        return f"{self.name}:{self.line(*keypath)}"

    def unknown_keys(self, table: dict[str, Any], known: Iterable[str], keypath: tuple,
                     label: str) -> list[str]:
        """One message per key of ``table`` not in ``known``, with a did-you-mean."""
        known = list(known)
        out = []
        for key in table:
            if key in known:
                continue
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            out.append(f"{self.where(*keypath, key)}: unknown key {key!r} in {label}{hint}; "
                       f"known: {', '.join(known)}")
        return out


_KEY = r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_-]+'


def _split_key(text: str) -> tuple[str, ...]:
    return tuple(p.strip().strip("\"'") for p in re.findall(rf"\s*(?:{_KEY})\s*", text))


def key_lines(text: str) -> dict[tuple, int]:
    """(table..., [index,] key) -> line, for headers and ``key =`` lines. Arrays of tables get
    their index (``("nodes", 1, "priority")``). Good enough for messages, not a TOML parser."""
    out: dict[tuple, int] = {}
    table: tuple = ()
    counts: dict[tuple, int] = {}
    for n, raw in enumerate(text.splitlines(), start=1):
        s = raw.strip()
        m = re.match(r"^\[\[\s*([^\]]+?)\s*\]\]", s)
        if m:
            name = _split_key(m.group(1))
            counts[name] = counts.get(name, -1) + 1
            table = (*name, counts[name])
            out.setdefault(table, n)
            continue
        m = re.match(r"^\[\s*([^\]]+?)\s*\]", s)
        if m:
            table = _split_key(m.group(1))
            out.setdefault(table, n)
            continue
        m = re.match(rf"^((?:{_KEY})(?:\s*\.\s*(?:{_KEY}))*)\s*=", s)
        if m:
            out.setdefault((*table, *_split_key(m.group(1))), n)
    return out
