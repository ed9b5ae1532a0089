"""What a simulation run records, and its summary: percentiles, rates and usage.

A run (:func:`~predeploy.core.simulator.run_simulation`) records per request its arrival,
first-token and finish times, and per engine step its start, duration and work. Inter-token
latency is kept as (step duration, measured decoders in that step) pairs -- each decoder saw
one gap equal to the step's duration -- plus the gaps across a preemption, from which
percentiles are exact (:func:`~predeploy.core.metrics.weighted_percentiles_ms`). TPOT per
request is (E2E − TTFT) / (output tokens − 1).

Rates are taken over a measurement window (see :func:`summarize_trace`); time averages over it
weight each step by its duration: KV usage = min(1, Σ blocks·duration / (capacity · window)),
mean batch = Σ running·duration / window, and mean queue = time-averaged requests in the
system (arrived, not finished) minus the mean batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from predeploy.core.metrics import SimulationResult, percentiles_ms, weighted_percentiles_ms


@dataclass(frozen=True)
class SimulationTrace:
    """Everything a run recorded: per request, per step, and totals (times in seconds)."""

    # Per request (index = request id, in arrival order).
    arrival_s: NDArray[np.float64]
    first_token_s: NDArray[np.float64]
    finish_s: NDArray[np.float64]
    prompt_tokens: NDArray[np.int64]
    output_tokens: NDArray[np.int64]
    preemptions: NDArray[np.int64]
    measured: NDArray[np.bool_]
    # Per engine step.
    step_start_s: NDArray[np.float64]
    step_duration_s: NDArray[np.float64]
    step_decode_seqs: NDArray[np.int64]
    #: Measured requests decoding in the step whose inter-token gap is the step's duration
    #: (those paused by prefill-only batches before it are in ``stalled_gap_s``).
    step_itl_weight: NDArray[np.int64]
    step_prefill_tokens: NDArray[np.int64]
    #: Tokens sampled at the end of the step (decodes plus prefills that completed).
    step_output_tokens: NDArray[np.int64]
    #: Requests in ``running`` during the step (decoding or prefilling).
    step_running: NDArray[np.int64]
    #: KV blocks in use during the step (after its allocations).
    step_kv_blocks: NDArray[np.int64]
    #: Inter-token gaps of measured requests across a preemption (recompute included).
    resumed_gap_s: NDArray[np.float64]
    #: Inter-token gaps that span prefill-only batches (separate prefill batches), with the
    #: measured decoders that saw each: the paused steps plus the next decode step.
    stalled_gap_s: NDArray[np.float64]
    stalled_gap_weight: NDArray[np.int64]
    # Totals.
    num_blocks: int
    final_used_blocks: int
    prefill_tokens_computed: int
    tokens_generated: int
    num_preemptions: int
    num_truncated: int
    open_loop: bool
    #: Requests at each end of the run left out of the steady-state window (see summary).
    warmup_requests: int
    static_batch: bool
    seed: int


def request_latencies_s(
    trace: SimulationTrace,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(TTFT, E2E) per request in seconds; a static batch's requests all end with the batch."""
    ttft = trace.first_token_s - trace.arrival_s
    finish = trace.finish_s
    if trace.static_batch:
        finish = np.full_like(finish, finish.max())
    return ttft, finish - trace.arrival_s


def summarize_trace(trace: SimulationTrace) -> SimulationResult:
    """Percentiles and rates of a run (see :class:`~predeploy.core.metrics.LoadResult`).

    Measurement window: without warm-up, the whole run from the first arrival to the last
    token (as serving benchmarks report it). With warm-up (w requests): for an open-loop run,
    from the first measured arrival to the last measured one (steady state: requests keep
    arriving through the cool-down, before the drain); for
    any other load, from the w-th completion to the w-th last (the ramp-up and the drain of a
    queue served all at once are left out).

    Rates of an open loop with warm-up count the requests whose first token falls in the
    window, and their prompt and output tokens: in steady state requests start as fast as
    they finish, and an overloaded server starts them only as fast as it finishes others
    (its capacity). Finishes counted over the window carry the change in the running batch,
    which near capacity is a fair share of the window's requests: MLPerf's Llama 3.1 8B on
    one H100 at 39.5 requests/s (vLLM's default settings) simulated at 35.6-45.0 requests/s
    over eight seeds of 1,000 measured requests counted by finishes, 37.8-39.6 by starts.
    """
    m = trace.measured
    ttft_all, e2e_all = request_latencies_s(trace)
    ttft, e2e = ttft_all[m], e2e_all[m]
    out = trace.output_tokens[m]
    multi = out > 1
    tpot = (e2e[multi] - ttft[multi]) / (out[multi] - 1)
    itl = weighted_percentiles_ms(
        np.concatenate([trace.step_duration_s, trace.resumed_gap_s, trace.stalled_gap_s]),
        np.concatenate(
            [
                trace.step_itl_weight,
                np.ones(trace.resumed_gap_s.size, np.int64),
                trace.stalled_gap_weight,
            ]
        ),
    )

    ends = trace.step_start_s + trace.step_duration_s
    run_start = float(trace.arrival_s.min())
    run_end = float(trace.finish_s.max())
    start, end = run_start, run_end
    w = trace.warmup_requests
    if w and trace.open_loop:
        start, end = float(trace.arrival_s[m].min()), float(trace.arrival_s[m].max())
    elif w:
        done = np.sort(trace.finish_s)
        start, end = float(done[w - 1]), float(done[-w])
    if end <= start:
        start, end = run_start, run_end
    window = max(end - start, 1e-12)
    in_window = (trace.step_start_s >= start) & (ends <= end)
    durations = trace.step_duration_s[in_window]
    first_in = (trace.first_token_s >= start) & (trace.first_token_s <= end)
    prompt_tokens = float(trace.prompt_tokens[first_in].sum())
    if w and trace.open_loop:
        # A steady open loop is counted by the requests it starts (docstring).
        requests = int(np.count_nonzero(first_in))
        out_tokens = float(trace.output_tokens[first_in].sum())
    else:
        requests = int(np.count_nonzero((trace.finish_s >= start) & (trace.finish_s <= end)))
        out_tokens = float(trace.step_output_tokens[in_window].sum())
    blocks = max(trace.num_blocks, 1)
    kv = trace.step_kv_blocks[in_window]
    # Time-averaged requests in the system (arrived, not finished) minus those running.
    overlap = np.minimum(trace.finish_s, end) - np.maximum(trace.arrival_s, start)
    in_system = float(np.clip(overlap, 0.0, None).sum()) / window
    batch = float(np.dot(trace.step_running[in_window], durations)) / window

    return SimulationResult(
        ttft_ms=percentiles_ms(ttft),
        itl_ms=itl,
        tpot_ms=percentiles_ms(tpot),
        e2e_ms=percentiles_ms(e2e),
        output_tokens_per_s=out_tokens / window,
        total_tokens_per_s=(out_tokens + prompt_tokens) / window,
        requests_per_s=requests / window,
        kv_cache_usage=min(1.0, float(np.dot(kv, durations)) / (blocks * window)),
        kv_cache_usage_peak=float(kv.max()) / blocks if kv.size else 0.0,
        mean_queue_length=max(0.0, in_system - batch),
        mean_batch_size=batch,
        num_preemptions=trace.num_preemptions,
        num_requests=int(trace.arrival_s.size),
        num_measured_requests=int(np.count_nonzero(m)),
        num_steps=int(trace.step_start_s.size),
        duration_s=run_end - run_start,
        prefill_tokens_computed=trace.prefill_tokens_computed,
        output_tokens_generated=trace.tokens_generated,
        num_truncated_requests=trace.num_truncated,
        seed=trace.seed,
    )
