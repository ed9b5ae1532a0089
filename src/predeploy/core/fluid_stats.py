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
import math
import statistics
from collections.abc import Sequence

import numpy as np

from predeploy.core.occupancy import normal_cdf

#: Samples per scenario for request-level distributions (TTFT/E2E percentiles).
GRID_POINTS = 128

#: Percentiles reported for every latency metric.
PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0}


#: Wichura's AS241 rational approximations of the standard normal quantile (Applied
#: Statistics 37(3), 477–484, 1988; relative error about 1e-16; the algorithm of Python's
#: ``statistics.NormalDist.inv_cdf``), coefficients highest degree first for ``np.polyval``:
#: the central region |p − ½| ≤ 0.425 in ``r = 0.180625 − q²``, then the tails in
#: ``r = √(−ln min(p, 1 − p))`` below and above 5.
_AS241_CENTRAL = (
    (
        2.5090809287301226727e3,
        3.3430575583588128105e4,
        6.7265770927008700853e4,
        4.5921953931549871457e4,
        1.3731693765509461125e4,
        1.9715909503065514427e3,
        1.3314166789178437745e2,
        3.3871328727963666080e0,
    ),
    (
        5.2264952788528545610e3,
        2.8729085735721942674e4,
        3.9307895800092710610e4,
        2.1213794301586595867e4,
        5.3941960214247511077e3,
        6.8718700749205790830e2,
        4.2313330701600911252e1,
        1.0,
    ),
)
_AS241_NEAR_TAIL = (
    (
        7.7454501427834140764e-4,
        2.2723844989269184583e-2,
        2.4178072517745061177e-1,
        1.2704582524523683826e0,
        3.6478483247632046050e0,
        5.7694972214606914055e0,
        4.6303378461565452959e0,
        1.4234371107496835773e0,
    ),
    (
        1.0507500716444168432e-9,
        5.4759380849953449460e-4,
        1.5198666563616457197e-2,
        1.4810397642748007459e-1,
        6.8976733498510000455e-1,
        1.6763848301838038494e0,
        2.0531916266377588219e0,
        1.0,
    ),
)
_AS241_FAR_TAIL = (
    (
        2.0103343992922881327e-7,
        2.7115555687434875782e-5,
        1.2426609473880784386e-3,
        2.6532189526576123093e-2,
        2.9656057182850489123e-1,
        1.7848265399172913358e0,
        5.4637849111641143699e0,
        6.6579046435011037772e0,
    ),
    (
        2.0442631033899397856e-15,
        1.4215117583164458887e-7,
        1.8463183175100546818e-5,
        7.8686913114561325910e-4,
        1.4875361290850614853e-2,
        1.3692988092273580531e-1,
        5.9983220655588793769e-1,
        1.0,
    ),
)
#: Up to this many values the standard library's compiled AS241, value by value, is faster
#: than the vectorised form (numpy's per-call overhead dominates small arrays).
SCALAR_QUANTILE_MAX_VALUES = 64
_STANDARD_NORMAL = statistics.NormalDist()


def normal_quantile(p: np.ndarray) -> np.ndarray:
    """Standard normal quantile Φ⁻¹(p), elementwise (Wichura's AS241; ``p`` clipped to
    ``[1e-12, 1 − 1e-12]``). Small arrays go through ``statistics.NormalDist.inv_cdf``, the
    same algorithm compiled; both forms agree to rounding."""
    p = clamp(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    if p.size <= SCALAR_QUANTILE_MAX_VALUES:
        inv_cdf = _STANDARD_NORMAL.inv_cdf
        return np.array([inv_cdf(x) for x in p.ravel().tolist()], dtype=float).reshape(p.shape)
    q = p - 0.5
    out = np.empty_like(p)
    central = np.abs(q) <= 0.425
    r = 0.180625 - q[central] ** 2
    num, den = _AS241_CENTRAL
    out[central] = q[central] * np.polyval(num, r) / np.polyval(den, r)
    tail = ~central
    r = np.sqrt(-np.log(np.minimum(p[tail], 1.0 - p[tail])))
    near = r <= 5.0
    num, den = _AS241_NEAR_TAIL
    far_num, far_den = _AS241_FAR_TAIL
    x = np.where(
        near,
        np.polyval(num, r - 1.6) / np.polyval(den, r - 1.6),
        np.polyval(far_num, r - 5.0) / np.polyval(far_den, r - 5.0),
    )
    out[tail] = np.where(q[tail] < 0.0, -x, x)
    return out


#: Standard normal quantiles on which :func:`drain_seen_share` tabulates a drain (and
#: :func:`longest_residual_excess` integrates a residual length), and the share of a wave
#: still decoding at each, ``1 − Φ(z)``.
_DRAIN_Z = np.linspace(-6.0, 6.0, 241)
_DRAIN_SEEN = 1.0 - normal_cdf(_DRAIN_Z)


def drain_seen_share(level: np.ndarray, cv: float) -> np.ndarray:
    """The share of a draining wave still decoding that a random token sees, at ``level``
    (0-1) of tokens: a wave of outputs lognormal with coefficient of variation ``cv``
    starting together; a token at position ``p`` sees ``S(p)``, and
    ``P(share ≤ S(k)) = E[(X − k)⁺] / E[X]`` (mean-1 lognormal: ``Φ(σ − z) −
    e^{σz − σ²/2}·(1 − Φ(z))`` at ``k = e^{σz − σ²/2}``). 1 for fixed outputs; the median
    token of ShareGPT-like outputs (CV 2) sees 0.29, of CV 1 0.58."""
    if cv <= 0:
        return np.ones_like(np.asarray(level, dtype=float))
    sigma = float(np.sqrt(np.log1p(cv * cv)))
    z, seen = _DRAIN_Z, _DRAIN_SEEN
    below = normal_cdf(sigma - z) - np.exp(sigma * z - 0.5 * sigma * sigma) * seen
    # ``below`` falls as z rises: interpolate on the reversed grid.
    return np.asarray(np.interp(level, below[::-1], seen[::-1]), dtype=float)


def longest_residual_excess(cv: float, count: float, cap: float) -> float:
    """How much longer the longest of ``count`` residual lengths is than one on average, in
    units of the mean length: ``E[min(max R_i, cap)] − E[min(R, cap)]``, where ``R`` is the
    residual (the part still to come) of a lognormal length with mean 1 and coefficient of
    variation ``cv`` seen at a random time, as the requests in flight of a closed loop are.
    ``R``'s distribution is ``G(u) = ∫₀ᵘ (1 − F)`` = ``Φ(z − σ) + u·(1 − Φ(z))`` at ``u =
    e^{σz − σ²/2}``, so the excess is ``∫₀^cap (G − Gⁿ) du``. 0 for fixed lengths or one
    request."""
    if cv <= 0 or count <= 1:
        return 0.0
    sigma = float(np.sqrt(np.log1p(cv * cv)))
    z = _DRAIN_Z
    u = np.exp(sigma * z - 0.5 * sigma * sigma)
    below = normal_cdf(z - sigma) + u * _DRAIN_SEEN
    gap = below - below**count
    width = np.diff(np.minimum(u, cap))
    # Below the grid's shortest length no length has ended yet: G(u) = u there.
    start = min(float(u[0]), cap)
    head = start * start / 2.0 - float(start ** (count + 1.0)) / (count + 1.0)
    return head + float(np.sum(0.5 * (gap[1:] + gap[:-1]) * width))


def lognormal_limited_mean(
    limit: np.ndarray, mean: np.ndarray, cv: np.ndarray | float
) -> np.ndarray:
    """``E[min(X, limit)]`` of a lognormal ``X`` of ``mean`` and coefficient of variation
    ``cv`` (elementwise, broadcast): ``m·Φ((ln x − μ − σ²)/σ) + x·(1 − Φ((ln x − μ)/σ))``
    with ``σ² = ln(1 + cv²)``, ``μ = ln m − σ²/2``; ``min(m, x)`` for fixed lengths (CV 0)."""
    sigma = np.sqrt(np.log1p(np.asarray(cv, dtype=float) ** 2))
    safe = np.maximum(sigma, 1e-9)
    log_x = np.log(np.maximum(limit, 1e-300))
    mu = np.log(np.maximum(mean, 1e-300)) - 0.5 * safe**2
    spread = mean * normal_cdf((log_x - mu - safe**2) / safe) + limit * (
        1.0 - normal_cdf((log_x - mu) / safe)
    )
    return np.asarray(np.where(sigma > 0.0, spread, np.minimum(mean, limit)), dtype=float)


#: Chunk counts ``k`` summed exactly by :func:`expected_chunks`; beyond them the count's
#: tail is integrated as a continuous length: within 0.34 % of a million sampled prompts of
#: CV 0.3-2 through budgets of a tenth to five times the mean prompt (0.31 % with 8 terms,
#: 0.61 % with 3).
EXACT_CHUNK_TERMS = 4
#: Where the tail's integral starts, in budgets.
_CHUNK_TAIL_CUT = EXACT_CHUNK_TERMS - 0.5
#: ``ln k`` of the exact terms' levels and ``ln c`` of the tail's cut (twice), for
#: :func:`expected_chunks`.
_CHUNK_LOG_LEVELS = np.log(
    np.array([*range(1, EXACT_CHUNK_TERMS), _CHUNK_TAIL_CUT, _CHUNK_TAIL_CUT], dtype=float)
)


def expected_chunks(
    tokens: np.ndarray, budget: np.ndarray, cv: np.ndarray | float
) -> np.ndarray:
    """``E[⌈I/b⌉]``: the steps a lognormal prompt ``I`` (mean ``tokens``, CV ``cv``) takes
    through a token budget ``b``, ``Σ_{k≥0} P(I > k·b)`` — the first
    :data:`EXACT_CHUNK_TERMS` terms exactly, the rest as ``E[(X − K + ½)⁺]`` of ``X = I/b``
    (``E[X]·Φ(d + σ) − c·Φ(d)``, ``d = (μ − ln c)/σ``). ``⌈I/b⌉`` of the mean (fixed
    lengths) jumps a whole step where the budget, shrinking as the batch grows, passes a
    multiple of the mean prompt: 4,000 ± 2,000-token prompts through a 2,000-token budget
    took 2 steps at 2,001 tokens and 3 at 1,999, and the open loop's TPOT tail fell by a
    quarter between two loads 5 % apart."""
    x = np.asarray(tokens, dtype=float) / np.maximum(budget, 1e-9)
    sigma = np.sqrt(np.log1p(np.asarray(cv, dtype=float) ** 2))
    varied = sigma > 0.0
    if not any_true(varied):
        return _whole_chunks(x)
    safe = np.maximum(sigma, 1e-9)
    mu = np.log(np.maximum(x, 1e-300)) - 0.5 * safe**2
    # Every level in one call: the exact terms' k = 1 … K − 1, then the tail's cut twice
    # (``d + σ``, then ``d``).
    z = (mu - _CHUNK_LOG_LEVELS.reshape((-1,) + (1,) * np.ndim(mu))) / safe
    z[-2] += safe
    cdf = normal_cdf(z)
    found = 1.0 + cdf[:-2].sum(axis=0) + x * cdf[-2] - _CHUNK_TAIL_CUT * cdf[-1]
    if bool(np.all(varied)):
        return np.asarray(found, dtype=float)
    return np.asarray(np.where(varied, found, _whole_chunks(x)), dtype=float)


def _whole_chunks(x: np.ndarray) -> np.ndarray:
    """``⌈x⌉`` budgets a fixed prompt of ``x`` budgets takes, at least one."""
    return np.asarray(np.maximum(np.ceil(x - 1e-9), 1.0), dtype=float)


def lognormal_residual_limited_mean(
    limit: np.ndarray, mean: np.ndarray, cv: np.ndarray | float
) -> np.ndarray:
    """``E[min(R, limit)]`` for the rest ``R`` of a lognormal length (mean ``m``, CV ``cv``)
    found in progress in a steady stream of them: ``R`` has the equilibrium residual law
    ``P(R > r) = E[(X − r)⁺]/m``, so ``E[min(R, k)] = (E[X²; X ≤ k]/2 + k·E[X; X > k] −
    k²/2·P(X > k))/m`` with the lognormal's partial moments (elementwise, broadcast). Fixed
    lengths leave a uniform rest: ``k − k²/(2m)`` below ``m``, ``m/2`` above."""
    limit = np.maximum(np.asarray(limit, dtype=float), 1e-300)
    mean = np.maximum(np.asarray(mean, dtype=float), 1e-300)
    sigma2 = np.log1p(np.asarray(cv, dtype=float) ** 2)
    safe2 = np.maximum(sigma2, 1e-18)
    safe = np.sqrt(safe2)
    mu = np.log(mean) - 0.5 * safe2
    log_k = np.log(limit)
    below_second = np.exp(2.0 * mu + 2.0 * safe2) * normal_cdf((log_k - mu - 2.0 * safe2) / safe)
    above_first = mean * (1.0 - normal_cdf((log_k - mu - safe2) / safe))
    above = 1.0 - normal_cdf((log_k - mu) / safe)
    spread = (0.5 * below_second + limit * above_first - 0.5 * limit**2 * above) / mean
    fixed = np.where(limit < mean, limit - limit**2 / (2.0 * mean), 0.5 * mean)
    return np.asarray(np.where(sigma2 > 0.0, spread, fixed), dtype=float)


def lognormal_factor(u: np.ndarray, cv: np.ndarray | float) -> np.ndarray:
    """Quantile ``u`` of a lognormal with mean 1 and coefficient of variation ``cv``:
    ``exp(σ z_u − σ²/2)`` with ``σ² = ln(1 + cv²)``; exactly 1 when ``cv`` is 0."""
    return lognormal_at(normal_quantile(u), cv)


#: Times (in mean lengths) at which :func:`renewal_time` tabulates the renewal function, and
#: its step; beyond the horizon ``M`` rises by one length per mean length, its slope's limit
#: (the renewal theorem; 12 lengths at CV 3 end at 9.83 mean lengths so, 9.64 sampled).
RENEWAL_HORIZON = 8.0
RENEWAL_POINTS = 640
_RENEWAL_TIMES = np.linspace(0.0, RENEWAL_HORIZON, RENEWAL_POINTS + 1)


@functools.lru_cache(maxsize=64)
def _renewal_table(cv: float) -> np.ndarray:
    """``M`` at :data:`_RENEWAL_TIMES` for lognormal lengths of mean 1 and CV ``cv``, from
    the renewal equation ``M(s) = F(s) + ∫₀ˢ M(s − u) dF(u)``: the length's mass in each
    step of the grid, meeting ``M`` at the step's midpoint."""
    sigma = math.sqrt(math.log1p(cv * cv))
    times = _RENEWAL_TIMES[1:]
    cdf = np.concatenate(([0.0], normal_cdf((np.log(times) + 0.5 * sigma * sigma) / sigma)))
    mass = np.diff(cdf)
    renewals = np.zeros(RENEWAL_POINTS + 1)
    for i in range(1, RENEWAL_POINTS + 1):
        # A length ending in step j leaves s_i − s_j .. s_i − s_{j−1}: M at s_{i−j} and
        # s_{i−j+1} (s_{i−1} for j = 1, M(s_i) not yet known).
        low = renewals[i - 1 :: -1]
        high = np.concatenate(([renewals[i - 1]], low[:-1]))
        renewals[i] = cdf[i] + float(mass[:i] @ (0.5 * (low + high)))
    return renewals


def renewal_time(count: np.ndarray, cv: np.ndarray) -> np.ndarray:
    """When, in mean lengths, a slot serving lognormal lengths (mean 1, CV ``cv``; per
    scenario) one after another has ended ``count`` of them on average: ``M(s) = count``, ``M``
    the renewal function (:func:`_renewal_table`, tabulated once per CV). The first length's
    CDF alone (``M ≈ F``) misses the short lengths that start and end within ``s``: a burst of
    1,000 chat requests (CV 1.5) through 600 slots empties its queue at 0.88 mean answers by
    ``F``, 0.54 by ``M``, 0.53 simulated. Fixed lengths (``cv`` 0) end together, the
    ``count``-th at ``⌈count⌉``."""
    cv = np.asarray(cv, dtype=float)
    count = np.broadcast_to(np.asarray(count, dtype=float), cv.shape)
    rounded = np.round(cv, 4)
    out = np.asarray(np.ceil(count), dtype=float)
    for value in np.unique(rounded[cv > 0.0]):
        rows = rounded == value
        table = _renewal_table(float(value))
        beyond = np.maximum(count[rows] - table[-1], 0.0)
        out[rows] = np.interp(count[rows], table, _RENEWAL_TIMES) + beyond
    return out


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


def clamp(values: np.ndarray, low: np.ndarray | float, high: np.ndarray | float) -> np.ndarray:
    """``np.clip`` (``min(max(values, low), high)``) without its per-call overhead."""
    return np.asarray(np.minimum(np.maximum(values, low), high))


def along_rows(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Each row's elements at its own indices (``np.take_along_axis(values, index, axis=1)``
    for 2-D arrays, by plain indexing without that function's per-call overhead)."""
    return np.asarray(values[np.arange(values.shape[0])[:, None], index], dtype=float)


def any_true(mask: np.ndarray | bool) -> bool:
    """Whether any element of ``mask`` is true, by counting (``mask.any()`` costs several
    times as much on the few elements of a single call)."""
    return bool(np.count_nonzero(mask))


def row_mean(values: np.ndarray) -> np.ndarray:
    """Each row's mean (``values.mean(axis=1)``, the same sum over the same count, without
    the method's per-call overhead)."""
    return np.asarray(np.add.reduce(values, axis=1) / values.shape[1], dtype=float)


def first_match(
    conditions: Sequence[np.ndarray], choices: Sequence[np.ndarray], default: object
) -> np.ndarray:
    """``np.select``: per element, the choice of the first true condition, else ``default``
    (nested ``np.where``, several times faster on the few scenarios of a single call)."""
    out = np.asarray(default)
    for condition, choice in zip(reversed(conditions), reversed(choices), strict=True):
        out = np.where(condition, choice, out)
    return out


def columns(values: np.ndarray) -> np.ndarray:
    """A per-scenario array as a column, to broadcast against the sample grid. One scenario's
    is a 0-d array: it broadcasts alike, and numpy's ufuncs take a 0-d operand on their
    scalar path, 2-3x as fast on the grid's rows as a (1, 1) column's general broadcast."""
    array = np.asarray(values, dtype=float)
    if array.shape == (1,):
        return array.reshape(())
    return array[:, None]


def latency_stats(samples: dict[str, np.ndarray], out: dict[str, np.ndarray]) -> None:
    """Mean and :data:`PERCENTILES` per row of each named sample array (all of one shape),
    by linear interpolation between order statistics at their plotting positions
    (:func:`_order_statistics`); the arrays are sorted together, in one call."""
    stacked = np.stack(list(samples.values()))
    points = stacked.shape[-1]
    means = stacked.sum(axis=-1) / points
    ordered = np.sort(stacked, axis=-1)
    low, high, share = _order_statistics(points)
    below = ordered[..., low]
    values = below + (ordered[..., high] - below) * share
    for k, name in enumerate(samples):
        out[f"{name}_mean"] = means[k]
        for i, label in enumerate(PERCENTILES):
            out[f"{name}_{label}"] = values[k, :, i]


@functools.lru_cache(maxsize=16)
def _order_statistics(points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each of :data:`PERCENTILES`: the order statistics below and above it among
    ``points`` sorted samples, and its share of the way between them.

    The ``k``-th of ``n`` sorted samples stands at level ``(k + ½)/n`` (Hazen's plotting
    position): the request grid takes each dimension at the midpoints of ``n`` equal strata,
    so its smallest and largest samples are the ``1/(2n)`` and ``1 − 1/(2n)`` quantiles, not
    the 0th and 100th that ``np.percentile``'s default assumes. With that default, 128
    samples put the 99th percentile at the 98.6th, 48 (the calibration fit's) at the 98th,
    which cut tails short: 7-15 % low for an exponential one."""
    last = points - 1
    levels = np.array(list(PERCENTILES.values())) / 100.0
    position = np.clip(levels * points - 0.5, 0.0, last)
    low = position.astype(int)
    return low, np.minimum(low + 1, last), position - low


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
    weight = clamp((q - (1.0 - high_share) + band) / (2 * band), 0.0, 1.0)
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


#: Terms of the series for the regularized lower incomplete gamma function. Used for shapes
#: ``k ≤ 1`` (inter-arrival CV ≥ 1) with ``x = k·λS < k ≤ 1``: term ``n`` is below ``1/n!``,
#: so 12 terms leave a relative error under 1e-9.
INCOMPLETE_GAMMA_TERMS = 12
#: Terms of Legendre's continued fraction for the upper incomplete gamma function, used from
#: ``x ≥ a + 1`` on (within 3e-11 of the series summed to 600 terms, ``a`` 0.1-2).
INCOMPLETE_GAMMA_FRACTION_TERMS = 32


def regularized_lower_gamma(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``P(a, x) = γ(a, x)/Γ(a) = x^a e^(−x)/Γ(a + 1) · Σₙ xⁿ/((a + 1)…(a + n))`` (series,
    for ``x < a + 1``); from ``x ≥ a + 1`` on, ``1 − Q(a, x)`` by Legendre's continued
    fraction (:data:`INCOMPLETE_GAMMA_FRACTION_TERMS` terms), where the series' few terms fall
    short (``a`` = 0.25, ``x`` = 8: 0.90 for 0.99998)."""
    order = np.asarray(a, dtype=float)
    x = np.asarray(x, dtype=float)
    log_gamma = np.array([math.lgamma(v) for v in (order + 1.0).ravel()]).reshape(order.shape)
    safe_x = np.maximum(x, 1e-300)
    lead = np.exp(order * np.log(safe_x) - x - log_gamma)
    term = np.ones_like(x)
    total = np.ones_like(x)
    for n in range(1, INCOMPLETE_GAMMA_TERMS):
        term = term * x / (a + n)
        total = total + term
    series = np.where(x > 0, np.minimum(lead * total, 1.0), 0.0)
    far = x >= order + 1.0
    if not bool(np.any(far)):
        return np.asarray(series, dtype=float)
    # Modified Lentz on Q(a, x) = e^(−x) x^a/Γ(a) · 1/(x + 1 − a − 1·(1 − a)/(x + 3 − a − …)).
    tiny = 1e-300
    b = safe_x + 1.0 - order
    c = np.full_like(b, 1.0 / tiny)
    d = 1.0 / np.where(np.abs(b) < tiny, tiny, b)
    fraction = d
    for i in range(1, INCOMPLETE_GAMMA_FRACTION_TERMS):
        step = -i * (i - order)
        b = b + 2.0
        d = step * d + b
        d = 1.0 / np.where(np.abs(d) < tiny, tiny, d)
        c = b + step / np.where(np.abs(c) < tiny, tiny, c)
        fraction = fraction * d * c
    upper = np.exp(order * np.log(safe_x) - x - (log_gamma - np.log(order))) * fraction
    return np.asarray(np.where(far, np.clip(1.0 - upper, 0.0, 1.0), series), dtype=float)
