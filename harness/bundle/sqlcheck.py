"""The operator's SQL against the server it will meet: statements that server refuses are errors
at file:line before any pair starts, each saying which servers accept it and what the
equivalent is on this one (tutorials are full of MySQL 5.7 and pre-8.4 syntax that MySQL 9.7
refuses, and of MySQL syntax MariaDB does not know). The operator's file is never rewritten:
the equivalent is a suggestion to paste.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from harness.bundle.accounts import ACCOUNT, Statement, account_name
from harness.platform import Platform

Rule = Callable[[Statement, Platform], "Finding | None"]


@dataclass(frozen=True)
class Finding:
    where: str
    message: str
    error: bool = True

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def _account(text: str) -> str:
    a = ACCOUNT.search(text)
    return account_name(a) if a else "'user'@'host'"


def grant_identified_by(st: Statement, p: Platform) -> Finding | None:
    m = re.match(r"GRANT\s+(.*?)\s+ON\s+(\S+)\s+TO\s+(.*?)\s+IDENTIFIED\s+BY\s+"
                 r"('[^']*'|\"[^\"]*\")", st.sql, re.IGNORECASE | re.S)
    if not m or p.mariadb:
        return None
    privs, on, who, password = m.groups()
    account = _account(who)
    return Finding(st.where, f"GRANT ... IDENTIFIED BY is MySQL 5.7 syntax (MariaDB accepts it "
                   f"too); MySQL 8.0 and later refuse it, {p.server} among them (error 1064). "
                   f"On {p.server} write: CREATE USER {account} IDENTIFIED BY {password}; "
                   f"GRANT {privs} ON {on} TO {account};")


SOURCE_OPTIONS = {"MASTER_HOST": "SOURCE_HOST", "MASTER_USER": "SOURCE_USER",
                  "MASTER_PASSWORD": "SOURCE_PASSWORD", "MASTER_PORT": "SOURCE_PORT",
                  "MASTER_AUTO_POSITION": "SOURCE_AUTO_POSITION",
                  "MASTER_CONNECT_RETRY": "SOURCE_CONNECT_RETRY",
                  "MASTER_LOG_FILE": "SOURCE_LOG_FILE", "MASTER_LOG_POS": "SOURCE_LOG_POS",
                  "MASTER_SSL": "SOURCE_SSL"}


def change_master(st: Statement, p: Platform) -> Finding | None:
    if not re.match(r"CHANGE\s+MASTER\s+TO\b", st.sql, re.IGNORECASE):
        return None
    if p.mariadb:
        if re.search(r"\bMASTER_AUTO_POSITION\b", st.sql, re.IGNORECASE):
            return Finding(st.where, f"MASTER_AUTO_POSITION is MySQL's; {p.server} refuses it: "
                           "MariaDB replicates by GTID with MASTER_USE_GTID=slave_pos")
        return None
    if p.version < (8, 4):
        return None
    modern = re.sub(r"CHANGE\s+MASTER\s+TO", "CHANGE REPLICATION SOURCE TO", st.sql,
                    flags=re.IGNORECASE)
    for old, new in SOURCE_OPTIONS.items():
        modern = re.sub(rf"\b{old}\b", new, modern, flags=re.IGNORECASE)
    return Finding(st.where, f"CHANGE MASTER TO was removed in MySQL 8.4 (MySQL 5.7 to 8.3 and "
                   f"MariaDB accept it); on {p.server} write: "
                   f"{' '.join(modern.split())}, GET_SOURCE_PUBLIC_KEY=1; (MySQL 9 has no "
                   "mysql_native_password: without the public key, or TLS, the channel fails "
                   "with error 2061)")


def slave_commands(st: Statement, p: Platform) -> Finding | None:
    m = re.match(r"(START|STOP|RESET)\s+SLAVE\b|SHOW\s+SLAVE\s+STATUS\b", st.sql, re.IGNORECASE)
    if not m or p.mariadb or p.version < (8, 4):
        return None
    modern = re.sub(r"\bSLAVE\b", "REPLICA", m.group(0), flags=re.IGNORECASE).upper()
    return Finding(st.where, f"{m.group(0).upper()} was removed in MySQL 8.4 (MySQL 5.7 to 8.3 "
                   f"and MariaDB accept it); on {p.server} write: {modern}")


def native_password(st: Statement, p: Platform) -> Finding | None:
    if p.mariadb or p.version < (9, 0) or not re.search(
            r"IDENTIFIED\s+WITH\s+['\"]?mysql_native_password", st.sql, re.IGNORECASE):
        return None
    return Finding(st.where, f"mysql_native_password was removed in MySQL 9.0 ({p.server} "
                   "refuses the account: plugin not loaded); write IDENTIFIED BY '...' "
                   "(caching_sha2_password), and give replication GET_SOURCE_PUBLIC_KEY=1 or "
                   "TLS")


def password_function(st: Statement, p: Platform) -> Finding | None:
    if p.mariadb or not re.search(r"\bPASSWORD\s*\(", st.sql, re.IGNORECASE):
        return None
    return Finding(st.where, f"the PASSWORD() function was removed in MySQL 8.0 ({p.server} "
                   "refuses it): give the password in clear with IDENTIFIED BY '...'")


def caching_sha2_on_mariadb(st: Statement, p: Platform) -> Finding | None:
    if not p.mariadb or not re.search(r"IDENTIFIED\s+WITH\s+['\"]?caching_sha2_password",
                                      st.sql, re.IGNORECASE):
        return None
    return Finding(st.where, f"caching_sha2_password is MySQL's; {p.server} has no such plugin: "
                   "write IDENTIFIED BY '...' (mysql_native_password on MariaDB)")


def client_command(st: Statement, p: Platform) -> Finding | None:
    m = re.search(r"\\([GgCcq])\s*$", st.sql)
    if not m:
        return None
    return Finding(st.where, f"\\{m.group(1)} is a command of the mysql client, not SQL (every "
                   "server refuses it from a file run over a connection): end the statement "
                   "with ; alone")


RULES: tuple[Rule, ...] = (client_command, grant_identified_by, change_master, slave_commands,
                           native_password,
                           password_function, caching_sha2_on_mariadb)


def check(statements: list[Statement], platform: Platform) -> list[Finding]:
    """Every finding of every rule, in file order."""
    return [f for st in statements for rule in RULES if (f := rule(st, platform))]
