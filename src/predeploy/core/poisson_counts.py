"""Poisson counts: how many prompts arrive during a stretch of steps, within a tracked range.

Prompts arriving at λ req/s during a stretch of τ seconds number K ~ Poisson(λτ):
P(K = k) = e^(−λτ)·(λτ)^k / k!. The analytic mode tracks k = 0..``MAX_PROMPTS_PER_CYCLE``
(the prefill-cycle chain of :mod:`~predeploy.core.stepmix`, the requests ahead of and behind a
prompt in the open and fixed loads) and drops the tail beyond.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

#: Largest group of prompts per cycle the chain tracks; beyond, the Poisson tail is dropped.
MAX_PROMPTS_PER_CYCLE = 64

_INVERSE_K = np.concatenate([[1.0], 1.0 / np.arange(1, MAX_PROMPTS_PER_CYCLE + 1)])


def poisson_pmf(mean: NDArray[np.float64] | float, size: int) -> NDArray[np.float64]:
    """P(K = k), k = 0..size−1, for each mean (last axis = k): e^(−m)·Π_{j≤k} m/j."""
    m = np.asarray(mean, dtype=np.float64)[..., None]
    terms = m * _INVERSE_K[:size]
    terms[..., 0] = 1.0
    return np.asarray(np.exp(-m) * np.cumprod(terms, axis=-1), dtype=np.float64)


def poisson_quantiles(means: NDArray[np.float64], u: NDArray[np.float64]) -> NDArray[np.float64]:
    """Inverse CDF of Poisson(means[i]) at u[i] (k with F(k−1) < u ≤ F(k))."""
    prob = np.exp(-means)
    cdf = prob.copy()
    k = np.zeros_like(means)
    for j in range(1, MAX_PROMPTS_PER_CYCLE + 1):
        below = cdf < u
        if not below.any():
            break
        k += below
        prob = prob * means / j
        cdf += prob
    return k


def poisson_support(mean: float) -> int:
    """How many k (0..K) to track so the dropped tail of Poisson(mean) is negligible."""
    if mean <= 0.0:
        return 2
    return min(int(mean + 5.0 * math.sqrt(mean) + 3.0), MAX_PROMPTS_PER_CYCLE + 1)

