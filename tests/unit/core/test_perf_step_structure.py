"""Step cost structure: the scalar fast path, expert GEMMs, eager prefill and all-reduces."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.perf_fixtures import deepseek_v3, gpt_oss_120b, h100, l4, llama_8b, llama_70b, mixtral

from predeploy.core.latency import EfficiencyParams, RooflineStepCost, step_time
from predeploy.core.roofline import allreduce_time_s, hardware_rates, roofline_floor_s
from predeploy.core.types import ModelArchitecture, Precision

MODELS = {
    "llama_8b": llama_8b,
    "llama_70b": llama_70b,
    "mixtral": mixtral,
    "deepseek_v3": deepseek_v3,
    "gpt_oss_120b": gpt_oss_120b,  # sliding-window layers
}


def _reference(cost: RooflineStepCost, p: int, a: float, d: int, k: int) -> float:
    return float(step_time(cost.shape, cost.hardware, cost.params, p, a, d, k))


@settings(max_examples=60)
@given(
    model=st.sampled_from(sorted(MODELS)),
    tp=st.sampled_from([1, 2, 8]),
    pp=st.sampled_from([1, 2]),
    prefill=st.integers(min_value=0, max_value=16_384),
    decode=st.integers(min_value=0, max_value=1024),
    context=st.integers(min_value=1, max_value=32_768),
    overlap=st.floats(min_value=1.0, max_value=50.0),
)
def test_fast_step_time_equals_the_vectorised_formula(
    model: str, tp: int, pp: int, prefill: int, decode: int, context: int, overlap: float
) -> None:
    params = EfficiencyParams(overlap_exponent=overlap)
    cost = RooflineStepCost(MODELS[model](), h100(), Precision.FP8, params, tp=tp, pp=pp)
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


@given(latency=st.floats(min_value=1e-7, max_value=1e-4), tokens=st.integers(0, 16_384))
def test_allreduce_time_grows_with_tensor_parallelism_and_slower_links(
    latency: float, tokens: int
) -> None:
    nbytes = tokens * 8192 * 2.0
    times = [
        allreduce_time_s(nbytes, hardware_rates(h100(), Precision.BF16, tp), 0.7, latency)
        for tp in (1, 2, 4, 8)
    ]
    assert times[0] == 0.0
    assert times == sorted(times)
    nvlink = allreduce_time_s(0.0, hardware_rates(h100(), Precision.BF16, 4), 0.7, latency)
    pcie = allreduce_time_s(0.0, hardware_rates(l4(), Precision.BF16, 4), 0.7, latency)
    assert pcie > nvlink > 0.0


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
)
def test_decode_stretch_times_equal_one_step_at_a_time(
    model: str, tp: int, decode: int, context: int
) -> None:
    cost = RooflineStepCost(MODELS[model](), h100(), Precision.BF16, EfficiencyParams(), tp=tp)
    kv = context + decode * np.arange(40, dtype=np.float64)
    vectorised = cost.decode_step_times_s(decode, kv)
    one_by_one = [cost.step_time_s(0, 0.0, decode, int(k)) for k in kv]
    assert vectorised == pytest.approx(one_by_one, rel=1e-12)
