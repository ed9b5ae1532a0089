"""GPU memory arithmetic: weights, KV cache and the runtime reserve, per GPU of one replica.

Everything here is bytes. A replica is ``tp × pp`` GPUs; tensor parallelism splits every linear
layer (and the vocabulary) ``tp`` ways, pipeline parallelism splits the layers ``pp`` ways.

The budget vLLM gives the KV cache (``vllm/v1/worker/gpu_worker.py``,
``determine_available_memory``):

    kv_cache_bytes = gpu_memory_utilization × device_bytes
                     − weights − peak activations (profiling run) − non-torch memory − CUDA graphs

and the KV cache then holds ``kv_cache_bytes / kv_bytes_per_token_per_gpu`` tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

from predeploy.core.types import (
    GpuSpec,
    KvCacheDtype,
    MemoryFit,
    ModelArchitecture,
    Precision,
)

#: Bytes per weight element for each stored precision, including quantization scales.
#: bf16/fp16: 2 B. fp8/int8: 1 B plus per-channel or 128×128-block scales (< 0.1 %, ignored).
#: int4: AWQ/GPTQ with group size 128 stores a 16-bit scale and a 4-bit zero per 128 weights:
#: (128 × 4 + 20) / 128 = 4.16 bits (AutoAWQ / GPTQ formats). fp4: MXFP4 stores one E8M0 scale
#: per 32 weights: 4 + 8/32 = 4.25 bits (OCP Microscaling spec v1.0; gpt-oss checkpoints). NVFP4
#: (one E4M3 scale per 16, NVIDIA ModelOpt) is 4.5 bits, 6 % more; we take the MXFP4 figure
#: because natively-FP4 checkpoints use it.
BYTES_PER_WEIGHT: dict[Precision, float] = {
    Precision.BF16: 2.0,
    Precision.FP16: 2.0,
    Precision.FP8: 1.0,
    Precision.INT8: 1.0,
    Precision.INT4: (128 * 4 + 20) / 128 / 8,
    Precision.FP4: 4.25 / 8,
}

#: Embedding table and LM head stay in 16 bits under fp8/int/fp4 quantization (vLLM's fp8 and
#: AWQ/GPTQ methods, and NVIDIA ModelOpt checkpoints, quantize only the transformer linear layers).
UNQUANTIZED_BYTES_PER_WEIGHT = 2.0

#: Bytes of one KV-cache element: ``auto`` keeps the model's 16-bit activation dtype (vLLM
#: ``CacheConfig.cache_dtype='auto'``), ``fp8`` stores e4m3/e5m2 (1 byte).
KV_ELEMENT_BYTES: dict[KvCacheDtype, float] = {KvCacheDtype.AUTO: 2.0, KvCacheDtype.FP8: 1.0}

#: Device bytes per datasheet "GB" of HBM/GDDR. Datasheet capacities are binary: the CUDA
#: runtime reports 81,920 MiB on an A100 80GB, 81,559 MiB on an H100 80GB and 143,771 MiB on an
#: H200 141GB (99.6 % of the binary figure); GDDR cards with ECC report less (L4: 23,034 MiB of
#: 24 GiB). vLLM applies ``gpu_memory_utilization`` to this total. Estimated: 2**30 × 0.99.
DEVICE_BYTES_PER_DATASHEET_GB = 2**30 * 0.99

#: CUDA context, cuBLAS workspaces and NCCL buffers outside PyTorch's allocator
#: ("non_torch_memory" in vLLM's memory profile log: ~0.1-0.5 GiB on one GPU, more with tensor
#: parallelism because of NCCL and custom all-reduce buffers). Estimated from vLLM 0.6-0.11
#: startup logs.
NON_TORCH_BYTES = 0.4 * 2**30
NON_TORCH_BYTES_TENSOR_PARALLEL = 1.0 * 2**30

#: Memory CUDA graph capture keeps (vLLM log "Graph capturing finished ... took 0.3-1.5 GiB"
#: for the default capture sizes up to 512). vLLM captures the graphs after sizing the KV cache,
#: from the ``1 − gpu_memory_utilization`` headroom, so it is not part of the reserve; kept for
#: reference (estimated).
CUDA_GRAPH_BYTES = 0.5 * 2**30

#: Activation bytes per token of the profiling batch: the widest live tensors of one layer —
#: gate+up projection output (2 × intermediate / tp) plus a few hidden-size buffers (residual,
#: normed input, attention output, q/k/v), 16-bit. Derived from the layer shapes; vLLM profiles
#: a forward pass of ``max_num_batched_tokens`` tokens and reserves its peak.
ACTIVATION_HIDDEN_BUFFERS = 6

#: Logits of the sampler warm-up are fp32 over the whole vocabulary for ``max_num_seqs`` rows
#: (vLLM ``_dummy_sampler_run``).
LOGIT_BYTES = 4.0

#: Default decoupled RoPE key width of MLA models when the config does not say (DeepSeek V2/V3
#: ``qk_rope_head_dim`` = 64).
DEFAULT_MLA_ROPE_DIM = 64


@dataclass(frozen=True, slots=True)
class ParamBreakdown:
    """Parameter counts (not billions: plain counts) split by what they do.

    ``experts`` counts all routed experts of all MoE layers; ``one_expert`` is one routed expert
    summed over the MoE layers. ``linear`` is everything that passes through a matmul for
    every token except routed experts: attention, dense MLPs, shared experts, routers.
    """

    embedding: float
    lm_head: float
    linear: float
    experts: float
    one_expert: float

    @property
    def total(self) -> float:
        return self.embedding + self.lm_head + self.linear + self.experts


def param_breakdown(model: ModelArchitecture) -> ParamBreakdown:
    """Split ``total_params_b`` into embeddings, LM head, dense linear layers and experts.

    Routed experts: one expert across the MoE layers has ``3 × hidden × moe_intermediate ×
    moe_layers`` parameters (gate, up, down) when ``moe_intermediate_size`` is known; otherwise
    ``(total − active) / (num_experts − experts_per_token)`` (the inactive experts are exactly
    the difference between total and active parameters).
    """
    total = model.total_params_b * 1e9
    embedding = float(model.vocab_size * model.hidden_size)
    lm_head = 0.0 if model.tie_word_embeddings else embedding
    body = max(total - embedding - lm_head, 0.5 * total)
    experts = one_expert = 0.0
    if model.is_moe:
        moe_layers = max(model.num_layers - model.num_dense_layers, 1)
        if model.moe_intermediate_size is not None:
            one_expert = 3.0 * model.hidden_size * model.moe_intermediate_size * moe_layers
        idle = model.num_experts - model.experts_per_token
        if (one_expert == 0.0 or one_expert * model.num_experts > body) and idle > 0:
            one_expert = (model.total_params_b - model.active_params_b) * 1e9 / idle
        room = max(body - _attention_params(model), 0.5 * body)
        experts = min(one_expert * model.num_experts, room)
        one_expert = experts / model.num_experts
    return ParamBreakdown(
        embedding=embedding,
        lm_head=lm_head,
        linear=body - experts,
        experts=experts,
        one_expert=one_expert,
    )


def _attention_params(model: ModelArchitecture) -> float:
    """Attention projection parameters of all layers (a lower bound for MLA: o_proj and the
    KV down/up projections only; GQA/MHA: q, k, v, o)."""
    if model.mla_kv_lora_rank is not None:
        rank = model.mla_kv_lora_rank
        rope = model.mla_qk_rope_head_dim or DEFAULT_MLA_ROPE_DIM
        heads_dim = model.num_attention_heads * model.head_dim
        per_layer = heads_dim * model.hidden_size + model.hidden_size * (rank + rope)
        return float(model.num_layers * (per_layer + rank * 2 * heads_dim))
    q_and_o = 2 * model.num_attention_heads * model.head_dim
    k_and_v = 2 * model.num_kv_heads * model.head_dim
    return float(model.num_layers * model.hidden_size * (q_and_o + k_and_v))


def linear_bytes_per_weight(model: ModelArchitecture, precision: Precision) -> float:
    """Bytes per weight of the non-expert linear layers.

    Four-bit MoE checkpoints (gpt-oss MXFP4, NVFP4 DeepSeek/Qwen MoE) quantize only the routed
    experts; attention and shared layers stay in 16 bits (gpt-oss ``quantization_config``
    excludes attention; ModelOpt NVFP4 MoE recipes exclude attention).
    """
    if model.is_moe and precision in (Precision.FP4, Precision.INT4):
        return UNQUANTIZED_BYTES_PER_WEIGHT
    return BYTES_PER_WEIGHT[precision]


def weight_bytes(model: ModelArchitecture, precision: Precision) -> float:
    """All weight bytes of the model at ``precision`` (before any split)."""
    parts = param_breakdown(model)
    return (
        (parts.embedding + parts.lm_head) * UNQUANTIZED_BYTES_PER_WEIGHT
        + parts.linear * linear_bytes_per_weight(model, precision)
        + parts.experts * BYTES_PER_WEIGHT[precision]
    )


def weight_bytes_per_gpu(
    model: ModelArchitecture,
    precision: Precision,
    tp: int,
    pp: int = 1,
    *,
    expert_parallel: bool = False,
) -> float:
    """Weight bytes on each GPU: linear layers and the vocabulary are split ``tp`` ways and the
    layers ``pp`` ways (vLLM ``VocabParallelEmbedding``/``ParallelLMHead``, column/row parallel
    linears; experts split by TP or EP hold the same bytes per GPU on average). With
    ``expert_parallel`` (attention data-parallel, experts spread over the ``tp`` GPUs) every GPU
    holds all non-expert weights and ``1/tp`` of the experts."""
    if not (expert_parallel and model.is_moe):
        return weight_bytes(model, precision) / (tp * pp)
    parts = param_breakdown(model)
    experts = parts.experts * BYTES_PER_WEIGHT[precision]
    return (weight_bytes(model, precision) - experts + experts / tp) / pp


def kv_element_bytes(kv_cache_dtype: KvCacheDtype, precision: Precision) -> float:
    """Bytes of one cached K or V element. ``precision`` does not change it under ``auto``:
    vLLM keeps the KV cache in the 16-bit activation dtype for fp8/int4 weights."""
    del precision
    return KV_ELEMENT_BYTES[kv_cache_dtype]


def _kv_elements_per_token_per_layer(model: ModelArchitecture) -> float:
    if model.mla_kv_lora_rank is not None:
        rope = model.mla_qk_rope_head_dim or DEFAULT_MLA_ROPE_DIM
        return float(model.mla_kv_lora_rank + rope)
    return 2.0 * model.num_kv_heads * model.head_dim


def kv_bytes_per_token(
    model: ModelArchitecture,
    kv_cache_dtype: KvCacheDtype = KvCacheDtype.AUTO,
    precision: Precision = Precision.BF16,
) -> float:
    """KV-cache bytes one token occupies in all layers of the whole model (no TP split, no
    sliding-window cap).

    Standard/GQA attention: ``2 (K and V) × layers × kv_heads × head_dim × element bytes`` over
    the layers that attend (linear-attention layers keep a fixed state instead) —
    Llama-3.1-8B in bf16: 2 × 32 × 8 × 128 × 2 = 131,072 B. MLA (DeepSeek V2/V3) caches one
    compressed latent per layer: ``layers × (kv_lora_rank + qk_rope_head_dim) × bytes``.
    """
    elem = kv_element_bytes(kv_cache_dtype, precision)
    per_layer = _kv_elements_per_token_per_layer(model) * elem
    return per_layer * (model.num_layers - model.linear_attention_layers)


@dataclass(frozen=True, slots=True)
class KvLayout:
    """KV bytes per token on one GPU, split into full-attention and sliding-window layers."""

    global_bytes_per_token: float
    window_bytes_per_token: float
    window_tokens: int | None

    def bytes_for_sequence(self, context_tokens: float) -> float:
        """Bytes one sequence of ``context_tokens`` holds: window layers keep at most the window."""
        window = (
            context_tokens
            if self.window_tokens is None
            else min(context_tokens, float(self.window_tokens))
        )
        return self.global_bytes_per_token * context_tokens + self.window_bytes_per_token * window

    def bytes_per_token_at(self, context_tokens: float) -> float:
        """Average bytes per cached token for sequences of ``context_tokens``."""
        return self.bytes_for_sequence(context_tokens) / max(context_tokens, 1.0)


def kv_layout(
    model: ModelArchitecture,
    tp: int,
    pp: int = 1,
    kv_cache_dtype: KvCacheDtype = KvCacheDtype.AUTO,
    precision: Precision = Precision.BF16,
    *,
    expert_parallel: bool = False,
) -> KvLayout:
    """Per-GPU KV bytes per token, averaged over the GPUs of a replica.

    KV heads are split ``tp`` ways; when ``tp > kv_heads`` each GPU keeps a replica of one head
    (vLLM replicates KV heads). MLA latents are not split by TP at all (every rank caches the
    full latent). With data-parallel attention (``expert_parallel`` on an MoE model) each GPU
    caches whole tokens of its own requests: ``1/tp`` of a token's KV per GPU on average, with
    no replication. Layers split ``pp`` ways.
    """
    elem = kv_element_bytes(kv_cache_dtype, precision)
    if expert_parallel and model.is_moe:
        per_layer = _kv_elements_per_token_per_layer(model) * elem / tp
    elif model.mla_kv_lora_rank is not None:
        per_layer = _kv_elements_per_token_per_layer(model) * elem
    else:
        heads_per_gpu = max(model.num_kv_heads / tp, 1.0)
        per_layer = 2.0 * heads_per_gpu * model.head_dim * elem
    # Linear-attention layers (e.g. Gated DeltaNet) keep a fixed-size state, not a KV cache.
    layers = (model.num_layers - model.linear_attention_layers) / pp
    window_layers = model.sliding_window_layers / pp if model.sliding_window else 0.0
    return KvLayout(
        global_bytes_per_token=per_layer * (layers - window_layers),
        window_bytes_per_token=per_layer * window_layers,
        window_tokens=model.sliding_window if window_layers else None,
    )


def device_bytes(gpu: GpuSpec) -> float:
    """Memory the device reports (datasheet GB are binary, less the driver's share)."""
    return gpu.memory_gb * DEVICE_BYTES_PER_DATASHEET_GB


def activation_bytes_per_gpu(
    model: ModelArchitecture, tp: int, max_num_batched_tokens: int, max_num_seqs: int
) -> float:
    """Peak activation memory of vLLM's profiling forward pass, per GPU.

    ``tokens × (2 × intermediate / tp + 6 × hidden) × 2 B`` for the widest layer plus the fp32
    sampler logits ``max_num_seqs × vocab × 4 B``. For MoE layers the routed-expert
    intermediate (``experts_per_token × moe_intermediate``) replaces the dense one when larger.
    """
    inter = float(model.intermediate_size)
    if model.is_moe and model.moe_intermediate_size is not None:
        inter = max(inter, float(model.experts_per_token * model.moe_intermediate_size))
    per_token = (2.0 * inter / tp + ACTIVATION_HIDDEN_BUFFERS * model.hidden_size) * 2.0
    logits = max_num_seqs * model.vocab_size * LOGIT_BYTES
    return max_num_batched_tokens * per_token + logits


def reserve_bytes_per_gpu(
    model: ModelArchitecture, tp: int, max_num_batched_tokens: int, max_num_seqs: int
) -> float:
    """What the KV budget loses besides weights: profiled peak activations and non-torch
    memory (CUDA graphs come out of the headroom above ``gpu_memory_utilization``)."""
    non_torch = NON_TORCH_BYTES_TENSOR_PARALLEL if tp > 1 else NON_TORCH_BYTES
    return activation_bytes_per_gpu(model, tp, max_num_batched_tokens, max_num_seqs) + non_torch


def _longest_sequence(layout: KvLayout, kv_budget: float, model_limit: int) -> int:
    """Largest context whose KV fits in ``kv_budget`` (bytes_for_sequence is piecewise linear)."""
    if kv_budget <= 0:
        return 0
    full = layout.global_bytes_per_token + layout.window_bytes_per_token
    window = layout.window_tokens
    if window is None or kv_budget <= full * window:
        return int(kv_budget / full) if full > 0 else model_limit
    if layout.global_bytes_per_token <= 0:
        return model_limit
    return int((kv_budget - layout.window_bytes_per_token * window) / layout.global_bytes_per_token)


def _gb(value: float) -> str:
    return f"{value / 1e9:.1f} GB"


def fit_memory(
    model: ModelArchitecture,
    gpu: GpuSpec,
    precision: Precision,
    tp: int,
    pp: int = 1,
    kv_cache_dtype: KvCacheDtype = KvCacheDtype.AUTO,
    gpu_memory_utilization: float = 0.9,
    *,
    context_tokens: int,
    max_num_batched_tokens: int = 8192,
    max_num_seqs: int = 256,
    expert_parallel: bool = False,
) -> MemoryFit:
    """Does the model fit on ``tp × pp`` GPUs, and how many tokens does the KV cache hold?

    It fits when weights + reserve leave room in ``gpu_memory_utilization × device memory`` for
    the KV cache of at least one sequence of ``context_tokens``. ``kv_capacity_tokens`` counts
    tokens of sequences of ``context_tokens`` each (sliding-window layers hold only the window).
    """
    if tp < 1 or pp < 1:
        raise ValueError(f"tp and pp must be >= 1, got tp={tp}, pp={pp}")
    if not 0 < gpu_memory_utilization <= 1:
        raise ValueError(f"gpu_memory_utilization must be in (0, 1], got {gpu_memory_utilization}")
    context = max(int(context_tokens), 1)
    usable = gpu_memory_utilization * device_bytes(gpu)
    weights = weight_bytes_per_gpu(model, precision, tp, pp, expert_parallel=expert_parallel)
    batched = max(max_num_batched_tokens, 1)
    reserve = reserve_bytes_per_gpu(model, tp, batched, max(max_num_seqs, 1))
    kv_budget = usable - weights - reserve
    layout = kv_layout(model, tp, pp, kv_cache_dtype, precision, expert_parallel=expert_parallel)
    per_token = layout.bytes_per_token_at(context)
    capacity = max(int(kv_budget / per_token), 0) if kv_budget > 0 else 0
    # One sequence lives on one GPU under data-parallel attention: its length is bounded by
    # that GPU's share of the cache.
    wide = expert_parallel and model.is_moe
    one_gpu = kv_layout(model, 1, pp, kv_cache_dtype, precision) if wide else layout
    max_len = _longest_sequence(one_gpu, kv_budget, model.max_context_tokens)
    max_len = min(max_len, model.max_context_tokens)
    concurrent = capacity // context if capacity else 0
    where = f"{tp * pp}x {gpu.name}" + (f" (TP{tp} x PP{pp})" if pp > 1 else "")
    if weights + reserve > usable:
        fits = False
        reason = (
            f"weights {_gb(weights)} + runtime reserve {_gb(reserve)} per GPU exceed the "
            f"{_gb(usable)} usable ({gpu_memory_utilization:.2f} of {gpu.memory_gb:g} GB) "
            f"on {where}"
        )
    elif capacity < context:
        fits = False
        reason = (
            f"weights {_gb(weights)} fit on {where}, but the {_gb(kv_budget)} left for the KV "
            f"cache holds {capacity:,} tokens, fewer than one {context:,}-token sequence"
        )
    else:
        fits = True
        reason = (
            f"weights {_gb(weights)} + reserve {_gb(reserve)} per GPU on {where} leave "
            f"{_gb(kv_budget)} of KV cache: {capacity:,} tokens, {concurrent:,} sequences of "
            f"{context:,} tokens"
        )
    return MemoryFit(
        fits=fits,
        reason=reason,
        weight_bytes_per_gpu=weights,
        kv_bytes_per_token=kv_bytes_per_token(model, kv_cache_dtype, precision),
        kv_cache_bytes_per_gpu=kv_budget,
        reserve_bytes_per_gpu=reserve,
        usable_bytes_per_gpu=usable,
        kv_capacity_tokens=capacity,
        max_model_len=max(max_len, 0),
        max_concurrent_seqs=concurrent,
    )


#: Largest share of the usable memory the weights may take when we choose a TP size for a
#: scenario that does not state one: below it the KV cache gets a working share (≥ 40 %).
#: A sizing rule, not a measurement.
COMFORTABLE_WEIGHT_SHARE = 0.6


def smallest_fitting_tp(
    model: ModelArchitecture,
    gpu: GpuSpec,
    precision: Precision,
    *,
    context_tokens: int,
    max_gpus: int,
    kv_cache_dtype: KvCacheDtype = KvCacheDtype.AUTO,
    gpu_memory_utilization: float = 0.9,
    max_weight_share: float = COMFORTABLE_WEIGHT_SHARE,
) -> int | None:
    """Smallest power-of-two TP (≤ ``max_gpus``) on which the model fits with its weights
    taking at most ``max_weight_share`` of the usable memory; the smallest that fits at all
    when none is that comfortable; ``None`` when nothing fits."""
    candidates: list[int] = []
    tp = 1
    while tp <= max_gpus:
        candidates.append(tp)
        tp *= 2
    fitting: list[tuple[int, MemoryFit]] = []
    for tp in candidates:
        fit = fit_memory(
            model,
            gpu,
            precision,
            tp,
            kv_cache_dtype=kv_cache_dtype,
            gpu_memory_utilization=gpu_memory_utilization,
            context_tokens=context_tokens,
        )
        if fit.fits:
            fitting.append((tp, fit))
    for tp, fit in fitting:
        if fit.weight_bytes_per_gpu <= max_weight_share * fit.usable_bytes_per_gpu:
            return tp
    return fitting[0][0] if fitting else None
