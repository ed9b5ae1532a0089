"""Time to first token per load kind in the fluid serving model (see ``core.fluid``), seconds
per request sample.

**Service.** A request's own TTFT without queueing: the residual of the running step plus its
own prefill steps, ``t̄/2 + max(1, x/budget)·t_dec + x·(t_mix − t_dec)/p`` for an ``x``-token
prompt (``(t_mix − t_dec)/p`` no less than the per-token cost of a prompt that arrives alone:
requests in step share larger steps, but each waits for the whole of its own), plus its own
quadratic attention: a prompt of ``x`` tokens attends to ``x/2`` cached
tokens per token on average, the mixed step to ``E[x²]/(2E[x])``; plus the per-request
overhead of served loads. A scheduler that admits new requests only once every ``N`` steps
(multi-step scheduling) holds an arrival until the next admission: a further ``U·(N − 1)``
decode steps, ``U`` uniform (the first of the ``N`` is the residual step already counted),
and is prefilled with the prompts of the ``N − 1`` other steps of its group.

**Open loop** at ``λ``: service + the wait at the prefill budget (``ρ = λ·S``,
``fluid_queueing``): Kingman's mean, exponential over the share ``ρ`` that waits, for Poisson
arrivals; for clustered (gamma, CV > 1) ones the GI/M/1 picture, a share ``σ > ρ`` waiting
``S/(1 − σ)·(1 + c_s²)/2`` on average; + for clustered arrivals the excess
light-traffic wait behind the predecessor's prefill + a fluid backlog
``max(0, k/μ − k/λ − B_max/μ)`` for the k-th of ``N`` requests when ``λ > μ`` + the wait at
the API server (deterministic service ``f``: ``ρ_f·f·c_a²/(2(1 − ρ_f))``).

**Burst** (``N`` at once): the first ``W = min(N, B_max)`` are prefilled at the full budget one
after another, each later one starts when a slot frees, and the API server admits one request
per ``f``::

    TTFT_k = max((k mod W + 1)·s_burst + ⌊k/W⌋·slot_time, (k + 1)·f + s_burst)

**Closed loop** with ``c`` clients: the first ``c`` requests are a burst of waves of
``min(c, B_max)``; later ones wait ``(c − B)/μ`` for a slot plus their wait at the prefill
budget: a closed queue of the ``min(c, B_max)`` admitted clients, each away from the budget
for the rest of its request's lifetime (``fluid_queueing.closed_loop_wait``: mean-value
analysis, Pollaczek-Khinchine's wait for many clients, at most ``N − 1`` prompts ahead for
few), each bringing its prompt and, where the running batch fills the KV cache, its share of
the prompts recomputed after preemptions; those that find it busy wait exponentially, as in
the open loop.

**Static batch**: one prefill pass of ``b·I`` tokens (``fluid_load.static_batch``).
"""

from __future__ import annotations

import numpy as np

from predeploy.core.fluid_load import OperatingPoint, RequestGrid, StaticBatch
from predeploy.core.fluid_queueing import (
    MAX_STOCHASTIC_UTILISATION,
    closed_loop_wait,
    cluster_wait,
    exponential_wait,
    kingman_wait,
    prefill_service_moments,
    waiting_probability,
)
from predeploy.core.fluid_stats import columns, first_match, grid
from predeploy.core.fluid_steady import (
    BURST,
    CLOSED_LOOP,
    MAX_THROUGHPUT,
    OPEN_LOOP,
    STATIC_BATCH,
    FluidInputs,
    prefill_context_tokens,
)

#: Sample dimension (``fluid_stats.grid``) of an arrival's phase within a multi-step group
#: (0-4 are the queue position, prompt, wait, output and TPOT spread).
SCHEDULER_PHASE_DIMENSION = 5


def time_to_first_token(
    inp: FluidInputs, op: OperatingPoint, req: RequestGrid, static: StaticBatch
) -> np.ndarray:
    """TTFT (s) of every request sample, by each scenario's load kind (module docstring)."""
    kind = op.kind
    pair_s = op.steady.prefill_pair_s
    svc = service_ttft(inp, op, req, pair_s)
    service_prefill, service_cv2 = prefill_service_moments(
        op.prompt, inp.prompt_cv, op.saturated.full_prefill_s_per_token, pair_s
    )
    if np.any(kind == OPEN_LOOP):
        ttft_open = open_loop_ttft(inp, op, req, svc, (service_prefill, service_cv2))
    else:
        ttft_open = svc
    # Bursts and offline runs (the loads ``first_match`` leaves to its default) in waves.
    waved = (kind == BURST) | (kind == MAX_THROUGHPUT)
    ttft_burst = wave_ttft(op, req, op.burst_wave) if np.any(waved) else svc
    if np.any(kind == CLOSED_LOOP):
        ttft_closed = closed_loop_ttft(inp, op, req, svc, (service_prefill, service_cv2))
    else:
        ttft_closed = svc
    ttft_static = np.broadcast_to(columns(static.prefill_s), svc.shape)
    ttft = first_match(
        [
            kind[:, None] == OPEN_LOOP,
            kind[:, None] == CLOSED_LOOP,
            kind[:, None] == STATIC_BATCH,
        ],
        [ttft_open, ttft_closed, ttft_static],
        ttft_burst,
    )
    # An overlap scheduler hands each token to the client a step late: after the step that
    # was launched while the token's own step ran.
    return np.asarray(ttft + columns(inp.overlap_scheduling * op.steady.t_mean), dtype=float)


def service_ttft(
    inp: FluidInputs, op: OperatingPoint, req: RequestGrid, pair_s: np.ndarray
) -> np.ndarray:
    """TTFT without queueing (s per sample): residual step, own prefill steps, own quadratic
    attention beyond the mixed step's (``pair_s`` seconds per attention pair), overhead."""
    st, prompt_k, col = op.steady, req.prompt_tokens, columns
    # A request's own prompt costs no less than when it arrives on its own: requests in step
    # share a larger prefill step, cheaper per token, but each waits for the whole of it.
    per_token_mix = col(
        np.maximum((st.t_mix - st.t_dec) / st.prefill_step_tokens, st.own_prefill_s_per_token)
    )
    mix_context = col(prefill_context_tokens(inp))
    extra_steps = col(inp.scheduler_steps - 1.0)
    admission_steps = grid(SCHEDULER_PHASE_DIMENSION, req.points)[None, :] * extra_steps
    # The prompts that arrived over the other steps of its group share its prefill step.
    group_tokens = extra_steps * col(st.prefill_share * st.prefill_step_tokens)
    return np.asarray(
        0.5 * col(st.t_mean)
        + admission_steps * col(st.t_dec)
        + group_tokens * per_token_mix
        + np.maximum(1.0, prompt_k / col(st.budget)) * col(st.t_dec)
        + prompt_k * per_token_mix
        + col(pair_s) * prompt_k * (prompt_k / 2.0 - mix_context)
        + col(op.overhead_s),
        dtype=float,
    )


def open_loop_ttft(
    inp: FluidInputs,
    op: OperatingPoint,
    req: RequestGrid,
    svc: np.ndarray,
    service: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """Open-loop TTFT (s per sample): service + Kingman wait at the prefill budget (``service``
    = mean and squared CV of a prompt's prefill time) + clustered arrivals' excess wait + the
    backlog of a finite run above capacity + the wait at the API server."""
    col, rate, mu = columns, op.rate_rps, op.saturation_rps
    service_prefill, service_cv2 = service
    rho = np.minimum(rate * service_prefill, MAX_STOCHASTIC_UTILISATION)
    kingman = kingman_wait(rho, inp.arrival_cv**2, service_cv2, service_prefill)
    # The GI/M/1 picture for gamma arrivals: a share σ of requests wait (σ = ρ for Poisson
    # arrivals, more when they cluster), each an exponential time of mean S/(1 − σ), scaled
    # by (1 + c_s²)/2 for the service's own variability (Pollaczek-Khinchine for Poisson
    # arrivals, where it equals Kingman's mean).
    sigma = waiting_probability(rho, inp.arrival_cv**2)
    waiting = sigma * service_prefill / (1.0 - sigma) * (1.0 + service_cv2) / 2.0
    stoch = exponential_wait(np.where(inp.arrival_cv > 1.0, waiting, kingman), sigma, req.wait_u)
    stoch = stoch + cluster_wait(inp, op.steady, op.prompt, rate, req.points)
    # A backlog only builds in a finite run that states its size; an open-ended run above
    # capacity has no steady state, and measured ones are by construction sustainable.
    finite = col(np.isfinite(inp.num_prompts).astype(float))
    k = req.position
    backlog = finite * np.maximum(
        k / col(mu) - k / col(np.maximum(rate, 1e-12)) - col(op.max_batch / mu), 0.0
    )
    frontend = op.frontend_s
    rho_front = np.minimum(rate * frontend, MAX_STOCHASTIC_UTILISATION)
    # Kingman at the API server (deterministic service): M/D/1 for Poisson arrivals,
    # longer for bursty ones.
    front_wait = rho_front * frontend * inp.arrival_cv**2 / (2.0 * (1.0 - rho_front))
    return np.asarray(svc + stoch + backlog + col(front_wait), dtype=float)


def wave_ttft(op: OperatingPoint, req: RequestGrid, wave: np.ndarray) -> np.ndarray:
    """TTFT (s per sample) of requests that arrive together in waves of ``wave``: prefilled
    back to back at the full budget, later waves one slot time apart, no faster than the API
    server admits them."""
    col, kb, st = columns, req.index, op.steady
    wave_col = col(wave)
    s_burst = col(op.prompt * st.full_prefill_s_per_token)
    return np.asarray(
        np.maximum(
            (np.mod(kb, wave_col) + 1.0) * s_burst + np.floor(kb / wave_col) * col(st.slot_time),
            (kb + 1.0) * col(op.frontend_s) + s_burst,
        )
        + col(op.overhead_s),
        dtype=float,
    )


def closed_loop_ttft(
    inp: FluidInputs,
    op: OperatingPoint,
    req: RequestGrid,
    svc: np.ndarray,
    service: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """Closed-loop TTFT (s per sample): the first ``c`` requests arrive together (waves), later
    ones queue for a slot and for the prefill budget (``service`` = mean and squared CV of a
    prompt's prefill time)."""
    conc, b_max, st = op.concurrency, op.max_batch, op.steady
    service_prefill, service_cv2 = service
    first = req.index < columns(conc)
    ttft_first = wave_ttft(op, req, op.closed_wave)
    queue_wait = np.maximum(conc - b_max, 0.0) / op.saturation_rps
    # The admitted clients cycle through the prefill budget, a closed queue of ``min(c, B_max)``
    # of them, each away from it for the rest of its request's lifetime. A request's demand on
    # it: its prompt, and its share of the prompts recomputed over its decode steps when the
    # running batch fills the KV cache (preemptions).
    recompute_s = (
        st.recompute_tokens_per_step / np.maximum(st.batch, 1.0) * op.decode_steps
        * op.saturated.full_prefill_s_per_token
    )
    demand = service_prefill + recompute_s
    think = np.maximum(svc.mean(axis=1) + st.slot_time - demand, 0.0)
    queue = closed_loop_wait(np.minimum(conc, b_max), think, demand, service_cv2)
    # Those that find it busy wait exponentially (the open loop's M/M/1 shape).
    stoch = exponential_wait(queue.wait_s, np.maximum(queue.busy_share, 1e-9), req.wait_u)
    return np.asarray(
        np.where(first, ttft_first, svc + stoch + columns(queue_wait)), dtype=float
    )


__all__ = [
    "closed_loop_ttft",
    "open_loop_ttft",
    "service_ttft",
    "time_to_first_token",
    "wave_ttft",
]
