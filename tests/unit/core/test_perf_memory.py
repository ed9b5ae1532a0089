"""Memory arithmetic against hand-computed figures."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.perf_fixtures import (
    deepseek_v3,
    deepseek_v32,
    gpt_oss_120b,
    h100,
    l4,
    llama_8b,
    llama_70b,
    mixtral,
    qwen35_9b,
)

from predeploy.core.engines import engine_profile
from predeploy.core.kv_cache import kv_bytes_per_token, kv_layout
from predeploy.core.memory import DEVICE_BYTES_PER_DATASHEET_GB, fit_memory, smallest_fitting_tp
from predeploy.core.types import Engine, GpuSpec, KvCacheDtype, Precision
from predeploy.core.weights import (
    BYTES_PER_WEIGHT,
    VLLM_WEIGHT_ONLY_FP4_EXPERT_FACTOR,
    expert_load_factor,
    host_embedding_bytes,
    param_breakdown,
    weight_bytes,
    weight_bytes_per_gpu,
)


def test_llama_8b_kv_bytes_per_token_bf16() -> None:
    # 2 (K,V) x 32 layers x 8 KV heads x 128 dims x 2 bytes
    assert kv_bytes_per_token(llama_8b()) == 131_072


def test_fp8_kv_halves_the_cache() -> None:
    assert kv_bytes_per_token(llama_8b(), KvCacheDtype.FP8) == 65_536


def test_mla_caches_the_compressed_latent() -> None:
    # 61 layers x (512 latent + 64 rope) x 2 bytes
    assert kv_bytes_per_token(deepseek_v3()) == 61 * 576 * 2


def test_kv_heads_split_by_tp_and_replicated_beyond() -> None:
    model = llama_8b()  # 8 KV heads
    per_layer_one_head = 2 * 128 * 2
    assert kv_layout(model, tp=2).global_bytes_per_token == 32 * 4 * per_layer_one_head
    assert kv_layout(model, tp=8).global_bytes_per_token == 32 * 1 * per_layer_one_head
    # TP16 > 8 KV heads: each GPU keeps a full replica of one head
    assert kv_layout(model, tp=16).global_bytes_per_token == 32 * 1 * per_layer_one_head


def test_mla_latent_is_not_split_by_tp() -> None:
    assert kv_layout(deepseek_v3(), tp=8).global_bytes_per_token == 61 * 576 * 2


def test_sliding_window_layers_hold_at_most_the_window() -> None:
    layout = kv_layout(gpt_oss_120b(), tp=1)
    per_layer = 2 * 8 * 64 * 2
    assert layout.global_bytes_per_token == 18 * per_layer
    assert layout.window_bytes_per_token == 18 * per_layer
    # 10,000-token sequence: 18 global layers x 10,000 + 18 window layers x 128
    assert layout.bytes_for_sequence(10_000) == per_layer * (18 * 10_000 + 18 * 128)


def test_linear_attention_state_is_held_per_sequence() -> None:
    """Qwen3.5-9B: each sequence keeps 24 layers' DeltaNet state whatever its length (split
    over tensor-parallel GPUs by head), on top of 8 layers' KV per token; the cache holds
    fewer sequences than its tokens alone would, and the longest one is shorter."""
    model = qwen35_9b()
    state = 24 * model.linear_state_bytes
    layout = kv_layout(model, tp=1)
    assert layout.state_bytes_per_sequence == state
    assert layout.bytes_for_sequence(1_000) == 1_000 * 8 * 2 * 4 * 256 * 2 + state
    assert kv_layout(model, tp=2).state_bytes_per_sequence == state / 2
    stateless = model.model_copy(update={"linear_state_bytes": 0.0})
    fits = [
        fit_memory(m, h100(), Precision.BF16, tp=1, context_tokens=2_000)
        for m in (model, stateless)
    ]
    assert fits[0].max_concurrent_seqs < fits[1].max_concurrent_seqs
    assert fits[0].max_concurrent_seqs * layout.bytes_for_sequence(2_000) <= (
        fits[0].kv_cache_bytes_per_gpu
    )
    small = [
        fit_memory(m, l4(), Precision.BF16, tp=1, context_tokens=2_000) for m in (model, stateless)
    ]
    assert small[0].max_model_len < small[1].max_model_len < model.max_context_tokens


def test_dense_weight_bytes_by_precision() -> None:
    model = llama_8b()
    parts = param_breakdown(model)
    embeddings = 2 * 128_256 * 4096
    assert parts.embedding + parts.lm_head == embeddings
    linear = 8.03e9 - embeddings
    assert weight_bytes(model, Precision.BF16) == pytest.approx(8.03e9 * 2)
    # fp8: linear layers 1 byte, embedding and LM head stay 16-bit
    assert weight_bytes(model, Precision.FP8) == pytest.approx(linear + embeddings * 2)
    int4 = linear * BYTES_PER_WEIGHT[Precision.INT4] + embeddings * 2
    assert weight_bytes(model, Precision.INT4) == pytest.approx(int4)


def test_moe_expert_split_matches_total_minus_active() -> None:
    parts = param_breakdown(mixtral())
    # 6 idle experts per token account for total - active
    assert parts.one_expert * 6 == pytest.approx((46.7 - 12.88) * 1e9)
    assert parts.total == pytest.approx(46.7e9)


def test_fp4_moe_quantizes_experts_only() -> None:
    model = gpt_oss_120b()
    parts = param_breakdown(model)
    expected = parts.experts * 4.25 / 8 + (parts.linear + parts.embedding + parts.lm_head) * 2
    assert weight_bytes(model, Precision.FP4) == pytest.approx(expected)
    assert 60e9 < expected < 70e9  # the released MXFP4 checkpoint is ~65 GB


def _weight_only_fp4(gpu: GpuSpec) -> GpuSpec:
    return gpu.model_copy(update={"weight_only_precisions": (Precision.FP4,)})


def test_vllm_holds_weight_only_fp4_experts_as_its_logs_say() -> None:
    """vLLM's "Model loading took 65.9651 GiB" for gpt-oss-120b on an 80 GB Hopper GPU."""
    model, hopper = gpt_oss_120b(), _weight_only_fp4(h100())
    factor = expert_load_factor(model, Precision.FP4, Engine.VLLM, hopper)
    assert factor == VLLM_WEIGHT_ONLY_FP4_EXPERT_FACTOR
    loaded_gib = weight_bytes(model, Precision.FP4, factor) / 2**30
    assert loaded_gib == pytest.approx(65.9651, rel=0.005)
    assert weight_bytes(model, Precision.FP4) / 2**30 == pytest.approx(60.8, rel=0.005)


def test_kv_memory_of_a_published_vllm_startup() -> None:
    """vLLM 0.11.2 serving gpt-oss-120b on one 80 GB Hopper GPU at gpu_memory_utilization 0.96,
    max_num_batched_tokens 2,048, max_num_seqs 6: "Available KV cache memory: 8.99 GiB"
    (blog.huikang.dev, "vLLM logs", 2025-12-28)."""
    model, hopper = gpt_oss_120b(), _weight_only_fp4(h100())
    fit = fit_memory(
        model, hopper, Precision.FP4, 1, gpu_memory_utilization=0.96, context_tokens=98_304,
        max_num_batched_tokens=2048, max_num_seqs=6,
        expert_factor=expert_load_factor(model, Precision.FP4, Engine.VLLM, hopper),
    )
    assert fit.kv_cache_bytes_per_gpu / 2**30 == pytest.approx(8.99, rel=0.06)


def test_expert_factor_only_where_it_was_measured() -> None:
    model, hopper = gpt_oss_120b(), _weight_only_fp4(h100())
    blackwell = h100().model_copy(update={"supported_precisions": (Precision.FP4,)})
    assert expert_load_factor(model, Precision.FP4, Engine.SGLANG, hopper) == 1.0
    assert expert_load_factor(model, Precision.FP4, Engine.VLLM, blackwell) == 1.0
    assert expert_load_factor(llama_70b(), Precision.FP4, Engine.VLLM, hopper) == 1.0
    assert expert_load_factor(model, Precision.FP8, Engine.VLLM, hopper) == 1.0


def test_the_expert_factor_leaves_less_kv_cache() -> None:
    model, hopper = gpt_oss_120b(), _weight_only_fp4(h100())
    plain = fit_memory(model, hopper, Precision.FP4, 1, context_tokens=4096)
    held = fit_memory(
        model, hopper, Precision.FP4, 1, context_tokens=4096,
        expert_factor=VLLM_WEIGHT_ONLY_FP4_EXPERT_FACTOR,
    )
    extra = held.weight_bytes_per_gpu - plain.weight_bytes_per_gpu
    excess = VLLM_WEIGHT_ONLY_FP4_EXPERT_FACTOR - 1.0
    assert extra == pytest.approx(
        param_breakdown(model).experts * BYTES_PER_WEIGHT[Precision.FP4] * excess
    )
    assert held.kv_capacity_tokens < plain.kv_capacity_tokens
    wide = weight_bytes_per_gpu(
        model, Precision.FP4, 4, expert_parallel=True, expert_factor=1.5
    ) - weight_bytes_per_gpu(model, Precision.FP4, 4, expert_parallel=True)
    assert wide == pytest.approx(extra / excess * 0.5 / 4)


def test_weights_split_evenly_over_tp_and_pp() -> None:
    model = llama_70b()
    total = weight_bytes(model, Precision.BF16)
    assert weight_bytes_per_gpu(model, Precision.BF16, tp=4, pp=2) == pytest.approx(total / 8)


def test_an_engine_that_keeps_the_input_embedding_in_host_memory_holds_less() -> None:
    # llama.cpp does not offload its input layer: Llama 3 8B's 128,256 x 4,096 table (1.05 GB
    # in 16 bits) stays in RAM; a model whose LM head is the tied table keeps it on the GPU.
    model = llama_8b()
    table = model.vocab_size * model.hidden_size * 2
    assert host_embedding_bytes(model) == pytest.approx(table)
    on_gpu = weight_bytes_per_gpu(model, Precision.FP16, 1)
    host = weight_bytes_per_gpu(model, Precision.FP16, 1, host_embedding=True)
    assert host == pytest.approx(on_gpu - table)
    tied = model.model_copy(update={"tie_word_embeddings": True})
    assert host_embedding_bytes(tied) == 0.0


def test_llama_cpp_fits_an_8b_f16_on_a_16gb_card_up_to_its_measured_context() -> None:
    # llama-bench ran Llama 3 8B F16 on an RTX 4080 16GB at 4,096 tokens and ran out of
    # memory at 8,192 (XiongjieDai/GPU-Benchmarks-on-LLM-Inference, May 2024).
    card = GpuSpec.model_validate(
        {**h100().model_dump(), "name": "RTX-4080", "memory_gb": 16, "interconnect": "pcie"}
    )
    profile = engine_profile(Engine.LLAMA_CPP)
    assert profile.host_input_embedding

    def fit(context: int, host: bool) -> bool:
        return fit_memory(
            llama_8b(),
            card,
            Precision.FP16,
            1,
            gpu_memory_utilization=profile.gpu_memory_utilization,
            context_tokens=context,
            max_num_batched_tokens=512,
            max_num_seqs=1,
            host_embedding=host,
        ).fits

    assert fit(4096, host=True) and not fit(8192, host=True)
    assert not fit(4096, host=False)  # the whole table on the GPU leaves no room


def test_fit_memory_kv_capacity_hand_computed() -> None:
    model, gpu = llama_8b(), h100()
    fit = fit_memory(model, gpu, Precision.BF16, 1, gpu_memory_utilization=0.9, context_tokens=2048)
    usable = 0.9 * 80 * DEVICE_BYTES_PER_DATASHEET_GB
    assert fit.usable_bytes_per_gpu == pytest.approx(usable)
    kv = usable - fit.weight_bytes_per_gpu - fit.reserve_bytes_per_gpu
    assert fit.kv_cache_bytes_per_gpu == pytest.approx(kv)
    assert fit.kv_capacity_tokens == int(kv / 131_072)
    assert fit.max_concurrent_seqs == fit.kv_capacity_tokens // 2048
    assert fit.fits and "KV cache" in fit.reason


def test_70b_bf16_does_not_fit_one_h100_and_says_why() -> None:
    fit = fit_memory(llama_70b(), h100(), Precision.BF16, 1, context_tokens=4096)
    assert not fit.fits
    assert "exceed" in fit.reason and "141.1 GB" in fit.reason


def test_70b_bf16_fits_on_two_h100s_with_tp() -> None:
    assert fit_memory(llama_70b(), h100(), Precision.BF16, 2, context_tokens=4096).fits


def test_context_longer_than_the_cache_does_not_fit() -> None:
    fit = fit_memory(llama_8b(), l4(), Precision.BF16, 1, context_tokens=120_000)
    assert not fit.fits and "fewer than one" in fit.reason


def test_smallest_fitting_tp() -> None:
    assert (
        smallest_fitting_tp(llama_70b(), h100(), Precision.FP8, context_tokens=2048, max_gpus=8)
        == 2
    )
    assert (
        smallest_fitting_tp(llama_8b(), h100(), Precision.BF16, context_tokens=2048, max_gpus=8)
        == 1
    )


@given(
    tp_exp=st.integers(min_value=0, max_value=3),
    precision=st.sampled_from(list(Precision)),
    context=st.integers(min_value=128, max_value=32_000),
)
def test_bigger_tp_never_needs_more_memory_per_gpu(
    tp_exp: int, precision: Precision, context: int
) -> None:
    model, gpu = llama_70b(), h100()
    small = fit_memory(model, gpu, precision, 2**tp_exp, context_tokens=context)
    big = fit_memory(model, gpu, precision, 2 ** (tp_exp + 1), context_tokens=context)
    assert big.weight_bytes_per_gpu <= small.weight_bytes_per_gpu
    assert big.weight_bytes_per_gpu + big.reserve_bytes_per_gpu <= (
        small.weight_bytes_per_gpu + small.reserve_bytes_per_gpu
    )
    assert big.kv_capacity_tokens >= small.kv_capacity_tokens
    assert big.fits or not small.fits


def test_expert_parallel_holds_all_dense_weights_and_a_share_of_the_experts() -> None:
    model = mixtral()
    parts = param_breakdown(model)
    experts = parts.experts * BYTES_PER_WEIGHT[Precision.BF16]
    total = weight_bytes(model, Precision.BF16)
    wide = weight_bytes_per_gpu(model, Precision.BF16, 4, expert_parallel=True)
    assert wide == pytest.approx(total - experts + experts / 4)
    assert wide > weight_bytes_per_gpu(model, Precision.BF16, 4)  # TP splits the dense part too
    # A dense model has no experts to spread: the flag changes nothing.
    assert weight_bytes_per_gpu(llama_70b(), Precision.BF16, 4, expert_parallel=True) == (
        weight_bytes_per_gpu(llama_70b(), Precision.BF16, 4)
    )


def test_data_parallel_attention_caches_whole_tokens_without_replication() -> None:
    # MLA under TP: every rank caches the full latent; data-parallel: 1/tp of it on average.
    assert kv_layout(deepseek_v3(), tp=8, expert_parallel=True).global_bytes_per_token == (
        pytest.approx(61 * 576 * 2 / 8)
    )
    big = h100().model_copy(update={"memory_gb": 141.0})  # an H200-sized device
    fit_tp = fit_memory(deepseek_v3(), big, Precision.FP8, 8, context_tokens=4096)
    fit_dp = fit_memory(
        deepseek_v3(), big, Precision.FP8, 8, context_tokens=4096, expert_parallel=True
    )
    # More weights per GPU, but eight times less KV per token: more tokens fit overall, while
    # one sequence stays bounded by one GPU's share.
    assert fit_tp.fits and fit_dp.fits
    assert fit_dp.kv_capacity_tokens > 3 * fit_tp.kv_capacity_tokens
    assert fit_dp.max_model_len < fit_dp.kv_capacity_tokens


def test_sparse_attention_caches_the_indexer_key_beside_the_latent() -> None:
    model = deepseek_v32()
    # Whole on every TP rank like the latent; FP8 whatever the KV-cache dtype.
    layout = kv_layout(model, tp=8, kv_cache_dtype=KvCacheDtype.FP8)
    assert (layout.global_bytes_per_token, layout.index_bytes_per_token) == (61 * 576, 61 * 132)
    assert layout.bytes_for_sequence(10_000) == 10_000 * 61 * (576 + 132)
    # Under data-parallel attention each GPU caches its own requests' tokens.
    wide = kv_layout(model, tp=8, expert_parallel=True)
    assert wide.index_bytes_per_token == pytest.approx(61 * 132 / 8)
    # The fit counts the keys: fewer tokens fit than for the same model without them.
    big = h100().model_copy(update={"memory_gb": 141.0})  # an H200's memory
    dense = fit_memory(deepseek_v3(), big, Precision.FP8, 8, context_tokens=32_768)
    sparse = fit_memory(model, big, Precision.FP8, 8, context_tokens=32_768)
    assert sparse.kv_capacity_tokens == pytest.approx(
        dense.kv_capacity_tokens * 576 * 2 / (576 * 2 + 132), rel=1e-3
    )
    assert sparse.max_concurrent_seqs < dense.max_concurrent_seqs
