"""What kind of file a node file is, and which part of a line is not a comment.

Address and command checks look only at what a program really reads: an address in a comment
needs no mapping, a word in a comment is not a command.
"""

from __future__ import annotations

import re

KEEPALIVED_CONF = "/etc/keepalived/keepalived.conf"
SHELLS = {"sh", "bash", "dash", "ash", "ksh", "zsh", "busybox"}


def shebang(data: bytes) -> list[str] | None:
    """The interpreter and its arguments from a ``#!`` line, as the kernel splits it."""
    if not data.startswith(b"#!"):
        return None
    first = data[2:].split(b"\n", 1)[0]
    words = first.decode("utf-8", "replace").split(maxsplit=1)
    if not words:
        return []
    # The kernel passes everything after the interpreter as ONE argument (CR included).
    return [words[0], *words[1:]]


def interpreter(data: bytes) -> str | None:
    """The program that really runs the script: ``bash`` for ``#!/usr/bin/env bash``."""
    sb = shebang(data)
    if not sb:
        return None
    prog = sb[0].rsplit("/", 1)[-1]
    if prog == "env" and len(sb) > 1:
        args = [a for a in sb[1].split() if not a.startswith("-")]
        return args[0] if args else None
    return prog


def kind(node_path: str, data: bytes) -> str:
    """keepalived | shell | sql | cnf | script (another interpreter) | other."""
    if node_path == KEEPALIVED_CONF or (node_path.startswith("/etc/keepalived/") and \
            node_path.endswith(".conf")):
        return "keepalived"
    interp = interpreter(data)
    if interp is not None:
        return "shell" if interp.rstrip("\r") in SHELLS else "script"
    if data.startswith(b"#!"):
        return "script"
    if node_path.endswith((".sh", ".bash")):
        return "shell"
    if node_path.endswith(".sql"):
        return "sql"
    if node_path.endswith((".cnf", "/my.cnf")):
        return "cnf"
    return "other"


def code(line: str, kind_: str) -> str:
    """The line without its comment, for the file's kind."""
    if kind_ == "keepalived":
        return re.split(r"\s[!#]|^\s*[!#]", line, maxsplit=1)[0]
    if kind_ in ("shell", "script"):
        return _cut(line, "#", word_start=True)
    if kind_ == "sql":
        return _cut(_cut(line, "#"), "-- ")
    if kind_ == "cnf":
        s = line.lstrip()
        return "" if s.startswith(("#", ";")) else _cut(line, "#")
    return line


def _cut(line: str, marker: str, word_start: bool = False) -> str:
    """Cut at ``marker`` outside quotes (for shells: only where a word starts)."""
    quote = ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch == "\\":
            i += 2
            continue
        elif ch in "'\"":
            quote = ch
        elif line.startswith(marker, i) and (not word_start or i == 0
                                             or line[i - 1] in " \t;|&()"):
            return line[:i]
        i += 1
    return line
