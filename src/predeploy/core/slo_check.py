"""Predicted metrics against SLO targets, with the planner's headroom.

A target is *met* when the prediction is at or under it; a plan is only accepted when every
target is met with the requested headroom, i.e. ``predicted ≤ target × (1 − headroom)``
(``margin = (target − predicted) / target ≥ headroom``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from predeploy.core.errors import InputError
from predeploy.core.types import (
    PERCENTILE_NAMES,
    LatencyMetric,
    PercentileName,
    Percentiles,
    PercentileTargets,
    PerfMetrics,
    SLOCheck,
    SLOTargets,
)
from predeploy.core.wording import format_ms, format_percent

#: Display names of the latency metrics.
METRIC_LABELS = {"ttft_ms": "TTFT", "itl_ms": "ITL", "tpot_ms": "TPOT", "e2e_ms": "E2E"}


def percentile_value(values: Percentiles, name: PercentileName) -> float | None:
    """``values.<name>``, or the next higher percentile known (a conservative stand-in)."""
    value: float | None = getattr(values, name)
    if value is not None:
        return value
    if name == "mean":
        return values.p50
    for higher in PERCENTILE_NAMES[PERCENTILE_NAMES.index(name) + 1:]:
        value = getattr(values, higher)
        if value is not None:
            return value
    return None


@dataclass(frozen=True, slots=True)
class LatencyCheck:
    """One latency target against a prediction (a light value for the search's hot path;
    :meth:`to_model` gives the :class:`SLOCheck` a plan carries)."""

    metric: LatencyMetric
    percentile: PercentileName
    target: float
    predicted: float
    met: bool
    margin: float

    def to_model(self) -> SLOCheck:
        return SLOCheck(metric=self.metric, percentile=self.percentile, target=self.target,
                        predicted=self.predicted, met=self.met, margin=self.margin)


def check_latency(
    metrics: PerfMetrics,
    slo: SLOTargets | Sequence[tuple[LatencyMetric, PercentileName, float]],
) -> dict[str, LatencyCheck]:
    """One check per latency target, keyed ``ttft_ms.p90`` and so on.

    ``slo`` may be the targets already flattened by :meth:`SLOTargets.latency_targets` (the
    search's hot path). A percentile the prediction lacks counts as missed (predicted 0,
    ``met`` False, margin −1).
    """
    targets = slo.latency_targets() if isinstance(slo, SLOTargets) else slo
    checks: dict[str, LatencyCheck] = {}
    for metric, pct, target in targets:
        values = getattr(metrics, metric)
        value = getattr(values, pct)
        if value is None:
            value = percentile_value(values, pct)
        key = _KEYS[metric, pct]
        if value is None:
            checks[key] = LatencyCheck(metric, pct, target, 0.0, False, -1.0)
        else:
            checks[key] = LatencyCheck(
                metric, pct, target, value, value <= target, (target - value) / target)
    return checks


_KEYS = {(m, p): f"{m}.{p}" for m in METRIC_LABELS for p in ("mean", *PERCENTILE_NAMES)}


def check_throughput(
    capacity_rps: float, capacity_output_tokens_per_s: float, slo: SLOTargets
) -> dict[str, SLOCheck]:
    """Minimum-throughput targets against what the whole deployment sustains."""
    checks: dict[str, SLOCheck] = {}
    if slo.min_requests_per_s is not None:
        target = slo.min_requests_per_s
        checks["requests_per_s"] = SLOCheck(
            metric="requests_per_s", target=target, predicted=capacity_rps,
            met=capacity_rps >= target, margin=(capacity_rps - target) / target,
        )
    if slo.min_output_tokens_per_s is not None:
        target = slo.min_output_tokens_per_s
        value = capacity_output_tokens_per_s
        checks["output_tokens_per_s"] = SLOCheck(
            metric="output_tokens_per_s", target=target, predicted=value,
            met=value >= target, margin=(value - target) / target,
        )
    return checks


def misses(checks: dict[str, LatencyCheck], headroom: float) -> list[tuple[str, LatencyCheck]]:
    """The checks not met with ``headroom`` to spare, worst first."""
    out = [(key, c) for key, c in checks.items() if c.margin < headroom - 1e-12]
    return sorted(out, key=lambda kc: kc[1].margin)


def describe_check(key: str, check: SLOCheck | LatencyCheck, headroom: float = 0.0) -> str:
    """``TTFT p90 180 ms vs 200 ms target`` (+ the headroom when a miss is only on it)."""
    if check.metric in METRIC_LABELS:
        label = f"{METRIC_LABELS[check.metric]} {check.percentile}"
        if check.margin <= -1 and check.predicted == 0:
            return f"{label}: not predicted (target {format_ms(check.target)})"
        text = f"{label} {format_ms(check.predicted)} vs {format_ms(check.target)} target"
    else:
        unit = "req/s" if check.metric == "requests_per_s" else "output tokens/s"
        text = f"capacity {check.predicted:,.1f} {unit} vs {check.target:,.1f} {unit} required"
    if check.met and check.margin < headroom:
        text += f" (met, but inside the {format_percent(headroom)} headroom)"
    return text


def effective_slo(stated: SLOTargets, template: SLOTargets) -> tuple[SLOTargets, list[str]]:
    """The targets applied: per metric, the request's targets when it sets any, else the
    template's (a metric is taken whole, so percentile order stays valid)."""
    values: dict[str, object] = {}
    from_request: list[str] = []
    from_template: list[str] = []
    for metric, label in METRIC_LABELS.items():
        mine = getattr(stated, metric)
        if mine.items():
            values[metric] = mine
            from_request.append(label)
        else:
            theirs: PercentileTargets = getattr(template, metric)
            values[metric] = theirs
            if theirs.items():
                from_template.append(label)
    for field in ("min_requests_per_s", "min_output_tokens_per_s"):
        values[field] = getattr(stated, field) or getattr(template, field)
    notes = []
    if from_request:
        notes.append(f"SLO targets from the request: {', '.join(from_request)}")
    if from_template:
        notes.append(f"SLO targets from the use-case template: {', '.join(from_template)}")
    return SLOTargets.model_validate(values), notes


def parse_latency_targets(text: str) -> SLOTargets:
    """Latency targets written ``metric.percentile=ms`` and separated by commas, e.g.
    ``ttft_ms.p90=500,itl_ms.p90=50``; InputError naming what is wrong."""
    values: dict[str, dict[str, float]] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, raw = item.partition("=")
        metric, _, pct = name.strip().partition(".")
        if metric not in METRIC_LABELS or pct not in PERCENTILE_NAMES:
            valid = ", ".join(f"{m}.p90" for m in METRIC_LABELS)
            raise InputError(f"unknown SLO target {name.strip()!r}; write metric.percentile=ms "
                             f"(e.g. {valid})")
        try:
            bound = float(raw)
        except ValueError:
            bound = math.nan
        if not bound > 0 or not math.isfinite(bound):
            raise InputError(f"SLO target {name.strip()} needs a positive number of ms, "
                             f"got {raw.strip()!r}")
        values.setdefault(metric, {})[pct] = bound
    if not values:
        raise InputError("no SLO target given; write e.g. ttft_ms.p90=500,itl_ms.p90=50")
    return SLOTargets.model_validate(values)
