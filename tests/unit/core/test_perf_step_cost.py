"""Step cost: roofline floor, monotonicity and MoE expert arithmetic."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.perf_fixtures import (
    deepseek_v3,
    h100,
    l4,
    llama_8b,
    llama_8b_h100_lognormal,
    llama_70b,
    mixtral,
    qwen35_9b,
)

from predeploy.core.latency import EfficiencyParams, RooflineStepCost, StepCoefficients
from predeploy.core.roofline import (
    compute_tflops,
    expected_experts,
    fp8_tensor_matmul,
    hardware_rates,
    rank_hit_probability,
    roofline_floor_s,
    smooth_max,
    step_shape,
)
from predeploy.core.types import Engine, LoadSpec, ModelArchitecture, Precision
from predeploy.core.workload import prepare


def test_expected_experts() -> None:
    assert expected_experts(1.0, 8.0, 2.0) == pytest.approx(2.0)
    assert expected_experts(0.0, 8.0, 2.0) == 0.0
    assert expected_experts(10_000.0, 256.0, 8.0) == pytest.approx(256.0)
    # Two tokens, 2 of 8 each: 8 × (1 − (6/8)²) = 3.5
    assert expected_experts(2.0, 8.0, 2.0) == pytest.approx(3.5)


def test_smooth_max_is_at_least_the_max() -> None:
    assert smooth_max(3.0, 4.0, 3.0) >= 4.0
    assert smooth_max(3.0, 4.0, 50.0) == pytest.approx(4.0, rel=1e-3)


def test_decode_step_is_bandwidth_bound_for_small_batches() -> None:
    params = EfficiencyParams(
        bandwidth_efficiency=1.0, step_overhead_s=0.0, layer_overhead_s=0.0, seq_overhead_s=0.0
    )
    cost = RooflineStepCost(llama_70b(), h100(), Precision.BF16, params, tp=1)
    floor = roofline_floor_s(cost.shape, cost.hardware, 1.0, 1000.0)
    t = cost.step_time_s(0, 0.0, 1, 1000)
    # 70.55e9 params x 2 B over 3.35 TB/s ≈ 42 ms; the model is within a few % of the floor
    assert floor == pytest.approx(70.55e9 * 2 / 3.35e12, rel=0.02)
    assert floor <= t <= floor * 1.05


@given(
    prefill=st.integers(min_value=0, max_value=16_384),
    decode=st.integers(min_value=0, max_value=512),
    context=st.integers(min_value=1, max_value=8192),
    tp=st.sampled_from([1, 2, 4, 8]),
)
def test_step_never_beats_the_physical_floor(
    prefill: int, decode: int, context: int, tp: int
) -> None:
    params = EfficiencyParams(
        bandwidth_efficiency=1.0,
        compute_efficiency=1.0,
        attention_efficiency=1.0,
        overlap_exponent=50.0,
        step_overhead_s=0.0,
        layer_overhead_s=0.0,
        seq_overhead_s=0.0,
    )
    for model in (llama_8b(), mixtral(), deepseek_v3()):
        cost = RooflineStepCost(model, h100(), Precision.FP8, params, tp=tp)
        kv = decode * context
        t = cost.step_time_s(prefill, prefill * context / 2, decode, kv)
        if prefill == 0:
            assert t >= roofline_floor_s(cost.shape, cost.hardware, float(decode), float(kv)) * (
                1 - 1e-9
            )


@given(
    bandwidth=st.floats(min_value=300, max_value=8000),
    factor=st.floats(min_value=1.0, max_value=4.0),
    batch=st.integers(min_value=1, max_value=512),
)
def test_more_bandwidth_never_slows_decode(bandwidth: float, factor: float, batch: int) -> None:
    params = EfficiencyParams()
    slow = RooflineStepCost(llama_8b(), h100(bandwidth), Precision.BF16, params)
    fast = RooflineStepCost(llama_8b(), h100(bandwidth * factor), Precision.BF16, params)
    args = (0, 0.0, batch, batch * 1500)
    assert fast.step_time_s(*args) <= slow.step_time_s(*args) + 1e-12


@given(
    batch=st.integers(min_value=1, max_value=1024), extra=st.integers(min_value=1, max_value=512)
)
def test_bigger_batches_take_at_least_as_long(batch: int, extra: int) -> None:
    cost = RooflineStepCost(mixtral(), h100(), Precision.FP8, EfficiencyParams(), tp=2)
    assert cost.step_time_s(0, 0.0, batch + extra, (batch + extra) * 1000) >= cost.step_time_s(
        0, 0.0, batch, batch * 1000
    )


def test_tensor_parallel_adds_allreduce_time() -> None:
    shape = step_shape(llama_70b(), Precision.BF16, tp=4)
    assert shape.allreduces_per_stage == 160
    assert step_shape(llama_70b(), Precision.BF16, tp=1).allreduces_per_stage == 0


def test_fp8_matmuls_use_fp8_tensor_cores_on_hopper() -> None:
    assert hardware_rates(h100(), Precision.FP8, 1).gemm_flops_per_s == 1979e12
    assert hardware_rates(h100(), Precision.INT4, 1).gemm_flops_per_s == 989e12


def test_fp16_accumulating_engines_get_the_geforce_fp16_accumulate_rate() -> None:
    rates = {"bf16_tflops": 165.2, "fp16_tflops": 165.2, "fp16_accumulate_tflops": 330.3}
    geforce = l4().model_copy(update={"name": "RTX-4090", **rates})
    for precision in (Precision.FP16, Precision.INT4, Precision.INT8):
        assert compute_tflops(geforce, precision, fp16_accumulate=True) == 330.3
    # BF16 GEMMs accumulate in FP32 even there; other engines accumulate in FP32 throughout.
    assert compute_tflops(geforce, Precision.BF16, fp16_accumulate=True) == 165.2
    assert compute_tflops(geforce, Precision.FP16) == 165.2
    # A data-center part runs both at one rate (no separate figure).
    assert compute_tflops(h100(), Precision.FP16, fp16_accumulate=True) == 989
    assert hardware_rates(geforce, Precision.FP16, 1, fp16_accumulate=True).gemm_flops_per_s == (
        pytest.approx(330.3e12)
    )


def test_the_simulated_step_uses_the_engines_accumulation_rate() -> None:
    geforce = l4().model_copy(update={"fp16_accumulate_tflops": 242.0})
    params = EfficiencyParams(step_overhead_s=0.0, layer_overhead_s=0.0, seq_overhead_s=0.0)
    fp32 = RooflineStepCost(llama_8b(), geforce, Precision.FP16, params)
    fp16 = RooflineStepCost(llama_8b(), geforce, Precision.FP16, params, fp16_accumulate=True)
    assert fp16.hardware.gemm_flops_per_s == 2 * fp32.hardware.gemm_flops_per_s
    # A compute-bound prefill runs faster; a one-token decode step (bandwidth-bound) does not.
    pairs = 4096.0**2 / 2
    assert fp16.step_time_s(4096, pairs, 0, 0) < fp32.step_time_s(4096, pairs, 0, 0)
    decode16, decode32 = fp16.step_time_s(0, 0.0, 1, 512), fp32.step_time_s(0, 0.0, 1, 512)
    assert decode16 == pytest.approx(decode32, rel=1e-4)


def test_fp8_matmuls_on_fp8_tensor_cores_are_told_apart() -> None:
    a100 = h100().model_copy(update={"name": "A100-80GB", "fp8_tflops": None})
    assert fp8_tensor_matmul(h100(), Precision.FP8, fp16_accumulate=False)
    assert not fp8_tensor_matmul(h100(), Precision.BF16, fp16_accumulate=False)
    assert not fp8_tensor_matmul(h100(), Precision.INT8, fp16_accumulate=False)
    # FP8 weights without FP8 tensor cores run at the 16-bit rate (W8A16).
    assert not fp8_tensor_matmul(a100, Precision.FP8, fp16_accumulate=False)
    # llama.cpp's GEMMs are priced at its FP16-accumulate rate instead.
    assert not fp8_tensor_matmul(h100(), Precision.FP8, fp16_accumulate=True)
    assert hardware_rates(h100(), Precision.FP8, 1).fp8_matmul == 1.0
    assert hardware_rates(a100, Precision.FP8, 1).fp8_matmul == 0.0


def test_block_scaled_fp8_is_a_property_of_the_release_at_fp8() -> None:
    blocked = llama_8b().model_copy(update={"fp8_weight_block": 128})
    assert step_shape(blocked, Precision.FP8, tp=1).block_scaled_fp8 == 1.0
    assert step_shape(blocked, Precision.BF16, tp=1).block_scaled_fp8 == 0.0
    assert step_shape(llama_8b(), Precision.FP8, tp=1).block_scaled_fp8 == 0.0


def test_the_block_fp8_factor_prices_only_block_scaled_fp8_matmuls() -> None:
    neutral = EfficiencyParams(step_overhead_s=0.0, layer_overhead_s=0.0, seq_overhead_s=0.0)
    halved = neutral.model_copy(update={"block_fp8_matmul_factor": 0.5})
    blocked = llama_8b().model_copy(update={"fp8_weight_block": 128})
    pairs = 4096.0**2 / 2

    def prefill_s(model: ModelArchitecture, precision: Precision, p: EfficiencyParams) -> float:
        return RooflineStepCost(model, h100(), precision, p).step_time_s(4096, pairs, 0, 0)

    # A compute-bound prompt step of block-scaled FP8 weights slows ...
    assert prefill_s(blocked, Precision.FP8, halved) > 1.3 * prefill_s(
        blocked, Precision.FP8, neutral
    )
    # ... per-tensor FP8 and BF16 steps do not.
    for model, precision in ((llama_8b(), Precision.FP8), (blocked, Precision.BF16)):
        assert prefill_s(model, precision, halved) == prefill_s(model, precision, neutral)
    # A one-sequence decode step reads its weights: bandwidth-bound either way.
    decode = [
        RooflineStepCost(blocked, h100(), Precision.FP8, p).step_time_s(0, 0.0, 1, 512)
        for p in (neutral, halved)
    ]
    assert decode[1] == pytest.approx(decode[0], rel=0.02)
    # Attention runs in 16 bits: only the weights' matmuls take the factor.
    shape = step_shape(blocked, Precision.FP8, tp=1)
    hw = hardware_rates(h100(), Precision.FP8, 1)
    slow, fast = (StepCoefficients.of(shape, hw, p) for p in (halved, neutral))
    assert slow.pair_s == fast.pair_s and slow.context_s == fast.context_s
    assert slow.token_flop_s == pytest.approx(2.0 * fast.token_flop_s, rel=0.01)


def test_prepared_scenarios_take_the_rate_from_their_engine() -> None:
    geforce = l4().model_copy(update={"fp16_tflops": 121.0, "fp16_accumulate_tflops": 242.0})
    base = llama_8b_h100_lognormal(LoadSpec(kind="concurrency", concurrency=1), 512.0)
    rates = {
        engine: prepare(
            base.model_copy(update={"gpu": geforce, "precision": Precision.FP16, "engine": engine})
        ).hw.gemm_flops_per_s
        for engine in (Engine.LLAMA_CPP, Engine.VLLM)
    }
    assert rates == {Engine.LLAMA_CPP: pytest.approx(242e12), Engine.VLLM: pytest.approx(121e12)}


def test_moe_decode_reads_only_touched_experts() -> None:
    params = EfficiencyParams(step_overhead_s=0.0, layer_overhead_s=0.0, seq_overhead_s=0.0)
    cost = RooflineStepCost(deepseek_v3(), h100(), Precision.FP8, params, tp=8)
    one = cost.step_time_s(0, 0.0, 1, 1000)
    many = cost.step_time_s(0, 0.0, 256, 1000)
    # 256 tokens touch ~all 256 experts, one token 8: the difference is ~248 experts' bytes
    extra = (expected_experts(256.0, 256.0, 8.0) - 8.0) * cost.shape.expert_bytes
    hbm = cost.hardware.hbm_bytes_per_s * params.bandwidth_efficiency
    assert many - one == pytest.approx(extra / hbm, rel=0.15)


def test_decode_reads_and_rewrites_each_sequences_linear_attention_state() -> None:
    params = EfficiencyParams(step_overhead_s=0.0, layer_overhead_s=0.0, seq_overhead_s=0.0)
    costs = [
        RooflineStepCost(m, h100(), Precision.BF16, params, tp=1)
        for m in (qwen35_9b(), qwen35_9b().model_copy(update={"linear_state_bytes": 0.0}))
    ]
    hbm = costs[0].hardware.hbm_bytes_per_s * params.bandwidth_efficiency
    state = 24 * qwen35_9b().linear_state_bytes
    assert costs[0].coefficients.state_s == pytest.approx(2 * state / hbm)
    # 256 short sequences: the state passes outweigh their KV, so the step is memory-bound.
    with_state, without = (c.step_time_s(0, 0.0, 256, 256 * 100) for c in costs)
    assert with_state - without == pytest.approx(256 * 2 * state / hbm, rel=0.05)
    floors = [roofline_floor_s(c.shape, c.hardware, 256.0, 256.0 * 100) for c in costs]
    peak = costs[0].hardware.hbm_bytes_per_s
    assert floors[0] - floors[1] == pytest.approx(256 * 2 * state / peak)


def test_expert_parallel_shape() -> None:
    tp_shape = step_shape(mixtral(), Precision.BF16, tp=4)
    ep_shape = step_shape(mixtral(), Precision.BF16, tp=4, expert_parallel=True)
    # Every GPU reads the whole non-expert part; the experts are spread as before.
    assert ep_shape.dense_bytes == pytest.approx(4 * tp_shape.dense_bytes)
    assert ep_shape.expert_bytes == tp_shape.expert_bytes
    assert ep_shape.expert_flops_per_token == tp_shape.expert_flops_per_token
    # One dispatch/combine all-to-all per MoE layer: a token's hidden state goes once to each
    # other GPU holding one of its 2 experts (of 8, two per GPU): 1 - C(6,2)/C(8,2) = 13/28.
    assert ep_shape.allreduces_per_stage == 32
    assert ep_shape.allreduce_bytes_per_token == pytest.approx(4096 * 2 * 13 / 28)
    assert (ep_shape.sequence_share, ep_shape.expert_parallel) == (0.25, 1.0)
    assert step_shape(llama_70b(), Precision.BF16, tp=4, expert_parallel=True) == step_shape(
        llama_70b(), Precision.BF16, tp=4
    )


def test_a_token_is_sent_once_to_each_gpu_holding_its_experts() -> None:
    assert rank_hit_probability(128, 8, 1) == 1.0
    assert rank_hit_probability(8, 2, 4) == pytest.approx(13 / 28)
    # Eight of 128 experts over two GPUs: nearly always one on the other GPU, so the
    # all-to-all moves one hidden state per token, not eight (the old k x hidden / tp).
    assert rank_hit_probability(128, 8, 2) == pytest.approx(0.9969, abs=1e-4)
    assert rank_hit_probability(256, 8, 8) == pytest.approx(0.6618, abs=1e-4)
    # More GPUs: each is hit less often; more experts per token: more often.
    assert rank_hit_probability(256, 8, 16) < rank_hit_probability(256, 8, 8)
    assert rank_hit_probability(256, 8, 8) < rank_hit_probability(256, 16, 8)


def test_expert_parallel_waits_for_the_slowest_gpu() -> None:
    balanced = EfficiencyParams(expert_parallel_efficiency=1.0)
    skewed = EfficiencyParams(expert_parallel_efficiency=0.5)
    fast = RooflineStepCost(mixtral(), h100(), Precision.BF16, balanced, tp=4, expert_parallel=True)
    slow = RooflineStepCost(mixtral(), h100(), Precision.BF16, skewed, tp=4, expert_parallel=True)
    assert slow.step_time_s(0, 0.0, 256, 256_000) > fast.step_time_s(0, 0.0, 256, 256_000)
    # The tensor-parallel layout does not pay it.
    tp_bal = RooflineStepCost(mixtral(), h100(), Precision.BF16, balanced, tp=4)
    tp_skew = RooflineStepCost(mixtral(), h100(), Precision.BF16, skewed, tp=4)
    assert tp_bal.step_time_s(0, 0.0, 256, 256_000) == tp_skew.step_time_s(0, 0.0, 256, 256_000)
