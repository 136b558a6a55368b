"""How a bundle is named on the command line and in results: ``seed``, ``prod/``, and the same
with qualifiers after ``@``: a platform (``seed@mariadb-10.11``; any form
:func:`harness.platform.parse` reads) and a network profile (``seed@cloud``), in any order
(``seed@mariadb-10.11+keepalived-2.2.7@cloud``). A loaded bundle is named by its canonical ref,
so every result says what it ran on; a directory whose own name holds an ``@`` stays one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.errors import ConfigError
from harness.platform import Platform, parse

#: the lab network as the nodes see it: ``lan`` (the default: one segment, multicast and
#: gratuitous ARP work) or ``cloud`` (harness.labnet: multicast dropped, ARP pinned)
NETWORKS = ("lan", "cloud")


@dataclass(frozen=True)
class Ref:
    name: str | Path  # a shipped name or a directory
    platform: Platform | None = None
    network: str | None = None

    def __str__(self) -> str:
        return qualified(str(self.name), self.platform, self.network)


def parse_ref(ref: str | Path) -> Ref:
    text = str(ref)
    if "@" not in text or Path(text).is_dir():
        return Ref(ref)
    name, *tokens = text.split("@")
    platform = network = None
    for token in tokens:
        if token in NETWORKS:
            network = token
        elif platform is None:
            platform = parse(token, where=f"{text}: platform")
        else:
            raise ConfigError(f"{text}: two platforms ({platform.name}, {token}); a bundle "
                              f"runs on one (network profiles: {', '.join(NETWORKS)})")
    return Ref(name, platform, network)


def qualified(name: str, platform: Platform | None = None, network: str | None = None) -> str:
    """``name`` with its qualifiers, in the canonical order (platform, then network)."""
    return name + (f"@{platform.name}" if platform else "") + (f"@{network}" if network and
                                                                 network != "lan" else "")


def with_platform(ref: str, platform: Platform) -> str:
    """``ref`` on ``platform`` (its network kept)."""
    r = parse_ref(ref)
    return qualified(str(r.name), platform, r.network)


def with_network(ref: str, network: str) -> str:
    """``ref`` on network profile ``network`` (its platform kept)."""
    if network not in NETWORKS:
        raise ConfigError(f"network {network!r}: one of {', '.join(NETWORKS)}")
    r = parse_ref(ref)
    return qualified(str(r.name), r.platform, network)
