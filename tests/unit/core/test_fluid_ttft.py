"""``core.fluid_ttft``: a prompt's own service, the open-loop step cycle (when it applies, its
limits, its mean), and a closed loop's thinned arrivals and wait for KV room."""

from __future__ import annotations

import numpy as np
import pytest
from tests.perf_fixtures import (
    assert_never_falls,
    at_capacity_shares,
    llama_8b_h100_lognormal,
    slot_bound_burst,
)

from predeploy.core.efficiency import ParameterSet
from predeploy.core.fluid_load import OperatingPoint, operating_point, request_grid
from predeploy.core.fluid_queueing import (
    budget_queue_mean_wait,
    exponential_wait,
    prefill_service_moments,
)
from predeploy.core.fluid_steady import FluidInputs, prefill_context_tokens
from predeploy.core.fluid_ttft import (
    CYCLE_ONLY_BELOW,
    FINE_GRID_LEVELS,
    StepCycle,
    _busy_prefill_variance,
    _poisson_cycle_samples,
    busy_arrival_thinning,
    clustered_step_wait,
    cycle_share,
    kv_block_wait,
    last_step_fill_s,
    prefill_step_costs,
    served_client_extra_wait_s,
    service_ttft,
    shared_step_prefill_s,
    slot_free_s,
    step_cycle,
    step_cycle_wait,
)
from predeploy.core.perf import predict, predict_many
from predeploy.core.types import Engine, EngineSettings, LoadSpec
from predeploy.core.workload import EfficiencyArrays, prepare, stack
from predeploy.kb.seed_files import seed_catalog
from predeploy.services.perf import load_parameters, scenario_from_request

PARAMS = ParameterSet()


def _inputs(
    prompt: float,
    rate_rps: float,
    settings: EngineSettings | None = None,
    load: LoadSpec | None = None,
) -> tuple[FluidInputs, OperatingPoint]:
    load = load or LoadSpec(kind="poisson", rate_rps=rate_rps)
    scenario = llama_8b_h100_lognormal(load, prompt, settings)
    eff, _ = PARAMS.for_gpu(scenario.gpu, scenario.engine)
    inp = stack([prepare(scenario)], EfficiencyArrays.from_params([eff]))
    return inp, operating_point(inp)


def test_the_cycle_applies_to_prompts_well_inside_the_budget_only() -> None:
    inp, op = _inputs(1000, 4.0)  # vLLM's 8,192-token budget
    assert float(op.prompt[0]) < CYCLE_ONLY_BELOW * float(op.steady.budget[0])
    assert cycle_share(inp, op)[0] == 1.0
    inp, op = _inputs(30000, 0.2)  # each prompt spans steps: Kingman's queue alone
    assert cycle_share(inp, op)[0] == 0.0
    inp, op = _inputs(4000, 1.0)  # in between: a blend
    assert 0.0 < cycle_share(inp, op)[0] < 1.0


def test_the_cycle_applies_to_clustered_arrivals_too() -> None:
    load = LoadSpec(kind="gamma", rate_rps=4.0, cv=1.5)
    scenario = llama_8b_h100_lognormal(load, 1000, None)
    eff, _ = PARAMS.for_gpu(scenario.gpu, scenario.engine)
    inp = stack([prepare(scenario)], EfficiencyArrays.from_params([eff]))
    op = operating_point(inp)
    assert cycle_share(inp, op)[0] == 1.0
    # Clustered arrivals wait longer in their tail than Poisson ones at the same rate.
    poisson_inp, poisson_op = _inputs(1000, 4.0)
    clustered = step_cycle_wait(inp, op, request_grid(inp, op, 128))
    poisson = step_cycle_wait(poisson_inp, poisson_op, request_grid(poisson_inp, poisson_op, 128))
    assert np.percentile(clustered, 99) > np.percentile(poisson, 99)


def test_multi_step_scheduling_keeps_its_own_admission_model() -> None:
    inp, op = _inputs(1000, 4.0, EngineSettings(scheduler_steps=8))
    assert cycle_share(inp, op)[0] == 0.0


def test_a_prefill_step_costs_its_slope_per_token_plus_a_fixed_extra() -> None:
    _, op = _inputs(1000, 4.0)
    per_token, extra = prefill_step_costs(op)
    st = op.steady
    chunk = float(st.prefill_step_tokens[0])
    # Rebuilt from the parts: the mixed step, and the full-budget step on the same slope.
    assert float(st.t_dec[0] + extra[0] + per_token[0] * chunk) == pytest.approx(
        float(st.t_mix[0]), rel=1e-9
    )
    t_full = float(st.full_prefill_s_per_token[0] * st.budget[0])
    assert float(st.t_dec[0] + extra[0] + per_token[0] * st.budget[0]) == pytest.approx(
        t_full, rel=1e-9
    )
    assert per_token[0] > 0.0 and extra[0] >= 0.0


def test_a_long_prompt_pays_the_steps_fixed_extra_once() -> None:
    """Between two prompts that fit a step, the service differs by the time per token and
    their own attention alone: the fixed extra of the step is paid once by each (priced per
    token, a 3,100-token prompt had paid it a dozen times over a 250-token one)."""
    inp, op = _inputs(1000, 4.0)
    req = request_grid(inp, op, 128)
    svc = service_ttft(inp, op, req, op.steady.prefill_pair_s)[0]
    prompts = req.prompt_tokens[0]
    short, long = int(np.argmin(prompts)), int(np.argmax(prompts))
    assert float(prompts[long]) < float(op.steady.budget[0])  # one step each
    per_token, extra = prefill_step_costs(op)
    pair_s = float(op.steady.prefill_pair_s[0])
    context = float(prefill_context_tokens(inp)[0])
    delta = float(prompts[long] - prompts[short])
    attention = pair_s * (float(prompts[long] ** 2 - prompts[short] ** 2) / 2.0 - context * delta)
    assert float(svc[long] - svc[short]) == pytest.approx(
        float(per_token[0]) * delta + attention, rel=1e-9
    )
    assert float(extra[0]) > 0.0


def test_at_a_vanishing_load_the_wait_is_the_decode_steps_residual() -> None:
    inp, op = _inputs(1000, 1e-4)
    req = request_grid(inp, op, 128)
    wait = step_cycle_wait(inp, op, req)
    # Uniform over one decode step, less the service time's own t̄/2 (t̄ = t_dec here).
    st = op.steady
    assert float(wait.mean()) == pytest.approx(
        float(0.5 * st.t_dec[0] - 0.5 * st.t_mean[0]), abs=1e-4
    )
    assert float(wait.max()) <= float(st.t_dec[0] - 0.5 * st.t_mean[0]) + 1e-9


@pytest.mark.parametrize("rate_rps", [2.0, 6.0, 10.0])
def test_the_wait_grows_with_the_load_and_has_a_long_tail(rate_rps: float) -> None:
    waits = []
    for rate in (rate_rps, 1.2 * rate_rps):
        inp, op = _inputs(1000, rate)
        # The wait itself, U·C* + P, without the service time's residual it replaces.
        wait = step_cycle_wait(inp, op, request_grid(inp, op, 128))
        waits.append(wait + 0.5 * op.steady.t_mean[0])
    low, high = (np.sort(w[0]) for w in waits)
    assert np.all(high >= low - 1e-12)
    # Long steps are met more than their share: the tail stretches well past the mean.
    assert float(np.percentile(high, 99)) > 3.0 * float(high.mean())


@pytest.mark.parametrize("mean_others", [0.05, 0.4, 3.0])
def test_the_prompts_sharing_an_arrivals_step_are_a_poisson_number(mean_others: float) -> None:
    """``U·C* + P``: the other prompts' prefill ``P`` has the mean ``ρ·C*`` it was priced at
    before, is none as often as a Poisson count is zero, and its tail reaches beyond that
    mean (one step in progress, so the samples are its shares waited, each with ``P``)."""
    step_s, service_s, cv2 = 0.05, 0.02, 0.36
    n = FINE_GRID_LEVELS
    rate = mean_others / step_s
    rho = np.array([rate * service_s])
    samples = _poisson_cycle_samples(
        np.full((1, n), step_s), np.array([rate]), rho, np.array([cv2])
    )[0]
    waited = np.repeat((np.arange(n) + 0.5) / n * step_s, n)
    others = samples - waited
    assert float(others.mean()) == pytest.approx(mean_others * service_s, rel=1e-9)
    assert float(np.mean(others == 0.0)) == pytest.approx(np.exp(-mean_others), abs=1 / n)
    assert float(np.percentile(others, 99)) > 2.0 * mean_others * service_s
    # Every level of P once with each share waited: each share's n samples alike.
    by_share = np.sort(others.reshape(n, n), axis=1)
    assert np.allclose(by_share, by_share[0])


@pytest.mark.parametrize("load_share", [0.3, 0.6, 0.8])
def test_the_queue_at_a_small_budget_is_priced_at_the_running_batch(load_share: float) -> None:
    """A TensorRT-LLM-like engine (whole context reserved: Kingman's queue at the budget) with a
    768-token budget the decoders nearly fill at capacity: the prompts queue for what the
    running batch leaves of the budget, not for what the saturated one would. The analytic TTFT
    agrees with the simulated one (priced at the saturated batch, its p90 was 35-180 % high)."""
    settings = EngineSettings(max_num_batched_tokens=768, max_num_seqs=2048)
    base = llama_8b_h100_lognormal(LoadSpec(kind="poisson", rate_rps=1.0), 220, settings)
    base = base.model_copy(update={"engine": Engine.TRTLLM})
    saturation_rps = predict(base, PARAMS).saturation_rps
    scenario = base.model_copy(
        update={"load": LoadSpec(kind="poisson", rate_rps=load_share * saturation_rps)}
    )
    analytic = predict(scenario, PARAMS).metrics.ttft_ms
    simulated = predict(scenario, PARAMS, mode="simulate", num_requests=3000).metrics.ttft_ms
    assert analytic.p50 == pytest.approx(simulated.p50, rel=0.10)
    assert analytic.p90 == pytest.approx(simulated.p90, rel=0.15)


def _slot_free(
    q: np.ndarray, *, cv: float, span_s: float = 0.0, sync: float | None = None
) -> np.ndarray:
    """When the later requests of a burst at ``q = (k − W + 1)/W`` find a slot, in lifetimes
    (one scenario, ``W = 1000``, mean lifetime 1 s, lifetimes of CV ``cv``, in step as
    ``sync`` says: by default 1 for fixed lengths, else 0)."""
    wave = 1000.0
    index = (q * wave + wave - 1.0)[None, :]
    one = np.ones(1)
    in_step = (1.0 if cv == 0.0 else 0.0) if sync is None else sync
    return slot_free_s(index, wave * one, one, cv**2 * one, span_s * one, in_step * one)[0]


def test_fixed_lifetimes_free_the_slots_in_waves() -> None:
    q = np.array([0.25, 0.5, 0.75, 1.25, 1.75, 2.5])
    # Within the time grid's resolution (a step is read back between two of its points).
    assert _slot_free(q, cv=0.0) == pytest.approx(np.ceil(q), rel=0.05)
    # Far beyond the generations counted (a long burst on a few slots), one lifetime per
    # wave still.
    far = np.array([30.5, 60.5, 120.5])
    assert _slot_free(far, cv=0.0) == pytest.approx(np.ceil(far), rel=0.03)
    varied = _slot_free(np.linspace(0.01, 200.0, 400), cv=2.0)
    assert np.all(np.diff(varied) >= 0.0)


@pytest.mark.parametrize("cv", [0.5, 1.0, 2.0])
def test_varied_lifetimes_free_slots_as_a_simulated_renewal_process_does(cv: float) -> None:
    """1,000 slots each serving lognormal lifetimes one after another (seeded): the time of
    the ``q·W``-th completion, against the Fenton-Wilkinson renewal function."""
    rng = np.random.default_rng(7)
    sigma2 = np.log1p(cv**2)
    lifetimes = np.exp(-sigma2 / 2 + np.sqrt(sigma2) * rng.standard_normal((1000, 40)))
    completions = np.sort(np.cumsum(lifetimes, axis=1).ravel())
    q = np.array([0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0])
    simulated = completions[(q * 1000).astype(int) - 1]
    analytic = _slot_free(q, cv=cv)
    assert analytic == pytest.approx(simulated, rel=0.12)
    assert np.all(np.diff(_slot_free(np.linspace(0.01, 6.0, 200), cv=cv)) >= 0.0)
    if cv == 2.0:
        # A quarter of the first requests are done within a fifth of the mean lifetime: the
        # next quarter of a burst starts that early, not a whole lifetime later.
        assert analytic[2] < 0.2


def test_the_first_waves_prefill_delays_the_first_slots_freed() -> None:
    q = np.array([0.1, 0.5, 0.9])
    # In step (fixed lengths), a later wave's request waits for its place in its wave's
    # prefill, uniform over the span; the lifetime counts the prefill between waves.
    in_step = _slot_free(q, cv=0.0, span_s=0.5)
    assert in_step == pytest.approx(1.0 + 0.5 * q, rel=0.05)
    # Out of step, the first wave decodes only once the whole wave is prefilled (prefill
    # batches run ahead of any decode while prompts wait and slots are free): a fixed
    # lifetime after the span, and none of a varied one's before it.
    assert _slot_free(q, cv=0.0, span_s=0.5, sync=0.0) == pytest.approx(np.full(3, 1.5), rel=0.05)
    varied = _slot_free(np.array([0.001, 0.01, 0.1]), cv=2.0, span_s=0.5)
    assert np.all(varied >= 0.5)
    assert varied[0] < 0.55


def test_a_slot_bound_sglang_burst_starts_its_requests_when_the_simulation_does() -> None:
    """1,000 chat requests through 256 slots on SGLang: each waiting prompt is prefilled as a
    slot frees. The analytic TTFT quartiles had run 0.7-3.5 s ahead of the simulated (3.1 /
    10.2 / 19.5 s against 3.8 / 13.7 / 23.1) while the first wave's decode was priced to start
    as each request was prefilled and the answers to vary with their uncut CV (1.5, not the
    1.31 of lengths cut at 2,000 tokens)."""
    scenario = slot_bound_burst("sglang")
    analytic = predict(scenario, PARAMS).metrics.ttft_ms
    simulated = predict(scenario, PARAMS, mode="simulate").metrics.ttft_ms
    for stat in ("p50", "p90", "p99"):
        assert getattr(analytic, stat) == pytest.approx(getattr(simulated, stat), rel=0.08)


def _clients(prompt: float, clients: int) -> tuple[FluidInputs, OperatingPoint]:
    return _inputs(prompt, 0.0, load=LoadSpec(kind="concurrency", concurrency=clients))


def test_arrivals_thin_while_a_prompt_that_spans_steps_holds_the_budget() -> None:
    # Chat prompts share a step with those that arrive with them: no thinning.
    _, op = _clients(800, 16)
    assert busy_arrival_thinning(op)[0] == 1.0
    # 30k-token prompts: each step of their prefill is about a full budget's (its attention
    # context aside), many times a decode step, so the decoding clients' requests come that
    # much less often.
    _, op = _clients(30000, 4)
    st = op.steady
    thinning = float(busy_arrival_thinning(op)[0])
    full_step = float(st.full_prefill_s_per_token[0] * st.budget[0])
    assert thinning == pytest.approx(float(st.t_dec[0]) / full_step, rel=0.2)
    assert 0.0 < thinning < 0.1


def test_a_request_waits_for_kv_room_only_near_the_caches_limit() -> None:
    inp, op = _clients(30000, 8)
    limit = float(op.max_batch[0])  # KV-bound: about 15 such requests fit on one H100
    assert 14.0 < limit < 16.0
    req = request_grid(inp, op, 4096)
    far = kv_block_wait(inp, op, req, np.array([3.0]))
    near = kv_block_wait(inp, op, req, np.array([13.0]))
    assert far.mean() < 1e-3 * near.mean()
    # Near it, the longer prompts are the ones that find too little room.
    long_prompts = req.prompt_tokens[0] > np.median(req.prompt_tokens[0])
    assert (near[0][long_prompts] > 0).mean() > 1.5 * (near[0][~long_prompts] > 0).mean()
    # Those that wait, wait for one of the 13 others to finish: a thirteenth of a lifetime.
    waits = near[0][near[0] > 0]
    assert waits.mean() == pytest.approx(float(op.steady.slot_time[0]) / 13.0, rel=0.1)
    assert kv_block_wait(inp, op, req, np.array([0.0])).max() == 0.0


def test_a_served_clients_next_request_waits_for_the_rest_of_the_step_in_progress() -> None:
    """Sent as the previous request ends, at a step's end, it reaches the engine the request
    overhead ``d`` later, while the next step runs, and waits ``t − d`` for it: ``t/2 − d``
    more than the half step of an arrival at a random time. Without an API server (an
    in-process benchmark) nothing is added."""
    _, op = _clients(800, 256)
    t, d = float(op.steady.t_mean[0]), float(op.overhead_s[0])
    assert 0.0 < d < t / 2.0
    assert served_client_extra_wait_s(op)[0] == pytest.approx(t / 2.0 - d)
    scenario = llama_8b_h100_lognormal(LoadSpec(kind="concurrency", concurrency=256), 800)
    scenario = scenario.model_copy(update={"served_over_api": False})
    eff, _ = PARAMS.for_gpu(scenario.gpu, scenario.engine)
    in_process = operating_point(stack([prepare(scenario)], EfficiencyArrays.from_params([eff])))
    assert served_client_extra_wait_s(in_process)[0] == 0.0
    # A step shorter than twice the overhead: the arrival's phase is the random one.
    _, light = _clients(800, 2)
    assert float(light.overhead_s[0]) >= float(light.steady.t_mean[0]) / 2.0
    assert served_client_extra_wait_s(light)[0] == 0.0


def test_a_closed_loops_prefill_step_carries_the_prompts_sent_meanwhile() -> None:
    """Its share of the steps' time that prefill takes, ``ρ = λ·E[S]`` at the clients' rate
    ``B/slot_time``, times the mean step: more clients send more prompts per step, each
    request's own prefill step carrying more of them."""
    shared = []
    for clients in (16, 64, 256):
        inp, op = _clients(800, clients)
        admitted = np.minimum(op.concurrency, op.max_batch)
        value = float(shared_step_prefill_s(inp, op, admitted)[0])
        rate = float(admitted[0] / op.steady.slot_time[0])
        assert 0.0 < value < rate * float(op.steady.t_mean[0]) * 0.05  # < 50 ms per prompt
        shared.append(value)
    assert shared == sorted(shared)


@pytest.mark.parametrize("mean_count", [0.1, 1.0, 3.0])
def test_a_prompt_carrying_steps_prefill_spread_is_its_prompts(mean_count: float) -> None:
    """Given at least one of a Poisson number of prompts of ``m`` on average, the prefill
    part of a step varies as its prompts do: against 400,000 drawn steps (prompt times of
    CV 0.5), the variance within 2 %."""
    service_s, service_cv2 = 0.0014, 0.25
    moments = StepCycle(
        mean_s=np.array([0.03]),
        variance_s2=np.array([0.0]),
        rho=np.array([0.05]),
        idle=np.array([np.exp(-mean_count)]),
        service_s=np.array([service_s]),
        service_cv2=np.array([service_cv2]),
    )
    got = float(_busy_prefill_variance(moments, np.array([mean_count]))[0])
    rng = np.random.default_rng(5)
    counts = rng.poisson(mean_count, size=400_000)
    counts = counts[counts > 0]
    shape = 1.0 / service_cv2  # gamma prompt times of the stated mean and CV
    sums = np.array([rng.gamma(shape * k, service_s / shape) for k in counts])
    assert got == pytest.approx(float(sums.var()), rel=0.02)


def test_the_step_cycles_variance_stays_non_negative_with_a_negative_extra() -> None:
    """Every decode step eager (no CUDA graphs) leaves a prompt-carrying step's fixed extra
    over the mean decode step below 0 (:func:`prefill_step_costs`), which turns the cycle
    variance's cross term negative; with arrivals far smoother than Poisson (CV 0.05) the sum
    fell below 0. It is held at 0, and the wait stays finite."""
    load = LoadSpec(kind="gamma", rate_rps=5.0, cv=0.05)
    inp, op = _inputs(500, 5.0, EngineSettings(cuda_graph_max_batch=0), load)
    _, extra = prefill_step_costs(op)
    assert extra[0] < 0.0
    cycle = step_cycle(inp, op)
    rate = op.admitted_rps * cycle.mean_s
    raw = (
        rate * cycle.service_s**2 * (cycle.service_cv2 + inp.arrival_cv**2)
        + cycle.idle * (1.0 - cycle.idle) * extra**2
        + 2.0 * cycle.idle * extra * rate * cycle.service_s
    )
    assert raw[0] < 0.0 and cycle.variance_s2[0] == 0.0
    wait = step_cycle_wait(inp, op, request_grid(inp, op, 128))
    assert np.all(np.isfinite(wait))


def test_a_prompt_past_the_budget_waits_for_its_last_steps_rest_when_one_waits_behind() -> None:
    """vLLM fills the step of a prompt's last chunk with the next waiting prompt's first: the
    samples past the budget wait the step's rest with the chance one arrived meanwhile, more
    often the busier the server; shorter prompts, chunked prefill off and engines that do not
    fill it wait nothing for it."""
    quiet, busy = _inputs(9000, 0.2), _inputs(9000, 1.0)
    shares = []
    for inp, op in (quiet, busy):
        req = request_grid(inp, op, 128)
        fill = last_step_fill_s(inp, op, req, 0.0)
        past = req.prompt_tokens > op.steady.budget[:, None]
        assert np.all(fill[~past] == 0.0) and np.any(fill[past] > 0.0)
        rest = (op.steady.budget[0] - np.mod(req.prompt_tokens[past], op.steady.budget[0]))
        waited = fill[past] > 0.0
        assert fill[past][waited] == pytest.approx(rest[waited] * op.steady.prefill_token_s[0])
        shares.append(float(np.mean(waited)))
    assert 0.0 < shares[0] < shares[1] < 1.0
    for settings in (EngineSettings(chunked_prefill=False), None):
        inp, op = _inputs(2000 if settings is None else 9000, 1.0, settings)
        assert not np.any(last_step_fill_s(inp, op, request_grid(inp, op, 128), 0.0))
    trtllm = llama_8b_h100_lognormal(LoadSpec(kind="poisson", rate_rps=1.0), 9000).model_copy(
        update={"engine": Engine.TRTLLM}
    )
    assert prepare(llama_8b_h100_lognormal(LoadSpec(kind="poisson", rate_rps=1.0), 9000)
                   ).fills_last_prefill_step
    assert not prepare(trtllm).fills_last_prefill_step


def test_clustered_arrivals_fill_a_long_prompts_last_step_more_often() -> None:
    """The next of clustered arrivals comes sooner than a Poisson one: at light load a prompt
    past the budget finds one waiting behind its last chunk far more often (``P(k, k·m)``
    for ``1 − e^(−m)``)."""
    poisson = _inputs(9000, 0.2)
    bursty = _inputs(9000, 0.2, load=LoadSpec(kind="gamma", rate_rps=0.2, cv=1.5))
    shares = []
    for inp, op in (poisson, bursty):
        req = request_grid(inp, op, 128)
        past = req.prompt_tokens > op.steady.budget[:, None]
        shares.append(float(np.mean(last_step_fill_s(inp, op, req, 0.0)[past] > 0.0)))
    assert shares[1] > 1.5 * shares[0] > 0.0


def test_clustered_arrivals_queue_for_the_budget_and_share_their_last_step() -> None:
    """Clustered arrivals whose prompts fit a step: the queue at the budget's GI/G/1 wait (the
    share ``σ`` that waits, exponentially), plus the prompts that arrive while a request waits
    and join its last step, never more than the budget leaves beside its own prompt."""
    load = LoadSpec(kind="gamma", rate_rps=3.0, cv=1.5)
    inp, op = _inputs(3000, 3.0, load=load)
    req = request_grid(inp, op, 512)
    wait = clustered_step_wait(inp, op, req)
    st = op.steady
    service, service_cv2 = prefill_service_moments(
        op.prompt, inp.prompt_cv, st.full_prefill_s_per_token, st.prefill_pair_s
    )
    mean_s, share = budget_queue_mean_wait(
        op.admitted_rps * service, inp.arrival_cv, service, service_cv2
    )
    ahead = exponential_wait(mean_s, share, req.wait_u)
    riders = (wait - ahead) / st.full_prefill_s_per_token[:, None]
    room = np.maximum(st.budget[:, None] - req.prompt_tokens, 0.0)
    assert np.all(riders >= 0.0) and np.all(riders <= room + 1e-6)
    assert float(np.mean(wait > ahead)) > 0.9  # most requests share their last step
    assert float(ahead.mean()) > float((wait - ahead).mean())  # the queue, at this load


def test_a_chained_sglang_open_loops_ttft_tail_rises_with_the_load() -> None:
    """The rest of the step an arrival waits for is read off its quantile of the step's and
    the batches' mixture: each sample's rest rises with its level, so the tail follows the
    load. Picked by the sample's level against the step's share first, a sample at the top
    of the step fell to the start of a batch as the share passed it (Llama 3.1 8B FP8 on an
    A10, 128/128-token requests on SGLang: TTFT p99 229 → 208 ms from 72.5 to 75 % of
    capacity)."""
    params = load_parameters()
    base = scenario_from_request(
        seed_catalog(),
        model="meta-llama/Llama-3.1-8B-Instruct",
        gpu="A10",
        precision="fp8",
        engine="sglang",
        input_tokens=128,
        output_tokens=128,
    )
    scenarios = at_capacity_shares(base, list(np.linspace(0.5, 0.9, 17)), params)
    assert_never_falls(predict_many(scenarios, params), "ttft_ms", ("mean", "p50", "p90", "p99"))
