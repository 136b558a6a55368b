"""Where the shipped bundles really violate an invariant, and why.

Each entry is an observed, explained behaviour of real keepalived and MySQL; the suites mark
those tests ``xfail(strict=True)`` so they prove the violation is *detected*, and turn red if it
stops happening. A user's own bundle (``--vipchaos-config``) has no entries: every invariant
must hold.
"""

from __future__ import annotations

EXPECTED: dict[tuple[str, str], dict[str, str]] = {}


def expected(bundle: str, fault: str) -> dict[str, str]:
    return EXPECTED.get((bundle, fault), {})
