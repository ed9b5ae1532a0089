"""Roofline arithmetic of one engine iteration: bytes moved, FLOPs done, bytes exchanged.

An iteration (a "step") of a continuous-batching engine runs ``P`` new prompt tokens and ``D``
decoding sequences through every layer. Per GPU of one pipeline stage it

* reads the dense weights once, plus the routed experts the step's ``T = P + D`` tokens touch
  (MoE): with ``k`` of ``E`` experts per token the expected number of distinct experts is
  ``E × (1 − (1 − k/E)^T)`` per layer. With the experts spread whole over ``g`` groups of
  GPUs (expert parallelism under tensor-parallel attention) every group reads its own
  touched experts and the step waits for the busiest: each expert is touched with
  probability ``q = 1 − (1 − k/E)^T``, a group of ``E/g`` experts touches ``E q / g`` on
  average with variance ``(E/g) q (1 − q)``, and the most of ``g`` such groups exceeds the
  mean by ``z_g`` standard deviations (:func:`expected_max_of_normals`), so the busiest GPU
  reads as many bytes as ``E q + z_g √(g E q (1 − q))`` experts sharded over all ``tp``
  GPUs (2.4 experts' worth instead of 1 for one token routed to 8 of 256 experts over 8
  groups; the excess fades as ``T`` grows);
* reads the KV cache of the decoding sequences (``K`` = Σ context tokens, window layers capped);
* does ``2 × active linear params × T`` FLOPs of matmuls (dense layers and routed experts
  counted apart: they run as different kernels) plus attention FLOPs: prefill pairs
  ``A`` (Σ chunk × (cached context + chunk / 2)) and decode context tokens ``K``;
* all-reduces the hidden state twice per layer under tensor parallelism (ring algorithm:
  ``2 (tp − 1)/tp × bytes`` over the link plus ``2 (tp − 1)`` hop latencies).

Every function here accepts plain floats or numpy arrays (elementwise), so the same formula
drives the simulator's hot path and the vectorized calibration.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np

from predeploy.core.kv_cache import DEFAULT_MLA_ROPE_DIM, indexed_layer_share, kv_layout
from predeploy.core.types import GpuSpec, KvCacheDtype, ModelArchitecture, Precision
from predeploy.core.weights import (
    BYTES_PER_WEIGHT,
    UNQUANTIZED_BYTES_PER_WEIGHT,
    linear_bytes_per_weight,
    param_breakdown,
)

Num: TypeAlias = float | np.ndarray

#: Bytes of one activation element exchanged in tensor-parallel all-reduces (bf16/fp16).
ACTIVATION_BYTES = 2.0

#: All-reduces per transformer layer under tensor parallelism: after attention (o_proj) and
#: after the MLP (down_proj) — Megatron-LM tensor parallelism (Shoeybi et al. 2019, §3).
ALLREDUCES_PER_LAYER = 2

#: Latency of one small all-reduce relative to an NVLink/NVSwitch system (the fitted
#: ``allreduce_latency_s`` is the NVLink figure). Decode all-reduces are latency-bound and run
#: as one-shot/two-shot kernels that write to every peer directly over the switch (vLLM custom
#: all-reduce ~8-10 µs at 2-8 GPUs, TensorRT-LLM's fused NVLS all-reduce less); Infinity
#: Fabric meshes are similar; over PCIe each step goes through the host bridge (NCCL ring,
#: ~3x slower). Estimated from NCCL tests and vLLM custom all-reduce benchmarks.
LINK_LATENCY_FACTOR: dict[str, float] = {
    "nvlink": 1.0,
    "infinity-fabric": 1.33,
    # Ascend 910B's HCCS full mesh of 8 NPUs: taken to be like Infinity Fabric's (not measured).
    "hccs": 1.33,
    "pcie": 3.3,
    "none": 3.3,
}

#: GPUs whose NVLink switches can reduce all-reduce data in the switch (NVLink SHARP, "NVLS":
#: third-generation NVSwitch with Hopper and later, within one NVLink domain; NCCL uses it for
#: all-reduce by default where supported: NVIDIA/nccl#1031, #1286). H200-NVL's bridges and
#: GH200 have no NVSwitch; A100's second-generation NVSwitch cannot reduce.
SWITCH_REDUCTION_GPUS = frozenset({"H100-SXM", "H200", "B200", "GB200", "B300", "GB300"})

#: All-reduce bus bandwidth of NVLink SHARP over the ring's, by GPU count, measured with
#: nccl-tests on 8x H100 SXM (NVIDIA/nccl#1455, 2-4 GB messages): the ring reaches 365-370 GB/s
#: at 2-8 GPUs; NVLS the same at 2-4 GPUs and 420, 440, 460, 480 GB/s at 5-8 (NCCL's
#: maintainer: "On 8 GPUs, you should reach a peak busBw of ~480GB/s", nccl-tests#212).
#: Assumed the same on Blackwell's NVSwitch (not measured here).
SWITCH_REDUCTION_GAIN: dict[int, float] = {5: 420 / 370, 6: 440 / 370, 7: 460 / 370, 8: 480 / 370}

#: PCIe Gen4 x16 unidirectional bandwidth, GB/s (PCI-SIG), used when a GPU states no link.
PCIE_GEN4_GB_S = 32.0

#: Time to pass a microbatch between pipeline stages beyond the bandwidth term (one send/recv).
PIPELINE_HOP_LATENCY_S = 20e-6


def fmin(a: Num, b: Num) -> Num:
    """Elementwise minimum for floats or arrays."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.minimum(a, b)
    return a if a < b else b


def fmax(a: Num, b: Num) -> Num:
    """Elementwise maximum for floats or arrays."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.maximum(a, b)
    return a if a > b else b


def smooth_max(a: Num, b: Num, exponent: Num) -> Num:
    """``(a^n + b^n)^(1/n)``: the roofline max with a soft corner (n → ∞ is ``max(a, b)``).

    Always ≥ ``max(a, b)``, so the soft corner never beats the physical bound. Computed on the
    ratio to the larger term to stay finite for large exponents.
    """
    hi = fmax(a, b)
    lo = fmin(a, b)
    safe = fmax(hi, 1e-30)
    return hi * (1.0 + (lo / safe) ** exponent) ** (1.0 / exponent)


def compute_tflops(gpu: GpuSpec, precision: Precision, *, fp16_accumulate: bool = False) -> float:
    """Dense tensor throughput the matmuls of ``precision`` run at.

    fp8 weights use fp8 tensor cores where the GPU has them (W8A8), else 16-bit (W8A16, vLLM
    Marlin); int8 uses int8 tensor ops where stated; fp4 uses fp4 tensor cores on Blackwell,
    else 16-bit (W4A16); int4 is weight-only (W4A16) everywhere.

    ``fp16_accumulate`` (an engine whose GEMMs accumulate in FP16, llama.cpp): every precision
    but BF16 runs at the FP16-accumulate rate, twice the FP32-accumulate one on GeForce cards
    (:attr:`GpuSpec.fp16_accumulate_tflops`). Its FP16 GEMMs call cuBLAS with
    ``CUBLAS_COMPUTE_16F``; its quantized weights run int8 MMA kernels whose peak is twice the
    FP16-accumulate rate on GeForce and data-center parts alike, so that rate is their common
    reference and their lower share of it is the engine's fitted efficiency. BF16 GEMMs
    accumulate in FP32 (ggml-cuda ``ggml_cuda_op_mul_mat_cublas``).
    """
    if fp16_accumulate and precision != Precision.BF16:
        return gpu.fp16_accumulate_tflops or gpu.fp16_tflops
    bf16 = gpu.bf16_tflops
    if precision == Precision.FP16:
        return gpu.fp16_tflops
    if precision == Precision.FP8:
        return gpu.fp8_tflops or bf16
    if precision == Precision.INT8:
        return gpu.int8_tops or bf16
    if precision == Precision.FP4:
        return gpu.fp4_tflops or bf16
    return bf16


#: Median sustained matmul share (``GpuSpec.sustained_matmul_share``) of each vendor's measured
#: accelerators in the catalogue; the fitted compute efficiencies are relative to it. NVIDIA:
#: L40 0.94, A100 SXM 0.87, GH200 0.84, H100/H200 SXM 0.80, B300 0.79, B200 0.78, RTX 4000
#: Ada 0.77, RTX 6000 Ada 0.77, L4 0.76, GB200 0.73, L40S 0.70, H100 PCIe 0.66, H100 NVL 0.59
#: (median 0.776; 0.80 before session 70 added the PCIe and Ada cards). AMD: MI325X 0.604,
#: MI300X 0.514 (median 0.559; the MI325X's 1,000 W hold a higher clock than the MI300X's 750 W
#: at the same peak; AMD's own hipBLASLt figures give the same 1.19x: ROCm blog "Measuring
#: Max-Achievable FLOPs - Part 2", BF16 843 against 708 TFLOP/s). Sources: stas00/ml-engineering,
#: compute/accelerator/README.md, "Maximum Achievable Matmul FLOPS comparison table" (BF16), and
#: mag-/gpu_benchmark's README for the cards it lacks (data/gpus.yaml).
VENDOR_SUSTAINED_MATMUL_SHARE: dict[str, float] = {"nvidia": 0.776, "amd": 0.559}


def fp8_tensor_matmul(gpu: GpuSpec, precision: Precision, fp16_accumulate: bool) -> bool:
    """Whether FP8 weights run their matmuls on the GPU's FP8 tensor cores (W8A8: Hopper,
    Ada, Blackwell, MI300) rather than at the 16-bit rate (W8A16 on an A100), as
    :func:`compute_tflops` prices them (an engine whose GEMMs accumulate in FP16, llama.cpp,
    runs none)."""
    return (
        precision == Precision.FP8 and not fp16_accumulate and gpu.fp8_tflops is not None
    )


def sustained_clock_factor(gpu: GpuSpec) -> float:
    """How much more of its peak ``gpu`` sustains under dense matmuls than its vendor's median
    measured accelerator (1 where not measured): an A100, which holds its clock, 1.12; a GB200,
    0.94; an L40S, held back by its 350 W, 0.90; an MI325X 1.08 and an MI300X 0.92. It scales
    the fitted compute efficiencies, never beyond the peak."""
    reference = VENDOR_SUSTAINED_MATMUL_SHARE.get(gpu.vendor)
    if gpu.sustained_matmul_share is None or reference is None:
        return 1.0
    return gpu.sustained_matmul_share / reference


def link_bytes_per_s(gpu: GpuSpec) -> float:
    """Per-GPU unidirectional bandwidth to its tensor-parallel peers, bytes/s."""
    gb_s = gpu.interconnect_gb_s if gpu.interconnect_gb_s else PCIE_GEN4_GB_S
    return gb_s * 1e9


@dataclass(frozen=True, slots=True)
class StepShape:
    """Per-GPU, per-pipeline-stage constants of one (model, precision, tp, pp, KV dtype).

    Units: bytes, FLOPs, tokens. ``num_experts``/``experts_per_token`` are 1/1 with
    ``expert_bytes`` 0 for dense models, so the MoE term vanishes.
    """

    dense_bytes: Num
    expert_bytes: Num
    num_experts: Num
    experts_per_token: Num
    dense_flops_per_token: Num
    expert_flops_per_token: Num
    head_flops_per_token: Num
    prefill_flops_per_pair: Num
    decode_flops_per_context_token: Num
    kv_bytes_per_context_token: Num
    kv_window_bytes_per_context_token: Num
    window_tokens: Num
    allreduce_bytes_per_token: Num
    allreduces_per_stage: Num
    layers_per_stage: Num
    moe_layers_per_stage: Num
    pp: Num
    #: Share of the batch's sequences each GPU's host loop handles (1, or ``1/tp`` when
    #: attention is data-parallel and every rank schedules its own requests).
    sequence_share: Num = 1.0
    #: 1 when attention is data-parallel with the experts spread over the GPUs, else 0.
    expert_parallel: Num = 0.0
    #: ``z_g √(g E)`` of experts spread whole over ``g`` groups under tensor-parallel attention
    #: (module docstring; the busiest group's excess of touched experts is this times
    #: ``√(q (1 − q))``), 0 when the experts are sharded over every GPU.
    expert_spread: Num = 0.0
    #: Intermediate width of one routed expert's slice on one GPU (columns of its gate/up
    #: matmul; 0 for dense models): the full width over the GPUs that shard each expert.
    expert_width: Num = 0.0
    #: DeepSeek Sparse Attention: cached tokens each query's attention reads (0: dense), the
    #: indexer's key bytes per context token and its FLOPs per (query, cached token) pair
    #: (FP8, counted in BF16-equivalent FLOPs: :data:`INDEXER_FP8_SPEEDUP`).
    sparse_tokens: Num = 0.0
    index_bytes_per_context_token: Num = 0.0
    index_flops_per_pair: Num = 0.0
    #: Bytes each prompt-carrying step spends converting quantized weights to FP16 before its
    #: matmuls (0 where the kernels read the quantized weights directly).
    dequant_bytes: Num = 0.0
    #: Bytes of one running sequence's linear-attention state on one GPU of one stage, which
    #: a decode step reads and writes back (:data:`STATE_PASSES`); 0 without such layers.
    state_bytes_per_sequence: Num = 0.0
    #: 1 where FP8 weights carry a scale per square block (``ModelArchitecture.
    #: fp8_weight_block``: DeepSeek V3's and Qwen3's 128 × 128), else 0.
    block_scaled_fp8: Num = 0.0


@dataclass(frozen=True, slots=True)
class HardwareRates:
    """Peak rates of one GPU: HBM bytes/s, matmul and attention FLOP/s, link bytes/s and the
    relative latency of an all-reduce over its link (``LINK_LATENCY_FACTOR``). ``tp`` is how
    many GPUs share each all-reduce."""

    hbm_bytes_per_s: Num
    gemm_flops_per_s: Num
    attention_flops_per_s: Num
    link_bytes_per_s: Num
    link_latency_factor: Num
    tp: Num
    #: An all-reduce's speed-up from reduction in the NVLink switch, less 1 (0 without it).
    switch_reduction: Num = 0.0
    #: The GPU's sustained matmul share relative to its vendor's (:func:`sustained_clock_factor`).
    sustained_factor: Num = 1.0
    #: 1 where the matmuls run on FP8 tensor cores (:func:`fp8_tensor_matmul`), else 0.
    fp8_matmul: Num = 0.0


#: DeepSeek Sparse Attention's indexer computes its logits in FP8 (DeepGEMM's
#: ``fp8_mqa_logits``): twice the BF16 tensor rate on Hopper and Blackwell, the only GPUs its
#: kernels support; its FLOPs are counted at half weight against the BF16 attention peak.
INDEXER_FP8_SPEEDUP = 2.0

#: A dequantizing prompt step reads each quantized weight and writes it back as FP16 (2 bytes)
#: before cuBLAS reads it for the matmul (that read overlaps the matmul's compute).
DEQUANT_WRITE_BYTES_PER_WEIGHT = 2.0


def step_shape(
    model: ModelArchitecture,
    precision: Precision,
    tp: int,
    pp: int = 1,
    kv_cache_dtype: KvCacheDtype = KvCacheDtype.AUTO,
    *,
    expert_parallel: bool = False,
    expert_groups: int = 1,
    sharded_experts: bool = False,
    dequantized_prefill: bool = False,
) -> StepShape:
    """The per-GPU, per-stage step constants of a configuration (see module docstring).

    ``expert_parallel`` (MoE models only; "wide EP"): attention runs data-parallel over the
    ``tp`` GPUs and the routed experts are spread over them whole. Per GPU, in the batch-global
    terms of :func:`~predeploy.core.latency.step_time`: the non-expert weights are read whole
    (every GPU holds them), FLOPs per token are unchanged (each GPU runs all heads and whole
    experts for ``1/tp`` of the tokens), the KV cache is read for the GPU's own requests only
    (``1/tp`` of a token's KV, no head replication), the two all-reduces per layer give way to
    one dispatch and one combine all-to-all per MoE layer, and each GPU's host loop handles
    ``1/tp`` of the sequences. The all-to-alls send a token's hidden state once to every other
    GPU that holds at least one of its ``k`` experts (each of the ``tp − 1`` with probability
    ``q``, :func:`rank_hit_probability`), not once per expert: ``2 (tp−1)/tp × hidden × q``
    per token, written in the ring all-reduce's form with ``hidden × q`` bytes.

    ``sharded_experts`` (with ``expert_parallel``): the experts are sharded over the ``tp``
    GPUs instead of spread whole (vLLM's data-parallel ranks without expert parallelism): each
    GPU holds the same share of every expert's weights (narrow slices), and every token's hidden
    state is gathered to all of them and its expert output reduced back, an all-reduce's bytes
    per MoE layer in place of the dispatch and combine.

    ``expert_groups`` ``g`` (MoE models under tensor-parallel attention): the experts are
    spread whole over ``g`` groups of ``tp/g`` GPUs (expert parallelism ``g``; capped at
    ``tp``). Bytes per GPU, FLOPs and all-reduces are those of sharding (every GPU holds the
    same share of the expert weights and the MoE output is all-reduced as before); the step
    waits for the group that touches the most experts (``expert_spread``)."""
    wide = expert_parallel and model.is_moe and tp > 1
    groups = min(max(expert_groups, 1), tp) if model.is_moe and not wide else 1
    parts = param_breakdown(model)
    split = float(tp * pp)
    linear_bytes = parts.linear * linear_bytes_per_weight(model, precision)
    lm_head_bytes = (parts.lm_head or parts.embedding) * UNQUANTIZED_BYTES_PER_WEIGHT
    dense_bytes = (linear_bytes + lm_head_bytes) / (float(pp) if wide else split)
    expert_bytes = parts.one_expert * BYTES_PER_WEIGHT[precision] / split
    active_expert_params = parts.one_expert * model.experts_per_token
    dense_flops = 2.0 * parts.linear / split
    expert_flops = 2.0 * active_expert_params / split
    head_flops = 2.0 * float(model.hidden_size * model.vocab_size) / tp / pp
    layers = model.num_layers / pp
    attn_layers = (model.num_layers - model.linear_attention_layers) / pp
    heads_per_gpu = model.num_attention_heads / tp
    if model.mla_kv_lora_rank is not None:
        rope = model.mla_qk_rope_head_dim or DEFAULT_MLA_ROPE_DIM
        # Prefill runs MHA on decompressed K/V (qk = head_dim + rope, v = head_dim);
        # decode runs absorbed MQA over the latent: qk = rank + rope, v = rank.
        prefill_pair = 2.0 * heads_per_gpu * (2 * model.head_dim + rope) * attn_layers
        decode_ctx = 2.0 * heads_per_gpu * (2 * model.mla_kv_lora_rank + rope) * attn_layers
    else:
        prefill_pair = 4.0 * heads_per_gpu * model.head_dim * attn_layers
        decode_ctx = prefill_pair
    layout = kv_layout(model, tp, pp, kv_cache_dtype, precision, expert_parallel=wide)
    # Wide EP keeps every expert whole on one GPU (or, sharded, splits it over all tp);
    # otherwise each is sharded over the tp/g GPUs of its group.
    sharded = wide and sharded_experts
    expert_shards = tp if sharded else 1 if wide else tp // groups
    moe_layers = (model.num_layers - model.num_dense_layers) / pp if model.is_moe else 0.0
    if wide:
        reached = (
            1.0
            if sharded
            else rank_hit_probability(model.num_experts, model.experts_per_token, tp)
        )
        allreduce_bytes = model.hidden_size * ACTIVATION_BYTES * reached
        allreduces = float(moe_layers)
    else:
        allreduce_bytes = float(model.hidden_size) * ACTIVATION_BYTES
        allreduces = float(ALLREDUCES_PER_LAYER * layers) if tp > 1 else 0.0
    # The sparse-attention indexer runs whole on every tensor-parallel rank (its projections
    # are replicated), on each GPU's own tokens under data-parallel attention.
    index_flops = (
        2.0 * (model.indexer_heads or 0) * (model.indexer_head_dim or 0) * attn_layers
        * indexed_layer_share(model)
        / (tp if wide else 1)
        / INDEXER_FP8_SPEEDUP
    )
    # The linear layers' own bytes are read, and written back as FP16, before each matmul.
    dequant = (
        (linear_bytes + parts.linear * DEQUANT_WRITE_BYTES_PER_WEIGHT) / split
        if dequantized_prefill
        else 0.0
    )
    return StepShape(
        dequant_bytes=dequant,
        block_scaled_fp8=float(precision == Precision.FP8 and model.fp8_weight_block is not None),
        dense_bytes=dense_bytes,
        expert_bytes=expert_bytes,
        num_experts=float(model.num_experts) if model.is_moe else 1.0,
        experts_per_token=float(model.experts_per_token) if model.is_moe else 1.0,
        dense_flops_per_token=dense_flops,
        expert_flops_per_token=expert_flops,
        head_flops_per_token=head_flops,
        prefill_flops_per_pair=prefill_pair,
        decode_flops_per_context_token=decode_ctx,
        kv_bytes_per_context_token=layout.global_bytes_per_token,
        kv_window_bytes_per_context_token=layout.window_bytes_per_token,
        window_tokens=float(layout.window_tokens or 0),
        allreduce_bytes_per_token=allreduce_bytes,
        allreduces_per_stage=allreduces,
        layers_per_stage=layers,
        moe_layers_per_stage=moe_layers,
        pp=float(pp),
        sequence_share=1.0 / tp if wide else 1.0,
        expert_parallel=1.0 if wide else 0.0,
        expert_spread=expected_max_of_normals(groups) * math.sqrt(groups * model.num_experts)
        if groups > 1
        else 0.0,
        # One expert's parameters per MoE layer are 3 × hidden × width (gate, up, down).
        expert_width=parts.one_expert
        / (3.0 * model.hidden_size * max(model.num_layers - model.num_dense_layers, 1))
        / expert_shards
        if model.is_moe
        else 0.0,
        sparse_tokens=float(model.sparse_attention_topk or 0),
        index_bytes_per_context_token=layout.index_bytes_per_token,
        index_flops_per_pair=index_flops,
        state_bytes_per_sequence=layout.state_bytes_per_sequence,
    )


def switch_reduction_gain(gpu: GpuSpec, tp: int) -> float:
    """How much faster an all-reduce over ``tp`` GPUs runs with NVLink SHARP than as a ring
    (1 where the switch cannot reduce, and at GPU counts not measured: up to 4 it gains
    nothing, beyond one 8-GPU node it is not measured)."""
    if gpu.name not in SWITCH_REDUCTION_GPUS:
        return 1.0
    return SWITCH_REDUCTION_GAIN.get(tp, 1.0)


def hardware_rates(
    gpu: GpuSpec, precision: Precision, tp: int, *, fp16_accumulate: bool = False
) -> HardwareRates:
    """Peak rates of ``gpu`` for matmuls at ``precision`` (attention runs in 16 bits);
    ``fp16_accumulate``: the engine's GEMMs accumulate in FP16 (:func:`compute_tflops`)."""
    return HardwareRates(
        hbm_bytes_per_s=gpu.memory_bandwidth_gb_s * 1e9,
        gemm_flops_per_s=compute_tflops(gpu, precision, fp16_accumulate=fp16_accumulate)
        * 1e12,
        attention_flops_per_s=gpu.bf16_tflops * 1e12,
        link_bytes_per_s=link_bytes_per_s(gpu),
        link_latency_factor=LINK_LATENCY_FACTOR.get(gpu.interconnect, LINK_LATENCY_FACTOR["pcie"]),
        tp=float(tp),
        switch_reduction=switch_reduction_gain(gpu, tp) - 1.0,
        sustained_factor=sustained_clock_factor(gpu),
        fp8_matmul=float(fp8_tensor_matmul(gpu, precision, fp16_accumulate)),
    )


#: Points of the standard normal grid :func:`expected_max_of_normals` integrates over.
_NORMAL_GRID = np.linspace(-8.0, 8.0, 4001)


@functools.cache
def expected_max_of_normals(count: int) -> float:
    """``E[max]`` of ``count`` independent standard normals (0.56 for 2, 1.42 for 8, 2.34 for
    64): ``∫ x · count · φ(x) Φ(x)^(count−1) dx``, by the trapezoid rule."""
    if count <= 1:
        return 0.0
    x = _NORMAL_GRID
    pdf = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    cdf = 0.5 * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))
    return float(np.trapezoid(x * count * pdf * cdf ** (count - 1), x))


def expected_experts(tokens: Num, num_experts: Num, experts_per_token: Num) -> Num:
    """Expected distinct experts (per layer) that ``tokens`` tokens route to, each picking
    ``k`` of ``E`` uniformly: ``E × (1 − (1 − k/E)^tokens)``."""
    return num_experts * (1.0 - (1.0 - experts_per_token / num_experts) ** tokens)


def rank_hit_probability(num_experts: int, experts_per_token: int, ranks: int) -> float:
    """Probability that a token's ``k`` distinct experts, drawn uniformly from ``E`` spread
    evenly over ``ranks`` GPUs, include at least one on a given GPU: ``1 − C(E − E/r, k) /
    C(E, k)`` (1 for one GPU; 0.997 for 8 of 128 experts over 2 GPUs, 0.66 for 8 of 256 over
    8). Routing that limits a token to a few expert groups (DeepSeek-V3's ``topk_group``) hits
    fewer GPUs; this is its unrestricted bound."""
    if ranks <= 1:
        return 1.0
    others = num_experts - num_experts / ranks
    k = min(experts_per_token, num_experts)
    miss = 1.0
    for i in range(k):
        miss *= max(others - i, 0.0) / (num_experts - i)
    return 1.0 - miss


def allreduce_time_s(
    bytes_per_rank: Num,
    hw: HardwareRates,
    efficiency: Num,
    latency_s: Num,
    switch_reduction: Num | None = None,
) -> Num:
    """All-reduce of ``bytes_per_rank`` over ``tp`` GPUs: the ring's bandwidth term
    ``2 (tp−1)/tp × bytes / link`` at the achieved ``efficiency``, divided by the speed-up of
    reduction in the NVLink switch (``HardwareRates.switch_reduction``, or
    ``switch_reduction`` for collectives it does not apply to), plus the synchronisation
    latency ``latency_s × link factor × (1 + log2 tp) / 2`` (one-shot kernels: one barrier at
    two GPUs, a little more with more peers). Zero for ``tp = 1``."""
    tp = np.maximum(hw.tp, 1.0)
    gain = 1.0 + (hw.switch_reduction if switch_reduction is None else switch_reduction)
    bandwidth_s = 2.0 * (tp - 1.0) / tp * bytes_per_rank / hw.link_bytes_per_s / efficiency / gain
    sync_s = latency_s * hw.link_latency_factor * (1.0 + np.log2(tp)) / 2.0
    return (bandwidth_s + sync_s) * np.greater(tp, 1.0)


def roofline_floor_s(shape: StepShape, hw: HardwareRates, decode_seqs: Num, kv_tokens: Num) -> Num:
    """The physical lower bound of a decode step: every byte it must read at peak bandwidth.

    A pure decode step (no prefill) of ``decode_seqs`` sequences cannot be faster than reading
    the dense weights, the experts it touches and its KV cache once at the HBM peak, in every
    pipeline stage. Used to cap predicted decode rates.
    """
    experts = expected_experts(decode_seqs, shape.num_experts, shape.experts_per_token)
    stage_bytes = (
        shape.dense_bytes
        + experts * shape.expert_bytes
        + kv_read_bytes(shape, decode_seqs / shape.pp, kv_tokens / shape.pp)
    )
    return shape.pp * stage_bytes / hw.hbm_bytes_per_s


#: Passes over a sequence's linear-attention state per decode step: the recurrent kernel
#: (e.g. ``fused_recurrent_gated_delta_rule``, ``selective_state_update``) loads it, updates it
#: with the new token and stores it back.
STATE_PASSES = 2.0


def kv_read_bytes(shape: StepShape, decode_seqs: Num, kv_tokens: Num) -> Num:
    """KV bytes a decode step moves on one GPU of one stage: full-attention layers read every
    context token, sliding-window layers at most ``window`` tokens per sequence; under sparse
    attention the indexer reads every token's key and the attention the top-k tokens';
    linear-attention layers read and rewrite each sequence's state."""
    window_tokens = fmin(kv_tokens, decode_seqs * shape.window_tokens)
    attended = sparse_attended(kv_tokens, decode_seqs, shape.sparse_tokens)
    return (
        attended * shape.kv_bytes_per_context_token
        + window_tokens * shape.kv_window_bytes_per_context_token
        + kv_tokens * shape.index_bytes_per_context_token
        + decode_seqs * STATE_PASSES * shape.state_bytes_per_sequence
    )


def sparse_attended(tokens: Num, queries: Num, sparse_tokens: Num) -> Num:
    """Of ``tokens`` (query, cached token) pairs of ``queries`` queries, those the attention
    computes: all of them for dense attention (``sparse_tokens`` 0), at most the top-k per
    query under sparse attention."""
    if isinstance(sparse_tokens, np.ndarray):
        capped = fmin(tokens, queries * sparse_tokens)
        return np.asarray(np.where(sparse_tokens > 0.0, capped, tokens))
    return fmin(tokens, queries * sparse_tokens) if sparse_tokens > 0.0 else tokens
