"""Fast analytic mode: saturation and latency percentiles without simulating requests.

For the planner's screening of many candidates: the same inputs as
:func:`~predeploy.core.simulator.simulate`, an answer from a few dozen step-model evaluations.

**Running-request limit.** At most N_max requests run at once, the least of: ``max_num_seqs``;
the KV cache, (C − p/2) / (p + E[o²]/(2o) + b/2) -- C capacity tokens over a running
request's time-averaged footprint (prompt plus, length-biased, half its output, plus half a
block of rounding), less the half prompt that on average stays free while the next prompt
waits to fit; and the token budget, M·o/(p + o − 1) (each request needs p prefill and o − 1
decode tokens of the M per step).

**Saturation.** At N_max running, a step decodes D = N_max(o − 1)/o sequences and admits
N_max/o new prompts on average (plus, when the KV cache is the limit, recomputation after
preemptions: vLLM admits greedily and then preempts the newest request whenever a decoder needs
a block; that recomputes about :data:`KV_BOUND_RECOMPUTE_PER_OUTPUT_TOKEN` prefill tokens per
output token). Saturation is X = N_max / (o·τ̄), τ̄ the mean step time of that mix
(:class:`~predeploy.core.stepmix.StepMix`).

**Operating point at λ < X.** The mean step τ̄ solves τ = τ̄(D = λ(o − 1)τ/β, arrivals λ) by
regula falsi (Little's law for the decoders; β = 1 − e^(−λoτ) the busy fraction). ITL: the mix
of step durations (every decoder sees every step). TPOT: a request's o − 1 gaps average to
τ̄ ± σ/√(o − 1). TTFT: the rest of the prefill cycle the request arrives in (arrival
duration-weighted), then its group's prefill up to its own chunk (the prompts that arrived
before it in that cycle, itself; the whole group sets the step time), plus, when the batch is
full, an Erlang-C wait (M/M/c, c = N_max, service o·τ̄, scaled by (c_a² + c_s²)/2). E2E = TTFT
+ (o − 1)·TPOT. Percentiles are taken over a fixed quasi-random point set mapped through these
distributions and the length grids (deterministic, no sampling noise).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

from predeploy.core.arrivals import (
    BurstArrivals,
    ConcurrencyArrivals,
    GammaArrivals,
    MaxThroughputArrivals,
    PoissonArrivals,
    StaticBatchArrivals,
    arrival_process,
)
from predeploy.core.batching import SchedulerConfig, StepCostModel
from predeploy.core.metrics import MS_PER_S, AnalyticResult, percentiles_ms
from predeploy.core.stepmix import LengthStats, StepMix, erlang_c, poisson_pmf
from predeploy.core.types import LoadSpec, Percentiles, TokenDistribution

#: Prefill tokens recomputed per output token when the KV cache limits the batch (derived:
#: fitted to this package's simulator at saturation over 36 length mixes and capacities,
#: observed 0.5-1.4; vLLM's greedy admission plus newest-first recompute preemption).
KV_BOUND_RECOMPUTE_PER_OUTPUT_TOKEN = 0.8

_QMC_POINTS = 1024
_SOLVER_ITERATIONS = 40
_SOLVER_TOLERANCE = 1e-6


def _halton(count: int, base: int) -> NDArray[np.float64]:
    """Van der Corput points in ``base`` (the radical inverse of 1..count)."""
    out = np.zeros(count)
    idx = np.arange(1, count + 1)
    scale = 1.0
    while np.any(idx > 0):
        scale /= base
        out += scale * (idx % base)
        idx //= base
    return np.clip(out, 1e-9, 1.0 - 1e-9)


#: A fixed Halton point set in [0, 1)⁷ (deterministic quasi-random coordinates).
_U = np.stack([_halton(_QMC_POINTS, b) for b in (2, 3, 5, 7, 11, 13, 17)])
_Z = np.array([NormalDist().inv_cdf(float(x)) for x in _U[6]])


@dataclass(frozen=True)
class RunningLimit:
    """How many requests can run at once, and which limit binds."""

    max_num_seqs: float
    kv_cache: float
    token_budget: float

    @property
    def value(self) -> float:
        return max(1.0, min(self.max_num_seqs, self.kv_cache, self.token_budget))

    @property
    def kv_bound(self) -> bool:
        return self.kv_cache <= min(self.max_num_seqs, self.token_budget)


def running_limit(config: SchedulerConfig, lengths: LengthStats) -> RunningLimit:
    """N_max and its three candidates (see module doc)."""
    footprint = lengths.p + lengths.o2 / (2.0 * lengths.o) + config.block_size / 2.0
    kv = (config.kv_capacity_tokens - lengths.p / 2.0) / footprint
    budget = config.max_num_batched_tokens * lengths.o / (lengths.p + lengths.o - 1.0)
    return RunningLimit(float(config.max_num_seqs), kv, budget)


def _recompute_per_prompt(limit: RunningLimit, lengths: LengthStats) -> float:
    return KV_BOUND_RECOMPUTE_PER_OUTPUT_TOKEN * lengths.o if limit.kv_bound else 0.0


def _saturation_mix(
    step: StepCostModel, config: SchedulerConfig, lengths: LengthStats, limit: RunningLimit
) -> StepMix:
    n = limit.value
    return StepMix(
        step,
        config.max_num_batched_tokens,
        lengths,
        decoders=n * lengths.decode_steps / lengths.o,
        prompts_per_step=n / lengths.o,
        rate=None,
        extra_prefill_tokens=_recompute_per_prompt(limit, lengths),
    )


def saturation_rps(
    step: StepCostModel,
    scheduler: SchedulerConfig,
    prompt_tokens: TokenDistribution,
    output_tokens: TokenDistribution,
) -> float:
    """Highest sustainable request rate of one replica, req/s: N_max / (o·τ̄) (module doc)."""
    lengths = LengthStats.of(prompt_tokens, output_tokens, scheduler.max_model_len)
    limit = running_limit(scheduler, lengths)
    mix = _saturation_mix(step, scheduler, lengths, limit)
    return limit.value / (lengths.o * mix.mean_s)


def analyze(
    step: StepCostModel,
    scheduler: SchedulerConfig,
    load: LoadSpec,
    prompt_tokens: TokenDistribution,
    output_tokens: TokenDistribution,
    *,
    num_requests: int = 1000,
) -> AnalyticResult:
    """Estimate what :func:`~predeploy.core.simulator.simulate` reports, analytically.

    ``num_requests`` sizes runs whose latencies grow with their length: ``max_throughput``
    (the queue drains at the saturation rate) and open-loop loads above saturation.
    """
    lengths = LengthStats.of(prompt_tokens, output_tokens, scheduler.max_model_len)
    limit = running_limit(scheduler, lengths)
    sat_mix = _saturation_mix(step, scheduler, lengths, limit)
    sat_rate = limit.value / (lengths.o * sat_mix.mean_s)
    ctx = _Context(step, scheduler, lengths, limit, sat_mix, sat_rate)
    process = arrival_process(load)
    if isinstance(process, PoissonArrivals):
        return _open_loop(ctx, process.rate_rps, 1.0, num_requests)
    if isinstance(process, GammaArrivals):
        return _open_loop(ctx, process.rate_rps, process.cv, num_requests)
    if isinstance(process, ConcurrencyArrivals):
        return _closed_loop(ctx, process.concurrency)
    if isinstance(process, StaticBatchArrivals):
        return _static_batch(ctx, process.batch_size)
    if isinstance(process, BurstArrivals | MaxThroughputArrivals):
        return _all_at_once(ctx, process.request_count(num_requests))
    raise ValueError(f"the analytic mode does not support load kind {load.kind!r}")


@dataclass(frozen=True)
class _Context:
    step: StepCostModel
    config: SchedulerConfig
    lengths: LengthStats
    limit: RunningLimit
    sat_mix: StepMix
    sat_rate: float

    def mix(self, rate: float, tau: float, busy: float) -> StepMix:
        return StepMix(
            self.step,
            self.config.max_num_batched_tokens,
            self.lengths,
            decoders=rate * self.lengths.decode_steps * tau / busy,
            prompts_per_step=rate * tau,
            rate=rate,
        )


def _busy_fraction(rate: float, tau: float, lengths: LengthStats) -> float:
    """P(engine busy) ≈ P(at least one request in the system), M/G/∞ with residence o·τ."""
    return max(1.0 - math.exp(-rate * lengths.o * tau), 1e-6)


def _operating_mix(ctx: _Context, rate: float) -> StepMix:
    """Solve τ = τ̄(λ, τ) on [τ of an idle engine, τ at saturation] by regula falsi."""
    lo = ctx.step.step_time_s(0, 0.0, 1, int(ctx.lengths.context))
    hi = max(ctx.sat_mix.mean_s, lo * 1.000001)

    def excess(tau: float) -> tuple[float, StepMix]:
        mix = ctx.mix(rate, tau, _busy_fraction(rate, tau, ctx.lengths))
        return mix.mean_s - tau, mix

    g_lo, mix = excess(lo)
    if g_lo <= 0.0:
        return mix
    g_hi, mix_hi = excess(hi)
    if g_hi >= 0.0:  # at or beyond saturation: the saturation mix is the operating point
        return mix_hi
    side = 0
    for _ in range(_SOLVER_ITERATIONS):
        tau = hi - g_hi * (hi - lo) / (g_hi - g_lo)
        g, mix = excess(tau)
        if abs(g) <= _SOLVER_TOLERANCE * tau:
            break
        if g > 0.0:
            lo, g_lo = tau, g
            if side == 1:
                g_hi /= 2.0  # Illinois step: keep the bracket shrinking from both ends
            side = 1
        else:
            hi, g_hi = tau, g
            if side == -1:
                g_lo /= 2.0
            side = -1
    return mix


def _poisson_quantiles(means: NDArray[np.float64], u: NDArray[np.float64]) -> NDArray[np.float64]:
    """Inverse CDF of Poisson(means[i]) at u[i]."""
    size = int(max(float(means.max()), 0.0) + 7.0 * math.sqrt(max(float(means.max()), 0.0)) + 5)
    cdf = np.cumsum(poisson_pmf(means, min(size, 65)), axis=1)
    return np.asarray((cdf < u[:, None]).sum(axis=1), dtype=np.float64)


def _open_loop(ctx: _Context, rate: float, cv: float, num_requests: int) -> AnalyticResult:
    lengths = ctx.lengths
    stable = rate < ctx.sat_rate
    served = min(rate, ctx.sat_rate)
    mix = _operating_mix(ctx, served) if stable else ctx.sat_mix
    tau = mix.mean_s
    busy = _busy_fraction(served, tau, lengths)
    u = _U

    # The prefill cycle the request arrives in (duration-weighted), how far into it.
    arrive = mix.cycle_weights * mix.cycle_s
    kind = np.minimum(np.searchsorted(np.cumsum(arrive / arrive.sum()), u[0]), arrive.size - 1)
    cycle = mix.cycle_s[kind]
    elapsed = u[1]
    ahead = _poisson_quantiles(served * cycle * elapsed, u[2])
    behind = _poisson_quantiles(served * cycle * (1.0 - elapsed), u[3])
    own = lengths.prompt_grid[(u[4] * lengths.prompt_grid.size).astype(int)]
    mine = ahead * mix.tokens_per_prompt + own
    group = mine + behind * mix.tokens_per_prompt
    idle = u[5] > busy
    residual = np.where(idle, 0.0, (1.0 - elapsed) * cycle)
    prefill = mix.prefill_times(np.where(idle, own, mine), np.where(idle, own, group))

    # A full batch: Erlang-C wait for one of N_max places (service o·τ̄).
    service = lengths.o * tau
    offered = served * service
    scv = lengths.o2 / (lengths.o * lengths.o) - 1.0
    servers = max(1, math.floor(ctx.limit.value))
    p_wait = erlang_c(servers, offered)
    wait_rate = max(servers - offered, 1e-9) / service / max((cv * cv + scv) / 2.0, 1e-6)
    queue = np.where(u[2] < p_wait, -np.log(u[3]) / wait_rate, 0.0)
    if not stable:
        # The backlog grows through the run: the average request waits for half of it.
        queue = queue + num_requests / 2.0 * (1.0 / served - 1.0 / rate)
    ttft = queue + residual + prefill

    out = lengths.output_grid[(u[6] * lengths.output_grid.size).astype(int)]
    gaps = out - 1.0
    tpot = np.maximum(tau + _Z * mix.stdev_s / np.sqrt(np.maximum(gaps, 1.0)), 0.0)
    e2e = ttft + gaps * tpot
    decoding = served * lengths.decode_steps * tau
    running = served * float(np.mean(prefill)) + decoding
    values, probs = mix.step_atoms()
    return AnalyticResult(
        ttft_ms=percentiles_ms(ttft),
        itl_ms=_atoms_ms(values, probs),
        tpot_ms=percentiles_ms(tpot[gaps > 0]),
        e2e_ms=percentiles_ms(e2e),
        output_tokens_per_s=served * lengths.o,
        total_tokens_per_s=served * (lengths.o + lengths.p),
        requests_per_s=served,
        kv_cache_usage=_kv_usage(ctx, decoding),
        mean_queue_length=served * float(np.mean(queue + residual)),
        mean_batch_size=running,
        saturation_rps=ctx.sat_rate,
        utilization=rate / ctx.sat_rate,
        stable=stable,
        mean_step_ms=tau * MS_PER_S,
        mean_decode_batch=mix.decoders,
    )


def _kv_usage(ctx: _Context, decoding: float) -> float:
    tokens = decoding * (ctx.lengths.context + ctx.config.block_size / 2.0)
    return min(1.0, tokens / ctx.config.kv_capacity_tokens)


def _atoms_ms(values_s: NDArray[np.float64], probs: NDArray[np.float64]) -> Percentiles:
    """Mean and percentiles (ms) of a discrete distribution."""
    order = np.argsort(values_s)
    v, w = values_s[order], probs[order]
    cdf = np.cumsum(w) / w.sum()
    picks = np.minimum(np.searchsorted(cdf, [0.5, 0.9, 0.95, 0.99]), v.size - 1)
    p50, p90, p95, p99 = (float(x) * MS_PER_S for x in v[picks])
    return Percentiles(
        mean=float(np.dot(v, w) / w.sum()) * MS_PER_S, p50=p50, p90=p90, p95=p95, p99=p99
    )


def _flat(value_s: float) -> Percentiles:
    v = value_s * MS_PER_S
    return Percentiles(mean=v, p50=v, p90=v, p95=v, p99=v)


# ----------------------------------------------------------------------------- other loads
def _running_mix(ctx: _Context, running: float) -> StepMix:
    lengths = ctx.lengths
    if running >= ctx.limit.value:
        return ctx.sat_mix
    return StepMix(
        ctx.step,
        ctx.config.max_num_batched_tokens,
        lengths,
        decoders=running * lengths.decode_steps / lengths.o,
        prompts_per_step=running / lengths.o,
        rate=None,
    )


def _closed_loop(ctx: _Context, clients: int) -> AnalyticResult:
    """``clients`` requests always in flight: min(clients, N_max) run, the rest queue."""
    running = min(float(clients), ctx.limit.value)
    mix = _running_mix(ctx, running)
    rate = running / (ctx.lengths.o * mix.mean_s)
    waiting = max(float(clients) - running, 0.0)
    # Each request queues behind ``waiting`` others served at ``rate``, then one prefill step.
    wait = np.full(_QMC_POINTS, waiting / rate)
    return _fixed_population(ctx, mix, rate, running, wait, waiting)


def _all_at_once(ctx: _Context, count: int) -> AnalyticResult:
    """``count`` requests at t = 0: the i-th starts after (i − N_max)/X once the batch is full."""
    running = min(float(count), ctx.limit.value)
    mix = _running_mix(ctx, running)
    rate = running / (ctx.lengths.o * mix.mean_s)
    position = _U[0] * count
    wait = np.maximum(position - running, 0.0) / rate
    backlog = max(float(count) - running, 0.0)
    return _fixed_population(ctx, mix, rate, running, wait, backlog / 2.0)


def _fixed_population(
    ctx: _Context,
    mix: StepMix,
    rate: float,
    running: float,
    wait: NDArray[np.float64],
    queue_length: float,
) -> AnalyticResult:
    lengths = ctx.lengths
    tau = mix.mean_s
    own = lengths.prompt_grid[(_U[4] * lengths.prompt_grid.size).astype(int)]
    group = own + mix.tokens_per_prompt * np.maximum(running / lengths.o - 1.0, 0.0)
    ttft = wait + mix.prefill_times(own, group)
    out = lengths.output_grid[(_U[6] * lengths.output_grid.size).astype(int)]
    gaps = out - 1.0
    tpot = np.maximum(tau + _Z * mix.stdev_s / np.sqrt(np.maximum(gaps, 1.0)), 0.0)
    values, probs = mix.step_atoms()
    return AnalyticResult(
        ttft_ms=percentiles_ms(ttft),
        itl_ms=_atoms_ms(values, probs),
        tpot_ms=percentiles_ms(tpot[gaps > 0]),
        e2e_ms=percentiles_ms(ttft + gaps * tpot),
        output_tokens_per_s=rate * lengths.o,
        total_tokens_per_s=rate * (lengths.o + lengths.p),
        requests_per_s=rate,
        kv_cache_usage=_kv_usage(ctx, mix.decoders),
        mean_queue_length=queue_length,
        mean_batch_size=running,
        saturation_rps=ctx.sat_rate,
        utilization=rate / ctx.sat_rate,
        stable=True,
        mean_step_ms=tau * MS_PER_S,
        mean_decode_batch=mix.decoders,
    )


def _static_batch(ctx: _Context, batch: int) -> AnalyticResult:
    """``batch`` identical requests of the mean lengths, all at t = 0; answers return together.

    The prefill is walked step by step: each step the requests already prefilled decode one
    token and the rest of the budget prefills the next prompts in order (a prompt's first
    token comes at the end of the step that completes it). Then o − 1 decode steps for the
    last one, whose KV read grows by B tokens a step (step time interpolated between a few
    evaluations). Batches beyond ``max_num_seqs`` or the KV cache run in waves.
    """
    cfg = ctx.config
    prompt = max(1, round(ctx.lengths.p))
    out = max(1, round(ctx.lengths.o))
    fits_kv = max(1, cfg.kv_capacity_tokens // (prompt + out))
    size = min(batch, cfg.max_num_seqs, fits_kv)
    t = 0.0
    first_tokens: list[float] = []
    computed = 0  # tokens of the prompt being prefilled
    steps = 0
    while len(first_tokens) < size:
        decoders = len(first_tokens)
        room = cfg.max_num_batched_tokens - decoders
        chunk_tokens, attn, done = 0, 0.0, 0
        while room > 0 and len(first_tokens) + done < size:
            chunk = min(prompt - computed, room)
            attn += chunk * (computed + chunk / 2.0)
            chunk_tokens += chunk
            room -= chunk
            computed += chunk
            if computed == prompt:
                done += 1
                computed = 0
        kv = decoders * (prompt + 1) + decoders * (decoders - 1) // 2 if decoders else 0
        t += ctx.step.step_time_s(chunk_tokens, attn, decoders, kv)
        steps += 1
        first_tokens.extend([t] * done)
    decode_s = 0.0
    if out > 1:
        points = np.unique(np.linspace(1, out - 1, min(out - 1, 9)).round()).astype(int)
        times = [ctx.step.step_time_s(0, 0.0, size, size * (prompt + int(j))) for j in points]
        decode_s = float(np.interp(np.arange(1, out), points, times).sum())
    waves = math.ceil(batch / size)
    wave_s = t + decode_s
    e2e = wave_s * waves
    ttft = np.array(first_tokens)
    ttft = np.concatenate([ttft + i * wave_s for i in range(waves)])[:batch]
    rate = batch / e2e
    return AnalyticResult(
        ttft_ms=percentiles_ms(ttft),
        itl_ms=_flat(decode_s / (out - 1) if out > 1 else 0.0),
        tpot_ms=percentiles_ms((e2e - ttft) / (out - 1) if out > 1 else np.zeros(0)),
        e2e_ms=_flat(e2e),
        output_tokens_per_s=rate * out,
        total_tokens_per_s=rate * (out + prompt),
        requests_per_s=rate,
        kv_cache_usage=min(1.0, size * (prompt + out / 2.0) / cfg.kv_capacity_tokens),
        mean_queue_length=float(batch - size) / 2.0,
        mean_batch_size=float(size),
        saturation_rps=ctx.sat_rate,
        utilization=rate / ctx.sat_rate,
        stable=True,
        mean_step_ms=wave_s / (steps + out - 1) * MS_PER_S,
        mean_decode_batch=float(size),
    )
