"""Serving engines' scheduler and memory defaults (what a benchmark ran with unless told).

vLLM's defaults are the 0.33.0 ``vllm serve`` defaults (../shared/ecosystem/vllm.md, from the
0.33.0 wheel's ``EngineArgs.get_batch_defaults`` and ``CacheConfig``). The other engines'
values are their documented defaults where known and estimates otherwise (each says which).
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field

from predeploy.core.sglang_defaults import default_chunked_prefill_size, sglang_defaults
from predeploy.core.types import (
    Engine,
    FrozenModel,
    GpuSpec,
    KvCacheDtype,
    PerformanceMode,
    Precision,
)

#: vLLM 0.33 device-size thresholds (GiB) of ``get_batch_defaults``.
VLLM_LARGE_GPU_GIB = 160
VLLM_MID_GPU_GIB = 70


class EngineProfile(FrozenModel):
    """Scheduler and memory behaviour of one serving engine.

    ``max_num_seqs``/``max_num_batched_tokens`` ``None`` means "by GPU size" (vLLM's rule).
    ``kv_share_of_free``: the engine sizes the KV cache as a share of the memory left after
    weights (TensorRT-LLM ``free_gpu_memory_fraction``) instead of a share of all memory.
    ``reserve_full_context``: KV for prompt + output is reserved at admission (TensorRT-LLM
    ``GUARANTEED_NO_EVICT``; SGLang in the analytic mode, whose simulation admits by
    ``new_token_ratio``) rather than grown block by block. ``fp8_kv_for_quantized``: fp8
    and fp4 checkpoints come with an fp8 KV cache (NVIDIA ModelOpt checkpoints).
    """

    engine: Engine
    max_num_seqs: Annotated[int, Field(gt=0)] | None = None
    max_num_batched_tokens: Annotated[int, Field(gt=0)] | None = None
    gpu_memory_utilization: Annotated[float, Field(gt=0, le=1)] = 0.92
    kv_share_of_free: bool = False
    chunked_prefill: bool = True
    #: Prefill runs as its own batch of every waiting prompt up to the token budget (decode
    #: pauses meanwhile) instead of piggy-backing chunks on decode steps (SGLang's default
    #: scheduler without ``--enable-mixed-chunk``).
    separate_prefill_batches: bool = False
    reserve_full_context: bool = False
    #: The discrete-event simulation schedules SGLang's own admission: running answers
    #: counted at the decaying ``new_token_ratio``, retraction when the cache runs out
    #: (:mod:`~predeploy.core.new_token_ratio`). The analytic mode keeps the reservation.
    new_token_ratio_admission: bool = False
    #: The next batch is scheduled while the GPU runs the current one, so every response
    #: reaches the client one step later (TensorRT-LLM's overlap scheduler, SGLang's
    #: zero-overhead batch scheduler, vLLM's ``--async-scheduling``).
    overlap_scheduling: bool = False
    #: A prompt chunk that ends a prefill shares its step with the first chunk of a prompt
    #: waiting behind it (vLLM's V1 scheduler runs the running requests' chunks first, then
    #: admits waiting ones into the rest of the token budget): a prompt longer than the budget
    #: waits for that step to end (``fluid_ttft.last_step_fill_s``). Not set where measured
    #: long prompts do not show it (NVIDIA's MLPerf TensorRT-LLM runs of Llama 3.1 405B). Its
    #: open loops' decoders spend the share of their life in prefill-carrying steps that the
    #: prompts arriving meanwhile make (``fluid_decode._busy_share_tpot``); NVIDIA's MLPerf
    #: runs measure TPOT tails as tight as a binomial count of those steps gives.
    fills_last_prefill_step: bool = False
    fp8_kv_for_quantized: bool = False
    #: The memory share holds the weights and the KV pool only; activations and CUDA graphs
    #: live in the rest, so the KV budget loses no profiled activation peak (SGLang's
    #: ``mem_fraction_static``, derived from the device by :mod:`~predeploy.core.sglang_defaults`).
    static_memory_share: bool = False
    #: GEMMs accumulate in FP16 (:func:`~predeploy.core.roofline.compute_tflops`).
    fp16_accumulate: bool = False
    #: The input embedding table stays in host memory, only the rows of a step's tokens reach
    #: the GPU (llama.cpp does not offload its input layer: "the downside of offloading the
    #: input layer is higher VRAM usage, as the token embeddings weights can be quite big",
    #: ggml-org/llama.cpp issue #5993; issue #5499: the data "is just being stored in RAM
    #: universally"), so the memory fit leaves it out (:func:`~predeploy.core.weights.
    #: host_embedding_bytes`).
    host_input_embedding: bool = False
    source: str


ENGINE_PROFILES: dict[Engine, EngineProfile] = {
    Engine.VLLM: EngineProfile(
        engine=Engine.VLLM,
        gpu_memory_utilization=0.92,
        fills_last_prefill_step=True,
        source="vLLM 0.33.0 defaults: gpu_memory_utilization 0.92, max_num_seqs 256/1024, "
        "max_num_batched_tokens 2048/8192/16384 by GPU size, chunked prefill on",
    ),
    Engine.SGLANG: EngineProfile(
        engine=Engine.SGLANG,
        max_num_seqs=2048,
        max_num_batched_tokens=8192,
        gpu_memory_utilization=0.88,
        separate_prefill_batches=True,
        reserve_full_context=True,
        new_token_ratio_admission=True,
        overlap_scheduling=True,
        static_memory_share=True,
        source="SGLang 0.5 defaults: mem_fraction_static derived from the device memory "
        "(server_args.py, core.sglang_defaults; 0.88 when the memory is unknown); "
        "chunked_prefill_size 8192 (its default on 60-160 GiB devices; 2048 below 35 GiB and "
        "4096 below 60 GiB, applied; 16384 above 160 GiB, not applied: see "
        "core.sglang_defaults); max_running_requests from the KV pool, 512 per model "
        "context it holds within 2048-4096 and at most half its tokens (model_runner.py; "
        "core.sglang_defaults.sglang_default_running_requests; 48 with speculative decoding, "
        "which also turns the overlap scheduler off); admission reserves room for the "
        "requested new tokens (new_token_ratio), prefill runs as separate batches; the "
        "zero-overhead (overlap) batch scheduler is on by default since v0.4 "
        "(--disable-overlap-schedule; lmsys.org/blog/2024-12-04-sglang-v0-4)",
    ),
    Engine.TRTLLM: EngineProfile(
        engine=Engine.TRTLLM,
        max_num_seqs=2048,
        max_num_batched_tokens=8192,
        gpu_memory_utilization=0.9,
        kv_share_of_free=True,
        reserve_full_context=True,
        overlap_scheduling=True,
        fp8_kv_for_quantized=True,
        source="TensorRT-LLM 1.x defaults: max_batch_size 2048, max_num_tokens 8192, "
        "free_gpu_memory_fraction 0.9, GUARANTEED_NO_EVICT capacity scheduler; ModelOpt "
        "fp8/fp4 checkpoints carry an fp8 KV cache; the overlap scheduler is enabled by "
        "default and 'introduces one extra decoding step' (TensorRT-LLM docs, Overlap "
        "Scheduler; disable_overlap_scheduler)",
    ),
    Engine.LMDEPLOY: EngineProfile(
        engine=Engine.LMDEPLOY,
        max_num_seqs=256,
        max_num_batched_tokens=8192,
        gpu_memory_utilization=0.9,
        kv_share_of_free=True,
        chunked_prefill=False,
        source="LMDeploy TurboMind (estimated): batch slots as configured, whole-prompt "
        "prefill, KV from a share of free memory",
    ),
    Engine.LLAMA_CPP: EngineProfile(
        engine=Engine.LLAMA_CPP,
        max_num_seqs=1,
        max_num_batched_tokens=512,
        gpu_memory_utilization=0.95,
        fp16_accumulate=True,
        host_input_embedding=True,
        source="llama.cpp defaults: one sequence, prompt in micro-batches of 512 (n_ubatch); "
        "FP16 GEMMs through cuBLAS with CUBLAS_COMPUTE_16F on NVIDIA GPUs (ggml-cuda "
        "ggml_cuda_op_mul_mat_cublas), quantized weights through int8 MMA (MMQ) kernels; the "
        "input embedding table in host memory (issues #5993, #5499)",
    ),
    Engine.OTHER: EngineProfile(
        engine=Engine.OTHER,
        gpu_memory_utilization=0.9,
        source="unknown engine: vLLM-like continuous batching assumed (estimated)",
    ),
}


def engine_profile(engine: Engine | str) -> EngineProfile:
    return ENGINE_PROFILES[Engine(engine)]


def vllm_batch_defaults(gpu: GpuSpec) -> tuple[int, int]:
    """vLLM 0.33 ``(max_num_seqs, max_num_batched_tokens)`` for the OpenAI server on ``gpu``:
    (1024, 16384) on ≥160 GiB devices, (1024, 8192) on ≥70 GiB devices other than A100,
    (256, 2048) otherwise."""
    gib = gpu.memory_gb
    if gib >= VLLM_LARGE_GPU_GIB:
        return 1024, 16384
    if gib >= VLLM_MID_GPU_GIB and "a100" not in gpu.name.lower():
        return 1024, 8192
    return 256, 2048


#: Hugging Face organisation of NVIDIA's ModelOpt-quantized checkpoints.
MODELOPT_CHECKPOINT_PREFIX = "nvidia/"


#: vLLM's ``--performance-mode throughput`` multiplies both batch-limit defaults by this
#: (``EngineArgs._set_default_max_num_seqs_and_batched_tokens_args``, vLLM 0.17+: "If
#: throughput mode is set, double max_num_batched_tokens and max_num_seqs"; only limits the
#: command line leaves unset).
VLLM_THROUGHPUT_MODE_FACTOR = 2


def scheduler_defaults(
    engine: Engine | str, gpu: GpuSpec, performance_mode: PerformanceMode | None = None
) -> tuple[int, int]:
    """``(max running sequences, token budget per step)`` of ``engine`` on ``gpu``, under
    vLLM's ``--performance-mode`` when stated (``throughput`` doubles both); SGLang's prefill
    chunk by the device's memory below 60 GiB (:func:`~predeploy.core.sglang_defaults.
    default_chunked_prefill_size`)."""
    profile = engine_profile(engine)
    seqs, tokens = vllm_batch_defaults(gpu)
    seqs, tokens = profile.max_num_seqs or seqs, profile.max_num_batched_tokens or tokens
    if Engine(engine) == Engine.SGLANG:
        tokens = default_chunked_prefill_size(gpu) or tokens
    if Engine(engine) == Engine.VLLM and performance_mode == "throughput":
        return seqs * VLLM_THROUGHPUT_MODE_FACTOR, tokens * VLLM_THROUGHPUT_MODE_FACTOR
    return seqs, tokens


#: vLLM's largest captured CUDA-graph batch unless told: ``min(2 × max_num_seqs, 512,
#: max_num_batched_tokens)`` (``VllmConfig._set_cudagraph_sizes``, V1 engine); larger batches
#: run without a graph (``cudagraph_dispatcher``: ``CUDAGraphMode.NONE``).
VLLM_MAX_CUDAGRAPH_CAPTURE_SIZE = 512


def default_cuda_graph_max_batch(
    engine: Engine | str,
    gpu: GpuSpec,
    tp: int,
    pp: int = 1,
    *,
    max_num_seqs: int,
    max_num_batched_tokens: int,
) -> float:
    """The largest decode batch ``engine`` replays as a CUDA graph unless told (larger ones
    run eagerly): vLLM's capture rule, SGLang's ``cuda_graph_max_bs`` by device memory and TP
    (:mod:`~predeploy.core.sglang_defaults`); unbounded (``inf``) for the other engines, whose
    per-step launch costs the fitted overheads carry."""
    engine = Engine(engine)
    if engine == Engine.VLLM:
        return float(min(2 * max_num_seqs, VLLM_MAX_CUDAGRAPH_CAPTURE_SIZE, max_num_batched_tokens))
    if engine == Engine.SGLANG:
        return float(sglang_defaults(gpu, tp, pp).cuda_graph_max_bs)
    return math.inf


def default_memory_share(
    engine: Engine | str,
    gpu: GpuSpec,
    tp: int,
    pp: int = 1,
    *,
    dp_attention: bool = False,
    token_budget: int | None = None,
) -> float:
    """The share of device memory ``engine`` takes on ``tp × pp`` of ``gpu`` unless told
    (SGLang's derived ``mem_fraction_static``; the profile's share otherwise).
    ``token_budget``: the prefill chunk in effect, which sets SGLang's activation reserve."""
    profile = engine_profile(engine)
    if profile.engine != Engine.SGLANG:
        return profile.gpu_memory_utilization
    return sglang_defaults(
        gpu, tp, pp, dp_attention=dp_attention, chunked_prefill_size=token_budget
    ).mem_fraction_static


def default_kv_cache_dtype(
    engine: Engine | str, precision: Precision, checkpoint: str | None = None
) -> KvCacheDtype:
    """The KV-cache dtype a benchmark of ``engine`` at ``precision`` used unless it says.

    ``checkpoint``: the checkpoint the benchmark served, when it names one. The fp8 KV cache
    of quantized TensorRT-LLM runs comes with NVIDIA's ModelOpt checkpoints (``nvidia/...``,
    and the unnamed ones of NVIDIA's own tables and MLPerf); a quantized checkpoint from
    elsewhere (Qwen's block-FP8, OpenAI's MXFP4, DeepSeek's FP8) keeps a 16-bit KV cache.
    """
    quantized = precision in (Precision.FP8, Precision.FP4)
    modelopt = checkpoint is None or checkpoint.lower().startswith(MODELOPT_CHECKPOINT_PREFIX)
    if engine_profile(engine).fp8_kv_for_quantized and quantized and modelopt:
        return KvCacheDtype.FP8
    return KvCacheDtype.AUTO
