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
    #: the findings this risk accepts (glob patterns over the verdict's signature phrases,
    #: ``harness.checkers.signature``); empty: any violation of the invariant (validation
    #: warns about that)
    signature: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.when not in WHEN:
            raise ValueError(f"when must be one of {', '.join(WHEN)}, got {self.when!r}")
        object.__setattr__(self, "signature", tuple(self.signature))

    def covers(self, findings: Iterable[str]) -> bool:
        """Whether this risk accepts a violation with these findings: every finding matches
        one of its patterns (case-insensitive globs); no signature accepts anything, a
        signature accepts nothing a checker could not name."""
        if not self.signature:
            return True
        findings = list(findings)
        return bool(findings) and all(
            any(fnmatch.fnmatchcase(f.lower(), p.lower()) for p in self.signature)
            for f in findings)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "signature": list(self.signature)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Expectation:
        return cls(**{k: d[k] for k in ("invariant", "fault", "target", "when", "reason",
                                         "where", "scenario", "intermittent", "signature")
                      if k in d})
