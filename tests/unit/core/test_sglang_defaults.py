"""SGLang's device-derived prefill chunk and memory share, against the source's arithmetic."""

from __future__ import annotations

import pytest
from tests.perf_fixtures import h100, l4, llama_8b, mixtral
from tests.unit.core.test_perf_cases import record_of, scenario_of_record

from predeploy.core.efficiency import ParameterSet
from predeploy.core.engines import default_memory_share, scheduler_defaults
from predeploy.core.memory import NON_TORCH_BYTES, fit_memory
from predeploy.core.perf import predict
from predeploy.core.perf_caveats import (
    DP_ATTENTION_OFF_CAVEAT,
    SPECULATIVE_CAVEAT,
    engine_caveats,
)
from predeploy.core.sglang_defaults import (
    SGLANG_SPECULATIVE_MAX_RUNNING_REQUESTS,
    default_chunked_prefill_size,
    device_mib,
    sglang_default_running_requests,
    sglang_defaults,
    sglang_uses_legacy_rule,
)
from predeploy.core.types import (
    Engine,
    EngineSettings,
    GpuSpec,
    LoadSpec,
    MemoryFit,
    Precision,
    ServingScenario,
    TokenDistribution,
)
from predeploy.core.workload import prepare


def _with_memory(gpu: GpuSpec, memory_gb: float) -> GpuSpec:
    return gpu.model_copy(update={"memory_gb": memory_gb})


def test_h100_share_is_the_source_arithmetic() -> None:
    mem = device_mib(h100())
    # 512 metadata + 1.5 x 8192 activation + 2 x 256 graph slots + 1024 x 1/8 parallel (MiB)
    reserved = 512 + 1.5 * 8192 + 2 * 256 + 1024 / 8
    defaults = sglang_defaults(h100(), tp=1)
    assert defaults.chunked_prefill_size == 8192
    assert defaults.mem_fraction_static == round((mem - reserved) / mem, 3)
    # sgl-project/sglang#29092 reports 0.828 for Qwen3-32B on one H100 (a later release).
    assert defaults.mem_fraction_static == pytest.approx(0.828, abs=0.01)


def test_buckets_by_device_memory() -> None:
    assert sglang_defaults(l4(), tp=1).chunked_prefill_size == 2048
    assert sglang_defaults(_with_memory(h100(), 48), tp=1).chunked_prefill_size == 4096
    assert sglang_defaults(_with_memory(h100(), 141), tp=1).chunked_prefill_size == 8192
    assert sglang_defaults(_with_memory(h100(), 180), tp=1).chunked_prefill_size == 16384


def test_wider_layouts_and_dp_attention_reserve_more() -> None:
    one = sglang_defaults(h100(), tp=1).mem_fraction_static
    eight = sglang_defaults(h100(), tp=8).mem_fraction_static
    dp = sglang_defaults(h100(), tp=8, dp_attention=True).mem_fraction_static
    assert one > eight > dp
    mem = device_mib(h100())
    # TP8 captures 512 graph slots; DP attention adds 3 + 1.5 MiB per slot per rank.
    reserved = 512 + 1.5 * 8192 + 2 * 512 + 1024 + (3 + 1.5) * 512 * 8
    assert dp == round((mem - reserved) / mem, 3)


def test_a_stated_chunk_sets_the_activation_reserve() -> None:
    stated = sglang_defaults(h100(), tp=1, chunked_prefill_size=16384)
    assert stated.chunked_prefill_size == 16384
    assert stated.mem_fraction_static < sglang_defaults(h100(), tp=1).mem_fraction_static


def test_legacy_rule() -> None:
    mem = device_mib(h100())
    legacy = sglang_defaults(h100(), tp=2, legacy=True)
    assert legacy.chunked_prefill_size == 8192
    assert legacy.mem_fraction_static == round((mem - (9.5 + 2 / 2) * 1024) / mem, 3)
    big = _with_memory(h100(), 180)
    assert sglang_defaults(big, tp=8, legacy=True).mem_fraction_static == round(
        (device_mib(big) - 32 * 1024) / device_mib(big), 3
    )


def test_cuda_graph_batch_limit_by_release_device_and_tp() -> None:
    # v0.5.3 on: 256 below TP4 and 512 from TP4 on 60-160 GiB devices, 8 below 20 GiB.
    assert sglang_defaults(h100(), tp=1).cuda_graph_max_bs == 256
    assert sglang_defaults(h100(), tp=4).cuda_graph_max_bs == 512
    assert sglang_defaults(l4(), tp=1).cuda_graph_max_bs == 24
    assert sglang_defaults(_with_memory(h100(), 16), tp=1).cuda_graph_max_bs == 8
    # Before v0.5.3: 160, or 8 (80 from TP4) under 25,000 MiB.
    assert sglang_defaults(h100(), tp=8, legacy=True).cuda_graph_max_bs == 160
    small = _with_memory(h100(), 20)
    assert sglang_defaults(small, tp=1, legacy=True).cuda_graph_max_bs == 8
    assert sglang_defaults(small, tp=4, legacy=True).cuda_graph_max_bs == 80


def test_prepared_scenarios_carry_each_engines_graph_limit() -> None:
    assert prepare(_sglang_burst()).graph_max_batch == 256
    stated = EngineSettings(cuda_graph_max_batch=64)
    assert prepare(_sglang_burst(stated)).graph_max_batch == 64
    vllm = _sglang_burst().model_copy(update={"engine": Engine.VLLM})
    # vLLM captures up to min(2 x max_num_seqs, 512, token budget): 512 on an H100.
    assert prepare(vllm).graph_max_batch == 512
    few = vllm.model_copy(update={"engine_settings": EngineSettings(max_num_seqs=100)})
    assert prepare(few).graph_max_batch == 200
    trtllm = _sglang_burst().model_copy(update={"engine": Engine.TRTLLM})
    assert prepare(trtllm).graph_max_batch == float("inf")


@pytest.mark.parametrize(
    ("version", "legacy"),
    [
        ("v0.5.1.post1", True),
        ("0.4.10", True),
        ("0.5.2", True),
        ("0.5.3rc0", False),
        ("v0.5.4.post2", False),
        ("0.5.9", False),
        ("nightly-dev", False),
        (None, False),
    ],
)
def test_release_rule(version: str | None, legacy: bool) -> None:
    assert sglang_uses_legacy_rule(version) is legacy


def test_engine_defaults_use_the_share_rule_for_sglang_only() -> None:
    big = _with_memory(h100(), 180)
    assert scheduler_defaults(Engine.SGLANG, big)[1] == 8192  # 16384 above 160 GiB: not applied
    # Below 60 GiB SGLang's own chunk: 2048 under 35 GiB, 4096 under 60.
    assert default_chunked_prefill_size(l4()) == 2048
    assert default_chunked_prefill_size(_with_memory(h100(), 48)) == 4096
    assert default_chunked_prefill_size(h100()) is None
    assert scheduler_defaults(Engine.SGLANG, l4())[1] == 2048
    assert scheduler_defaults(Engine.SGLANG, _with_memory(h100(), 48))[1] == 4096
    assert scheduler_defaults(Engine.SGLANG, h100())[1] == 8192
    assert default_memory_share(Engine.SGLANG, h100(), 1) == pytest.approx(0.834, abs=1e-3)
    # The chunk in effect sets the activation reserve.
    assert default_memory_share(Engine.SGLANG, big, 1, token_budget=8192) == (
        sglang_defaults(big, 1, chunked_prefill_size=8192).mem_fraction_static
    )
    assert default_memory_share(Engine.VLLM, h100(), 1) == 0.92


def test_static_share_leaves_activations_outside() -> None:
    def fit(profiled: bool) -> MemoryFit:
        return fit_memory(
            llama_8b(),
            h100(),
            Precision.BF16,
            1,
            gpu_memory_utilization=0.83,
            context_tokens=4096,
            max_num_batched_tokens=8192,
            max_num_seqs=2048,
            profiled_activations=profiled,
        )

    vllm_like, static = fit(True), fit(False)
    assert static.reserve_bytes_per_gpu == NON_TORCH_BYTES
    assert static.kv_capacity_tokens > vllm_like.kv_capacity_tokens


def _sglang_burst(settings: EngineSettings | None = None) -> ServingScenario:
    return ServingScenario(
        model_id="m",
        model=llama_8b(),
        gpu=h100(),
        precision=Precision.BF16,
        engine=Engine.SGLANG,
        prompt_tokens=TokenDistribution.fixed(1000),
        output_tokens=TokenDistribution.fixed(200),
        load=LoadSpec(kind="burst", num_prompts=100),
        engine_settings=settings,
    )


def test_prepare_applies_the_derived_share() -> None:
    prepared = prepare(_sglang_burst())
    assert prepared.settings.gpu_memory_utilization == pytest.approx(0.834, abs=1e-3)
    assert prepared.settings.max_num_batched_tokens == 8192
    assert prepared.memory.reserve_bytes_per_gpu == NON_TORCH_BYTES
    stated = prepare(_sglang_burst(EngineSettings(gpu_memory_utilization=0.7)))
    assert stated.settings.gpu_memory_utilization == 0.7
    assert stated.kv_capacity_tokens < prepared.kv_capacity_tokens


def test_a_small_device_keeps_sglangs_share_and_its_cache() -> None:
    """On a 24 GB L4 SGLang prefills 2048-token chunks and reserves their activations: a
    share of about 0.84 (the 8192-token chunk's reserve had left 0.44, and Llama 3.1 8B's
    FP8 weights 2.4 GB of KV cache)."""
    scenario = _sglang_burst().model_copy(update={"gpu": l4(), "precision": Precision.FP8})
    prepared = prepare(scenario)
    assert prepared.settings.max_num_batched_tokens == 2048
    assert prepared.settings.gpu_memory_utilization == pytest.approx(
        sglang_defaults(l4(), 1).mem_fraction_static
    )
    assert prepared.settings.gpu_memory_utilization == pytest.approx(0.84, abs=0.01)
    assert prepared.memory.kv_cache_bytes_per_gpu > 10e9


def test_old_sglang_releases_get_their_rule_unless_stated() -> None:
    def scenario_of(version: str, args: str | None = None) -> ServingScenario:
        record = record_of(
            engine="sglang",
            engine_version=version,
            engine_args=args,
            metrics={"output_tokens_per_s": 1.0},
        )
        return scenario_of_record(record)

    old = scenario_of("0.5.1.post1")
    assert old.engine_settings is not None
    assert old.engine_settings.gpu_memory_utilization == sglang_defaults(
        h100(), 1, legacy=True
    ).mem_fraction_static
    assert old.engine_settings.cuda_graph_max_batch == 160
    assert scenario_of("0.5.4").engine_settings is None
    stated = scenario_of(
        "0.5.1", "python3 -m sglang.launch_server --model-path m/m --mem-fraction-static 0.8"
    )
    assert stated.engine_settings is not None
    assert stated.engine_settings.gpu_memory_utilization == 0.8
    # The stated share leaves the release's graph limit in place.
    assert stated.engine_settings.cuda_graph_max_batch == 160


def test_speculative_decoding_caps_running_requests_and_stops_overlap() -> None:
    plain = prepare(_sglang_burst())
    speculative = prepare(_sglang_burst(EngineSettings(speculative_decoding=True)))
    assert plain.settings.max_num_seqs > SGLANG_SPECULATIVE_MAX_RUNNING_REQUESTS
    assert plain.overlap_scheduling is True
    assert speculative.settings.max_num_seqs == SGLANG_SPECULATIVE_MAX_RUNNING_REQUESTS == 48
    assert speculative.overlap_scheduling is False
    stated = prepare(
        _sglang_burst(
            EngineSettings(speculative_decoding=True, max_num_seqs=96, overlap_scheduling=True)
        )
    )
    assert stated.settings.max_num_seqs == 96 and stated.overlap_scheduling is True


def test_speculative_cap_is_vllms_own_business() -> None:
    scenario = _sglang_burst(EngineSettings(speculative_decoding=True)).model_copy(
        update={"engine": Engine.VLLM}
    )
    assert prepare(scenario).settings.max_num_seqs > SGLANG_SPECULATIVE_MAX_RUNNING_REQUESTS


def test_running_requests_are_shared_by_data_parallel_attention_ranks() -> None:
    """SGLang's ``--max-running-requests`` covers the server: with data-parallel attention each
    of 8 ranks runs 48 // 8 = 6 (vLLM's ``--max-num-seqs`` is per rank)."""

    def prepared(engine: Engine, settings: EngineSettings) -> int:
        scenario = _sglang_burst(settings).model_copy(
            update={"model": mixtral(), "tp": 8, "engine": engine}
        )
        return prepare(scenario).settings.max_num_seqs

    dp_attention = EngineSettings(
        expert_parallel=True, data_parallel_size=8, speculative_decoding=True
    )
    assert prepared(Engine.SGLANG, dp_attention) == SGLANG_SPECULATIVE_MAX_RUNNING_REQUESTS
    stated = EngineSettings(expert_parallel=True, data_parallel_size=8, max_num_seqs=256)
    assert prepared(Engine.SGLANG, stated) == 256
    assert prepared(Engine.VLLM, stated) == 256 * 8


def test_a_speculative_prediction_says_what_it_leaves_out() -> None:
    assert engine_caveats(_sglang_burst()) == ()
    speculative = _sglang_burst(EngineSettings(speculative_decoding=True))
    assert engine_caveats(speculative) == (SPECULATIVE_CAVEAT,)


def test_data_parallel_attention_without_its_ranks_says_it_is_off() -> None:
    """SGLang switches ``--enable-dp-attention`` off without ``--dp-size`` > 1: the prediction
    says so, and says nothing once the ranks are stated (or for TensorRT-LLM's flag)."""
    off = _sglang_burst(EngineSettings(expert_parallel=True))
    assert engine_caveats(off) == (DP_ATTENTION_OFF_CAVEAT,)
    assert DP_ATTENTION_OFF_CAVEAT in predict(off, ParameterSet()).metrics.provenance.caveats
    on = _sglang_burst(EngineSettings(expert_parallel=True, data_parallel_size=8))
    assert engine_caveats(on) == ()
    trtllm = off.model_copy(update={"engine": Engine.TRTLLM})
    assert engine_caveats(trtllm) == ()


def test_running_requests_follow_the_kv_pool_and_the_context() -> None:
    """512 requests per model context the pool holds, within 2,048-4,096, at most half its
    tokens (model_runner.py)."""
    assert sglang_default_running_requests(400_000, 131_072) == 2048  # 1,562: the floor
    assert sglang_default_running_requests(400_000, 40_960) == 4096  # 5,000: the cap
    assert sglang_default_running_requests(300_000, 65_536) == 2343
    assert sglang_default_running_requests(3_000, 131_072) == 1500  # half the pool
    # A prepared SGLang scenario: Llama 3.1 8B's 131,072-token context on an H100 keeps 2,048;
    # the same pool for a 32,768-token context runs more.
    assert prepare(_sglang_burst()).settings.max_num_seqs == 2048
    short = _sglang_burst().model_copy(
        update={"model": llama_8b().model_copy(update={"max_context_tokens": 32_768})}
    )
    assert prepare(short).settings.max_num_seqs == 4096
    stated = _sglang_burst(EngineSettings(max_num_seqs=300))
    assert prepare(stated).settings.max_num_seqs == 300
