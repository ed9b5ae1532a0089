"""Base model classes and small value types shared by every schema."""

from __future__ import annotations

import datetime as dt
import itertools
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class FrozenModel(BaseModel):
    """An immutable, strictly validated value: unknown keys are errors (a typo never passes)."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        protected_namespaces=(),
        validate_default=True,
        str_strip_whitespace=True,
    )


PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegativeFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
PositiveInt = Annotated[int, Field(gt=0)]
NonNegativeInt = Annotated[int, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class FactKind(StrEnum):
    """How a number came to be. Shown wherever the number is shown."""

    MEASURED = "measured"
    PUBLISHED_SPEC = "published-spec"
    ESTIMATED = "estimated"
    DERIVED = "derived"


class Provenance(FrozenModel):
    """Where a fact comes from: every row of the knowledge base carries one."""

    source: Annotated[str, Field(min_length=1, max_length=2000)]
    kind: FactKind
    date: dt.date | None = None
    url: str | None = None
    notes: str | None = None

    def label(self) -> str:
        """Short human-readable label, e.g. ``measured · MLPerf v5.1 · 2025-09-09``."""
        parts = [self.kind.value, self.source]
        if self.date is not None:
            parts.append(self.date.isoformat())
        return " · ".join(parts)


class Percentiles(FrozenModel):
    """Distribution summary of one latency metric, in the unit its field name states."""

    mean: NonNegativeFloat | None = None
    p50: NonNegativeFloat | None = None
    p90: NonNegativeFloat | None = None
    p95: NonNegativeFloat | None = None
    p99: NonNegativeFloat | None = None

    def get(self, percentile: PercentileName) -> float | None:
        value: float | None = getattr(self, percentile)
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Percentiles:
        known = [v for v in (self.p50, self.p90, self.p95, self.p99) if v is not None]
        if any(b < a * (1 - 1e-9) for a, b in itertools.pairwise(known)):
            raise ValueError(
                f"percentiles must not decrease (p50 ≤ p90 ≤ p95 ≤ p99), got {known}"
            )
        return self


PercentileName = Literal["mean", "p50", "p90", "p95", "p99"]
PERCENTILE_NAMES: tuple[PercentileName, ...] = ("p50", "p90", "p95", "p99")


class UseCase(StrEnum):
    """The ten use-case template ids (a stable contract, see DESIGN.md §6)."""

    CHATBOT = "chatbot"
    CUSTOMER_SERVICE = "customer_service"
    CODE_COMPLETION = "code_completion"
    CODE_GENERATION = "code_generation"
    RAG_QA = "rag_qa"
    SUMMARIZATION = "summarization"
    LONG_DOCUMENT_SUMMARIZATION = "long_document_summarization"
    CONTENT_GENERATION = "content_generation"
    TRANSLATION = "translation"
    BATCH_PROCESSING = "batch_processing"


class Priority(StrEnum):
    """What the user optimises for when several plans meet the SLOs."""

    LATENCY = "latency"
    COST = "cost"
    QUALITY = "quality"
    THROUGHPUT = "throughput"
    BALANCED = "balanced"


class Precision(StrEnum):
    """Weight precision of a served model."""

    BF16 = "bf16"
    FP16 = "fp16"
    FP8 = "fp8"
    INT8 = "int8"
    INT4 = "int4"
    FP4 = "fp4"


class KvCacheDtype(StrEnum):
    """KV-cache element type (vLLM ``--kv-cache-dtype``); ``auto`` follows the model dtype."""

    AUTO = "auto"
    FP8 = "fp8"


class Engine(StrEnum):
    VLLM = "vllm"
    SGLANG = "sglang"
    TRTLLM = "trtllm"
    LMDEPLOY = "lmdeploy"
    LLAMA_CPP = "llama.cpp"
    OTHER = "other"


#: Other spellings of the engine names (lowercase, "_" read as "-").
ENGINE_SPELLINGS: dict[str, Engine] = {
    "tensorrt-llm": Engine.TRTLLM,
    "tensorrtllm": Engine.TRTLLM,
    "trt-llm": Engine.TRTLLM,
    "llamacpp": Engine.LLAMA_CPP,
    "llama-cpp": Engine.LLAMA_CPP,
}


def engine_name(written: str) -> str:
    """An engine's name as :class:`Engine` spells it, from the ways it is commonly written
    ("vLLM", "TensorRT-LLM", "llama-cpp"); anything else lowercased and stripped."""
    key = written.strip().lower()
    spelled = ENGINE_SPELLINGS.get(key.replace("_", "-"))
    return spelled.value if spelled else key


class BenchmarkClient(StrEnum):
    """The benchmark client that sent a case's requests (not part of the shared case format;
    ``None`` there). A client that has the engine ignore the end-of-sequence token generates
    each request's stated output length exactly; one that lets the model stop at its own end
    of sequence ends many answers early, and clients sample a dataset differently: its output
    lengths differ between them (``core.datasets.DatasetProfile.forced_output``)."""

    #: ``vllm bench serve`` (``benchmarks/benchmark_serving.py`` before it): ``--ignore-eos``
    #: off by default (vllm-project/vllm ``benchmarks/benchmark_serving.py``, argument
    #: ``--ignore-eos``, ``default=False``).
    VLLM_BENCH = "vllm-bench"
    #: ``python -m sglang.bench_serving``: ignores EOS unless ``--disable-ignore-eos`` is
    #: given (sgl-project/sglang ``python/sglang/bench_serving.py``).
    SGLANG_BENCH = "sglang-bench"
    #: GuideLLM: every request carries ``"ignore_eos": true`` with its
    #: ``max_completion_tokens`` (the request bodies of
    #: ../shared/ecosystem/guidellm_benchmarks_sample_v2_trimmed.json).
    GUIDELLM = "guidellm"
    #: GPUStack's one-click benchmark (gpustack/benchmark-runner): GuideLLM, so ``ignore_eos``,
    #: fed ShareGPT by its own adapter, which keeps the first turns of the first conversations
    #: in file order, every answer's length as its output length, no length filter
    #: (``benchmark_runner/sharegpt_to_guidellm.py``).
    GPUSTACK_BENCHMARK = "gpustack-benchmark"


#: Whether each client has the engine ignore the end-of-sequence token by default
#: (:class:`BenchmarkClient`'s sources).
CLIENT_IGNORES_EOS: dict[BenchmarkClient, bool] = {
    BenchmarkClient.VLLM_BENCH: False,
    BenchmarkClient.SGLANG_BENCH: True,
    BenchmarkClient.GUIDELLM: True,
    BenchmarkClient.GPUSTACK_BENCHMARK: True,
}


class Harness(StrEnum):
    """The measurement set-up around the engine (HTTP server, tokenizer, benchmark client, a
    harness's own scheduling). Some set-ups add several times the default's time per request
    to every TTFT, some schedule the engine their own way, so the fit gives each non-default
    set-up its own offsets of what it changes (``core.calibration_problem.HARNESS_SHIFTS``)
    and predictions assume ``DEFAULT``."""

    #: The public benchmarks' set-ups: an engine's own server with its benchmark client
    #: (GPUStack, LMDeploy), trtllm-bench, MLPerf LoadGen (in process).
    DEFAULT = "default"
    #: AIConfigurator's silicon measurements (``aiconfigurator-core``,
    #: ``systems/silicon_sample.csv``): several times the default's time per request.
    AICONFIGURATOR = "aiconfigurator"
    #: MLPerf Inference submissions of vLLM on AMD Instinct GPUs: AMD's harness (also run by
    #: its partners: multi-step decoding, chunked prefill off, prefill held back by a custom
    #: scheduler) and MangoBoost's vLLM-based platform, neither stock vLLM scheduling. Their
    #: published engine settings are used (``core.mlperf_harness``); AMD's vLLM build has its
    #: own per-layer launch time, and the custom scheduler is not modelled, so their errors
    #: stay out of the stock engine's accuracy bands.
    MLPERF_AMD = "mlperf-amd"
    #: Served by NVIDIA Triton Inference Server's ``tensorrtllm`` backend (TensorRT-LLM's
    #: online-serving tables before 1.0): a C++ HTTP/gRPC front end in place of the engine's
    #: own Python server, whose time per request the TensorRT-LLM engine's fitted front-end
    #: offsets describe (``core.efficiency.OWN_FRONT_END``).
    TRITON = "triton"
    #: Chat completions on vLLM 0.11.0 through the model's Jinja chat template: its API server
    #: parses the template again for every request (``core.vllm_chat``), so each request holds
    #: the single server process several times as long as the default set-up's.
    VLLM_0_11_0_CHAT = "vllm-0.11.0-chat"


class Routing(StrEnum):
    """How the deployment's router picks the replica that serves a request: what decides
    whether a request finds its conversation's history, or its tenant's system prompt, in
    that replica's prefix cache (``core.prefix_cache``)."""

    #: Any replica, at random or in turn (a Kubernetes Service in front of the replicas, as
    #: a KServe ``InferenceService`` deploys them): a conversation's next turn reaches the
    #: replica holding its history one time in ``R``, and every replica sees every prefix.
    RANDOM = "random"
    #: Back to the replica holding the request's cached prefix (llm-d's inference scheduler
    #: with its prefix-cache scorer, KServe ``LLMInferenceService``'s router, or session
    #: affinity): a conversation stays on its replica and the distinct prefixes are shared
    #: out, about ``k/R`` to each of ``R`` replicas.
    PREFIX_AWARE = "prefix_aware"

    @classmethod
    def named(cls, value: str) -> Routing:
        """``value`` as typed: ``random``, ``prefix-aware`` or ``prefix_aware``, any case
        (ValueError otherwise)."""
        return cls(value.strip().lower().replace("-", "_"))
