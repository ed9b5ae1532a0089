"""How many requests are in the engine: continuous batching as a processor-sharing queue.

With m requests running, a step takes τ(m) and gives each of them one token: the engine serves
m/τ(m) tokens per second shared equally -- a processor-sharing server whose speed depends on
how many it serves. A request needs o tokens (one prefill step, o − 1 decode steps), so with
Poisson arrivals at λ the number n in the system is a birth-death process with death rate
φ(n) = r(n)/(o·τ(r(n))), r(n) the requests running when n are present, and stationary
distribution

    π(n) ∝ Π_{j=1..n} λ/φ(j).

Symmetric (processor-sharing) queues are insensitive to the shape of the service requirement
(Kelly 1979, *Reversibility and Stochastic Networks*, ch. 3), so π holds for any output-length
distribution with mean o. Special cases: τ constant gives Poisson (M/G/∞), τ ∝ m the geometric
M/M/1-PS; in between -- the usual case, a weight-read time plus a per-sequence cost -- the
batch size spreads wider than Poisson, which is what makes inter-token latency vary.

**The limit.** ``max_num_seqs`` is a hard limit: r(n) = min(n, c). The KV cache is a limit on
the *sum* of the running requests' footprints, so the number that fits varies with which
requests run: Cap ~ Normal(c̄, σ²) and r(n) = E[min(n, Cap)] = n − (n − c̄)Φ(z) − σφ(z),
z = (n − c̄)/σ. The requests present beyond r(n) wait. Past the last state the queue grows
geometrically with ratio λ/φ.

**Prefill stalls** (:func:`prefill_dispersion`) widen the distribution below the limit.

A waiting request waits for departures: E[W] = E[queue]/λ (Little), exponential with
P(wait) = Σ π(n)·P(Cap ≤ n) -- the M/M/c argument with a soft c.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

#: Exponent κ of the prefill-stall variance inflation (1 − ρ_p)^(−κ) (derived: between the
#: bounds 1 and 2 of :func:`prefill_dispersion`, fitted to this package's simulator over
#: roofline-shaped step models, chat and prefill-heavy length mixes at 50-90 % load: 1.4-1.5).
PREFILL_DISPERSION_EXPONENT = 1.5
#: How many standard deviations of a soft limit the state space extends beyond its mean.
_SOFT_LIMIT_SPAN = 4.0
#: Largest geometric ratio of the queue beyond the last state (a nearly saturated queue).
MAX_QUEUE_RATIO = 0.99

#: Abramowitz & Stegun (1964) 7.1.26 rational approximation of erf (|error| ≤ 1.5e-7).
_AS_P = 0.3275911
_AS_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def normal_cdf(z: NDArray[np.float64]) -> NDArray[np.float64]:
    """Φ(z) = (1 + erf(z/√2))/2, erf by Abramowitz & Stegun 7.1.26 (vectorised)."""
    x = np.abs(z) / math.sqrt(2.0)
    t = 1.0 / (1.0 + _AS_P * x)
    poly = t * (_AS_A[0] + t * (_AS_A[1] + t * (_AS_A[2] + t * (_AS_A[3] + t * _AS_A[4]))))
    erf = 1.0 - poly * np.exp(-x * x)
    return np.asarray(0.5 * (1.0 + np.sign(z) * erf))


@dataclass(frozen=True)
class Occupancy:
    """Stationary distribution of the running requests, and the queue."""

    #: Requests running in each state (r(n), not necessarily whole numbers).
    running: NDArray[np.float64]
    #: P(state n), time-average (by PASTA also what a Poisson arrival sees).
    pmf: NDArray[np.float64]
    #: Probability an arrival has to wait for a place.
    wait_probability: float
    #: Rate (1/s) of the exponential wait of a queued arrival.
    wait_rate: float
    #: Mean requests waiting (time-average).
    mean_queue: float

    @property
    def mean_running(self) -> float:
        return float(np.dot(self.running, self.pmf))


def prefill_dispersion(stall_share: float) -> float:
    """Variance inflation of the batch size from prefill stalls: (1 − ρ_p)^(−κ).

    A prompt's prefill stalls every running request by s_p, so a request's residence grows
    with the arrivals during it. If the requests present were exactly the arrivals of one
    residence window, n ≈ A(R₀ + s_p·n) would give δn = δA/(1 − ρ_p) and a variance
    inflation (1 − ρ_p)^(−2), ρ_p = λ·s_p the share of time spent stalled; with departures
    spread out (the birth-death view) the same feedback gives (1 − ρ_p)^(−1). The simulator
    sits in between (:data:`PREFILL_DISPERSION_EXPONENT`).
    """
    share = min(max(stall_share, 0.0), 0.95)
    return float((1.0 - share) ** (-PREFILL_DISPERSION_EXPONENT))


def expected_min_of_normal(
    limit: NDArray[np.float64],
    mean: NDArray[np.float64] | float,
    spread: NDArray[np.float64] | float,
) -> NDArray[np.float64]:
    """``E[min(limit, N)]`` for ``N`` normal of ``mean`` and standard deviation ``spread > 0``
    (elementwise): ``limit − (limit − mean)·Φ(z) − spread·φ(z)``, ``z = (limit − mean)/spread``."""
    z = (limit - mean) / spread
    density = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return np.asarray(limit - (limit - mean) * normal_cdf(z) - spread * density)


#: Standard deviations of the count of whole contexts that fit beyond which each of the sums
#: :func:`expected_whole_fits` adds is taken as certain (in) or impossible (out): a chance
#: below 1e-18 either way.
WHOLE_FIT_WINDOW_Z = 9.0
#: Share of a context by which one that exactly fills the room left still counts as fitting
#: (alike contexts: no tie at ``Φ(0)``), and the least spread of a sum, in contexts (the
#: spread of alike ones is zero). Numerical guards, far below any context's size.
EXACT_FIT_TOLERANCE = 1e-9
MIN_SUM_SPREAD = 1e-12


def expected_whole_fits(
    limit: NDArray[np.float64],
    capacity: NDArray[np.float64],
    mean: NDArray[np.float64],
    variance: NDArray[np.float64],
) -> NDArray[np.float64]:
    """``E[min(limit, N)]`` for ``N`` the number of whole contexts that fit in ``capacity``:
    ``N = max{n : S_n ≤ C}``, ``S_n`` the sum of ``n`` independent contexts of ``mean`` and
    ``variance`` (normal, ``Φ((C − n·m)/(σ√n))``, by the central limit theorem), so
    ``E[min(L, N)] = Σ_{n ≤ L} P(S_n ≤ C)``, the last term weighted by ``L``'s fraction
    (elementwise). Alike contexts fit ``⌊C/m⌋``; varied ones a renewal count, about ``C/m +
    (cv² − 1)/2`` on average: fewer than ``C/m`` unless they vary more than exponentially.
    Terms more than :data:`WHOLE_FIT_WINDOW_Z` standard deviations of ``N`` below its mean
    count as 1, above it as 0."""
    limit = np.asarray(limit, dtype=float)
    fit = capacity / mean
    spread = np.sqrt(np.maximum(fit, 1.0) * variance) / mean
    below = np.maximum(np.floor(fit - WHOLE_FIT_WINDOW_Z * spread) - 1.0, 0.0)
    width = int(np.max(np.ceil(fit + WHOLE_FIT_WINDOW_Z * spread) + 2.0 - below))
    n = below[..., None] + np.arange(1.0, width + 1.0)
    sd = np.maximum(np.sqrt(n * variance[..., None]), MIN_SUM_SPREAD * mean[..., None])
    room = capacity[..., None] - (n - EXACT_FIT_TOLERANCE) * mean[..., None]
    fits = normal_cdf(room / sd)
    whole = np.floor(limit)
    weight = np.where(n <= whole[..., None], 1.0, 0.0) + np.where(
        n == whole[..., None] + 1.0, (limit - whole)[..., None], 0.0
    )
    inside = np.minimum(below, whole) + np.where(whole + 1.0 <= below, limit - whole, 0.0)
    return np.asarray(inside + (weight * fits).sum(axis=-1))


def running_under_limit(
    present: NDArray[np.float64], hard: float, mean: float, spread: float
) -> NDArray[np.float64]:
    """r(n): requests running when n are present, under a hard limit and a soft one."""
    n = np.minimum(present, hard)
    if spread <= 0.0:
        return np.minimum(n, mean)
    return np.asarray(np.maximum(expected_min_of_normal(n, mean, spread), 0.0))


def occupancy(
    rate: float,
    output_tokens: float,
    step_s: NDArray[np.float64],
    *,
    hard_limit: int,
    soft_limit: float,
    soft_spread: float = 0.0,
    dispersion: float = 1.0,
) -> Occupancy:
    """π for arrivals at ``rate`` req/s and o = ``output_tokens``.

    ``step_s[m]`` is the mean step time with m running, m = 0..``hard_limit`` (interpolated
    for fractional m). ``soft_limit`` ± ``soft_spread``: the KV cache's limit (or the hard one
    again). ``dispersion`` ≥ 1 widens π below the limit around its mode by that factor in
    variance (π^(1/dispersion), exact for a Gaussian-shaped π). At or past saturation the
    queue ratio is held at :data:`MAX_QUEUE_RATIO` (the caller accounts for the overload).
    """
    top = float(min(hard_limit, soft_limit))
    if soft_spread > 0.0:
        top = min(float(hard_limit), soft_limit + _SOFT_LIMIT_SPAN * soft_spread)
    last = max(1, math.ceil(top))
    present = np.arange(last + 1, dtype=np.float64)
    running = running_under_limit(present, float(hard_limit), soft_limit, soft_spread)
    tau = np.interp(running, np.arange(step_s.size, dtype=np.float64), step_s)
    departure = running[1:] / (output_tokens * tau[1:])
    log_ratio = np.log(rate / departure)
    # Below the limit, stalls widen the batch-size distribution; queueing above it does not.
    share = running[1:] / present[1:]
    log_ratio = log_ratio * (share / dispersion + (1.0 - share))
    log_base = np.concatenate([[0.0], np.cumsum(log_ratio)])
    # At or past saturation the queue has no stationary state; keep the longest one defined.
    r = min(rate / float(departure[-1]), MAX_QUEUE_RATIO)
    pi = _normalised(log_base)
    tail = pi[-1] * r / (1.0 - r)  # states last+1, last+2, …: all of them beyond ``running``
    total = pi.sum() + tail
    pmf = pi / total
    pmf[-1] += tail / total
    waiting = present - running
    queue = float(np.dot(pmf[:-1], waiting[:-1]))
    queue += float(pi[-1] / total) * (waiting[-1] / (1.0 - r) + r / (1.0 - r) ** 2)
    # An arrival finding n present runs at once with probability r(n+1) − r(n) (the chance
    # that one more fits); the last state is the queue's start, where none does.
    grown = np.concatenate([running[1:], running[-1:]])
    p_wait = float(np.dot(pmf, np.clip(1.0 - (grown - running), 0.0, 1.0)))
    return Occupancy(
        running=running,
        pmf=pmf,
        wait_probability=min(p_wait, 1.0),
        wait_rate=max(rate * p_wait / max(queue, 1e-12), 1e-12),
        mean_queue=queue,
    )


def _normalised(log_pi: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(np.exp(log_pi - log_pi.max()))


def representative_states(
    values: NDArray[np.float64],
    pmf: NDArray[np.float64],
    weights: NDArray[np.float64],
    count: int,
) -> NDArray[np.float64]:
    """Compress a distribution of ``values`` to ``count`` equal-probability representatives.

    The distribution is ``pmf · weights`` (normalised); returns the mass-weighted mean value
    of each probability band (each band has probability 1/``count``), so that averages over a
    few states follow it.
    """
    w = pmf * weights
    total = float(w.sum())
    if total <= 0.0:
        return np.zeros(count)
    w = w / total
    # Cumulative probability and first moment; their values at the band edges give each
    # band's mass-weighted mean (linear within a state's probability mass).
    cdf = np.concatenate([[0.0], np.cumsum(w)])
    moment = np.concatenate([[0.0], np.cumsum(w * values)])
    edges = np.linspace(0.0, 1.0, count + 1)
    at_edges = np.interp(edges, cdf, moment)
    return np.asarray(np.diff(at_edges) * count, dtype=np.float64)
