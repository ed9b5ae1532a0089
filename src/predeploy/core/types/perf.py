"""What the performance engine predicts, and what the prediction rests on."""

from __future__ import annotations

from typing import Literal

from predeploy.core.types.base import (
    Fraction,
    FrozenModel,
    NonNegativeFloat,
    Percentiles,
)

PredictionMethod = Literal["simulation", "analytic", "roofline"]
ParameterBasis = Literal["fitted", "fallback"]


class PredictionProvenance(FrozenModel):
    """Which model and parameters a prediction rests on; shown next to every predicted number."""

    method: PredictionMethod
    parameters: ParameterBasis
    #: e.g. ``fitted on 212 measurements (H100-SXM, vllm)`` or ``fallback: Ampere class defaults``.
    parameter_source: str
    seed: int | None = None
    num_requests_simulated: int | None = None

    def label(self) -> str:
        basis = "estimate" if self.parameters == "fallback" else "calibrated estimate"
        return f"{basis} ({self.method}; {self.parameter_source})"


class PerfMetrics(FrozenModel):
    """Predicted serving metrics for one replica configuration under one load."""

    ttft_ms: Percentiles
    itl_ms: Percentiles
    tpot_ms: Percentiles
    e2e_ms: Percentiles
    output_tokens_per_s: NonNegativeFloat
    total_tokens_per_s: NonNegativeFloat
    requests_per_s: NonNegativeFloat
    kv_cache_usage: Fraction | None = None
    mean_queue_length: NonNegativeFloat | None = None
    mean_batch_size: NonNegativeFloat | None = None
    provenance: PredictionProvenance
