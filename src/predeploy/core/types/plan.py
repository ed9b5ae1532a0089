"""DeploymentPlan: one concrete way to serve the intent, with its predicted metrics and cost."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, computed_field, model_validator

from predeploy.core.types.base import (
    Fraction,
    FrozenModel,
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
from predeploy.core.types.vllm import VllmSettings


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
    #: ``on_demand`` or ``spot``: which price ``hourly_usd`` uses (spot only when allowed).
    pricing: Literal["on_demand", "spot"] = "on_demand"
    instance_type: str | None = None
    region: str | None = None
    #: Whole instances rented, GPUs in each, and GPUs paid for but left idle by the packing.
    instances: PositiveInt | None = None
    gpus_per_instance: PositiveInt | None = None
    idle_gpus: int = Field(default=0, ge=0)
    #: Cost while autoscaled down to the minimum replica count (average load).
    hourly_usd_at_min_replicas: NonNegativeFloat | None = None
    monthly_usd_at_min_replicas: NonNegativeFloat | None = None
    #: How the cost was computed, in words (hours per month, load the $/M tokens assumes).
    basis: tuple[str, ...] = ()


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
    #: Peak request rate each replica carries (peak / replicas: the router spreads evenly).
    per_replica_peak_rps: NonNegativeFloat | None = None
    #: Short tags a reader scans for: ``recommended``, ``cheapest``, ``fastest``, ``best quality``.
    labels: tuple[str, ...] = ()
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
