"""Service-level objectives: the latency and throughput targets a plan must meet."""

from __future__ import annotations

import itertools
from typing import Literal

from pydantic import model_validator

from predeploy.core.types.base import (
    FrozenModel,
    PercentileName,
    PositiveFloat,
)

LatencyMetric = Literal["ttft_ms", "itl_ms", "tpot_ms", "e2e_ms"]
LATENCY_METRICS: tuple[LatencyMetric, ...] = ("ttft_ms", "itl_ms", "tpot_ms", "e2e_ms")


class PercentileTargets(FrozenModel):
    """Upper bounds for one latency metric at some percentiles (``None`` = no target)."""

    p50: PositiveFloat | None = None
    p90: PositiveFloat | None = None
    p95: PositiveFloat | None = None
    p99: PositiveFloat | None = None

    def items(self) -> list[tuple[PercentileName, float]]:
        """The percentiles that have a target, in ascending order."""
        out: list[tuple[PercentileName, float]] = []
        for name in ("p50", "p90", "p95", "p99"):
            value = getattr(self, name)
            if value is not None:
                out.append((name, value))
        return out

    @model_validator(mode="after")
    def _ordered(self) -> PercentileTargets:
        known = [v for _, v in self.items()]
        if any(b < a for a, b in itertools.pairwise(known)):
            raise ValueError(
                f"targets must not decrease with the percentile (p50 ≤ p90 ≤ p95 ≤ p99), "
                f"got {known}"
            )
        return self


class SLOTargets(FrozenModel):
    """Every mandatory metric a deployment is held to; each field is editable.

    TTFT at p50/p90/p99, ITL (per streamed gap) and TPOT (per request) at p50/p90/p99, E2E at
    p50/p95/p99, and minimum sustained throughput.
    """

    ttft_ms: PercentileTargets = PercentileTargets()
    itl_ms: PercentileTargets = PercentileTargets()
    tpot_ms: PercentileTargets = PercentileTargets()
    e2e_ms: PercentileTargets = PercentileTargets()
    min_requests_per_s: PositiveFloat | None = None
    min_output_tokens_per_s: PositiveFloat | None = None

    def latency_targets(self) -> list[tuple[LatencyMetric, PercentileName, float]]:
        """Flat list of (metric, percentile, bound in ms) for every latency target set."""
        return [
            (metric, pct, value)
            for metric in LATENCY_METRICS
            for pct, value in getattr(self, metric).items()
        ]
