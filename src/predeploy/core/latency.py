"""Time of one engine iteration: the roofline scaled by fitted efficiencies, plus overheads.

One step of a batch with ``P`` prefill tokens (``A`` prefill attention pairs), ``D`` decoding
sequences and ``K`` KV tokens read takes, per pipeline round (each of ``pp`` stages runs
``1/pp`` of the batch, ``pp`` micro-batches in flight)::

    t_linear = smoothmax(weight bytes / (HBM × η_bw),
                         dense FLOPs / (peak × η_compute) + expert FLOPs / (peak × η_moe))
    t_attn   = smoothmax(KV bytes / (HBM × η_bw), attention FLOPs / (peak16 × η_attn))
    t_stage  = t_linear + t_attn + all-reduces + layers × (t_layer + [P > 0] t_eager)
    step     = pp × t_stage + (pp − 1) × t_hop + t_step + D × t_seq

With wide expert parallelism (data-parallel attention, experts spread over the GPUs; MoE
models) ``t_linear + t_attn`` is divided by the fitted ``η_ep`` (every GPU waits at the
all-to-all for the slowest), the all-reduces are the dispatch/combine all-to-alls of
``core.roofline.step_shape`` and ``D × t_seq`` counts one GPU's ``1/tp`` of the sequences.

Linear layers and attention are separate kernels, so their times add; inside each the
memory and compute times overlap (the soft maximum). The step never beats the physical
floor of reading its bytes at peak bandwidth, because every efficiency is ≤ 1 and the soft
maximum is ≥ the maximum.
"""

from __future__ import annotations

import math
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

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


@runtime_checkable
class DecodeStretchCost(Protocol):
    """A step model that also prices many decode-only steps in one vectorised call (the
    simulator's decode stretches: same decoders, growing context)."""

    def decode_step_times_s(
        self, decode_seqs: int, decode_kv_tokens: NDArray[np.float64]
    ) -> NDArray[np.float64]: ...


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
    dense_flops = shape.dense_flops_per_token * tokens + shape.head_flops_per_token * d
    t_gemm = dense_flops / (hw.gemm_flops_per_s * eff.compute_efficiency) + (
        shape.expert_flops_per_token * tokens
    ) / (hw.gemm_flops_per_s * eff.moe_compute_efficiency)
    t_linear = smooth_max(weight_bytes / hbm, t_gemm, n)
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
    # Data-parallel attention with spread experts waits for its slowest GPU.
    imbalance = 1.0 + shape.expert_parallel * (1.0 / eff.expert_parallel_efficiency - 1.0)
    t_comm = shape.allreduces_per_stage * allreduce_time_s(
        tokens * shape.allreduce_bytes_per_token, hw, eff.comm_efficiency, eff.allreduce_latency_s
    )
    eager = np.greater(p, 0.0) * eff.prefill_layer_overhead_s
    stage = (
        (t_linear + t_attn) * imbalance
        + t_comm
        + shape.layers_per_stage * (eff.layer_overhead_s + eager)
        + shape.moe_layers_per_stage * eff.moe_layer_overhead_s
    )
    return (
        pp * stage
        + (pp - 1.0) * PIPELINE_HOP_LATENCY_S
        + eff.step_overhead_s
        + decode_seqs * shape.sequence_share * eff.seq_overhead_s
    )


class ParamArrays(Protocol):
    """Efficiency parameters as attributes holding floats or arrays (one per scenario)."""

    @property
    def bandwidth_efficiency(self) -> Num: ...
    @property
    def compute_efficiency(self) -> Num: ...
    @property
    def moe_compute_efficiency(self) -> Num: ...
    @property
    def expert_parallel_efficiency(self) -> Num: ...
    @property
    def attention_efficiency(self) -> Num: ...
    @property
    def comm_efficiency(self) -> Num: ...
    @property
    def allreduce_latency_s(self) -> Num: ...
    @property
    def step_overhead_s(self) -> Num: ...
    @property
    def layer_overhead_s(self) -> Num: ...
    @property
    def moe_layer_overhead_s(self) -> Num: ...
    @property
    def prefill_layer_overhead_s(self) -> Num: ...
    @property
    def seq_overhead_s(self) -> Num: ...
    @property
    def request_overhead_s(self) -> Num: ...
    @property
    def frontend_s_per_request(self) -> Num: ...
    @property
    def overlap_exponent(self) -> Num: ...


class RooflineStepCost:
    """The :class:`StepCostModel` of one configuration: roofline × fitted efficiencies.

    :meth:`step_time_s` is :func:`step_time` for plain floats with every per-configuration
    constant folded in once (the simulator calls it for every engine step); a test checks the
    two agree.
    """

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
        expert_parallel: bool = False,
    ) -> None:
        self.shape = shape = step_shape(
            model, precision, tp, pp, kv_cache_dtype, expert_parallel=expert_parallel
        )
        self.hardware = hw = hardware_rates(gpu, precision, tp)
        self.params = eff = params
        f = float
        hbm = f(hw.hbm_bytes_per_s) * eff.bandwidth_efficiency
        gemm = f(hw.gemm_flops_per_s)
        self._pp = f(shape.pp)
        self._n = eff.overlap_exponent
        self._inv_n = 1.0 / eff.overlap_exponent
        self._num_experts = f(shape.num_experts)
        self._keep = 1.0 - f(shape.experts_per_token) / f(shape.num_experts)
        self._dense_s = f(shape.dense_bytes) / hbm
        self._expert_s = f(shape.expert_bytes) / hbm
        self._dense_flop_s = f(shape.dense_flops_per_token) / (gemm * eff.compute_efficiency)
        self._head_flop_s = f(shape.head_flops_per_token) / (gemm * eff.compute_efficiency)
        self._expert_flop_s = f(shape.expert_flops_per_token) / (gemm * eff.moe_compute_efficiency)
        kv_global = f(shape.kv_bytes_per_context_token)
        kv_window = f(shape.kv_window_bytes_per_context_token)
        self._window_share = kv_window / (kv_global + kv_window)
        self._window_tokens = f(shape.window_tokens)
        self._kv_global_s = kv_global / hbm
        self._kv_window_s = kv_window / hbm
        attn = f(hw.attention_flops_per_s) * eff.attention_efficiency
        self._pair_s = f(shape.prefill_flops_per_pair) / attn
        self._context_s = f(shape.decode_flops_per_context_token) / attn
        tp_f = max(f(hw.tp), 1.0)
        self._comm_token_s = (
            f(shape.allreduces_per_stage)
            * 2.0
            * (tp_f - 1.0)
            / tp_f
            * f(shape.allreduce_bytes_per_token)
            / f(hw.link_bytes_per_s)
            / eff.comm_efficiency
        )
        self._comm_fixed_s = (
            f(shape.allreduces_per_stage)
            * eff.allreduce_latency_s
            * f(hw.link_latency_factor)
            * (1.0 + math.log2(tp_f))
            / 2.0
        )
        if tp_f <= 1.0:
            self._comm_token_s = self._comm_fixed_s = 0.0
        layers = f(shape.layers_per_stage)
        self._layer_s = layers * eff.layer_overhead_s + f(shape.moe_layers_per_stage) * (
            eff.moe_layer_overhead_s
        )
        self._eager_s = layers * eff.prefill_layer_overhead_s
        self._fixed_s = (self._pp - 1.0) * PIPELINE_HOP_LATENCY_S + eff.step_overhead_s
        self._seq_s = eff.seq_overhead_s * f(shape.sequence_share)
        self._imbalance = 1.0 + f(shape.expert_parallel) * (
            1.0 / eff.expert_parallel_efficiency - 1.0
        )

    def step_time_s(
        self,
        prefill_tokens: int,
        prefill_attn_tokens: float,
        decode_seqs: int,
        decode_kv_tokens: int,
    ) -> float:
        pp = self._pp
        p = prefill_tokens / pp
        d = decode_seqs / pp
        kv = decode_kv_tokens / pp
        tokens = p + d
        n = self._n
        experts = self._num_experts * (1.0 - self._keep**tokens)
        t_memory = self._dense_s + experts * self._expert_s
        t_compute = (
            self._dense_flop_s * tokens + self._head_flop_s * d + self._expert_flop_s * tokens
        )
        t_linear = _smooth_max(t_memory, t_compute, n, self._inv_n)
        pairs = prefill_attn_tokens / pp
        share = self._window_share
        if share:
            window_pairs = min(pairs, p * self._window_tokens)
            pairs = pairs * (1.0 - share) + window_pairs * share
        window_kv = min(kv, d * self._window_tokens)
        t_kv = kv * self._kv_global_s + window_kv * self._kv_window_s
        t_attn = _smooth_max(t_kv, self._pair_s * pairs + self._context_s * kv, n, self._inv_n)
        stage = (t_linear + t_attn) * self._imbalance
        stage += self._comm_token_s * tokens + self._comm_fixed_s + self._layer_s
        stage += self._eager_s if p > 0.0 else 0.0
        return pp * stage + self._fixed_s + decode_seqs * self._seq_s

    def decode_step_times_s(
        self, decode_seqs: int, decode_kv_tokens: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """:meth:`step_time_s` of decode-only steps (``P = A = 0``) at each KV total, as arrays:
        only the attention term depends on the context (a test checks it step by step)."""
        pp = self._pp
        n, inv_n = self._n, self._inv_n
        d = decode_seqs / pp
        experts = self._num_experts * (1.0 - self._keep**d)
        t_memory = self._dense_s + experts * self._expert_s
        t_compute = self._dense_flop_s * d + self._head_flop_s * d + self._expert_flop_s * d
        t_linear = _smooth_max(t_memory, t_compute, n, inv_n)
        kv = decode_kv_tokens / pp
        t_kv = kv * self._kv_global_s
        if self._kv_window_s:
            t_kv = t_kv + np.minimum(kv, d * self._window_tokens) * self._kv_window_s
        t_ctx = self._context_s * kv
        hi = np.maximum(t_kv, t_ctx)
        lo = np.minimum(t_kv, t_ctx)
        safe = np.where(hi > 0.0, hi, 1.0)
        t_attn = np.where(hi > 0.0, hi * (1.0 + (lo / safe) ** n) ** inv_n, 0.0)
        stage = (t_linear + t_attn) * self._imbalance
        stage = stage + self._comm_token_s * d + self._comm_fixed_s + self._layer_s
        return np.asarray(pp * stage + self._fixed_s + decode_seqs * self._seq_s, dtype=np.float64)


def _smooth_max(a: float, b: float, n: float, inv_n: float) -> float:
    """:func:`~predeploy.core.roofline.smooth_max` for two floats."""
    hi, lo = (a, b) if a >= b else (b, a)
    if hi <= 0.0:
        return 0.0
    return float(hi * (1.0 + (lo / hi) ** n) ** inv_n)
