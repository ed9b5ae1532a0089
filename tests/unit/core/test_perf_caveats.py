"""What a prediction says it leaves out (``core.perf_caveats``): precisions the GPU does not
serve, evictions in a simulation, SGLang's KV-bound batch and its chains at the running-request
limit."""

from __future__ import annotations

import pytest
from tests.perf_fixtures import h100, l4, llama_8b, llama_70b
from tests.unit.core.test_perf_facade import PARAMS, _short_sglang_requests

from predeploy.core.engine_args import parse_engine_args
from predeploy.core.perf import predict
from predeploy.core.perf_caveats import (
    RETRACTION_CAVEAT,
    SLOW_MLA_PREFILL_CAVEAT,
    SPARSE_ATTENTION_CAVEAT,
    front_end_caveats,
    is_front_end_caveat,
    preemption_caveats,
    static_batch_caveats,
    unserved_precision_caveat,
)
from predeploy.core.types import (
    Engine,
    LoadSpec,
    Precision,
    ServingScenario,
    TokenDistribution,
)
from predeploy.kb.seed_files import seed_catalog


def test_weights_in_a_precision_the_gpu_does_not_serve_are_flagged() -> None:
    """Volta has no FP8 kernels in the serving engines: a V100 prediction of FP8 weights says
    it prices a deployment that cannot start; BF16 there runs as FP16 and is not flagged."""
    catalog = seed_catalog()
    v100, h100_card = catalog.gpu("V100-32GB"), catalog.gpu("H100-SXM")
    assert unserved_precision_caveat(h100_card, Precision.FP8) is None
    assert unserved_precision_caveat(v100, Precision.BF16) is None
    caveat = unserved_precision_caveat(v100, Precision.FP8)
    assert caveat is not None and "V100-32GB does not serve fp8" in caveat
    scenario = _short_sglang_requests(LoadSpec(kind="poisson", rate_rps=1.0), Engine.VLLM)
    on_v100 = scenario.model_copy(update={"gpu": v100, "precision": Precision.FP8})
    assert caveat in predict(on_v100, PARAMS).metrics.provenance.caveats
    # TensorRT-LLM serves FP8 from Ada on: not weight-only on an A100, as vLLM does.
    a100 = catalog.gpu("A100-80GB")
    assert unserved_precision_caveat(a100, Precision.FP8, Engine.VLLM) is None
    trtllm = unserved_precision_caveat(a100, Precision.FP8, Engine.TRTLLM)
    assert trtllm is not None and "TensorRT-LLM serves FP8 from Ada on" in trtllm
    assert unserved_precision_caveat(h100_card, Precision.FP8, Engine.TRTLLM) is None


def _kv_tight_sglang(clients: int) -> ServingScenario:
    """Llama 3.1 8B on an L4, 1,000 ± 500 / 1,000 ± 1,000 tokens: the KV cache bounds the
    batch from a few dozen clients on."""
    return ServingScenario(
        model_id="test/model",
        model=llama_8b(),
        gpu=l4(),
        precision=Precision.BF16,
        engine=Engine.SGLANG,
        prompt_tokens=TokenDistribution(kind="lognormal", mean=1000, stdev=500),
        output_tokens=TokenDistribution(kind="lognormal", mean=1000, stdev=1000),
        load=LoadSpec(kind="concurrency", concurrency=clients),
    )


def test_a_simulation_whose_cache_runs_out_says_how_it_evicted() -> None:
    """SGLang retracts to the back of the queue, vLLM recomputes the newest first: a
    simulation that evicted requests says so, one that did not says nothing."""
    assert preemption_caveats(Engine.VLLM, 0, 100) == ()
    tight = _kv_tight_sglang(64)
    for engine, words in ((Engine.SGLANG, "back of the queue"), (Engine.VLLM, "recomputed first")):
        scenario = tight.model_copy(update={"engine": engine})
        caveats = predict(scenario, PARAMS, mode="simulate", num_requests=400, seed=1)
        said = [c for c in caveats.metrics.provenance.caveats if c.startswith("the KV cache ran")]
        assert len(said) == 1 and words in said[0]
    roomy = tight.model_copy(
        update={"gpu": h100(), "load": LoadSpec(kind="concurrency", concurrency=4)}
    )
    quiet = predict(roomy, PARAMS, mode="simulate", num_requests=100, seed=1)
    assert not any(c.startswith("the KV cache ran") for c in quiet.metrics.provenance.caveats)


def test_an_sglang_batch_its_cache_bounds_says_retractions_are_left_out() -> None:
    tight = _kv_tight_sglang(256)
    assert RETRACTION_CAVEAT in predict(tight, PARAMS).metrics.provenance.caveats
    few = tight.model_copy(update={"load": LoadSpec(kind="concurrency", concurrency=4)})
    vllm = tight.model_copy(update={"engine": Engine.VLLM})
    for scenario in (few, vllm):
        assert RETRACTION_CAVEAT not in predict(scenario, PARAMS).metrics.provenance.caveats


def test_chains_that_fill_the_running_request_limit_say_the_engine_is_at_capacity() -> None:
    """Llama 3.1 70B on 4 H100s, 64/128 tokens, SGLang: at 80 % of the saturation rate without
    chains, the chained batch fills all 2,048 running requests; at half, it does not."""
    base = _short_sglang_requests(LoadSpec(kind="poisson", rate_rps=1.0)).model_copy(
        update={
            "model": llama_70b(),
            "tp": 4,
            "prompt_tokens": TokenDistribution.fixed(64),
            "output_tokens": TokenDistribution.fixed(128),
        }
    )
    saturation = predict(base, PARAMS).saturation_rps
    assert saturation is not None

    def says_full(share: float) -> bool:
        load = LoadSpec(kind="poisson", rate_rps=share * saturation)
        caveats = predict(base.model_copy(update={"load": load}), PARAMS).metrics.provenance
        return any("fills the engine's limit of 2,048" in c for c in caveats.caveats)

    assert says_full(0.8) and not says_full(0.5)


def test_a_closed_loop_whose_requests_chain_sglangs_prefill_batches_says_so() -> None:
    """64/16-token requests on an H100: from 64 clients about one request reaches SGLang per
    prefill batch, whose chains the closed loop's analytic mode does not price (in a census
    of 71 SGLang closed loops, the 8 flagged had TTFT p50 427 % off the simulated at the
    median, the others 12 %); four clients, or vLLM, say nothing."""

    def says(clients: int, engine: Engine = Engine.SGLANG) -> bool:
        scenario = _short_sglang_requests(LoadSpec(kind="concurrency", concurrency=clients), engine)
        caveats = predict(scenario, PARAMS).metrics.provenance.caveats
        return any(c.startswith("this closed loop's requests reach the engine") for c in caveats)

    assert says(64) and says(256)
    assert not says(4) and not says(256, Engine.VLLM)


def test_a_load_that_keeps_the_api_server_busy_says_its_time_per_request_paces_it() -> None:
    # Short answers at a high rate: the API server's one process, not the GPU, bounds what
    # reaches the engine; the caveat names its fitted time and the measured spread.
    assert front_end_caveats(0.0, 500.0) == ()  # in process: no API server
    assert front_end_caveats(0.01, 40.0) == ()  # 40 % busy
    (caveat,) = front_end_caveats(0.01, 80.0)
    assert is_front_end_caveat(caveat)
    assert "(10.0 ms)" in caveat and "100 requests/s per replica" in caveat
    assert "80% busy" in caveat
    (saturated,) = front_end_caveats(0.01, 250.0)
    assert "100% busy" in saturated

    def short(load: LoadSpec, replicas: int = 1) -> ServingScenario:
        return ServingScenario(
            model_id="test/model",
            model=llama_8b(),
            gpu=h100(),
            precision=Precision.BF16,
            replicas=replicas,
            prompt_tokens=TokenDistribution.fixed(128),
            output_tokens=TokenDistribution.fixed(4),
            load=load,
        )

    def noted(scenario: ServingScenario, mode: str = "analytic") -> bool:
        caveats = predict(scenario, PARAMS, mode=mode, num_requests=200).metrics.provenance
        return any(is_front_end_caveat(c) for c in caveats.caveats)

    busy = short(LoadSpec(kind="poisson", rate_rps=1000.0))
    assert noted(busy) and noted(busy, "simulate")
    # The rate the API servers allow is stated, for all replicas; none in process.
    f = PARAMS.for_gpu(h100(), Engine.VLLM)[0].frontend_s_per_request
    four = predict(short(LoadSpec(kind="poisson", rate_rps=1.0), replicas=4), PARAMS)
    assert four.api_server_rps == pytest.approx(4.0 / f)
    in_process = busy.model_copy(update={"served_over_api": False})
    assert predict(in_process, PARAMS).api_server_rps is None
    # vLLM's --api-server-count: the processes take requests side by side, so 100 requests/s
    # that kept one 84 % busy keep four a fifth busy, and wait less in front of the engine.
    hundred = short(LoadSpec(kind="poisson", rate_rps=100.0))
    four_servers = hundred.model_copy(
        update={"engine_settings": parse_engine_args("vllm serve m --api-server-count 4")}
    )
    spread = predict(four_servers, PARAMS)
    assert spread.api_server_rps == pytest.approx(4.0 / f)
    assert noted(hundred) and not noted(four_servers)
    assert spread.metrics.ttft_ms.p99 < predict(hundred, PARAMS).metrics.ttft_ms.p99
    (shared,) = front_end_caveats(0.01, 300.0, processes=4)
    assert "(10.0 ms, 4 processes)" in shared and "400 requests/s per replica" in shared
    assert noted(short(LoadSpec(kind="burst", num_prompts=1000)))
    # The same load spread over enough replicas, or in process, leaves it idle enough.
    assert not noted(short(LoadSpec(kind="poisson", rate_rps=1000.0), replicas=64))
    assert not noted(busy.model_copy(update={"served_over_api": False}))
    assert not noted(short(LoadSpec(kind="poisson", rate_rps=2.0)))


def test_a_static_batch_the_cache_cannot_hold_says_it_is_priced_as_one_batch() -> None:
    """64 requests of 2,048 + 2,048 tokens of a 70B model on one H100's KV cache: priced as one
    batch, the prediction says the engine runs what fits; 2 such requests fit and say nothing."""

    def batch(size: int) -> ServingScenario:
        return ServingScenario(
            model_id="test/70b",
            model=llama_70b(),
            gpu=h100(),
            precision=Precision.FP8,
            tp=1,
            prompt_tokens=TokenDistribution.fixed(2048),
            output_tokens=TokenDistribution.fixed(2048),
            load=LoadSpec(kind="static_batch", batch_size=size),
        )

    big = predict(batch(64), PARAMS)
    words = [c for c in big.metrics.provenance.caveats if "static batch of 64" in c]
    assert len(words) == 1 and "KV-cache tokens" in words[0]
    assert big.memory.kv_capacity_tokens < 64 * 4096
    small = predict(batch(2), PARAMS)
    assert not [c for c in small.metrics.provenance.caveats if "static batch" in c]
    assert static_batch_caveats(LoadSpec(kind="burst", num_prompts=64), 8, 10, 4096.0) == ()
    slots = static_batch_caveats(LoadSpec(kind="static_batch", batch_size=64), 8, 10**9, 10.0)
    assert "at most 8 sequences" in slots[0]


def test_tensorrt_llm_mla_models_on_hopper_say_their_first_tokens_ran_slower() -> None:
    """TensorRT-LLM's DeepSeek runs on H200 measured TTFTs 2-5x the predicted, fitted or not;
    other engines, other GPUs and models without MLA say nothing of it."""
    catalog = seed_catalog()

    def scenario(model_id: str, gpu: str, engine: Engine) -> ServingScenario:
        card = catalog.model(model_id)
        return ServingScenario(
            model_id=card.id,
            model=card.architecture,
            gpu=catalog.gpu(gpu),
            precision=Precision.FP8 if gpu == "H200" else Precision.FP4,
            tp=8,
            engine=engine,
            prompt_tokens=TokenDistribution.fixed(1024),
            output_tokens=TokenDistribution.fixed(256),
            load=LoadSpec(kind="concurrency", concurrency=4),
        )

    def flagged(s: ServingScenario) -> bool:
        return SLOW_MLA_PREFILL_CAVEAT in predict(s, PARAMS).metrics.provenance.caveats

    assert flagged(scenario("deepseek-ai/DeepSeek-R1", "H200", Engine.TRTLLM))
    assert not flagged(scenario("deepseek-ai/DeepSeek-R1", "H200", Engine.SGLANG))
    assert not flagged(scenario("deepseek-ai/DeepSeek-R1", "B200", Engine.TRTLLM))
    assert not flagged(scenario("meta-llama/Llama-3.1-70B-Instruct", "H200", Engine.TRTLLM))


def test_sparse_attention_models_say_their_kernels_vary_by_engine() -> None:
    """DeepSeek-V3.2 and GLM-5.2 (DSA) measured 0.4-1.7x the predicted throughput by engine,
    release and backend: their predictions say so; a dense-attention MLA model does not."""
    catalog = seed_catalog()

    def flagged(model_id: str, engine: Engine) -> bool:
        card = catalog.model(model_id)
        s = ServingScenario(
            model_id=card.id,
            model=card.architecture,
            gpu=catalog.gpu("H200"),
            precision=Precision.FP8,
            tp=8,
            engine=engine,
            prompt_tokens=TokenDistribution.fixed(1024),
            output_tokens=TokenDistribution.fixed(256),
            load=LoadSpec(kind="burst", num_prompts=100),
        )
        return SPARSE_ATTENTION_CAVEAT in predict(s, PARAMS).metrics.provenance.caveats

    assert flagged("deepseek-ai/DeepSeek-V3.2", Engine.VLLM)
    assert flagged("zai-org/GLM-5.2", Engine.SGLANG)
    assert not flagged("deepseek-ai/DeepSeek-R1", Engine.VLLM)
