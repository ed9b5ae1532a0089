"""Facts the knowledge base holds: models, accelerators, prices, benchmarks.

Every fact carries a :class:`Provenance`. These types are what the core computes with; the
``kb`` adapter stores and loads them, and never the other way round.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, model_validator

from predeploy.core.types.base import (
    BenchmarkClient,
    FrozenModel,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    Precision,
    Provenance,
    UseCase,
)

AttentionType = Literal["mha", "gqa", "mqa", "mla", "hybrid"]


class ModelArchitecture(FrozenModel):
    """The architecture facts performance depends on (from ``config.json`` or the model card).

    Parameter counts are in billions. For mixture-of-experts models ``active_params_b`` is the
    parameter count one token passes through; for dense models it equals ``total_params_b``.
    """

    num_layers: PositiveInt
    hidden_size: PositiveInt
    num_attention_heads: PositiveInt
    num_kv_heads: PositiveInt
    head_dim: PositiveInt
    intermediate_size: PositiveInt
    vocab_size: PositiveInt
    total_params_b: PositiveFloat
    active_params_b: PositiveFloat
    max_context_tokens: PositiveInt
    attention_type: AttentionType = "gqa"
    num_experts: NonNegativeInt = 0
    experts_per_token: NonNegativeInt = 0
    n_shared_experts: NonNegativeInt = 0
    moe_intermediate_size: PositiveInt | None = None
    #: Layers that are dense (no experts) in an MoE model, e.g. DeepSeek V3's first 3 layers.
    num_dense_layers: NonNegativeInt = 0
    #: MLA (DeepSeek) compressed KV rank and decoupled RoPE key dim; KV per token per layer is
    #: ``(kv_lora_rank + qk_rope_head_dim)`` elements instead of ``2 × kv_heads × head_dim``.
    mla_kv_lora_rank: PositiveInt | None = None
    mla_qk_rope_head_dim: PositiveInt | None = None
    #: Sliding-window attention span in tokens, and how many layers use it (the rest are global).
    sliding_window: PositiveInt | None = None
    sliding_window_layers: NonNegativeInt = 0
    #: Layers with linear attention (e.g. Qwen3.5's Gated DeltaNet): a fixed-size recurrent
    #: state per sequence instead of a per-token KV cache. Only the remaining
    #: ``num_layers - linear_attention_layers`` layers hold a growing KV cache.
    linear_attention_layers: NonNegativeInt = 0
    #: Bytes of the fixed-size state each sequence keeps in each of those layers: the
    #: recurrent state (Gated DeltaNet: value heads × key dim × value dim; Mamba-2: inner width
    #: × state size) and the causal convolution's last ``kernel − 1`` inputs. Every decode step
    #: reads and rewrites it; it takes memory per running sequence, not per token. 0: unknown.
    linear_state_bytes: NonNegativeFloat = 0.0
    #: DeepSeek Sparse Attention (DeepSeek V3.2, GLM-5; ``index_topk``, ``index_n_heads``,
    #: ``index_head_dim`` in ``config.json``): a lightning indexer of ``indexer_heads`` heads
    #: of ``indexer_head_dim`` scores every cached token (FP8 keys, cached per token and
    #: layer) and each query attends only to the ``sparse_attention_topk`` best. None: dense.
    sparse_attention_topk: PositiveInt | None = None
    indexer_heads: PositiveInt | None = None
    indexer_head_dim: PositiveInt | None = None
    #: Attention layers that run the indexer and cache its keys (GLM-5.2's ``indexer_types``
    #: "full"); the others ("shared") reuse a preceding layer's selection. None: every one.
    indexer_layers: PositiveInt | None = None
    tie_word_embeddings: bool = False
    #: The precision the released checkpoint ships in (gpt-oss is MXFP4, DeepSeek V3 is FP8).
    native_precision: Precision = Precision.BF16
    #: Edge of the square weight blocks that carry one scale each in the model's FP8 release
    #: (``quantization_config.weight_block_size``: 128 for DeepSeek V3's native weights and
    #: Qwen3's FP8 checkpoints); None where its FP8 weights are scaled per tensor or channel,
    #: or no FP8 release is known.
    fp8_weight_block: PositiveInt | None = None

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 0

    @model_validator(mode="after")
    def _consistent(self) -> ModelArchitecture:
        if self.num_attention_heads % self.num_kv_heads:
            raise ValueError(
                f"num_attention_heads ({self.num_attention_heads}) must be a multiple of "
                f"num_kv_heads ({self.num_kv_heads})"
            )
        if self.active_params_b > self.total_params_b * (1 + 1e-6):
            raise ValueError(
                f"active_params_b ({self.active_params_b}) exceeds total_params_b "
                f"({self.total_params_b})"
            )
        if self.num_experts and not self.experts_per_token:
            raise ValueError("an MoE model (num_experts > 0) needs experts_per_token > 0")
        if self.experts_per_token > self.num_experts:
            raise ValueError(
                f"experts_per_token ({self.experts_per_token}) exceeds num_experts "
                f"({self.num_experts})"
            )
        if self.sliding_window_layers > self.num_layers:
            raise ValueError("sliding_window_layers exceeds num_layers")
        if self.sliding_window_layers and self.sliding_window is None:
            raise ValueError("sliding_window_layers > 0 needs sliding_window")
        if self.sliding_window_layers + self.linear_attention_layers > self.num_layers:
            raise ValueError(
                "sliding_window_layers + linear_attention_layers exceeds num_layers"
            )
        if self.linear_state_bytes and not self.linear_attention_layers:
            raise ValueError("linear_state_bytes needs linear_attention_layers")
        if self.num_dense_layers > self.num_layers:
            raise ValueError("num_dense_layers exceeds num_layers")
        sparse = (self.sparse_attention_topk, self.indexer_heads, self.indexer_head_dim)
        if any(v is not None for v in sparse) and any(v is None for v in sparse):
            raise ValueError(
                "sparse attention needs all of sparse_attention_topk, indexer_heads and "
                "indexer_head_dim"
            )
        if self.indexer_layers is not None and (
            self.indexer_heads is None
            or self.indexer_layers > self.num_layers - self.linear_attention_layers
        ):
            raise ValueError("indexer_layers needs sparse attention and at most its layers")
        if self.sparse_attention_topk is not None and self.sliding_window_layers:
            raise ValueError("sparse attention with sliding-window layers is not modelled")
        return self


class QualityScore(FrozenModel):
    """One sourced quality signal for one task. Scores of different sources are never mixed."""

    task: UseCase | Literal["general"]
    #: The scale the score lives on, e.g. ``aa-weighted`` (Artificial Analysis benchmarks,
    #: compass weights) or ``model-card:MMLU-Pro``. Only scores on the same scale compare.
    scale: Annotated[str, Field(min_length=1)]
    score: NonNegativeFloat
    benchmark: str | None = None
    provenance: Provenance


class ModelCard(FrozenModel):
    """One model of the catalog."""

    id: Annotated[str, Field(min_length=3, pattern=r"^[\w.\-]+/[\w.\-]+$")]
    name: Annotated[str, Field(min_length=1)]
    family: Annotated[str, Field(min_length=1)]
    aliases: tuple[str, ...] = ()
    license: Annotated[str, Field(min_length=1)]
    tasks: tuple[UseCase, ...]
    architecture: ModelArchitecture
    quality: tuple[QualityScore, ...] = ()
    release_date: dt.date | None = None
    #: Precisions with a published checkpoint or a supported on-the-fly quantization in vLLM.
    precisions: tuple[Precision, ...] = (Precision.BF16, Precision.FP8)
    reasoning: bool = False
    provenance: Provenance


Interconnect = Literal["nvlink", "pcie", "infinity-fabric", "hccs", "none"]


class GpuSpec(FrozenModel):
    """An accelerator's datasheet facts. TFLOPS are dense (no 2:4 sparsity).

    The 16-bit rates are those of FP16/BF16 inputs with FP32 accumulation, the mode vLLM's
    GEMMs run in (GeForce cards run it at half their FP16-accumulate rate).
    """

    name: Annotated[str, Field(min_length=1)]
    label: str
    vendor: Literal["nvidia", "amd", "intel", "huawei", "apple", "other"]
    memory_gb: PositiveFloat
    memory_bandwidth_gb_s: PositiveFloat
    #: Dense 16-bit tensor rate BF16 work runs at. On GPUs without BF16 tensor cores (Volta,
    #: Turing: BF16 neither in ``supported_precisions`` nor in ``weight_only_precisions``) a
    #: BF16 checkpoint is served cast to FP16 (vLLM ``--dtype half``), so this holds the FP16
    #: rate and must equal ``fp16_tflops``; see :attr:`half_precision`.
    bf16_tflops: PositiveFloat
    fp16_tflops: PositiveFloat
    #: Dense FP16 tensor rate with FP16 accumulation where it differs from ``fp16_tflops``
    #: (GeForce cards run FP32-accumulate at half of it; data-center and workstation parts run
    #: both at one rate, so ``None``). Engines whose GEMMs accumulate in FP16 (llama.cpp) get it.
    fp16_accumulate_tflops: PositiveFloat | None = None
    fp8_tflops: PositiveFloat | None = None
    int8_tops: PositiveFloat | None = None
    fp4_tflops: PositiveFloat | None = None
    interconnect: Interconnect
    #: Per-GPU unidirectional bandwidth to peers over ``interconnect`` (PCIe when none).
    interconnect_gb_s: PositiveFloat
    gpus_per_node: PositiveInt
    #: Weight precisions with native tensor-core compute (W8A8 FP8 needs Ada/Hopper or newer,
    #: FP4 needs Blackwell).
    supported_precisions: tuple[Precision, ...]
    architecture: str
    tdp_w: PositiveFloat | None = None
    #: Measured share of the dense BF16 peak that a large matmul sustains (maximum achievable
    #: matmul FLOP/s ÷ ``bf16_tflops``): power and thermal limits hold the clock below the boost
    #: clock the peak assumes. ``None`` where not measured.
    sustained_matmul_share: Annotated[float, Field(gt=0, le=1)] | None = None
    aliases: tuple[str, ...] = ()
    provenance: Provenance
    #: Weight precisions served weight-only: the kernel dequantizes to BF16/FP16, so weights take
    #: less memory but matmuls run at ``bf16_tflops`` (e.g. vLLM's FP8 Marlin W8A16 on Ampere,
    #: MXFP4 gpt-oss checkpoints on Hopper).
    weight_only_precisions: tuple[Precision, ...] = ()

    @property
    def memory_bytes(self) -> float:
        return self.memory_gb * 1e9

    @property
    def half_precision(self) -> Precision:
        """The 16-bit precision a BF16 or FP16 checkpoint runs in on this GPU: BF16 where it is
        served, else FP16 (Volta/Turing; vLLM refuses BF16 below compute capability 8.0)."""
        return Precision.BF16 if self.serves(Precision.BF16) else Precision.FP16

    def serves(self, precision: Precision) -> bool:
        """Whether weights in ``precision`` can be served, natively or weight-only."""
        return precision in self.supported_precisions or precision in self.weight_only_precisions

    @model_validator(mode="after")
    def _sixteen_bit_path(self) -> GpuSpec:
        if not self.serves(Precision.BF16):
            if Precision.FP16 not in self.supported_precisions:
                raise ValueError(
                    "a GPU without BF16 support needs fp16 in supported_precisions "
                    "(BF16 checkpoints are served as FP16)"
                )
            if self.bf16_tflops != self.fp16_tflops:
                raise ValueError(
                    f"bf16_tflops ({self.bf16_tflops}) must equal fp16_tflops "
                    f"({self.fp16_tflops}) on a GPU without BF16 support: BF16 checkpoints "
                    "run cast to FP16"
                )
        return self

    def display(self, count: int = 1) -> str:
        """User-facing configuration string, e.g. ``2x NVIDIA L4`` or ``4x A100-80GB``."""
        return f"{count}x {self.label}"


PricingKind = Literal["on_demand", "spot", "reserved", "on_prem_amortized"]


class PriceQuote(FrozenModel):
    """The price of one GPU for one hour at one provider and region."""

    gpu: Annotated[str, Field(min_length=1)]
    provider: Annotated[str, Field(min_length=1)]
    instance_type: str
    region: str
    region_class: Literal["us", "eu", "apac", "global", "on-prem"]
    gpu_count: PositiveInt
    usd_per_gpu_hour_on_demand: PositiveFloat | None
    usd_per_gpu_hour_spot: PositiveFloat | None = None
    provenance: Provenance

    @model_validator(mode="after")
    def _some_price(self) -> PriceQuote:
        if self.usd_per_gpu_hour_on_demand is None and self.usd_per_gpu_hour_spot is None:
            raise ValueError("a price quote needs an on-demand or a spot price")
        return self


class LoadDescription(FrozenModel):
    """How a benchmark loaded the server (see ../shared/calibration/README.md 'Load kinds')."""

    kind: Literal["max_throughput", "request_rate", "concurrency", "static_batch", "burst"]
    value: PositiveFloat | None = None
    num_prompts: PositiveInt | None = None
    arrival: Literal["poisson", "constant", "gamma"] | None = None


#: Longest engine command line a benchmark record keeps (characters).
ENGINE_ARGS_MAX_CHARS = 2000
#: Longest checkpoint name or path a benchmark record keeps (characters; the knowledge base's
#: name columns).
CHECKPOINT_MAX_CHARS = 200


class BenchmarkRecord(FrozenModel):
    """One measured serving scenario and the metrics measured for it.

    Metric names and units follow the calibration contract: throughputs are totals over
    ``gpu_count`` GPUs (``output_tokens_per_s``, ``requests_per_s``), latencies are in ms with a
    statistic suffix (``ttft_ms_p99``, ``itl_ms_mean``, ``tpot_ms_p50``, ``e2e_ms_p90``).
    """

    id: Annotated[str, Field(min_length=1)]
    model: Annotated[str, Field(min_length=1)]
    gpu: Annotated[str, Field(min_length=1)]
    gpu_count: PositiveInt
    tp: PositiveInt | None
    pp: PositiveInt = 1
    precision: Precision | None
    kv_cache_dtype: str | None = None
    engine: str
    engine_version: str | None = None
    #: The engine's command line as the source states it (``vllm serve M --max-num-seqs 64``);
    #: the settings it states are honoured (``core.engine_args``).
    engine_args: Annotated[str, Field(max_length=ENGINE_ARGS_MAX_CHARS)] | None = None
    input_tokens: NonNegativeInt | None
    output_tokens: NonNegativeInt | None
    dataset: str = "fixed"
    load: LoadDescription
    #: The benchmark client and whether it ignored the end-of-sequence token, where stated:
    #: they choose a dataset's output lengths (``core.datasets.output_shape``).
    client: BenchmarkClient | None = None
    ignore_eos: bool | None = None
    #: The checkpoint served, where the source names it and no ``engine_args`` does
    #: (AIConfigurator's TensorRT-LLM rows' ``model_path``): it tells how FP8 weights are scaled
    #: (``core.checkpoints.served_fp8_weight_block``).
    checkpoint: Annotated[str, Field(min_length=1, max_length=CHECKPOINT_MAX_CHARS)] | None = None
    #: Tokens at the start of every prompt that all requests shared (a benchmark's shared
    #: prefix, GuideLLM's ``prefix_buckets``), counted in ``input_tokens``: served from the
    #: engine's prefix cache (``core.prefix_cache``).
    shared_prefix_tokens: NonNegativeInt = 0
    #: Distinct shared prefixes of that length the requests spread over (GuideLLM's buckets'
    #: ``prefix_count``): each found cached less often than one (``prefix_residency``).
    prefix_count: PositiveInt = 1
    metrics: dict[str, NonNegativeFloat]
    source_key: Annotated[str, Field(min_length=1)]
    provenance: Provenance

    @model_validator(mode="after")
    def _has_metrics(self) -> BenchmarkRecord:
        if not self.metrics:
            raise ValueError("a benchmark record needs at least one measured metric")
        return self

    @model_validator(mode="after")
    def _prefix_within_prompts(self) -> BenchmarkRecord:
        if self.shared_prefix_tokens and self.shared_prefix_tokens >= (self.input_tokens or 0):
            raise ValueError(
                f"shared_prefix_tokens ({self.shared_prefix_tokens:,}) must be shorter than the "
                f"prompts (input_tokens {self.input_tokens}), which count it"
            )
        if self.prefix_count > 1 and not self.shared_prefix_tokens:
            raise ValueError(
                f"prefix_count ({self.prefix_count:,}) needs shared_prefix_tokens: the number "
                "of distinct shared prefixes says nothing without their length"
            )
        return self
