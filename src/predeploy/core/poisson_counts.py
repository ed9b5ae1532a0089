"""Poisson counts: how many prompts arrive during a stretch of steps, within a tracked range.

Prompts arriving at λ req/s during a stretch of τ seconds number K ~ Poisson(λτ):
P(K = k) = e^(−λτ)·(λτ)^k / k!. The analytic mode tracks k = 0..``MAX_PROMPTS_PER_CYCLE``
(the prefill-cycle chain of :mod:`~predeploy.core.stepmix`, the requests ahead of and behind a
prompt in the open and fixed loads) and drops the tail beyond. When each prompt's prefill
stretches the stretch and more prompts arrive meanwhile, the count is a Poisson cluster count
(:func:`cluster_count_quantiles`: the TPOT of long-prompt open loops).
"""

from __future__ import annotations

import math
from typing import NamedTuple

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


#: Array elements (levels × counts) a cluster-count quantile aims to price per vectorised
#: call: up to :data:`CLUSTER_COUNT_MAX_BLOCK` counts at once for few levels, one at a time
#: for many.
CLUSTER_COUNT_BLOCK_ELEMENTS = 4096
CLUSTER_COUNT_MAX_BLOCK = 32
_COUNTS = np.arange(1, MAX_PROMPTS_PER_CYCLE + 1, dtype=np.float64)
_LOG_FACTORIAL_OF_COUNTS = np.array([math.lgamma(k + 1.0) for k in _COUNTS])

#: Offspring mean above which a cluster count is treated as at this ratio (the process is
#: critical at 1: the count has no finite mean).
MAX_CLUSTER_RATIO = 0.95


class ClusterCount(NamedTuple):
    """Quantiles of a cluster count: the count, and where the level falls inside its atom."""

    events: NDArray[np.float64]
    #: ``(u − F(k − 1))/P(k)``, uniform on (0, 1] for uniform levels.
    within: NDArray[np.float64]


def cluster_count_quantiles(
    means: NDArray[np.float64], ratio: NDArray[np.float64], u: NDArray[np.float64]
) -> ClusterCount:
    """Inverse CDF at u[i] of the total count of a Poisson cluster process: Poisson(means[i])
    first events, each bringing Poisson(ratio[i]) more, which bring more in turn (the total
    progeny of a Galton-Watson process with Poisson offspring). The count is Consul's
    generalized Poisson: P(K = k) = θ(θ + kr)^(k−1)·e^(−θ−kr)/k! (θ = mean, r = ratio < 1),
    mean θ/(1 − r), variance θ/(1 − r)³: over-dispersed, a Poisson count at r = 0.

    Returns the count ``k`` and where ``u`` falls inside its atom (for spreading events of
    varying sizes)."""
    theta = np.maximum(np.asarray(means, dtype=np.float64), 1e-12)
    r = np.minimum(np.maximum(ratio, 0.0), MAX_CLUSTER_RATIO)
    level = np.asarray(u, dtype=np.float64)
    cdf = np.exp(-theta)
    k = np.zeros(theta.shape)
    within = np.minimum(level / np.maximum(cdf, 1e-300), 1.0)
    # Only the levels not yet reached are carried on, several counts per vectorised call:
    # many when there are few levels (the call overhead dominates), one at a time when
    # there are many (most stop within a few counts).
    block = min(max(CLUSTER_COUNT_BLOCK_ELEMENTS // max(theta.size, 1), 1), CLUSTER_COUNT_MAX_BLOCK)
    open_rows = np.flatnonzero(cdf < level)
    # Counts run down the first axis, rows across (numpy's cumulative sums are fastest so).
    log_head = np.log(theta) - theta
    for start in range(1, MAX_PROMPTS_PER_CYCLE + 1, block):
        if not open_rows.size:
            break
        counts = slice(start - 1, start - 1 + block)
        j, log_factorial = _COUNTS[counts, None], _LOG_FACTORIAL_OF_COUNTS[counts, None]
        th, jr = theta[open_rows], j * r[open_rows]
        prob = np.exp(log_head[open_rows] + (j - 1.0) * np.log(th + jr) - jr - log_factorial)
        # Each row's CDF carried on from where the last block left it.
        cum = cdf[open_rows] + np.cumsum(prob, axis=0)
        short = cum < level[open_rows]
        # The count: the first k whose CDF reaches the level (the block's last if none does).
        at = np.minimum(short.sum(axis=0), j.size - 1)
        columns = np.arange(open_rows.size)
        p_at, cum_at = prob[at, columns], cum[at, columns]
        k[open_rows] = j[at, 0]
        within[open_rows] = (level[open_rows] - (cum_at - p_at)) / np.maximum(p_at, 1e-300)
        cdf[open_rows] = cum[-1]
        open_rows = open_rows[short[-1]]
    return ClusterCount(k, np.minimum(np.maximum(within, 0.0), 1.0))
