"""Closed-form ("fluid") model of a continuous-batching engine under a load, vectorized.

Given the step time ``t(P, A, D, K)`` of one iteration (``core.latency``), a scheduler
(max running sequences ``S``, token budget ``M``, KV capacity ``C`` tokens) and a workload
(mean prompt ``I``, output ``O`` tokens), every scenario is evaluated in closed form, for many
scenarios at once (numpy arrays; calibration fits on thousands of measurements with it).

**Steady state at ``B`` running sequences.** Each step decodes ``B`` tokens and, on average,
``P̄ = B·I/O`` prompt tokens (each request brings ``I`` prompt tokens per ``O`` generated).
Prompt tokens come in chunks of ``p = min(budget, max(I, P̄))`` (``budget = M − B`` with
chunked prefill), so a share ``f = P̄/p`` of steps carries prefill::

    t_dec = t(0, 0, B, K̄)     t_mix = t(p, p·I/2, B, K̄)     K̄ = B (I + O/2)
    t̄ = f·t_mix + (1 − f)·t_dec           (mean ITL = mean TPOT)

ITL percentiles are those of the two-point mixture; a request occupies its slot for
``n_pf·t_mix + (O − 1)·t̄`` (``n_pf = ⌈I/budget⌉`` prefill steps). In an open loop the
decode steps run at the batch a decoding request sees, itself included (``B + 1`` for Poisson
arrivals, more for clustered ones: ``fluid_steady.seen_batch``), and a prefill step's
attention context is length-biased (``E[x²]/(2E[x])`` cached tokens per prompt token).

**Capacity.** ``B_max = min(S, C / (I + O/2), M·O/(I + O))`` (slots, KV cache — the whole
``I + O`` for engines that reserve it — and the token budget). The saturated request rate is
``μ = B_max / slot_time(B_max)``.

**Loads.** Open-loop arrivals at ``λ``: ``B`` solves Little's law ``B = λ·slot_time(B)``;
TTFT = residual step + own prefill + Kingman wait at the prefill budget
(``ρ = λ·I·t_full/budget``) + for clustered (gamma, CV > 1) arrivals the excess light-traffic
wait behind the predecessor's prefill + a fluid backlog ``max(0, k/μ − k/λ − B_max/μ)``
for the k-th of ``N`` requests when ``λ > μ``. Burst (``N`` at once): the first ``B_max`` are
prefilled at the full budget one after another, each later one starts when a slot frees:
``TTFT_k = (k mod B + 1)·s_burst + ⌊k/B⌋·slot_time``; the run lasts until its longest
request ends (the drain tail of variable output lengths, ``_drain_end_s``). Closed loop
with ``c`` clients: ``B = min(c, B_max)``, the first ``c`` requests are a burst, later ones
wait ``(c − B)/μ``. Static batch: one prefill pass of ``b·I`` tokens, then ``O − 1`` decode
steps with growing context.

Request-level percentiles come from a fixed stratified grid over queue position, prompt and
output length (lognormal with the dataset's coefficient of variation) and queueing delay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from predeploy.core.fluid_stats import (
    GRID_POINTS,
    grid,
    grid_normal,
    lognormal_at,
    lognormal_factor,
    three_point_quantile,
)
from predeploy.core.fluid_steady import (
    FluidInputs,
    SteadyState,
    decode_step_count,
    max_batch,
    prefill_context_tokens,
    prompt_tokens,
    single_stream,
    solve_open_loop_batch,
    steady_state,
    step_s,
    steps_s,
)

#: Load kinds as integer codes (vectorized selection).
MAX_THROUGHPUT, OPEN_LOOP, CLOSED_LOOP, BURST, STATIC_BATCH = 0, 1, 2, 3, 4

#: Requests assumed in an open-loop or max-throughput run that states no ``num_prompts``
#: (benchmark defaults: vLLM ``bench serve`` 1000 prompts, trtllm-bench/gptManagerBenchmark
#: 1000-3000). Only matters when the load exceeds capacity.
DEFAULT_NUM_PROMPTS = 2000.0

#: Percentiles reported for every latency metric.
PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0}

#: How fast output-length variation desynchronises waves of requests that started together:
#: ``sync = exp(−SYNC_DECAY × CV(output))`` (1 for fixed lengths). Estimated.
SYNC_DECAY = 3.0

#: Cap on an output length as a multiple of the dataset mean, as the request sampler's
#: (``core.datasets.token_distribution`` truncates its lognormal at 20 × the mean, or at the
#: dataset's ``max_tokens`` when that is larger).
MAX_OUTPUT_FACTOR = 20.0

#: Open-loop utilisation at which the stochastic (Kingman) wait stops growing and the fluid
#: backlog takes over.
MAX_STOCHASTIC_UTILISATION = 0.97


@dataclass(frozen=True, slots=True)
class FluidResult:
    """Predicted metrics per scenario (ms and per-second totals over all replicas)."""

    metrics: dict[str, np.ndarray]
    batch: np.ndarray
    max_batch: np.ndarray
    saturation_rps: np.ndarray
    kv_usage: np.ndarray
    queue_length: np.ndarray


def _latency_stats(name: str, samples: np.ndarray, out: dict[str, np.ndarray]) -> None:
    """Mean and :data:`PERCENTILES` per row, by linear interpolation between order statistics
    (``np.percentile``'s default method, without its per-call overhead)."""
    out[f"{name}_mean"] = samples.mean(axis=1)
    ordered = np.sort(samples, axis=1)
    last = samples.shape[1] - 1
    for label, q in PERCENTILES.items():
        position = q / 100.0 * last
        low = int(position)
        high = min(low + 1, last)
        share = position - low
        out[f"{name}_{label}"] = ordered[:, low] + (ordered[:, high] - ordered[:, low]) * share


def evaluate(inp: FluidInputs, grid_points: int | None = None) -> FluidResult:
    """Every metric for every scenario (module docstring); latencies in ms.

    ``grid_points`` samples per scenario for request-level percentiles (default
    ``GRID_POINTS``; calibration uses fewer for speed)."""
    kind = inp.load_kind
    prompt = prompt_tokens(inp)
    decode_steps = decode_step_count(inp)
    b_max = max_batch(inp)
    sat = steady_state(inp, b_max, np.where(kind == OPEN_LOOP, 0.0, 1.0), 1.0)
    # The API server takes requests one at a time: no more than 1/f per second per replica.
    frontend = np.where(inp.served, inp.eff.frontend_s_per_request, 0.0)
    mu = np.minimum(b_max / sat.slot_time, 1.0 / np.maximum(frontend, 1e-12))
    n_prompts = np.where(np.isfinite(inp.num_prompts), inp.num_prompts, DEFAULT_NUM_PROMPTS)
    rate = np.where(kind == OPEN_LOOP, inp.rate_rps, mu)
    batch = np.where(kind == STATIC_BATCH, inp.batch_size, b_max)
    batch = np.where(kind == CLOSED_LOOP, np.minimum(inp.concurrency, b_max), batch)
    batch = np.where(kind == BURST, np.minimum(n_prompts, b_max), batch)
    open_batch = solve_open_loop_batch(inp, np.where(kind == OPEN_LOOP, rate, 0.0), b_max)
    batch = np.where(kind == OPEN_LOOP, open_batch, batch)
    sync = np.where(kind == OPEN_LOOP, 0.0, np.exp(-SYNC_DECAY * inp.output_cv))
    waiting = np.select(
        [kind == BURST, kind == CLOSED_LOOP, kind == MAX_THROUGHPUT],
        [n_prompts > b_max, inp.concurrency > b_max, np.ones_like(b_max, dtype=bool)],
        False,
    )
    st = steady_state(inp, batch, sync, waiting.astype(float))

    overhead = np.where(inp.served, inp.eff.request_overhead_s, 0.0)
    points = grid_points or GRID_POINTS
    u_pos, u_wait = grid(0, points)[None, :], grid(2, points)[None, :]
    prompt_k = prompt[:, None] * lognormal_at(grid_normal(1, points), inp.prompt_cv[:, None])
    out_k = np.maximum(
        inp.output_tokens[:, None] * lognormal_at(grid_normal(3, points), inp.output_cv[:, None]),
        1.0,
    )
    col = _columns
    # Service TTFT of one request: residual of the running step + its own prefill steps.
    per_token_mix = (col(st.t_mix) - col(st.t_dec)) / col(st.prefill_step_tokens)
    # Attention grows with the square of the prompt: a prompt of x tokens attends to x/2
    # cached tokens per token on average, the mixed step above to E[x²]/(2E[x]).
    pair_s = _prefill_pair_s(inp, st, prompt)
    mix_context = col(prefill_context_tokens(inp))
    svc = (
        0.5 * col(st.t_mean)
        + np.maximum(1.0, prompt_k / col(st.budget)) * col(st.t_dec)
        + prompt_k * per_token_mix
        + col(pair_s) * prompt_k * (prompt_k / 2.0 - mix_context)
        + col(overhead)
    )
    # Open loop: Kingman wait at the prefill budget plus the fluid backlog when λ > μ.
    service_prefill, service_cv2 = _prefill_service_moments(
        prompt, inp.prompt_cv, sat.full_prefill_s_per_token, pair_s
    )
    rho = np.minimum(rate * service_prefill, MAX_STOCHASTIC_UTILISATION)
    kingman = rho / (1 - rho) * (inp.arrival_cv**2 + service_cv2) / 2 * service_prefill
    k = u_pos * col(n_prompts)
    if np.any(kind == OPEN_LOOP):
        wait_share = np.maximum(rho, 1e-9)
        stoch = np.where(
            u_wait > 1 - col(wait_share),
            col(kingman / wait_share) * np.log(col(wait_share) / np.maximum(1 - u_wait, 1e-12)),
            0.0,
        )
        stoch = stoch + _cluster_wait(inp, st, prompt, rate, points)
        # A backlog only builds in a finite run that states its size; an open-ended run above
        # capacity has no steady state, and measured ones are by construction sustainable.
        finite = col(np.isfinite(inp.num_prompts).astype(float))
        backlog = finite * np.maximum(
            k / col(mu) - k / col(np.maximum(rate, 1e-12)) - col(b_max / mu), 0.0
        )
        rho_front = np.minimum(rate * frontend, MAX_STOCHASTIC_UTILISATION)
        # Kingman at the API server (deterministic service): M/D/1 for Poisson arrivals,
        # longer for bursty ones.
        front_wait = rho_front * frontend * inp.arrival_cv**2 / (2.0 * (1.0 - rho_front))
        ttft_open = svc + stoch + backlog + col(front_wait)
    else:
        ttft_open = svc
    # Burst: first wave prefilled back to back at the full budget, later waves per slot.
    burst_wave = col(np.maximum(np.minimum(n_prompts, b_max), 1.0))
    s_burst = col(prompt * st.full_prefill_s_per_token)
    kb = np.floor(k)
    ttft_burst = np.maximum(
        (np.mod(kb, burst_wave) + 1.0) * s_burst + np.floor(kb / burst_wave) * col(st.slot_time),
        (kb + 1.0) * col(frontend) + s_burst,
    ) + col(overhead)
    # Closed loop: the first `c` requests arrive together, later ones queue for a slot.
    conc = np.maximum(inp.concurrency, 1.0)
    wave = col(np.maximum(np.minimum(conc, b_max), 1.0))
    if np.any(kind == CLOSED_LOOP):
        first = kb < col(conc)
        ttft_first = np.maximum(
            (np.mod(kb, wave) + 1.0) * s_burst + np.floor(kb / wave) * col(st.slot_time),
            (kb + 1.0) * col(frontend) + s_burst,
        ) + col(overhead)
        queue_wait = np.maximum(conc - b_max, 0.0) / mu
        contention = np.minimum(
            conc / np.maximum(svc.mean(axis=1) + st.slot_time, 1e-9) * service_prefill,
            MAX_STOCHASTIC_UTILISATION,
        )
        closed_wait = contention / (1 - contention) * (1 + inp.prompt_cv**2) / 2 * service_prefill
        ttft_closed = np.where(first, ttft_first, svc + col(queue_wait + closed_wait))
    else:
        ttft_closed = svc
    # Static batch: one prefill pass for the whole batch.
    b = np.maximum(inp.batch_size, 1.0)
    zero = np.zeros_like(b)
    # Static batches: the prefill pass and decode steps at the mean and percentile contexts.
    static_points = [(b * prompt, b * prompt**2 / 2.0, zero, zero)]
    static_points.append((zero, zero, b, b * (prompt + 0.5 * inp.output_tokens)))
    static_points += [
        (zero, zero, b, b * (prompt + q / 100.0 * decode_steps)) for q in PERCENTILES.values()
    ]
    if np.any(kind == STATIC_BATCH):
        static_times = steps_s(inp, *static_points)
    else:
        static_times = [zero] * len(static_points)
    t_prefill_static, static_mid, *static_itl = static_times
    ttft_static = np.broadcast_to(col(t_prefill_static), svc.shape)

    ttft = np.select(
        [kind[:, None] == OPEN_LOOP, kind[:, None] == CLOSED_LOOP, kind[:, None] == STATIC_BATCH],
        [ttft_open, ttft_closed, ttft_static],
        ttft_burst,
    )
    # Decode: per-request TPOT spread from the share of prefill-carrying steps it sees.
    spread = np.sqrt(
        col(st.prefill_share * (1 - st.prefill_share)) / np.maximum(out_k - 1.0, 1.0)
    ) * col(st.t_mix - st.t_dec)
    tpot_k = np.maximum(col(st.t_mean) + spread * grid_normal(4, points), col(st.t_dec))
    # First wave (burst, closed loop, offline): the j-th of W requests prefilled
    # decodes through the rest of its wave's prefill, (1 − j/W) of the wave's n_p budget-sized
    # prefill steps, plus the next wave's first j/W when one follows.
    waved = (kind == BURST) | (kind == CLOSED_LOOP) | (kind == MAX_THROUGHPUT)
    wave_size = np.where(
        kind == BURST, burst_wave[:, 0], np.where(kind == CLOSED_LOOP, wave[:, 0], b_max)
    )
    wave_tokens = np.minimum(st.budget, np.maximum(wave_size * prompt, prompt))
    kv_now = batch * (prompt + 0.5 * inp.output_tokens)
    t_wave = (
        step_s(inp, wave_tokens, wave_tokens * prompt / 2.0, batch, kv_now)
        if np.any(waved)
        else st.t_mix
    )
    wave_steps = np.maximum(wave_size * prompt / wave_tokens, 1.0)
    frac = np.mod(kb, col(wave_size)) / col(wave_size)
    run_length = np.where(
        kind == CLOSED_LOOP, np.where(np.isfinite(inp.num_prompts), n_prompts, np.inf), n_prompts
    )
    has_next = (kb + col(wave_size)) < col(run_length)
    extra = col(wave_steps * (t_wave - st.t_dec)) * ((1.0 - frac) + frac * has_next)
    tpot_wave = col(st.t_dec) + extra / np.maximum(out_k - 1.0, 1.0)
    # The first wave arrived together whatever the output lengths: it is synchronised by
    # construction (``sync`` only describes how later waves stay in step).
    first_wave = (kb < col(wave_size)) & waved[:, None]
    tpot_k = np.where(first_wave, tpot_wave, tpot_k)
    tpot_k = np.where(kind[:, None] == STATIC_BATCH, col(static_mid), tpot_k)
    e2e = ttft + np.maximum(out_k - 1.0, 0.0) * tpot_k

    metrics: dict[str, np.ndarray] = {}
    _latency_stats("ttft_ms", ttft * 1e3, metrics)
    _latency_stats("tpot_ms", tpot_k * 1e3, metrics)
    _latency_stats("e2e_ms", e2e * 1e3, metrics)
    # ITL: every gap of every request, a three-point mixture: decode-only steps, steady
    # prefill-carrying steps and the first wave's budget-sized prefill steps. The first wave's
    # share is the gaps its requests spend stalled; the steady share is what the mean implies.
    gaps = np.maximum(out_k - 1.0, 1.0)
    total_gaps = gaps.sum(axis=1)
    itl_mean = (gaps * tpot_k).sum(axis=1) / total_gaps
    stalled = np.minimum(col(wave_steps) * ((1.0 - frac) + frac * has_next), gaps)
    wave_share = np.where(first_wave, stalled, 0.0).sum(axis=1) / total_gaps
    wave_share = np.where(kind == STATIC_BATCH, 0.0, wave_share)
    wave_excess = wave_share * np.maximum(t_wave - st.t_dec, 0.0)
    mix_share = np.clip(
        (itl_mean - st.t_dec - wave_excess) / np.maximum(st.t_mix - st.t_dec, 1e-12),
        0.0,
        1.0 - wave_share,
    )
    metrics["itl_ms_mean"] = np.where(kind == STATIC_BATCH, static_mid, itl_mean) * 1e3
    for (label, q), static_q in zip(PERCENTILES.items(), static_itl, strict=True):
        mix = three_point_quantile(q / 100.0, st.t_dec, (st.t_mix, mix_share), (t_wave, wave_share))
        metrics[f"itl_ms_{label}"] = np.where(kind == STATIC_BATCH, static_q, mix) * 1e3

    # Throughput per replica, then over all replicas.
    finite_run = (kind == BURST) | ((kind == MAX_THROUGHPUT) & np.isfinite(inp.num_prompts))
    last_finish = _drain_end_s(inp, ttft, decode_steps, st.t_mean, n_prompts, finite_run)
    rps_burst = n_prompts / np.maximum(last_finish, 1e-9)
    rps_closed = np.where(
        conc > b_max, mu, conc / np.maximum(ttft.mean(axis=1) + decode_steps * st.t_mean, 1e-9)
    )
    rps = np.select(
        [kind == MAX_THROUGHPUT, kind == OPEN_LOOP, kind == CLOSED_LOOP, kind == STATIC_BATCH],
        [
            np.where(np.isfinite(inp.num_prompts), rps_burst, mu),
            np.where(
                rate > mu,
                np.where(np.isfinite(inp.num_prompts), np.minimum(rate, rps_burst), mu),
                rate,
            ),
            rps_closed,
            b / np.maximum(metrics["e2e_ms_mean"] / 1e3, 1e-9),
        ],
        rps_burst,
    )
    total_rps = rps * inp.replicas
    metrics["requests_per_s"] = total_rps
    metrics["output_tokens_per_s"] = total_rps * inp.output_tokens
    metrics["total_tokens_per_s"] = total_rps * (inp.output_tokens + inp.prompt_tokens)
    metrics.update(single_stream(inp))
    kv_used = batch * (prompt + 0.5 * inp.output_tokens) / np.maximum(inp.kv_capacity_tokens, 1.0)
    queue = np.where(kind == CLOSED_LOOP, np.maximum(conc - b_max, 0.0), 0.0)
    return FluidResult(
        metrics=metrics,
        batch=batch,
        max_batch=b_max,
        saturation_rps=mu * inp.replicas,
        kv_usage=np.clip(kv_used, 0.0, 1.0),
        queue_length=queue,
    )


#: Terms of the series for the regularized lower incomplete gamma function. Used for shapes
#: ``k ≤ 1`` (inter-arrival CV ≥ 1) with ``x = k·λS < k ≤ 1``: term ``n`` is below ``1/n!``,
#: so 12 terms leave a relative error under 1e-9.
INCOMPLETE_GAMMA_TERMS = 12


def _cluster_wait(
    inp: FluidInputs, st: SteadyState, prompt: np.ndarray, rate: np.ndarray, points: int
) -> np.ndarray:
    """Extra wait of clustered arrivals behind their predecessor's prefill (s, per sample).

    Kingman's wait at the prefill budget prices a prompt's share of budget-sized steps; a
    request that arrives right after another waits for that one's whole prefill, steps and
    their fixed cost included (``S = max(1, I/budget)·t_dec + I·(t_mix − t_dec)/p``). Gamma
    arrivals with CV ``c > 1`` do so far more often than Poisson ones: the excess of the
    light-traffic wait (:func:`_light_traffic_wait`) over Poisson's, ``W_c − W_1`` with
    probability ``P_c − P_1``, spread exponentially over that share of requests (an
    independent sample dimension). Zero for Poisson or smoother arrivals."""
    col = _columns
    if not np.any(inp.arrival_cv > 1.0):
        return np.zeros((prompt.shape[0], points))
    lone_s = np.maximum(1.0, prompt / st.budget) * st.t_dec + prompt * (
        st.t_mix - st.t_dec
    ) / np.maximum(st.prefill_step_tokens, 1.0)
    wait_c, share_c = _light_traffic_wait(rate, np.maximum(inp.arrival_cv, 1.0), lone_s)
    wait_1, share_1 = _light_traffic_wait(rate, np.ones_like(rate), lone_s)
    extra = np.maximum(wait_c - wait_1, 0.0)
    share = np.clip(share_c - share_1, 1e-9, 1.0)
    u = grid(5, points)[None, :]
    tail = col(extra / share) * np.log(col(share) / np.maximum(1.0 - u, 1e-12))
    return np.where((u > 1.0 - col(share)) & (extra > 0)[:, None], tail, 0.0)


def _light_traffic_wait(
    rate: np.ndarray, arrival_cv: np.ndarray, service_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Light-traffic GI/G/1 wait at the prefill budget: ``(E[W], P(W > 0))`` for a request
    that only meets its predecessor's prefill (Lindley, ``W = (S − A)⁺``).

    Inter-arrival times ``A`` are gamma (shape ``k = 1/c²``, mean ``1/λ``), ``S`` the mean
    prefill service time: ``P(W > 0) = P(k, λkS)`` and ``E[W] = S·P(k, λkS) − P(k + 1,
    λkS)/λ`` (``P`` the regularized lower incomplete gamma). For Poisson arrivals both are
    below Kingman's (``1 − e^(−ρ) ≤ ρ``; ``E[W] ≤ λS²/2``)."""
    shape = 1.0 / np.maximum(arrival_cv, 0.05) ** 2
    lam = np.maximum(rate, 1e-12)
    x = np.minimum(lam * shape * service_s, shape * MAX_STOCHASTIC_UTILISATION)
    p0 = _regularized_lower_gamma(shape, x)
    p1 = _regularized_lower_gamma(shape + 1.0, x)
    wait = np.maximum(service_s * p0 - p1 / lam, 0.0)
    return np.where(rate > 0, wait, 0.0), np.where(rate > 0, p0, 0.0)


def _regularized_lower_gamma(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``P(a, x) = γ(a, x)/Γ(a) = x^a e^(−x)/Γ(a + 1) · Σₙ xⁿ/((a + 1)…(a + n))`` (series,
    for ``x < a + 1``)."""
    order = np.asarray(a, dtype=float)
    log_gamma = np.array([math.lgamma(v) for v in (order + 1.0).ravel()]).reshape(order.shape)
    safe_x = np.maximum(x, 1e-300)
    lead = np.exp(order * np.log(safe_x) - x - log_gamma)
    term = np.ones_like(x)
    total = np.ones_like(x)
    for n in range(1, INCOMPLETE_GAMMA_TERMS):
        term = term * x / (a + n)
        total = total + term
    return np.asarray(np.where(x > 0, np.minimum(lead * total, 1.0), 0.0), dtype=float)


def _prefill_pair_s(inp: FluidInputs, st: SteadyState, prompt: np.ndarray) -> np.ndarray:
    """Seconds one more prefill attention pair (query token × cached token) adds to a
    budget-sized prefill step: the step time's finite difference between ``I/2`` and ``I``
    cached tokens per prompt token."""
    kv = st.batch * (prompt + 0.5 * inp.output_tokens)
    pairs = st.budget * prompt / 2.0
    base, doubled = steps_s(
        inp, (st.budget, pairs, st.batch, kv), (st.budget, 2.0 * pairs, st.batch, kv)
    )
    return np.asarray(np.maximum(doubled - base, 0.0) / pairs, dtype=float)


def _prefill_service_moments(
    prompt: np.ndarray, prompt_cv: np.ndarray, s_per_token: np.ndarray, pair_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and squared coefficient of variation of one prompt's prefill time at the full
    budget, ``S(x) = a·x + b·x²`` with ``b = pair_s / 2`` and ``a`` such that ``S(I) =
    I × s_per_token``, over lognormal prompt lengths (``E[x^k] = I^k (1 + cv²)^(k(k−1)/2)``).
    Linear in ``x`` (no attention), ``cv²`` is the prompt's; attention makes long prompts
    disproportionately slow and the service time more variable."""
    b = pair_s / 2.0
    a = s_per_token - b * prompt
    w = 1.0 + prompt_cv**2
    m1, m2, m3, m4 = prompt, prompt**2 * w, prompt**3 * w**3, prompt**4 * w**6
    mean = a * m1 + b * m2
    second = a * a * m2 + 2.0 * a * b * m3 + b * b * m4
    safe = np.maximum(mean, 1e-30)
    return mean, np.maximum(second / safe**2 - 1.0, 0.0)


def _drain_end_s(
    inp: FluidInputs,
    ttft: np.ndarray,
    decode_steps: np.ndarray,
    t_mean: np.ndarray,
    n_prompts: np.ndarray,
    finite_run: np.ndarray,
) -> np.ndarray:
    """When a finite run of ``N`` requests (burst, finite offline run) completes, seconds.

    The bulk ends at ``T_bulk = max TTFT + (O − 1)·t̄`` (the last request started, decoding
    the mean output at the running batch's step time ``t̄``). With variable output lengths
    the run ends later, with its longest request: ``O_max`` = the lognormal output quantile
    ``1 − 1/(N + 1)`` (expected maximum of ``N`` draws; capped at ``MAX_OUTPUT_FACTOR`` × the
    mean like the sampler). It starts at the mean TTFT (its queue position is uniform),
    decodes ``(T_bulk − mean TTFT)/t̄`` tokens while the batch is full, and the rest alone
    at the single-sequence step time ``t_1 = t(0, 0, 1, I + O_max/2)``::

        T_end = T_bulk + max(0, O_max − 1 − (T_bulk − mean TTFT)/t̄) · t_1

    Benchmark clients (``vllm bench serve``, ``trtllm-bench``) divide the tokens by this
    duration, so the drain tail lowers the measured throughput of variable-length bursts;
    fixed-length runs (CV 0) have ``O_max = O`` and end with the bulk. Only scenarios with
    ``finite_run`` set get the tail (the others' throughput does not use the run's end).
    """
    bulk = np.asarray(ttft.max(axis=1) + decode_steps * t_mean, dtype=float)
    if not np.any(finite_run & (inp.output_cv > 0.0)):
        return bulk
    quantile = 1.0 - 1.0 / (np.maximum(n_prompts, 1.0) + 1.0)
    factor = np.minimum(lognormal_factor(quantile, inp.output_cv), MAX_OUTPUT_FACTOR)
    longest = np.where(finite_run, np.maximum(inp.output_tokens * factor, inp.output_tokens), 0.0)
    if not np.any(longest > inp.output_tokens):
        return bulk
    one = np.ones_like(longest)
    t_one = step_s(inp, 0.0 * one, 0.0 * one, one, prompt_tokens(inp) + 0.5 * longest)
    done_in_bulk = (bulk - ttft.mean(axis=1)) / np.maximum(t_mean, 1e-12)
    return np.asarray(bulk + np.maximum(longest - 1.0 - done_in_bulk, 0.0) * t_one, dtype=float)


def _columns(values: np.ndarray) -> np.ndarray:
    """A per-scenario array as a column, to broadcast against the sample grid."""
    return np.asarray(values, dtype=float)[:, None]


__all__ = [
    "BURST",
    "CLOSED_LOOP",
    "GRID_POINTS",
    "MAX_THROUGHPUT",
    "OPEN_LOOP",
    "STATIC_BATCH",
    "FluidInputs",
    "FluidResult",
    "SteadyState",
    "evaluate",
    "max_batch",
    "steady_state",
]
