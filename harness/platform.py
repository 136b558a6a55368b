"""What a pair runs on: the database server (flavour and version) and keepalived's version.

A platform is data. Each comes from one Debian suite that serves both packages (nothing older is
reachable from this machine's mirror), so a platform names its suite, its base image (made
offline from that suite when no registry answers) and its packages; the node image is built
from it and cached under its own tag. Chosen in a bundle's topology.toml::

    [platform]
    database = "mariadb-10.11"   # mysql-9.7 | mariadb-10.5 | mariadb-10.11 | mariadb-11.8
    keepalived = "2.2.7"         # 2.1.5 | 2.2.7 | 2.3.3 | 2.3.4
    # or: release = "bookworm"   # a Debian suite, implying both

or on the command line (``--platform database=mariadb-10.11,keepalived=2.2.7``). The default is
what the project ran on until now: MySQL 9.7 with keepalived 2.3.4 (Debian sid).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.errors import ConfigError


@dataclass(frozen=True)
class Platform:
    database: str  # "mysql-9.7", "mariadb-10.11", ...
    keepalived: str  # "2.3.4", ...
    suite: str  # the Debian suite serving both

    @property
    def flavour(self) -> str:
        """``mysql`` or ``mariadb``."""
        return self.database.split("-", 1)[0]

    @property
    def version(self) -> tuple[int, ...]:
        return tuple(int(x) for x in self.database.split("-", 1)[1].split("."))

    @property
    def mariadb(self) -> bool:
        return self.flavour == "mariadb"

    @property
    def server(self) -> str:
        """How people name the server: ``MySQL 9.7``, ``MariaDB 10.11``."""
        return f"{'MariaDB' if self.mariadb else 'MySQL'} {self.database.split('-', 1)[1]}"

    @property
    def base_image(self) -> str:
        return f"debian:{self.suite}-slim"

    @property
    def packages(self) -> str:
        """The database packages the node image installs."""
        return "mariadb-server mariadb-client" if self.mariadb else "mysql-server mysql-client"

    @property
    def datadir(self) -> str:
        """Where the server keeps its data: Debian's MariaDB moved it to /var/lib/mariadb in
        11.8.6-5 (sid), after trixie's 11.8.6-0+deb13u1."""
        return "/var/lib/mariadb" if self.mariadb and self.suite == "sid" else "/var/lib/mysql"

    @property
    def conf_dir(self) -> str:
        """Where Debian's server reads its own option files (the lab's my.cnf goes last there)."""
        return "/etc/mysql/mariadb.conf.d" if self.mariadb else "/etc/mysql/mysql.conf.d"

    @property
    def name(self) -> str:
        return f"{self.database}+keepalived-{self.keepalived}"

    def __str__(self) -> str:
        return f"{self.server} with keepalived {self.keepalived} (Debian {self.suite})"


#: every combination one Debian suite serves, the default first
PLATFORMS = (
    Platform("mysql-9.7", "2.3.4", "sid"),
    Platform("mariadb-11.8", "2.3.4", "sid"),
    Platform("mariadb-11.8", "2.3.3", "trixie"),
    Platform("mariadb-10.11", "2.2.7", "bookworm"),
    Platform("mariadb-10.5", "2.1.5", "bullseye"),
)
DEFAULT = PLATFORMS[0]
DATABASES = tuple(dict.fromkeys(p.database for p in PLATFORMS))
KEEPALIVEDS = tuple(dict.fromkeys(p.keepalived for p in PLATFORMS))
RELEASES = tuple(dict.fromkeys(p.suite for p in PLATFORMS))


def choose(database: str | None = None, keepalived: str | None = None,
           release: str | None = None, where: str = "platform") -> Platform:
    """The platform these name (each may be left out: the default's, or the one the others
    imply); ConfigError naming what exists when no suite serves the combination."""
    if database is not None and database not in DATABASES:
        raise ConfigError(f"{where}: database {database!r}: give one of {', '.join(DATABASES)}")
    if keepalived is not None and keepalived not in KEEPALIVEDS:
        raise ConfigError(f"{where}: keepalived {keepalived!r}: give one of "
                          f"{', '.join(KEEPALIVEDS)}")
    if release is not None and release not in RELEASES:
        raise ConfigError(f"{where}: release {release!r}: give one of {', '.join(RELEASES)}")
    found = [p for p in PLATFORMS if (database is None or p.database == database)
             and (keepalived is None or p.keepalived == keepalived)
             and (release is None or p.suite == release)]
    if not found:
        served = "; ".join(f"{p.database} + keepalived {p.keepalived} ({p.suite})"
                           for p in PLATFORMS)
        raise ConfigError(f"{where}: no Debian suite serves {database or 'any database'} with "
                          f"keepalived {keepalived or 'any'}"
                          + (f" in {release}" if release else "") + f"; served: {served}")
    return DEFAULT if DEFAULT in found else found[0]


#: the platforms ``--matrix`` runs when given none: the default and the two MariaDB pairs
#: Debian's stable and testing suites serve
MATRIX = ("mysql-9.7+keepalived-2.3.4", "mariadb-10.11+keepalived-2.2.7",
          "mariadb-11.8+keepalived-2.3.3")


def parse(text: str, where: str = "--platform") -> Platform:
    """A platform as people write it: ``database=mariadb-10.11,keepalived=2.2.7`` (or
    ``release=bookworm``), its name ``mariadb-10.11+keepalived-2.2.7``, or one word that
    implies the rest (``mariadb-10.11``, ``bookworm``, ``2.2.7``)."""
    text = text.strip()
    if "=" not in text:
        if "+keepalived-" in text:
            database, _, keepalived = text.partition("+keepalived-")
            return choose(database=database, keepalived=keepalived, where=where)
        for key, known in (("database", DATABASES), ("release", RELEASES),
                           ("keepalived", KEEPALIVEDS)):
            if text in known:
                return choose(where=where, **{key: text})
    fields: dict[str, str] = {}
    for item in [x.strip() for x in text.split(",") if x.strip()]:
        key, sep, value = item.partition("=")
        if not sep or key not in ("database", "keepalived", "release"):
            raise ConfigError(f"{where} {text!r}: write database=...,keepalived=... or "
                              "release=... (e.g. database=mariadb-10.11,keepalived=2.2.7)")
        fields[key] = value.strip()
    return choose(where=where, **fields)
