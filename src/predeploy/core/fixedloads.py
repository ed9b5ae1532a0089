"""Closed-loop, all-at-once and static-batch loads in the analytic mode.

A closed loop keeps min(clients, N_max) running and queues the rest; requests queued all at
once (burst, max-throughput) start as places free up, the i-th after (i − N_max)/X; a static
batch is walked step by step. Identical requests queued at once stay in lockstep and are
admitted in waves (:meth:`~predeploy.core.stepmix.StepMix.waves`).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from predeploy.core.metrics import (
    MS_PER_S,
    AnalyticResult,
    atoms_percentiles_ms,
    flat_percentiles_ms,
    percentiles_ms,
)
from predeploy.core.poisson_counts import poisson_quantiles
from predeploy.core.quasirandom import POINTS, U, Z
from predeploy.core.saturation import LoadContext, kv_usage, recompute_per_request
from predeploy.core.stepmix import StepMix


def _running_mix(ctx: LoadContext, running: float) -> StepMix:
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


def closed_loop(ctx: LoadContext, clients: int) -> AnalyticResult:
    """``clients`` requests always in flight: min(clients, N_max) run, the rest queue."""
    running = min(float(clients), ctx.limit.value)
    mix = _running_mix(ctx, running)
    rate = running / (ctx.lengths.o * mix.mean_s)
    waiting = max(float(clients) - running, 0.0)
    # Each request queues behind ``waiting`` others served at ``rate``, then one prefill step.
    wait = np.full(POINTS, waiting / rate)
    return _fixed_population(ctx, mix, rate, running, wait, waiting)


def all_at_once(ctx: LoadContext, count: int) -> AnalyticResult:
    """``count`` requests at t = 0: the i-th starts after (i − N_max)/X once the batch is full.

    Identical requests (fixed lengths) stay in lockstep and are admitted in waves
    (:meth:`StepMix.waves`).
    """
    running = min(float(count), ctx.limit.value)
    lengths = ctx.lengths
    identical = lengths.prompt_grid.size == 1 and lengths.output_grid.size == 1
    if identical:
        mix = StepMix.waves(
            ctx.step,
            ctx.config.max_num_batched_tokens,
            lengths,
            running=running,
            extra_prefill_tokens=recompute_per_request(ctx.config, ctx.limit, lengths),
        )
    else:
        mix = _running_mix(ctx, running)
    rate = running / (ctx.lengths.o * mix.mean_s)
    position = U[0] * count
    wait = np.maximum(position - running, 0.0) / rate
    backlog = max(float(count) - running, 0.0)
    return _fixed_population(ctx, mix, rate, running, wait, backlog / 2.0)


def _fixed_population(
    ctx: LoadContext,
    mix: StepMix,
    rate: float,
    running: float,
    wait: NDArray[np.float64],
    queue_length: float,
) -> AnalyticResult:
    lengths = ctx.lengths
    tau = mix.mean_s
    own = lengths.prompt_grid[(U[4] * lengths.prompt_grid.size).astype(int)]
    # Those admitted with it: the others that finished the step before, Poisson(N/o).
    others = poisson_quantiles(np.full(POINTS, running / lengths.o), U[2])
    group = own + mix.tokens_per_prompt * others
    ttft = wait + mix.prefill_times(own, group)
    out = lengths.output_grid[(U[6] * lengths.output_grid.size).astype(int)]
    gaps = out - 1.0
    tpot = np.maximum(tau + Z * mix.stdev_s / np.sqrt(np.maximum(gaps, 1.0)), 0.0)
    values, probs = mix.step_atoms()
    return AnalyticResult(
        ttft_ms=percentiles_ms(ttft),
        itl_ms=atoms_percentiles_ms(values, probs),
        tpot_ms=percentiles_ms(tpot[gaps > 0]),
        e2e_ms=percentiles_ms(ttft + gaps * tpot),
        output_tokens_per_s=rate * lengths.o,
        total_tokens_per_s=rate * (lengths.o + lengths.p),
        requests_per_s=rate,
        kv_cache_usage=kv_usage(ctx, mix.decoders),
        mean_queue_length=queue_length,
        mean_batch_size=running,
        saturation_rps=ctx.sat_rate,
        utilization=rate / ctx.sat_rate,
        stable=True,
        mean_step_ms=tau * MS_PER_S,
        mean_decode_batch=mix.decoders,
    )


def static_batch(ctx: LoadContext, batch: int) -> AnalyticResult:
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
        itl_ms=flat_percentiles_ms(decode_s / (out - 1) if out > 1 else 0.0),
        tpot_ms=percentiles_ms((e2e - ttft) / (out - 1) if out > 1 else np.zeros(0)),
        e2e_ms=flat_percentiles_ms(e2e),
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
