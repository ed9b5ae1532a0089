"""Aggregating latencies into typed results: percentiles, and what a load run reports.

Percentiles use linear interpolation between order statistics (numpy's default ``linear``
method): the q-th percentile of x₀ ≤ … ≤ x_{N−1} is x_⌊h⌋ + (h − ⌊h⌋)(x_⌊h⌋₊₁ − x_⌊h⌋) with
h = (N − 1)·q/100. :func:`weighted_percentiles_ms` gives exactly what that formula gives on
the list in which each value is repeated ``weight`` times, without building the list (the
simulator records inter-token gaps as (gap, number of requests that saw it) per step).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from predeploy.core.types import FrozenModel, Percentiles, PerfMetrics, PredictionProvenance
from predeploy.core.types.base import Fraction, NonNegativeFloat, NonNegativeInt

#: The percentiles every latency summary carries.
PERCENTILE_LEVELS: tuple[tuple[str, float], ...] = (
    ("p50", 50.0),
    ("p90", 90.0),
    ("p95", 95.0),
    ("p99", 99.0),
)

_LEVELS = np.array([q for _, q in PERCENTILE_LEVELS])

MS_PER_S = 1000.0


def percentiles_ms(values_s: NDArray[np.float64]) -> Percentiles:
    """Mean and p50/p90/p95/p99 of ``values_s`` (seconds), in milliseconds; empty → all None."""
    values = np.sort(np.asarray(values_s, dtype=np.float64), axis=None)
    if values.size == 0:
        return Percentiles()
    ranks = _LEVELS * (values.size - 1) / 100.0
    low = np.floor(ranks).astype(np.int64)
    high = np.minimum(low + 1, values.size - 1)
    qs = (values[low] + (ranks - low) * (values[high] - values[low])) * MS_PER_S
    return _build(float(values.sum()) / values.size * MS_PER_S, qs)


def weighted_percentiles_ms(
    values_s: NDArray[np.float64], weights: NDArray[np.int64]
) -> Percentiles:
    """Percentiles (ms) of the multiset where ``values_s[i]`` occurs ``weights[i]`` times.

    Exact: equal to :func:`percentiles_ms` of the expanded list.
    """
    values = np.asarray(values_s, dtype=np.float64)
    counts = np.asarray(weights, dtype=np.int64)
    keep = counts > 0
    values, counts = values[keep], counts[keep]
    if values.size == 0:
        return Percentiles()
    order = np.argsort(values, kind="stable")
    values, counts = values[order], counts[order]
    cumulative = np.cumsum(counts)
    total = int(cumulative[-1])
    ranks = np.array([(total - 1) * q / 100.0 for _, q in PERCENTILE_LEVELS])
    low = np.floor(ranks)
    high = np.minimum(low + 1, total - 1)
    # The value at 0-based position k in the expanded list: first i with cumulative[i] > k.
    x_low = values[np.searchsorted(cumulative, low, side="right")]
    x_high = values[np.searchsorted(cumulative, high, side="right")]
    qs = (x_low + (ranks - low) * (x_high - x_low)) * MS_PER_S
    mean = float(np.dot(values, counts) / total) * MS_PER_S
    return _build(mean, qs)


def atoms_percentiles_ms(values_s: NDArray[np.float64], probs: NDArray[np.float64]) -> Percentiles:
    """Mean and percentiles (ms) of a discrete distribution."""
    order = np.argsort(values_s)
    v, w = values_s[order], probs[order]
    cdf = np.cumsum(w) / w.sum()
    picks = np.minimum(np.searchsorted(cdf, [0.5, 0.9, 0.95, 0.99]), v.size - 1)
    p50, p90, p95, p99 = (float(x) * MS_PER_S for x in v[picks])
    return Percentiles(
        mean=float(np.dot(v, w) / w.sum()) * MS_PER_S, p50=p50, p90=p90, p95=p95, p99=p99
    )


def flat_percentiles_ms(value_s: float) -> Percentiles:
    """Every statistic equal to ``value_s`` (a deterministic latency), in ms."""
    v = value_s * MS_PER_S
    return Percentiles(mean=v, p50=v, p90=v, p95=v, p99=v)


def streamed_chunk_gaps(itl: Percentiles, tokens_per_chunk: int) -> Percentiles:
    """The gaps between streamed chunks of ``n`` tokens, from the gaps between tokens: a
    chunk's gap is the sum of ``n`` consecutive token gaps, so its mean is ``n·μ`` and, the
    token gaps taken as independent, its spread ``√n`` times theirs: a percentile ``q`` becomes
    ``n·μ + √n·(q − μ)`` (at least 0). The last, shorter chunk of a request is not counted."""
    if tokens_per_chunk <= 1 or itl.mean is None:
        return itl
    n = float(tokens_per_chunk)
    mean = itl.mean

    def chunk(q: float | None) -> float | None:
        return None if q is None else max(n * mean + math.sqrt(n) * (q - mean), 0.0)

    return Percentiles(
        mean=n * mean,
        p50=chunk(itl.p50),
        p90=chunk(itl.p90),
        p95=chunk(itl.p95),
        p99=chunk(itl.p99),
    )


def _build(mean_ms: float, qs_ms: NDArray[np.float64]) -> Percentiles:
    # Interpolation can leave a later percentile a rounding error below an earlier one.
    ordered = np.maximum.accumulate(qs_ms)
    return Percentiles(
        mean=mean_ms,
        **{name: float(v) for (name, _), v in zip(PERCENTILE_LEVELS, ordered, strict=True)},
    )


class LoadResult(FrozenModel):
    """What one replica delivers under one load, however it was computed.

    Latencies in ms: TTFT from arrival (queueing included) to the first token; ITL every gap
    between successive tokens of a request; TPOT per request (E2E − TTFT)/(output − 1);
    E2E from arrival to the last token. Rates over the measurement window. ``kv_cache_usage``
    is the time-averaged fraction of KV blocks in use; ``mean_queue_length`` and
    ``mean_batch_size`` are time-averaged requests waiting and running.
    """

    ttft_ms: Percentiles
    itl_ms: Percentiles
    tpot_ms: Percentiles
    e2e_ms: Percentiles
    output_tokens_per_s: NonNegativeFloat
    total_tokens_per_s: NonNegativeFloat
    requests_per_s: NonNegativeFloat
    kv_cache_usage: Fraction
    mean_queue_length: NonNegativeFloat
    mean_batch_size: NonNegativeFloat

    def to_perf_metrics(self, provenance: PredictionProvenance) -> PerfMetrics:
        """The façade's :class:`PerfMetrics` view of this result."""
        return PerfMetrics(
            ttft_ms=self.ttft_ms,
            itl_ms=self.itl_ms,
            tpot_ms=self.tpot_ms,
            e2e_ms=self.e2e_ms,
            output_tokens_per_s=self.output_tokens_per_s,
            total_tokens_per_s=self.total_tokens_per_s,
            requests_per_s=self.requests_per_s,
            kv_cache_usage=self.kv_cache_usage,
            mean_queue_length=self.mean_queue_length,
            mean_batch_size=self.mean_batch_size,
            provenance=provenance,
        )


class SimulationResult(LoadResult):
    """A discrete-event simulation's result (:func:`predeploy.core.simulator.simulate`)."""

    kv_cache_usage_peak: Fraction
    num_preemptions: NonNegativeInt
    num_requests: NonNegativeInt
    #: Requests whose latencies the percentiles cover (all but the warm-up ones).
    num_measured_requests: NonNegativeInt
    num_steps: NonNegativeInt
    #: Seconds from the first arrival to the last token.
    duration_s: NonNegativeFloat
    #: Prompt tokens computed, recomputation after preemptions included.
    prefill_tokens_computed: NonNegativeInt
    output_tokens_generated: NonNegativeInt
    #: Requests whose sampled lengths were cut to fit ``max_model_len``.
    num_truncated_requests: NonNegativeInt
    seed: int


class AnalyticResult(LoadResult):
    """The fast analytic estimate (:func:`predeploy.core.analytic.analyze`)."""

    #: Highest sustainable request rate of this replica for these lengths, req/s.
    saturation_rps: NonNegativeFloat
    #: Offered load over saturation (≥ 1: the queue grows without bound).
    utilization: NonNegativeFloat
    stable: bool
    #: Mean engine step at the operating point, ms.
    mean_step_ms: NonNegativeFloat
    #: Mean sequences decoding per step at the operating point.
    mean_decode_batch: NonNegativeFloat
