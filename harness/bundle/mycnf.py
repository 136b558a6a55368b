"""The operator's my.cnf against the server it will meet: options that server does not know, and
paths the node does not have, each at the option's file:line.

The server is the judge: the validate container runs ``mysqld --validate-config`` (MySQL 8.0.16
and later) or ``mysqld --help --verbose`` (MariaDB, which has no validate mode). Both stop at the
first unknown option, so the container comments that option out of its own copy and asks again,
up to ``MAX_ROUNDS`` times; the operator's file is never touched. Paths are probed in the same
container. Here: which options the operator's files set (and where), the probe script, and the
reading of its answers.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from harness.platform import Platform

MAX_ROUNDS = 12
#: option groups mysqld reads
SERVER_GROUPS = re.compile(r"^(mysqld|server|mariadb|mariadbd|mysqld-[\d.]+|mariadb-[\d.]+|"
                           r"galera)$")
#: options naming a directory that must exist (dir) or a file whose directory must (parent)
PATHS = {"datadir": "dir", "basedir": "dir", "tmpdir": "dir", "plugin_dir": "dir",
         "lc_messages_dir": "dir", "innodb_data_home_dir": "dir",
         "innodb_log_group_home_dir": "dir", "secure_file_priv": "dir", "socket": "parent",
         "pid_file": "parent", "log_error": "parent", "slow_query_log_file": "parent",
         "general_log_file": "parent", "log_bin": "parent", "relay_log": "parent",
         "log_bin_index": "parent", "relay_log_index": "parent"}
#: what an unknown option usually means, and what to write instead
HINTS = {
    ("mysql", "master_info_repository"): "removed in MySQL 8.3 (the table repository is the "
                                         "only one): drop the line",
    ("mysql", "relay_log_info_repository"): "removed in MySQL 8.3 (the table repository is the "
                                            "only one): drop the line",
    ("mysql", "expire_logs_days"): "removed in MySQL 8.2: write binlog_expire_logs_seconds",
    ("mysql", "query_cache_size"): "the query cache was removed in MySQL 8.0: drop the line",
    ("mysql", "query_cache_type"): "the query cache was removed in MySQL 8.0: drop the line",
    ("mysql", "default_authentication_plugin"): "removed in MySQL 8.4: write "
                                                "authentication_policy",
    ("mysql", "log_slave_updates"): "write log_replica_updates (MySQL 8.0.26 and later)",
    ("mariadb", "gtid_mode"): "MariaDB's GTID is always on and has no gtid_mode: drop it, and "
                              "give each master its own gtid_domain_id (gtid_strict_mode = ON "
                              "to refuse out-of-order transactions)",
    ("mariadb", "enforce_gtid_consistency"): "MySQL's; MariaDB has no such option: drop it",
    ("mariadb", "log_replica_updates"): "write log_slave_updates on MariaDB",
    ("mariadb", "binlog_expire_logs_seconds"): "MySQL's before MariaDB 10.6: write "
                                               "expire_logs_days",
}


@dataclass(frozen=True)
class Option:
    name: str  # normalised: dashes as underscores, lower case
    value: str | None
    where: str  # "node1/etc/my.cnf:6"


def normal(name: str) -> str:
    """``log-slave-updates`` and ``loose_log_slave_updates`` are ``log_slave_updates``."""
    return name.strip().lower().replace("-", "_").removeprefix("loose_")


def option_files(files: dict[str, tuple[bytes, int]]) -> list[str]:
    """Paths of MySQL option files among a node's files."""
    return sorted(p for p in files if p == "/etc/my.cnf" or
                  (p.startswith("/etc/mysql/") and p.endswith(".cnf")))


def options(files: dict[str, tuple[bytes, int]], sources: dict[str, str]) -> list[Option]:
    """Every option the server reads from the node's option files, with its file:line."""
    out = []
    for path in option_files(files):
        group = None
        text = files[path][0].decode("utf-8", "replace")
        for lineno, line in enumerate(text.splitlines(), start=1):
            s = line.strip()
            if not s or s[0] in "#;!":
                continue
            m = re.match(r"^\[([^\]]+)\]", s)
            if m:
                group = m.group(1).strip().lower()
                continue
            if group is None or not SERVER_GROUPS.match(group):
                continue
            name, sep, value = s.partition("=")
            value = re.sub(r"\s+#.*$", "", value).strip().strip("'\"") if sep else None
            out.append(Option(normal(name), value, f"{sources.get(path, path)}:{lineno}"))
    return out


def probe_script(platform: Platform, opts: list[Option]) -> str:
    """Shell lines printing ``mc <server line>`` and ``mc-unknown <option>`` per round, then
    ``mc-nopath <option> <path>`` per path the node lacks."""
    ask = ("mysqld --help --verbose 2>&1 >/dev/null" if platform.mariadb
           else "mysqld --validate-config 2>&1")
    lines = [
        "cnfs=$(ls /etc/my.cnf /etc/mysql/my.cnf /etc/mysql/*.cnf /etc/mysql/*/*.cnf "
        "2>/dev/null)",
        f"for round in $(seq {MAX_ROUNDS}); do",
        f"  out=$({ask})",
        "  printf '%s\\n' \"$out\" | grep -E 'ERROR|unknown (variable|option)' | "
        "sed 's/^/mc /'",
        "  opt=$(printf '%s\\n' \"$out\" | grep -oE \"unknown (variable|option) '(--)?[^=']+\" "
        "| head -1 | sed -E \"s/.*'(--)?//\")",
        "  [ -n \"$opt\" ] || break",
        "  echo \"mc-unknown $opt\"",
        "  pat=$(printf '%s' \"$opt\" | sed -E 's/[-_]/[-_]/g')",
        "  sed -i -E \"s/^([[:space:]]*(loose[-_])?${pat}[[:space:]]*(=|\\$))/#\\1/I\" $cnfs",
        "done",
    ]
    q = shlex.quote
    for o in opts:
        kind = PATHS.get(o.name)
        if not kind or not o.value or not o.value.startswith("/"):
            continue
        target = o.value if kind == "dir" else o.value.rsplit("/", 1)[0] or "/"
        lines.append(f"[ -d {q(target)} ] || echo mc-nopath {q(o.name)} {q(target)}")
    return "\n".join(lines) + "\n"


def findings(out: str, platform: Platform, opts: list[Option]) -> list[str]:
    """Errors from the probe's answers, each at the option's file:line."""
    by_name: dict[str, list[Option]] = {}
    for o in opts:
        by_name.setdefault(o.name, []).append(o)
    errors: list[str] = []
    server = platform.server
    for raw in out.splitlines():
        kind, _, rest = raw.partition(" ")
        if kind == "mc-unknown":
            name = normal(rest)
            hint = HINTS.get((platform.flavour, name))
            places = [o.where for o in by_name.get(name, [])] or ["my.cnf"]
            errors.append(f"{places[0]}: {rest}: {server} does not know this option (the server "
                          f"says: unknown variable); mysqld refuses to start with it"
                          + (f"; {hint}" if hint else "")
                          + (f" (also at {', '.join(places[1:])})" if len(places) > 1 else ""))
        elif kind == "mc-nopath":
            name, _, path = rest.partition(" ")
            places = [o.where for o in by_name.get(name, [])] or ["my.cnf"]
            errors.append(f"{places[-1]}: {name} = {path}: the node has no directory {path} "
                          f"(production's layout, not {server}'s package): mysqld "
                          + ("would look for its files there and not start"
                             if name in ("basedir", "lc_messages_dir", "plugin_dir", "datadir")
                             else "cannot create its file there and would not start")
                          + "; the lab runs the distribution's package with its own layout")
        elif kind == "mc" and "errmsg.sys" in rest:
            base = [o for o in opts if o.name in ("basedir", "lc_messages_dir")]
            if base and not any(e.startswith(f"{base[-1].where}:") for e in errors):
                errors.append(f"{base[-1].where}: {base[-1].name} = {base[-1].value}: {server} "
                              "finds no error messages (errmsg.sys) under it and does not "
                              "start; production's layout, not the package's (the lab's "
                              "server lives in /usr)")
    return errors
