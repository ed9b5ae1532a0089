"""GPU memory fit: weights, KV cache and the runtime reserve, per GPU of one replica.

Everything here is bytes. A replica is ``tp × pp`` GPUs; tensor parallelism splits every linear
layer (and the vocabulary) ``tp`` ways, pipeline parallelism splits the layers ``pp`` ways. The
weight bytes per GPU come from :mod:`~predeploy.core.weights`, the KV bytes per token from
:mod:`~predeploy.core.kv_cache`; this module adds the device memory and the runtime reserve and
decides the fit.

The budget vLLM gives the KV cache (``vllm/v1/worker/gpu_worker.py``,
``determine_available_memory``):

    kv_cache_bytes = gpu_memory_utilization × device_bytes
                     − weights − peak activations (profiling run) − non-torch memory − CUDA graphs

and the KV cache then holds ``kv_cache_bytes / kv_bytes_per_token_per_gpu`` tokens.
"""

from __future__ import annotations

from predeploy.core.kv_cache import KvLayout, kv_bytes_per_token, kv_layout
from predeploy.core.types import GpuSpec, KvCacheDtype, MemoryFit, ModelArchitecture, Precision
from predeploy.core.weights import weight_bytes_per_gpu

#: Device bytes per datasheet "GB" of HBM/GDDR. Datasheet capacities are binary: the CUDA
#: runtime reports 81,920 MiB on an A100 80GB, 81,559 MiB on an H100 80GB and 143,771 MiB on an
#: H200 141GB (99.6 % of the binary figure); GDDR cards with ECC report less (L4: 23,034 MiB of
#: 24 GiB). vLLM applies ``gpu_memory_utilization`` to this total. Estimated: 2**30 × 0.99.
DEVICE_BYTES_PER_DATASHEET_GB = 2**30 * 0.99

#: Smallest memory share of the device predeploy passes on (a guard, not an engine's): a device
#: smaller than the engine's reserve still gets a positive share, so the memory fit reports
#: "does not fit" with its reason.
MIN_MEMORY_SHARE = 0.05

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
    model: ModelArchitecture,
    tp: int,
    max_num_batched_tokens: int,
    max_num_seqs: int,
    *,
    profiled_activations: bool = True,
) -> float:
    """What the KV budget loses besides weights: profiled peak activations and non-torch
    memory (CUDA graphs come out of the headroom above ``gpu_memory_utilization``).
    ``profiled_activations=False``: the engine keeps activations outside its memory share
    (SGLang), so only the non-torch memory counts."""
    non_torch = NON_TORCH_BYTES_TENSOR_PARALLEL if tp > 1 else NON_TORCH_BYTES
    if not profiled_activations:
        return non_torch
    return activation_bytes_per_gpu(model, tp, max_num_batched_tokens, max_num_seqs) + non_torch


def _longest_sequence(layout: KvLayout, kv_budget: float, model_limit: int) -> int:
    """Largest context whose KV fits in ``kv_budget`` (bytes_for_sequence is piecewise linear)."""
    kv_budget -= layout.state_bytes_per_sequence
    if kv_budget <= 0:
        return 0
    full = layout.full_bytes_per_token + layout.window_bytes_per_token
    window = layout.window_tokens
    if window is None or kv_budget <= full * window:
        return int(kv_budget / full) if full > 0 else model_limit
    if layout.full_bytes_per_token <= 0:
        return model_limit
    return int((kv_budget - layout.window_bytes_per_token * window) / layout.full_bytes_per_token)


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
    expert_factor: float = 1.0,
    profiled_activations: bool = True,
    host_embedding: bool = False,
) -> MemoryFit:
    """Does the model fit on ``tp × pp`` GPUs, and how many tokens does the KV cache hold?

    It fits when weights + reserve leave room in ``gpu_memory_utilization × device memory`` for
    the KV cache of at least one sequence of ``context_tokens``. ``kv_capacity_tokens`` counts
    tokens of sequences of ``context_tokens`` each (sliding-window layers hold only the window).
    ``expert_factor``: bytes the engine holds per checkpoint byte of routed experts
    (:func:`~predeploy.core.weights.expert_load_factor`). ``profiled_activations``: whether
    the share must also hold the peak activations (:func:`reserve_bytes_per_gpu`).
    ``host_embedding``: the engine keeps the input embedding table in host memory.
    """
    if tp < 1 or pp < 1:
        raise ValueError(f"tp and pp must be >= 1, got tp={tp}, pp={pp}")
    if not 0 < gpu_memory_utilization <= 1:
        raise ValueError(f"gpu_memory_utilization must be in (0, 1], got {gpu_memory_utilization}")
    context = max(int(context_tokens), 1)
    usable = gpu_memory_utilization * device_bytes(gpu)
    weights = weight_bytes_per_gpu(
        model,
        precision,
        tp,
        pp,
        expert_parallel=expert_parallel,
        expert_factor=expert_factor,
        host_embedding=host_embedding,
    )
    batched = max(max_num_batched_tokens, 1)
    reserve = reserve_bytes_per_gpu(
        model, tp, batched, max(max_num_seqs, 1), profiled_activations=profiled_activations
    )
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
            f"{_gb(kv_budget)} of KV cache: {capacity:,} tokens, {concurrent:,} "
            f"sequence{'' if concurrent == 1 else 's'} of {context:,} tokens"
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
