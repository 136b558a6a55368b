"""What a bundle's operator accepts (``risks.toml``) or an incident expects: a violation of one
invariant, in a window of the run (``when``), made of named findings (``signature``). The
bundle and incident layers build these; the judge (``harness.judge``) applies them."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

#: When an expected violation must show: ``during`` a fault (from injection to heal plus the
#: config's settle time), ``after-heal`` (still there once the heal had time to work),
#: ``bring-up`` (before the first fault), ``anytime``.
WHEN = ("during", "after-heal", "bring-up", "anytime")

@dataclass(frozen=True)
class Expectation:
    """A violation a bundle's operator accepts (risks.toml) or an incident reproduces."""

    invariant: str
    fault: str | None = None  # applies to tests whose faults include this one (None: any test)
    target: str | None = None  # owner | standby | node name (None: any target)
    when: str = "during"
    reason: str = ""
    where: str = ""  # file:line it was declared at, for messages
    #: only tests whose scenario name matches this glob (e.g. "fail-restore-fail-*"); None: any
    scenario: str | None = None
    #: a race the config loses only sometimes: accepted when it happens (inside its window),
    #: not a failure when it does not (so not "no longer happens")
    intermittent: bool = False
    #: the findings that make up this violation (case-insensitive glob patterns over the
    #: verdict's signature phrases, ``harness.checkers.signature``): each must be seen;
    #: empty: any violation of the invariant (validation warns about that)
    signature: tuple[str, ...] = ()
    #: findings that may come with it (an applier stopped on 1062 leaves the nodes' GTID
    #: sets and checksums apart): allowed, not required. Any other finding is a different
    #: violation.
    consequences: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.when not in WHEN:
            raise ValueError(f"when must be one of {', '.join(WHEN)}, got {self.when!r}")
        object.__setattr__(self, "signature", tuple(self.signature))
        object.__setattr__(self, "consequences", tuple(self.consequences))

    def covers(self, findings: Iterable[str]) -> bool:
        """Whether this risk accepts a violation made of these findings: each pattern of its
        signature matches a finding, and every finding matches a pattern of its signature or
        its consequences. No signature accepts anything; a signature accepts nothing a
        checker could not name."""
        if not self.signature and not self.consequences:
            return True
        found = [f.lower() for f in findings]

        def seen(pattern: str) -> bool:
            return any(fnmatch.fnmatchcase(f, pattern.lower()) for f in found)

        allowed = [p.lower() for p in (*self.signature, *self.consequences)]
        return bool(found) and all(seen(p) for p in self.signature) and all(
            any(fnmatch.fnmatchcase(f, p) for p in allowed) for f in found)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "signature": list(self.signature),
                "consequences": list(self.consequences)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Expectation:
        return cls(**{k: d[k] for k in ("invariant", "fault", "target", "when", "reason",
                                         "where", "scenario", "intermittent", "signature",
                                         "consequences") if k in d})
