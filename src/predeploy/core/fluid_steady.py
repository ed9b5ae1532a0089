"""Steady-state building blocks of the fluid serving model (see ``core.fluid``).

The scenario arrays (:class:`FluidInputs`), the step times of a steady state at a running batch
(:func:`steady_state`), the largest batch the scheduler allows (:func:`max_batch`), the open-loop
operating batch (Little's law, :func:`solve_open_loop_batch`) and batch-1 speeds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from predeploy.core.latency import ParamArrays, step_time
from predeploy.core.roofline import HardwareRates, StepShape

#: Prompt tokens recomputed per output token when the KV cache limits the running batch of an
#: engine that admits greedily and preempts (vLLM recompute preemption, SGLang retraction):
#: 0.8, the value ``core.analytic`` derives from this package's simulator (observed 0.5-1.4).
KV_BOUND_RECOMPUTE_PER_OUTPUT_TOKEN = 0.8


@dataclass(frozen=True, slots=True)
class FluidInputs:
    """Arrays (one element per scenario) describing scenarios for :func:`evaluate`.

    Rates, concurrencies and prompt counts are per replica; ``replicas`` multiplies the
    throughputs back. ``served`` adds the per-request API overhead to TTFT (online benchmarks).
    ``reserve_full_context``: the engine reserves KV for ``I + O`` at admission (TensorRT-LLM's
    guaranteed-no-evict scheduler) rather than growing it.
    """

    shape: StepShape
    hw: HardwareRates
    eff: ParamArrays
    prompt_tokens: np.ndarray
    output_tokens: np.ndarray
    prompt_cv: np.ndarray
    output_cv: np.ndarray
    max_num_seqs: np.ndarray
    max_num_batched_tokens: np.ndarray
    kv_capacity_tokens: np.ndarray
    chunked_prefill: np.ndarray
    separate_prefill_batches: np.ndarray
    reserve_full_context: np.ndarray
    load_kind: np.ndarray
    rate_rps: np.ndarray
    arrival_cv: np.ndarray
    concurrency: np.ndarray
    batch_size: np.ndarray
    num_prompts: np.ndarray
    replicas: np.ndarray
    served: np.ndarray


@dataclass(frozen=True, slots=True)
class SteadyState:
    """Per-scenario steady-state quantities at a running batch ``B`` (seconds, tokens)."""

    batch: np.ndarray
    t_dec: np.ndarray
    t_mix: np.ndarray
    t_mean: np.ndarray
    prefill_share: np.ndarray
    budget: np.ndarray
    prefill_step_tokens: np.ndarray
    prefill_steps: np.ndarray
    full_prefill_s_per_token: np.ndarray
    slot_time: np.ndarray


def step_s(
    inp: FluidInputs, p: np.ndarray, a: np.ndarray, d: np.ndarray, k: np.ndarray
) -> np.ndarray:
    return np.asarray(step_time(inp.shape, inp.hw, inp.eff, p, a, d, k), dtype=float)


def steps_s(
    inp: FluidInputs, *points: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
) -> list[np.ndarray]:
    """Several step times per scenario in one vectorized call: each point is ``(P, A, D,
    K)``, arrays with one element per scenario."""
    stacked = [np.stack([pt[i] for pt in points]) for i in range(4)]
    times = step_s(inp, *stacked)
    return [times[i] for i in range(len(points))]


def prompt_tokens(inp: FluidInputs) -> np.ndarray:
    return np.asarray(np.maximum(inp.prompt_tokens, 1.0), dtype=float)


def decode_step_count(inp: FluidInputs) -> np.ndarray:
    return np.asarray(np.maximum(inp.output_tokens - 1.0, 0.0), dtype=float)


def steady_state(
    inp: FluidInputs,
    batch: np.ndarray,
    sync: np.ndarray | float = 0.0,
    backlog: np.ndarray | float = 0.0,
) -> SteadyState:
    """Step times and shares at ``batch`` running sequences (module docstring).

    ``sync`` ∈ [0, 1]: how synchronised the running requests are. Fixed-length requests
    that start together (a burst, a closed loop, an offline run) finish together and are
    replaced together, so prompts arrive in waves of ``B·I`` tokens that fill whole token
    budgets; independent arrivals bring one prompt at a time. ``backlog`` (0/1): prompts are
    waiting; an engine with separate prefill batches then fills the whole budget."""
    prompt = prompt_tokens(inp)
    out = np.maximum(inp.output_tokens, 1.0)
    budget_tokens = inp.max_num_batched_tokens
    budget = np.where(
        inp.chunked_prefill,
        np.maximum(budget_tokens - batch, 0.25 * budget_tokens),
        np.maximum(budget_tokens, prompt),
    )
    # A running batch that fills the KV cache of an engine that grows KV on demand (vLLM,
    # SGLang) preempts/retracts and recomputes: ~0.8 prompt tokens per output token.
    kv_full = (~inp.reserve_full_context) & (batch >= 0.98 * kv_batch_limit(inp))
    recompute = np.where(kv_full, KV_BOUND_RECOMPUTE_PER_OUTPUT_TOKEN * batch, 0.0)
    mean_prefill = batch * prompt / out + recompute
    chunk_async = np.minimum(budget, np.maximum(prompt, mean_prefill))
    chunk_sync = np.minimum(budget, np.maximum(batch * prompt, prompt))
    chunk = sync * chunk_sync + (1.0 - sync) * chunk_async
    chunk = np.where(inp.separate_prefill_batches & (np.asarray(backlog) > 0), budget, chunk)
    share = np.clip(mean_prefill / chunk, 0.0, 1.0)
    kv = batch * (prompt + 0.5 * inp.output_tokens)
    zero = np.zeros_like(batch)
    t_dec, t_mix, t_full = steps_s(
        inp,
        (zero, zero, batch, kv),
        (chunk, chunk * prompt / 2.0, batch, kv),
        (budget, budget * prompt / 2.0, batch, kv),
    )
    t_mean = share * t_mix + (1.0 - share) * t_dec
    steps = np.maximum(np.ceil(prompt / budget - 1e-9), 1.0)
    slot = steps * t_mix + decode_step_count(inp) * t_mean
    return SteadyState(
        batch=batch,
        t_dec=t_dec,
        t_mix=t_mix,
        t_mean=t_mean,
        prefill_share=share,
        budget=budget,
        prefill_step_tokens=chunk,
        prefill_steps=steps,
        full_prefill_s_per_token=t_full / budget,
        slot_time=slot,
    )


def kv_batch_limit(inp: FluidInputs) -> np.ndarray:
    """Running sequences the KV cache holds (prompt + half the output each, or the whole
    output where the engine reserves it at admission)."""
    prompt = prompt_tokens(inp)
    out = np.maximum(inp.output_tokens, 1.0)
    context = np.where(inp.reserve_full_context, prompt + out, prompt + 0.5 * out)
    return np.asarray(inp.kv_capacity_tokens / context, dtype=float)


def max_batch(inp: FluidInputs) -> np.ndarray:
    """``B_max``: running sequences the slots, the KV cache and the token budget allow."""
    prompt = prompt_tokens(inp)
    out = np.maximum(inp.output_tokens, 1.0)
    kv_limit = kv_batch_limit(inp)
    token_limit = inp.max_num_batched_tokens * out / (prompt + out)
    limit = np.minimum(np.minimum(inp.max_num_seqs, kv_limit), token_limit)
    return np.asarray(np.maximum(limit, 1.0), dtype=float)


def _slot_time(inp: FluidInputs, batch: np.ndarray) -> np.ndarray:
    """``steady_state(inp, batch).slot_time`` with only the two step times it needs."""
    prompt = prompt_tokens(inp)
    out = np.maximum(inp.output_tokens, 1.0)
    budget_tokens = inp.max_num_batched_tokens
    budget = np.where(
        inp.chunked_prefill,
        np.maximum(budget_tokens - batch, 0.25 * budget_tokens),
        np.maximum(budget_tokens, prompt),
    )
    mean_prefill = batch * prompt / out
    chunk = np.minimum(budget, np.maximum(prompt, mean_prefill))
    share = np.clip(mean_prefill / chunk, 0.0, 1.0)
    kv = batch * (prompt + 0.5 * inp.output_tokens)
    zero = np.zeros_like(batch)
    t_dec, t_mix = steps_s(inp, (zero, zero, batch, kv), (chunk, chunk * prompt / 2.0, batch, kv))
    steps = np.maximum(np.ceil(prompt / budget - 1e-9), 1.0)
    return np.asarray(
        steps * t_mix + decode_step_count(inp) * (share * t_mix + (1.0 - share) * t_dec),
        dtype=float,
    )


#: Regula-falsi (Illinois) steps for the open-loop operating batch; the residual
#: ``λ·slot_time(B) − B`` is nearly linear in ``B``, so a few steps reach float precision.
OPEN_LOOP_SOLVER_ITERATIONS = 10


def solve_open_loop_batch(inp: FluidInputs, rate: np.ndarray, b_max: np.ndarray) -> np.ndarray:
    """Batch ``B`` with ``B = λ·slot_time(B)`` on [0, B_max] (B_max when the load exceeds
    capacity). Illinois regula falsi: bracketed, so it cannot leave [0, B_max]."""
    if not np.any(rate > 0):
        return np.asarray(np.maximum(b_max, 1e-3), dtype=float)
    floor = 1e-3
    a = np.full_like(b_max, floor)
    fa = rate * _slot_time(inp, a) - a
    b = np.maximum(b_max, floor)
    fb = rate * _slot_time(inp, b) - b
    saturated = fb >= 0
    for _ in range(OPEN_LOOP_SOLVER_ITERATIONS):
        denom = np.where(np.abs(fb - fa) > 1e-300, fb - fa, 1e-300)
        c = np.clip(b - fb * (b - a) / denom, floor, b_max)
        fc = rate * _slot_time(inp, c) - c
        swap = fc * fb < 0
        a, fa = np.where(swap, b, a), np.where(swap, fb, fa * 0.5)
        b, fb = c, fc
    return np.asarray(np.where(saturated | (rate <= 0), b_max, np.maximum(b, floor)), dtype=float)


def single_stream(inp: FluidInputs) -> dict[str, np.ndarray]:
    """Batch-1 speeds (tokens/s): ``decode = 1 / t(0, 0, 1, I + O/2)``, ``prefill = I / Σ t``
    over ``⌈I / M⌉`` equal micro-batches (Σ chunk × (cached + chunk/2) = I²/2)."""
    prompt = prompt_tokens(inp)
    zero = np.zeros_like(prompt)
    one = np.ones_like(prompt)
    chunks = np.maximum(np.ceil(prompt / inp.max_num_batched_tokens - 1e-9), 1.0)
    size = prompt / chunks
    decode_s, chunk_s = steps_s(
        inp,
        (zero, zero, one, prompt + 0.5 * inp.output_tokens),
        (size, prompt * size / 2.0, zero, zero),
    )
    prefill_s = chunks * chunk_s
    return {
        "decode_tokens_per_s_single_stream": 1.0 / decode_s,
        "prefill_tokens_per_s_single_stream": prompt / prefill_s,
    }
