"""Closed-form ("fluid") model of a continuous-batching engine under a load, vectorized.

Given the step time ``t(P, A, D, K)`` of one iteration (``core.latency``), a scheduler
(max running sequences ``S``, token budget ``M``, KV capacity ``C`` tokens) and a workload
(mean prompt ``I``, output ``O`` tokens), every scenario is evaluated in closed form, for many
scenarios at once (numpy arrays; calibration fits on thousands of measurements with it).
:func:`evaluate` composes the parts, each module stating its own maths:

* ``fluid_steady`` — step times of the steady state at ``B`` running sequences (a two-point
  mixture of decode-only and prefill-carrying steps), the capacity ``B_max``, the open-loop
  batch of Little's law;
* ``fluid_load`` — each load kind's operating point (saturated rate ``μ``, running batch,
  synchronised waves, backlog) and the stratified grid of request samples;
* ``fluid_queueing`` — waits: Kingman at the prefill budget, clustered arrivals' light-traffic
  excess, the prefill service time of lognormal prompts;
* ``fluid_ttft`` — TTFT per load kind (open loop, burst, closed loop, static batch);
* ``fluid_decode`` — TPOT spread, first-wave stalls, the three-point ITL mixture, the drain
  tail of a finite run;
* ``fluid_stats`` — the sample grid, lognormal quantiles, mixture quantiles, percentiles.

**Throughput** per replica: the offered rate ``λ`` of a sustainable open loop (``μ`` above
capacity), and for one of ``N`` requests ``N`` over the time from its first arrival to its
last finish, as a benchmark times it (:func:`~predeploy.core.fluid_decode.open_loop_end_s`;
no more than ``μ``); for a closed loop the steady rate
``c/(mean TTFT + (O − 1)·t̄)`` within capacity (``μ`` above it), and for a finite one ``N``
over ``N`` ÷ that rate plus its tail, the longest request still in flight once the last has
started (:func:`~predeploy.core.fluid_decode.closed_loop_tail_s`); ``N`` over the run's
duration, which ends with its longest request, for bursts and finite max-throughput runs
(``μ`` for open-ended ones); ``b`` per mean E2E for a static batch. Totals multiply by the
replicas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from predeploy.core.fluid_decode import (
    MAX_OUTPUT_FACTOR,
    budget_run_s,
    closed_loop_chain_arrivals,
    closed_loop_tail_s,
    drain_end_s,
    drained_tpot,
    first_wave,
    itl_stats,
    open_loop_end_s,
    prefill_chain_arrivals,
    tpot_samples,
)
from predeploy.core.fluid_load import (
    DEFAULT_NUM_PROMPTS,
    OperatingPoint,
    operating_point,
    request_grid,
    static_batch,
)
from predeploy.core.fluid_queueing import INCOMPLETE_GAMMA_TERMS, MAX_STOCHASTIC_UTILISATION
from predeploy.core.fluid_stall_tpot import stalled_tpot_stats
from predeploy.core.fluid_stats import (
    GRID_POINTS,
    PERCENTILES,
    any_true,
    clamp,
    columns,
    latency_stats,
    row_mean,
)
from predeploy.core.fluid_steady import (
    BURST,
    CLOSED_LOOP,
    MAX_THROUGHPUT,
    OPEN_LOOP,
    STATIC_BATCH,
    SYNC_DECAY,
    FluidInputs,
    SteadyState,
    decode_context,
    held_prompt_tokens,
    max_batch,
    single_stream,
    steady_state,
)
from predeploy.core.fluid_ttft import time_to_first_token


@dataclass(frozen=True, slots=True)
class FluidResult:
    """Predicted metrics per scenario (ms and per-second totals over all replicas)."""

    metrics: dict[str, np.ndarray]
    batch: np.ndarray
    max_batch: np.ndarray
    saturation_rps: np.ndarray
    kv_usage: np.ndarray
    queue_length: np.ndarray
    #: Prompts arriving during one prefill batch of an open loop on an engine that runs them
    #: separately, :func:`~predeploy.core.fluid_decode.prefill_chain_arrivals` (0 elsewhere).
    prefill_chain_arrivals: np.ndarray
    #: The same for a closed loop at its throughput, whose chains the analytic mode does not
    #: price (:func:`~predeploy.core.fluid_decode.closed_loop_chain_arrivals`).
    closed_loop_chain_arrivals: np.ndarray


def evaluate(inp: FluidInputs, grid_points: int | None = None) -> FluidResult:
    """Every metric for every scenario (module docstring); latencies in ms.

    ``grid_points`` samples per scenario for request-level percentiles (default
    ``GRID_POINTS``; calibration uses fewer for speed)."""
    op = operating_point(inp)
    req = request_grid(inp, op, grid_points or GRID_POINTS)
    static = static_batch(inp, op)
    ttft = time_to_first_token(inp, op, req, static)
    wave = first_wave(inp, op, req)
    running_tpot = tpot_samples(inp, op, req, wave, static, ttft)
    tpot = drained_tpot(inp, op, req, ttft, running_tpot)
    paced = budget_run_s(inp, op)
    last_finish = drain_end_s(inp, op, ttft, paced)
    e2e = _within_run(
        ttft + np.maximum(req.output_tokens - 1.0, 0.0) * tpot,
        ttft,
        np.where(op.finite_run & np.isnan(paced), last_finish, np.inf),
    )

    metrics: dict[str, np.ndarray] = {}
    latency_stats({"ttft_ms": ttft * 1e3, "tpot_ms": tpot * 1e3, "e2e_ms": e2e * 1e3}, metrics)
    stalled_tpot_stats(inp, wave, req.output_tokens, tpot, metrics)
    itl_stats(inp, op, req, tpot, running_tpot, wave, static, metrics)
    replica_rps = _requests_per_s(inp, op, ttft, metrics["e2e_ms_mean"], last_finish)
    total_rps = replica_rps * inp.replicas
    metrics["requests_per_s"] = total_rps
    metrics["output_tokens_per_s"] = total_rps * inp.output_tokens
    prompt = inp.prompt_tokens + inp.cached_prompt_tokens + inp.held_context_tokens
    metrics["total_tokens_per_s"] = total_rps * (inp.output_tokens + prompt)
    metrics.update(single_stream(inp))
    # A cached shared prefix is held once, in use while any request runs.
    kv_tokens = op.decode_batch * decode_context(
        held_prompt_tokens(inp, op.prompt), inp.batch_output
    )
    shared = np.where(op.decode_batch > 0.0, inp.prefix_held_tokens, 0.0)
    kv_used = (kv_tokens + shared) / np.maximum(inp.kv_capacity_tokens + shared, 1.0)
    queue = np.where(op.kind == CLOSED_LOOP, np.maximum(op.concurrency - op.max_batch, 0.0), 0.0)
    return FluidResult(
        metrics=metrics,
        batch=op.decode_batch,
        max_batch=op.max_batch,
        saturation_rps=op.saturation_rps * inp.replicas,
        kv_usage=clamp(kv_used, 0.0, 1.0),
        queue_length=queue,
        prefill_chain_arrivals=prefill_chain_arrivals(inp, op),
        closed_loop_chain_arrivals=closed_loop_chain_arrivals(inp, op, replica_rps),
    )


def _within_run(e2e: np.ndarray, ttft: np.ndarray, run_end_s: np.ndarray) -> np.ndarray:
    """E2E samples (s) of a finite run no later than the run's end (``run_end_s`` per
    scenario; ``inf`` for other loads): the run ends with its longest request
    (:func:`~predeploy.core.fluid_decode.drain_end_s`, which decodes that request's last
    tokens in a drained batch), while a sample's E2E prices every one of its tokens at its
    TPOT. A 1,000-prompt burst of dispersed answers (Llama 3.1 8B, H100) ended after 35 s
    with an E2E p99 of 82 s (simulated: 27 s). Never below the sample's TTFT."""
    return np.asarray(np.maximum(np.minimum(e2e, columns(run_end_s)), ttft), dtype=float)


def _requests_per_s(
    inp: FluidInputs,
    op: OperatingPoint,
    ttft: np.ndarray,
    e2e_ms_mean: np.ndarray,
    last_finish: np.ndarray,
) -> np.ndarray:
    """Requests per second per replica by load kind (module docstring; ``last_finish``: when
    a finite run ends, :func:`~predeploy.core.fluid_decode.drain_end_s`)."""
    kind, mu, rate, conc = op.kind, op.saturation_rps, op.rate_rps, op.concurrency
    finite = np.isfinite(inp.num_prompts)
    # Bursts (the default) and each other load kind present, priced only where present.
    rps = op.num_prompts / np.maximum(last_finish, 1e-9)
    offline = kind == MAX_THROUGHPUT
    if any_true(offline):
        rps = np.where(offline, np.where(finite, rps, mu), rps)
    open_loop = kind == OPEN_LOOP
    if any_true(open_loop):
        rps_open_run = rate
        if any_true(finite & open_loop):
            end_s = open_loop_end_s(inp, op, row_mean(ttft))
            rps_open_run = op.num_prompts / np.maximum(end_s, 1e-9)
        rps_open = np.where(
            rate > mu,
            np.where(finite, np.minimum(mu, rps_open_run), mu),
            np.where(finite, rps_open_run, rate),
        )
        rps = np.where(open_loop, rps_open, rps)
    closed = kind == CLOSED_LOOP
    if any_true(closed):
        # Never faster than the API server admits requests (it paces a loop of many clients).
        front_cap = 1.0 / np.maximum(op.frontend_s, 1e-12)
        steady_closed = np.where(
            conc > op.max_batch,
            mu,
            np.minimum(
                conc / np.maximum(row_mean(ttft) + op.decode_steps * op.steady.t_mean, 1e-9),
                front_cap,
            ),
        )
        rps_closed = steady_closed
        finite_closed = finite & closed
        if any_true(finite_closed):
            in_flight = np.minimum(conc, op.max_batch)
            closed_tail = closed_loop_tail_s(inp, in_flight, finite_closed)
            rps_closed = op.num_prompts / (
                op.num_prompts / np.maximum(steady_closed, 1e-9) + closed_tail
            )
        rps = np.where(closed, rps_closed, rps)
    static = kind == STATIC_BATCH
    if any_true(static):
        rps_static = np.maximum(inp.batch_size, 1.0) / np.maximum(e2e_ms_mean / 1e3, 1e-9)
        rps = np.where(static, rps_static, rps)
    return np.asarray(rps, dtype=float)


__all__ = [
    "BURST",
    "CLOSED_LOOP",
    "DEFAULT_NUM_PROMPTS",
    "GRID_POINTS",
    "INCOMPLETE_GAMMA_TERMS",
    "MAX_OUTPUT_FACTOR",
    "MAX_STOCHASTIC_UTILISATION",
    "MAX_THROUGHPUT",
    "OPEN_LOOP",
    "PERCENTILES",
    "STATIC_BATCH",
    "SYNC_DECAY",
    "FluidInputs",
    "FluidResult",
    "SteadyState",
    "evaluate",
    "max_batch",
    "steady_state",
]
