"""Order statistics shared by the report's distributions and the client view (a leaf module:
both import it, so neither has to import the other's package)."""

from __future__ import annotations

import math


def percentile(values: list[float | None], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of the values, Nones ignored; None when there are
    none. Nearest rank, not interpolation: every figure reported is one that was measured."""
    vals = sorted(v for v in values if v is not None)
    if not vals:
        return None
    rank = max(1, math.ceil(q / 100 * len(vals)))
    return vals[rank - 1]
