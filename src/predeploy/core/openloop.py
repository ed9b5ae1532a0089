"""Open-loop loads (Poisson or gamma arrivals) in the analytic mode.

**Operating point.** The mean step τ̄ solves τ = τ̄(D = λ(o − 1)τ/β, arrivals λ) by safeguarded
secant steps (Little's law for the decoders; β = 1 − e^(−λoτ) the busy fraction). Around it, the
batch size is distributed as a processor-sharing queue (:mod:`~predeploy.core.occupancy`),
with its own step mix at each batch size (:class:`~predeploy.core.state_mixes.StateMixes`).

**Latencies.** ITL: the step durations, token-weighted over batch sizes (every decoder sees
every step). TPOT: a request's o − 1 gaps average the token-weighted step, shifted by the batch
it met, ± σ/√(o − 1). TTFT: the rest of the prefill cycle the request arrives in (arrival
duration-weighted), then its group's prefill up to its own chunk, plus the wait for a place
when the batch is full (scaled by (c_a² + 1)/2 for non-Poisson arrivals). E2E = TTFT +
(o − 1)·TPOT. Percentiles over a fixed quasi-random point set
(:mod:`~predeploy.core.quasirandom`).
"""

from __future__ import annotations

import math

import numpy as np

from predeploy.core.lengths import LengthStats
from predeploy.core.metrics import MS_PER_S, AnalyticResult, atoms_percentiles_ms, percentiles_ms
from predeploy.core.occupancy import (
    normal_cdf,
    occupancy,
    prefill_dispersion,
    representative_states,
)
from predeploy.core.poisson_counts import poisson_quantiles
from predeploy.core.quasirandom import POINTS, U, Z
from predeploy.core.saturation import LoadContext, kv_usage
from predeploy.core.state_mixes import StateMixes
from predeploy.core.stepmix import StepMix, poisson_mean_step_s

_SOLVER_ITERATIONS = 40
_SOLVER_TOLERANCE = 1e-4


def _busy_fraction(rate: float, tau: float, lengths: LengthStats) -> float:
    """P(engine busy) ≈ P(at least one request in the system), M/G/∞ with residence o·τ."""
    return max(1.0 - math.exp(-rate * lengths.o * tau), 1e-6)


def _operating_mix(ctx: LoadContext, rate: float) -> StepMix:
    """Solve τ = τ̄(λ, τ) on [τ of an idle engine, τ at saturation] (safeguarded secant).

    Iterates on the Poisson step mix (:func:`poisson_mean_step_s`), then returns the full
    mix (prefill-cycle chain) at the solution.
    """
    lengths = ctx.lengths
    budget = ctx.config.max_num_batched_tokens

    def excess(tau: float) -> float:
        decoders = rate * lengths.decode_steps * tau / _busy_fraction(rate, tau, lengths)
        return poisson_mean_step_s(ctx.step, budget, lengths, decoders, rate * tau) - tau

    lo = ctx.step.step_time_s(0, 0.0, 1, round(lengths.context))
    hi = max(ctx.sat_mix.mean_s, lo * 1.000001)
    g_lo = excess(lo)
    if g_lo <= 0.0:
        return ctx.mix(rate, lo, _busy_fraction(rate, lo, lengths))
    # Secant steps from τ₀ = lo and τ₁ = F(lo), kept inside the bracket [lo, hi] where
    # g = F − τ changes sign; a step that leaves it bisects instead.
    t0, g0 = lo, g_lo
    t1 = min(lo + g_lo, hi)
    tau = t1
    for _ in range(_SOLVER_ITERATIONS):
        g1 = excess(t1)
        tau = t1
        if abs(g1) <= _SOLVER_TOLERANCE * t1:
            break
        if g1 > 0.0:
            lo = t1
        else:
            hi = t1
        step = t1 - g1 * (t1 - t0) / (g1 - g0) if g1 != g0 else hi + 1.0
        t0, g0 = t1, g1
        t1 = step if lo < step < hi else 0.5 * (lo + hi)
    return ctx.mix(rate, tau, _busy_fraction(rate, tau, lengths))


#: How much of the batch-size spread at a request's arrival carries into its TPOT (the batch
#: drifts while it decodes; derived: matched to the simulator's TPOT percentiles).
TPOT_STATE_PERSISTENCE = 0.7
#: Representative batch sizes the occupancy distribution is reduced to.
_STATES = 16


def open_loop(ctx: LoadContext, rate: float, cv: float, num_requests: int) -> AnalyticResult:
    """Poisson or gamma arrivals: fluid operating point, then the occupancy distribution."""
    lengths = ctx.lengths
    o = lengths.o
    stable = rate < ctx.sat_rate
    served = min(rate, ctx.sat_rate * (1.0 - 1e-9))
    base = _operating_mix(ctx, served)
    tau = base.mean_s
    busy = _busy_fraction(served, tau, lengths)
    n_star = served * o * tau / busy  # running requests while busy (Little)
    # τ(m): the step mix at n* and at a larger batch, then the saturation mix at the limit.
    n_hi = min(ctx.limit.value, n_star * 1.35 + 2.0)
    high = StepMix(
        ctx.step,
        ctx.config.max_num_batched_tokens,
        lengths,
        decoders=n_hi * lengths.decode_steps / o,
        prompts_per_step=served * tau,
        rate=served,
        size=base.size,
    )
    spread = max(n_hi - n_star, 1e-9)
    slope = (high.mean_s - tau) / spread
    limit = ctx.limit
    hard = ctx.config.max_num_seqs
    soft_spread = math.sqrt(limit.kv_cache) * lengths.footprint_cv if limit.kv_bound else 0.0
    last = math.ceil(min(float(hard), limit.value + 4.0 * soft_spread))
    grid = np.arange(last + 1, dtype=np.float64)
    plain = ctx.sat_plain_step_s
    step_s = np.where(
        grid <= n_hi,
        tau + slope * (grid - n_star),
        np.interp(grid, [n_hi, max(limit.value, n_hi + 1e-9)], [high.mean_s, plain]),
    )
    if limit.kv_bound:
        # Where the KV cache is full, preemptions add their recomputation to every step.
        full = normal_cdf((grid - limit.value) / max(soft_spread, 1e-9))
        step_s = step_s + full * max(ctx.sat_mix.mean_s - plain, 0.0)
    step_s = np.maximum(step_s, 1e-9)
    stall = served * max(float(base.cycle_s[1] - base.cycle_s[0]), 0.0)
    occ = occupancy(
        served,
        o,
        step_s,
        hard_limit=hard,
        soft_limit=limit.value,
        soft_spread=soft_spread,
        # Bursty arrivals: counts over long windows vary cv² times more than Poisson's.
        dispersion=prefill_dispersion(stall) * max(cv * cv, 1.0),
    )
    state_step = np.interp(occ.running, grid, step_s)

    # Inter-token gaps: token-weighted batch sizes, each with its own step mix.
    decoders = occ.running * lengths.decode_steps / o
    by_token = representative_states(occ.running, occ.pmf, decoders / state_step, _STATES)
    # The batch a request arrives to (time-average = what Poisson arrivals see).
    at_arrival = representative_states(occ.running, occ.pmf, np.ones_like(decoders), _STATES)
    mixes = StateMixes.between(
        base, high, n_star, n_hi, np.concatenate([by_token, at_arrival]), served
    )
    values, probs = mixes.step_atoms()
    itl_values, itl_probs = values[:_STATES], probs[:_STATES] / _STATES
    itl_mean = float((itl_values * itl_probs).sum())

    u = U
    # The prefill cycle a request arrives in (duration-weighted) and how far into it.
    row = (u[7] * _STATES).astype(int)
    arrival_weights = mixes.weights[_STATES:]
    arrival_cycles = mixes.cycle_s[_STATES:]
    arrive = arrival_weights * arrival_cycles
    arrive_cdf = np.cumsum(arrive / arrive.sum(axis=1, keepdims=True), axis=1)
    kind = np.minimum((arrive_cdf[row] < u[0][:, None]).sum(axis=1), base.size - 1)
    cycle = arrival_cycles[row, kind]
    elapsed = u[1]
    # Clumping: seen from an arrival, a renewal process with inter-arrival CV c has, on each
    # side, (c² − 1)/2 more arrivals nearby than Poisson (renewal theory, long windows).
    clump = max(cv * cv - 1.0, 0.0) / 2.0
    ahead = poisson_quantiles(served * cycle * elapsed + clump * elapsed, u[2])
    behind = poisson_quantiles(served * cycle * (1.0 - elapsed) + clump * (1.0 - elapsed), u[3])
    own = lengths.prompt_grid[(u[4] * lengths.prompt_grid.size).astype(int)]
    mine = ahead * base.tokens_per_prompt + own
    group = mine + behind * base.tokens_per_prompt
    idle = u[5] > busy
    residual = np.where(idle, 0.0, (1.0 - elapsed) * cycle)
    prefill = base.prefill_times(np.where(idle, own, mine), np.where(idle, own, group))
    prefill_slope = (high.last_step_s[1] - base.last_step_s[1]) / spread
    shift = at_arrival[row] - n_star
    prefill = np.maximum(prefill + np.where(idle, 0.0, prefill_slope * shift), 1e-9)
    variability = (cv * cv + 1.0) / 2.0
    queue = np.where(u[2] < occ.wait_probability, -np.log(u[3]) * variability / occ.wait_rate, 0.0)
    if not stable:
        # The backlog grows through the run: the average request waits for half of it.
        queue = queue + num_requests / 2.0 * (1.0 / served - 1.0 / rate)
    ttft = queue + residual + prefill

    # TPOT: a request's gaps average the token-weighted step, shifted by the batch it met
    # (partly: the batch drifts while it decodes), plus the noise of averaging o − 1 steps.
    arrival_step = mixes.mean_step_s()[_STATES:]
    drift = (arrival_step - arrival_step.sum() / _STATES)[row] * TPOT_STATE_PERSISTENCE
    out = lengths.output_grid[(u[6] * lengths.output_grid.size).astype(int)]
    gaps = out - 1.0
    noise = Z * base.stdev_s / np.sqrt(np.maximum(gaps, 1.0))
    tpot = np.maximum(itl_mean + drift + noise, 1e-9)
    e2e = ttft + gaps * tpot
    running = occ.mean_running
    return AnalyticResult(
        ttft_ms=percentiles_ms(ttft),
        itl_ms=atoms_percentiles_ms(itl_values.ravel(), itl_probs.ravel()),
        tpot_ms=percentiles_ms(tpot[gaps > 0]),
        e2e_ms=percentiles_ms(e2e),
        output_tokens_per_s=served * o,
        total_tokens_per_s=served * (o + lengths.p),
        requests_per_s=served,
        kv_cache_usage=kv_usage(ctx, running * lengths.decode_steps / o),
        mean_queue_length=served * float((queue + residual).sum()) / POINTS,
        mean_batch_size=running,
        saturation_rps=ctx.sat_rate,
        utilization=rate / ctx.sat_rate,
        stable=stable,
        mean_step_ms=float(np.dot(occ.pmf, state_step)) * MS_PER_S,
        mean_decode_batch=float(np.dot(occ.pmf, decoders)),
    )
