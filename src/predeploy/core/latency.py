"""Time of one engine iteration: the roofline scaled by fitted efficiencies, plus overheads.

One step of a batch with ``P`` prefill tokens (``A`` prefill attention pairs), ``D`` decoding
sequences and ``K`` KV tokens read takes, per pipeline round (each of ``pp`` stages runs
``1/pp`` of the batch, ``pp`` micro-batches in flight)::

    t_linear = smoothmax(weight bytes / (HBM × η_bw),
                         dense FLOPs / (peak × η_compute) + expert FLOPs / (peak × η_moe(w)))
    t_attn   = smoothmax(KV bytes / (HBM × η_bw), attention FLOPs / (peak16 × η_attn))
    t_stage  = t_linear + t_attn + all-reduces + layers × (t_layer + [eager] t_eager)
    step     = pp × t_stage + (pp − 1) × t_hop + t_step + D × t_seq

Under DeepSeek Sparse Attention each query's attention reads and computes at most ``k``
cached tokens (``A`` capped at ``k P``, ``K`` at ``k D``), while the indexer reads every cached
token's key and scores every (query, cached token) pair, in the attention term.

The routed experts' matmuls run at ``η_moe(w) = min(1, η_moe · (w / 2048)^0.25)`` for experts
``w`` intermediate columns wide on one GPU (:func:`expert_gemm_efficiency`).

A step runs eagerly (launching its kernels one by one instead of replaying a captured CUDA
graph) when it carries prefill or when its decode batch exceeds the engine's largest captured
graph (``graph_max_batch``: vLLM's capture sizes, SGLang's ``cuda_graph_max_bs``).

With wide expert parallelism (data-parallel attention, experts spread over the GPUs; MoE
models) ``t_linear + t_attn`` is divided by the fitted ``η_ep`` (every GPU waits at the
all-to-all for the slowest), the all-reduces are the dispatch/combine all-to-alls of
``core.roofline.step_shape`` and ``D × t_seq`` counts one GPU's ``1/tp`` of the sequences.

Linear layers and attention are separate kernels, so their times add; inside each the
memory and compute times overlap (the soft maximum, ``(a^n + b^n)^(1/n)``). The linear
layers' corner is :data:`LINEAR_OVERLAP_EXPONENT`, the sharpness that fits measured GEMM
kernels best; attention's is the fitted ``overlap_exponent``. The step never beats the
physical floor of reading its bytes at peak bandwidth, because every efficiency is ≤ 1 and
the soft maximum is ≥ the maximum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

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
    STATE_PASSES,
    HardwareRates,
    Num,
    StepShape,
    allreduce_time_s,
    fmin,
    hardware_rates,
    sparse_attended,
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
    return StepCoefficients.of(shape, hw, eff).time_s(
        prefill_tokens, prefill_attn_tokens, decode_seqs, decode_kv_tokens
    )


#: A coefficient's type: floats for one configuration, arrays for many scenarios.
N = TypeVar("N", bound=float | np.ndarray)


@dataclass(frozen=True, slots=True)
class StepCoefficients(Generic[N]):
    """:func:`step_time`'s per-configuration constants, folded once: floats for one
    configuration (the simulator's :class:`RooflineStepCost`) or arrays with one element per
    scenario (the analytic mode prices every step of a batch of scenarios with them).

    Seconds per unit: ``dense_s``/``expert_s`` per step (dense weights, one expert's weights),
    ``token_flop_s`` per token (dense and expert matmuls), ``head_flop_s`` per decoding
    sequence (the LM head), ``kv_*_s`` per KV token read, ``pair_s`` per prefill attention
    pair, ``context_s`` per decode context token; ``comm_token_s`` per token all-reduced and
    ``comm_fixed_s`` per step (zero for ``tp = 1``); ``layer_s`` the per-stage layer overheads,
    ``eager_s`` those added when a step runs eagerly: it carries prefill, or decodes more than
    ``graph_bs`` sequences (the largest captured CUDA graph); ``fixed_s`` the pipeline hops plus the
    step overhead; ``seq_s`` per decoding sequence. ``keep`` is ``1 − k/E``: an expert's
    chance to be missed by one token; ``spread`` the busiest expert group's excess
    (``StepShape.expert_spread``, 0 unless the experts are spread over groups). ``n`` and
    ``inv_n`` are the attention term's roofline corner (the fitted ``overlap_exponent``; the
    linear layers' is :data:`LINEAR_OVERLAP_EXPONENT`).
    """

    pp: N
    n: N
    inv_n: N
    num_experts: N
    keep: N
    spread: N
    dense_s: N
    expert_s: N
    token_flop_s: N
    head_flop_s: N
    window_share: N
    window_tokens: N
    kv_global_s: N
    kv_window_s: N
    pair_s: N
    context_s: N
    sparse_tokens: N
    index_kv_s: N
    #: Seconds per running sequence of a decode step's pass over its linear-attention state.
    state_s: N
    index_pair_s: N
    imbalance: N
    comm_token_s: N
    comm_fixed_s: N
    layer_s: N
    eager_s: N
    dequant_s: N
    fixed_s: N
    seq_s: N
    graph_bs: N
    #: Context tokens every sequence reads besides its own: a shared prompt prefix held once
    #: in the prefix cache (``core.prefix_cache``). Each decoding sequence's attention reads
    #: them, and each prompt token computed attends to them (``shared`` says whether any
    #: configuration has them).
    shared_tokens: N
    #: Whether any configuration routes to experts, has sliding-window layers, or spreads its
    #: experts over groups: their terms are skipped (they would add zeros) when none does.
    moe: bool = True
    windowed: bool = True
    grouped: bool = True
    sparse: bool = True
    #: Whether any configuration runs more than one pipeline stage (else no term is split).
    staged: bool = True
    #: Whether any configuration has linear-attention state (else its term is skipped).
    stateful: bool = True
    #: Whether any configuration reads a shared prefix (``shared_tokens``).
    shared: bool = True

    @staticmethod
    def of(
        shape: StepShape,
        hw: HardwareRates,
        eff: EfficiencyParams | ParamArrays,
        graph_max_batch: Num = np.inf,
        shared_context_tokens: Num = 0.0,
    ) -> StepCoefficients[Num]:
        """The constants of ``shape`` on ``hw`` at ``eff``; ``shared_context_tokens``: a
        shared prompt prefix each sequence reads from the prefix cache (``shared_tokens``)."""
        hbm = hw.hbm_bytes_per_s * eff.bandwidth_efficiency
        # A GPU that sustains more of its peak than its vendor's median (sustained_factor > 1)
        # runs every matmul more efficiently, never beyond the peak; an engine's block-scaled
        # FP8 weight matmuls reach their own share of the FP8 peak (block_fp8_factor), its
        # attention (16-bit) the share of the others.
        clock = hw.sustained_factor
        matmul = clock * block_fp8_factor(shape, hw, eff)
        gemm = hw.gemm_flops_per_s * np.minimum(eff.compute_efficiency * matmul, 1.0)
        attn = hw.attention_flops_per_s * np.minimum(eff.attention_efficiency * clock, 1.0)
        kv_global = shape.kv_bytes_per_context_token
        kv_window = shape.kv_window_bytes_per_context_token
        tp = np.maximum(hw.tp, 1.0)
        sharded = np.greater(tp, 1.0)
        comm_token_s = (
            shape.allreduces_per_stage
            * allreduce_time_s(
                shape.allreduce_bytes_per_token,
                hw,
                eff.comm_efficiency,
                0.0,
                # Wide EP's dispatch/combine are all-to-alls: nothing to reduce in the switch.
                hw.switch_reduction * (1.0 - shape.expert_parallel),
            )
        )
        comm_fixed_s = (
            shape.allreduces_per_stage
            * eff.allreduce_latency_s
            * hw.link_latency_factor
            * (1.0 + np.log2(tp))
            / 2.0
            * sharded
        )
        layers = shape.layers_per_stage
        coefficients: StepCoefficients[Num] = StepCoefficients(
            pp=shape.pp,
            n=eff.overlap_exponent,
            inv_n=1.0 / eff.overlap_exponent,
            num_experts=shape.num_experts,
            keep=1.0 - shape.experts_per_token / shape.num_experts,
            spread=shape.expert_spread,
            dense_s=shape.dense_bytes / hbm,
            expert_s=shape.expert_bytes / hbm,
            token_flop_s=shape.dense_flops_per_token / gemm
            + shape.expert_flops_per_token
            / (
                hw.gemm_flops_per_s
                * expert_gemm_efficiency(eff.moe_compute_efficiency * matmul, shape.expert_width)
            ),
            head_flop_s=shape.head_flops_per_token / gemm,
            window_share=kv_window / (kv_global + kv_window),
            window_tokens=shape.window_tokens,
            kv_global_s=kv_global / hbm,
            kv_window_s=kv_window / hbm,
            pair_s=shape.prefill_flops_per_pair / attn,
            context_s=shape.decode_flops_per_context_token / attn,
            sparse_tokens=shape.sparse_tokens,
            index_kv_s=shape.index_bytes_per_context_token / hbm,
            index_pair_s=shape.index_flops_per_pair / attn,
            state_s=STATE_PASSES * shape.state_bytes_per_sequence / hbm,
            # Data-parallel attention with spread experts waits for its slowest GPU.
            imbalance=1.0 + shape.expert_parallel * (1.0 / eff.expert_parallel_efficiency - 1.0),
            comm_token_s=comm_token_s,
            comm_fixed_s=comm_fixed_s,
            layer_s=layers * eff.layer_overhead_s
            + shape.moe_layers_per_stage * eff.moe_layer_overhead_s,
            eager_s=layers * eff.prefill_layer_overhead_s
            + shape.moe_layers_per_stage * eff.moe_prefill_layer_overhead_s,
            dequant_s=shape.dequant_bytes / hbm,
            fixed_s=(shape.pp - 1.0) * PIPELINE_HOP_LATENCY_S + eff.step_overhead_s,
            seq_s=shape.sequence_share * eff.seq_overhead_s,
            # With data-parallel attention each GPU runs (and captures) its own share.
            graph_bs=graph_max_batch / shape.sequence_share,
            shared_tokens=shared_context_tokens,
            moe=bool(np.count_nonzero(np.greater(shape.expert_bytes, 0.0))),
            windowed=bool(np.count_nonzero(np.greater(kv_window, 0.0))),
            grouped=bool(np.count_nonzero(np.greater(shape.expert_spread, 0.0))),
            sparse=bool(np.count_nonzero(np.greater(shape.sparse_tokens, 0.0))),
            staged=bool(np.count_nonzero(np.not_equal(shape.pp, 1.0))),
            stateful=bool(np.count_nonzero(np.greater(shape.state_bytes_per_sequence, 0.0))),
            shared=bool(np.count_nonzero(shared_context_tokens)),
        )
        return coefficients

    def floats(self) -> StepCoefficients[float]:
        """The same coefficients as plain floats (one configuration)."""
        flags = {"moe", "windowed", "grouped", "sparse", "staged", "stateful", "shared"}
        values: dict[str, Any] = {
            f.name: float(getattr(self, f.name)) for f in fields(self) if f.name not in flags
        }
        return StepCoefficients(
            **values,
            moe=self.moe,
            windowed=self.windowed,
            grouped=self.grouped,
            sparse=self.sparse,
            staged=self.staged,
            stateful=self.stateful,
            shared=self.shared,
        )

    def time_s(
        self,
        prefill_tokens: Num,
        prefill_attn_tokens: Num,
        decode_seqs: Num,
        decode_kv_tokens: Num,
        eager_share: Num | None = None,
    ) -> Num:
        """Seconds of one step, elementwise (:func:`step_time`). ``eager_share``: the share of
        decode-only steps that run eagerly where the batch varies around ``decode_seqs``
        (default: 1 above the largest captured CUDA graph, else 0); a step that carries
        prefill always does."""
        pp = self.pp
        p, d, kv = prefill_tokens, decode_seqs, decode_kv_tokens
        all_pairs = prefill_attn_tokens
        if self.shared:
            # A shared prefix in the cache: every sequence reads it, every new token attends.
            kv = kv + d * self.shared_tokens
            all_pairs = all_pairs + p * self.shared_tokens
        if self.staged:
            p, d, kv, all_pairs = p / pp, d / pp, kv / pp, all_pairs / pp
        tokens = p + d
        t_memory: Num = self.dense_s
        if self.moe:
            t_memory = t_memory + touched_experts(self, tokens) * self.expert_s
        t_compute = self.token_flop_s * tokens + self.head_flop_s * d
        # The linear layers' corner n = 2 (LINEAR_OVERLAP_EXPONENT): (a² + b²)^(1/2).
        t_linear = np.hypot(t_memory, t_compute)
        pairs, attended = all_pairs, kv
        if self.sparse:
            # Sparse attention reads and computes only the top k cached tokens per query.
            attended = sparse_attended(kv, d, self.sparse_tokens)
            pairs = sparse_attended(pairs, p, self.sparse_tokens)
        t_kv = attended * self.kv_global_s
        if self.windowed:
            # Sliding-window layers attend to at most `window` cached tokens per new token.
            pairs = pairs + self.window_share * (fmin(pairs, p * self.window_tokens) - pairs)
            t_kv = t_kv + fmin(kv, d * self.window_tokens) * self.kv_window_s
        t_flops = self.pair_s * pairs + self.context_s * attended
        if self.sparse:
            # Its indexer reads every cached token's key and scores every pair.
            t_kv = t_kv + kv * self.index_kv_s
            t_flops = t_flops + self.index_pair_s * (all_pairs + kv)
        if self.stateful:
            # Linear-attention layers read and rewrite each decoding sequence's state.
            t_kv = t_kv + d * self.state_s
        t_attn = _soft_max(t_kv, t_flops, self.n, self.inv_n)
        stage = (
            (t_linear + t_attn) * self.imbalance
            + self.comm_token_s * tokens
            + self.comm_fixed_s
            + self.layer_s
            + np.maximum(
                np.greater(p, 0.0),
                np.greater(d, self.graph_bs) if eager_share is None else eager_share,
            )
            * self.eager_s
            + np.greater(p, 0.0) * self.dequant_s
        )
        if self.staged:
            stage = pp * stage
        return np.asarray(stage + self.fixed_s + decode_seqs * self.seq_s)


#: Sharpness ``n`` of the linear layers' roofline corner: their time is
#: ``(t_memory^n + t_compute^n)^(1/n)``, √2 = 1.41× the larger term where the two are equal.
#: Source: the GEMM kernels AIConfigurator measured (aiconfigurator-core 0.12.0,
#: ``gemm_perf.parquet``; ``bench/kernel_check.py``, "Roofline corner"): fitting
#: ``c + softmax_n(bytes / (HBM·η_b), FLOPs / (peak·η_c))`` to TensorRT-LLM's GEMMs of M 8-4,096
#: whose weights stream from HBM, the best ``n`` is 2 for A100 BF16 and H100/H200 FP8, 3 for
#: H100/H200 BF16 and 1.5 for L40S, and ``n`` = 2 is within 0.004 of every group's best
#: log-RMS (1.24, the corner fitted until session 34, is up to 0.039 worse: 0.108 against 0.069
#: on H100 BF16). The fitted ``overlap_exponent`` stays attention's corner. The step time
#: takes it as ``np.hypot`` (a test pins the two together).
LINEAR_OVERLAP_EXPONENT = 2.0
_LINEAR_INV_N = 1.0 / LINEAR_OVERLAP_EXPONENT

#: Per-GPU width (intermediate columns) of one routed expert's slice at which
#: ``moe_compute_efficiency`` holds: DeepSeek-V3's 2,048, the fine-grained MoE layout most of
#: the calibration set's MoE measurements share.
EXPERT_WIDTH_REFERENCE = 2048.0
#: Exponent of the expert matmuls' efficiency in that width, ``(w / 2048)^0.25``: a narrow
#: slice (fine-grained experts, or experts sharded over many GPUs) fills the tensor cores'
#: tiles worse and spends more of its time permuting tokens than a wide one; Mixtral's
#: 14,336-column experts run 1.6× as efficiently as DeepSeek's 2,048, a 256-column TP8 shard
#: 0.59×. Chosen by held-out validation among 0.15, 0.25 and 0.4 (docs/perf-validation.md,
#: session 23). AIConfigurator's measured MoE kernels grow as ``w^0.14`` within each GPU,
#: engine and dtype (``bench/kernel_check.py``); 0.15 lost held out again in session 50.
EXPERT_WIDTH_EXPONENT = 0.25


def expert_gemm_efficiency(moe_compute_efficiency: Num, expert_width: Num) -> Num:
    """Share of the tensor peak the routed-expert matmuls reach for experts ``expert_width``
    columns wide on one GPU (never above 1)."""
    scale = (np.maximum(expert_width, 1.0) / EXPERT_WIDTH_REFERENCE) ** EXPERT_WIDTH_EXPONENT
    return np.asarray(np.minimum(moe_compute_efficiency * scale, 1.0))


def block_fp8_factor(
    shape: StepShape, hw: HardwareRates, eff: EfficiencyParams | ParamArrays
) -> Num:
    """The factor on the fitted compute efficiencies of block-scaled FP8 matmuls on FP8 tensor
    cores (``block_fp8_matmul_factor``; 1 for every other matmul)."""
    return 1.0 + hw.fp8_matmul * shape.block_scaled_fp8 * (eff.block_fp8_matmul_factor - 1.0)


def touched_experts(c: StepCoefficients[Any], tokens: Num) -> Num:
    """Experts' worth of weights the busiest GPU reads for ``tokens`` tokens: the expected
    distinct experts ``E q`` (``q = 1 − keep^T``), plus the busiest group's excess when the
    experts are spread over groups (:mod:`~predeploy.core.roofline`)."""
    touched = 1.0 - c.keep**tokens
    experts = c.num_experts * touched
    if c.grouped:
        experts = experts + c.spread * np.sqrt(np.maximum(touched * (1.0 - touched), 0.0))
    return np.asarray(experts)


def _touched_experts(c: StepCoefficients[float], tokens: float) -> float:
    """:func:`touched_experts` for one configuration's floats (the simulator's hot path)."""
    touched = 1.0 - c.keep**tokens
    experts = c.num_experts * touched
    if c.spread:
        experts += c.spread * math.sqrt(max(touched * (1.0 - touched), 0.0))
    return float(experts)


def _soft_max(a: Num, b: Num, n: Num, inv_n: Num) -> Num:
    """:func:`~predeploy.core.roofline.smooth_max` with the exponent's inverse precomputed."""
    hi = np.maximum(a, b)
    lo = np.minimum(a, b)
    return np.asarray(hi * (1.0 + (lo / np.maximum(hi, 1e-30)) ** n) ** inv_n)


class ParamArrays(Protocol):
    """Efficiency parameters as attributes holding floats or arrays (one per scenario)."""

    @property
    def bandwidth_efficiency(self) -> Num: ...
    @property
    def compute_efficiency(self) -> Num: ...
    @property
    def block_fp8_matmul_factor(self) -> Num: ...
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
    def moe_prefill_layer_overhead_s(self) -> Num: ...
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
        expert_groups: int = 1,
        graph_max_batch: float = math.inf,
        fp16_accumulate: bool = False,
    ) -> None:
        self._bind(
            step_shape(
                model,
                precision,
                tp,
                pp,
                kv_cache_dtype,
                expert_parallel=expert_parallel,
                expert_groups=expert_groups,
            ),
            hardware_rates(gpu, precision, tp, fp16_accumulate=fp16_accumulate),
            params,
            graph_max_batch,
        )

    @classmethod
    def of(
        cls,
        shape: StepShape,
        hardware: HardwareRates,
        params: EfficiencyParams,
        graph_max_batch: float = math.inf,
        shared_context_tokens: float = 0.0,
    ) -> RooflineStepCost:
        """The step cost of constants already derived (a prepared scenario's ``shape`` and
        ``hw``), so the simulation prices the configuration the analytic mode does
        (``shared_context_tokens``: :meth:`StepCoefficients.of`)."""
        cost = cls.__new__(cls)
        cost._bind(shape, hardware, params, graph_max_batch, shared_context_tokens)
        return cost

    def _bind(
        self,
        shape: StepShape,
        hardware: HardwareRates,
        params: EfficiencyParams,
        graph_max_batch: float,
        shared_context_tokens: float = 0.0,
    ) -> None:
        self.shape = shape
        self.hardware = hardware
        self.params = params
        self.coefficients = StepCoefficients.of(
            shape, hardware, params, graph_max_batch, shared_context_tokens
        ).floats()

    def step_time_s(
        self,
        prefill_tokens: int,
        prefill_attn_tokens: float,
        decode_seqs: int,
        decode_kv_tokens: int,
    ) -> float:
        c = self.coefficients
        pp = c.pp
        p = prefill_tokens / pp
        d = decode_seqs / pp
        kv = (decode_kv_tokens + decode_seqs * c.shared_tokens) / pp
        tokens = p + d
        n = c.n
        t_memory = c.dense_s + _touched_experts(c, tokens) * c.expert_s
        t_compute = c.token_flop_s * tokens + c.head_flop_s * d
        t_linear = _smooth_max(t_memory, t_compute, LINEAR_OVERLAP_EXPONENT, _LINEAR_INV_N)
        pairs = (prefill_attn_tokens + prefill_tokens * c.shared_tokens) / pp
        share = c.window_share
        if share:
            window_pairs = min(pairs, p * c.window_tokens)
            pairs = pairs * (1.0 - share) + window_pairs * share
        window_kv = min(kv, d * c.window_tokens)
        if c.sparse_tokens:
            # Sparse attention: the top k tokens per query; its indexer reads and scores all.
            attended = min(kv, d * c.sparse_tokens)
            t_kv = attended * c.kv_global_s + window_kv * c.kv_window_s + kv * c.index_kv_s
            flops = (
                c.pair_s * min(pairs, p * c.sparse_tokens)
                + c.context_s * attended
                + c.index_pair_s * (pairs + kv)
            )
        else:
            t_kv = kv * c.kv_global_s + window_kv * c.kv_window_s
            flops = c.pair_s * pairs + c.context_s * kv
        t_kv += d * c.state_s
        t_attn = _smooth_max(t_kv, flops, n, c.inv_n)
        stage = (t_linear + t_attn) * c.imbalance
        stage += c.comm_token_s * tokens + c.comm_fixed_s + c.layer_s
        stage += c.eager_s if p > 0.0 or d > c.graph_bs else 0.0
        stage += c.dequant_s if p > 0.0 else 0.0
        return pp * stage + c.fixed_s + decode_seqs * c.seq_s

    def decode_step_times_s(
        self, decode_seqs: int, decode_kv_tokens: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """:meth:`step_time_s` of decode-only steps (``P = A = 0``) at each KV total, as arrays:
        only the attention term depends on the context (a test checks it step by step)."""
        c = self.coefficients
        pp = c.pp
        n, inv_n = c.n, c.inv_n
        d = decode_seqs / pp
        t_memory = c.dense_s + _touched_experts(c, d) * c.expert_s
        t_compute = (c.token_flop_s + c.head_flop_s) * d
        t_linear = _smooth_max(t_memory, t_compute, LINEAR_OVERLAP_EXPONENT, _LINEAR_INV_N)
        kv = (decode_kv_tokens + decode_seqs * c.shared_tokens) / pp
        if c.sparse_tokens:
            attended = np.minimum(kv, d * c.sparse_tokens)
            t_kv = attended * c.kv_global_s + kv * c.index_kv_s
            t_ctx = c.context_s * attended + c.index_pair_s * kv
        else:
            t_kv = kv * c.kv_global_s
            t_ctx = c.context_s * kv
        if c.kv_window_s:
            t_kv = t_kv + np.minimum(kv, d * c.window_tokens) * c.kv_window_s
        t_kv = t_kv + d * c.state_s
        hi = np.maximum(t_kv, t_ctx)
        lo = np.minimum(t_kv, t_ctx)
        safe = np.where(hi > 0.0, hi, 1.0)
        t_attn = np.where(hi > 0.0, hi * (1.0 + (lo / safe) ** n) ** inv_n, 0.0)
        stage = (t_linear + t_attn) * c.imbalance
        stage = stage + c.comm_token_s * d + c.comm_fixed_s + c.layer_s
        if d > c.graph_bs:
            stage = stage + c.eager_s
        return np.asarray(pp * stage + c.fixed_s + decode_seqs * c.seq_s, dtype=np.float64)


def _smooth_max(a: float, b: float, n: float, inv_n: float) -> float:
    """:func:`~predeploy.core.roofline.smooth_max` for two floats."""
    hi, lo = (a, b) if a >= b else (b, a)
    if hi <= 0.0:
        return 0.0
    return float(hi * (1.0 + (lo / hi) ** n) ** inv_n)
