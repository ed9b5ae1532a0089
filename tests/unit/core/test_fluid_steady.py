"""Steady-state pieces: the running batch of a finite open loop, the recompute of a KV-bound
batch, the running batch's mean output and separate prefill batches (``fluid_steady``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest
from tests.perf_fixtures import h100, l4, llama_8b, slot_bound_burst

from predeploy.core.efficiency import EfficiencyParams
from predeploy.core.fluid_steady import (
    KV_BOUND_RECOMPUTE_PER_OUTPUT_TOKEN,
    MAX_CHAIN_BATCHES,
    FluidInputs,
    RequestView,
    apart_chunk,
    chained_decode_cycle_s,
    closed_loop_batch,
    decode_eager_share,
    finite_run_batch,
    front_paced_batch,
    kv_batch_limit,
    kv_growth_deficit,
    max_batch,
    no_arrival_chance,
    prefill_context_tokens,
    running_context_variance,
    running_output,
    solve_open_loop_batch,
    started_run_output,
    steady_state,
    steps_s,
)
from predeploy.core.lengths import wave_peak_context
from predeploy.core.perf import predict
from predeploy.core.types import LoadSpec, Precision, ServingScenario, TokenDistribution
from predeploy.core.workload import EfficiencyArrays, prepare, stack
from predeploy.services.perf import load_parameters


def _overlap_batch(steady_batch: float, num_prompts: float) -> float:
    """The mean over requests of the others in flight, by quadrature: ``N`` arrivals spread
    evenly over ``T = N/λ``, each in flight for ``τ`` (units: ``τ = 1``, ``λ = b``)."""
    span = num_prompts / steady_batch
    t = (np.arange(4000) + 0.5) / 4000 * span
    overlap = np.clip(1.0 - np.abs(t[:, None] - t[None, :]), 0.0, None)
    return float(steady_batch * overlap.mean() * span)


@pytest.mark.parametrize(
    ("steady_batch", "num_prompts"),
    [(50.0, 1000.0), (120.0, 200.0), (200.0, 200.0), (300.0, 100.0), (800.0, 50.0)],
)
def test_the_batch_is_the_mean_overlap_of_the_requests(
    steady_batch: float, num_prompts: float
) -> None:
    got = finite_run_batch(np.array([steady_batch]), np.array([num_prompts]))[0]
    assert got == pytest.approx(_overlap_batch(steady_batch, num_prompts), rel=2e-3)


def test_limits() -> None:
    steady = np.array([64.0, 64.0, 64.0, 5000.0])
    prompts = np.array([np.inf, 1e7, 64.0, 100.0])
    got = finite_run_batch(steady, prompts)
    assert got[0] == 64.0  # an open-ended run
    assert got[1] == pytest.approx(64.0, rel=1e-5)
    assert got[2] == pytest.approx(64.0 * 2.0 / 3.0)  # the run lasts one lifetime
    assert got[3] == pytest.approx(100.0, rel=0.01)  # all arrive within a lifetime
    assert np.all(got <= np.minimum(steady, prompts) + 1e-9)


def test_rises_with_the_steady_batch_and_the_run_length() -> None:
    batches = np.linspace(1.0, 2000.0, 400)
    assert np.all(np.diff(finite_run_batch(batches, np.full_like(batches, 300.0))) > 0)
    runs = np.linspace(1.0, 5000.0, 400)
    assert np.all(np.diff(finite_run_batch(np.full_like(runs, 300.0), runs)) > 0)


def _inputs(
    output: TokenDistribution,
    load: LoadSpec,
    prompt: TokenDistribution = TokenDistribution.fixed(512),
) -> FluidInputs:
    scenario = ServingScenario(
        model_id="m",
        model=llama_8b(),
        gpu=h100(),
        precision=Precision.BF16,
        prompt_tokens=prompt,
        output_tokens=output,
        load=load,
    )
    return stack([prepare(scenario)], EfficiencyArrays.from_params([EfficiencyParams()]))


def test_independent_completions_leave_a_growing_batch_short_only_when_none_finish() -> None:
    """Poisson completions of ``B/O`` per step, each freeing ``I + O`` tokens, against ``B``
    tokens of growth: with ``m = B/(I + O) < 1`` a step is short only when none finishes,
    so the recompute is the full rate's share ``e^(−B/O)``."""
    inp = _inputs(TokenDistribution.fixed(256), LoadSpec(kind="poisson", rate_rps=10.0))
    batch, prompt, out = np.array([700.0]), np.array([512.0]), np.array([256.0])
    got = kv_growth_deficit(inp, batch, prompt, out)[0]
    full = KV_BOUND_RECOMPUTE_PER_OUTPUT_TOKEN * 700.0
    assert got == pytest.approx(full * np.exp(-700.0 / 256.0), rel=1e-9)
    # Many completions per step (long prompts freed, short answers): nothing is recomputed.
    many = kv_growth_deficit(inp, np.array([2000.0]), np.array([4000.0]), np.array([20.0]))
    assert many[0] == pytest.approx(0.0, abs=1e-6)


def test_alike_answers_that_start_together_recompute_between_their_cohorts() -> None:
    inp = _inputs(TokenDistribution.fixed(256), LoadSpec(kind="max_throughput"))
    got = kv_growth_deficit(inp, np.array([700.0]), np.array([512.0]), np.array([256.0]))[0]
    assert got == pytest.approx(KV_BOUND_RECOMPUTE_PER_OUTPUT_TOKEN * 700.0)


def test_a_finite_run_replaces_only_the_requests_after_its_first_wave() -> None:
    output = TokenDistribution(kind="lognormal", mean=1000, stdev=1000)
    open_ended = _inputs(output, LoadSpec(kind="max_throughput"))
    assert running_output(open_ended)[0] == pytest.approx(2000.0)
    one_wave = _inputs(output, LoadSpec(kind="burst", num_prompts=10))
    assert running_output(one_wave)[0] == pytest.approx(1000.0)
    static = _inputs(output, LoadSpec(kind="static_batch", batch_size=8))
    assert running_output(static)[0] == pytest.approx(1000.0)


#: ShareGPT-like answers (``vllm bench serve``: mean 205, CV 2, none beyond 2,044 tokens).
SHAREGPT_ANSWERS = TokenDistribution(kind="lognormal", mean=205, stdev=410, max=2044)


def _burst(num_prompts: int, kv_capacity_tokens: float) -> FluidInputs:
    inp = _inputs(SHAREGPT_ANSWERS, LoadSpec(kind="burst", num_prompts=num_prompts))
    return replace(inp, kv_capacity_tokens=np.array([kv_capacity_tokens]))


def test_a_burst_that_refills_its_slots_holds_younger_answers_than_the_steady_state() -> None:
    """Its slots start together and refill from its queue: the answers they hold age as a
    started run's do, further the longer the run, never as far as the steady state."""
    inp = _burst(1000, 200_000.0)
    # The answers average less than 205 as drawn (the log-normal is cut at 2,044 tokens).
    out, biased, slots = (float(a[0]) for a in (inp.output_tokens, inp.output_running,
                                                 inp.max_num_seqs))
    held = [float(running_output(_burst(n, 200_000.0))[0]) for n in (1000, 4000, 16000)]
    assert out < 205.0 and out < held[0] < held[1] < held[2] < biased
    law = (205.0, 2.0, 2044.0)
    expected = started_run_output(512.0, out, law, biased, 1000.0, slots, 200_000.0)
    assert held[0] == pytest.approx(expected)


def test_a_burst_that_fits_at_once_runs_whole() -> None:
    """A vLLM burst whose prompts, and the answers' growth at the wave's fullest, all fit runs
    every request at once; a little less room and the steady state's limit holds."""
    peak = float(
        wave_peak_context(
            np.array([512.0]), np.array([205.0]), np.array([2.0]), np.array([2044.0])
        )[0]
    )
    room = 200 * peak
    assert kv_batch_limit(_burst(200, room * 1.001))[0] == pytest.approx(200.0)
    short = kv_batch_limit(_burst(200, room * 0.99))[0]
    assert short < 200.0
    # An engine that reserves each answer at admission keeps its own limit.
    reserving = replace(_burst(200, room * 1.001), reserve_full_context=np.array([True]))
    assert kv_batch_limit(reserving)[0] < 200.0


def test_the_batch_limits_are_derived_from_the_inputs_they_describe() -> None:
    """``kv_batch_limit`` and ``max_batch`` are derived once per ``FluidInputs`` and again for a
    copy with other inputs: half the KV cache holds half the sequences."""
    inp = _inputs(TokenDistribution.fixed(256), LoadSpec(kind="max_throughput"))
    assert not inp.reserve_full_context[0]  # vLLM grows each sequence's KV as it decodes
    context = 512.0 + 256.0 / 2.0
    assert kv_batch_limit(inp)[0] == pytest.approx(inp.kv_capacity_tokens[0] / context)
    half = replace(inp, kv_capacity_tokens=inp.kv_capacity_tokens / 2.0)
    assert kv_batch_limit(half)[0] == pytest.approx(kv_batch_limit(inp)[0] / 2.0)
    for case in (inp, half):
        slots = min(case.max_num_seqs[0], kv_batch_limit(case)[0])
        tokens = case.max_num_batched_tokens[0] * 256.0 / (512.0 + 256.0)
        assert max_batch(case)[0] == pytest.approx(max(min(slots, tokens), 1.0))


def test_an_open_loops_decode_steps_turn_eager_gradually_around_the_graph_limit() -> None:
    """A fixed population decodes eagerly all or never; an open loop's batch varies, so the
    share of its decode steps beyond the largest captured graph rises smoothly with the batch,
    and a batch at the limit runs half of them eagerly."""
    output = TokenDistribution.fixed(256)
    batch = np.linspace(300.0, 700.0, 401)
    for load, smooth in (
        (LoadSpec(kind="poisson", rate_rps=10.0), True),
        (LoadSpec(kind="concurrency", concurrency=64), False),
    ):
        inp = replace(_inputs(output, load), graph_max_batch=np.array([512.0]))
        view = RequestView.of(inp)
        share = decode_eager_share(inp, batch[:, None], batch[:, None], view)[:, 0]
        assert np.all(np.diff(share) >= 0.0) and share[0] < 1e-6 and share[-1] > 1 - 1e-6
        at_limit = share[batch == 512.0][0]
        if smooth:
            assert at_limit == pytest.approx(0.5, abs=1e-6)
            assert np.all(np.diff(share) < 0.02)  # no step: √512 sequences of spread
        else:
            assert set(np.unique(share)) == {0.0, 1.0} and at_limit == 0.0
        # Without captured graphs every step is eager; with unlimited ones none.
        for limit, expected in ((0.0, 1.0), (np.inf, 0.0)):
            unlimited = replace(inp, graph_max_batch=np.array([limit]))
            got = decode_eager_share(unlimited, batch[:, None], batch[:, None], view)
            assert np.all(got == expected)


@pytest.mark.parametrize("batch", [64.0, 512.0])
def test_a_prompt_tokens_cost_ignores_how_many_decode_steps_run_eagerly(batch: float) -> None:
    """A prefill-carrying step always runs eagerly, so its cost per prompt token is read
    against a decode step replayed from a graph: however many decode-only steps run eagerly
    (none, some, all), the cost per token is the same, the fixed extra over the mean decode
    step falls by their launches and the line still passes through the mean
    prefill-carrying step, ``t_mix``. Read against the mean decode step, the cost per token
    fell as the eager share rose, and with it the step cycle's wait (Mixtral 8x7B on 4x
    H100: TTFT p99 −0.5 % over 39.3-39.65 req/s)."""
    inp = _inputs(TokenDistribution.fixed(256), LoadSpec(kind="poisson", rate_rps=10.0))
    rows = np.array([batch])
    states = [
        steady_state(replace(inp, graph_max_batch=np.array([limit])), rows)
        for limit in (np.inf, batch, 0.0)
    ]
    first = states[0]
    launches = inp.step.eager_s[0] * inp.step.pp[0]
    decode = [s.t_dec[0] for s in states]
    assert decode[0] < decode[1] < decode[2] == pytest.approx(decode[0] + launches, rel=1e-12)
    for state in states:
        assert state.t_mix[0] == pytest.approx(first.t_mix[0], rel=1e-12)
        assert state.prefill_token_s[0] == pytest.approx(first.prefill_token_s[0], rel=1e-12)
        # The extra falls by what the decode step gained.
        extra = state.prefill_step_extra_s[0]
        assert state.t_dec[0] + extra == pytest.approx(
            first.t_dec[0] + first.prefill_step_extra_s[0], rel=1e-12
        )
        mean_step = state.t_dec + extra + state.prefill_token_s * state.prefill_step_tokens
        assert mean_step[0] == pytest.approx(state.t_mix[0], rel=1e-12)


def test_separate_prefill_batches_run_alone_then_the_decoders_step() -> None:
    """An engine that prefills in batches of their own (SGLang) pays each prompt chunk's step
    alone, at the whole token budget, and then a decode step; a prompt's own prefill carries
    no decode step. A chunked-prefill engine's chunk rides on the decode step."""
    inp = _inputs(TokenDistribution.fixed(256), LoadSpec(kind="poisson", rate_rps=10.0))
    separate = replace(inp, separate_prefill_batches=np.array([True]))
    batch = np.array([40.0])
    mixed, alone = steady_state(inp, batch), steady_state(separate, batch)
    assert np.array_equal(mixed.prefill_ride_s, mixed.t_dec)
    assert alone.prefill_ride_s[0] == 0.0
    assert alone.budget[0] == separate.max_num_batched_tokens[0]
    assert mixed.budget[0] == inp.max_num_batched_tokens[0] - 39.0  # the other decoders
    chunk = alone.prefill_step_tokens
    zero = np.zeros_like(chunk)
    (prefill_only,) = steps_s(
        separate, (chunk, chunk * prefill_context_tokens(separate), zero, zero)
    )
    assert alone.t_mix[0] == pytest.approx(prefill_only[0] + alone.t_dec[0], rel=1e-12)
    assert alone.own_chunk_step_s()[0] == pytest.approx(prefill_only[0], rel=1e-12)
    assert mixed.own_chunk_step_s()[0] == pytest.approx(mixed.t_mix[0], rel=1e-12)
    # The prefill batch carries its own fixed cost and weight read: dearer than riding along.
    assert alone.t_mix[0] - alone.t_dec[0] > mixed.t_mix[0] - mixed.t_dec[0]


def test_a_slot_bound_backlog_prefills_what_its_completions_free() -> None:
    """SGLang's burst of 1,000 dispersed answers through 256 slots (Llama 3.1 8B, H100): with
    prompts waiting and the slots full, each prefill batch takes the few prompts a decode
    step's completions make room for, not the whole budget, so most of the answers' steps pay
    a small batch's fixed cost; the TPOT median is the simulation's within 10 %. Slots to
    spare, the waiting prompts fill the budget."""
    scenario = slot_bound_burst("sglang")
    inp = stack([prepare(scenario)], EfficiencyArrays.from_params([EfficiencyParams()]))
    assert inp.separate_prefill_batches[0]
    bound = steady_state(inp, np.array([256.0]), backlog=1.0)
    spare = steady_state(inp, np.array([128.0]), backlog=1.0)
    assert bound.prefill_step_tokens[0] < 0.1 * bound.budget[0]
    assert spare.prefill_step_tokens[0] == spare.budget[0]
    params = load_parameters()
    analytic = predict(scenario, params).metrics.tpot_ms.p50
    simulated = predict(scenario, params, mode="simulate").metrics.tpot_ms.p50
    assert analytic == pytest.approx(simulated, rel=0.1)


def test_the_open_loop_batch_solves_littles_law_with_separate_prefill_batches() -> None:
    """The open-loop solve prices its grid of batches with a lean slot time of its own; with
    separate prefill batches, which chain at the open loop's rate, it agrees with the steady
    state's: ``B = λ·slot_time(B)``."""
    inp = _inputs(TokenDistribution.fixed(256), LoadSpec(kind="poisson", rate_rps=10.0))
    separate = replace(inp, separate_prefill_batches=np.array([True]))
    rate = np.array([20.0])
    batch = solve_open_loop_batch(separate, rate, max_batch(separate))
    slot = steady_state(separate, batch, chain_rate=rate).slot_time
    assert batch[0] == pytest.approx(rate[0] * slot[0], rel=2e-3)


@pytest.mark.parametrize("server_rps", [0.5, 2.0, 8.0, 30.0, 120.0, 1e4, np.inf])
@pytest.mark.parametrize("clients", [4, 32, 256])
def test_the_front_end_paces_a_closed_loop_only_below_its_engine_and_its_clients(
    server_rps: float, clients: int
) -> None:
    """A server that takes requests faster than the engine's capacity or the clients' demand
    (both bounded by the decode steps at the smallest step) paces no one: the quick bound
    returns what the full check does, and a slow server still paces, below ``B_max``."""
    inp = _inputs(TokenDistribution.fixed(256), LoadSpec(kind="concurrency", concurrency=clients))
    b_max = max_batch(inp)
    rate = np.array([server_rps])
    paced = front_paced_batch(inp, rate, b_max)
    full = steady_state(inp, b_max).slot_time
    alone = steady_state(inp, np.ones(1)).slot_time
    engine_faster = rate[0] < b_max[0] / full[0]
    clients_faster = clients / alone[0] > rate[0]
    if np.isfinite(server_rps) and engine_faster and clients_faster:
        assert 0.0 < paced[0] < b_max[0]
        assert paced[0] == pytest.approx(server_rps * steady_state(inp, paced).slot_time[0], 2e-2)
    elif not (0.9 < rate[0] * full[0] / b_max[0] < 1.1 or 0.9 < rate[0] * alone[0] / clients < 1.1):
        assert paced[0] == np.inf


def test_prompts_that_arrive_apart_share_a_step_as_a_poisson_count() -> None:
    """An open loop's prompts arrive independently: ``m`` per step on average, a share
    ``1 − e^(−m)`` of the steps carries any, ``m/(1 − e^(−m))`` prompts each (the mean is
    kept). A fixed population's next prompts follow its completions, one a step below one
    per step; smoother arrivals lie in between; no step carries more than the budget."""
    prompt = 512.0
    m = np.array([0.05, 0.5, 1.0, 3.0])
    budget = np.full_like(m, 1e9)
    one = np.ones_like(m)  # every prompt in one step
    poisson = _inputs(TokenDistribution.fixed(256), LoadSpec(kind="poisson", rate_rps=10.0))
    chunk = apart_chunk(poisson, m * prompt, budget, RequestView.of(poisson), one)
    np.testing.assert_allclose(chunk, prompt * m / (1.0 - np.exp(-m)), rtol=1e-12)
    share = m * prompt / chunk
    np.testing.assert_allclose(share, 1.0 - np.exp(-m), rtol=1e-12)
    closed = _inputs(TokenDistribution.fixed(256), LoadSpec(kind="concurrency", concurrency=8))
    regular = apart_chunk(closed, m * prompt, budget, RequestView.of(closed), one)
    np.testing.assert_allclose(regular, prompt * np.maximum(m, 1.0), rtol=1e-12)
    small = np.full_like(m, 600.0)
    capped = apart_chunk(poisson, m * prompt, small, RequestView.of(poisson), one)
    assert np.all(capped <= 600.0)
    # Smoother arrivals (CV 0.5) clump less: the share blends towards min(m, 1) with CV².
    smooth = _inputs(TokenDistribution.fixed(256), LoadSpec(kind="gamma", rate_rps=10.0, cv=0.5))
    share = m * prompt / apart_chunk(smooth, m * prompt, budget, RequestView.of(smooth), one)
    expected = 0.25 * (1.0 - np.exp(-m)) + 0.75 * np.minimum(m, 1.0)
    np.testing.assert_allclose(share, expected, rtol=1e-12)


def test_stacked_scenarios_are_each_scenario_alone() -> None:
    """Many scenarios stacked in one table give every array, derived ones included, the
    values each scenario has stacked alone."""
    loads = [
        LoadSpec(kind="poisson", rate_rps=3.0),
        LoadSpec(kind="concurrency", concurrency=16),
        LoadSpec(kind="burst", num_prompts=200),
    ]
    scenarios = [
        ServingScenario(
            model_id="meta-llama/Llama-3.1-8B-Instruct",
            model=llama_8b(),
            gpu=h100(),
            precision=Precision.BF16,
            prompt_tokens=TokenDistribution(kind="lognormal", mean=600, stdev=300),
            output_tokens=TokenDistribution.fixed(128 * (i + 1)),
            load=load,
        )
        for i, load in enumerate(loads)
    ]
    eff = [EfficiencyParams()] * len(scenarios)
    together = stack([prepare(s) for s in scenarios], EfficiencyArrays.from_params(eff))
    for i, scenario in enumerate(scenarios):
        alone = stack([prepare(scenario)], EfficiencyArrays.from_params(eff[:1]))
        for name in ("prompt_tokens", "output_tokens", "load_kind", "max_num_seqs", "served"):
            assert getattr(together, name)[i] == getattr(alone, name)[0]
            assert getattr(together, name).dtype == getattr(alone, name).dtype
        for name in ("prompt_at_least_one", "decode_steps", "prefill_context", "sync", "b_max"):
            assert getattr(together, name)[i] == getattr(alone, name)[0]
        assert np.asarray(together.shape.dense_bytes)[i] == np.asarray(alone.shape.dense_bytes)[0]
        assert np.asarray(together.hw.hbm_bytes_per_s)[i] == np.asarray(alone.hw.hbm_bytes_per_s)[0]
    # The derived arrays are their definitions.
    assert np.array_equal(together.decode_steps, np.maximum(together.output_tokens - 1.0, 0.0))
    assert np.array_equal(
        prefill_context_tokens(together),
        np.maximum(together.prompt_tokens, 1.0) * (1.0 + together.prompt_cv**2) / 2.0,
    )
    assert together.sync[0] == 0.0  # an open loop's requests finish independently
    assert together.sync[1] == together.sync[2] == 1.0  # alike answers finish together


def _closed(clients: int, prompt: TokenDistribution) -> FluidInputs:
    load = LoadSpec(kind="concurrency", concurrency=clients)
    return _inputs(TokenDistribution.fixed(300), load, prompt)


def test_clients_at_the_kv_limit_run_the_mean_of_what_fits() -> None:
    """Varied 30k-token prompts: the cache holds B_max of them in tokens, a random number of
    whole ones; the clients run the mean of the smaller of it and their count, many clients
    the renewal count's mean ``C/m + (cv² − 1)/2``. Well inside the cache all run; alike
    prompts (no variance) run min(c, ⌊B_max⌋); more clients never run fewer."""
    varied = TokenDistribution(kind="lognormal", mean=30000, stdev=15000, max=100000)
    fit = float(max_batch(_closed(1, varied))[0])
    batches = []
    for clients in range(1, 3 * int(fit) + 2):
        inp = _closed(clients, varied)
        batch = float(closed_loop_batch(inp, max_batch(inp))[0])
        assert 1.0 <= batch <= min(clients, fit) + 1e-12
        batches.append(batch)
    assert np.all(np.diff(batches) >= 0.0)
    assert batches[0] == 1.0  # one client alone
    at_limit = batches[int(fit) - 1]  # as many clients as the cache holds on average
    assert 0.8 * fit < at_limit < fit - 0.3
    # Many clients wait: the cache full of whole contexts, fewer than its tokens' worth.
    many = _closed(3 * int(fit) + 1, varied)
    context = float(many.kv_capacity_tokens[0]) / fit
    cv2 = float(running_context_variance(many)[0]) / context**2
    assert batches[-1] == pytest.approx(fit + (cv2 - 1.0) / 2.0, abs=0.05)
    for clients in (int(fit) - 1, int(fit), int(fit) + 3):
        alike = _closed(clients, TokenDistribution.fixed(30000))
        b_max = max_batch(alike)
        assert float(closed_loop_batch(alike, b_max)[0]) == pytest.approx(
            min(clients, np.floor(float(b_max[0]))), rel=1e-9
        )


def _absorbed_chain(rate: float, extra_s: float, prompt_s: float, prompts: int = 1) -> float:
    """Mean prefill batches of a chain started by ``prompts``, solved exactly: each batch of
    ``n`` prompts lasts ``E + n·s``, the next holds Poisson(``λ(E + n·s)``), none ends it."""
    sizes = np.arange(1, 129)
    means = rate * (extra_s + prompt_s * sizes)
    log_p = (
        -means[:, None]
        + sizes[None, :] * np.log(means[:, None])
        - np.cumsum(np.log(sizes))[None, :]
    )
    batches = np.linalg.solve(np.eye(sizes.size) - np.exp(log_p), np.ones(sizes.size))
    return float(batches[prompts - 1])


def _batches(extra_s: float, prompt_s: float) -> Callable[[np.ndarray], np.ndarray]:
    """Seconds of a prefill batch of ``n`` prompts: ``E + n·s``."""
    return lambda prompts: extra_s + prompts * prompt_s


def _started_chain(rate: float, extra_s: float, prompt_s: float, step_s: float) -> float:
    """Mean prefill batches of a chain started by the prompts of one decode step (a Poisson
    count given at least one), solved exactly (:func:`_absorbed_chain`)."""
    arrivals = rate * step_s
    counts = np.arange(1, 40)
    weights = np.exp(-arrivals + counts * np.log(arrivals) - np.cumsum(np.log(counts)))
    chains = [_absorbed_chain(rate, extra_s, prompt_s, int(k)) for k in counts]
    return float(np.dot(weights, chains) / weights.sum())


@pytest.mark.parametrize(
    ("rate", "extra", "prompt", "step"),
    [
        (117.0, 0.0105, 0.00225, 0.00536),  # phi-4 on 8x MI355X, 256/16 tokens
        (54.8, 0.025, 0.006, 0.0148),
        (24.0, 0.030, 0.0025, 0.011),
        (10.0, 0.02, 0.05, 0.01),
        (1.38, 0.01, 0.45, 0.0044),  # 4,000-token prompts: one batch outlasts the arrival gap
        (0.298, 0.05, 2.0, 0.021),
    ],
)
def test_a_chain_of_prefill_batches_is_as_long_as_solved_exactly(
    rate: float, extra: float, prompt: float, step: float
) -> None:
    """Every batch of a chain holds at least one prompt; priced so from the first batch and
    the second, a chain's length is within 2 % of the chain of batch sizes solved exactly
    (``e^n̄`` at the settled ``n̄`` gave the 4,000-token chains 1.04 batches, against 2.1)."""
    chain = chained_decode_cycle_s(rate, np.array([step]), _batches(extra, prompt), np.zeros(1))
    assert chain.length[0] == pytest.approx(_started_chain(rate, extra, prompt, step), rel=0.02)
    assert chain.start[0] == pytest.approx(1.0 - np.exp(-rate * step))
    chain_s = chain.batch_s[0] * chain.length[0]
    assert chain.cycle_s[0] == pytest.approx(step + chain.start[0] * chain_s)


def test_a_chain_of_prefill_batches_paces_the_decode_steps() -> None:
    """Phi-4 on 8x MI355X at 117 requests/s (``E_p`` 10.5 ms, 2.25 ms a prompt, decode step
    5.36 ms): the simulation without an API server ran 2.3 prefill batches per decode step
    and a decode step every 40 ms (its largest batch ends some chains: priced 2.6 and
    44 ms)."""
    rate, extra, prompt, step = 117.0, 0.0105, 0.00225, 0.00536

    def cycle_at(rate: float, extra: float = extra) -> tuple[float, float, float]:
        chain = chained_decode_cycle_s(rate, np.array([step]), _batches(extra, prompt), np.zeros(1))
        per_step = float(chain.start[0] * chain.length[0])
        return float(chain.cycle_s[0]), per_step, float(chain.length[0])

    cycle, per_step, _ = cycle_at(rate)
    assert per_step == pytest.approx(2.3, rel=0.15)
    assert cycle == pytest.approx(0.040, rel=0.15)
    # A slow rate: hardly any chain. A steep one: no longer than MAX_CHAIN_BATCHES batches.
    assert cycle_at(1.0)[0] == pytest.approx(step, rel=0.05)
    assert cycle_at(rate, extra=0.05)[2] == MAX_CHAIN_BATCHES


def test_an_api_server_spaces_the_arrivals_and_lengthens_the_chains() -> None:
    """Behind a server that takes 7.3 ms a request (85 % busy at 117 requests/s) fewer windows
    see no arrival: the simulation's chains ran 14.5 batches, against 5 without it."""
    rate, window = 117.0, np.array([0.0135])
    poisson = no_arrival_chance(rate, window, np.zeros(1))
    spaced = no_arrival_chance(rate, window, np.array([0.0073]))
    assert poisson[0] == pytest.approx(np.exp(-rate * 0.0135))
    assert 1.0 / spaced[0] == pytest.approx(14.5, rel=0.1)
    # Shorter than the server's time a request: at most one arrives, with chance λ·w.
    assert no_arrival_chance(rate, np.array([0.005]), np.array([0.0073]))[0] == pytest.approx(
        1.0 - rate * 0.005
    )


@pytest.mark.parametrize(
    ("engine", "output", "whole"),
    [
        ("trtllm", TokenDistribution.fixed(100), True),
        ("trtllm", TokenDistribution(kind="lognormal", mean=100, stdev=50, max=400), False),
        ("vllm", TokenDistribution.fixed(100), False),
    ],
)
def test_reserved_contexts_all_alike_fit_a_whole_number_of_times(
    engine: str, output: TokenDistribution, whole: bool
) -> None:
    """An engine that reserves each context whole runs as many as fit whole when all are
    alike; varied lengths fit a varying number (their mean), and an engine that grows the
    cache on demand a running mean of partly decoded contexts."""
    scenario = ServingScenario(
        model_id="m",
        model=llama_8b(),
        gpu=l4(),
        precision=Precision.BF16,
        engine=engine,  # type: ignore[arg-type]
        prompt_tokens=TokenDistribution.fixed(30_000),
        output_tokens=output,
        load=LoadSpec(kind="burst", num_prompts=20),
    )
    inp = stack([prepare(scenario)], EfficiencyArrays.from_params([EfficiencyParams()]))
    limit = float(kv_batch_limit(inp)[0])
    assert 1.0 <= limit < 2.0
    assert (limit == 1.0) is whole
