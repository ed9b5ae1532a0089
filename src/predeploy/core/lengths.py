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
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

from predeploy.core.occupancy import normal_cdf
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


def lognormal_cv(dist: TokenDistribution) -> float:
    """The coefficient of variation of the log-normal a ``lognormal`` ``dist`` is drawn from
    (:func:`lognormal_parameters`, before any cut): ``stdev/mean``, or the one its ``p95``
    implies where it states no ``stdev`` (a p95 of 2.5x the mean: CV 0.82); ``stdev/mean`` for
    other kinds."""
    if dist.kind != "lognormal" or dist.stdev > 0:
        return dist.stdev / dist.mean
    sigma = lognormal_parameters(dist)[1]
    return math.sqrt(math.expm1(sigma * sigma))


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


@dataclass(frozen=True)
class LengthStats:
    """Moments and quantile grids of prompt and output lengths (tokens)."""

    prompt_grid: NDArray[np.float64]
    output_grid: NDArray[np.float64]
    #: Mean prompt length p and E[p²].
    p: float
    p2: float
    #: Mean output length o and E[o²].
    o: float
    o2: float
    #: Token-weighted mean context of a decoding sequence, c̄ (tokens).
    context: float
    #: Median prompt length.
    p50: float
    #: Coefficient of variation of a running request's KV footprint (its prompt plus the part
    #: of its output generated so far, requests weighted by how long they run).
    footprint_cv: float

    @classmethod
    def of(
        cls, prompt: TokenDistribution, output: TokenDistribution, max_model_len: int
    ) -> LengthStats:
        """Moments of the clipped distributions, as :mod:`~predeploy.core.sampling` samples."""
        return _length_stats(prompt, output, max_model_len)

    @classmethod
    def compute(
        cls, prompt: TokenDistribution, output: TokenDistribution, max_model_len: int
    ) -> LengthStats:
        """:meth:`of`, uncached."""
        pg = token_length_grid(prompt, max_model_len - 1)
        og = token_length_grid(output, max_model_len - 1)
        p, o = float(pg.mean()), float(og.mean())
        steps = float((og - 1.0).mean())
        # A request decodes o−1 steps with context p+1 … p+o−1: Σ = (o−1)p + (o−1)o/2.
        context = p + float(((og - 1.0) * og).mean()) / (2.0 * steps) if steps > 0 else p
        return cls(
            prompt_grid=pg,
            output_grid=og,
            p=p,
            p2=float((pg * pg).mean()),
            o=o,
            o2=float((og * og).mean()),
            context=context,
            p50=float(pg[pg.size // 2]),
            footprint_cv=_footprint_cv(pg, og),
        )

    @property
    def decode_steps(self) -> float:
        """Mean decode steps per request, o − 1 (the first token comes from the prefill)."""
        return self.o - 1.0

    @property
    def attention_per_prefill_token(self) -> float:
        """E[p²]/(2p): mean attention context per prefill token of whole prompts."""
        return self.p2 / (2.0 * self.p)


def running_output_tokens(dist: TokenDistribution) -> float:
    """Mean output length of the requests in a running batch that replaces each finished
    request, ``E[O²]/E[O]`` (tokens): a request holds its slot for as many steps as it has
    output tokens, so a batch sampled at a random step holds each answer in proportion to its
    length (the size-biased mean, ``O·(1 + cv²)`` for an uncapped spread). Of the lengths the
    simulation draws: the log-normal of the distribution's mean and CV, cut at ``max`` (the
    values themselves for an empirical one; the mean for a fixed one). In closed
    form rather than over :func:`token_length_grid`, whose top point (the 99.2nd percentile)
    leaves out the tail that weighs most here: 9 % low at CV 1, 3 % at CV 1.45 capped at
    33,000 tokens."""
    if dist.kind == "empirical":
        values = np.asarray(dist.values, dtype=np.float64)
        if dist.max is not None:
            values = np.minimum(values, dist.max)
        return float((values**2).mean() / values.mean())
    cv = lognormal_cv(dist)
    if cv <= 0.0:
        return float(dist.mean)
    cap = math.inf if dist.max is None else float(dist.max)
    first, second = capped_lognormal_moments(dist.mean, cv, cap)
    return float(second / first)


def clipped_mean_stdev(dist: TokenDistribution) -> tuple[float, float]:
    """Mean and standard deviation of the lengths :func:`sample_token_lengths` draws from a
    log-normal ``dist`` with a ``max`` (clipped there: :func:`capped_lognormal_moments`);
    ``dist``'s own for other kinds and without a ``max`` (an empirical one's are its values'
    already); a log-normal stated by its ``p95`` alone has the spread it implies. A spread
    that reaches far past the cap is mostly cut: prompts of 800 ± 1,600 tokens at most 8,000
    are 762 ± 1,168."""
    if dist.kind != "lognormal" or (dist.max is None and dist.stdev > 0.0):
        return float(dist.mean), float(dist.stdev)
    cv = lognormal_cv(dist)
    if dist.max is None or cv <= 0.0:
        return float(dist.mean), dist.mean * cv
    first, second = capped_lognormal_moments(dist.mean, cv, float(dist.max))
    return first, math.sqrt(max(second - first * first, 0.0))


#: Fixed-point iterations of :func:`lognormal_mean_before_cut` (each scales the log-normal's
#: mean by the cut mean's shortfall; ten bring a CV-2 spread cut at 10x its mean within 1e-6).
CUT_MEAN_ITERATIONS = 20


def lognormal_mean_before_cut(mean: float, cv: float, cap: float) -> float:
    """The mean of the log-normal of coefficient of variation ``cv`` whose lengths, cut at
    ``cap``, average ``mean`` (a measured mean, of lengths a client or a dataset cut): the
    cut takes the tail's excess over ``cap`` away, so the log-normal's own mean is above it.
    ``mean`` itself where nothing is cut (``cv`` 0, no finite ``cap``) or the cap leaves no
    room above the mean."""
    if cv <= 0.0 or not math.isfinite(cap) or cap <= mean:
        return mean
    before = mean
    for _ in range(CUT_MEAN_ITERATIONS):
        cut = capped_lognormal_moments(before, cv, cap)[0]
        before = before * mean / max(cut, 1e-12)
    return before


def capped_lognormal_moments(mean: float, cv: float, cap: float) -> tuple[float, float]:
    """``(E[min(X, cap)], E[min(X, cap)²])`` of a log-normal ``X`` of ``mean`` and ``cv``:
    ``E[X^k; X ≤ cap]`` (:func:`_moment_below`) plus ``cap^k·P(X > cap)``."""
    if cv <= 0.0:
        value = min(mean, cap)
        return value, value * value
    if math.isinf(cap):
        return mean, mean * mean * (1.0 + cv * cv)
    beyond = 1.0 - NormalDist().cdf(_standard_score(cap, mean, cv))
    first = _moment_below(1, mean, cv, cap) + cap * beyond
    second = _moment_below(2, mean, cv, cap) + cap**2 * beyond
    return first, second


def _lognormal_mu_sigma2(mean: float, cv: float) -> tuple[float, float]:
    """``(μ, σ²)`` of the log-normal of ``mean`` and ``cv`` (``cv`` > 0)."""
    sigma2 = math.log1p(cv * cv)
    return math.log(mean) - sigma2 / 2.0, sigma2


def _standard_score(y: float, mean: float, cv: float) -> float:
    """``(ln y − μ)/σ`` of the log-normal of ``mean`` and ``cv``."""
    mu, sigma2 = _lognormal_mu_sigma2(mean, cv)
    return (math.log(y) - mu) / math.sqrt(sigma2)


def _moment_below(k: int, mean: float, cv: float, y: float) -> float:
    """``E[X^k; X ≤ y] = e^(kμ + k²σ²/2)·Φ(z − kσ)`` of the log-normal ``X`` of ``mean`` and
    ``cv`` (``z`` the standard score of ``y``)."""
    mu, sigma2 = _lognormal_mu_sigma2(mean, cv)
    full = math.exp(k * mu + k * k * sigma2 / 2.0)
    return full * NormalDist().cdf(_standard_score(y, mean, cv) - k * math.sqrt(sigma2))


#: Grid of :func:`started_run_age_share`'s renewal of answers: at least this many steps up
#: to the time asked about, each no longer than 1/16 of a mean answer (a Monte Carlo of the
#: renewal agrees within 0.005 then), at most 2,048 (128 mean answers; later times keep the
#: last value, within 3 % of the steady age for answers of CV 2).
RUN_AGE_GRID_STEPS = 256
RUN_AGE_STEPS_PER_MEAN = 16
RUN_AGE_MAX_STEPS = 2048


def started_run_age_share(
    mean: float, cv: float, cap: float, elapsed: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Mean age (tokens decoded) of a client's current answer ``elapsed`` decode steps after
    every client started its first one together, as a share of the steady state's
    ``E[O²]/(2E[O])`` (in [0, 1]; answers of ``mean`` and ``cv``, log-normal, capped at ``cap``).

    Each client's answers are a renewal process started at 0: the age is ``t`` while the first
    answer lasts and the time since the last completion after it, so ``E[A_t] = t·S(t) +
    Σ_s u(s)·S(t − s)·(t − s)``, ``S`` the answers' survival and ``u = f + f∗u`` the density
    of completions, solved on a grid up to the longest ``elapsed`` (:data:`RUN_AGE_GRID_STEPS`;
    each length rounded to the nearest step). The long answers that weigh most in the steady state
    take longest to reach it: ShareGPT-like answers (CV 2) hold 22 % of it one mean length into
    the run and 48 % after four, answers of CV 0.8 71 % and 97 % (a Monte Carlo of 100,000
    clients: 0.222, 0.479; 0.712, 0.967)."""
    elapsed = np.asarray(elapsed, dtype=np.float64)
    horizon = float(elapsed.max(initial=0.0))
    if horizon <= 0.0:
        return np.zeros_like(elapsed)
    step = min(horizon / RUN_AGE_GRID_STEPS, mean / RUN_AGE_STEPS_PER_MEAN)
    steps = min(math.ceil(horizon / step), RUN_AGE_MAX_STEPS)
    x: NDArray[np.float64] = step * np.arange(steps + 1, dtype=np.float64)
    survival = _lognormal_survival(x, mean, cv, cap)
    # Each length rounded to the nearest step: P(O rounds to k·step), k ≥ 1.
    halfway = _lognormal_survival(x + step / 2.0, mean, cv, cap)
    ended = np.concatenate(([1.0 - halfway[1]], halfway[1:-1] - halfway[2:]))
    completions = np.zeros_like(x)
    for k in range(1, steps + 1):
        completions[k] = ended[k - 1] + ended[: k - 1] @ completions[k - 1 : 0 : -1]
    aged = survival * x
    age = aged + np.convolve(completions, aged)[: steps + 1]
    # The steady age of the lengths as rounded (those beyond the grid as they are), the limit
    # the rounded renewal tends to: E[O²]/(2E[O]).
    first, second = _moments_above(mean, cv, cap, x[-1] + step / 2.0)
    first += float(ended @ x[1:])
    second += float(ended @ x[1:] ** 2)
    share = np.interp(elapsed, x, age) / (second / (2.0 * first))
    return np.asarray(np.clip(share, 0.0, 1.0), dtype=np.float64)


#: Points at which :func:`run_mean_age_share` averages the age over a run.
RUN_MEAN_AGE_POINTS = 65


def run_mean_age_share(mean: float, cv: float, cap: float, steps: float) -> float:
    """Mean of :func:`started_run_age_share` over the first ``steps`` decode steps of a run
    (the time average of a slot's answer age, as a share of the steady state's): what the
    running batch of a finite run that refills its slots holds on average. Answers of mean 200
    and CV 2: 0.13 over one mean answer and 0.31 over four; capped at 2,044 tokens
    (``vllm bench serve``'s ShareGPT), 0.20 and 0.48.
    Cached on the arguments rounded (a tenth of a token, 0.001 of CV, ten steps): a fit
    prices the same runs at every iteration."""
    return _run_mean_age_share(
        round(mean, 1), round(cv, 3), round(min(cap, 1e12)), round(steps, -1)
    )


@lru_cache(maxsize=4096)
def _run_mean_age_share(mean: float, cv: float, cap: float, steps: float) -> float:
    elapsed = np.linspace(0.0, max(steps, 0.0), RUN_MEAN_AGE_POINTS)
    return float(np.mean(started_run_age_share(mean, cv, cap, elapsed)))


#: Points of the answer lengths at which :func:`wave_peak_context` looks for the fullest time,
#: and the longest answer (× the mean) it scans to (a log-normal of CV 2 is past its fullest
#: long before).
WAVE_PEAK_POINTS = 65
MAX_WAVE_PEAK_FACTOR = 20.0


def wave_peak_context(
    prompt: NDArray[np.float64],
    mean: NDArray[np.float64],
    cv: NDArray[np.float64],
    cap: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Tokens per request that a wave of requests started together holds at its fullest,
    ``max_t S(t)·(I + t)``: ``t`` steps in, the requests whose answers (log-normal of
    ``mean`` and ``cv``, capped at ``cap``; ``S`` their survival) are still running hold
    their prompt and ``t`` tokens each, the others are done. Dispersed answers peak early
    (ShareGPT-like: little more than the prompts), alike ones at the end (``I + O``).
    Element-wise over scenarios."""
    top = np.minimum(cap, mean * MAX_WAVE_PEAK_FACTOR)
    t = np.linspace(0.0, 1.0, WAVE_PEAK_POINTS)[None, :] * top[:, None]
    survival = _lognormal_survival(t, mean[:, None], cv[:, None], top[:, None])
    held = np.max(survival * (prompt[:, None] + t), axis=1)
    # Alike answers all run to their last step, holding ``I + O`` each.
    return np.asarray(np.where(cv > 0.0, held, prompt + np.minimum(mean, cap)), dtype=float)


def _moments_above(mean: float, cv: float, cap: float, above: float) -> tuple[float, float]:
    """``(E[O; O > y], E[O²; O > y])`` of ``O = min(X, cap)``, ``X`` log-normal, ``y`` =
    ``above``: :func:`capped_lognormal_moments` less ``E[X^k; X ≤ y]`` (``y`` below the cap)."""
    first, second = capped_lognormal_moments(mean, cv, cap)
    if above >= min(cap, mean if cv <= 0.0 else math.inf):
        return 0.0, 0.0
    if cv <= 0.0:
        return first, second
    return first - _moment_below(1, mean, cv, above), second - _moment_below(2, mean, cv, above)


def _lognormal_survival(
    x: NDArray[np.float64],
    mean: float | NDArray[np.float64],
    cv: float | NDArray[np.float64],
    cap: float | NDArray[np.float64],
) -> NDArray[np.float64]:
    """``P(min(X, cap) > x)`` of a log-normal ``X`` of ``mean`` and ``cv`` (a step at the mean
    for ``cv`` 0), elementwise over the broadcast arguments."""
    mean, cv, cap = (np.asarray(v, dtype=np.float64) for v in (mean, cv, cap))
    step = np.asarray(x < np.minimum(mean, cap), dtype=np.float64)
    if not np.any(cv > 0.0):
        return step
    sigma2 = np.log1p(cv * cv)
    mu = np.log(np.maximum(mean, 1e-9)) - sigma2 / 2.0
    z = (np.log(np.maximum(x, 1e-300)) - mu) / np.sqrt(np.maximum(sigma2, 1e-300))
    dispersed = np.where(x < cap, 1.0 - normal_cdf(z), 0.0)
    return np.asarray(np.where(cv > 0.0, dispersed, step), dtype=np.float64)


def _footprint_cv(prompts: NDArray[np.float64], outputs: NDArray[np.float64]) -> float:
    """CV of p + a, a ~ Uniform(0, o) with o length-biased (a request is seen while running).

    E[a] = E[o²]/(2E[o]), E[a²] = E[o³]/(3E[o]); prompt and output independent.
    """
    o1, o2, o3 = (float((outputs**k).mean()) for k in (1, 2, 3))
    mean = float(prompts.mean()) + o2 / (2.0 * o1)
    var = float(prompts.var()) + o3 / (3.0 * o1) - (o2 / (2.0 * o1)) ** 2
    return math.sqrt(max(var, 0.0)) / mean


@lru_cache(maxsize=256)
def _length_stats(
    prompt: TokenDistribution, output: TokenDistribution, max_model_len: int
) -> LengthStats:
    return LengthStats.compute(prompt, output, max_model_len)
