"""The analytic modes agree with the simulation within 10 % across the grids (agreement.py):
the load model of ``core.analytic`` on roofline-shaped test models, and the fluid mode of
``core.perf`` on the planner's workloads (bursty arrivals, 30k-token RAG, p90s)."""

from __future__ import annotations

import numpy as np
import pytest
from agreement import (
    CLOSED_CLIENTS,
    CLOSED_METRICS,
    LOADS,
    METRICS,
    MIXES,
    PLANNER_ARRIVALS,
    PLANNER_LOADS,
    PLANNER_METRICS,
    PLANNER_MIXES,
    PLANNER_PARAMS,
    PLANNER_SHAPES,
    SEED,
    Agreement,
    compare_closed,
    compare_load,
    compare_planner,
    compare_saturation,
)
from stepmodels import SHAPES
from tests.perf_fixtures import h100, l4, llama_8b, llama_70b

from predeploy.core.fluid_load import operating_point
from predeploy.core.fluid_steady import SteadyState
from predeploy.core.latency import RooflineStepCost
from predeploy.core.lengths import lognormal_cv
from predeploy.core.perf import predict, scheduler_config
from predeploy.core.simulator import run_simulation
from predeploy.core.types import (
    Engine,
    EngineSettings,
    LoadSpec,
    Precision,
    ServingScenario,
    TokenDistribution,
)
from predeploy.core.workload import EfficiencyArrays, prepare, stack
from predeploy.kb.seed_files import seed_catalog
from predeploy.services.perf import load_parameters

TOLERANCE = 0.10


@pytest.mark.slow
@pytest.mark.parametrize("mix", list(MIXES))
@pytest.mark.parametrize("shape", list(SHAPES))
def test_saturation_throughput(shape: str, mix: str) -> None:
    agreement = compare_saturation(shape, mix)
    assert abs(agreement.error("throughput")) <= TOLERANCE, agreement


#: Grid points where the analytic mode is known to miss by more than the tolerance.
KNOWN_GAPS = {
    # A KV-limited small accelerator at 90 % load with long, chunked prompts: the simulation
    # thrashes (13 % of requests preempted, queues 3x longer than the soft-limit queueing
    # model predicts): TTFT p50 -14 %, E2E p50 -11 %. The simulation itself is not settled
    # there: seeds 1, 2 and 3 give TTFT p50 499, 792 and 574 ms (analytic 427 ms).
    ("small-on-small", "rag lognormal", 0.9),
}


def grid() -> list[object]:
    points: list[object] = []
    for shape in SHAPES:
        for mix in MIXES:
            for fraction in LOADS:
                marks = []
                if (shape, mix, fraction) in KNOWN_GAPS:
                    marks.append(pytest.mark.xfail(reason="known gap, see KNOWN_GAPS"))
                points.append(pytest.param(shape, mix, fraction, marks=marks))
    return points


@pytest.mark.slow
@pytest.mark.parametrize(("shape", "mix", "fraction"), grid())
def test_median_latencies_and_throughput(shape: str, mix: str, fraction: float) -> None:
    agreement = compare_load(shape, mix, fraction)
    errors = {m: round(agreement.error(m), 3) for m in METRICS}
    assert all(abs(e) <= TOLERANCE for e in errors.values()), (errors, agreement)


#: Metrics of the planner grid where the fluid mode is known to miss by more than the
#: tolerance, per (mix, arrivals); a point whose other metrics agree is an expected failure.
KNOWN_PLANNER_GAPS: dict[tuple[str, str], dict[str, str]] = {
    ("chat lognormal", "gamma cv1.5"): {
        "itl_p90": "clustered arrivals bunch prefill-carrying steps, which the mixture of one "
        "prompt per step (lognormal sizes) does not (+6..+26 % at 60 % load; +34..+88 % "
        "before the prompt sizes were priced)",
    },
    ("rag 30k lognormal", "poisson"): {
        "itl_p90": "the decode steps' spread with the batch met and its 30k-token contexts is "
        "priced (compound Poisson KV, over-dispersed by the prefill stalls) but still "
        "narrower than simulated for the 8B at 60 % load (-2..-25 %; -4..-35 % with a "
        "Poisson batch, -15..-51 % at one batch)",
        "e2e_p90": "TPOT tail: the cluster count of prefill bursts (generalized Poisson, "
        "correlated with the wait) spreads TPOT, but E2E's tail is still narrower than "
        "simulated at 60 % load (-1..-14 %; -4..-26 % with a Poisson count)",
    },
    ("rag 30k lognormal", "gamma cv1.5"): {
        "itl_p90": "as for Poisson arrivals, and over-dispersed twice (the arrivals' CV² and "
        "the stalls') for the 70B at 60 % load (-17..+24 %)",
        "e2e_p90": "as for Poisson arrivals (+2..-16 %)",
        "ttft_p50": "prompts that span steps queue at the prefill budget: the GI/M/1 "
        "waiting share, exponentially, its mean the GI/G/1 one (-10..-3 %; the exponential "
        "puts too few waits near the median at light load, Lindley's recursion more)",
        "ttft_p90": "as ttft_p50; the 70B's 30k-token prompts at 60 % load queue longer "
        "still (-22 %; -9..+5 % elsewhere)",
    },
}


def planner_grid() -> list[object]:
    return [
        pytest.param(shape, mix, arrivals, fraction)
        for shape in PLANNER_SHAPES
        for mix in PLANNER_MIXES
        for arrivals in PLANNER_ARRIVALS
        for fraction in PLANNER_LOADS
    ]


@pytest.mark.slow
@pytest.mark.parametrize(("shape", "mix", "arrivals", "fraction"), planner_grid())
def test_planner_workloads(shape: str, mix: str, arrivals: str, fraction: float) -> None:
    """The planner's workloads: every metric within the tolerance except the known gaps,
    which make the point an expected failure when they miss."""
    agreement = compare_planner(shape, mix, arrivals, fraction)
    _check_with_known_gaps(agreement, PLANNER_METRICS, KNOWN_PLANNER_GAPS.get((mix, arrivals), {}))


def _check_with_known_gaps(
    agreement: Agreement, metrics: tuple[str, ...], known: dict[str, str]
) -> None:
    """Every metric within the tolerance but the ``known`` gaps, whose misses make the point
    an expected failure (with the reasons)."""
    errors = {m: round(agreement.error(m), 3) for m in metrics}
    unexpected = {m: e for m, e in errors.items() if abs(e) > TOLERANCE and m not in known}
    assert not unexpected, (unexpected, agreement)
    missed = {m: e for m, e in errors.items() if abs(e) > TOLERANCE}
    if missed:
        pytest.xfail("; ".join(f"{m} {e:+.0%}: {known[m]}" for m, e in missed.items()))


#: Closed-loop metrics known to miss by more than the tolerance, per (mix, clients). Since
#: session 42 a closed-loop request's decode is stalled by the other ``B − 1`` clients'
#: prompts, as in the simulation (with ``B`` the 30k-token mixes had TPOT +10..+30 % and
#: throughput −6..−21 %). Since session 43 fewer clients send a request while a long prompt
#: holds the budget (``fluid_ttft.busy_arrival_thinning``: the TTFT of 4 clients of
#: 30k-token prompts had been +30..+37 %, of 8 clients on one H100 +72 %), and a request
#: waits for room in a nearly full KV cache (``fluid_ttft.kv_block_wait``: 16 such clients
#: on one H100, which holds 15.3 on average, had been −29 % with the thinning alone). Left:
#: chat E2E at 64 clients, not explained yet; 8 clients of 30k-token prompts on 2× H100,
#: which hold 7.9 on average: TTFT under the simulated (its preempted requests wait longer
#: than one finishing request), TPOT above it (+11 %, as before session 43). Since session 47
#: a served client's request waits for the rest of the step in progress (``t − d``) and, its
#: prompt well inside the budget, for the prompts that join its prefill step (the step
#: cycle's ``ρ·t̄``), as simulated, not in a queue at the budget: the chat TTFT at 64 clients,
#: which had been +4..+12 %, is within +4 %. Since session 55 the prompts of clients whose
#: answers vary take prefill-carrying steps of both kinds (waves' and apart, the chunk blended
#: harmonically): the chat TPOT median at 64 clients −1.8 → −0.3 % on 8B. The chat E2E median
#: at 64 clients, +10.6 % (70B +12.0 %) and "not explained" until session 58, was the
#: simulation's sample: 800 requests (the first seed's outputs short of the law's median by 5
#: %); over 4,000 (``CLOSED_MIN_REQUESTS``) it is +1.5 % (70B +1.6 %). The 30k-token TPOT
#: at 8 clients (+12 %) ran the 7.9 contexts the cache holds on average where the simulation
#: ran 7.2: varied contexts fit a random number, and the clients run the mean of the smaller
#: of it and their count (``fluid_steady.closed_loop_batch``, session 58: 7.4, TPOT +5 %), a
#: number of whole contexts (session 59: 7.16, TPOT +2 %; at 16-64 clients +8 → +3 %).
KNOWN_CLOSED_GAPS: dict[tuple[str, int], dict[str, str]] = {
    ("rag 30k lognormal", 8): {
        "ttft_p50": "at the KV cache's limit: preempted requests wait longer (-14 %)",
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("clients", CLOSED_CLIENTS)
@pytest.mark.parametrize("mix", list(PLANNER_MIXES))
@pytest.mark.parametrize("shape", list(PLANNER_SHAPES))
def test_closed_loops(shape: str, mix: str, clients: int) -> None:
    """A fixed number of clients (``predict --concurrency``): medians and throughput within
    the tolerance except the known gaps, which make the point an expected failure."""
    agreement = compare_closed(shape, mix, clients)
    _check_with_known_gaps(agreement, CLOSED_METRICS, KNOWN_CLOSED_GAPS.get((mix, clients), {}))


@pytest.mark.slow
@pytest.mark.parametrize(("limit", "rate_rps"), [(16, 4.0), (16, 12.0), (0, 4.0)])
def test_decode_batches_beyond_the_cuda_graphs_agree(limit: int, rate_rps: float) -> None:
    """With a small CUDA-graph limit the running batch crosses it (at 4 req/s it hovers near
    it, at 12 req/s it is far above); with none every step is eager. The analytic mode prices
    the eager steps as the simulation runs them."""
    scenario = ServingScenario(
        model_id="meta-llama/Llama-3.1-8B-Instruct",
        model=llama_8b(),
        gpu=h100(),
        precision=Precision.BF16,
        engine=Engine.VLLM,
        prompt_tokens=TokenDistribution.fixed(512),
        output_tokens=TokenDistribution.fixed(256),
        load=LoadSpec(kind="poisson", rate_rps=rate_rps),
        engine_settings=EngineSettings(cuda_graph_max_batch=limit),
    )
    params = load_parameters()
    analytic = predict(scenario, params).metrics
    simulated = predict(scenario, params, mode="simulate", num_requests=1500, seed=1).metrics
    for name in ("ttft_ms", "tpot_ms", "e2e_ms"):
        a, s = getattr(analytic, name).p50, getattr(simulated, name).p50
        assert a is not None and s is not None
        assert abs(a / s - 1.0) <= TOLERANCE, (name, a, s)


@pytest.mark.slow
@pytest.mark.parametrize(("prompt", "fraction"), [(8800, 0.3), (8800, 0.6), (9000, 0.75),
                                                  (10000, 0.6), (16000, 0.75)])
def test_prompts_longer_than_the_budget_agree(prompt: int, fraction: float) -> None:
    """Prompts just past vLLM's 8,192-token budget on one H100 span two steps, the second
    filled with the next prompt's first chunk when one waits: TTFT p50 26-36 % under the
    simulation at 60-75 % of capacity until the analytic mode drew that fill
    (``fluid_ttft.last_step_fill_s``); their TPOT p50 5-11 % over it until a prefill step
    carried the prompt's tokens over its ``⌈I/budget⌉`` steps rather than a whole budget each
    (``fluid_steady.apart_chunk``)."""
    prompts = TokenDistribution(kind="lognormal", mean=prompt, stdev=prompt / 10)

    def at(rate_rps: float) -> ServingScenario:
        return _llama_8b_bf16_h100(prompts, _CHAT_ANSWERS, rate_rps)

    saturation = predict(at(1e-3), load_parameters()).saturation_rps
    assert saturation is not None
    _assert_rate_and_medians_agree(at(fraction * saturation), ("ttft_ms", "tpot_ms", "e2e_ms"))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("engine", "prompt", "output"),
    [("trtllm", 128, 128), ("trtllm", 2048, 128), ("vllm", 128, 128), ("trtllm", 1000, 200)],
)
def test_runs_the_token_budget_paces_agree(engine: str, prompt: int, output: int) -> None:
    """2,000 requests at once on a token budget of 2,048 that bounds the running batch (as
    TensorRT-LLM 0.10's published runs): a pipeline of budget-full steps, which the analytic
    mode times within 10 % of the simulation (as waves one slot time apart it was 0.6×)."""
    scenario = ServingScenario(
        model_id="meta-llama/Llama-3.1-8B-Instruct",
        model=llama_8b(),
        gpu=h100(),
        precision=Precision.FP8,
        engine=Engine(engine),
        prompt_tokens=TokenDistribution.fixed(prompt),
        output_tokens=TokenDistribution.fixed(output),
        load=LoadSpec(kind="max_throughput", num_prompts=2000),
        served_over_api=False,
        engine_settings=EngineSettings(max_num_seqs=2048, max_num_batched_tokens=2048),
    )
    params = load_parameters()
    analytic = predict(scenario, params).metrics.output_tokens_per_s
    simulated = predict(scenario, params, mode="simulate", num_requests=2000, seed=1)
    assert abs(analytic / simulated.metrics.output_tokens_per_s - 1.0) <= TOLERANCE


#: ITL medians and p90s of hundreds of closed-loop clients with chat lengths, within this of
#: the simulated (their p99s are not compared: the first wave's stalls dominate them, which
#: the analytic mode prices over the assumed run and the simulation over its own).
CLOSED_ITL_TOLERANCE = 0.15


@pytest.mark.slow
@pytest.mark.parametrize("clients", [256, 384])
def test_hundreds_of_clients_with_dispersed_answers(clients: int) -> None:
    """Clients whose answers are dispersed (CV 1) send their next prompts apart, one per
    completion: with more than one completion per step on average, most steps carry a
    prompt, and the median gap is a prefill-carrying step's, as simulated. Counting the
    steady state's chunk, which blends the in-step waves into it (twice a prompt), put it in a
    decode step at 256 clients (−40 %) and made most gaps at 384 one large chunk's (+37 %).
    Each client's next request reaches the engine while the step after its previous one's
    last runs, waits for the rest of it, and its prefill step carries the prompts sent
    meanwhile (the TTFT median had been −26 % and −32 %)."""
    scenario = ServingScenario(
        model_id="meta-llama/Llama-3.1-8B-Instruct",
        model=llama_8b(),
        gpu=h100(),
        precision=Precision.BF16,
        prompt_tokens=TokenDistribution(kind="lognormal", mean=400, stdev=300),
        output_tokens=TokenDistribution(kind="lognormal", mean=250, stdev=250),
        load=LoadSpec(kind="concurrency", concurrency=clients, num_prompts=2000),
    )
    params = load_parameters()
    analytic = predict(scenario, params).metrics
    simulated = predict(scenario, params, mode="simulate", num_requests=2000, seed=1).metrics
    for stat in ("p50", "p90"):
        a, s = getattr(analytic.itl_ms, stat), getattr(simulated.itl_ms, stat)
        assert abs(a / s - 1.0) <= CLOSED_ITL_TOLERANCE, (stat, a, s)
    ttft = analytic.ttft_ms.p50 / simulated.ttft_ms.p50 - 1.0
    assert abs(ttft) <= TOLERANCE, ttft


@pytest.mark.slow
@pytest.mark.parametrize("clients", [64, 256])
def test_a_closed_loop_the_api_server_paces_agrees(clients: int) -> None:
    """Clients of short requests outrun the API server (about 120 a second with the fitted
    parameters): the engine sees its rate, not the clients', in the analytic mode as in the
    simulation's queue at the server (the analytic mode had run the engine at the clients'
    batch: 64 clients at 172 requests/s and a TPOT twice the simulated)."""
    scenario = ServingScenario(
        model_id="meta-llama/Llama-3.1-8B-Instruct",
        model=llama_8b(),
        gpu=h100(),
        precision=Precision.BF16,
        prompt_tokens=TokenDistribution(kind="lognormal", mean=128, stdev=64),
        output_tokens=TokenDistribution(kind="lognormal", mean=16, stdev=8),
        load=LoadSpec(kind="concurrency", concurrency=clients),
    )
    _assert_rate_and_medians_agree(scenario)


@pytest.mark.slow
@pytest.mark.parametrize("clients", [8, 32])
def test_closed_loops_of_short_varied_answers_agree(clients: int) -> None:
    """Clients of short answers that vary (16 ± 8 tokens) send their prompts partly in step,
    mostly apart; each kind takes prefill-carrying steps of its own, and on a MoE model each
    such step runs eagerly, at a large fixed cost. Counting the steps of the two kinds (the
    chunk blended harmonically, not linearly) puts the throughput and the medians within 10 %
    of the simulation (blended linearly: requests/s +31 % and +49 %, TPOT −25 % and −34 %)."""
    scenario = ServingScenario(
        model_id="Qwen/Qwen3-30B-A3B",
        model=seed_catalog().model("Qwen/Qwen3-30B-A3B").architecture,
        gpu=h100(),
        precision=Precision.BF16,
        prompt_tokens=TokenDistribution(kind="lognormal", mean=64, stdev=32, max=512),
        output_tokens=TokenDistribution(kind="lognormal", mean=16, stdev=8, max=128),
        load=LoadSpec(kind="concurrency", concurrency=clients),
    )
    _assert_rate_and_medians_agree(scenario)


#: Clients whose answers are all alike end together and send again together. Simulated from
#: their common start (before session 82), SGLang's waves stayed in step for good (a wave
#: decodes only once all of it is prefilled: TTFT p50 3,170 ms in each of ten waves, engine
#: alone), and vLLM's re-sent prompts each reached the engine an API server's time after the
#: step that ended its client's answer, just after the next began, and waited it out. Since
#: session 82 such loops are simulated warm (``core.perf.warm_closed_loop``): the clients start
#: at random phases, but those that meet in a prefill step in the first cycle stay together,
#: and within a few cycles the groups repeat one pattern, each still re-sending at a step's
#: end. The analytic closed loop lets later requests come apart at a random phase, nearer
#: AIConfigurator's measured runs of alike answers (3,002 rows, all three engines: the
#: analytic TTFT 24.9 % off at the median, the warm simulation 37.4 %, the common start's
#: 149.5 %; ``bench/alike_closed_loops.py``); kept in step, the analytic mode followed the
#: simulation but held out by source came out 16.6 → 17.5 % (docs/perf-validation.md,
#: sessions 81 and 82).
LOCKSTEP_GAP = pytest.mark.xfail(
    reason="alike answers: the simulated clients, started at random phases, fall back into "
    "step over the run (TTFT p50 2-3x the analytic)",
    strict=True,
)


@pytest.mark.slow
@LOCKSTEP_GAP
@pytest.mark.parametrize("engine", [Engine.SGLANG, Engine.VLLM])
def test_closed_loops_of_alike_answers_agree(engine: Engine) -> None:
    """64 clients of 2,048/128-token requests (Llama 3.1 8B, H100): requests/s and E2E p50
    agree (within 7 %); TTFT p50 is 269 against 784 ms simulated (SGLang) and 234 against
    517 ms (vLLM), TPOT p50 56 against 51 ms and 55 against 52 ms (:data:`LOCKSTEP_GAP`).
    Simulated from a common start (before session 82), TTFT p50 was 3,107 and 675 ms: the
    clients stayed in lock step. Started at random phases (``core.perf.warm_closed_loop``)
    they come apart, then fall partly back into step: a prompt that reaches the engine
    during another's prefill step is prefilled with it, and the two finish together from
    then on."""
    scenario = ServingScenario(
        model_id="meta-llama/Llama-3.1-8B-Instruct",
        model=llama_8b(),
        gpu=h100(),
        precision=Precision.BF16,
        engine=engine,
        prompt_tokens=TokenDistribution.fixed(2048),
        output_tokens=TokenDistribution.fixed(128),
        load=LoadSpec(kind="concurrency", concurrency=64, num_prompts=640),
    )
    params = load_parameters()
    analytic = predict(scenario, params).metrics
    simulated = predict(scenario, params, mode="simulate", seed=1).metrics
    assert abs(analytic.requests_per_s / simulated.requests_per_s - 1.0) <= TOLERANCE
    for name in ("ttft_ms", "tpot_ms", "e2e_ms"):
        a, s = getattr(analytic, name).p50, getattr(simulated, name).p50
        assert abs(a / s - 1.0) <= TOLERANCE, (name, a, s)


def _assert_rate_and_medians_agree(
    scenario: ServingScenario, medians: tuple[str, ...] = ("tpot_ms", "e2e_ms")
) -> None:
    """Requests/s and the ``medians`` (TPOT and E2E unless told) within the tolerance of
    3,000 simulated requests (seed 1), with the shipped parameters."""
    params = load_parameters()
    analytic = predict(scenario, params).metrics
    simulated = predict(scenario, params, mode="simulate", num_requests=3000, seed=1).metrics
    rate = analytic.requests_per_s / simulated.requests_per_s - 1.0
    assert abs(rate) <= TOLERANCE, rate
    for name in medians:
        a, s = getattr(analytic, name).p50, getattr(simulated, name).p50
        assert abs(a / s - 1.0) <= TOLERANCE, (name, a, s)


#: Past 60 % of capacity the analytic TPOT of SGLang's short answers falls behind the
#: simulated one, the more the smaller the API server's time per request: −2.8 % at 70 % with
#: session 70's fit (7.2 ms a request), −10.6 % with session 71's (5.3 ms; −4.6 % at 65 %),
#: −5.7 % with session 74's (7.1 ms; −11.6 % at 75 %), −13 % and −16 % at 75 %, −34 % and −35 %
#: at 80 % with the first two: within the tolerance at 70 % on some fits, not on others.
SHORT_ANSWER_TPOT_GAP = pytest.mark.xfail(
    reason="TPOT p50 −5.7 to −10.6 % at 70 % of capacity by fit (SHORT_ANSWER_TPOT_GAP)",
    strict=False,
)


@pytest.mark.slow
@pytest.mark.parametrize(
    "fraction", [0.5, 0.6, pytest.param(0.7, marks=SHORT_ANSWER_TPOT_GAP)]
)
def test_separate_prefill_batches_of_short_answers_agree(fraction: float) -> None:
    """SGLang prefills in batches of their own, its decoders paused: each prompt-carrying
    cycle costs the prefill batch (its fixed cost and a weight read of its own) and then a
    decode step. An open loop of 256/16-token requests at half and 60 % of capacity agrees
    with the simulation (the prompt priced as riding on the decode step: E2E p50 −29 % and
    −48 % at half and 70 %, TPOT p50 −32 % and −52 %); at 70 % it misses by a little more than
    the tolerance (:data:`SHORT_ANSWER_TPOT_GAP`)."""
    scenario = ServingScenario(
        model_id="meta-llama/Llama-3.1-8B-Instruct",
        model=llama_8b(),
        gpu=h100(),
        precision=Precision.BF16,
        engine=Engine.SGLANG,
        prompt_tokens=TokenDistribution.fixed(256),
        output_tokens=TokenDistribution.fixed(16),
        load=LoadSpec(kind="poisson", rate_rps=1.0),
    )
    capacity = predict(scenario, load_parameters()).saturation_rps
    load = LoadSpec(kind="poisson", rate_rps=fraction * capacity)
    _assert_rate_and_medians_agree(scenario.model_copy(update={"load": load}))


@pytest.mark.slow
@pytest.mark.parametrize("rate_rps", [32.0, 40.0])
def test_short_answers_tpot_tail_agrees(rate_rps: float) -> None:
    """256/16-token requests on Llama 3.1 70B FP8 over 8× B200 at 27 and 34 % of capacity: a
    step that prefills costs mostly its fixed extra, and the prompts that arrive during it
    ride on the next, so a request's 15 steps meet a near-Poisson count of them, never more
    than 15. The TPOT p90 and p99 agree with the simulation within 15 % (a cluster count of
    ``λ·σ`` = 0.55-0.7 had put the p99 at +91 % and +120 %, and more load lowered it)."""
    scenario = _short_answers("meta-llama/Llama-3.1-70B-Instruct", "B200", 8, rate_rps)
    _assert_percentiles_agree(scenario, "tpot_ms", ("p50", "p90", "p99"), 0.15)


@pytest.mark.slow
@pytest.mark.parametrize("rate_rps", [8.0, 32.0])
def test_ttft_tail_of_a_moe_model_with_a_costly_prefill_step_agrees(rate_rps: float) -> None:
    """Llama 4 Scout FP8 over 2× H100, 256 ± 128-token prompts: a step that prefills costs
    a large fixed extra (eager expert layers, ~30 ms) and a little per token. A long prompt
    pays that extra once, not in proportion to its length: the TTFT p50 and p99 agree with
    the simulation within 10 % (priced per token, the p99 was +34 % at 8 requests/s and
    fell from 156 to 138 ms between 24 and 32 while the simulated rose)."""
    scenario = _short_answers("meta-llama/Llama-4-Scout-17B-16E-Instruct", "H100-SXM", 2, rate_rps)
    _assert_percentiles_agree(scenario, "ttft_ms", ("p50", "p99"), TOLERANCE)


def _short_answers(model_id: str, gpu: str, tp: int, rate_rps: float) -> ServingScenario:
    """A catalogued model in FP8 on ``tp`` catalogued GPUs, 256 ± 128-token prompts and
    16 ± 8-token answers arriving as a Poisson stream at ``rate_rps``."""
    catalog = seed_catalog()
    card = catalog.model(model_id)
    return ServingScenario(
        model_id=card.id,
        model=card.architecture,
        gpu=catalog.gpu(gpu),
        precision=Precision.FP8,
        tp=tp,
        prompt_tokens=TokenDistribution(kind="lognormal", mean=256, stdev=128),
        output_tokens=TokenDistribution(kind="lognormal", mean=16, stdev=8),
        load=LoadSpec(kind="poisson", rate_rps=rate_rps),
    )


def _assert_percentiles_agree(
    scenario: ServingScenario, name: str, stats: tuple[str, ...], tolerance: float
) -> None:
    """``name``'s ``stats`` within ``tolerance`` of 4,000 simulated requests (seed 1)."""
    params = load_parameters()
    analytic = getattr(predict(scenario, params).metrics, name)
    simulated = getattr(
        predict(scenario, params, mode="simulate", num_requests=4000, seed=1).metrics, name
    )
    for stat in stats:
        a, s = getattr(analytic, stat), getattr(simulated, stat)
        assert abs(a / s - 1.0) <= tolerance, (stat, a, s)


@pytest.mark.slow
@pytest.mark.parametrize("rate_rps", [16.0, 27.0, 45.0, 64.0])
def test_ttft_tail_of_a_moe_model_rises_with_load_as_simulated(rate_rps: float) -> None:
    """Qwen3 30B-A3B FP8 on one GB300, 256/16-token requests at 13-53 % of capacity: a step
    that prefills costs a ~25 ms fixed extra, its prompts ~1.4 ms each. The TTFT p90 and p99
    agree with the simulation within 10 % at every load: the prompt-carrying step's
    spread is its prompts' (it had been taken from the whole cycle's variance, 7 ms where the
    prompts add 1.4, and the p99 fell 88 -> 84 ms from 27 to 64 requests/s while the simulated
    rose 79 -> 100), and a share ρ of the requests waits at the API server, exponentially
    (its mean alone had been added to every request)."""
    scenario = _short_answers("Qwen/Qwen3-30B-A3B", "GB300", 1, rate_rps)
    _assert_percentiles_agree(scenario, "ttft_ms", ("p90", "p99"), TOLERANCE)


#: The analytic running batch against the simulated decoders of a burst's middle, and the
#: TPOT median (its steps read the contexts that batch holds).
BURST_BATCH_TOLERANCE = 0.10
BURST_TPOT_TOLERANCE = 0.15

#: ShareGPT-like requests (``vllm bench serve``: answers capped at 2,044 tokens).
SHAREGPT_PROMPTS = TokenDistribution(kind="lognormal", mean=225, stdev=270, max=4096)
SHAREGPT_ANSWERS = TokenDistribution(kind="lognormal", mean=205, stdev=410, max=2044)


def _sharegpt_burst(gpu: str, tp: int, num_prompts: int) -> ServingScenario:
    """A burst of ShareGPT-like requests to Llama 3.1 8B (one GPU) or 70B, in FP8."""
    return ServingScenario(
        model_id="m",
        model=llama_8b() if tp == 1 else llama_70b(),
        gpu=l4() if gpu == "L4" else h100(),
        tp=tp,
        precision=Precision.FP8,
        prompt_tokens=SHAREGPT_PROMPTS,
        output_tokens=SHAREGPT_ANSWERS,
        load=LoadSpec(kind="burst", num_prompts=num_prompts),
    )


def _burst_middle(scenario: ServingScenario) -> tuple[SteadyState, float]:
    """The analytic steady state of a burst, and the simulated decoders in its middle (from
    the 20th to the 60th percentile of its completions)."""
    params = load_parameters()
    prepared = prepare(scenario)
    eff, _ = params.for_gpu(scenario.gpu, scenario.engine)
    trace = run_simulation(
        RooflineStepCost.of(prepared.shape, prepared.hw, eff, prepared.graph_max_batch),
        scheduler_config(prepared),
        scenario.load.as_run(),
        scenario.prompt_tokens,
        scenario.output_tokens,
        scenario.load.num_prompts or 0,
        0,
    )
    low, high = np.quantile(trace.finish_s, [0.2, 0.6])
    middle = (trace.step_start_s >= low) & (trace.step_start_s <= high)
    steady = operating_point(stack([prepared], EfficiencyArrays.from_params([eff]))).steady
    return steady, float(trace.step_decode_seqs[middle].mean())


@pytest.mark.slow
@pytest.mark.parametrize(
    ("gpu", "tp", "num_prompts"), [("L4", 1, 1000), ("H100", 2, 2000)], ids=["8B L4", "70B 2xH100"]
)
def test_a_burst_of_dispersed_answers_at_the_kv_limit_agrees(
    gpu: str, tp: int, num_prompts: int
) -> None:
    """A burst of ShareGPT-like requests whose KV cache bounds its batch refills its slots
    from its queue: the answers they hold are younger than the steady state's (a started
    run's renewal), so more of them run. Priced at the steady state's, the batch had been
    19 % (8B FP8, L4: 205 against 254 simulated) and 28 % (70B FP8, 2x H100: 496 against 692)
    short, the 70B's TPOT median 30 %."""
    scenario = _sharegpt_burst(gpu, tp, num_prompts)
    steady, simulated_batch = _burst_middle(scenario)
    batch = float(steady.batch[0])
    assert abs(batch / simulated_batch - 1.0) <= BURST_BATCH_TOLERANCE, (batch, simulated_batch)
    params = load_parameters()
    analytic = predict(scenario, params).metrics.tpot_ms.p50
    simulated = predict(
        scenario, params, mode="simulate", num_requests=num_prompts, seed=0
    ).metrics.tpot_ms.p50
    assert abs(analytic / simulated - 1.0) <= BURST_TPOT_TOLERANCE, (analytic, simulated)


def _llama_8b_bf16_h100(
    prompt: TokenDistribution, output: TokenDistribution, rate_rps: float
) -> ServingScenario:
    """Llama 3.1 8B in BF16 on one H100 under vLLM, Poisson arrivals at ``rate_rps``."""
    return ServingScenario(
        model_id="meta-llama/Llama-3.1-8B-Instruct",
        model=llama_8b(),
        gpu=h100(),
        precision=Precision.BF16,
        engine=Engine.VLLM,
        prompt_tokens=prompt,
        output_tokens=output,
        load=LoadSpec(kind="poisson", rate_rps=rate_rps),
    )


#: Chat answers: 250 ± 200 tokens, at most 2,000.
_CHAT_ANSWERS = TokenDistribution(kind="lognormal", mean=250, stdev=200, max=2000)


#: Lengths whose log-normal spread reaches far past their ``max``, cut there as the simulation
#: draws them: prompts of 800 ± 1,600 tokens at most 8,000 (762 ± 1,168 drawn), answers of
#: 300 ± 900 at most 1,500 (237 ± 349).
CUT_SPREADS: dict[str, tuple[TokenDistribution, TokenDistribution]] = {
    "long-tailed prompts": (
        TokenDistribution(kind="lognormal", mean=800, stdev=1600, max=8000),
        _CHAT_ANSWERS,
    ),
    "long-tailed answers": (
        TokenDistribution(kind="lognormal", mean=800, stdev=400, max=8000),
        TokenDistribution(kind="lognormal", mean=300, stdev=900, max=1500),
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("fraction", [0.3, 0.6])
@pytest.mark.parametrize("mix", list(CUT_SPREADS))
def test_lengths_cut_at_their_max_agree(mix: str, fraction: float) -> None:
    """The analytic mode prices the lengths the simulation draws: the moments of the cut
    spread, its samples the log-normal's quantiles cut at ``max`` (Llama 3.1 8B on an H100,
    Poisson arrivals). Priced as the uncut log-normal, the long-tailed prompts' TTFT p90 and
    p99 had been 1.9x and 3.6x the simulated at 60 % load, the long-tailed answers' output
    throughput 28 % above it."""
    prompt, output = CUT_SPREADS[mix]
    saturation = predict(_llama_8b_bf16_h100(prompt, output, 1.0), PLANNER_PARAMS).saturation_rps
    assert saturation is not None
    scenario = _llama_8b_bf16_h100(prompt, output, fraction * saturation)
    a = predict(scenario, PLANNER_PARAMS).metrics
    s = predict(scenario, PLANNER_PARAMS, mode="simulate", num_requests=3000, seed=SEED).metrics
    pairs = {
        "ttft_p50": (a.ttft_ms.p50, s.ttft_ms.p50),
        "ttft_p90": (a.ttft_ms.p90, s.ttft_ms.p90),
        "tpot_p50": (a.tpot_ms.p50, s.tpot_ms.p50),
        "e2e_p50": (a.e2e_ms.p50, s.e2e_ms.p50),
        "throughput": (a.output_tokens_per_s, s.output_tokens_per_s),
    }
    errors = {k: round(x / y - 1.0, 3) for k, (x, y) in pairs.items() if x and y}
    assert all(abs(e) <= TOLERANCE for e in errors.values()), errors
    assert a.ttft_ms.p99 and s.ttft_ms.p99
    assert abs(a.ttft_ms.p99 / s.ttft_ms.p99 - 1.0) <= 0.15


def test_a_spread_stated_by_its_p95_is_priced_as_drawn() -> None:
    """Prompts stated by their p95 alone (2,000 for a mean of 800) are drawn with the spread
    it implies: the analytic mode prices them as the same spread stated by its stdev (it had
    priced them as fixed lengths)."""
    by_p95 = TokenDistribution(kind="lognormal", mean=800, p95=2000, max=8000)
    cv = lognormal_cv(by_p95)
    by_stdev = by_p95.model_copy(update={"stdev": 800 * cv, "p95": None})
    a = predict(_llama_8b_bf16_h100(by_p95, _CHAT_ANSWERS, 8.0), PLANNER_PARAMS).metrics
    b = predict(_llama_8b_bf16_h100(by_stdev, _CHAT_ANSWERS, 8.0), PLANNER_PARAMS).metrics
    fixed = TokenDistribution.fixed(800)
    c = predict(_llama_8b_bf16_h100(fixed, _CHAT_ANSWERS, 8.0), PLANNER_PARAMS).metrics
    assert a.ttft_ms.p90 == pytest.approx(b.ttft_ms.p90, rel=1e-6)
    assert a.ttft_ms.p90 and c.ttft_ms.p90 and a.ttft_ms.p90 > 1.2 * c.ttft_ms.p90
