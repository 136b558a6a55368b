"""How the harness speaks to each server flavour: one place for every statement that differs.

MySQL (8.4 and later) and MariaDB (10.5 and later) share most of what the harness says
(``START/STOP REPLICA``, ``SHOW REPLICA STATUS`` exist in both) but not how replication is
pointed at a peer, what a server calls its channel's columns, how it names itself, or what its
GTID state looks like:

- MySQL: ``uuid:1-100`` sets in ``@@gtid_executed``, ``SOURCE_AUTO_POSITION``, ``Replica_*`` /
  ``Source_*`` columns, ``@@server_uuid``.
- MariaDB: ``domain-server-sequence`` triples; ``@@gtid_binlog_state`` holds the last sequence
  of each (domain, server) the binlog has seen, ``MASTER_USE_GTID=slave_pos`` resumes from it,
  ``Slave_*`` / ``Master_*`` columns, ``Gtid_IO_Pos``, no server uuid.

Everything above the node reads the MySQL shape: a MariaDB channel row is renamed to MySQL's
columns, and a MariaDB state ``1-1-100`` becomes the set ``1-1:1-100`` (sequences 1..100 of
domain 1 from server 1), which is exact when each master writes in its own domain (the
recommended dual-master setup; the lab's default my.cnf does so) and an over-count of what
another node misses when two masters share a domain (``gtid_strict_mode`` then refuses
out-of-order sequences anyway).
"""

from __future__ import annotations

import re
from typing import Any

from harness.platform import Platform

#: MariaDB's channel columns under MySQL's names
_MARIA_COLUMNS = {"Gtid_IO_Pos": "Retrieved_Gtid_Set", "Master_Host": "Source_Host",
                  "Master_Port": "Source_Port", "Master_User": "Source_User"}


class Dialect:
    """MySQL 8.4 / 9.x."""

    flavour = "mysql"
    #: the server's own name for itself, unique per data directory (the write's origin)
    identity = "@@server_uuid"
    gtid_state = "SELECT @@GLOBAL.gtid_executed AS g"

    def change_source(self, host: str, user: str, password: str, retry_s: int,
                      retries: int) -> tuple[str, tuple[Any, ...]]:
        return ("CHANGE REPLICATION SOURCE TO SOURCE_HOST=%s, SOURCE_PORT=3306, "
                "SOURCE_USER=%s, SOURCE_PASSWORD=%s, SOURCE_AUTO_POSITION=1, "
                f"GET_SOURCE_PUBLIC_KEY=1, SOURCE_CONNECT_RETRY={retry_s}, "
                f"SOURCE_RETRY_COUNT={retries}", (host, user, password))

    def channel_row(self, row: dict[str, Any]) -> dict[str, Any]:
        return row

    def gtid_set(self, text: str) -> str:
        return (text or "").replace("\n", "")


class MariaDialect(Dialect):
    """MariaDB 10.5 and later."""

    flavour = "mariadb"
    identity = "CONCAT(@@hostname, '/server_id=', @@server_id)"
    gtid_state = "SELECT @@GLOBAL.gtid_binlog_state AS g"

    def change_source(self, host: str, user: str, password: str, retry_s: int,
                      retries: int) -> tuple[str, tuple[Any, ...]]:
        # the retry count is a server variable on MariaDB (master_retry_count), not an option
        return ("CHANGE MASTER TO MASTER_HOST=%s, MASTER_PORT=3306, MASTER_USER=%s, "
                f"MASTER_PASSWORD=%s, MASTER_USE_GTID=slave_pos, "
                f"MASTER_CONNECT_RETRY={retry_s}", (host, user, password))

    def channel_row(self, row: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for key, value in row.items():
            key = _MARIA_COLUMNS.get(key) or re.sub(r"^Slave_", "Replica_",
                                                    re.sub(r"_Slave_", "_Replica_", key))
            out[key] = value
        return out

    def gtid_set(self, text: str) -> str:
        """``1-1-100,2-2-7`` as the set ``1-1:1-100,2-2:1-7`` (sorted: equal states read the
        same whatever order the server lists them in)."""
        parts = []
        for triple in re.sub(r"\s+", "", text or "").split(","):
            if not triple:
                continue
            m = re.fullmatch(r"(\d+)-(\d+)-(\d+)", triple)
            if not m:
                raise ValueError(f"not a MariaDB GTID: {triple!r}")
            domain, server, seq = (int(x) for x in m.groups())
            if seq > 0:
                parts.append((domain, server, seq))
        return ",".join(f"{d}-{s}:1-{q}" if q > 1 else f"{d}-{s}:1" for d, s, q in sorted(parts))


def dialect_for(platform: Platform) -> Dialect:
    return MariaDialect() if platform.mariadb else Dialect()
