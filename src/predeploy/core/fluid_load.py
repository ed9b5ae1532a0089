"""The operating point of each load kind in the fluid serving model (see ``core.fluid``).

**Capacity.** At the largest batch the scheduler allows, ``B_max`` (``fluid_steady.max_batch``),
the saturated request rate is ``μ = B_max / slot_time(B_max)``, and no more than ``1/f``
per second when a served replica's API server takes requests one at a time (``f`` seconds
each).

**Running batch per load.** Open-loop arrivals at ``λ``: ``B`` solves Little's law
``B = λ·slot_time(B)`` (``fluid_steady.solve_open_loop_batch``); a run of ``N`` stated
requests meets fewer on average, its first and last lifetimes short of ``B``
(``fluid_steady.finite_run_batch``), and above capacity queues once ``B_max`` run
(:func:`finite_run_wait_s`). Burst of ``N``:
``B = min(N, B_max)``. Closed loop with ``c`` clients: ``B = min(c, B_max)``. Static batch
of ``b``: ``B = b``. Max throughput: ``B_max``, or ``min(N, B_max)`` for a run of ``N``
stated prompts (an offline run never batches more prompts than it has). Loads other than
the open loop start requests together, so their requests stay in step to a degree
``sync = exp(−SYNC_DECAY × CV(output))``; prompts are waiting (a backlog) for bursts, closed
loops and stated offline runs larger than ``B_max`` and for unsized max-throughput runs.

**Last wave.** A finite run of ``N`` requests in ``W = ⌈N/B⌉`` waves ends with a wave of
``r = N − (W − 1)·B``, which decodes ``r`` sequences per step: its requests' TPOT and the
run's end take that step (``last_wave_step_s``) as far as the wave stays in step,
``wave_sync = sync·(1 − min(1, (B·I/budget)/(O − 1)))`` — a wave whose prompts take a share
of its decoding to prefill starts, and finishes, spread over that share (``sync`` alone where
prefill runs as separate batches: the wave decodes only once all of it is prefilled). As far
as it does not stay in step, the run's last request decodes after the last prompt has been
admitted: its steps carry no prefill, and the requests around it end one by one. Found in
progress in a steady stream, their answers have ``R`` tokens left with the equilibrium
residual law, so over the last request's ``K = O − 1`` steps ``1 + (B − 1)·E[min(R, K)]/K``
decode with it on average (``fluid_stats.lognormal_residual_limited_mean``): the run's end
takes that batch's decode-only step (``drain_step_s``). Priced at the running batch's mean
step, prefill included, GPUStack's TensorRT-LLM burst of 1,000 ShareGPT requests of Qwen3-14B
on an A100 ran 122 s against 72.5 s measured (the drained step: 93 s).

**Request samples.** Request-level percentiles come from a fixed stratified grid
(``fluid_stats.grid``) over queue position ``k`` (of the run's ``N`` requests), prompt and
output length (lognormal with the dataset's coefficient of variation) and queueing delay.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from predeploy.core.fluid_stats import (
    PERCENTILES,
    any_true,
    clamp,
    columns,
    first_match,
    grid,
    grid_normal,
    lognormal_at,
    lognormal_residual_limited_mean,
)
from predeploy.core.fluid_steady import (
    BURST,
    CLOSED_LOOP,
    MAX_THROUGHPUT,
    OPEN_LOOP,
    STATIC_BATCH,
    FluidInputs,
    RequestView,
    SteadyState,
    closed_loop_batch,
    completion_sync,
    decode_context,
    decode_step_count,
    front_paced_batch,
    frontend_s,
    held_prompt_tokens,
    kv_batch_limit,
    max_batch,
    prompt_tokens,
    running_context_variance,
    slot_batch_limit,
    solve_open_loop,
    started_run,
    steady_state,
    step_s,
    steps_s,
    token_batch_limit,
)
from predeploy.core.lengths import started_run_age_share
from predeploy.core.new_token_ratio import CLIP_MAX_NEW_TOKENS
from predeploy.core.prefix_cache import history_missed_quantiles, routed_history_moments

#: Requests assumed in an open-loop or max-throughput run that states no ``num_prompts``
#: (benchmark defaults: vLLM ``bench serve`` 1000 prompts, trtllm-bench/gptManagerBenchmark
#: 1000-3000). Only matters when the load exceeds capacity.
DEFAULT_NUM_PROMPTS = 2000.0


@dataclass(frozen=True, slots=True)
class OperatingPoint:
    """Per-scenario quantities of a load at its operating point (seconds, tokens, per replica)."""

    kind: np.ndarray
    #: Mean prompt tokens ``I`` (at least 1) and decode steps ``O − 1`` per request.
    prompt: np.ndarray
    decode_steps: np.ndarray
    max_batch: np.ndarray
    #: The steady state at ``B_max`` (capacity) and at the running batch ``B``.
    saturated: SteadyState
    steady: SteadyState
    batch: np.ndarray
    #: The batch the decoders run in: ``batch``, or, where an open loop's prefill batches
    #: chain, the larger one they leave waiting to decode (``steady.decode_cycle_s``'s).
    decode_batch: np.ndarray
    #: Seconds the API server spends per request, and the fixed per-request overhead (served
    #: loads only).
    frontend_s: np.ndarray
    overhead_s: np.ndarray
    #: ``μ``: the saturated request rate; ``rate_rps``: the offered (open loop) or saturated one.
    saturation_rps: np.ndarray
    rate_rps: np.ndarray
    #: Prompts admitted per second, ``min(rate, μ)``: above capacity the rest wait in the
    #: queue, so the running batch meets prefills at the saturated rate however much more
    #: is offered.
    admitted_rps: np.ndarray
    #: Requests in the run (``DEFAULT_NUM_PROMPTS`` when unstated) and closed-loop clients.
    num_prompts: np.ndarray
    concurrency: np.ndarray
    #: Requests that start together: a burst's first wave, a closed loop's first wave.
    burst_wave: np.ndarray
    closed_wave: np.ndarray
    #: A finite closed loop whose KV cache fills as its answers grow
    #: (:func:`closed_loop_slot_wait_s`).
    fills_cache: np.ndarray
    #: How far the requests of a wave stay in step: ``sync`` (module docstring), less the
    #: share of their decoding over which their prefill spreads their starts.
    wave_sync: np.ndarray
    #: Whether the load is a finite run: a burst, or an offline run of stated length.
    finite_run: np.ndarray
    #: A finite run (burst, offline run of stated length) in ``W`` waves of ``B`` requests
    #: ends with a wave of ``r = N − (W − 1)·B`` (``W = 1``, ``r = N`` for other loads), whose
    #: decode step runs ``r`` sequences: ``last_wave_step_s``.
    waves: np.ndarray
    last_wave_step_s: np.ndarray
    #: The decode-only step of the batch that drains around a run's last request once the
    #: last prompt is in (module docstring, **Last wave**; the running batch's mean step for a
    #: run in one wave or other loads, which never use it).
    drain_step_s: np.ndarray
    #: Variance (tokens²) of a running request's context, for closed loops
    #: (:func:`~predeploy.core.fluid_steady.running_context_variance`; 0 for other loads).
    context_variance: np.ndarray


def operating_point(inp: FluidInputs) -> OperatingPoint:
    """Capacity, running batch and steady state of every scenario's load (module docstring)."""
    kind = inp.load_kind
    prompt = prompt_tokens(inp)
    b_max = max_batch(inp)
    n_prompts = np.where(np.isfinite(inp.num_prompts), inp.num_prompts, DEFAULT_NUM_PROMPTS)
    batch = np.where(kind == STATIC_BATCH, inp.batch_size, b_max)
    context_variance = np.zeros(kind.shape)
    if any_true(kind == CLOSED_LOOP):
        context_variance = running_context_variance(inp)
        batch = np.where(
            kind == CLOSED_LOOP, closed_loop_batch(inp, b_max, context_variance), batch
        )
    # A burst, and an offline run of a stated number of prompts, never runs more than it has.
    finite = started_run(inp)
    finite_offline = finite & (kind == MAX_THROUGHPUT)
    batch = np.where(finite, np.minimum(n_prompts, b_max), batch)
    view = RequestView.of(inp, b_max)
    # Each API-server process takes requests one at a time: no more than N/f per second per
    # replica (N processes) reach the engine, however many more are offered.
    frontend = frontend_s(inp)
    front_cap = 1.0 / np.maximum(frontend, 1e-12)
    open_rate = np.where(kind == OPEN_LOOP, np.minimum(inp.rate_rps, front_cap), 0.0)
    # The rate at which an engine with separate prefill batches chains them
    # (fluid_steady.chained_decode_cycle_s; 0 where none chain).
    chain_rate = np.zeros(kind.shape)
    open_batch = batch
    if any_true(kind == OPEN_LOOP):
        solved = solve_open_loop(inp, open_rate, b_max, view)
        # The prefill side (TTFT) at the batch without chains, the decode side at the one
        # they leave (fluid_steady.chained_decode_cycle_s).
        open_batch = solved.batch
        batch = np.where(kind == OPEN_LOOP, solved.unchained_batch, batch)
        chain_rate = np.where(kind == OPEN_LOOP, solved.chain_rate_rps, 0.0)
    # A closed loop the API server paces holds fewer than its clients in the engine.
    paced = (kind == CLOSED_LOOP) & (frontend > 0.0)
    if any_true(paced):
        front_batch = front_paced_batch(inp, np.where(paced, front_cap, np.inf), b_max)
        batch = np.minimum(batch, front_batch)
    sync = completion_sync(inp)
    waiting = first_match(
        [kind == BURST, kind == CLOSED_LOOP, kind == MAX_THROUGHPUT],
        [n_prompts > b_max, inp.concurrency > b_max, ~finite_offline | (n_prompts > b_max)],
        False,
    )
    # Capacity (the steady state at B_max, prompts always waiting) and the running batch's
    # steady state, priced in one call.
    chains = np.asarray(inp.separate_prefill_batches, dtype=bool) & (chain_rate > 0.0)
    chained_batch = np.where(chains, open_batch, batch)
    zero = np.zeros(b_max.shape)
    batches = [b_max, batch]
    syncs = [np.where(kind == OPEN_LOOP, 0.0, 1.0), sync]
    backlogs = [np.ones(b_max.shape), waiting.astype(float)]
    chain_rates = [zero, zero]
    if any_true(chains):
        # The chained batch's steady state lends the decode side its cycle.
        batches.append(chained_batch)
        syncs.append(sync)
        backlogs.append(backlogs[1])
        chain_rates.append(chain_rate)
    sat, steady, *chained = steady_state(
        inp, np.array(batches), np.array(syncs), np.array(backlogs), view, np.array(chain_rates)
    ).rows()
    if chained:
        steady = steady.with_decode_side(chained[0])
    waves = np.where(finite, np.ceil(n_prompts / np.maximum(batch, 1.0) - 1e-9), 1.0)
    # A wave whose prompts take a share of its decoding to prefill starts (and ends) spread
    # over that share: it stays in step only for the rest. Separate prefill batches run the
    # whole wave's prefill before it decodes: it starts, and ends, together.
    wave_prefill_steps = batch * prompt / np.maximum(steady.budget, 1.0)
    spread = clamp(wave_prefill_steps / np.maximum(decode_step_count(inp), 1.0), 0.0, 1.0)
    spread = np.where(inp.separate_prefill_batches, 0.0, spread)
    last_step, drain_step = steady.t_dec, steady.decode_cycle_s
    if any_true(waves > 1.0):
        last = np.where(finite, n_prompts - (waves - 1.0) * batch, batch)
        zero = np.zeros_like(last)
        last_step = step_s(inp, zero, zero, last, last * decode_context(prompt, inp.output_tokens))
        window = np.maximum(decode_step_count(inp), 1.0)
        left = lognormal_residual_limited_mean(
            window, inp.output_quantile_mean, inp.output_quantile_cv
        )
        draining = 1.0 + np.maximum(batch - 1.0, 0.0) * left / window
        context = draining * decode_context(prompt, inp.batch_output)
        drain_step = step_s(inp, zero, zero, draining, context)
    mu = np.minimum(b_max / sat.slot_time, front_cap)
    rate = np.where(kind == OPEN_LOOP, inp.rate_rps, mu)
    conc = np.maximum(inp.concurrency, 1.0)
    # A closed loop whose cache fills as its answers grow starts as many clients as the slots
    # and the cache hold with their prompts alone, the answers not begun (the simulation, 256
    # clients of ShareGPT-like lengths on an L4 whose steady batch is 152: all 256 at once).
    fills = _fills_its_cache(inp, kind, conc, b_max)
    fresh_limit = np.maximum(
        np.minimum(inp.max_num_seqs, inp.kv_capacity_tokens / held_prompt_tokens(inp, prompt)),
        b_max,
    )
    return OperatingPoint(
        kind=kind,
        prompt=prompt,
        decode_steps=decode_step_count(inp),
        max_batch=b_max,
        saturated=sat,
        steady=steady,
        batch=batch,
        decode_batch=chained_batch,
        frontend_s=frontend,
        # A gated server does a request's own work before the engine sees it (its TTFT pays it).
        overhead_s=np.where(inp.served, inp.eff.request_overhead_s, 0.0)
        + np.where(inp.gated_front_end, frontend, 0.0),
        saturation_rps=mu,
        rate_rps=rate,
        admitted_rps=np.minimum(rate, mu),
        num_prompts=n_prompts,
        concurrency=conc,
        burst_wave=np.maximum(np.minimum(n_prompts, _burst_wave_limit(inp, b_max)), 1.0),
        closed_wave=np.maximum(np.minimum(conc, np.where(fills, fresh_limit, b_max)), 1.0),
        fills_cache=fills,
        wave_sync=sync * (1.0 - spread),
        finite_run=finite,
        waves=waves,
        last_wave_step_s=last_step,
        drain_step_s=np.asarray(drain_step, dtype=float),
        context_variance=context_variance,
    )


def finite_run_wait_s(op: OperatingPoint, k: np.ndarray) -> np.ndarray:
    """The wait for a slot of the ``k``-th request of a finite open loop above capacity (``k``
    per scenario as columns, seconds). Prompts are admitted as they arrive, no faster than
    the prefill budget takes them (``λ_a = min(λ, 1/(I·c))``, ``c`` a prompt token's share of
    a full-budget step), until ``B_max`` run; from then on one per completion, at ``μ``. So
    the ``k``-th starts at ``min(k, B_max)/λ_a + max(k − B_max, 0)/μ`` and waits that less
    its arrival ``k/λ``, if positive. Zero for a load within capacity."""
    col = columns
    rate = np.maximum(op.rate_rps, 1e-12)
    prefill_rps = 1.0 / np.maximum(op.prompt * op.steady.full_prefill_s_per_token, 1e-12)
    admit = np.minimum(rate, prefill_rps)
    start = np.minimum(k, col(op.max_batch)) / col(admit) + np.maximum(
        k - col(op.max_batch), 0.0
    ) / col(op.saturation_rps)
    overloaded = col((rate > op.saturation_rps).astype(float))
    return np.asarray(overloaded * np.maximum(start - k / col(rate), 0.0), dtype=float)


#: Fixed-point iterations for the time into a run at which its ``k``-th request arrives
#: (:func:`closed_loop_slot_wait_s`: the batch the run holds, so its completion rate, depends
#: on it). Eight bring every wait of ``bench/kv_bound_agreement.py``'s finite closed loops
#: within 0.1 % of the converged one (four: 8 %, for 4,000-token answers at 128 clients).
SLOT_WAIT_TIME_ITERATIONS = 8
#: Points of each growing run's age curve (:func:`closed_loop_slot_wait_s`), interpolated.
RUN_AGE_CURVE_POINTS = 129


def closed_loop_slot_wait_s(inp: FluidInputs, op: OperatingPoint, index: np.ndarray) -> np.ndarray:
    """The wait for a running slot of a closed loop's later requests (s; ``index``: each
    sample's place in the run, rows of scenarios): the ``c − B_max`` clients beyond the
    running batch queue, ``(c − B_max)/μ``.

    Where the KV cache sets ``B_max``, grows on demand and the answers are dispersed, a
    finite run does not reach it at once. Its clients start together, and ``t`` into the run
    a running request has decoded ``s(t)`` of the steady state's mean (the renewal of answers,
    :func:`~predeploy.core.lengths.started_run_age_share`, blended with the steady state as
    far as the answers stay in step, ``completion_sync``): each holds ``I + s·O_run/2``
    tokens, the cache holds ``B(t) = C/(I + s·O_run/2)`` of them (no more than the slots and
    the token budget allow), and the ``k``-th request, arriving after ``k`` completions at
    ``μ(t) = μ·B(t)/B_max`` a second, waits ``(c − B(t))⁺/μ(t)``. The simulation, Llama 3.1
    8B FP8 on an L4, 256 clients of ShareGPT-like lengths (225/205 tokens, CV 1.2/2), 2,000
    requests: all 256 run 45 s in (the cache 93 % full), 200 at 150 s; TTFT mean 5.0 s, where
    every request waiting for the steady batch had given 18 s."""
    col = columns
    b_max, mu = op.max_batch, op.saturation_rps
    steady = col(np.maximum(op.concurrency - b_max, 0.0) / mu)
    growing = op.fills_cache
    if not any_true(growing):
        return steady
    # Each growing row's age curve, in decode steps, up to the slowest run's end (rate ≥ μ).
    horizon = inp.num_prompts / (mu * op.steady.t_mean)
    curves: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for r in np.flatnonzero(growing):
        steps = np.linspace(0.0, horizon[r], RUN_AGE_CURVE_POINTS)
        # The answers' law: the log-normal before its cut at ``output_max``.
        mean, cv, cap = (
            float(a[r]) for a in (inp.output_quantile_mean, inp.output_quantile_cv, inp.output_max)
        )
        curves[int(r)] = steps, started_run_age_share(mean, cv, cap, steps)
    sync = col(completion_sync(inp))
    other_limits = col(np.minimum(inp.max_num_seqs, token_batch_limit(inp)))

    def batch_at(elapsed_s: np.ndarray) -> np.ndarray:
        decoded = elapsed_s / col(op.steady.t_mean)
        share = np.ones_like(decoded)
        for r, (steps, curve) in curves.items():
            share[r] = np.interp(decoded[r], steps, curve)
        share = sync + (1.0 - sync) * share
        held = col(held_prompt_tokens(inp, op.prompt)) + col(inp.batch_output / 2.0) * share
        return np.asarray(
            np.maximum(np.minimum(col(inp.kv_capacity_tokens) / held, other_limits), col(b_max)),
            dtype=float,
        )

    rate_per_batch = col(mu / b_max)
    elapsed = np.broadcast_to(index / col(mu), (len(b_max), index.shape[-1]))
    for _ in range(SLOT_WAIT_TIME_ITERATIONS):
        elapsed = index / (rate_per_batch * batch_at(elapsed / 2.0))
    batch = batch_at(elapsed)
    growing_wait = np.maximum(col(op.concurrency) - batch, 0.0) / (rate_per_batch * batch)
    return np.asarray(np.where(col(growing), growing_wait, steady), dtype=float)


def _fills_its_cache(
    inp: FluidInputs, kind: np.ndarray, concurrency: np.ndarray, b_max: np.ndarray
) -> np.ndarray:
    """The finite closed loops of more clients than the steady batch whose KV cache sets that
    batch, grows on demand and holds dispersed answers: their cache fills as the answers grow
    (:func:`closed_loop_slot_wait_s`)."""
    return np.asarray(
        (kind == CLOSED_LOOP)
        & np.isfinite(inp.num_prompts)
        & ~inp.reserve_full_context
        & (inp.output_cv > 0.0)
        & (concurrency > b_max)
        & (kv_batch_limit(inp) <= b_max * (1.0 + 1e-9)),
        dtype=bool,
    )


def _burst_wave_limit(inp: FluidInputs, b_max: np.ndarray) -> np.ndarray:
    """Requests a burst's first wave admits. Where prefill runs as its own batches (SGLang)
    every waiting prompt is prefilled while the slots and the KV cache allow, before the
    batch decodes: the wave is all of them, not the running batch the token budget can keep
    fed in steady state (``B_max``, :func:`~predeploy.core.fluid_steady.max_batch`).

    SGLang's admission counts a running request's answer at its ``new_token_ratio`` ``r``
    (0.7 at first), and the answers of the prompts joining the same batch in full
    (``core.new_token_ratio``): the wave fills the cache ``C`` at ``W·(I + r·O)`` tokens, less
    ``(1 − r)·O`` for each of the last batch's ``b = M/I`` prompts, so ``W = (C − b·(1 −
    r)·O)/(I + r·O)``, in whole requests. GPUStack's Qwen3-14B burst of 1,000 ShareGPT
    prompts on an H100: 943 admitted before the first decode step in the simulation, 789
    with whole answers held; the short answers' TPOT is the rest of that prefill."""
    limit = slot_batch_limit(inp)
    ratio = inp.admitted_answer_share
    if any_true(ratio < 1.0):
        prompt = held_prompt_tokens(inp)
        # Requested tokens as the admission counts them: clipped at 4,096.
        answer = np.clip(inp.output_tokens, 1.0, CLIP_MAX_NEW_TOKENS)
        last_batch = np.maximum(inp.max_num_batched_tokens / np.maximum(prompt, 1.0), 1.0)
        # Whole requests (the 1e-9 keeps a wave that fills the cache exactly from rounding
        # down a whole request).
        by_ratio = np.floor(
            (inp.kv_capacity_tokens - last_batch * (1.0 - ratio) * answer)
            / (prompt + ratio * answer)
            + 1e-9
        )
        limit = np.where(
            ratio < 1.0, np.minimum(inp.max_num_seqs, np.maximum(by_ratio, limit)), limit
        )
    return np.asarray(np.where(inp.separate_prefill_batches, limit, b_max), dtype=float)


@dataclass(frozen=True, slots=True)
class RequestGrid:
    """Request samples per scenario (rows) on the stratified grid (columns)."""

    points: int
    #: Uniforms of the queueing-delay dimension (a row).
    wait_u: np.ndarray
    #: Queue position ``k`` in the run and the request's index ``⌊k⌋``.
    position: np.ndarray
    index: np.ndarray
    #: Prompt tokens and output tokens (at least 1) of each sample.
    prompt_tokens: np.ndarray
    output_tokens: np.ndarray


def request_grid(inp: FluidInputs, op: OperatingPoint, points: int) -> RequestGrid:
    """``points`` request samples per scenario (module docstring)."""
    position = grid(0, points)[None, :] * columns(op.num_prompts)
    return RequestGrid(
        points=points,
        wait_u=grid(2, points)[None, :],
        position=position,
        index=np.floor(position),
        prompt_tokens=_prompt_samples(inp, op, points),
        output_tokens=clamp(
            inp.output_quantile_mean[:, None]
            * lognormal_at(grid_normal(3, points), inp.output_quantile_cv[:, None]),
            1.0,
            inp.output_max[:, None],
        ),
    )


#: The request samples' dimensions that draw whether a request misses its shared prefix in
#: the prefix cache, and how much of its conversation's history (``fluid_stats.grid``; 0-8
#: and 11 draw the others).
PREFIX_MISS_DIMENSION = 9
HISTORY_MISS_DIMENSION = 10


def _prompt_samples(inp: FluidInputs, op: OperatingPoint, points: int) -> np.ndarray:
    """The computed prompts of ``points`` request samples: lognormal of the mean prompt and
    its CV; where some requests miss their shared prefix (one of several) or part of their
    conversation's history, each request's own part, lognormal, and what that sample misses
    — the whole prefix, or a share of the history drawn as the router and the user's pause
    leave it (:func:`~predeploy.core.prefix_cache.history_missed_quantiles`): a few long
    prompts among short ones, as the requests are (the mean and CV alone would make every
    prompt a little longer)."""
    z = grid_normal(1, points)
    # Quantiles of the log-normal before the cut at the prompts' ``max``, cut there.
    quantiles = inp.prompt_quantile_mean[:, None] * lognormal_at(z, inp.prompt_quantile_cv[:, None])
    plain = np.asarray(
        np.where(
            columns(np.isfinite(inp.prompt_max)),
            np.minimum(quantiles, inp.prompt_max[:, None]),
            op.prompt[:, None] * lognormal_at(z, inp.prompt_cv[:, None]),
        ),
        dtype=float,
    )
    share, prefix = inp.prefix_hit_share, inp.prefix_tokens_cached
    found, history = inp.history_hit_share, inp.history_tokens_cached
    mixed_rows = (share < 1.0) | ((found < 1.0) & (history > 0.0))
    if not any_true(mixed_rows):
        return plain
    missed = (grid(PREFIX_MISS_DIMENSION, points)[None, :] >= columns(share)) * columns(prefix)
    own = op.prompt - (1.0 - share) * prefix
    own_var = (op.prompt * inp.prompt_cv) ** 2 - share * (1.0 - share) * prefix**2
    history_missed = np.zeros_like(plain)
    levels = grid(HISTORY_MISS_DIMENSION, points)
    for r in np.flatnonzero(mixed_rows & (found < 1.0)):
        replicas, turns = int(inp.history_replicas[r]), int(inp.history_turns[r])
        routed, routed_square = routed_history_moments(replicas, turns)
        survives = found[r] / routed
        history_missed[r] = history_missed_quantiles(replicas, turns, survives, levels)
        mean, square = 1.0 - found[r], 1.0 - 2.0 * survives * routed + survives * routed_square
        own[r] -= mean * history[r]
        own_var[r] -= (square - mean**2) * history[r] ** 2
    own = np.maximum(own, 1.0)
    own_cv = np.sqrt(np.maximum(own_var, 0.0)) / own
    samples = columns(own) * lognormal_at(z, columns(own_cv)) + missed
    samples += history_missed * columns(history)
    return np.asarray(np.where(columns(mixed_rows), samples, plain), dtype=float)


@dataclass(frozen=True, slots=True)
class StaticBatch:
    """Step times of a static batch (s): its one prefill pass, a decode step at the mean
    context and at the context of each of :data:`PERCENTILES`."""

    prefill_s: np.ndarray
    decode_mean_s: np.ndarray
    decode_quantile_s: list[np.ndarray]


def static_batch(inp: FluidInputs, op: OperatingPoint) -> StaticBatch:
    """A static batch of ``b`` requests: one prefill pass of ``b·I`` tokens (``b·I²/2``
    attention pairs), then ``O − 1`` decode steps of ``b`` sequences with growing context
    ``b (I + j)``. Zeros where no scenario is a static batch."""
    b = np.maximum(inp.batch_size, 1.0)
    zero = np.zeros_like(b)
    if not any_true(op.kind == STATIC_BATCH):
        return StaticBatch(zero, zero, [zero] * len(PERCENTILES))
    prompt = op.prompt
    points = [(b * prompt, b * prompt**2 / 2.0, zero, zero)]
    points.append((zero, zero, b, b * decode_context(prompt, inp.output_tokens)))
    points += [
        (zero, zero, b, b * (prompt + q / 100.0 * op.decode_steps)) for q in PERCENTILES.values()
    ]
    prefill_s, decode_mean_s, *decode_quantile_s = steps_s(inp, *points)
    return StaticBatch(prefill_s, decode_mean_s, decode_quantile_s)


__all__ = [
    "DEFAULT_NUM_PROMPTS",
    "OperatingPoint",
    "RequestGrid",
    "StaticBatch",
    "operating_point",
    "request_grid",
    "static_batch",
]
