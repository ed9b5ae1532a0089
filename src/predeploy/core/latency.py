"""Time of one engine iteration: the roofline scaled by fitted efficiencies, plus overheads.

One step of a batch with ``P`` prefill tokens (``A`` prefill attention pairs), ``D`` decoding
sequences and ``K`` KV tokens read takes, per pipeline round (each of ``pp`` stages runs
``1/pp`` of the batch, ``pp`` micro-batches in flight)::

    t_linear = smoothmax(weight bytes / (HBM × η_bw), matmul FLOPs / (peak × η_compute))
    t_attn   = smoothmax(KV bytes / (HBM × η_bw), attention FLOPs / (peak16 × η_attn))
    t_stage  = t_linear + t_attn + all-reduces + layers × t_layer
    step     = pp × t_stage + (pp − 1) × t_hop + t_step + D × t_seq

Linear layers and attention are separate kernels, so their times add; inside each the
memory and compute times overlap (the soft maximum). The step never beats the physical
floor of reading its bytes at peak bandwidth, because every efficiency is ≤ 1 and the soft
maximum is ≥ the maximum.
"""

from __future__ import annotations

from typing import Protocol

from predeploy.core.efficiency import (
    PARAM_NAMES,
    EfficiencyParams,
    ParameterChoice,
    ParameterEffect,
    ParameterSet,
    gpu_class,
)
from predeploy.core.roofline import (
    PIPELINE_HOP_LATENCY_S,
    HardwareRates,
    Num,
    StepShape,
    allreduce_time_s,
    expected_experts,
    fmin,
    hardware_rates,
    kv_read_bytes,
    smooth_max,
    step_shape,
)
from predeploy.core.types import GpuSpec, KvCacheDtype, ModelArchitecture, Precision

__all__ = [
    "PARAM_NAMES",
    "EfficiencyParams",
    "ParameterChoice",
    "ParameterEffect",
    "ParameterSet",
    "RooflineStepCost",
    "StepCostModel",
    "gpu_class",
    "step_time",
]


class StepCostModel(Protocol):
    """Seconds one engine iteration takes for a batch (the simulator's hot path).

    ``prefill_tokens``: new prompt tokens computed this step (all chunks);
    ``prefill_attn_tokens``: Σ over prefill chunks of chunk × (cached context + chunk / 2);
    ``decode_seqs``: sequences generating one token; ``decode_kv_tokens``: Σ their contexts.
    """

    def step_time_s(
        self,
        prefill_tokens: int,
        prefill_attn_tokens: float,
        decode_seqs: int,
        decode_kv_tokens: int,
    ) -> float: ...


def step_time(
    shape: StepShape,
    hw: HardwareRates,
    eff: EfficiencyParams | ParamArrays,
    prefill_tokens: Num,
    prefill_attn_tokens: Num,
    decode_seqs: Num,
    decode_kv_tokens: Num,
) -> Num:
    """Seconds of one step (module docstring); floats or numpy arrays, elementwise."""
    pp = shape.pp
    p = prefill_tokens / pp
    d = decode_seqs / pp
    kv = decode_kv_tokens / pp
    tokens = p + d
    n = eff.overlap_exponent
    hbm = hw.hbm_bytes_per_s * eff.bandwidth_efficiency
    experts = expected_experts(tokens, shape.num_experts, shape.experts_per_token)
    weight_bytes = shape.dense_bytes + experts * shape.expert_bytes
    linear_flops = shape.linear_flops_per_token * tokens + shape.head_flops_per_token * d
    t_linear = smooth_max(
        weight_bytes / hbm, linear_flops / (hw.gemm_flops_per_s * eff.compute_efficiency), n
    )
    # Sliding-window layers attend to at most `window` cached tokens per new token.
    window_share = shape.kv_window_bytes_per_context_token / (
        shape.kv_bytes_per_context_token + shape.kv_window_bytes_per_context_token
    )
    pairs = prefill_attn_tokens / pp
    pairs = pairs * (1.0 - window_share) + fmin(pairs, p * shape.window_tokens) * window_share
    attn_flops = shape.prefill_flops_per_pair * pairs + shape.decode_flops_per_context_token * kv
    t_attn = smooth_max(
        kv_read_bytes(shape, d, kv) / hbm,
        attn_flops / (hw.attention_flops_per_s * eff.attention_efficiency),
        n,
    )
    t_comm = shape.allreduces_per_stage * allreduce_time_s(
        tokens * shape.allreduce_bytes_per_token, hw, eff.comm_efficiency
    )
    stage = (
        t_linear
        + t_attn
        + t_comm
        + shape.layers_per_stage * eff.layer_overhead_s
        + shape.moe_layers_per_stage * eff.moe_layer_overhead_s
    )
    return (
        pp * stage
        + (pp - 1.0) * PIPELINE_HOP_LATENCY_S
        + eff.step_overhead_s
        + decode_seqs * eff.seq_overhead_s
    )


class ParamArrays(Protocol):
    """Efficiency parameters as attributes holding floats or arrays (one per scenario)."""

    @property
    def bandwidth_efficiency(self) -> Num: ...
    @property
    def compute_efficiency(self) -> Num: ...
    @property
    def attention_efficiency(self) -> Num: ...
    @property
    def comm_efficiency(self) -> Num: ...
    @property
    def step_overhead_s(self) -> Num: ...
    @property
    def layer_overhead_s(self) -> Num: ...
    @property
    def moe_layer_overhead_s(self) -> Num: ...
    @property
    def seq_overhead_s(self) -> Num: ...
    @property
    def request_overhead_s(self) -> Num: ...
    @property
    def frontend_s_per_request(self) -> Num: ...
    @property
    def overlap_exponent(self) -> Num: ...


class RooflineStepCost:
    """The :class:`StepCostModel` of one configuration: roofline × fitted efficiencies."""

    def __init__(
        self,
        model: ModelArchitecture,
        gpu: GpuSpec,
        precision: Precision,
        params: EfficiencyParams,
        *,
        tp: int = 1,
        pp: int = 1,
        kv_cache_dtype: KvCacheDtype = KvCacheDtype.AUTO,
    ) -> None:
        self.shape = step_shape(model, precision, tp, pp, kv_cache_dtype)
        self.hardware = hardware_rates(gpu, precision, tp)
        self.params = params

    def step_time_s(
        self,
        prefill_tokens: int,
        prefill_attn_tokens: float,
        decode_seqs: int,
        decode_kv_tokens: int,
    ) -> float:
        return float(
            step_time(
                self.shape,
                self.hardware,
                self.params,
                float(prefill_tokens),
                float(prefill_attn_tokens),
                float(decode_seqs),
                float(decode_kv_tokens),
            )
        )
