"""A fixed quasi-random point set: the analytic mode's percentiles without sampling noise.

Latency distributions are evaluated at the points of a Halton sequence (radical inverses in
the first primes as bases): low-discrepancy, deterministic, so the same inputs always give the
same percentiles.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

#: Points per evaluation.
POINTS = 512
#: Prime bases of the coordinates.
_BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23)


def halton(count: int, base: int) -> NDArray[np.float64]:
    """Van der Corput points in ``base`` (the radical inverse of 1..count)."""
    out = np.zeros(count)
    idx = np.arange(1, count + 1)
    scale = 1.0
    while np.any(idx > 0):
        scale /= base
        out += scale * (idx % base)
        idx //= base
    return np.clip(out, 1e-9, 1.0 - 1e-9)


#: Halton coordinates, shape (9, POINTS), each in (0, 1).
U = np.stack([halton(POINTS, b) for b in _BASES])
#: Standard normal quantiles of the last coordinate.
Z = np.array([NormalDist().inv_cdf(float(x)) for x in U[-1]])
