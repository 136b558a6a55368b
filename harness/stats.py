"""Order statistics shared by the report's distributions and the client view (a leaf module:
both import it, so neither has to import the other's package)."""

from __future__ import annotations

import math
from typing import Any


def percentile(values: list[float | None], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of the values, Nones ignored; None when there are
    none. Nearest rank, not interpolation: every figure reported is one that was measured."""
    vals = sorted(v for v in values if v is not None)
    if not vals:
        return None
    rank = max(1, math.ceil(q / 100 * len(vals)))
    return vals[rank - 1]


def spread(values: list[float]) -> dict[str, Any]:
    """n, p50, p95 and max of measured values (None for each figure when there are none): the
    one shape every distribution in the report, summary.json and bench has."""
    return {"n": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
            "max": max(values) if values else None}
