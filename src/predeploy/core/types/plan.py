"""DeploymentPlan: one concrete way to serve the intent, with its predicted metrics and cost."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, computed_field, model_validator

from predeploy.core.types.base import (
    Fraction,
    FrozenModel,
    KvCacheDtype,
    NonNegativeFloat,
    PercentileName,
    Percentiles,
    PositiveFloat,
    PositiveInt,
    Precision,
    Provenance,
)
from predeploy.core.types.perf import PredictionProvenance
from predeploy.core.types.slo import LatencyMetric

#: vLLM ``--quantization`` method per weight precision when the checkpoint is not pre-quantized.
QUANTIZATION_METHOD: dict[Precision, str | None] = {
    Precision.BF16: None,
    Precision.FP16: None,
    Precision.FP8: "fp8",
    Precision.INT8: "compressed-tensors",
    Precision.INT4: "awq_marlin",
    Precision.FP4: "modelopt_fp4",
}


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
        args["--enable-chunked-prefill" if self.enable_chunked_prefill
             else "--no-enable-chunked-prefill"] = True
        args["--enable-prefix-caching" if self.enable_prefix_caching
             else "--no-enable-prefix-caching"] = True
        return args

    def to_cli(self) -> list[str]:
        """The arguments as a list of command-line tokens."""
        out: list[str] = []
        for flag, value in self.to_args().items():
            out.append(flag) if value is True else out.extend([flag, str(value)])
        return out


class PlanPrediction(FrozenModel):
    """Predicted metrics of the whole deployment at the peak request rate."""

    ttft_ms: Percentiles
    itl_ms: Percentiles
    tpot_ms: Percentiles
    e2e_ms: Percentiles
    output_tokens_per_s: NonNegativeFloat
    requests_per_s: NonNegativeFloat
    max_rps_per_replica: NonNegativeFloat
    kv_cache_usage: Fraction | None = None
    provenance: PredictionProvenance


class SLOCheck(FrozenModel):
    """One SLO target against the prediction."""

    metric: LatencyMetric | Literal["requests_per_s", "output_tokens_per_s"]
    percentile: PercentileName | None = None
    target: PositiveFloat
    predicted: NonNegativeFloat
    met: bool
    #: Relative slack: (target − predicted) / target for latencies; the reverse for throughput.
    margin: float


class CostEstimate(FrozenModel):
    """What the plan costs, from a sourced price."""

    hourly_usd: NonNegativeFloat
    monthly_usd: NonNegativeFloat
    per_million_output_tokens_usd: NonNegativeFloat | None
    usd_per_gpu_hour: PositiveFloat
    spot_hourly_usd: NonNegativeFloat | None = None
    spot_monthly_usd: NonNegativeFloat | None = None
    provider: str
    price_provenance: Provenance


class Autoscaling(FrozenModel):
    """Replica bounds: the minimum carries the average load, the maximum the peak."""

    min_replicas: PositiveInt
    max_replicas: PositiveInt

    @model_validator(mode="after")
    def _bounds(self) -> Autoscaling:
        if self.max_replicas < self.min_replicas:
            raise ValueError("max_replicas is below min_replicas")
        return self


class DeploymentPlan(FrozenModel):
    """A concrete serving configuration, verified against the SLOs, with cost and rationale."""

    model: Annotated[str, Field(min_length=1)]
    model_name: str = ""
    precision: Precision
    gpu: Annotated[str, Field(min_length=1)]
    gpu_label: str = ""
    tp: PositiveInt
    gpus_per_replica: PositiveInt
    replicas: PositiveInt
    vllm: VllmSettings
    autoscaling: Autoscaling
    predicted: PlanPrediction
    slo_checks: dict[str, SLOCheck]
    cost: CostEstimate
    quality_score: NonNegativeFloat | None = None
    quality_scale: str | None = None
    rationale: tuple[str, ...] = ()
    provenance: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _drop_computed(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = {k: v for k, v in data.items()
                    if k not in {"total_gpus", "meets_slo", "vllm_args", "configuration"}}
        return data

    @model_validator(mode="after")
    def _tp_fits(self) -> DeploymentPlan:
        if self.gpus_per_replica < self.tp:
            raise ValueError(f"gpus_per_replica ({self.gpus_per_replica}) is below tp ({self.tp})")
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_gpus(self) -> int:
        return self.gpus_per_replica * self.replicas

    @computed_field  # type: ignore[prop-decorator]
    @property
    def meets_slo(self) -> bool:
        return all(check.met for check in self.slo_checks.values())

    @computed_field  # type: ignore[prop-decorator]
    @property
    def vllm_args(self) -> dict[str, str | int | float | bool]:
        return self.vllm.to_args()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def configuration(self) -> str:
        """User-facing hardware, e.g. ``2x NVIDIA L4`` per replica."""
        return f"{self.gpus_per_replica}x {self.gpu_label or self.gpu}"
