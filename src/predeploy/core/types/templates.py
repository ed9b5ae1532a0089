"""Use-case SLO templates and named deployment patterns."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from predeploy.core.types.base import (
    Fraction,
    FrozenModel,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    Priority,
    Provenance,
    UseCase,
)
from predeploy.core.types.slo import SLOTargets
from predeploy.core.types.traffic import TokenDistribution


class TrafficDefaults(FrozenModel):
    """How a use case loads a server when the user does not say."""

    prompt_tokens: TokenDistribution
    output_tokens: TokenDistribution
    requests_per_active_user_per_min: PositiveFloat
    #: Share of the stated (total) users active at once in the busy hour.
    active_user_ratio: Fraction
    #: Requests per day per user, used when users are given as a daily count.
    requests_per_user_per_day: PositiveFloat
    burstiness_cv: PositiveFloat = 1.0
    diurnal_peak_factor: PositiveFloat = Field(default=2.0, ge=1.0)


class ModelCharacteristics(FrozenModel):
    """What a good model for this use case looks like."""

    min_context_tokens: PositiveInt
    preferred_params_b: tuple[PositiveFloat, PositiveFloat]
    min_quality: NonNegativeFloat = 0.0
    notes: str = ""


class SloTemplate(FrozenModel):
    """Defaults for one of the ten use cases (DESIGN.md §6)."""

    id: UseCase
    name: Annotated[str, Field(min_length=1)]
    description: str
    traffic: TrafficDefaults
    slo: SLOTargets
    #: One line per metric saying why this target (keys: ttft_ms, itl_ms, tpot_ms, e2e_ms, ...).
    rationale: dict[str, str]
    model: ModelCharacteristics
    default_priority: Priority = Priority.BALANCED
    streaming: bool = True
    provenance: Provenance


class AutoscalingSettings(FrozenModel):
    """How replicas scale: KEDA on a vLLM metric, or KServe/Knative concurrency."""

    kind: Literal["keda", "knative", "hpa", "none"] = "keda"
    metric: str = "vllm:num_requests_waiting"
    target: PositiveFloat = 4.0
    min_replicas: PositiveInt = 1
    max_replicas: PositiveInt = 4
    scale_down_delay_s: PositiveInt = 300


class DeploymentTemplate(FrozenModel):
    """A named serving pattern with its KServe, vLLM and autoscaling settings."""

    id: Annotated[str, Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9\-]*$")]
    name: str
    description: str
    use_cases: tuple[UseCase, ...]
    kserve_deployment_mode: Literal["Standard", "Knative"] = "Standard"
    runtime: Literal["kserve-vllmserver", "kserve-huggingfaceserver", "vllm-raw"] = (
        "kserve-huggingfaceserver"
    )
    vllm_args: dict[str, str | int | float | bool]
    autoscaling: AutoscalingSettings
    monitoring: bool = True
    slo_alerts: bool = True
    provenance: Provenance
