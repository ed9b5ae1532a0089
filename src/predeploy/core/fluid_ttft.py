"""Time to first token per load kind in the fluid serving model (see ``core.fluid``), seconds
per request sample.

**Service.** A request's own TTFT without queueing: the residual of the running step plus its
own prefill steps, ``t̄/2 + max(1, x/budget)·(t_r + E_p) + c·x`` for an ``x``-token prompt
(``t_r`` the decode step each rides on, ``t_dec``; none for separate prefill batches; ``E_p``
the fixed extra of a step that prefills, no less than that of a prompt that arrives alone, and
``c`` the time per prompt token, :func:`prefill_step_costs`: a long prompt pays the fixed extra
once a step, not in proportion to its tokens, and the prompts that share its step are the
wait's), plus its own quadratic attention: a prompt of ``x`` tokens attends to ``x/2`` cached
tokens per token on average, the mixed step to ``E[x²]/(2E[x])``; plus the per-request
overhead of served loads. A scheduler that admits new requests only once every ``N`` steps
(multi-step scheduling) holds an arrival until the next admission: a further ``U·(N − 1)``
decode steps, ``U`` uniform (the first of the ``N`` is the residual step already counted),
and is prefilled with the prompts of the ``N − 1`` other steps of its group. Where an open
loop's prefill batches chain (``fluid_steady.chained_decode_cycle_s``), the residual is the
length-biased rest of a decode step or of a batch, and an overlap scheduler's late step the
next batch of the chain or the decode step that ends it.

**Open loop** at ``λ``: service + the wait. Prompts well inside the prefill budget all join
the next step: the wait is the rest of the step in progress, picked by its length, plus the
prompts that arrived during it, which the request's own step prefills too
(:func:`step_cycle_wait`). Prompts that span steps queue at the budget (``ρ = λ_a·S``, ``λ_a
= min(λ, μ)`` the rate the engine admits, ``S`` a prompt's prefill in what the running batch
leaves of the budget, ``fluid_queueing``): Kingman's mean, exponential over the share ``ρ``
that waits, for Poisson arrivals; for clustered (gamma, CV ``c > 1``) ones the GI/M/1 share
``σ > ρ`` waiting ``S/(1 − σ)·(c² + c_s²)/(c² + 1)`` on average
(``fluid_queueing.budget_queue_mean_wait``), between a quarter of the budget and a whole one
a linear blend of the two (:func:`cycle_share`). Clustered arrivals whose prompts fit a step
queue at the budget too — a cluster overfills it, and steps run full one after another —
and share their last step with the prompts that arrive while they wait
(:func:`clustered_step_wait`). Then + the k-th of ``N`` requests' wait for a slot when ``λ >
μ`` (``fluid_load.finite_run_wait_s``: the queue builds from when ``B_max`` run) + the wait at
the API server (deterministic service ``f``: ``ρ_f·f·c_a²/(2(1 − ρ_f))`` on average, waited
by a share ``ρ_f`` of the requests, exponentially).

**Burst** (``N`` at once): the first ``W = min(N, B_max)`` are prefilled at the full budget one
after another, each later one starts when a slot frees, and the API server admits one request
per ``f``::

    TTFT_k = max((k mod W + 1)·s_burst + ⌊k/W⌋·slot_time, (k + 1)·f + s_burst)

An engine that prefills in separate batches (SGLang) admits a waiting request as soon as a
slot frees: the ``k``-th starts at the ``(k − W + 1)``-th completion, each slot a renewal
process of request lifetimes (:func:`slot_free_s`), so a burst of varied answers starts its
later requests early. Chunked-prefill engines keep the waves: their measured chat bursts start
later still (vLLM's ShareGPT bursts: TTFT p50 0.83 of the measured with waves, 0.46 with the
renewal; the API server, not the slots, paces them).

**Closed loop** with ``c`` clients: the first ``c`` requests are a burst of waves of
``min(c, B_max)``; later ones wait ``(c − B)/μ`` for a slot (in a finite run whose KV cache
fills as its answers grow, for the batch the run holds when they arrive, and the first wave all
the clients the cache holds with their prompts alone: ``fluid_load.closed_loop_slot_wait_s``)
plus their wait at the prefill budget: a closed queue of the ``min(c, B_max)`` admitted
clients, each away from the budget for the rest of its request's lifetime
(``fluid_queueing.closed_loop_wait``: mean-value analysis, Pollaczek-Khinchine's wait for many
clients, at most ``N − 1`` prompts ahead for few), each bringing its prompt and, where the
running batch fills the KV cache, its share of the prompts recomputed after preemptions. Fewer
of them arrive while a long prompt holds the budget than the time average says: decoding
advances a token per step, and those steps are long (:func:`busy_arrival_thinning`). Those that
find it busy wait exponentially, as in the open loop. As far as the clients' prompts come apart
(dispersed answers) and fit the budget well, the step cycle's wait instead: the prompts sent
during the step in progress join the same next step (:func:`shared_step_prefill_s`). A served
client's request, sent at a step's end, reaches the engine while the next step runs and waits
for the rest of it (:func:`served_client_extra_wait_s`).

**Static batch**: one prefill pass of ``b·I`` tokens (``fluid_load.static_batch``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from predeploy.core.fluid_load import (
    OperatingPoint,
    RequestGrid,
    StaticBatch,
    closed_loop_slot_wait_s,
    finite_run_wait_s,
)
from predeploy.core.fluid_queueing import (
    MAX_STOCHASTIC_UTILISATION,
    budget_queue_mean_wait,
    closed_loop_wait,
    exponential_wait,
    prefill_service_moments,
)
from predeploy.core.fluid_stats import (
    along_rows,
    any_true,
    clamp,
    columns,
    first_match,
    grid,
    normal_quantile,
    regularized_lower_gamma,
    row_mean,
)
from predeploy.core.fluid_steady import (
    BURST,
    CLOSED_LOOP,
    MAX_THROUGHPUT,
    OPEN_LOOP,
    STATIC_BATCH,
    FluidInputs,
    PrefillStepCosts,
    SteadyState,
    completion_sync,
    decode_context,
    held_prompt_tokens,
    prefill_context_tokens,
    slot_batch_limit,
    step_s,
)
from predeploy.core.occupancy import normal_cdf
from predeploy.core.renewal_counts import empty_window_probability, renewal_function

#: Sample dimension (``fluid_stats.grid``) of an arrival's phase within a multi-step group
#: (0-4 are the queue position, prompt, wait, output and TPOT spread).
SCHEDULER_PHASE_DIMENSION = 5
#: Sample dimension of an open-loop request's wait at the API server.
FRONT_END_WAIT_DIMENSION = 7
#: Sample dimension of the rest of the step in progress an arrival meets where prefill
#: batches chain (:func:`_residual_step_s`).
RESIDUAL_STEP_DIMENSION = 8


def time_to_first_token(
    inp: FluidInputs, op: OperatingPoint, req: RequestGrid, static: StaticBatch
) -> np.ndarray:
    """TTFT (s) of every request sample, by each scenario's load kind (module docstring)."""
    kind = op.kind
    pair_s = op.steady.prefill_pair_s
    svc = service_ttft(inp, op, req, pair_s)
    # Prompts queue for what the running batch leaves of the budget, not what the saturated
    # one would: with a budget the decoders nearly fill at capacity (TensorRT-LLM's small
    # max_num_tokens), pricing them at saturation made the queue 85-90 % busy at 60 % load.
    service_prefill, service_cv2 = prefill_service_moments(
        op.prompt, inp.prompt_cv, op.steady.full_prefill_s_per_token, pair_s
    )
    if any_true(kind == OPEN_LOOP):
        ttft_open = open_loop_ttft(inp, op, req, svc, (service_prefill, service_cv2))
    else:
        ttft_open = svc
    # Bursts and offline runs (the loads ``first_match`` leaves to its default) in waves.
    waved = (kind == BURST) | (kind == MAX_THROUGHPUT)
    ttft_burst = wave_ttft(inp, op, req, op.burst_wave, op.num_prompts) if any_true(waved) else svc
    if any_true(kind == CLOSED_LOOP):
        ttft_closed = closed_loop_ttft(inp, op, req, svc, (service_prefill, service_cv2))
    else:
        ttft_closed = svc
    ttft_static = svc
    if any_true(kind == STATIC_BATCH):
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
    late = inp.overlap_scheduling * _step_after_prefill_s(op.steady)
    return np.asarray(ttft + columns(late), dtype=float)


def _step_after_prefill_s(st: SteadyState) -> np.ndarray:
    """The mean step after the one that prefills a prompt: ``t_mean``, or where prefill
    batches chain (``fluid_steady.chained_decode_cycle_s``) the next batch with the chance
    ``1 − 1/L`` that its chain goes on and a decode step otherwise. A chain's batches are
    the steps that prefill, so the mean step (one batch per decode step) had put 64/16-token
    SGLang requests' TTFT p50 at 60.6 ms against 44.8 simulated at 45 requests/s."""
    goes_on = 1.0 - 1.0 / np.maximum(st.chain_length, 1.0)
    chained = goes_on * st.chain_batch_s + (1.0 - goes_on) * st.decode_step_s
    return np.asarray(np.where(st.chains(), chained, st.t_mean), dtype=float)


def _residual_step_s(op: OperatingPoint, points: int) -> np.ndarray:
    """The rest of the step in progress that an arrival waits for (s, per sample):
    ``t_mean/2`` on average, or where prefill batches chain a uniform share of a decode step
    ``t`` or of a batch ``T``, picked by their shares of the time (``t`` against ``n_b·T``
    for the ``n_b = p·L`` batches that follow a decode step): length-biased, of mean ``(t² +
    n_b·T²)/(2(t + n_b·T))``. The spread matters: priced at its mean, a 64/16-token SGLang
    load on an H100 had its TTFT p90 / p99 11 / 15 % under the simulated at 30 requests/s.
    Where the batches chain the arrival's own batch also holds the prompts that arrive while
    it waits, ``λ·R`` more of them for a rest of ``R`` seconds, each adding its prompt's
    prefill (``c·I``; those that arrived before it are the queue's, ``budget_queue_wait``)."""
    st = op.steady
    half = columns(0.5 * st.t_mean)
    chains = st.chains()
    if not any_true(chains):
        return np.asarray(half, dtype=float)
    step, batch = st.decode_step_s, st.chain_batch_s
    batches = st.chain_start * st.chain_length
    stepping = step / np.maximum(step + batches * batch, 1e-12)
    u = grid(RESIDUAL_STEP_DIMENSION, points)[None, :]
    # The rest's quantile at ``u`` (uniform over the step with chance ``stepping``, over a
    # batch otherwise): a sample's rest rises with its level, so it changes with the load as
    # smoothly as the shares do. Picked by ``u < stepping`` first, a sample at the top of
    # the step fell to the start of a batch as the share passed it (Llama 3.1 8B FP8 on an
    # A10, 128/128-token requests: TTFT p99 229 → 208 ms from 72.5 to 75 % of capacity).
    short = columns(np.minimum(step, batch))
    long = columns(np.maximum(step, batch))
    p_short = columns(np.where(step <= batch, stepping, 1.0 - stepping))
    density = p_short / np.maximum(short, 1e-12) + (1.0 - p_short) / np.maximum(long, 1e-12)
    below = density * short  # the level at which the shorter window ends
    rest = np.where(
        u <= below,
        u / np.maximum(density, 1e-12),
        (u - p_short) * long / np.maximum(1.0 - p_short, 1e-12),
    )
    others = columns(op.rate_rps * st.prefill_token_s * op.prompt) * rest
    return np.asarray(np.where(columns(chains), rest + others, half), dtype=float)


def prefill_s_per_token(op: OperatingPoint) -> np.ndarray:
    """Seconds a prompt token adds to the step that prefills it. A request's own prompt costs
    no less than when it arrives on its own: requests in step share a larger prefill step,
    cheaper per token, but each waits for the whole of it."""
    st = op.steady
    return np.asarray(
        np.maximum(
            (st.t_mix - st.t_dec) / st.prefill_step_tokens,
            st.own_prefill_s / st.own_prefill_step_tokens,
        ),
        dtype=float,
    )


def service_ttft(
    inp: FluidInputs, op: OperatingPoint, req: RequestGrid, pair_s: np.ndarray
) -> np.ndarray:
    """TTFT without queueing (s per sample): residual step, own prefill steps, own quadratic
    attention beyond the mixed step's (``pair_s`` seconds per attention pair), overhead."""
    st, prompt_k, col = op.steady, req.prompt_tokens, columns
    per_token, step_extra = prefill_step_costs(op)
    # No less than the fixed extra of a prompt's step when it arrives on its own.
    step_extra = np.maximum(step_extra, st.own_prefill_s - per_token * st.own_prefill_step_tokens)
    mix_context = col(prefill_context_tokens(inp))
    extra_steps = col(inp.scheduler_steps - 1.0)
    admission_steps = grid(SCHEDULER_PHASE_DIMENSION, req.points)[None, :] * extra_steps
    # The prompts that arrived over the other steps of its group share its prefill step.
    group_tokens = extra_steps * col(st.prefill_share * st.prefill_step_tokens)
    return np.asarray(
        _residual_step_s(op, req.points)
        + admission_steps * col(st.t_dec)
        + np.maximum(1.0, prompt_k / col(st.budget)) * col(st.prefill_ride_s + step_extra)
        + (prompt_k + group_tokens) * col(per_token)
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
    """Open-loop TTFT (s per sample): service + the wait (the step cycle's, Kingman's at the
    prefill budget, or a blend: :func:`cycle_share`; ``service`` = mean and squared CV of a
    prompt's prefill time) + clustered arrivals' excess wait + the backlog of a finite run
    above capacity + the wait at the API server."""
    col, rate = columns, op.rate_rps
    cycle = cycle_share(inp, op)
    stoch: np.ndarray | float = 0.0
    # The queue at the budget only where some scenario still takes a share of it.
    if any_true(cycle < 1.0):
        stoch = col(1.0 - cycle) * budget_queue_wait(inp, op, req, service)
    if any_true(cycle > 0.0):
        stoch = stoch + col(cycle) * step_cycle_wait(inp, op, req)
    stoch = stoch + last_step_fill_s(inp, op, req, stoch)
    # A backlog only builds in a finite run that states its size; an open-ended run above
    # capacity has no steady state, and measured ones are by construction sustainable.
    finite = np.isfinite(inp.num_prompts)
    backlog: np.ndarray | float = 0.0
    if any_true(finite):
        backlog = col(finite.astype(float)) * finite_run_wait_s(op, req.position)
    frontend = op.frontend_s
    rho_front = np.minimum(rate * frontend, MAX_STOCHASTIC_UTILISATION)
    # Kingman at the API server (deterministic service): M/D/1 for Poisson arrivals,
    # longer for bursty ones.
    front_wait = rho_front * frontend * inp.arrival_cv**2 / (2.0 * (1.0 - rho_front))
    # A share ρ_f of the requests finds the server busy and waits, about exponentially (an
    # independent sample dimension); the others pass at once.
    front = exponential_wait(
        front_wait,
        np.maximum(rho_front, 1e-9),
        grid(FRONT_END_WAIT_DIMENSION, req.points)[None, :],
    )
    return np.asarray(svc + stoch + backlog + front, dtype=float)


def last_step_fill_s(
    inp: FluidInputs, op: OperatingPoint, req: RequestGrid, wait: np.ndarray | float
) -> np.ndarray:
    """What a prompt longer than the prefill budget waits (s per sample) for the rest of the
    step that carries its last chunk: the scheduler fills the budget with the prompts waiting
    behind it (vLLM schedules the running prompt's chunk first, then waiting requests), so
    that step runs full whenever one arrived during the prompt's wait or prefill, with
    chance ``1 − e^(−λ(w + s))`` (for clustered arrivals of CV ``c``, whose next arrival is
    ``Gamma(k)`` away, ``k = 1/c²``: ``P(k, k·λ(w + s))``, far more at light load — at CV 1.5
    and ``λ(w + s) = 0.1``, 28 % for 10 %). The chunk is the prompt's ``r = I mod budget``
    last tokens when it started on an empty step, anywhere in a step after a wait
    (``budget/2`` left on average). The queue at the budget serves tokens one after another
    and counts neither: Llama 3.1 8B on an H100 (budget 8,192), 9,000-token prompts at 60 %
    of capacity, TTFT p50 29 % under the simulation's without it. Priced for vLLM's scheduler
    (``EngineProfile.fills_last_prefill_step``), with chunked prefill on: not for
    TensorRT-LLM, whose measured long prompts do not show it (NVIDIA's MLPerf Llama 3.1 405B
    runs, 9,400-token prompts: TTFT already over-predicted; with it MLPerf's TTFT held out by
    source 27.4 → 30.3 %), nor SGLang's separate prefill batches."""
    col = columns
    budget = col(op.steady.budget)
    prompt = req.prompt_tokens
    fills = np.asarray(inp.fills_last_prefill_step, dtype=bool) & np.asarray(
        inp.chunked_prefill, dtype=bool
    )
    spans = (prompt > budget) & fills[:, None]
    if not any_true(spans):
        return np.zeros((1, 1))
    per_token = col(op.steady.prefill_token_s)
    waited = np.broadcast_to(np.asarray(wait, dtype=float), prompt.shape) > 0.0
    rest = np.where(waited, budget / 2.0, budget - np.mod(prompt, budget))
    expected = np.maximum(col(op.admitted_rps) * (wait + prompt * per_token), 0.0)
    behind = 1.0 - np.exp(-expected)
    clustered = inp.arrival_cv > 1.0
    if any_true(clustered):
        # The next of clustered arrivals comes sooner: Gamma(k) after this one (k = 1/c²).
        shape = col(1.0 / np.maximum(inp.arrival_cv, 1.0) ** 2)
        next_one = regularized_lower_gamma(shape, shape * expected)
        behind = np.where(col(clustered), next_one, behind)
    # Filled or not, on an independent sample dimension: a few prompts wait a whole step's
    # rest, not every prompt its mean.
    filled = grid(LAST_STEP_DIMENSION, req.points)[None, :] < behind
    return np.asarray(np.where(spans & filled, rest * per_token, 0.0), dtype=float)


#: The request samples' dimension that draws whether a prompt's last step runs full
#: (``fluid_stats.grid``; 0-10 draw the others).
LAST_STEP_DIMENSION = 11


#: Mean prompt over the prefill budget up to which an open loop's wait is the step cycle's
#: alone (every waiting prompt fits the next step), and from which it is Kingman's queue at
#: the budget alone (each prompt spans steps, served one after another); linear between.
CYCLE_ONLY_BELOW = 0.25
QUEUE_ONLY_FROM = 1.0


def cycle_share(inp: FluidInputs, op: OperatingPoint) -> np.ndarray:
    """Weight of :func:`step_cycle_wait` in an open loop's wait (the rest is the queue at the
    budget, :func:`budget_queue_wait`): 1 for prompts well inside the budget, 0 for prompts
    that span steps, for schedulers that admit only every ``N`` steps (whose groups the
    service time already prices) and for SGLang's separate prefill batches (as before
    session 57, when its reservation at admission excluded it with TensorRT-LLM).
    TensorRT-LLM, which reserves a request's whole context at admission, admits arrivals
    into the next step as vLLM does: excluded until session 57 (MLPerf's TensorRT-LLM TTFTs
    had come out further off held out, session 28), it takes the cycle since a step's fixed
    extra is priced once per prompt (:func:`service_ttft`): MLPerf's TTFT held out 32.9 →
    29.1 %, and the simulated TTFT p90 of a 768-token budget at 60 % load within 15 % (−15 %
    without)."""
    own_queue = (inp.scheduler_steps > 1) | inp.separate_prefill_batches
    return np.asarray(np.where(own_queue, 0.0, 1.0 - spanning_share(op)), dtype=float)


def spanning_share(op: OperatingPoint, budget: np.ndarray | None = None) -> np.ndarray:
    """How far the mean prompt spans steps: 0 below :data:`CYCLE_ONLY_BELOW` of the prefill
    budget (what the running batch leaves of it, unless ``budget`` is given), 1 from
    :data:`QUEUE_ONLY_FROM` of it, linear between."""
    tokens = op.steady.budget if budget is None else budget
    ratio = op.prompt / np.maximum(tokens, 1.0)
    return clamp((ratio - CYCLE_ONLY_BELOW) / (QUEUE_ONLY_FROM - CYCLE_ONLY_BELOW), 0.0, 1.0)


#: Fixed-point iterations of a step's mean length and its chance of carrying no prompt
#: (contracting fast: with three, every sampled wait is within 0.25 % of fifty iterations' for
#: Llama 3.1 8B/70B, Qwen3 30B-A3B and gpt-oss-120b chat loads at 10-90 % of capacity).
CYCLE_ITERATIONS = 3


def prefill_step_costs(op: OperatingPoint) -> PrefillStepCosts:
    """``(c, E_p)`` of the running batch's steady state
    (:func:`~predeploy.core.fluid_steady.prefill_step_costs`, priced once per evaluation)."""
    return PrefillStepCosts(op.steady.prefill_token_s, op.steady.prefill_step_extra_s)


class StepCycle(NamedTuple):
    """An open loop's step cycle (:func:`step_cycle`), per scenario."""

    #: ``E[C]`` and ``Var(C)``: a step's mean length (s) and its variance (s²).
    mean_s: np.ndarray
    variance_s2: np.ndarray
    #: ``ρ = λ·E[S]``: the share of time the prefill of arriving prompts takes.
    rho: np.ndarray
    #: ``p₀``: the chance that a step carries no prompt; ``E[S]``: one prompt's prefill (s),
    #: and ``c_s²`` its squared coefficient of variation.
    idle: np.ndarray
    service_s: np.ndarray
    service_cv2: np.ndarray


def step_cycle(inp: FluidInputs, op: OperatingPoint) -> StepCycle:
    """The steps of an open loop whose waiting prompts all join the next step: each lasts
    ``C = V + 1[N > 0]·E_p + Σ S_i`` (:func:`step_cycle_wait` derives the moments)."""
    st = op.steady
    decode_s = st.t_dec
    per_token, step_extra = prefill_step_costs(op)
    service, service_cv2 = prefill_service_moments(
        op.prompt, inp.prompt_cv, per_token, st.prefill_pair_s
    )
    rate, cv = op.admitted_rps, inp.arrival_cv
    # Arrivals no more variable than Poisson ones are priced as Poisson (conservatively).
    clustered = any_true(cv > 1.0)
    rho = np.minimum(rate * service, MAX_STOCHASTIC_UTILISATION)
    idle = np.exp(-rate * decode_s / (1.0 - rho))
    for _ in range(CYCLE_ITERATIONS):
        cycle = (decode_s + (1.0 - idle) * step_extra) / (1.0 - rho)
        idle = empty_window_probability(rate * cycle, cv) if clustered else np.exp(-rate * cycle)
    arrivals = rate * cycle
    # A negative extra (eager decode steps: :func:`prefill_step_costs`) makes the last term
    # negative; with arrivals smoother than Poisson the sum could fall below 0.
    variance = np.maximum(
        arrivals * service**2 * (service_cv2 + cv**2)
        + idle * (1.0 - idle) * step_extra**2
        + 2.0 * idle * step_extra * arrivals * service,
        0.0,
    ) / (1.0 - rho**2)
    return StepCycle(cycle, variance, rho, idle, service, service_cv2)


def step_cycle_wait(inp: FluidInputs, op: OperatingPoint, req: RequestGrid) -> np.ndarray:
    """An open-loop request's wait beyond its own prefill step (s per sample) when every
    waiting prompt joins the next step: the rest of the step in progress plus the other
    prompts that arrived during it, which its own step prefills too (a step ends for all
    its requests at once).

    A step lasts ``C = V + 1[N > 0]·E_p + Σ S_i``: the decode work ``V`` (``t_dec``), the
    fixed extra ``E_p`` of a step that carries prefill, and the prefills ``S = c·x`` of the
    ``N`` prompts that arrived during the step before (a gated queue whose switch-over time
    is the decode work; :func:`prefill_step_costs`). With ``ρ = λ·E[S]`` and ``p₀ =
    e^(−λ·E[C])`` the chance that a step carries no prompt, ``E[C] = (V + (1 − p₀)·E_p)/(1 −
    ρ)`` (a fixed point) and ``Var(C) ≈ (λ·E[C]·E[S]²·(c_s² + c_a²) + p₀(1 − p₀)·E_p² +
    2p₀·E_p·λ·E[C]·E[S])/(1 − ρ²)``; the prefill part of a prompt-carrying step is taken
    lognormal, of the mean the cycle leaves it and its prompts' variance
    (:func:`_busy_prefill_variance`). A random arrival lands in a step by its length (``C*``,
    the law of ``C`` weighted by ``C``: a weighted lognormal is lognormal, its log mean
    shifted by ``σ²``), waits a uniform share ``U`` of it, and its own step prefills the
    prompts that arrived meanwhile, a Poisson number of mean ``λ·C*``: ``W = U·C* + P − t̄/2``
    (``P`` their prefill, of mean ``ρ·C*``, :func:`_poisson_cycle_samples`; ``t̄/2`` is the
    service time's own residual, :func:`service_ttft`). Priced at its mean, ``ρ·C*``, ``P``
    left the TTFT p99 of a 150-point census of Poisson loads 9.8 % under the simulated at the
    median (`bench/sim_census.py --tails`; 6.2 % with ``P``): most arrivals share their step
    with no other prompt, a few with one or two long ones. Clustered (gamma-renewal) arrivals
    crowd steps past the budget: :func:`clustered_step_wait`.

    Against the simulator (Llama 3.1 8B on an H100, lognormal 1,000/300-token requests at 8
    requests/s): mean step 13.4 ms and ``E[C*]`` 29 ms simulated, 13.5 and 31 from these
    formulas; 6,000 simulated requests' mean TTFT within 1 % over 15-70 % load."""
    st, col = op.steady, columns
    clustered = inp.arrival_cv > 1.0
    wait = np.zeros((st.t_dec.shape[0], req.wait_u.shape[1]))
    # Priced only for the open loops among them (the others' TTFT is their own load's), in
    # blocks of rows, so that a large batch's temporaries stay in the CPU's cache.
    priced = np.flatnonzero(~clustered & (op.kind == OPEN_LOOP))
    if priced.size:
        moments = step_cycle(inp, op)
        steps = _step_in_progress(moments, st.t_dec, op.admitted_rps, _FINE_LEVELS)
        at = np.minimum((req.wait_u[0] * _FINE_SAMPLES).astype(int), _FINE_SAMPLES - 1)
        for start in range(0, priced.size, POISSON_CYCLE_BLOCK_ROWS):
            b = priced[start : start + POISSON_CYCLE_BLOCK_ROWS]
            samples = _poisson_cycle_samples(
                steps[b], op.admitted_rps[b], moments.rho[b], moments.service_cv2[b]
            )
            wait[b] = np.sort(samples, axis=1)[:, at]
    wait = wait - 0.5 * col(st.t_mean)
    if any_true(clustered):
        wait = np.where(col(clustered), clustered_step_wait(inp, op, req), wait)
    return np.asarray(wait, dtype=float)


def _step_in_progress(
    moments: StepCycle, decode_s: np.ndarray, rate: np.ndarray, levels: np.ndarray
) -> np.ndarray:
    """The step in progress a Poisson arrival meets, at ``levels`` of its law (scenarios ×
    levels): a decode-only step (an atom at ``V``), else ``V`` plus a prefill part drawn
    from the prompt-carrying steps as often as they come (share ``V/E[C]`` of the busy mass)
    or weighted by that part (the length bias, log mean shifted by ``σ²``); the two
    lognormals are merged into one with their mean and second moment, so the quantile is
    monotone in the level and continuous in the load."""
    col = columns
    cycle, idle = moments.mean_s, moments.idle
    busy = np.maximum(1.0 - idle, 1e-12)
    mean = np.maximum((cycle - decode_s) / busy, 1e-12)
    sigma2 = np.log1p(_busy_prefill_variance(moments, rate * cycle) / mean**2)
    log_mean = np.log(mean) - 0.5 * sigma2
    w_idle = idle * decode_s / cycle
    w_plain = busy * decode_s / cycle
    w_biased = np.maximum(1.0 - w_idle - w_plain, 0.0)
    w_busy = np.maximum(w_plain + w_biased, 1e-12)
    spread = np.exp(sigma2)
    first = (w_plain + w_biased * spread) / w_busy
    second = (w_plain * spread + w_biased * spread**3) / w_busy
    merged2 = np.log(np.maximum(second / first**2, 1.0))
    merged_log_mean = log_mean + 0.5 * sigma2 + np.log(first) - 0.5 * merged2
    level = (levels[None, :] - col(w_idle)) / col(np.maximum(1.0 - w_idle, 1e-12))
    z = normal_quantile(clamp(level, 1e-9, 1.0 - 1e-9))
    prefill_part = np.exp(col(merged_log_mean) + col(np.sqrt(merged2)) * z)
    return np.asarray(col(decode_s) + np.where(level > 0.0, prefill_part, 0.0), dtype=float)


def clustered_step_wait(inp: FluidInputs, op: OperatingPoint, req: RequestGrid) -> np.ndarray:
    """Clustered (gamma, CV > 1) arrivals' wait where their prompts fit a step (s per sample).

    The step cycle's picture, every waiting prompt in the next step, does not hold for them:
    a cluster brings more prompts than the budget takes, so steps run full one after another
    and the arrivals behind queue for the budget as prompts that span steps do. The work
    ahead of an arrival is the GI/G/1 queue's at the budget
    (:func:`~predeploy.core.fluid_queueing.budget_queue_mean_wait`: the GI/M/1 share ``σ``
    waits, exponentially). Its own last step then also takes the prompts that arrived
    after it while it waited (the ``t̄/2`` residual of a decode step where it waited for
    nothing): ``H(λ·(W + t̄/2))`` of them on average, ``H`` the renewal function
    (:func:`~predeploy.core.renewal_counts.renewal_function`: more than the Poisson count in
    a short window, since arrivals come in clusters), as far as the budget leaves room —
    ``budget − x`` beside its own ``x``-token prompt on an empty step, half that after a wait
    (the work ahead fills its last step anywhere). The service time's residual ``t̄/2`` is
    kept: a prompt that waits for nothing still waits for the step in progress.

    It replaces (session 87) the step cycle with renewal counts of the neighbours in the
    step in progress (session 29), whose step in progress, a lognormal with the arrivals'
    ``c²`` in its variance, ran far past a budget-full step (Llama 3.1 8B, H100, 3,000 ±
    1,500-token prompts at CV 1.5 and 80 % load: its p99 1.9 s where no step takes 0.36 s):
    the TTFT mean had been right but its median low and its tail long — p50 −9..−32 %, p99
    +11..+90 % against the simulation at CV 1.5 and 2; the TTFT's mean |log ratio| over its
    mean, p50, p90 and p99 against 20,000 simulated requests 0.073 → 0.034 at CV 1.5 and 0.144
    → 0.044 at CV 2 (`bench/clustered_arrivals.py`; docs/perf-engine.md, "Clustered
    arrivals")."""
    st, col = op.steady, columns
    service, service_cv2 = prefill_service_moments(
        op.prompt, inp.prompt_cv, st.full_prefill_s_per_token, st.prefill_pair_s
    )
    rho = np.minimum(op.admitted_rps * service, MAX_STOCHASTIC_UTILISATION)
    mean_s, share = budget_queue_mean_wait(rho, inp.arrival_cv, service, service_cv2)
    ahead = exponential_wait(mean_s, share, req.wait_u)
    window = col(op.admitted_rps) * (ahead + col(0.5 * st.t_mean))
    riders = renewal_function(window, inp.arrival_cv)
    room = np.maximum(col(st.budget) - req.prompt_tokens, 0.0)
    room = np.where(ahead > 0.0, 0.5 * room, room)
    rider_tokens = np.minimum(riders * col(op.prompt), room)
    return np.asarray(ahead + rider_tokens * col(st.full_prefill_s_per_token), dtype=float)


def _busy_prefill_variance(moments: StepCycle, arrivals: np.ndarray) -> np.ndarray:
    """Variance (s²) of a prompt-carrying step's prefill part, ``E_p + Σ S_i`` over its
    ``N ≥ 1`` prompts: ``E[N]·Var(S) + Var(N)·E[S]²``, ``N`` a Poisson count of mean ``m``
    (``p₀ = e^(−m)``) given at least one. Derived from the whole cycle's variance instead
    (``(Var(C) + E[C − V]²)/(1 − p₀) − E[C − V | N > 0]²``), a difference of two near-equal
    numbers where the step's fixed extra dominates, it came out at 7 ms for a 27 ms prefill
    part whose prompts add 1.4 ms each (Qwen3 30B-A3B on a GB300 at 27 requests/s), a tail
    that narrowed as more steps carried prompts: the TTFT p99 fell with the load."""
    busy = np.maximum(1.0 - moments.idle, 1e-12)
    m = -np.log(np.maximum(moments.idle, 1e-300))
    prompts = np.maximum(arrivals / busy, 1.0)
    count_var = np.maximum(m * (1.0 + m) / busy - (m / busy) ** 2, 0.0)
    service = moments.service_s
    return np.asarray(
        prompts * service**2 * moments.service_cv2 + count_var * service**2, dtype=float
    )


def _poisson_cycle_samples(
    in_progress: np.ndarray, rate: np.ndarray, rho: np.ndarray, service_cv2: np.ndarray
) -> np.ndarray:
    """``U·C* + P`` on the fine grid of ``U`` and the step in progress ``C*`` (scenarios ×
    samples): the arrival waits the rest of ``C*``, and its own step prefills the prompts
    that arrived during it, a Poisson number of mean ``m = λ·C*``, each of the prompts'
    prefill law (mean ``ρ/λ``, squared CV ``c_s²``). ``P`` is that compound Poisson sum: none
    with chance ``e^(−m)``, else lognormal with the sum's mean and second moment given at
    least one. Each point of the grid takes the mean of ``P`` over one of
    :data:`FINE_GRID_LEVELS` equal strata of its levels (the lognormal's partial
    expectation, so the strata of each ``C*`` average to ``ρ·C*`` exactly, and a stratum
    the atom at none reaches in part moves smoothly as the load grows), the strata laid as
    a Latin square (:data:`_OTHERS_STRATUM`): every one once with each ``U`` and once with
    each ``C*``."""
    rows = rho.shape[0]
    count = rate[:, None] * in_progress  # scenarios × steps in progress
    none = np.exp(-count)
    some = np.maximum(1.0 - none, 1e-12)
    sigma = np.sqrt(
        np.log(
            np.maximum(some * (1.0 + service_cv2[:, None] + count) / np.maximum(count, 1e-300), 1.0)
        )
    )
    # Each stratum's edges as levels of P given at least one, and the lognormal's mass of
    # P·1{P ≤ its quantile} there, as a share of its mean: Φ(z − σ) (both tabulated).
    level = clamp((_OTHERS_EDGES - none[..., None]) / some[..., None], 0.0, 1.0)
    z = np.interp(level, _Z_TABLE_LEVELS, _Z_TABLE)
    partial = np.interp(z - sigma[..., None], _CDF_TABLE_Z, _CDF_TABLE)
    mean = (rho / np.maximum(rate, 1e-12))[:, None] * count  # ρ·C*
    stratum_mean = (FINE_GRID_LEVELS * mean)[..., None] * (partial[..., 1:] - partial[..., :-1])
    others = stratum_mean[:, _OTHERS_STEP, _OTHERS_STRATUM]
    samples = _FINE_LEVELS[None, :, None] * in_progress[:, None, :] + others
    return np.asarray(samples.reshape(rows, -1), dtype=float)


#: Levels per dimension of the fine grid :func:`step_cycle_wait` samples its wait on
#: (32 × 32 points per scenario: TTFT percentiles within 1.5 % of a 256 × 256 grid's for
#: Llama 3.1 8B and 70B and Qwen3 30B-A3B on H100s at 15-70 % load).
FINE_GRID_LEVELS = 32
_FINE_LEVELS = (np.arange(FINE_GRID_LEVELS) + 0.5) / FINE_GRID_LEVELS
_FINE_SAMPLES = FINE_GRID_LEVELS * FINE_GRID_LEVELS
#: Open loops whose step-cycle samples (Poisson arrivals) are priced in one block: 32 rows of
#: the strata's 1,056 edges are 270 kB an array. `bench/perf_speed.py`'s batch of 800
#: scenarios took 0.23-0.31 ms a scenario with every row at once, 0.19-0.23 ms in blocks and
#: for its open loops alone (0.19-0.20 ms before the strata).
POISSON_CYCLE_BLOCK_ROWS = 32
#: The stratum of the other prompts' prefill at each point of the fine grid (share of the
#: step in progress waited × the step in progress): ``(17i + 5j) mod n``, 17 and 5 prime to
#: ``n`` = :data:`FINE_GRID_LEVELS`, so each row and each column takes every stratum once;
#: the strata's edges; and each column's step in progress (indexing broadcasts it).
_OTHERS_STRATUM = (
    17 * np.arange(FINE_GRID_LEVELS)[:, None] + 5 * np.arange(FINE_GRID_LEVELS)[None, :]
) % FINE_GRID_LEVELS
_OTHERS_EDGES = np.linspace(0.0, 1.0, FINE_GRID_LEVELS + 1)
_OTHERS_STEP = np.arange(FINE_GRID_LEVELS)[None, :]
#: The standard normal quantile and distribution function tabulated for
#: :func:`_poisson_cycle_samples`, read by linear interpolation: the quantile within 1e-4
#: from the 1st to the 98.5th percentile (±40 at 0 and 1, where the strata's mass is
#: zero or all), the distribution function within 1e-6 (evaluated on the strata's 1,056
#: edges, the two cost 0.13 ms a call).
_Z_TABLE_LEVELS = np.linspace(0.0, 1.0, 2049)
_Z_TABLE = np.concatenate([[-40.0], normal_quantile(_Z_TABLE_LEVELS[1:-1]), [40.0]])
_CDF_TABLE_Z = np.linspace(-8.5, 8.5, 4097)
_CDF_TABLE = normal_cdf(_CDF_TABLE_Z)


def budget_queue_wait(
    inp: FluidInputs, op: OperatingPoint, req: RequestGrid, service: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """The wait at the prefill budget served one prompt after another (s per sample):
    Kingman's mean (the GI/G/1 one of clustered arrivals), exponential over the share that
    waits. The budget sees the prompts the engine admits, ``min(λ, μ)``: counted at the
    offered rate, an open-ended run's wait went on growing past capacity, where its batch is
    priced at the edge, and its TTFT's spread, and with it the TPOT tail, shifted with a load
    the engine never takes in (Qwen3 14B on an RTX 3090, chat lengths: TPOT p99 272 → 255 ms
    from 1 to 2 requests/s, both past capacity)."""
    service_prefill, service_cv2 = service
    rho = np.minimum(op.admitted_rps * service_prefill, MAX_STOCHASTIC_UTILISATION)
    # Exponential over the share that waits: ρ for Poisson arrivals, the GI/M/1 share σ > ρ
    # for clustered ones (fluid_queueing.budget_queue_mean_wait).
    mean_s, share = budget_queue_mean_wait(rho, inp.arrival_cv, service_prefill, service_cv2)
    return exponential_wait(mean_s, share, req.wait_u)


def wave_ttft(
    inp: FluidInputs, op: OperatingPoint, req: RequestGrid, wave: np.ndarray, sent: np.ndarray
) -> np.ndarray:
    """TTFT (s per sample) of ``sent`` requests that arrive together, ``W = wave`` of them
    admitted at once: the first ``W`` prefilled back to back at the full budget; the later
    ones in waves one slot time apart, or, where prefill runs as its own batches, each as soon
    as a slot frees (:func:`slot_free_s`); none before the API server has taken it, one after
    another, or, where it is gated (:attr:`FluidInputs.gated_front_end`), none before it has
    taken all ``sent`` (``sent × f``, the request's own ``f`` in its overhead)."""
    col, kb, st = columns, req.index, op.steady
    wave_col = col(wave)
    prompt_s = op.prompt * st.full_prefill_s_per_token  # one prompt at the full budget
    s_burst = col(prompt_s)
    ttft = (np.mod(kb, wave_col) + 1.0) * s_burst + np.floor(kb / wave_col) * col(st.slot_time)
    # The first wave's prefill steps carry the decoders admitted before them: none at first,
    # the running batch ``B`` by its end (one prompt's share of the ride per request ahead).
    none = np.zeros(np.shape(st.budget))
    empty = step_s(inp, st.budget, st.budget * op.prompt / 2.0, none, none)
    s_empty = col(op.prompt * np.minimum(empty / st.budget, st.full_prefill_s_per_token))
    b = col(np.maximum(st.batch, 1.0))
    ahead = np.minimum(kb, b)
    riders = ahead * (ahead + 1.0) / 2.0 + (kb - ahead) * b
    first = (kb + 1.0) * s_empty + (s_burst - s_empty) * riders / b
    ttft = np.where(kb < wave_col, first, ttft)
    if any_true(inp.separate_prefill_batches):
        ttft = _slot_renewal_ttft(inp, op, req, wave, ttft)
    served = np.maximum(ttft, (kb + 1.0) * col(op.frontend_s) + s_burst)
    if any_true(inp.gated_front_end):
        # Its own share of the pass is in the request's overhead (``OperatingPoint.overhead_s``).
        gated = np.maximum(ttft, col((sent - 1.0) * op.frontend_s) + s_burst)
        served = np.where(col(inp.gated_front_end), gated, served)
    return np.asarray(served + col(op.overhead_s), dtype=float)


def _slot_renewal_ttft(
    inp: FluidInputs, op: OperatingPoint, req: RequestGrid, wave: np.ndarray, ttft: np.ndarray
) -> np.ndarray:
    """:func:`wave_ttft`'s samples (``ttft``) with those after the first wave, where prefill
    runs as its own batches, prefilled as soon as a slot frees (:func:`slot_free_s`). A first
    wave larger than the batch its cache keeps with the answers grown (SGLang's, admitted
    on its ``new_token_ratio``: ``fluid_load``) settles to that batch over the first
    generation of replacements (1,000 chat prompts on an L4 in five waves: TTFT p50 21 %
    ahead of the simulated with the first wave's slots throughout, within 2 % so)."""
    kb, st = req.index, op.steady
    prompt_s = op.prompt * st.full_prefill_s_per_token
    renewal = (kb >= columns(wave)) & np.asarray(inp.separate_prefill_batches, dtype=bool)[:, None]
    rows = np.flatnonzero(renewal.any(axis=1))
    if rows.size:
        decode_s = op.decode_steps[rows] * st.t_mean[rows]
        # The answers vary as the lengths drawn do, cut at the longest allowed: their running
        # mean ``E[O²]/E[O]`` is ``O·(1 + cv²)`` (200 ± 300 tokens cut at 2,000: CV 1.31).
        drawn = inp.output_running[rows] / np.maximum(inp.output_tokens[rows], 1.0)
        cv = np.sqrt(np.maximum(drawn - 1.0, 0.0))
        index, first = kb[rows], wave[rows]
        spread = (decode_s * cv) ** 2
        span, slot_time, sync = first * prompt_s[rows], st.slot_time[rows], inp.sync[rows]
        freed = slot_free_s(index, first, slot_time, spread, span, sync)
        slots = np.minimum(first, slot_batch_limit(inp)[rows])
        if any_true(slots < first):
            # An admission that counts the answers at SGLang's ratio admits a first wave the
            # cache cannot keep once its answers grow: over the first generation of
            # replacements each completion admits one, then the batch settles where the
            # whole answers fit (``slots``), the excess admitted from fewer completions.
            steady = slot_free_s(index, slots, slot_time, spread, span, sync)
            settled = clamp((index - columns(first) + 1.0) / columns(first), 0.0, 1.0)
            freed = freed + settled * (steady - freed)
        ttft = ttft.copy()
        ttft[rows] = np.where(renewal[rows], freed + columns(prompt_s[rows]), ttft[rows])
    return ttft


#: Time points per scenario on which :func:`slot_free_s` counts the requests completed so far
#: (denser early, where a burst of varied requests frees most slots), and the requests through
#: one slot it counts (beyond, slots free at the long-run rate).
SLOT_TIME_POINTS = 64
MAX_SLOT_GENERATIONS = 24
#: Generations counted past the last level read (``q``, in lifetimes), so that the count there
#: includes every slot's next requests; and the standard deviations of the completion time the
#: time grid reaches past them.
SLOT_GENERATION_MARGIN = 3.0
SLOT_HORIZON_SPREADS = 4.0


def slot_free_s(
    index: np.ndarray,
    wave: np.ndarray,
    lifetime_s: np.ndarray,
    lifetime_var_s2: np.ndarray,
    prefill_span_s: np.ndarray,
    sync: np.ndarray,
) -> np.ndarray:
    """When the ``k``-th request of a burst (``index``, ``k ≥ W``; scenarios × samples) finds
    a free slot, in s: at the ``(k − W + 1)``-th completion of the requests before it.

    Each of the ``W`` slots serves its requests one after another: a renewal process whose
    lifetimes are the requests' (mean ``lifetime_s``, variance ``lifetime_var_s2``: their
    prefill and ``O − 1`` decode steps, ``O`` as varied as the outputs, each step stalled by
    the prefill batches of the requests that replace finished ones). By ``t``, ``W·M(t)``
    requests have completed, ``M(t) = Σ_g P(S_g ≤ t)`` with ``S_g`` the end of a slot's
    ``g``-th request, priced as a lognormal of its mean and variance (Fenton-Wilkinson); the
    ``k``-th waits until ``M(t) = q = (k − W + 1)/W``. Fixed lengths keep the waves in step
    (``⌈q⌉`` lifetimes); varied ones free slots early: the short requests of a burst of chat
    requests leave within a fraction of the mean lifetime.

    The first wave's prefill (``prefill_span_s``) runs ahead of any decode step (prompts
    wait and slots are free). Requests that finish in step (``sync`` 1, fixed lengths) pay
    their replacements' prefill between waves, which their lifetime counts: each later one
    waits for its place in its wave's prefill, uniform over the span. Out of step (``sync``
    0), replacements are prefilled as slots free, within the lifetimes, and every first-wave
    request decodes only after the whole span: ``S_g`` starts there. (Priced at its own
    place in the span, SGLang's simulated slot-bound chat burst started its later requests
    0.7-3.5 s after the analytic mode.) In between, the span is that mix."""
    col = columns
    w = np.maximum(wave, 1.0)
    q_all = np.maximum((index - col(w) + 1.0) / col(w), 0.0)
    # Beyond the generations counted, the slots free at their long-run rate, ``W`` per mean
    # lifetime: those samples are read at the last counted level and moved on from there.
    q = np.minimum(q_all, MAX_SLOT_GENERATIONS - SLOT_GENERATION_MARGIN)
    q_max = q.max(axis=1)  # each scenario's own, so a batch prices it as it would alone
    place = sync * prefill_span_s  # uniform over this; the rest of the span a shift
    offset, offset_var = 0.5 * place, place**2 / 12.0
    g = np.arange(1, MAX_SLOT_GENERATIONS + 1, dtype=float)[:, None]  # generations × scenarios
    mean = np.maximum(offset + g * lifetime_s, 1e-12)
    sigma2 = np.maximum(np.log1p((offset_var + g * lifetime_var_s2) / mean**2), 1e-8)
    log_median = np.log(mean) - 0.5 * sigma2
    reach = q_max + SLOT_GENERATION_MARGIN
    spread = np.sqrt(offset_var + reach * lifetime_var_s2)
    horizon = place + reach * lifetime_s + SLOT_HORIZON_SPREADS * spread
    spacing = (np.arange(SLOT_TIME_POINTS) / (SLOT_TIME_POINTS - 1))[:, None] ** 2
    decoding = horizon[None, :] * spacing  # time points after the span's shift
    times = decoding + (prefill_span_s - place)[None, :]
    z = (np.log(np.maximum(decoding, 1e-300))[:, None, :] - log_median) / np.sqrt(sigma2)
    completed = np.maximum.accumulate(normal_cdf(z).sum(axis=1).T, axis=1)  # scenarios × times
    # Each sample's q read back: the first time point whose count reaches it, linearly
    # between that point and the one before.
    at = clamp((completed[:, None, :] < q[:, :, None]).sum(axis=2), 1, SLOT_TIME_POINTS - 1)
    below, above = (along_rows(completed, at + d) for d in (-1, 0))
    t = times.T
    t_below, t_above = (along_rows(t, at + d) for d in (-1, 0))
    share = clamp((q - below) / np.maximum(above - below, 1e-12), 0.0, 1.0)
    beyond = (q_all - q) * col(lifetime_s)
    return np.asarray(t_below + share * (t_above - t_below) + beyond, dtype=float)


def busy_arrival_thinning(op: OperatingPoint) -> np.ndarray:
    """How much less often per second a closed loop's clients send a request while a prompt
    that spans steps is being prefilled than while the budget is idle (``f`` of
    :func:`~predeploy.core.fluid_queueing.closed_loop_wait`). A client sends its next request
    when its decoding ends, and decoding advances one token per step: while a prompt takes the
    budget, every step carries a budget's worth of prefill and lasts ``t_busy = t_dec + M·p``
    (``M`` the budget's prompt tokens, ``p`` seconds per prompt token) instead of ``t_dec``,
    so the others' requests come ``f = t_dec/t_busy`` times as often. With 4 clients of
    30k-token prompts (Llama 3.1 8B, H100; ``f`` ≈ 0.03) few arrive during another's
    prefill: the wait had been 0.8 s where the simulation's is under 0.2 s, TTFT p50
    +30..+90 % above the simulated at 4-12 clients. Prompts well inside the budget do not
    queue one after another (those that arrive at the same step share the next one): no
    thinning below a quarter of the budget, full from a whole one, linear between
    (:func:`spanning_share`, the open loop's :func:`cycle_share` bounds); with it, chat
    loads' TTFT p90 had come out 14 % under the simulated at 64 clients."""
    st = op.steady
    busy_step = st.t_dec + np.minimum(op.prompt, st.budget) * prefill_s_per_token(op)
    thinned = 1.0 - st.t_dec / np.maximum(busy_step, 1e-12)
    return np.asarray(1.0 - spanning_share(op) * thinned, dtype=float)


def closed_loop_ttft(
    inp: FluidInputs,
    op: OperatingPoint,
    req: RequestGrid,
    svc: np.ndarray,
    service: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """Closed-loop TTFT (s per sample): the first ``c`` requests arrive together (waves), later
    ones queue for a slot and for the prefill budget, or share the step cycle's next step
    (module docstring; ``service`` = mean and squared CV of a prompt's prefill time)."""
    conc, b_max, st = op.concurrency, op.max_batch, op.steady
    service_prefill, service_cv2 = service
    first = req.index < columns(conc)
    ttft_first = wave_ttft(inp, op, req, op.closed_wave, op.concurrency)
    slot_wait = closed_loop_slot_wait_s(inp, op, req.index)
    # The admitted clients cycle through the prefill budget, a closed queue of ``min(c, B_max)``
    # of them, each away from it for the rest of its request's lifetime. A request's demand on
    # it: its prompt, and its share of the prompts recomputed over its decode steps when the
    # running batch fills the KV cache (preemptions).
    recompute_s = (
        st.recompute_tokens_per_step
        / np.maximum(st.batch, 1.0)
        * op.decode_steps
        * op.saturated.full_prefill_s_per_token
    )
    demand = service_prefill + recompute_s
    think = np.maximum(row_mean(svc) + st.slot_time - demand, 0.0)
    admitted = np.minimum(conc, b_max)
    queue = closed_loop_wait(admitted, think, demand, service_cv2, busy_arrival_thinning(op))
    # Those that find it busy wait exponentially (the open loop's M/M/1 shape).
    stoch = exponential_wait(queue.wait_s, np.maximum(queue.busy_share, 1e-9), req.wait_u)
    kv_wait = kv_block_wait(inp, op, req, admitted - 1.0)
    # As far as the clients' prompts come apart (dispersed answers) and well inside the
    # budget, the step cycle's instead of the queue's: the prompts sent during the step in
    # progress join the same next step, and a request waits for their prefill there.
    apart = 1.0 - completion_sync(inp)
    if any_true(apart > 0.0):
        cycle = columns(cycle_share(inp, op) * apart)
        stoch = (1.0 - cycle) * stoch + cycle * columns(shared_step_prefill_s(inp, op, admitted))
    later = svc + stoch + kv_wait + slot_wait + columns(served_client_extra_wait_s(op))
    later = later + columns(front_end_cycle_wait_s(op, row_mean(later)))
    return np.asarray(np.where(first, ttft_first, later), dtype=float)


def front_end_cycle_wait_s(op: OperatingPoint, ttft_s: np.ndarray) -> np.ndarray:
    """A closed loop's wait at the API server (s per scenario; ``ttft_s`` its later requests'
    mean TTFT without it). The server takes one request per ``f`` seconds, so ``c`` clients
    send no more than ``1/f`` a second: when their requests' lifetime ``L`` (TTFT plus the
    decode steps) is shorter than ``c·f``, each waits the difference there, and the loop runs
    at the server's rate (``c/(L + W) = 1/f``) instead of ``c/L``. The open loop and a burst
    are paced by the same server (:func:`open_loop_ttft`, :func:`wave_ttft`). Without it, 96
    clients of 256/16-token requests (Gemma 3 4B on 4 A100-40GB, vLLM) were served at 186
    requests/s, above the server's 119 and above what 128 clients got at the same server."""
    f = op.frontend_s
    lifetime = ttft_s + op.decode_steps * op.steady.t_mean
    return np.asarray(np.maximum(op.concurrency * f - lifetime, 0.0), dtype=float)


def shared_step_prefill_s(inp: FluidInputs, op: OperatingPoint, admitted: np.ndarray) -> np.ndarray:
    """Seconds a closed-loop request's own prefill step spends on the other prompts that
    joined it (per scenario): those sent during the step in progress, ``λ·t̄`` of them at the
    clients' rate ``λ = B/slot_time``, each ``E[S]`` (:func:`prefill_step_costs`' slope, and
    its own attention): ``ρ·t̄`` with ``ρ = λ·E[S]``, as an open loop's step cycle prices
    them (:func:`step_cycle_wait`). The simulation, Llama 3.1 8B on one H100, 384 clients of
    chat lengths (1.5 prompts a step): a request's own prefill step 78 ms, 60 ms in the
    queue's pricing."""
    st = op.steady
    per_token, _ = prefill_step_costs(op)
    service, _ = prefill_service_moments(op.prompt, inp.prompt_cv, per_token, st.prefill_pair_s)
    rate = admitted / np.maximum(st.slot_time, 1e-12)
    rho = np.minimum(rate * service, MAX_STOCHASTIC_UTILISATION)
    return np.asarray(rho * st.t_mean, dtype=float)


def served_client_extra_wait_s(op: OperatingPoint) -> np.ndarray:
    """What a served closed loop's request waits for the step in progress beyond the half step
    the service time counts (s per scenario). Its client sends it as the previous request
    ends, at a step's end; it reaches the engine the request overhead ``d`` later, while the
    next step runs, and waits for the rest of that step, ``t − d`` (an arrival at a random
    time waits ``t/2`` on average; so does one whose ``d`` spans half the step or more). The
    simulation, Llama 3.1 8B on one H100, 384 clients of chat lengths: 51 ms for the step in
    progress (``t`` 59 ms, ``d`` 8.5 ms); the half step had put the TTFT p50 of 256-448 such
    clients 26-33 % under the simulated. An in-process benchmark (no ``d``) hands the engine
    the next request before the next step: no wait, left at the half step as its timing is
    not known."""
    t, d = op.steady.t_mean, op.overhead_s
    return np.asarray(np.where(d > 0.0, np.maximum(0.5 * t - d, 0.0), 0.0), dtype=float)


#: Sample dimension (``fluid_stats.grid``) of the wait for KV blocks.
KV_WAIT_DIMENSION = 6
#: Standard scores of the room left above which no request waits for KV blocks (a chance
#: below 1e-15; the wait is then skipped, not computed).
KV_WAIT_NEGLIGIBLE_Z = 8.0


def kv_block_wait(
    inp: FluidInputs, op: OperatingPoint, req: RequestGrid, others: np.ndarray
) -> np.ndarray:
    """Wait (s per sample) of a request for room in the KV cache, ``others`` requests running
    beside it. Their contexts (prompt and the output so far, or the whole output where the
    engine reserves it) sum to about normal ``n·m`` with variance ``n·v``; a prompt of ``x``
    tokens finds too little room with probability ``P = 1 − Φ((C − x − n·m)/√(n·v))`` and then
    waits for the next of the others to finish, exponentially with mean ``slot_time/n``
    (one finished request frees a whole context, almost always enough). Until then its
    prefill cannot complete: vLLM admits it a chunk at a time and preempts it, the newest
    request, when the decoders need the blocks. Negligible below the cache's limit for fixed
    lengths; with 30k-token lognormal prompts (CV 0.5) on one H100, which holds 15.3 of them
    on average, 14 clients find too little room a fifth of the time."""
    col = columns
    prompt, out = held_prompt_tokens(inp, op.prompt), np.maximum(inp.output_tokens, 1.0)
    reserve = inp.reserve_full_context
    mean = np.where(reserve, prompt + out, decode_context(prompt, out))
    var = op.context_variance
    n = np.maximum(others, 0.0)
    room = inp.kv_capacity_tokens - n * mean
    # A prompt needs room for what it computes and its own context found cached.
    reserved_out = np.where(reserve, out, 0.0) + inp.held_context_tokens
    spread = np.sqrt(np.maximum(n * var, 1e-12))
    # The longest prompt finds the least room: negligible for it, negligible for all.
    z_min = (room - (req.prompt_tokens.max(axis=1) + reserved_out)) / spread
    if not any_true((n > 0.0) & (z_min < KV_WAIT_NEGLIGIBLE_Z)):
        return np.zeros((1, 1))
    z = (col(room) - (req.prompt_tokens + col(reserved_out))) / col(spread)
    blocked = np.where(col(n) > 0.0, 1.0 - normal_cdf(z), 0.0)
    blocked = np.minimum(blocked, 1.0 - 1e-12)
    mean_wait = col(op.steady.slot_time / np.maximum(n, 1.0))
    u = grid(KV_WAIT_DIMENSION, req.points)[None, :]
    return np.asarray(
        np.where(
            u > 1.0 - blocked,
            mean_wait * np.log(np.maximum(blocked, 1e-300) / np.maximum(1.0 - u, 1e-12)),
            0.0,
        ),
        dtype=float,
    )


__all__ = [
    "closed_loop_ttft",
    "open_loop_ttft",
    "service_ttft",
    "time_to_first_token",
    "wave_ttft",
]
