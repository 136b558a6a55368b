"""MySQL accounts a bundle's scripts and replication use, written as an operator writes them.

``accounts.sql`` holds plain statements (``CREATE USER ... IDENTIFIED BY ...; GRANT ...;``),
split here into statements that each remember their ``file:line``. Host parts are mapped like
any address (``'healthcheck'@'192.168.0.%'`` follows ``"192.168.0.0/24" = "lab"``) before
parsing. A bundle without one gets ``default-accounts.sql`` (repl/repl, healthcheck, root).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address

from harness.errors import ConfigError


@dataclass(frozen=True)
class Statement:
    sql: str
    where: str  # "accounts.sql:3"

    def __str__(self) -> str:
        return f"{self.where}: {self.sql}"


@dataclass(frozen=True)
class Account:
    user: str
    host: str
    password: str | None
    where: str


def parse_statements(text: str, name: str) -> list[Statement]:
    """Split SQL text on ``;`` outside quotes and comments; comments are dropped."""
    out: list[Statement] = []
    buf: list[str] = []
    start: int | None = None
    line, i, n = 1, 0, len(text)
    while i < n:
        ch = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if ch in "'\"`":
            j = i + 1
            while j < n and text[j] != ch:
                j += 2 if text[j] == "\\" and ch != "`" else 1
            if j >= n:
                raise ConfigError(f"{name}:{line}: unterminated {ch} quote")
            if start is None:
                start = line
            buf.append(text[i:j + 1])
            line += text[i:j + 1].count("\n")
            i = j + 1
            continue
        if ch == "#" or (ch == "-" and nxt == "-" and (i + 2 >= n or text[i + 2] in " \t\r\n")):
            while i < n and text[i] != "\n":
                i += 1
            continue
        if ch == "/" and nxt == "*" and text[i + 2:i + 3] != "!":
            end = text.find("*/", i + 2)
            if end < 0:
                raise ConfigError(f"{name}:{line}: unterminated /* comment")
            line += text[i:end].count("\n")
            buf.append(" ")
            i = end + 2
            continue
        if ch == ";":
            _flush(out, buf, start, name)
            buf, start = [], None
        else:
            if start is None and not ch.isspace():
                start = line
                if re.match(r"delimiter\b", text[i:i + 10], re.IGNORECASE):
                    raise ConfigError(f"{name}:{line}: DELIMITER is a command of the mysql "
                                      "client, not SQL: end each statement with ;")
            buf.append(ch)
            if ch == "\n":
                line += 1
        i += 1
    _flush(out, buf, start, name)
    return out


def _flush(out: list[Statement], buf: list[str], start: int | None, name: str) -> None:
    sql = "".join(buf).strip()
    if sql and start is not None:
        out.append(Statement(sql, f"{name}:{start}"))


_IDENT = r"""(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|`([^`]*)`|([\w$.%-]+))"""
ACCOUNT = re.compile(rf"{_IDENT}\s*@\s*{_IDENT}")
_PASSWORD = re.compile(r"""\s+IDENTIFIED\s+(?:WITH\s+\S+\s+)?BY\s+(?:'((?:[^'\\]|\\.)*)'|"""
                       r""""((?:[^"\\]|\\.)*)")""", re.IGNORECASE)


def first_group(groups: tuple) -> str:
    return next((g for g in groups if g is not None), "")


def account_name(m: re.Match) -> str:
    """``'user'@'host'`` of an ``ACCOUNT`` match, quoted as SQL writes it."""
    return f"'{first_group(m.groups()[:4])}'@'{first_group(m.groups()[4:])}'"


_GRANT_CREATES = re.compile(r"GRANT\s+.*?\s+ON\s+\S+\s+TO\s+", re.IGNORECASE | re.S)


def created(statements: list[Statement]) -> list[Account]:
    """Accounts made by CREATE USER statements (user, host, password if given), and by
    ``GRANT ... TO u@h IDENTIFIED BY 'p'``, which creates the account on MySQL 5.7 and MariaDB
    (the tutorial's way; a server that refuses it is sqlcheck's to say)."""
    out = []
    for st in statements:
        m = re.match(r"CREATE\s+USER\s+(?:IF\s+NOT\s+EXISTS\s+)?", st.sql, re.IGNORECASE)
        if not m:
            g = _GRANT_CREATES.match(st.sql)
            a = ACCOUNT.match(st.sql, g.end()) if g else None
            pw = _PASSWORD.match(st.sql, a.end()) if a else None
            if a and pw:
                out.append(Account(first_group(a.groups()[:4]), first_group(a.groups()[4:]),
                                   first_group(pw.groups()), st.where))
            continue
        pos = m.end()
        while True:
            a = ACCOUNT.match(st.sql, pos)
            if not a:
                break
            pw = _PASSWORD.match(st.sql, a.end())
            out.append(Account(first_group(a.groups()[:4]), first_group(a.groups()[4:]),
                               first_group(pw.groups()) if pw else None, st.where))
            pos = pw.end() if pw else a.end()
            rest = re.match(r"[^,;]*?,\s*", st.sql[pos:])
            if not rest or not ACCOUNT.match(st.sql, pos + rest.end()):
                break
            pos += rest.end()
    return out


def grants_to(statements: list[Statement], user: str) -> list[tuple[str, str, str]]:
    """(privileges, host, where) of every GRANT ... TO user@host."""
    out = []
    for st in statements:
        m = re.match(r"GRANT\s+(.*?)\s+ON\s+.*?\s+TO\s+(.*)$", st.sql, re.IGNORECASE | re.S)
        if not m:
            continue
        for a in ACCOUNT.finditer(m.group(2)):
            if first_group(a.groups()[:4]) == user:
                out.append((m.group(1), first_group(a.groups()[4:]), st.where))
    return out


def host_matches(pattern: str, ip: str) -> bool:
    """Whether a MySQL host part (``%``, ``a.b.c.%``, ``_``, an address, ``a.b.c.0/24`` or
    ``a.b.c.0/255.255.255.0``) admits a client connecting from ``ip``."""
    if "/" in pattern:
        base, mask = pattern.split("/", 1)
        try:
            bits = int(mask) if mask.isdigit() else bin(int(IPv4Address(mask))).count("1")
            net = int(IPv4Address(base)) >> (32 - bits) if bits else 0
            return (int(IPv4Address(ip)) >> (32 - bits) if bits else 0) == net
        except ValueError:
            return False
    rx = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, ip) is not None


_LOGIN = re.compile(r"""\b(?:MASTER|SOURCE)_(USER|PASSWORD)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|"""
                    r""""((?:[^"\\]|\\.)*)")""", re.IGNORECASE)


def replication_login(statements: list[Statement]) -> tuple[str, str, str] | None:
    """(user, password, where) a ``CHANGE MASTER TO`` / ``CHANGE REPLICATION SOURCE TO``
    logs in with, as a replication setup file (the tutorial's step 2) writes it."""
    for st in statements:
        if not re.match(r"CHANGE\s+(?:MASTER|REPLICATION\s+SOURCE)\s+TO\b", st.sql,
                        re.IGNORECASE):
            continue
        found = {m.group(1).upper(): first_group(m.groups()[1:]) for m in _LOGIN.finditer(st.sql)}
        if "USER" in found and "PASSWORD" in found:
            return found["USER"], found["PASSWORD"], st.where
    return None

