"""core.fluid_decode: the open-loop TPOT count of prefill bursts (stall units per count, the
count's ratio), finite runs the token budget paces, a burst's drain and the steps after its
last prompt."""

from __future__ import annotations

import numpy as np
import pytest
from tests.perf_fixtures import (
    assert_never_falls,
    at_capacity_shares,
    chat_burst,
    h100,
    llama_8b,
    simulated_run,
    slot_bound_burst,
)

from predeploy.core.efficiency import ParameterSet
from predeploy.core.fluid_decode import (
    _burst_shape,
    _mean_keeping_theta,
    _prefill_stall,
    _prefill_unit,
    _prompts_in_step,
    _refill_stalls,
    _stall_units,
    budget_run_s,
    drained_tpot,
    first_wave,
    refill_window,
    tail_step_s,
    tpot_samples,
)
from predeploy.core.fluid_load import operating_point, request_grid, static_batch
from predeploy.core.fluid_stats import GRID_POINTS
from predeploy.core.fluid_steady import FluidInputs
from predeploy.core.fluid_ttft import time_to_first_token
from predeploy.core.perf import _efficiency, predict, predict_many
from predeploy.core.poisson_counts import cluster_count_quantiles
from predeploy.core.simulation_trace import SimulationTrace
from predeploy.core.types import (
    EngineSettings,
    LoadSpec,
    Precision,
    ServingScenario,
    TokenDistribution,
)
from predeploy.core.workload import EfficiencyArrays, prepare, stack
from predeploy.kb.seed_files import seed_catalog
from predeploy.services.perf import load_parameters, scenario_from_request

#: A fine, even grid of probability levels (mid-points of 20,000 strata).
LEVELS = (np.arange(20_000) + 0.5) / 20_000


def _units(theta: float, ratio: float) -> np.ndarray:
    means = np.full(LEVELS.size, theta)
    count, within = cluster_count_quantiles(means, np.full(LEVELS.size, ratio), LEVELS)
    return _stall_units(count, within)


@pytest.mark.parametrize(("theta", "ratio"), [(0.7, 0.0), (1.5, 0.3), (3.0, 0.5)])
def test_stall_units_rise_with_the_level(theta: float, ratio: float) -> None:
    units = _units(theta, ratio)
    assert units[0] == 0.0 and np.all(np.diff(units) >= 0.0)


def test_no_jump_from_one_count_to_the_next() -> None:
    """The top of each count's range is the bottom of the next's, from none to one too: one
    burst costs from a sliver up to 1½ stalls, k ≥ 2 bursts k ± ½."""
    counts = np.arange(6, dtype=float)
    top = _stall_units(counts[:-1], np.ones(5))
    bottom = _stall_units(counts[1:], np.zeros(5))
    assert np.allclose(top, bottom)
    assert _stall_units(np.array([1.0, 1.0]), np.array([0.0, 1.0])).tolist() == [0.0, 1.5]


@pytest.mark.parametrize(("theta", "ratio"), [(0.3, 0.0), (0.7, 0.2), (1.5, 0.3), (3.0, 0.5)])
def test_the_raised_count_keeps_the_mean_stall(theta: float, ratio: float) -> None:
    """A single burst costs ¾ of a stall on average; the raised first parameter gives back
    the generalized Poisson mean θ/(1 − r) (to the first-order step's accuracy)."""
    raised = float(_mean_keeping_theta(np.array([theta]), np.array([ratio]))[0])
    assert raised > theta
    assert _units(raised, ratio).mean() == pytest.approx(theta / (1 - ratio), rel=0.02)
    # Without the correction the single bursts' lost quarter shows.
    assert _units(theta, ratio).mean() < theta / (1 - ratio)


def _paced(**changes: object) -> float:
    """``budget_run_s`` of 2,000 fixed 128/128 requests at once on an H100 (budget 2,048)."""
    fields: dict[str, object] = {
        "model_id": "meta-llama/Llama-3.1-8B-Instruct",
        "model": llama_8b(),
        "gpu": h100(),
        "precision": Precision.FP8,
        "engine": "trtllm",
        "prompt_tokens": TokenDistribution.fixed(128),
        "output_tokens": TokenDistribution.fixed(128),
        "load": LoadSpec(kind="max_throughput", num_prompts=2000),
        "served_over_api": False,
        "engine_settings": EngineSettings(max_num_seqs=2048, max_num_batched_tokens=2048),
    }
    scenario = ServingScenario.model_validate({**fields, **changes})
    eff, _ = _efficiency(load_parameters(), scenario)
    inp = stack([prepare(scenario)], EfficiencyArrays.from_params([eff]))
    op = operating_point(inp)
    return float(budget_run_s(inp, op)[0])


def test_a_run_the_budget_paces_is_timed_as_a_pipeline() -> None:
    paced = _paced()
    assert np.isfinite(paced) and paced > 0.0
    # More prompts take longer; a bigger budget lets the same run through faster.
    assert _paced(load={"kind": "max_throughput", "num_prompts": 4000}) > paced
    bigger = {"max_num_seqs": 2048, "max_num_batched_tokens": 3072}
    assert _paced(engine_settings=bigger) < paced


@pytest.mark.parametrize(
    "changes",
    [
        # The slots bound the batch (64 < the budget's 1,024): it refills in waves.
        {"engine_settings": {"max_num_seqs": 64, "max_num_batched_tokens": 2048}},
        # One wave: every request is admitted at once.
        {"load": {"kind": "max_throughput", "num_prompts": 500}},
        # Separate prefill batches (SGLang): the budget does not count decodes.
        {"engine": "sglang"},
    ],
)
def test_other_runs_keep_their_waves(changes: dict[str, object]) -> None:
    assert np.isnan(_paced(**changes))


@pytest.mark.parametrize("per_step", [1.0, 1.2, 1.6, 2.5])
def test_prompts_in_a_prefill_step_are_a_zero_truncated_poisson_count(per_step: float) -> None:
    """At least one prompt, more at higher levels, continuous in the level, and on average
    ``per_step`` less half a prompt for each step that holds two or more."""
    levels = (np.arange(2000) + 0.5) / 2000
    counts = _prompts_in_step(levels[:, None], np.array([per_step]))[:, 0]
    assert counts.min() >= 1.0 and np.all(np.diff(counts) >= 0)
    assert np.max(np.diff(counts[:1980])) < 0.05  # steep only in the last percent
    several = np.mean(counts > 1.0)
    assert counts.mean() == pytest.approx(per_step - 0.5 * several, abs=0.03)


def _ratios(
    prompt: int, rate_rps: float, engine: str = "vllm", *, big: bool = False
) -> tuple[float, float]:
    """(``λ·σ``, the count's ratio) of requests of ``prompt``/16 tokens: Llama 3.1 8B on an
    H100, or (``big``) 70B FP8 over 8× B200, whose step that prefills costs mostly its fixed
    extra."""
    catalog = seed_catalog()
    card = catalog.model("meta-llama/Llama-3.1-70B-Instruct") if big else None
    scenario = ServingScenario(
        model_id=card.id if card else "meta-llama/Llama-3.1-8B-Instruct",
        model=card.architecture if card else llama_8b(),
        gpu=catalog.gpu("B200") if big else h100(),
        precision=Precision.FP8 if big else Precision.BF16,
        tp=8 if big else 1,
        engine=engine,
        prompt_tokens=TokenDistribution(kind="lognormal", mean=prompt, stdev=prompt / 2),
        output_tokens=TokenDistribution(kind="lognormal", mean=16, stdev=8),
        load=LoadSpec(kind="poisson", rate_rps=rate_rps),
    )
    eff, _ = _efficiency(load_parameters(), scenario)
    inp = stack([prepare(scenario)], EfficiencyArrays.from_params([eff]))
    op = operating_point(inp)
    stall = _prefill_stall(op)
    return float(stall.offspring[0]), float(_burst_shape(inp, op, stall).ratio[0])


def test_short_prompts_merge_into_steps_that_carry_prefill_anyway() -> None:
    """Where the fixed extra of a step that prefills dominates a short prompt's stall, the
    prompts that arrive during it ride on the next step: the count is far less clustered
    than ``λ·σ`` says; where the prompt's tokens dominate, a little less (merged prompts
    share a step's fixed extra)."""
    offspring, ratio = _ratios(256, 40.0, big=True)
    assert 0.0 <= ratio < 0.5 * offspring
    offspring, ratio = _ratios(256, 40.0)
    assert 0.0 <= ratio < offspring


@pytest.mark.parametrize(
    ("prompt", "rate_rps", "engine"),
    [
        (256, 40.0, "sglang"),  # separate prefill batches yield no token: bursts stay apart
        (30_000, 0.3, "vllm"),  # prompts that span steps are bursts of their own
    ],
)
def test_bursts_that_do_not_merge_keep_their_offspring(
    prompt: int, rate_rps: float, engine: str
) -> None:
    offspring, ratio = _ratios(prompt, rate_rps, engine)
    assert ratio == pytest.approx(min(offspring, 0.95), rel=1e-9)


def _drain(output: TokenDistribution, engine: str = "vllm") -> tuple[np.ndarray, np.ndarray]:
    """Each sample's output tokens and its TPOT before and after ``drained_tpot``: a burst of
    1,000 chat-length requests (Llama 3.1 8B, H100)."""
    scenario = chat_burst(engine, output)
    eff, _ = _efficiency(load_parameters(), scenario)
    inp = stack([prepare(scenario)], EfficiencyArrays.from_params([eff]))
    op = operating_point(inp)
    req = request_grid(inp, op, GRID_POINTS)
    static = static_batch(inp, op)
    ttft = time_to_first_token(inp, op, req, static)
    running = tpot_samples(inp, op, req, first_wave(inp, op, req), static, ttft)
    drained = drained_tpot(inp, op, req, ttft, running)
    return req.output_tokens[0], np.stack([running[0], drained[0]])


@pytest.mark.parametrize("engine", ["vllm", "sglang"])
def test_the_drain_speeds_the_long_answers_most(engine: str) -> None:
    output, (running, drained) = _drain(
        TokenDistribution(kind="lognormal", mean=200, stdev=400, max=2000), engine
    )
    # Never slower than at the running batch; the longest answers gain the most.
    assert np.all(drained <= running + 1e-12)
    gain = 1.0 - drained / running
    longest, shortest = output > np.quantile(output, 0.9), output < np.quantile(output, 0.1)
    assert gain[longest].mean() > 0.3 > gain[shortest].mean()


def test_a_burst_of_fixed_answers_is_left_alone() -> None:
    _, (running, drained) = _drain(TokenDistribution.fixed(200))
    assert np.array_equal(running, drained)


def _burst_and_its_simulation(scenario: ServingScenario) -> tuple[FluidInputs, SimulationTrace]:
    """A 1,000-prompt burst's fluid inputs (shipped parameters) and its simulation (seed 0)."""
    params = load_parameters()
    eff, _ = _efficiency(params, scenario)
    return stack([prepare(scenario)], EfficiencyArrays.from_params([eff])), simulated_run(
        scenario, params
    )


def test_a_run_in_waves_drains_after_its_last_prompt() -> None:
    """A burst of 1,000 dispersed answers through 256 slots (Llama 3.1 8B, H100): once its
    last prompt is in, the steps carry no prefill and the batch shrinks as its requests end,
    so its last requests decode faster than the running batch did while prompts still came
    in. The simulation's 200 steps after its last first token take that step within 10 %."""
    inp, trace = _burst_and_its_simulation(slot_bound_burst())
    op = operating_point(inp)
    assert op.waves[0] > 1.0
    last, admitting = tail_step_s(op)[0], tail_step_s(op, admitting=True)[0]
    assert last < 0.6 * admitting
    after = np.flatnonzero(trace.step_start_s >= trace.first_token_s.max())[:200]
    assert trace.step_duration_s[after].mean() == pytest.approx(last, rel=0.1)


@pytest.mark.parametrize("engine", ["sglang", "vllm"])
def test_a_bursts_first_wave_stalls_for_the_prefill_steps_the_simulation_runs(
    engine: str,
) -> None:
    """1,000 chat prompts at once (Llama 3.1 8B, H100): the first wave's budget-full prefill
    steps, which its requests decode through. SGLang runs them with the decoders paused (495
    ms simulated; priced with the whole batch beside them: 582); vLLM's carry the decoders
    prefilled before them, few at first (335 ms on average, priced 329; 350 at the whole
    batch)."""
    inp, trace = _burst_and_its_simulation(chat_burst(engine))
    op = operating_point(inp)
    req = request_grid(inp, op, GRID_POINTS)
    wave = first_wave(inp, op, req)
    prefill = trace.step_prefill_tokens > 0
    full = prefill & (trace.step_prefill_tokens >= 0.9 * op.steady.budget[0])
    simulated_s = trace.step_duration_s[full].mean()
    # Each first-wave sample's steps, weighted by the gaps it decodes through them.
    gaps = np.minimum(wave.steps[0] * wave.stall_share[0], req.output_tokens[0])
    priced_s = float(np.average(wave.sample_step_s[0], weights=np.maximum(gaps, 1e-9)))
    assert priced_s == pytest.approx(simulated_s, rel=0.08)
    if engine == "sglang":
        assert wave.step_s[0] == pytest.approx(simulated_s, rel=0.05)


@pytest.mark.parametrize("slots", [128, 256, 512])
def test_a_slot_bound_sglang_bursts_refill_batches_spread_its_gaps(slots: int) -> None:
    """1,000 chat requests through ``slots`` on SGLang: once the slots are full, each prefill
    batch holds the prompts of the requests that just ended, a Poisson number of lognormal
    prompts, and the decoders wait for all of it. Priced at the mean batch, the ITL p90-p99
    were one value (53-54 ms at 256 slots) where the simulation's spread to 70-119; now
    within 20 %."""
    scenario = chat_burst("sglang", settings=EngineSettings(max_num_seqs=slots))
    params = load_parameters()
    analytic = predict(scenario, params).metrics.itl_ms
    simulated = predict(scenario, params, mode="simulate").metrics.itl_ms
    for stat in ("p90", "p95", "p99"):
        assert getattr(analytic, stat) == pytest.approx(getattr(simulated, stat), rel=0.2)
    assert analytic.p99 is not None and analytic.p90 is not None
    assert analytic.p99 > 1.5 * analytic.p90


def _refill_stalled_share(scenario: ServingScenario, params: ParameterSet) -> float:
    """The share of a refilling burst's gaps the analytic mode prices as stalled by refills."""
    eff, _ = _efficiency(params, scenario)
    inp = stack([prepare(scenario)], EfficiencyArrays.from_params([eff]))
    op = operating_point(inp)
    window = refill_window(inp, op)
    assert bool(window.refilling[0])
    none = np.zeros(1)
    stalls = _refill_stalls(inp, window, none, none, _prefill_unit(inp, op))
    return float(stalls.mix_share[0])


@pytest.mark.parametrize("slots", [128, 512, 600, 800])
def test_a_slot_bound_sglang_burst_pauses_the_gaps_its_refill_window_holds(slots: int) -> None:
    """1,000 chat requests through ``slots`` on SGLang: while the queue lasts, nearly every
    decode step follows a refill batch, so the paused gaps are the window's (its steps until
    the slots' renewals have let the queue in) and the ITL median a decode step of the drain
    after it. Read off the TPOT mean, the share left the window out and the median sat in
    the full batch (p50 29/49/55/59 ms against 14/43/44/43 simulated)."""
    scenario = chat_burst("sglang", settings=EngineSettings(max_num_seqs=slots))
    params = load_parameters()
    paused = _refill_stalled_share(scenario, params)
    trace = simulated_run(scenario, params)
    stalled = float(np.sum(trace.stalled_gap_weight))
    assert paused == pytest.approx(stalled / (trace.step_itl_weight.sum() + stalled), abs=0.03)
    analytic = predict(scenario, params).metrics.itl_ms
    simulated = predict(scenario, params, mode="simulate").metrics.itl_ms
    assert analytic.p50 == pytest.approx(simulated.p50, rel=0.1)


def test_a_slot_bound_vllm_bursts_refills_ride_on_the_window_steps() -> None:
    """1,000 chat requests through 256 slots on vLLM: the refill prompts' chunks ride on the
    window's decode steps, ``1 − e^{−c}`` of them, and the drain after it decodes alone. Read
    off the TPOT mean, 71 % of the gaps were priced in prefill-carrying steps, all at the
    mean chunk's (ITL p50 = p90 = 38 ms; simulated 51 %, 28/50 ms)."""
    scenario = slot_bound_burst("vllm")
    params = load_parameters()
    carrying = _refill_stalled_share(scenario, params)
    trace = simulated_run(scenario, params)
    decoding = trace.step_decode_seqs > 0
    with_prefill = decoding & (trace.step_prefill_tokens > 0)
    weight = trace.step_itl_weight
    simulated_share = weight[with_prefill].sum() / weight[decoding].sum()
    assert carrying == pytest.approx(simulated_share, abs=0.03)
    analytic = predict(scenario, params).metrics.itl_ms
    simulated = predict(scenario, params, mode="simulate").metrics.itl_ms
    assert analytic.p50 == pytest.approx(simulated.p50, rel=0.15)
    assert analytic.p90 == pytest.approx(simulated.p90, rel=0.15)


def _long_prompts(model: str, gpu: str, tp: int) -> ServingScenario:
    """4,000 ± 2,000-token prompts and 500-token answers, INT4 on vLLM's defaults: prompts
    two budgets long, a batch the KV cache bounds."""
    return scenario_from_request(
        seed_catalog(),
        model=model,
        gpu=gpu,
        tp=tp,
        precision="int4",
        input_tokens=4000,
        input_stdev=2000,
        output_tokens=500,
    )


@pytest.mark.parametrize(
    ("model", "gpu", "tp"),
    [("meta-llama/Llama-3.1-8B-Instruct", "A100-40GB", 1), ("Qwen/Qwen3-8B", "A10G", 8)],
)
def test_an_open_loops_tpot_tail_never_falls_as_the_load_nears_capacity(
    model: str, gpu: str, tp: int
) -> None:
    """The TPOT p90/p99 of clustered arrivals rise to the saturated server's and stay there.
    On the A100 the open loop's time share of prefill ran away to a budget-full step (p99
    219 ms at 96 % of capacity, 168 ms saturated; **Admission bound**); on the A10G the
    budget, shrinking as the batch grew, passed half the mean prompt and the steps a prompt
    takes jumped from 2 to 3 (p99 203 → 153 ms from 80 to 85 % of capacity)."""
    params = load_parameters()
    shares = list(np.linspace(0.6, 1.05, 19))
    scenarios = at_capacity_shares(_long_prompts(model, gpu, tp), shares, params, cv=2.0)
    assert_never_falls(predict_many(scenarios, params), "tpot_ms", ("p50", "p90", "p99"))


@pytest.mark.parametrize("share", [0.93, 0.99])
def test_an_open_loops_tpot_tail_near_capacity_is_the_simulated_one(share: float) -> None:
    """Near capacity the KV cache bounds the batch, and prompts are let in as completions free
    their slots: the simulated TPOT p90/p99 (3,000 requests) are 79-80 and 87-105 ms, the
    analytic ones 91 and 100 ms (before the admission bound 95-118 and 168-216 ms)."""
    params = load_parameters()
    base = _long_prompts("meta-llama/Llama-3.1-8B-Instruct", "A100-40GB", 1)
    (scenario,) = at_capacity_shares(base, [share], params, cv=2.0)
    analytic = predict(scenario, params).metrics.tpot_ms
    simulated = predict(scenario, params, mode="simulate", num_requests=3000).metrics.tpot_ms
    assert analytic.p90 == pytest.approx(simulated.p90, rel=0.2)
    assert analytic.p99 == pytest.approx(simulated.p99, rel=0.2)


def test_no_decode_step_runs_more_sequences_than_the_engine_holds() -> None:
    """The batch an open-loop decode step meets spreads with the arrivals, but no step runs
    more sequences than the slots and the KV cache hold: Llama 3.1 70B on 2× GB200, chat
    lengths, at capacity the ITL median sat on a decode-only step slower than the full batch's
    (123 ms, where the full batch's step takes 97) and fell to 111 ms as the load passed
    capacity; now it rises through it."""
    params = load_parameters()
    base = scenario_from_request(
        seed_catalog(),
        model="meta-llama/Llama-3.1-70B-Instruct",
        gpu="GB200",
        tp=2,
        precision="bf16",
        input_tokens=1000,
        input_stdev=500,
        output_tokens=300,
        output_stdev=150,
    )
    scenarios = at_capacity_shares(base, list(np.linspace(0.9, 1.1, 9)), params)
    assert_never_falls(predict_many(scenarios, params), "itl_ms", ("p50", "p90", "p99"))
