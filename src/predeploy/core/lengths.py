"""Token-length distributions: sampling for the simulator, quantile grids for the analytic mode.

A :class:`TokenDistribution` is turned into integer lengths in [1, upper], where ``upper`` is
the distribution's ``max`` (when given) and the caller's own limit (e.g. the context length):

* ``fixed``: always ``round(mean)``;
* ``normal``: N(mean, stdev²), rounded and clipped;
* ``lognormal``: a log-normal with the given mean and stdev (σ² = ln(1 + stdev²/mean²),
  μ = ln(mean) − σ²/2), rounded and clipped; with ``stdev`` 0 but a ``p95`` above the mean,
  σ is the one that puts the 95th percentile there;
* ``empirical``: drawn uniformly, with replacement, from ``values``.

Samplers are registered per kind in :data:`LENGTH_SAMPLERS`; an unknown kind is an error that
lists the valid ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

from predeploy.core.types import TokenDistribution

#: z-score of the 95th percentile of a standard normal distribution.
Z_P95 = NormalDist().inv_cdf(0.95)

#: Points of the equal-weight quantile grid the analytic mode integrates over.
QUANTILE_GRID_POINTS = 64

_STANDARD_NORMAL_GRID: NDArray[np.float64] = np.array(
    [NormalDist().inv_cdf((i + 0.5) / QUANTILE_GRID_POINTS) for i in range(QUANTILE_GRID_POINTS)]
)

Sampler = Callable[[TokenDistribution, int, np.random.Generator], NDArray[np.float64]]


def lognormal_parameters(dist: TokenDistribution) -> tuple[float, float]:
    """(μ, σ) of the log-normal with the distribution's mean and spread (see module doc)."""
    mean = dist.mean
    if dist.stdev > 0:
        sigma = math.sqrt(math.log1p((dist.stdev / mean) ** 2))
    elif dist.p95 is not None and dist.p95 > mean:
        # ln(p95) − ln(mean) = zσ − σ²/2: the smaller root of σ² − 2zσ + 2 ln(p95/mean) = 0.
        disc = Z_P95 * Z_P95 - 2.0 * math.log(dist.p95 / mean)
        sigma = Z_P95 - math.sqrt(disc) if disc > 0 else Z_P95
    else:
        sigma = 0.0
    return math.log(mean) - sigma * sigma / 2.0, sigma


def _sample_fixed(
    dist: TokenDistribution, count: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    return np.full(count, dist.mean)


def _sample_normal(
    dist: TokenDistribution, count: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    return dist.mean + dist.stdev * rng.standard_normal(count)


def _sample_lognormal(
    dist: TokenDistribution, count: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    mu, sigma = lognormal_parameters(dist)
    return np.exp(mu + sigma * rng.standard_normal(count))


def _sample_empirical(
    dist: TokenDistribution, count: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    values = np.asarray(dist.values, dtype=np.float64)
    return values[rng.integers(0, values.size, count)]


#: Sampler per ``TokenDistribution.kind``: raw (unrounded, unclipped) lengths.
LENGTH_SAMPLERS: dict[str, Sampler] = {
    "fixed": _sample_fixed,
    "normal": _sample_normal,
    "lognormal": _sample_lognormal,
    "empirical": _sample_empirical,
}


def length_bounds(dist: TokenDistribution, upper_tokens: int | None) -> tuple[int, int]:
    """[low, high] every length is clipped to: 1 and the smaller of ``max`` and ``upper``."""
    high = dist.max if dist.max is not None else 10**12
    if upper_tokens is not None:
        high = min(high, upper_tokens)
    if high < 1:
        raise ValueError(f"no token length fits: the upper bound is {high}")
    return 1, high


def sample_token_lengths(
    dist: TokenDistribution,
    count: int,
    rng: np.random.Generator,
    *,
    upper_tokens: int | None = None,
) -> NDArray[np.int64]:
    """``count`` integer lengths drawn from ``dist``, rounded and clipped to [1, upper]."""
    sampler = LENGTH_SAMPLERS.get(dist.kind)
    if sampler is None:
        valid = ", ".join(sorted(LENGTH_SAMPLERS))
        raise ValueError(f"unknown token distribution kind {dist.kind!r}; valid kinds: {valid}")
    low, high = length_bounds(dist, upper_tokens)
    raw = sampler(dist, count, rng)
    return np.clip(np.rint(raw), low, high).astype(np.int64)


def token_length_grid(
    dist: TokenDistribution, upper_tokens: int | None = None
) -> NDArray[np.float64]:
    """Equal-weight representative lengths (sorted): the distribution's quantiles at (i+½)/G.

    The deterministic counterpart of :func:`sample_token_lengths` (same rounding and clipping)
    for the analytic mode: moments and percentiles of any function of the length are averages
    over this grid. Empirical distributions use their values directly.
    """
    return _grid(dist, upper_tokens).copy()


@lru_cache(maxsize=1024)
def _grid(dist: TokenDistribution, upper_tokens: int | None) -> NDArray[np.float64]:
    low, high = length_bounds(dist, upper_tokens)
    if dist.kind == "empirical":
        raw = np.sort(np.asarray(dist.values, dtype=np.float64))
    elif dist.kind == "normal":
        raw = dist.mean + dist.stdev * _STANDARD_NORMAL_GRID
    elif dist.kind == "lognormal":
        mu, sigma = lognormal_parameters(dist)
        raw = np.exp(mu + sigma * _STANDARD_NORMAL_GRID)
    elif dist.kind == "fixed":
        raw = np.full(1, dist.mean)
    else:
        valid = ", ".join(sorted(LENGTH_SAMPLERS))
        raise ValueError(f"unknown token distribution kind {dist.kind!r}; valid kinds: {valid}")
    grid = np.clip(np.rint(raw), low, high)
    grid.setflags(write=False)
    return grid
