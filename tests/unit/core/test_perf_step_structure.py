"""Step cost structure: the scalar fast path, expert GEMMs, eager prefill and all-reduces."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import fields

import numpy as np
import pytest
from hypothesis import given, settings
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

from predeploy.core.latency import (
    LINEAR_OVERLAP_EXPONENT,
    EfficiencyParams,
    RooflineStepCost,
    StepCoefficients,
    expert_gemm_efficiency,
    step_time,
    touched_experts,
)
from predeploy.core.roofline import (
    DEQUANT_WRITE_BYTES_PER_WEIGHT,
    PIPELINE_HOP_LATENCY_S,
    HardwareRates,
    StepShape,
    allreduce_time_s,
    expected_experts,
    expected_max_of_normals,
    hardware_rates,
    kv_read_bytes,
    roofline_floor_s,
    smooth_max,
    step_shape,
    sustained_clock_factor,
    switch_reduction_gain,
)
from predeploy.core.types import GpuSpec, ModelArchitecture, Precision
from predeploy.core.weights import BYTES_PER_WEIGHT, param_breakdown
from predeploy.core.workload import EfficiencyArrays

MODELS = {
    "llama_8b": llama_8b,
    "llama_70b": llama_70b,
    "mixtral": mixtral,
    "deepseek_v3": deepseek_v3,
    "gpt_oss_120b": gpt_oss_120b,  # sliding-window layers
    "deepseek_v32": deepseek_v32,  # sparse attention
    "qwen35_9b": qwen35_9b,  # linear-attention state per sequence
}


#: Configurations and batches the step-time formulas are checked on.
STEP_CASES = {
    "model": st.sampled_from(sorted(MODELS)),
    "tp": st.sampled_from([1, 2, 8]),
    "pp": st.sampled_from([1, 2]),
    "prefill": st.integers(min_value=0, max_value=16_384),
    "decode": st.integers(min_value=0, max_value=1024),
    "context": st.integers(min_value=1, max_value=32_768),
    # Expert parallelism under tensor-parallel attention (capped at tp; none for dense models).
    "groups": st.sampled_from([1, 2, 8]),
}


def _reference(cost: RooflineStepCost, p: int, a: float, d: int, k: int) -> float:
    return float(step_time(cost.shape, cost.hardware, cost.params, p, a, d, k))


@settings(max_examples=60)
@given(**STEP_CASES, overlap=st.floats(min_value=1.0, max_value=50.0))
def test_fast_step_time_equals_the_vectorised_formula(
    model: str,
    tp: int,
    pp: int,
    prefill: int,
    decode: int,
    context: int,
    groups: int,
    overlap: float,
) -> None:
    params = EfficiencyParams(overlap_exponent=overlap)
    cost = RooflineStepCost(
        MODELS[model](), h100(), Precision.FP8, params, tp=tp, pp=pp, expert_groups=groups
    )
    args = (prefill, prefill * context / 2.0, decode, decode * context)
    assert cost.step_time_s(*args) == pytest.approx(_reference(cost, *args), rel=1e-12)


def test_fast_step_time_over_pcie_matches_too() -> None:
    cost = RooflineStepCost(llama_8b(), l4(), Precision.FP8, EfficiencyParams(), tp=4)
    assert cost.step_time_s(512, 512 * 300.0, 32, 32 * 900) == pytest.approx(
        _reference(cost, 512, 512 * 300.0, 32, 32 * 900), rel=1e-12
    )


def _prefill_s(model: ModelArchitecture, params: EfficiencyParams, tokens: int = 4096) -> float:
    cost = RooflineStepCost(model, h100(), Precision.FP8, params, tp=8)
    return cost.step_time_s(tokens, tokens * tokens / 2.0, 0, 0)


def test_routed_experts_run_at_their_own_efficiency() -> None:
    fast = EfficiencyParams(moe_compute_efficiency=0.6)
    slow = EfficiencyParams(moe_compute_efficiency=0.2)
    # Expert GEMMs slow a MoE prefill down and leave a dense one untouched.
    assert _prefill_s(deepseek_v3(), slow) > 1.2 * _prefill_s(deepseek_v3(), fast)
    assert _prefill_s(llama_70b(), slow) == _prefill_s(llama_70b(), fast)


def test_expert_width_is_one_experts_slice_on_one_gpu() -> None:
    def width(
        model: ModelArchitecture, tp: int, expert_parallel: bool = False, expert_groups: int = 1
    ) -> float:
        cost = RooflineStepCost(
            model,
            h100(),
            Precision.FP8,
            EfficiencyParams(),
            tp=tp,
            expert_parallel=expert_parallel,
            expert_groups=expert_groups,
        )
        return float(cost.shape.expert_width)

    # Mixtral's experts are 14,336 columns wide (here derived from its parameter counts);
    # tensor parallelism shards each of them.
    assert width(mixtral(), 1) == pytest.approx(14_336, rel=1e-3)
    assert width(mixtral(), 2) == pytest.approx(7_168, rel=1e-3)
    # DeepSeek-V3's 2,048: sharded over 8 GPUs, whole under wide EP or spread over 8 groups.
    assert width(deepseek_v3(), 8) == pytest.approx(256)
    assert width(deepseek_v3(), 8, expert_parallel=True) == pytest.approx(2_048)
    assert width(deepseek_v3(), 8, expert_groups=8) == pytest.approx(2_048)
    assert width(deepseek_v3(), 8, expert_groups=2) == pytest.approx(512)
    assert width(llama_70b(), 8) == 0.0


def test_wider_experts_run_their_matmuls_closer_to_peak() -> None:
    # The fitted efficiency holds at DeepSeek's 2,048 columns; it grows as the fourth root of
    # the width and never passes 1.
    assert expert_gemm_efficiency(0.3, 2048.0) == pytest.approx(0.3)
    assert expert_gemm_efficiency(0.3, 14_336.0) == pytest.approx(0.3 * 7**0.25)
    assert expert_gemm_efficiency(0.3, 256.0) == pytest.approx(0.3 / 8**0.25)
    assert expert_gemm_efficiency(0.9, 1e6) == 1.0
    params = EfficiencyParams()
    prefill = [
        RooflineStepCost(mixtral(), h100(), Precision.FP8, params, tp=tp).step_time_s(
            8192, 8192 * 4096.0, 0, 0
        )
        for tp in (1, 8)
    ]
    # Eight GPUs share the work, but their 1,792-column slices run less efficiently (and the
    # eight all-reduce): no 8x speed-up.
    assert prefill[0] / 8 < prefill[1] < prefill[0]


@given(
    overhead=st.floats(min_value=0.0, max_value=2e-3),
    decode=st.integers(min_value=1, max_value=256),
)
def test_eager_layer_overhead_is_paid_only_by_prefill_steps(overhead: float, decode: int) -> None:
    params = EfficiencyParams(prefill_layer_overhead_s=overhead)
    cost = RooflineStepCost(llama_70b(), h100(), Precision.FP8, params, tp=4)
    base = EfficiencyParams(prefill_layer_overhead_s=0.0)
    plain = RooflineStepCost(llama_70b(), h100(), Precision.FP8, base, tp=4)
    kv = decode * 1000
    assert cost.step_time_s(0, 0.0, decode, kv) == plain.step_time_s(0, 0.0, decode, kv)
    extra = cost.step_time_s(1, 0.5, decode, kv) - plain.step_time_s(1, 0.5, decode, kv)
    assert extra == pytest.approx(80 * overhead, rel=1e-9, abs=1e-15)


@given(
    overhead=st.floats(min_value=1e-6, max_value=2e-3),
    limit=st.integers(min_value=0, max_value=512),
    decode=st.integers(min_value=1, max_value=1024),
)
def test_decode_batches_beyond_the_captured_graphs_run_eagerly(
    overhead: float, limit: int, decode: int
) -> None:
    params = EfficiencyParams(prefill_layer_overhead_s=overhead)
    graphs = RooflineStepCost(llama_8b(), h100(), Precision.FP8, params, graph_max_batch=limit)
    always = RooflineStepCost(llama_8b(), h100(), Precision.FP8, params)
    kv = np.array([decode * 500.0, decode * 900.0])
    extra = graphs.step_time_s(0, 0.0, decode, int(kv[0])) - always.step_time_s(
        0, 0.0, decode, int(kv[0])
    )
    assert extra == pytest.approx(32 * overhead if decode > limit else 0.0, abs=1e-12)
    # The decode stretches (simulator) and the vectorised formula (analytic mode) agree.
    stretch = graphs.decode_step_times_s(decode, kv)
    assert stretch == pytest.approx([graphs.step_time_s(0, 0.0, decode, int(k)) for k in kv])
    folded = StepCoefficients.of(graphs.shape, graphs.hardware, params, float(limit))
    assert float(folded.time_s(0, 0.0, decode, kv[0])) == pytest.approx(stretch[0], rel=1e-12)
    # A prefill step is eager whatever its decode batch.
    assert graphs.step_time_s(64, 2048.0, decode, int(kv[0])) == pytest.approx(
        always.step_time_s(64, 2048.0, decode, int(kv[0])), rel=1e-12
    )


def test_data_parallel_attention_captures_graphs_per_rank() -> None:
    params = EfficiencyParams(prefill_layer_overhead_s=1e-3, moe_prefill_layer_overhead_s=5e-4)

    def extra_s(wide: bool) -> float:
        """What a 256-sequence graph limit adds to a decode step of 1,024 sequences."""
        times = [
            RooflineStepCost(
                deepseek_v3(), h100(), Precision.FP8, params, tp=8, expert_parallel=wide,
                graph_max_batch=limit,
            ).step_time_s(0, 0.0, 1024, 1024 * 500)
            for limit in (256, math.inf)
        ]
        return times[0] - times[1]

    # Over 8 data-parallel ranks the batch is 128 per rank: within each rank's graphs.
    assert extra_s(wide=True) == 0.0
    # Otherwise every one of the 61 layers runs eagerly, and the 58 MoE layers pay more.
    assert extra_s(wide=False) == pytest.approx(61 * 1e-3 + 58 * 5e-4, rel=1e-9)


@given(latency=st.floats(min_value=1e-7, max_value=1e-4), tokens=st.integers(0, 16_384))
def test_allreduce_time_grows_with_tensor_parallelism_and_slower_links(
    latency: float, tokens: int
) -> None:
    nbytes = tokens * 8192 * 2.0
    # A ring all-reduce (no reduction in the switch: an H100 renamed out of the NVLS set).
    ring = h100().model_copy(update={"name": "H100-ring"})
    times = [
        allreduce_time_s(nbytes, hardware_rates(ring, Precision.BF16, tp), 0.7, latency)
        for tp in (1, 2, 4, 8)
    ]
    assert times[0] == 0.0
    assert times == sorted(times)
    nvlink = allreduce_time_s(0.0, hardware_rates(h100(), Precision.BF16, 4), 0.7, latency)
    pcie = allreduce_time_s(0.0, hardware_rates(l4(), Precision.BF16, 4), 0.7, latency)
    assert pcie > nvlink > 0.0


def test_nvlink_sharp_speeds_up_all_reduces_of_five_to_eight_gpus() -> None:
    ring = h100().model_copy(update={"name": "H100-ring"})
    nbytes = 8192 * 8192 * 2.0

    def bandwidth_s(gpu: GpuSpec, tp: int) -> float:
        return float(allreduce_time_s(nbytes, hardware_rates(gpu, Precision.BF16, tp), 0.7, 0.0))

    # NCCL's measured bus bandwidths on 8x H100: the ring's 370 GB/s at 2-8 GPUs, NVLS the
    # same up to 4 GPUs and 480 GB/s at 8.
    assert switch_reduction_gain(h100(), 4) == 1.0 == switch_reduction_gain(l4(), 8)
    assert switch_reduction_gain(h100(), 8) == pytest.approx(480 / 370)
    assert bandwidth_s(h100(), 4) == pytest.approx(bandwidth_s(ring, 4))
    assert bandwidth_s(h100(), 8) == pytest.approx(bandwidth_s(ring, 8) * 370 / 480)
    # So 8 GPUs reduce the same bytes faster than 4 (algorithm bandwidth 274 against 247 GB/s).
    assert bandwidth_s(h100(), 8) < bandwidth_s(h100(), 4)
    # Wide EP's dispatch and combine are all-to-alls, which the switch cannot reduce.
    def comm_token_s(model: ModelArchitecture, gpu: GpuSpec, wide: bool) -> float:
        cost = RooflineStepCost(
            model, gpu, Precision.FP8, EfficiencyParams(), tp=8, expert_parallel=wide
        )
        return float(cost.coefficients.comm_token_s)

    assert comm_token_s(deepseek_v3(), h100(), True) == comm_token_s(deepseek_v3(), ring, True)
    assert comm_token_s(llama_70b(), h100(), False) < comm_token_s(llama_70b(), ring, False)


def test_a_gpu_that_holds_its_clock_runs_matmuls_faster_but_never_beyond_its_peak() -> None:
    # MAMF: an A100 SXM sustains 0.869 of its BF16 peak, NVIDIA's median GPU 0.776; unmeasured
    # GPUs run at the fitted efficiency unchanged.
    held = h100().model_copy(update={"sustained_matmul_share": 0.869})
    assert sustained_clock_factor(held) == pytest.approx(0.869 / 0.776)
    assert sustained_clock_factor(h100()) == 1.0 == sustained_clock_factor(l4())

    def prefill_s(gpu: GpuSpec, efficiency: float) -> float:
        eff = EfficiencyParams(compute_efficiency=efficiency, attention_efficiency=efficiency)
        cost = RooflineStepCost(llama_70b(), gpu, Precision.BF16, eff, tp=1)
        return cost.step_time_s(8192, 8192 * 4096, 0, 0)

    assert prefill_s(held, 0.5) < prefill_s(h100(), 0.5)
    # At an efficiency of 1 the sustained clock cannot lift the matmuls beyond the peak.
    assert prefill_s(held, 1.0) == pytest.approx(prefill_s(h100(), 1.0))


def test_an_accelerators_sustained_share_counts_against_its_own_vendors_median() -> None:
    # AMD's software stack reaches a different share of peak than NVIDIA's: an MI325X (0.604)
    # is compared with AMD's median (0.559), not with NVIDIA's 0.776, and an MI300X's 0.514
    # puts it below that median by the ratio the two measured shares have.
    def amd(share: float) -> GpuSpec:
        return h100().model_copy(update={"vendor": "amd", "sustained_matmul_share": share})

    assert sustained_clock_factor(amd(0.604)) == pytest.approx(0.604 / 0.559)
    assert sustained_clock_factor(amd(0.604)) / sustained_clock_factor(amd(0.514)) == (
        pytest.approx(0.604 / 0.514)
    )
    # A vendor none of whose accelerators is measured has no median: no correction.
    intel = h100().model_copy(update={"vendor": "intel", "sustained_matmul_share": 0.6})
    assert sustained_clock_factor(intel) == 1.0


@given(
    prefill=st.integers(min_value=0, max_value=8192),
    decode=st.integers(min_value=1, max_value=512),
    tp=st.sampled_from([1, 2, 4, 8]),
    moe_efficiency=st.floats(min_value=0.05, max_value=1.0),
    eager=st.floats(min_value=0.0, max_value=1e-3),
    latency=st.floats(min_value=0.0, max_value=1e-4),
)
def test_no_parameter_lets_a_decode_step_beat_its_bytes(
    prefill: int, decode: int, tp: int, moe_efficiency: float, eager: float, latency: float
) -> None:
    params = EfficiencyParams(
        bandwidth_efficiency=1.0,
        moe_compute_efficiency=moe_efficiency,
        prefill_layer_overhead_s=eager,
        allreduce_latency_s=latency,
        step_overhead_s=0.0,
        layer_overhead_s=0.0,
        seq_overhead_s=0.0,
    )
    for model in (llama_8b(), deepseek_v3()):
        cost = RooflineStepCost(model, h100(), Precision.FP8, params, tp=tp)
        kv = decode * 2000
        floor = roofline_floor_s(cost.shape, cost.hardware, float(decode), float(kv))
        assert cost.step_time_s(prefill, prefill * 500.0, decode, kv) >= floor * (1 - 1e-9)


@settings(max_examples=30)
@given(
    model=st.sampled_from(sorted(MODELS)),
    tp=st.sampled_from([1, 2, 8]),
    decode=st.integers(min_value=1, max_value=512),
    context=st.integers(min_value=1, max_value=200_000),
    groups=st.sampled_from([1, 8]),
)
def test_decode_stretch_times_equal_one_step_at_a_time(
    model: str, tp: int, decode: int, context: int, groups: int
) -> None:
    cost = RooflineStepCost(
        MODELS[model](), h100(), Precision.BF16, EfficiencyParams(), tp=tp, expert_groups=groups
    )
    kv = context + decode * np.arange(40, dtype=np.float64)
    vectorised = cost.decode_step_times_s(decode, kv)
    one_by_one = [cost.step_time_s(0, 0.0, decode, int(k)) for k in kv]
    assert vectorised == pytest.approx(one_by_one, rel=1e-12)


def _formula(cost: RooflineStepCost, p: float, a: float, d: float, k: float) -> float:
    """The module docstring's step time, term by term from the roofline primitives (an
    independent check of the folded coefficients both fast paths share)."""
    shape, hw, eff = cost.shape, cost.hardware, cost.params
    pp = shape.pp
    pf, df, kv = p / pp, d / pp, k / pp
    tokens = pf + df
    n = eff.overlap_exponent
    hbm = hw.hbm_bytes_per_s * eff.bandwidth_efficiency
    experts = expected_experts(tokens, shape.num_experts, shape.experts_per_token)
    touched = experts / shape.num_experts
    experts += shape.expert_spread * math.sqrt(touched * (1.0 - touched))
    t_gemm = (
        shape.dense_flops_per_token * tokens + shape.head_flops_per_token * df
    ) / (hw.gemm_flops_per_s * eff.compute_efficiency) + shape.expert_flops_per_token * tokens / (
        hw.gemm_flops_per_s * expert_gemm_efficiency(eff.moe_compute_efficiency, shape.expert_width)
    )
    t_linear = smooth_max(
        (shape.dense_bytes + experts * shape.expert_bytes) / hbm, t_gemm, LINEAR_OVERLAP_EXPONENT
    )
    window = shape.kv_window_bytes_per_context_token
    share = window / (shape.kv_bytes_per_context_token + window)
    all_pairs = a / pp
    pairs = all_pairs * (1.0 - share) + min(all_pairs, pf * shape.window_tokens) * share
    attended = kv
    if shape.sparse_tokens:  # each query attends to its top k; the indexer scores every pair
        pairs, attended = min(pairs, pf * shape.sparse_tokens), min(kv, df * shape.sparse_tokens)
    attn_flops = (
        shape.prefill_flops_per_pair * pairs
        + shape.decode_flops_per_context_token * attended
        + shape.index_flops_per_pair * (all_pairs + kv)
    )
    t_attn = smooth_max(
        kv_read_bytes(shape, df, kv) / hbm,
        attn_flops / (hw.attention_flops_per_s * eff.attention_efficiency),
        n,
    )
    imbalance = 1.0 + shape.expert_parallel * (1.0 / eff.expert_parallel_efficiency - 1.0)
    t_comm = shape.allreduces_per_stage * allreduce_time_s(
        tokens * shape.allreduce_bytes_per_token, hw, eff.comm_efficiency, eff.allreduce_latency_s
    )
    eager = pf > 0
    stage = (
        (t_linear + t_attn) * imbalance
        + eager * shape.dequant_bytes / hbm
        + t_comm
        + shape.layers_per_stage * (eff.layer_overhead_s + eager * eff.prefill_layer_overhead_s)
        + shape.moe_layers_per_stage
        * (eff.moe_layer_overhead_s + eager * eff.moe_prefill_layer_overhead_s)
    )
    return float(
        pp * stage
        + (pp - 1.0) * PIPELINE_HOP_LATENCY_S
        + eff.step_overhead_s
        + d * shape.sequence_share * eff.seq_overhead_s
    )


@settings(max_examples=40)
@given(**STEP_CASES)
def test_folded_coefficients_give_the_documented_formula(
    model: str, tp: int, pp: int, prefill: int, decode: int, context: int, groups: int
) -> None:
    params = EfficiencyParams(prefill_layer_overhead_s=2e-5, allreduce_latency_s=1e-5)
    cost = RooflineStepCost(
        MODELS[model](), h100(), Precision.FP8, params, tp=tp, pp=pp, expert_groups=groups
    )
    args = (prefill, prefill * context / 2.0, decode, decode * context)
    assert _reference(cost, *args) == pytest.approx(_formula(cost, *args), rel=1e-12)


def _stacked(items: list[object]) -> dict[str, np.ndarray]:
    return {f.name: np.array([getattr(i, f.name) for i in items]) for f in fields(items[0])}  # type: ignore[arg-type]


def test_terms_skipped_for_dense_full_attention_models_change_nothing() -> None:
    """Priced alone, a dense model without sliding windows skips the expert and window terms;
    priced alongside a MoE and a windowed model it does not; the times are identical."""
    costs = [
        RooflineStepCost(model(), h100(), Precision.FP8, EfficiencyParams(), tp=2)
        for model in (llama_8b, mixtral, gpt_oss_120b)
    ]
    alone = StepCoefficients.of(costs[0].shape, costs[0].hardware, EfficiencyParams())
    assert not alone.moe and not alone.windowed
    together = StepCoefficients.of(
        StepShape(**_stacked([c.shape for c in costs])),
        HardwareRates(**_stacked([c.hardware for c in costs])),
        EfficiencyArrays.from_params([EfficiencyParams()] * 3),
    )
    assert together.moe and together.windowed
    work = (np.full(3, 512.0), np.full(3, 512.0 * 900), np.full(3, 48.0), np.full(3, 48.0 * 1500))
    mixed = np.asarray(together.time_s(*work))
    assert float(alone.time_s(*(w[0] for w in work))) == mixed[0]
    for i, cost in enumerate(costs):
        assert cost.step_time_s(512, 512.0 * 900, 48, 48 * 1500) == pytest.approx(mixed[i])


def test_experts_spread_over_groups_wait_for_the_busiest_group() -> None:
    # DeepSeek-V3 routes each token to 8 of 256 experts. Sharded over 8 GPUs, one token makes
    # every GPU read 1/8 of 8 experts; spread whole over 8 groups of 32, each GPU reads the
    # experts its group was picked for, and the step waits for the busiest: on average
    # 1 + z_8 · √(32 q (1 − q)) of them with q = 8/256 (z_8 = 1.424, E[max] of 8 normals).
    cost = RooflineStepCost(deepseek_v3(), h100(), Precision.FP8, EfficiencyParams(), tp=8)
    spread = RooflineStepCost(
        deepseek_v3(), h100(), Precision.FP8, EfficiencyParams(), tp=8, expert_groups=8
    )
    q = 8 / 256
    busiest = 1.0 + expected_max_of_normals(8) * math.sqrt(32 * q * (1 - q))
    assert busiest == pytest.approx(2.40, abs=0.01)
    c = spread.coefficients
    assert touched_experts(c, 1.0) / 8.0 == pytest.approx(busiest, rel=1e-9)
    assert touched_experts(cost.coefficients, 1.0) == pytest.approx(8.0)
    # The excess fades as the batch touches nearly every expert; it never makes a step faster.
    ratios = [float(touched_experts(c, t) / expected_experts(t, 256, 8)) for t in (1, 16, 4096)]
    assert ratios[0] > ratios[1] > ratios[2] and ratios[2] == pytest.approx(1.0, abs=0.01)
    for decode in (1, 16, 256):
        assert spread.step_time_s(0, 0.0, decode, decode * 1000) >= cost.step_time_s(
            0, 0.0, decode, decode * 1000
        )


def test_expert_groups_apply_only_to_moe_layers_under_tensor_parallel_attention() -> None:
    params = EfficiencyParams()
    dense = RooflineStepCost(llama_70b(), h100(), Precision.FP8, params, tp=8, expert_groups=8)
    wide = RooflineStepCost(
        deepseek_v3(), h100(), Precision.FP8, params, tp=8, expert_parallel=True, expert_groups=8
    )
    capped = RooflineStepCost(mixtral(), h100(), Precision.FP8, params, tp=2, expert_groups=8)
    assert dense.shape.expert_spread == wide.shape.expert_spread == 0.0
    assert capped.shape.expert_spread == pytest.approx(
        expected_max_of_normals(2) * math.sqrt(2 * 8)
    )


def test_expected_max_of_normals() -> None:
    assert expected_max_of_normals(1) == 0.0
    assert expected_max_of_normals(2) == pytest.approx(1 / math.sqrt(math.pi), rel=1e-6)
    assert expected_max_of_normals(8) == pytest.approx(1.42360, abs=1e-4)


def test_sparse_attention_reads_the_top_k_and_indexes_everything() -> None:
    """DeepSeek V3.2 is V3 with a lightning indexer: at short contexts every cached token is
    attended anyway and the indexer only adds work; at 32k tokens the attention reads 2,048
    tokens per query instead of 32,768, and the step is far shorter."""
    gpu = h100().model_copy(update={"memory_gb": 141.0})

    def step(model: Callable[[], ModelArchitecture], p: int, a: float, d: int, k: int) -> float:
        cost = RooflineStepCost(model(), gpu, Precision.FP8, EfficiencyParams(), tp=8)
        return cost.step_time_s(p, a, d, k)

    for p, a, d, k in ((0, 0.0, 64, 64 * 1_500), (1_000, 1_000 * 500.0, 0, 0)):
        dense, sparse = step(deepseek_v3, p, a, d, k), step(deepseek_v32, p, a, d, k)
        assert dense < sparse < 1.05 * dense
    assert step(deepseek_v32, 0, 0.0, 64, 64 * 32_768) < 0.6 * step(
        deepseek_v3, 0, 0.0, 64, 64 * 32_768
    )
    # A chunk of a 32k prompt, 24k tokens cached. The indexer's projections are replicated on
    # every tensor-parallel rank: under TP8 it costs most of what the sparsity saves; under
    # data-parallel attention each GPU indexes only its own tokens.
    chunk = 8_192 * (24_000 + 8_192 / 2.0)
    for wide, at_most in ((False, 0.95), (True, 0.5)):
        dense, sparse = (
            RooflineStepCost(
                model(), gpu, Precision.FP8, EfficiencyParams(), tp=8, expert_parallel=wide
            ).step_time_s(8_192, chunk, 0, 0)
            for model in (deepseek_v3, deepseek_v32)
        )
        assert sparse < at_most * dense
    # Its physical floor reads the top-k latents and every indexer key, never above the step.
    cost = RooflineStepCost(deepseek_v32(), gpu, Precision.FP8, EfficiencyParams(), tp=8)
    shape = cost.shape
    assert kv_read_bytes(shape, 64, 64 * 32_768) == pytest.approx(
        64 * 2_048 * shape.kv_bytes_per_context_token
        + 64 * 32_768 * shape.index_bytes_per_context_token
    )
    floor = roofline_floor_s(shape, cost.hardware, 64, 64 * 32_768)
    assert floor < cost.step_time_s(0, 0.0, 64, 64 * 32_768)


def test_a_partial_sparse_attention_description_is_an_error() -> None:
    with pytest.raises(ValueError, match="sparse attention needs all of"):
        ModelArchitecture.model_validate({**deepseek_v3().model_dump(), "sparse_attention_topk": 1})


def test_an_eager_step_pays_more_per_moe_layer_than_per_dense_one() -> None:
    """``moe_prefill_layer_overhead_s`` adds to every MoE layer of a step that runs eagerly
    (prefill, or a batch beyond the captured graphs), and to nothing else."""
    extra = 4e-4

    def times(model: ModelArchitecture, value: float) -> tuple[float, float]:
        cost = RooflineStepCost(
            model, h100(), Precision.FP8, EfficiencyParams(moe_prefill_layer_overhead_s=value),
            tp=8,
        )
        return cost.step_time_s(512, 512 * 256.0, 0, 0.0), cost.step_time_s(0, 0.0, 64, 64e3)

    for model, moe_layers in ((llama_70b(), 0), (mixtral(), 32), (deepseek_v3(), 58)):
        prefill, decode = times(model, extra)
        prefill_0, decode_0 = times(model, 0.0)
        assert prefill - prefill_0 == pytest.approx(moe_layers * extra, rel=1e-9, abs=1e-15)
        assert decode == decode_0  # a captured decode step replays its graph


@pytest.mark.parametrize(
    ("model", "tp", "pp"),
    [(llama_8b, 1, 1), (llama_70b, 4, 2), (mixtral, 2, 1)],
    ids=["8b", "70b-pp2", "8x7b"],
)
def test_the_vectorized_step_time_is_the_simulators(
    model: Callable[[], ModelArchitecture], tp: int, pp: int
) -> None:
    """The analytic mode's step time (the linear corner taken as ``np.hypot``, no pipeline
    split without stages) is the simulator's (``LINEAR_OVERLAP_EXPONENT``'s soft max, the
    split always) at decode, mixed and prefill-only steps."""
    params = EfficiencyParams()
    cost = RooflineStepCost(model(), h100(), Precision.FP8, params, tp=tp, pp=pp)
    folded = StepCoefficients.of(cost.shape, cost.hardware, params)
    for prefill, decode, context in ((0, 64, 900), (512, 32, 700), (2048, 0, 0)):
        args = (prefill, prefill * 256.0, decode, decode * context)
        assert float(folded.time_s(*args)) == pytest.approx(cost.step_time_s(*args), rel=1e-12)


def test_a_dequantizing_prompt_step_converts_its_weights_once() -> None:
    """llama.cpp before tensor-core MMQ: each prompt-carrying step reads the quantized linear
    weights and writes them as FP16 before the matmul; decode steps read them as they are."""
    model, gpu, params = llama_8b(), h100(), EfficiencyParams()
    hw = hardware_rates(gpu, Precision.INT4, 1)
    plain = RooflineStepCost.of(step_shape(model, Precision.INT4, 1), hw, params)
    dequant_shape = step_shape(model, Precision.INT4, 1, dequantized_prefill=True)
    dequant = RooflineStepCost.of(dequant_shape, hw, params)
    linear = param_breakdown(model).linear
    assert dequant_shape.dequant_bytes == pytest.approx(
        linear * (BYTES_PER_WEIGHT[Precision.INT4] + DEQUANT_WRITE_BYTES_PER_WEIGHT)
    )
    hbm = hw.hbm_bytes_per_s * params.bandwidth_efficiency
    extra = dequant.step_time_s(512, 512 * 256.0, 0, 0) - plain.step_time_s(512, 512 * 256.0, 0, 0)
    assert extra == pytest.approx(dequant_shape.dequant_bytes / hbm)
    assert dequant.step_time_s(0, 0.0, 8, 8000) == plain.step_time_s(0, 0.0, 8, 8000)
    args = (512, 512 * 256.0, 4, 4000)
    assert _reference(dequant, *args) == pytest.approx(_formula(dequant, *args), rel=1e-12)
