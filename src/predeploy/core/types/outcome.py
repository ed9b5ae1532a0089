"""DeploymentOutcome: what a deployed plan actually did, for comparison and recalibration."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, model_validator

from predeploy.core.types.base import (
    FrozenModel,
    NonNegativeFloat,
    Percentiles,
    PositiveFloat,
)
from predeploy.core.types.plan import DeploymentPlan


class ObservedMetrics(FrozenModel):
    """Serving metrics measured in production (e.g. from vLLM's Prometheus histograms)."""

    ttft_ms: Percentiles = Percentiles()
    itl_ms: Percentiles = Percentiles()
    tpot_ms: Percentiles = Percentiles()
    e2e_ms: Percentiles = Percentiles()
    output_tokens_per_s: NonNegativeFloat | None = None
    requests_per_s: NonNegativeFloat | None = None
    kv_cache_usage: NonNegativeFloat | None = None


class ObservedTraffic(FrozenModel):
    """The load that was actually served during the period."""

    avg_requests_per_s: NonNegativeFloat
    peak_requests_per_s: NonNegativeFloat | None = None
    prompt_tokens_mean: PositiveFloat | None = None
    output_tokens_mean: PositiveFloat | None = None


class DeploymentOutcome(FrozenModel):
    """A plan, what it served, and how it performed over a period."""

    id: Annotated[str, Field(min_length=1, max_length=200)]
    deployment_name: Annotated[str, Field(min_length=1, max_length=253)]
    plan: DeploymentPlan
    observed: ObservedMetrics
    observed_traffic: ObservedTraffic
    period_start: dt.datetime
    period_end: dt.datetime
    source: str = Field(description="where the observations came from, e.g. a Prometheus URL")
    notes: str = ""

    @model_validator(mode="after")
    def _period(self) -> DeploymentOutcome:
        if self.period_end <= self.period_start:
            raise ValueError("period_end must be after period_start")
        return self
