"""The façade: load kinds, monotonicity and physical caps of predictions."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.perf_fixtures import gpt_oss_120b, h100, l4, llama_8b, llama_70b, mixtral

import predeploy.core.perf as perf_module
from predeploy.core.efficiency import EfficiencyParams, ParameterSet
from predeploy.core.memory import fit_memory
from predeploy.core.new_token_ratio import DP_ATTENTION_CONSERVATIVENESS
from predeploy.core.perf import (
    OFFLINE_WINDOW_BATCHES,
    OPEN_LOOP_WARMUP_MAX_REQUESTS,
    OPEN_LOOP_WARMUP_RELAXATIONS,
    PredictMode,
    default_vllm_settings,
    load_utilization,
    predict,
    predict_many,
    relaxation_requests,
    scheduler_config,
    single_stream_rates,
    warm_closed_loop,
)
from predeploy.core.perf_caveats import (
    LOCK_STEP_CAVEAT,
    SLOW_FP4_CAVEAT,
    UNSETTLED_CAVEAT,
    WARM_CLOSED_LOOP_CAVEAT,
    is_prefill_chain_caveat,
    prefill_chain_caveats,
)
from predeploy.core.types import (
    Engine,
    EngineSettings,
    LoadSpec,
    ModelArchitecture,
    PerfPrediction,
    Precision,
    ServingScenario,
    TokenDistribution,
)
from predeploy.core.weights import weight_bytes_per_gpu
from predeploy.core.workload import prepare
from predeploy.kb.seed_files import seed_catalog

PARAMS = ParameterSet()


def scenario(
    load: LoadSpec,
    *,
    model: ModelArchitecture | None = None,
    precision: Precision = Precision.BF16,
    prompt: int = 512,
    output: int = 256,
    tp: int = 1,
    bandwidth: float = 3350.0,
) -> ServingScenario:
    return ServingScenario(
        model_id="test/model",
        model=model or llama_8b(),
        gpu=h100(bandwidth),
        precision=precision,
        tp=tp,
        prompt_tokens=TokenDistribution.fixed(prompt),
        output_tokens=TokenDistribution.fixed(output),
        load=load,
    )


def test_every_load_kind_predicts_finite_metrics() -> None:
    loads = [
        LoadSpec(kind="poisson", rate_rps=2.0),
        LoadSpec(kind="gamma", rate_rps=2.0, cv=2.0),
        LoadSpec(kind="concurrency", concurrency=16),
        LoadSpec(kind="burst", num_prompts=500),
        LoadSpec(kind="static_batch", batch_size=8),
        LoadSpec(kind="max_throughput"),
        LoadSpec(kind="max_throughput", num_prompts=1000),
    ]
    for pred in predict_many([scenario(load) for load in loads], PARAMS):
        m = pred.metrics
        assert m.output_tokens_per_s > 0
        assert m.ttft_ms.p50 is not None and m.ttft_ms.p50 > 0
        assert m.tpot_ms.mean is not None and m.tpot_ms.mean > 0
        assert m.provenance.parameters == "fallback"
        assert pred.memory.fits


def test_static_batch_semantics() -> None:
    pred = predict(scenario(LoadSpec(kind="static_batch", batch_size=8)), PARAMS)
    m = pred.metrics
    assert m.e2e_ms.mean == pytest.approx(m.ttft_ms.mean + 255 * m.tpot_ms.mean, rel=1e-6)
    assert m.output_tokens_per_s == pytest.approx(8 * 256 / (m.e2e_ms.mean / 1e3), rel=1e-6)


def test_burst_ttft_grows_with_the_number_of_prompts() -> None:
    small, big = predict_many(
        [scenario(LoadSpec(kind="burst", num_prompts=n)) for n in (100, 5000)], PARAMS
    )
    assert big.metrics.ttft_ms.p50 > 5 * small.metrics.ttft_ms.p50
    assert big.metrics.ttft_ms.p99 > big.metrics.ttft_ms.p50


def test_open_loop_throughput_equals_the_offered_rate_below_saturation() -> None:
    pred = predict(scenario(LoadSpec(kind="poisson", rate_rps=1.0)), PARAMS)
    assert pred.metrics.requests_per_s == pytest.approx(1.0)
    assert pred.saturation_rps is not None and pred.saturation_rps > 1.0
    # Rounded to six decimals (``load_utilization``).
    assert pred.load_utilization == pytest.approx(1.0 / pred.saturation_rps, abs=5e-7)


def test_load_utilization_is_offered_over_saturation_rate() -> None:
    sat = predict(scenario(LoadSpec(kind="poisson", rate_rps=1.0)), PARAMS).saturation_rps
    assert sat is not None
    over, burst, batch = predict_many(
        [
            scenario(LoadSpec(kind="poisson", rate_rps=2 * sat)),
            scenario(LoadSpec(kind="burst", num_prompts=2000)),
            scenario(LoadSpec(kind="static_batch", batch_size=1)),
        ],
        PARAMS,
    )
    # An overloaded open loop is offered twice what it can serve.
    assert over.load_utilization == pytest.approx(2.0, rel=1e-5)
    # A long burst runs at about its capacity (a little above it at most: its last requests
    # decode with no prompt left to prefill, in a draining batch; simulated, 1.03 of it); one
    # request alone far below it.
    assert burst.load_utilization is not None and 0.8 < burst.load_utilization <= 1.05
    assert batch.load_utilization is not None and batch.load_utilization < 0.1
    assert load_utilization(LoadSpec(kind="poisson", rate_rps=1.0), 1.0, None) is None
    assert load_utilization(LoadSpec(kind="poisson", rate_rps=1.0), 1.0, 0.0) is None


@pytest.mark.parametrize("prompt", [256, 512, 2048])
def test_one_client_of_a_single_sequence_engine_is_within_its_capacity(prompt: int) -> None:
    """llama.cpp runs one sequence, its prompt in micro-batches of 512 tokens. The request
    being prefilled takes no decode token of the budget, so a 512-token prompt is one
    micro-batch, at capacity as for one client: the saturated state had counted it as a
    decoder beside its own prefill (a budget of 511, two steps) and put one client at 1.03x
    the capacity. (A prompt just over a micro-batch, 513 tokens, still prices its last short
    step as a whole one in the capacity and as a sliver in its TTFT: 1.01x.)"""
    load = LoadSpec(kind="concurrency", concurrency=1)
    pred = predict(
        scenario(load, prompt=prompt, output=128).model_copy(update={"engine": Engine.LLAMA_CPP}),
        PARAMS,
    )
    assert pred.saturation_rps is not None and pred.load_utilization is not None
    assert pred.metrics.requests_per_s <= pred.saturation_rps * (1.0 + 1e-9)
    assert pred.load_utilization <= 1.0


# Derandomized: the same 40 pairs every run, so that a clean clone's CI is repeatable (a
# random pair once landed in the known fall below).
@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    rate=st.floats(min_value=0.05, max_value=40.0),
    factor=st.floats(min_value=1.01, max_value=3.0),
    model=st.sampled_from([llama_8b(), llama_70b(), mixtral()]),
)
def test_more_qps_never_lowers_latency(
    rate: float, factor: float, model: ModelArchitecture
) -> None:
    tp = 4 if model.total_params_b > 40 else 1
    low, high = predict_many(
        [
            scenario(LoadSpec(kind="poisson", rate_rps=r, num_prompts=2000), model=model, tp=tp)
            for r in (rate, rate * factor)
        ],
        PARAMS,
    )
    for name in ("ttft_ms", "tpot_ms", "e2e_ms", "itl_ms"):
        for stat in ("mean", "p50", "p99"):
            a = getattr(getattr(low.metrics, name), stat)
            b = getattr(getattr(high.metrics, name), stat)
            assert b >= a * (1 - 1e-6), (name, stat, a, b)


def test_ttft_tail_past_the_cuda_graph_limit_never_falls() -> None:
    """Mixtral 8x7B on 4x H100 at 39.3-39.7 requests/s (found by hypothesis in CI). Past
    vLLM's CUDA-graph limit (512 sequences) more of the decode steps run eagerly as the load
    rises; a prompt token's cost was read against the mean decode step, so it fell with them,
    and the step cycle's wait faster than the service grew (TTFT p99 −0.5 % over 39.3-39.65
    requests/s). It is now read against a decode step replayed from a graph."""
    rates = np.linspace(39.2, 40.2, 21)
    loads = [LoadSpec(kind="poisson", rate_rps=float(r), num_prompts=2000) for r in rates]
    preds = predict_many([scenario(load, model=mixtral(), tp=4) for load in loads], PARAMS)
    values = np.array([p.metrics.ttft_ms.p99 for p in preds])
    assert not np.any(values[1:] < values[:-1] * (1 - 1e-6))


@pytest.mark.parametrize("model", [llama_8b(), llama_70b(), mixtral()], ids=["8b", "70b", "8x7b"])
def test_latency_rises_with_load_on_a_dense_grid_of_rates(model: ModelArchitecture) -> None:
    """Hypothesis samples a few pairs of rates; this walks 600 of them, where a jump (e.g. the
    TPOT spread switching from the Poisson count to the normal at 30 arrivals) would show."""
    tp = 4 if model.total_params_b > 40 else 1
    rates = np.geomspace(0.05, 40.0, 600)
    loads = [LoadSpec(kind="poisson", rate_rps=float(r), num_prompts=2000) for r in rates]
    preds = predict_many([scenario(load, model=model, tp=tp) for load in loads], PARAMS)
    for name in ("ttft_ms", "tpot_ms", "e2e_ms", "itl_ms"):
        for stat in ("mean", "p50", "p99"):
            values = np.array([getattr(getattr(p.metrics, name), stat) for p in preds])
            drops = np.flatnonzero(values[1:] < values[:-1] * (1 - 1e-6))
            assert drops.size == 0, (name, stat, rates[drops[:3]])


def test_long_prompts_ttft_tail_rises_with_load_on_a_fine_grained_moe() -> None:
    """The longest prompts' TTFT (p90, p99) of gpt-oss-120b on one H100 never falls as the
    Poisson rate rises (lognormal 1,000 ± 500-token prompts, 0.5-8 requests/s). A step's
    fixed part (a fine-grained MoE model's expert weights), which the decoders take over as
    the load grows, is paid once per prompt: priced per token from the mean chunk, a long
    prompt paid it several times over and its TTFT fell with the load (sessions 39-56)."""
    rates = np.geomspace(0.5, 8.0, 60)
    preds = predict_many(
        [
            scenario(
                LoadSpec(kind="poisson", rate_rps=float(r)),
                model=gpt_oss_120b(),
                precision=Precision.FP4,
            ).model_copy(
                update={
                    "prompt_tokens": TokenDistribution(kind="lognormal", mean=1000, stdev=500),
                    "output_tokens": TokenDistribution(kind="lognormal", mean=300, stdev=150),
                }
            )
            for r in rates
        ],
        PARAMS,
    )
    for stat in ("mean", "p50", "p90", "p99"):
        values = np.array([getattr(p.metrics.ttft_ms, stat) for p in preds])
        drops = np.flatnonzero(values[1:] < values[:-1] * (1 - 1e-6))
        assert drops.size == 0, (stat, rates[drops[:3]])


@pytest.mark.parametrize("model", [llama_8b(), llama_70b(), mixtral()], ids=["8b", "70b", "8x7b"])
def test_a_client_more_never_lowers_the_ttft_of_a_closed_loop(model: ModelArchitecture) -> None:
    """Clients with prompts and answers all alike run in step and share larger prefill steps,
    cheaper per token; a request still waits for its own prompt's step, so one client more
    never shortens its TTFT (it did from one client to two: the shared step was priced per
    token). The KV cache holds every client here (no queue for a slot)."""
    tp = 4 if model.total_params_b > 40 else 1
    clients = range(1, 41)
    loads = [LoadSpec(kind="concurrency", concurrency=c, num_prompts=10 * c) for c in clients]
    preds = predict_many([scenario(load, model=model, tp=tp) for load in loads], PARAMS)
    for stat in ("mean", "p50"):
        values = np.array([getattr(p.metrics.ttft_ms, stat) for p in preds])
        drops = np.flatnonzero(values[1:] < values[:-1] * (1 - 1e-6))
        assert drops.size == 0, (stat, [clients[i] for i in drops[:3]], values[:4])


def test_a_client_more_never_lowers_the_ttft_where_the_kv_cache_fills() -> None:
    """Near the KV cache's limit the engine preempts and recomputes prompts: that work loads
    the prefill budget too, so the clients' wait there grows (it fell 9 % at the threshold
    when only the longer request lifetimes were counted)."""
    loads = [
        LoadSpec(kind="concurrency", concurrency=c, num_prompts=10 * c) for c in range(60, 140)
    ]
    base = scenario(loads[0], model=llama_70b(), tp=4)
    lengths = {
        "prompt_tokens": TokenDistribution(kind="lognormal", mean=4096, stdev=2048),
        "output_tokens": TokenDistribution(kind="lognormal", mean=512, stdev=256),
    }
    scenarios = [base.model_copy(update={**lengths, "load": load}) for load in loads]
    preds = predict_many(scenarios, PARAMS)
    assert any(p.metrics.kv_cache_usage > 0.97 for p in preds)  # the cache fills in the range
    for stat in ("mean", "p50"):
        values = np.array([getattr(p.metrics.ttft_ms, stat) for p in preds])
        drops = np.flatnonzero(values[1:] < values[:-1] * (1 - 1e-6))
        assert drops.size == 0, (stat, [loads[i].concurrency for i in drops[:3]])


@settings(max_examples=30, deadline=None)
@given(
    load=st.sampled_from(
        [
            LoadSpec(kind="concurrency", concurrency=64),
            LoadSpec(kind="max_throughput"),
            LoadSpec(kind="poisson", rate_rps=5.0),
            LoadSpec(kind="static_batch", batch_size=32),
        ]
    ),
    precision=st.sampled_from([Precision.BF16, Precision.FP8, Precision.INT4]),
    bandwidth=st.floats(min_value=500.0, max_value=8000.0),
)
def test_decode_rate_never_exceeds_the_bandwidth_bound(
    load: LoadSpec, precision: Precision, bandwidth: float
) -> None:
    sc = scenario(load, precision=precision, bandwidth=bandwidth)
    pred = predict(sc, PARAMS)
    m = pred.metrics
    # One decode step reads at least all weights once: per-sequence decode ≤ BW / weight bytes,
    # and the whole batch's output ≤ batch × that.
    bound = bandwidth * 1e9 / weight_bytes_per_gpu(sc.model, precision, 1)
    assert 1e3 / m.tpot_ms.p50 <= bound * (1 + 1e-9)
    assert 1e3 / m.itl_ms.p50 <= bound * (1 + 1e-9)
    assert m.output_tokens_per_s <= (m.mean_batch_size or 1) * bound * (1 + 1e-9)


def test_single_stream_rates_are_below_the_roofline() -> None:
    sc = scenario(LoadSpec(kind="concurrency", concurrency=1), precision=Precision.INT4)
    rates = single_stream_rates(sc, PARAMS)
    bound = 3350e9 / weight_bytes_per_gpu(sc.model, Precision.INT4, 1)
    assert 0 < rates.decode_tokens_per_s <= bound
    assert rates.prefill_tokens_per_s > 10 * rates.decode_tokens_per_s


def test_default_vllm_settings_follow_vllm_0_33_defaults() -> None:
    model, gpu = llama_8b(), h100()
    memory = fit_memory(model, gpu, Precision.BF16, 1, context_tokens=4096)
    s = default_vllm_settings(model, gpu, Precision.BF16, 1, memory, 4096)
    assert (s.max_num_seqs, s.max_num_batched_tokens) == (1024, 8192)
    assert s.gpu_memory_utilization == 0.92
    assert s.max_model_len >= 4096
    args = s.to_args()
    assert args["--max-num-seqs"] == 1024 and "--gpu-memory-utilization" in args
    small = fit_memory(model, l4(), Precision.BF16, 1, context_tokens=4096)
    s_l4 = default_vllm_settings(model, l4(), Precision.BF16, 1, small, 4096)
    assert (s_l4.max_num_seqs, s_l4.max_num_batched_tokens) == (256, 2048)


def test_fp4_moe_on_one_h100_fits() -> None:
    pred = predict(
        scenario(
            LoadSpec(kind="concurrency", concurrency=4),
            model=gpt_oss_120b(),
            precision=Precision.FP4,
        ),
        PARAMS,
    )
    assert pred.memory.fits


def test_simulate_mode_is_deterministic_and_agrees_with_analytic() -> None:
    sc = scenario(LoadSpec(kind="poisson", rate_rps=2.0))
    a = predict(sc, PARAMS, mode="simulate", num_requests=300, seed=3)
    b = predict(sc, PARAMS, mode="simulate", num_requests=300, seed=3)
    assert a == b
    assert a.metrics.provenance.method == "simulation"
    assert a.metrics.provenance.seed == 3
    analytic = predict(sc, PARAMS)
    # Well below saturation both see the offered rate and similar decode steps.
    assert a.metrics.requests_per_s == pytest.approx(2.0, rel=0.2)
    assert a.metrics.tpot_ms.p50 == pytest.approx(analytic.metrics.tpot_ms.p50, rel=0.35)


def test_simulate_splits_the_load_over_replicas() -> None:
    one = scenario(LoadSpec(kind="concurrency", concurrency=8))
    two = one.model_copy(
        update={"replicas": 2, "load": LoadSpec(kind="concurrency", concurrency=16)}
    )
    p1 = predict(one, PARAMS, mode="simulate", num_requests=200)
    p2 = predict(two, PARAMS, mode="simulate", num_requests=400)
    assert p2.metrics.output_tokens_per_s == pytest.approx(
        2 * p1.metrics.output_tokens_per_s, rel=0.1
    )


def test_unknown_mode_is_an_error() -> None:
    from predeploy.core.errors import InputError

    with pytest.raises(InputError, match="analytic, simulate"):
        predict(scenario(LoadSpec(kind="poisson", rate_rps=1.0)), PARAMS, mode="fast")  # type: ignore[arg-type]


def test_a_configuration_that_does_not_fit_cannot_be_simulated() -> None:
    from predeploy.core.errors import InputError

    too_big = scenario(LoadSpec(kind="poisson", rate_rps=1.0), model=llama_70b())  # 141 GB, 1 GPU
    assert not predict(too_big, PARAMS).memory.fits
    with pytest.raises(InputError, match=r"does not fit: weights 141\.1 GB"):
        predict(too_big, PARAMS, mode="simulate", num_requests=50)


def test_api_front_end_caps_the_request_rate_of_tiny_requests() -> None:
    params = ParameterSet(base=EfficiencyParams(frontend_s_per_request=0.02))
    sc = scenario(LoadSpec(kind="burst", num_prompts=1000), prompt=128, output=4)
    pred = predict(sc, params)
    assert pred.metrics.requests_per_s <= 1 / 0.02 * (1 + 1e-9)
    # The last request enters the engine after ~1000 × 20 ms.
    assert pred.metrics.ttft_ms.p99 > 0.9 * 0.99 * 1000 * 20


def test_a_closed_loop_the_api_front_end_paces_runs_at_its_rate() -> None:
    """Clients of tiny requests reach the engine no faster than the API server admits them
    (20 ms each here): the loop runs at its 50 requests/s however many clients there are,
    the engine holds the batch that rate fills, and each further client waits at the server."""
    params = ParameterSet(base=EfficiencyParams(frontend_s_per_request=0.02))
    clients = (64, 128, 256)
    preds = [
        predict(
            scenario(LoadSpec(kind="concurrency", concurrency=c), prompt=128, output=16), params
        )
        for c in clients
    ]
    rates = [p.metrics.requests_per_s for p in preds]
    assert all(0.95 * 50.0 <= r <= 50.0 * (1 + 1e-9) for r in rates), rates
    batches = [p.metrics.mean_batch_size for p in preds]
    assert batches[0] == pytest.approx(batches[-1]) and batches[0] < clients[0]
    tpots = [p.metrics.tpot_ms.p50 for p in preds]
    assert tpots[0] == pytest.approx(tpots[-1], rel=0.02)
    # 128 more clients wait 128 × 20 ms more each.
    extra_ms = preds[2].metrics.ttft_ms.p50 - preds[1].metrics.ttft_ms.p50
    assert extra_ms == pytest.approx(128 * 20.0, rel=0.1)


def test_the_front_end_time_every_ttft_includes_is_stated() -> None:
    params = ParameterSet(base=EfficiencyParams(request_overhead_s=0.25))
    served = scenario(LoadSpec(kind="concurrency", concurrency=1))
    analytic = predict(served, params)
    assert analytic.metrics.provenance.front_end_ms == pytest.approx(250.0)
    assert (analytic.metrics.ttft_ms.p50 or 0.0) > 250.0
    simulated = predict(served, params, mode="simulate", num_requests=50)
    assert simulated.metrics.provenance.front_end_ms == pytest.approx(250.0)
    in_process = served.model_copy(update={"served_over_api": False})
    assert predict(in_process, params).metrics.provenance.front_end_ms == 0.0


def test_a_stated_front_end_time_replaces_the_fitted_one() -> None:
    params = ParameterSet(base=EfficiencyParams(request_overhead_s=0.25))
    fitted = predict(scenario(LoadSpec(kind="concurrency", concurrency=1)), params)
    stated_scenario = scenario(LoadSpec(kind="concurrency", concurrency=1)).model_copy(
        update={"front_end_s": 0.01}
    )
    modes: tuple[PredictMode, ...] = ("analytic", "simulate")
    for mode in modes:
        stated = predict(stated_scenario, params, mode=mode, num_requests=50)
        assert stated.metrics.provenance.front_end_ms == pytest.approx(10.0)
        assert stated.metrics.provenance.front_end_stated
        saved = (fitted.metrics.ttft_ms.p50 or 0.0) - (stated.metrics.ttft_ms.p50 or 0.0)
        assert saved == pytest.approx(240.0, rel=0.05)
    assert not fitted.metrics.provenance.front_end_stated


def test_a_synchronised_burst_spreads_tpot_and_keeps_itl_p50_at_a_decode_step() -> None:
    pred = predict(
        scenario(LoadSpec(kind="burst", num_prompts=200), prompt=2000, output=100), PARAMS
    )
    m = pred.metrics
    # Early requests decode through the rest of the wave's prefill: a wide TPOT spread.
    assert m.tpot_ms.p99 > 1.3 * m.tpot_ms.p50
    # Most gaps are plain decode steps, a minority carry a full prefill budget.
    assert m.itl_ms.p50 < m.itl_ms.mean < m.itl_ms.p99


def test_long_variable_prompts_keep_the_ttft_tail_of_the_simulation() -> None:
    """Attention grows with the square of the prompt: with 30k-token lognormal prompts the
    analytic TTFT tail follows the simulation's (it was 45 % low before long prompts were
    priced by their own length)."""
    base = scenario(LoadSpec(kind="gamma", rate_rps=0.05, cv=1.5), prompt=30_000, output=500)
    rag = base.model_copy(
        update={
            "prompt_tokens": TokenDistribution(
                kind="lognormal", mean=30_000, stdev=15_000, max=120_000
            ),
            "output_tokens": TokenDistribution(kind="lognormal", mean=500, stdev=300, max=2_500),
        }
    )
    analytic = predict(rag, PARAMS, mode="analytic").metrics.ttft_ms
    simulated = predict(rag, PARAMS, mode="simulate", num_requests=2000, seed=0).metrics.ttft_ms
    for q in ("p50", "p90", "p99"):
        a, s = getattr(analytic, q), getattr(simulated, q)
        assert a == pytest.approx(s, rel=0.3), q
    fixed = predict(base, PARAMS, mode="analytic").metrics.ttft_ms
    assert analytic.p99 > 1.5 * fixed.p99  # the longest prompts dominate the tail


def test_open_loop_simulation_is_measured_in_steady_state() -> None:
    """A request lives ~E2E; the server's batch λ·E2E takes about that long to build. The
    simulation warms up (and keeps arrivals going) for 1.5 mean E2E on either side of the
    measured requests, so its throughput is the offered rate and its latencies those of a
    full batch (a run of 400 requests at 2 req/s with 2,000-token outputs, two thirds of
    saturation, measured mostly the ramp-up before)."""
    rate = 2.0
    sc = scenario(LoadSpec(kind="poisson", rate_rps=rate), prompt=512, output=2000)
    analytic = predict(sc, PARAMS)
    sim = predict(sc, PARAMS, mode="simulate", num_requests=400, seed=0)
    lifetime_s = (analytic.metrics.e2e_ms.mean or 0.0) / 1e3
    simulated = sim.metrics.provenance.num_requests_simulated or 0
    assert simulated >= 400 + 2 * rate * lifetime_s * 1.5 - 2
    assert sim.metrics.requests_per_s == pytest.approx(rate, rel=0.1)
    assert sim.metrics.mean_batch_size == pytest.approx(rate * lifetime_s, rel=0.25)


def _at_utilization(share: float, prompt: int = 256, output: int = 256) -> ServingScenario:
    """A Poisson load at ``share`` of the analytic saturation rate."""
    probe = scenario(LoadSpec(kind="poisson", rate_rps=1.0), prompt=prompt, output=output)
    saturation = predict(probe, PARAMS).saturation_rps or 0.0
    return scenario(
        LoadSpec(kind="poisson", rate_rps=share * saturation), prompt=prompt, output=output
    )


def test_an_open_loop_settles_ever_more_slowly_toward_capacity() -> None:
    """The arrivals over which a server started empty settles, ``B · d ln B/d ln λ``: about
    one batch far below capacity, several near it, unbounded where the analytic mode prices
    the edge, and none past saturation (no steady state)."""
    relaxations = []
    for share in (0.3, 0.6, 0.8, 0.9):
        sc = _at_utilization(share)
        analytic = predict(sc, PARAMS)
        batch = analytic.metrics.mean_batch_size or 0.0
        relaxations.append(relaxation_requests(sc, PARAMS, analytic) / batch)
    assert 1.0 < relaxations[0] < 2.0
    assert relaxations == sorted(relaxations)
    assert relaxations[-1] > 4.0
    edge = _at_utilization(0.98)
    assert relaxation_requests(edge, PARAMS, predict(edge, PARAMS)) == float("inf")
    past = _at_utilization(1.2)
    assert relaxation_requests(past, PARAMS, predict(past, PARAMS)) == 0.0


def test_a_simulation_near_capacity_is_measured_once_it_has_settled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At 0.95 of capacity the running batch takes about six batches' worth of arrivals to
    settle: warmed up for 1.5 lifetimes only, 400 measured requests ran 0.63-0.71 of the
    analytic batch (seeds 0-3; TPOT 0.66-0.81 of it), since they saw the server still
    filling. Warmed up for two relaxation times, they run at it."""
    sc = _at_utilization(0.95)
    analytic = predict(sc, PARAMS)
    batch = analytic.metrics.mean_batch_size or 0.0
    settled = predict(sc, PARAMS, mode="simulate", num_requests=400, seed=0)
    simulated = settled.metrics.provenance.num_requests_simulated or 0
    relaxation = relaxation_requests(sc, PARAMS, analytic)
    assert simulated >= 400 + OPEN_LOOP_WARMUP_RELAXATIONS * relaxation
    assert settled.metrics.mean_batch_size == pytest.approx(batch, rel=0.25)
    assert UNSETTLED_CAVEAT not in settled.metrics.provenance.caveats
    monkeypatch.setattr(perf_module, "OPEN_LOOP_WARMUP_RELAXATIONS", 0.0)
    filling = predict(sc, PARAMS, mode="simulate", num_requests=400, seed=0)
    assert (filling.metrics.mean_batch_size or 0.0) < 0.8 * batch


def test_a_simulation_at_the_edge_of_capacity_says_it_may_not_have_settled() -> None:
    """Where the analytic mode prices the edge of capacity the batch never settles: the
    warm-up stops at :data:`OPEN_LOOP_WARMUP_MAX_REQUESTS` and the result says so."""
    sc = _at_utilization(0.98, prompt=64, output=16)
    sim = predict(sc, PARAMS, mode="simulate", num_requests=50, seed=0)
    simulated = sim.metrics.provenance.num_requests_simulated or 0
    assert simulated >= 50 + OPEN_LOOP_WARMUP_MAX_REQUESTS
    assert UNSETTLED_CAVEAT in sim.metrics.provenance.caveats


def test_an_offline_run_of_no_stated_length_is_simulated_at_its_steady_throughput() -> None:
    """An offline run of no stated length is predicted at its steady rate: the simulation
    leaves the ramp-up and the drain out (1.5 running batches of completions at either end;
    4,000 ± 1,200-token answers at a batch of about 180) and meets the analytic saturation
    throughput. Measured whole, 2,000 of DeepSeek-R1's 3,700-token answers on 8x B200 (a
    batch of about 2,400: one wave and its drain) had come to 0.07x MLPerf's throughput."""
    steady = scenario(LoadSpec(kind="max_throughput"), prompt=512).model_copy(
        update={"output_tokens": TokenDistribution(kind="lognormal", mean=4000, stdev=1200)}
    )
    analytic = predict(steady, PARAMS)
    sim = predict(steady, PARAMS, mode="simulate", num_requests=400, seed=0)
    batch = analytic.metrics.mean_batch_size or 0.0
    simulated = sim.metrics.provenance.num_requests_simulated or 0
    assert simulated >= 400 + 2 * batch * OFFLINE_WINDOW_BATCHES - 2
    assert sim.metrics.output_tokens_per_s == pytest.approx(
        analytic.metrics.output_tokens_per_s, rel=0.1
    )


def test_long_variable_contexts_spread_the_open_loop_itl_tail() -> None:
    """At a small running batch of 30k-token lognormal prompts, the KV a decode step reads
    depends on which requests it meets: the ITL p90 sits above the median decode step, and
    more so than for short fixed prompts."""
    load = LoadSpec(kind="poisson", rate_rps=0.05)
    rag = scenario(load, prompt=30_000, output=500).model_copy(
        update={
            "prompt_tokens": TokenDistribution(
                kind="lognormal", mean=30_000, stdev=15_000, max=120_000
            )
        }
    )
    short = scenario(LoadSpec(kind="poisson", rate_rps=2.0), prompt=256, output=500)
    rag_itl = predict(rag, PARAMS).metrics.itl_ms
    short_itl = predict(short, PARAMS).metrics.itl_ms
    assert rag_itl.p90 is not None and rag_itl.p50 is not None
    assert short_itl.p90 is not None and short_itl.p50 is not None
    assert rag_itl.p90 / rag_itl.p50 > 1.1 * (short_itl.p90 / short_itl.p50)


def test_prefill_carrying_steps_follow_the_prompt_sizes() -> None:
    """An open loop's prefill-carrying steps carry one arriving prompt's chunk each: with
    lognormal prompts most are shorter than the mean and a few much longer, so the ITL
    quantiles that fall on such steps spread both ways from those of fixed-length prompts
    (at half load on this H100: p95 lower, p99 higher)."""
    load = LoadSpec(kind="poisson", rate_rps=5.0)
    fixed = scenario(load, prompt=2000, output=200)
    variable = fixed.model_copy(
        update={
            "prompt_tokens": TokenDistribution(kind="lognormal", mean=2000, stdev=2000, max=20_000)
        }
    )
    a = predict(fixed, PARAMS).metrics.itl_ms
    b = predict(variable, PARAMS).metrics.itl_ms
    assert a.p95 is not None and a.p99 is not None and b.p95 is not None and b.p99 is not None
    assert b.p95 < a.p95 and b.p99 > a.p99


def test_few_long_prefills_skew_the_open_loop_tpot() -> None:
    """With 30k-token prompts arriving rarely, a request meets a prefill burst or two, or none:
    the TPOT median sits below the mean (which stays the step-weighted mean)."""
    load = LoadSpec(kind="poisson", rate_rps=0.05)
    rag = scenario(load, prompt=30_000, output=500)
    tpot = predict(rag, PARAMS).metrics.tpot_ms
    assert tpot.p50 is not None and tpot.p99 is not None
    assert tpot.p50 < 0.97 * tpot.mean < tpot.p99


@pytest.mark.parametrize("mode", ["analytic", "simulate"])
def test_a_stream_interval_streams_chunks_of_tokens(mode: PredictMode) -> None:
    # With --stream-interval 8 a client sees one gap per 8 tokens: 8× the mean ITL, the same
    # TTFT (the first token goes at once), TPOT and throughput.
    every = scenario(LoadSpec(kind="poisson", rate_rps=2.0))
    chunked = every.model_copy(update={"engine_settings": EngineSettings(stream_interval=8)})
    a = predict(every, PARAMS, mode=mode, num_requests=300)
    b = predict(chunked, PARAMS, mode=mode, num_requests=300)
    assert b.metrics.itl_ms.mean == pytest.approx(8 * (a.metrics.itl_ms.mean or 0.0))
    assert b.metrics.ttft_ms == a.metrics.ttft_ms and b.metrics.tpot_ms == a.metrics.tpot_ms
    assert b.metrics.output_tokens_per_s == a.metrics.output_tokens_per_s


def test_a_simulated_closed_loop_of_alike_answers_runs_warm_and_says_so() -> None:
    closed = scenario(LoadSpec(kind="concurrency", concurrency=8))
    simulated = predict(closed, PARAMS, mode="simulate", num_requests=80)
    # Its clients start at random phases; their 8 first requests are the warm-up.
    assert simulated.metrics.provenance.caveats == (WARM_CLOSED_LOOP_CAVEAT,)
    assert simulated.metrics.provenance.num_requests_simulated == 88
    # The analytic mode assumes the clients' phases spread; lengths that vary spread them.
    assert predict(closed, PARAMS).metrics.provenance.caveats == ()
    varied = closed.model_copy(
        update={"output_tokens": TokenDistribution(kind="lognormal", mean=256, stdev=128)}
    )
    varied_sim = predict(varied, PARAMS, mode="simulate", num_requests=80)
    assert varied_sim.metrics.provenance.caveats == ()
    # Prompts that vary do not: requests prefilled together still finish together.
    prompts = closed.model_copy(
        update={"prompt_tokens": TokenDistribution(kind="lognormal", mean=1024, stdev=512)}
    )
    prompts_sim = predict(prompts, PARAMS, mode="simulate", num_requests=80)
    assert prompts_sim.metrics.provenance.caveats == (WARM_CLOSED_LOOP_CAVEAT,)
    # A stated run of two waves is mostly its first: simulated from the common start.
    short = scenario(LoadSpec(kind="concurrency", concurrency=8, num_prompts=16))
    short_sim = predict(short, PARAMS, mode="simulate")
    assert short_sim.metrics.provenance.caveats == (LOCK_STEP_CAVEAT,)
    assert short_sim.metrics.provenance.num_requests_simulated == 16
    # One client has no one to keep in step with: 8 clients over 8 replicas, one each.
    spread = closed.model_copy(update={"replicas": 8})
    spread_sim = predict(spread, PARAMS, mode="simulate", num_requests=20)
    assert spread_sim.metrics.provenance.caveats == ()
    poisson = scenario(LoadSpec(kind="poisson", rate_rps=2.0))
    open_sim = predict(poisson, PARAMS, mode="simulate", num_requests=80)
    assert open_sim.metrics.provenance.caveats == ()


@pytest.mark.parametrize(
    ("load", "warm"),
    [
        (LoadSpec(kind="concurrency", concurrency=8), True),
        (LoadSpec(kind="concurrency", concurrency=8, num_prompts=24), True),
        (LoadSpec(kind="concurrency", concurrency=8, num_prompts=23), False),
        (LoadSpec(kind="concurrency", concurrency=1), False),
        (LoadSpec(kind="burst", num_prompts=100), False),
        (LoadSpec(kind="poisson", rate_rps=1.0), False),
    ],
)
def test_which_closed_loops_run_warm(load: LoadSpec, warm: bool) -> None:
    assert warm_closed_loop(load, TokenDistribution.fixed(128)) is warm
    dispersed = TokenDistribution(kind="lognormal", mean=128, stdev=64)
    assert not warm_closed_loop(load, dispersed)


@pytest.mark.parametrize(
    ("engine", "architecture", "precision", "warned"),
    [
        (Engine.SGLANG, "hopper", Precision.FP4, True),
        (Engine.TRTLLM, "ampere", Precision.FP4, True),
        (Engine.VLLM, "hopper", Precision.FP4, False),
        (Engine.SGLANG, "blackwell", Precision.FP4, False),
        (Engine.SGLANG, "hopper", Precision.FP8, False),
    ],
)
def test_4_bit_weights_on_engines_measured_slow_there_come_with_a_caveat(
    engine: Engine, architecture: str, precision: Precision, warned: bool
) -> None:
    """SGLang and TensorRT-LLM ran gpt-oss's MXFP4 weights 2-10x slower than predicted on
    A100 and H100 (GPUStack); the prediction says so, in both modes, and only there."""
    base = scenario(LoadSpec(kind="concurrency", concurrency=4), model=gpt_oss_120b(), tp=2)
    gpu = base.gpu.model_copy(update={"architecture": architecture})
    case = base.model_copy(update={"engine": engine, "gpu": gpu, "precision": precision})
    for mode in ("analytic", "simulate"):
        caveats = predict(case, PARAMS, mode=mode, num_requests=40).metrics.provenance.caveats
        assert (SLOW_FP4_CAVEAT in caveats) is warned


def test_a_moe_models_ttft_tail_rises_with_short_answers() -> None:
    """Qwen3 30B-A3B FP8 on one GB300, 256/16-token requests: a prompt-carrying step costs
    a ~25 ms fixed extra and each prompt ~1.4 ms. As the load grows, more steps carry
    prompts; the TTFT tail never falls (its p99 fell 88 -> 84 ms from 27 to 64 requests/s
    while the step's spread came from the whole cycle's variance, sessions 56-57)."""
    catalog = seed_catalog()
    card = catalog.model("Qwen/Qwen3-30B-A3B")
    rates = np.geomspace(4.0, 64.0, 40)
    preds = predict_many(
        [
            ServingScenario(
                model_id=card.id,
                model=card.architecture,
                gpu=catalog.gpu("GB300"),
                precision=Precision.FP8,
                prompt_tokens=TokenDistribution(kind="lognormal", mean=256, stdev=128),
                output_tokens=TokenDistribution(kind="lognormal", mean=16, stdev=8),
                load=LoadSpec(kind="poisson", rate_rps=float(r)),
            )
            for r in rates
        ],
        PARAMS,
    )
    for stat in ("p50", "p90", "p99"):
        values = np.array([getattr(p.metrics.ttft_ms, stat) for p in preds])
        drops = np.flatnonzero(values[1:] < values[:-1] * (1 - 1e-6))
        assert drops.size == 0, (stat, rates[drops[:3]])


def _short_sglang_requests(load: LoadSpec, engine: Engine = Engine.SGLANG) -> ServingScenario:
    return ServingScenario(
        model_id="test/model",
        model=llama_8b(),
        gpu=h100(3350.0),
        precision=Precision.BF16,
        engine=engine,
        prompt_tokens=TokenDistribution(kind="lognormal", mean=64, stdev=32),
        output_tokens=TokenDistribution(kind="lognormal", mean=16, stdev=8),
        load=load,
    )


def _chains(prediction: PerfPrediction) -> bool:
    return any(map(is_prefill_chain_caveat, prediction.metrics.provenance.caveats))


def test_an_open_loop_whose_prefill_batches_chain_prices_the_chains_and_says_so() -> None:
    """SGLang runs every waiting prompt before its next decode step: from about one prompt
    arriving per prefill batch the batches chain and pause decoding. Priced as one prefill
    batch per decode step, this load's TPOT p50 was 25.6 ms against 77 ms simulated; with the
    chains 52 against 75. The prediction says its TPOT is less certain there."""
    busy = _short_sglang_requests(LoadSpec(kind="poisson", rate_rps=100.0))
    analytic = predict(busy, PARAMS)
    assert _chains(analytic)
    simulated = predict(busy, PARAMS, mode="simulate", num_requests=2000, seed=1)
    ratio = (simulated.metrics.tpot_ms.p50 or 0.0) / (analytic.metrics.tpot_ms.p50 or 1.0)
    assert 0.8 < ratio < 1.7
    # Fewer arrivals, prefill on the decoders' steps, or a closed loop: no such caveat.
    quiet = [
        _short_sglang_requests(LoadSpec(kind="poisson", rate_rps=60.0)),
        _short_sglang_requests(LoadSpec(kind="poisson", rate_rps=100.0), Engine.VLLM),
        _short_sglang_requests(LoadSpec(kind="concurrency", concurrency=64)),
    ]
    assert not any(_chains(p) for p in predict_many(quiet, PARAMS))


@pytest.mark.parametrize("rate", [10.0, 30.0, 60.0])
def test_an_open_loops_decoders_pause_for_chains_of_prefill_batches(rate: float) -> None:
    """From the first arrivals, SGLang's prefill batches chain: a decode step is followed by a
    chain of them with the chance a prompt arrived during it, a geometric number long; a
    request prefilled in a chain waits for the rest of it, and an arrival for the rest of the
    decode step or batch in progress. Priced as one prefill batch per decode step, this
    load's ITL p50 / p99 at 60 requests/s was 15 / 133 ms against 9 / 151 ms simulated, its
    TPOT p50 at 45 requests/s 21.6 ms against 19.5, and its TTFT p50 60.6 against 44.8."""
    load = _short_sglang_requests(LoadSpec(kind="poisson", rate_rps=rate))
    analytic = predict(load, PARAMS).metrics
    simulated = predict(load, PARAMS, mode="simulate", num_requests=2000, seed=1).metrics
    for name in ("ttft_ms", "tpot_ms", "itl_ms", "e2e_ms"):
        assert getattr(analytic, name).p50 == pytest.approx(
            getattr(simulated, name).p50, rel=0.1
        ), name
    assert analytic.itl_ms.p99 == pytest.approx(simulated.itl_ms.p99, rel=0.1)
    # The rest of the step or batch in progress spreads the TTFT (priced at its mean, the
    # TTFT p99 was 10-15 % under the simulated).
    assert analytic.ttft_ms.p99 == pytest.approx(simulated.ttft_ms.p99, rel=0.1)


@pytest.mark.parametrize("cv", [1.5, 2.0])
def test_clustered_arrivals_start_fewer_and_longer_chains(cv: float) -> None:
    """Gamma arrivals of CV > 1 leave more decode steps without an arrival than Poisson ones,
    and a batch that a cluster started is likelier to see the rest of it: priced with
    Poisson chances, 64/16-token SGLang requests at 60 requests/s (CV 1.5) ran a TPOT p50 of
    26.0 ms against 21.1 simulated and an E2E p50 25 % over."""
    load = _short_sglang_requests(LoadSpec(kind="gamma", rate_rps=60.0, cv=cv))
    analytic = predict(load, PARAMS).metrics
    simulated = predict(load, PARAMS, mode="simulate", num_requests=4000, seed=1).metrics
    for name in ("tpot_ms", "e2e_ms"):
        assert getattr(analytic, name).p50 == pytest.approx(
            getattr(simulated, name).p50, rel=0.1
        ), name


def test_short_answers_of_long_prompts_mostly_see_no_chain() -> None:
    """4,000-token prompts and 16-token answers at 1 request/s: a prefill batch outlasts the
    mean gap between arrivals, so a chain often runs two batches, yet most requests see no
    pause at all (their own batch ends its chain, and their few other gaps start none): the
    TPOT median is the decode step, as simulated."""
    load = _short_sglang_requests(LoadSpec(kind="poisson", rate_rps=1.0)).model_copy(
        update={
            "prompt_tokens": TokenDistribution(kind="lognormal", mean=4000, stdev=1000),
            "output_tokens": TokenDistribution(kind="lognormal", mean=16, stdev=4),
        }
    )
    analytic = predict(load, PARAMS).metrics
    simulated = predict(load, PARAMS, mode="simulate", num_requests=2000, seed=1).metrics
    assert analytic.tpot_ms.p50 == pytest.approx(simulated.tpot_ms.p50, rel=0.1)
    assert analytic.tpot_ms.p99 > 2.0 * analytic.tpot_ms.p50


def test_chained_prefill_latencies_never_fall_as_the_rate_rises() -> None:
    """The chains are priced from the first arrival on, so no percentile falls where they
    take over from one prefill batch per decode step (the SGLang census of
    `bench/perf_monotonicity.py --lengths 256 16` had 321 TPOT p99 falls)."""
    rates = np.linspace(2.0, 110.0, 28)
    loads = [_short_sglang_requests(LoadSpec(kind="poisson", rate_rps=r)) for r in rates]
    predictions = predict_many(loads, PARAMS)
    for name in ("tpot_ms", "itl_ms", "e2e_ms"):
        for stat in ("p50", "p90", "p99"):
            values = [getattr(getattr(p.metrics, name), stat) for p in predictions]
            assert all(b >= a * (1 - 1e-9) for a, b in pairwise(values)), (name, stat, values)


def test_the_chained_prefill_caveat_names_the_arrivals_per_batch() -> None:
    assert prefill_chain_caveats(0.99) == ()
    (caveat,) = prefill_chain_caveats(1.5)
    assert "sees 1.5 new prompts arrive on average" in caveat
    (saturated,) = prefill_chain_caveats(math.inf)
    assert "prefill alone takes all of its time" in saturated


def test_a_batch_with_chained_prefill_predicts_every_scenario_as_alone() -> None:
    """A chained SGLang open loop in a batch leaves the others as they are alone: a closed
    loop the API server paces had taken the chained batch's decode cycle from before its
    pacing (TPOT p50 6.4 → 74 ms in a census batch), and a run the engine cannot keep up
    with, priced alone, had chained at its offered rate."""
    chained = _short_sglang_requests(LoadSpec(kind="poisson", rate_rps=100.0))
    others = [
        _short_sglang_requests(LoadSpec(kind="concurrency", concurrency=256)),
        # A short run offered more than the engine takes in: prompts wait, nothing chains
        # (alone, it had been priced with chains at a TPOT p50 of 1.8e8 ms).
        _short_sglang_requests(
            LoadSpec(kind="poisson", rate_rps=100.0, num_prompts=100)
        ).model_copy(
            update={
                "prompt_tokens": TokenDistribution(kind="lognormal", mean=1000, stdev=500),
                "output_tokens": TokenDistribution(kind="lognormal", mean=128, stdev=64),
            }
        ),
        _short_sglang_requests(LoadSpec(kind="poisson", rate_rps=30.0), Engine.VLLM),
        _short_sglang_requests(LoadSpec(kind="concurrency", concurrency=16), Engine.TRTLLM),
    ]
    batched = predict_many([chained, *others], PARAMS)
    assert _chains(batched[0])
    for scenario, prediction in zip([chained, *others], batched, strict=True):
        alone = predict(scenario, PARAMS).metrics
        for name in ("ttft_ms", "tpot_ms", "itl_ms", "e2e_ms"):
            for stat in ("mean", "p50", "p99"):
                expected = getattr(getattr(alone, name), stat)
                got = getattr(getattr(prediction.metrics, name), stat)
                assert got == pytest.approx(expected, rel=1e-12), (scenario.load, name, stat)


def test_sglang_is_simulated_with_its_own_admission_and_priced_with_the_reservation() -> None:
    """The simulation schedules SGLang's optimistic admission (``new_token_ratio``, with
    retraction); the analytic mode keeps pricing the reserved whole contexts."""
    load = LoadSpec(kind="poisson", rate_rps=10.0)
    sglang = prepare(_short_sglang_requests(load))
    assert sglang.reserve_full_context
    assert scheduler_config(sglang).new_token_ratio_admission
    assert not scheduler_config(sglang).reserve_full_context
    for engine in (Engine.VLLM, Engine.TRTLLM):
        other = scheduler_config(prepare(_short_sglang_requests(load, engine)))
        assert not other.new_token_ratio_admission
    # Data-parallel attention runs SGLang's schedule at 0.3 of its conservativeness.
    assert scheduler_config(sglang).schedule_conservativeness == 1.0
    wide = _short_sglang_requests(load).model_copy(
        update={"model": mixtral(), "tp": 4, "expert_parallel": True}
    )
    config = scheduler_config(prepare(wide))
    assert config.schedule_conservativeness == DP_ATTENTION_CONSERVATIVENESS
