"""Distribution helpers for the fluid serving model: length quantiles, sample grids and the
reported percentiles.

Token lengths of a dataset are lognormal with the mean and coefficient of variation the
dataset knowledge gives (fixed-length benchmarks have CV 0). Request-level distributions are
evaluated on a fixed, deterministic quasi-random grid of ``GRID_POINTS`` samples per scenario
(midpoints of equal-probability strata, decorrelated across dimensions by fixed
permutations), so every prediction is deterministic and smooth in its parameters.
"""

from __future__ import annotations

import functools

import numpy as np

#: Samples per scenario for request-level distributions (TTFT/E2E percentiles).
GRID_POINTS = 128

#: Percentiles reported for every latency metric.
PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0}


def normal_quantile(p: np.ndarray) -> np.ndarray:
    """Standard normal quantile Φ⁻¹(p) (Acklam's algorithm, relative error < 1.2e-9)."""
    a = (
        -3.969683028665376e01,
        2.209460984245205e02,
        -2.759285104469687e02,
        1.383577518672690e02,
        -3.066479806614716e01,
        2.506628277459239e00,
    )
    b = (
        -5.447609879822406e01,
        1.615858368580409e02,
        -1.556989798598866e02,
        6.680131188771972e01,
        -1.328068155288572e01,
    )
    c = (
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e00,
        -2.549732539343734e00,
        4.374664141464968e00,
        2.938163982698783e00,
    )
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    out = np.empty_like(p)
    low = p < 0.02425
    high = p > 1 - 0.02425
    mid = ~(low | high)
    q = np.sqrt(-2 * np.log(p[low]))
    out[low] = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
        (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1
    )
    q = np.sqrt(-2 * np.log(1 - p[high]))
    out[high] = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
        (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1
    )
    q = p[mid] - 0.5
    r = q * q
    out[mid] = (
        (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
        * q
        / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    )
    return out


def lognormal_factor(u: np.ndarray, cv: np.ndarray | float) -> np.ndarray:
    """Quantile ``u`` of a lognormal with mean 1 and coefficient of variation ``cv``:
    ``exp(σ z_u − σ²/2)`` with ``σ² = ln(1 + cv²)``; exactly 1 when ``cv`` is 0."""
    return lognormal_at(normal_quantile(u), cv)


def lognormal_at(z: np.ndarray, cv: np.ndarray | float) -> np.ndarray:
    """:func:`lognormal_factor` at standard normal quantiles ``z`` (e.g. :func:`grid_normal`'s,
    computed once)."""
    sigma = np.sqrt(np.log1p(np.asarray(cv, dtype=float) ** 2))
    return np.asarray(np.exp(sigma * z - 0.5 * sigma**2), dtype=float)


def _strata(points: int) -> np.ndarray:
    return (np.arange(points) + 0.5) / points


def grid(dimension: int, points: int = GRID_POINTS) -> np.ndarray:
    """Stratified uniforms for sample dimension ``dimension`` (0 = sorted, others permuted
    by a fixed seed so dimensions are decorrelated; deterministic). Read-only, cached."""
    return _grid(dimension, points)


@functools.lru_cache(maxsize=64)
def grid_normal(dimension: int, points: int = GRID_POINTS) -> np.ndarray:
    """Standard normal quantiles of :func:`grid` (read-only, cached), as a row vector."""
    values = normal_quantile(_grid(dimension, points))[None, :]
    values.setflags(write=False)
    return values


@functools.lru_cache(maxsize=64)
def _grid(dimension: int, points: int) -> np.ndarray:
    base = _strata(points)
    if dimension:
        base = base[np.random.default_rng(7919 * dimension).permutation(points)]
    base.setflags(write=False)
    return base


def columns(values: np.ndarray) -> np.ndarray:
    """A per-scenario array as a column, to broadcast against the sample grid."""
    return np.asarray(values, dtype=float)[:, None]


def latency_stats(name: str, samples: np.ndarray, out: dict[str, np.ndarray]) -> None:
    """Mean and :data:`PERCENTILES` per row, by linear interpolation between order statistics
    (``np.percentile``'s default method, without its per-call overhead)."""
    out[f"{name}_mean"] = samples.mean(axis=1)
    ordered = np.sort(samples, axis=1)
    last = samples.shape[1] - 1
    for label, q in PERCENTILES.items():
        position = q / 100.0 * last
        low = int(position)
        high = min(low + 1, last)
        share = position - low
        out[f"{name}_{label}"] = ordered[:, low] + (ordered[:, high] - ordered[:, low]) * share


def percentile_rows(samples: np.ndarray, q: float) -> np.ndarray:
    """Per-row percentile ``q`` (0-100) of a 2-D sample array, linear interpolation."""
    return np.asarray(np.percentile(samples, q, axis=1))


#: Half-width of the band a mixture quantile is smoothed over (share of requests), and its
#: narrowing in the tail (share of ``1 − q``).
QUANTILE_SMOOTHING_BAND = 0.025
QUANTILE_SMOOTHING_TAIL_SHARE = 1.0
QUANTILE_SMOOTHING_MIN_BAND = 1e-4


def two_point_quantile(
    q: float | np.ndarray, low: np.ndarray, high: np.ndarray, high_share: np.ndarray
) -> np.ndarray:
    """Quantile ``q`` (0-1) of a mixture: ``low`` with probability ``1 − share``, else ``high``.

    Smoothed around the switching point so it is continuous in the share (the calibration fit
    needs it), over a band of ±2.5 percentage points, narrowed in the tail to the distance
    ``1 − q`` (±1 point at p99): a 0.04 % share of slow steps moved a p99 31 % of the way to
    them with ±2.5 points, 2 % with ±1.
    """
    band = np.maximum(
        np.minimum(QUANTILE_SMOOTHING_BAND, QUANTILE_SMOOTHING_TAIL_SHARE * (1.0 - q)),
        QUANTILE_SMOOTHING_MIN_BAND,
    )
    weight = np.clip((q - (1.0 - high_share) + band) / (2 * band), 0.0, 1.0)
    return np.asarray(low + (high - low) * weight, dtype=float)


def three_point_quantile(
    q: float | np.ndarray,
    low: np.ndarray,
    mid: tuple[np.ndarray, np.ndarray],
    high: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """Quantile ``q`` (0-1) of a mixture of ``low`` and two higher values, each given with its
    share (``low`` takes the rest). The two are ordered first; each switch is smoothed like
    :func:`two_point_quantile`, so the quantile is continuous in the shares."""
    (a, share_a), (b, share_b) = mid, high
    swap = a > b
    first, first_share = np.where(swap, b, a), np.where(swap, share_b, share_a)
    second, second_share = np.where(swap, a, b), np.where(swap, share_a, share_b)
    to_first = two_point_quantile(q, low, first, first_share + second_share) - low
    to_second = two_point_quantile(q, first, second, second_share) - first
    return np.asarray(low + to_first + to_second, dtype=float)
