"""The ``vllm serve`` arguments a plan controls."""

from __future__ import annotations

from typing import Literal

from predeploy.core.types.base import (
    Fraction,
    FrozenModel,
    KvCacheDtype,
    NonNegativeInt,
    PositiveInt,
    Precision,
)

#: vLLM ``--quantization`` method per weight precision when the checkpoint is not pre-quantized.
QUANTIZATION_METHOD: dict[Precision, str | None] = {
    Precision.BF16: None,
    Precision.FP16: None,
    Precision.FP8: "fp8",
    Precision.INT8: "compressed-tensors",
    Precision.INT4: "awq_marlin",
    Precision.FP4: "modelopt_fp4",
}


#: vLLM's INT4 method on GPUs without Marlin kernels (Marlin needs compute capability 8.0):
#: Turing runs AWQ's own kernels, Volta only GPTQ's (vLLM quantization hardware table; the
#: catalog's GPU notes).
INT4_METHOD_BEFORE_AMPERE: dict[str, str] = {"turing": "awq", "volta": "gptq"}


def quantization_method(precision: Precision, architecture: str) -> str | None:
    """vLLM ``--quantization`` for weights in ``precision`` on a GPU of ``architecture``."""
    if precision == Precision.INT4:
        return INT4_METHOD_BEFORE_AMPERE.get(architecture.strip().lower(), "awq_marlin")
    return QUANTIZATION_METHOD[precision]


#: vLLM's ``--performance-mode`` values (``EngineSettings.performance_mode``).
PerformanceMode = Literal["balanced", "interactivity", "throughput"]


class VllmSettings(FrozenModel):
    """The ``vllm serve`` capacity arguments a prediction assumed (always passed explicitly)."""

    tensor_parallel_size: PositiveInt = 1
    pipeline_parallel_size: PositiveInt = 1
    max_model_len: PositiveInt
    max_num_seqs: PositiveInt
    max_num_batched_tokens: PositiveInt
    gpu_memory_utilization: Fraction = 0.9
    dtype: Literal["auto", "bfloat16", "float16"] = "auto"
    quantization: str | None = None
    kv_cache_dtype: KvCacheDtype = KvCacheDtype.AUTO
    enable_chunked_prefill: bool = True
    enable_prefix_caching: bool = True
    block_size: PositiveInt = 16

    def to_args(self) -> dict[str, str | int | float | bool]:
        """Flag → value, exactly as ``vllm serve`` spells the flags."""
        args: dict[str, str | int | float | bool] = {
            "--tensor-parallel-size": self.tensor_parallel_size,
            "--max-model-len": self.max_model_len,
            "--max-num-seqs": self.max_num_seqs,
            "--max-num-batched-tokens": self.max_num_batched_tokens,
            "--gpu-memory-utilization": self.gpu_memory_utilization,
        }
        if self.pipeline_parallel_size > 1:
            args["--pipeline-parallel-size"] = self.pipeline_parallel_size
        if self.dtype != "auto":
            args["--dtype"] = self.dtype
        if self.quantization:
            args["--quantization"] = self.quantization
        if self.kv_cache_dtype != KvCacheDtype.AUTO:
            args["--kv-cache-dtype"] = self.kv_cache_dtype.value
        args[
            "--enable-chunked-prefill"
            if self.enable_chunked_prefill
            else "--no-enable-chunked-prefill"
        ] = True
        args[
            "--enable-prefix-caching"
            if self.enable_prefix_caching
            else "--no-enable-prefix-caching"
        ] = True
        return args

    def to_cli(self) -> list[str]:
        """The arguments as a list of command-line tokens."""
        out: list[str] = []
        for flag, value in self.to_args().items():
            out.append(flag) if value is True else out.extend([flag, str(value)])
        return out


class EngineSettings(FrozenModel):
    """Scheduler and memory settings a deployment or benchmark stated for its engine (any
    engine), overriding the engine's defaults; ``None`` keeps the default.

    ``gpu_memory_utilization`` is a share of the whole device (vLLM
    ``--gpu-memory-utilization``, SGLang ``--mem-fraction-static``);
    ``free_memory_fraction`` a share of what the weights leave (TensorRT-LLM
    ``--kv_cache_free_gpu_memory_fraction``). ``expert_parallel``: data-parallel attention
    with the experts spread over the GPUs (``ServingScenario.expert_parallel``).
    ``scheduler_steps``: the scheduler admits new requests once every this many steps (vLLM
    V0 ``--num-scheduler-steps``, SGLang ``--num-continuous-decode-steps``); 1 = every step.
    ``overlap_scheduling``: the next batch is scheduled while the GPU runs the current one
    (vLLM ``--async-scheduling``; SGLang's default, off with ``--disable-overlap-schedule``).
    ``cuda_graph_max_batch``: the largest decode batch the engine replays as a CUDA graph (SGLang
    ``--cuda-graph-max-bs``, vLLM ``--max-cudagraph-capture-size``); larger batches run
    eagerly, and 0 means every step does (``--disable-cuda-graph``, ``--enforce-eager``).
    ``expert_parallel_size``: with attention tensor-parallel, the routed experts are spread whole
    over this many groups of the ``tp`` GPUs instead of sharded over all of them (SGLang
    ``--ep-size``, TensorRT-LLM ``--ep_size``, vLLM ``--enable-expert-parallel`` = all of
    them); capped at ``tp``.
    ``data_parallel_size``: data-parallel ranks (vLLM ``--data-parallel-size``/``-dp``, SGLang
    ``--dp-size``). vLLM's ranks with ``--enable-expert-parallel`` form one expert-parallel
    group of ``tp × dp`` GPUs with attention data-parallel (read as ``expert_parallel`` over
    that many GPUs); without it they are replicas. SGLang's ranks with
    ``--enable-dp-attention`` split the attention of the ``tp`` GPUs (no more GPUs).
    ``stream_interval``: tokens per streamed chunk (vLLM and SGLang ``--stream-interval``; the
    first token is sent at once): a client sees one inter-chunk gap per this many tokens.
    ``reserve_full_context``: admission reserves KV for the whole prompt + output (TensorRT-LLM's
    ``GUARANTEED_NO_EVICT`` capacity scheduler, its default) rather than growing it and
    pausing requests when the cache fills (``MAX_UTILIZATION``; ``--scheduler_policy`` of
    ``gptManagerBenchmark``, ``capacity_scheduler_policy`` of the LLM API).
    ``performance_mode``: vLLM's ``--performance-mode`` (0.17 and later): ``throughput`` doubles
    the default ``max_num_seqs`` and ``max_num_batched_tokens`` (those not stated);
    ``interactivity`` captures CUDA graphs for every batch of 1–32 instead of 1, 2, 4, 8, 16, …
    (less padding at small batches, not represented: the step model has no padding);
    ``balanced`` is the default.
    ``speculative_decoding``: a speculative-decoding method is stated (SGLang
    ``--speculative-algorithm``, vLLM ``--speculative-config``). Its draft-and-verify speed-up is
    not modelled (the flag is also in ``unmodelled``), but what it does to SGLang's scheduler is:
    at most 48 running requests unless ``--max-running-requests`` says otherwise, and no overlap
    scheduler (``core.sglang_defaults``).
    ``api_server_count``: API-server processes in front of the engine (vLLM
    ``--api-server-count``, 0.9.1 and later): each takes requests one after another in the
    fitted time per request, so together they hand the engine that many times as many.
    ``dequantized_prefill``: prompt steps convert quantized weights to FP16 before each matmul
    (llama.cpp before its int8 tensor-core MMQ kernels, June 2024).
    ``prefix_caching``: the engine keeps computed prompt blocks for later requests (vLLM
    ``--[no-]enable-prefix-caching``, SGLang ``--disable-radix-cache``, TensorRT-LLM
    ``enable_block_reuse``, LMDeploy ``--enable-prefix-caching``): a scenario's shared prompt
    prefix is then computed once (``core.prefix_cache``).
    ``unmodelled``: stated flags that change performance in ways the model does not represent
    (speculative decoding, attention backends, ...), so a prediction can say what it did not
    account for.
    """

    max_num_seqs: PositiveInt | None = None
    max_num_batched_tokens: PositiveInt | None = None
    gpu_memory_utilization: Fraction | None = None
    free_memory_fraction: Fraction | None = None
    chunked_prefill: bool | None = None
    separate_prefill_batches: bool | None = None
    kv_cache_dtype: KvCacheDtype | None = None
    expert_parallel: bool | None = None
    scheduler_steps: PositiveInt | None = None
    overlap_scheduling: bool | None = None
    cuda_graph_max_batch: NonNegativeInt | None = None
    expert_parallel_size: PositiveInt | None = None
    data_parallel_size: PositiveInt | None = None
    stream_interval: PositiveInt | None = None
    reserve_full_context: bool | None = None
    performance_mode: PerformanceMode | None = None
    speculative_decoding: bool | None = None
    api_server_count: PositiveInt | None = None
    dequantized_prefill: bool | None = None
    prefix_caching: bool | None = None
    unmodelled: tuple[str, ...] = ()
