"""Merging stated latency targets into a template's SLO, keeping percentiles consistent.

A target stated without a percentile applies at :data:`DEFAULT_STATED_PERCENTILE` (p95: the
percentile most SLO write-ups and load-test reports quote for user-facing latency). The
template's other percentiles of that metric follow the statement asymmetrically:

* a statement LOOSER than the template (k = stated / template(p) > 1) relaxes the others by the
  same factor k, keeping the template's shape (how much worse p99 is than p50);
* a statement TIGHTER than the template leaves the others as they are, tightened only as far as
  the order p50 ≤ p90 ≤ p95 ≤ p99 requires ("TTFT under 300 ms" must not silently turn the
  template's p50 of 250 ms into 100 ms).

template(p) is the template's value at percentile p, interpolated geometrically between its
neighbours. With several stated percentiles, each other percentile takes the factor of the
nearest stated one and is then clamped between its stated neighbours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from predeploy.core.types import FieldSource, PercentileTargets, SLOTargets
from predeploy.core.types.base import PercentileName
from predeploy.core.types.slo import LATENCY_METRICS, LatencyMetric
from predeploy.intent.draft import StatedTarget

#: Where a latency target without a percentile is applied.
DEFAULT_STATED_PERCENTILE: PercentileName = "p95"
_RANK: dict[PercentileName, float] = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0}
_ORDER: tuple[PercentileName, ...] = ("p50", "p90", "p95", "p99")


@dataclass(frozen=True)
class MergedSlo:
    slo: SLOTargets
    sources: dict[str, FieldSource]
    notes: list[str]


def template_value_at(values: dict[PercentileName, float], pct: PercentileName) -> float | None:
    """The template's bound at ``pct``: exact, geometric interpolation, or nearest value."""
    if not values:
        return None
    if pct in values:
        return values[pct]
    rank = _RANK[pct]
    lower = [(p, v) for p, v in values.items() if _RANK[p] < rank]
    upper = [(p, v) for p, v in values.items() if _RANK[p] > rank]
    if lower and upper:
        (pl, vl), (pu, vu) = (
            max(lower, key=lambda x: _RANK[x[0]]),
            min(upper, key=lambda x: _RANK[x[0]]),
        )
        f = (rank - _RANK[pl]) / (_RANK[pu] - _RANK[pl])
        return math.exp((1 - f) * math.log(vl) + f * math.log(vu))
    nearest = (
        max(lower, key=lambda x: _RANK[x[0]]) if lower else min(upper, key=lambda x: _RANK[x[0]])
    )
    return nearest[1]


def _metric_name(metric: LatencyMetric) -> str:
    return {"ttft_ms": "TTFT", "itl_ms": "ITL", "tpot_ms": "TPOT", "e2e_ms": "E2E"}[metric]


def _merge_metric(
    metric: LatencyMetric,
    template: PercentileTargets,
    stated: list[StatedTarget],
    sources: dict[str, FieldSource],
    notes: list[str],
) -> PercentileTargets:
    base: dict[PercentileName, float] = dict(template.items())
    anchors: dict[PercentileName, StatedTarget] = {}
    for target in stated:
        pct = target.percentile or DEFAULT_STATED_PERCENTILE
        if target.percentile is None:
            notes.append(
                f"{_metric_name(metric)} target {target.value_ms:g} ms applied at {pct} "
                "(no percentile given)"
            )
        anchors[pct] = target  # a later statement of the same percentile wins
    # Stated bounds must not decrease with the percentile; raise a lower-percentile-larger one.
    ordered = [p for p in _ORDER if p in anchors]
    values: dict[PercentileName, float] = {p: anchors[p].value_ms for p in ordered}
    running = 0.0
    for p in ordered:
        if values[p] < running:
            notes.append(
                f"{_metric_name(metric)} {p} bound {values[p]:g} ms is below a lower "
                f"percentile's bound; raised to {running:g} ms"
            )
            values[p] = running
        running = values[p]
    factors: dict[PercentileName, float] = {}
    for p in ordered:
        at = template_value_at(base, p)
        if at is not None:
            factors[p] = max(1.0, values[p] / at)
    out: dict[PercentileName, float] = {}
    path = f"slo.{metric}"
    for p in _ORDER:
        if p in values:
            out[p] = values[p]
            t = anchors[p]
            sources[f"{path}.{p}"] = FieldSource(
                origin="derived" if t.derived else "stated",
                confidence=t.evidence.confidence if t.evidence else 0.9,
                evidence=t.evidence.text if t.evidence else None,
            )
        elif p in base:
            if factors:
                nearest = min(factors, key=lambda a: (abs(_RANK[a] - _RANK[p]), _RANK[a]))
                out[p] = base[p] * factors[nearest]
                sources[f"{path}.{p}"] = (
                    FieldSource(
                        origin="derived",
                        confidence=0.7,
                        evidence=f"template {p} relaxed ×{factors[nearest]:.3g} with the "
                        f"stated {nearest} target",
                    )
                    if factors[nearest] > 1.0
                    else FieldSource(
                        origin="default", confidence=0.8, evidence="use-case SLO template"
                    )
                )
            else:
                out[p] = base[p]
                sources[f"{path}.{p}"] = FieldSource(
                    origin="default", confidence=0.8, evidence="use-case SLO template"
                )
    # Clamp the scaled values between stated neighbours so the order holds.
    previous = 0.0
    for i, p in enumerate(_ORDER):
        if p not in out:
            continue
        if p not in values:
            upper = [values[q] for q in _ORDER[i + 1 :] if q in values]
            cap = min(upper) if upper else math.inf
            clamped = min(max(out[p], previous), cap)
            if clamped != out[p]:
                sources[f"{path}.{p}"] = FieldSource(
                    origin="derived",
                    confidence=0.7,
                    evidence=f"template {p} {out[p]:g} ms clamped to {clamped:g} ms to stay "
                    "consistent with the stated targets",
                )
                out[p] = clamped
        previous = out[p]
    return PercentileTargets(**{p: round(v, 3) for p, v in out.items()})


def merge_targets(template: SLOTargets | None, stated: tuple[StatedTarget, ...]) -> MergedSlo:
    """The template's targets with the stated ones applied (see module docstring)."""
    base = template or SLOTargets()
    sources: dict[str, FieldSource] = {}
    notes: list[str] = []
    merged: dict[str, PercentileTargets] = {}
    for metric in LATENCY_METRICS:
        mine = [t for t in stated if t.metric == metric]
        merged[metric] = _merge_metric(metric, getattr(base, metric), mine, sources, notes)
    merged["ttft_ms"] = _ttft_not_above_stated_e2e(merged, sources, notes)
    merged["e2e_ms"] = _e2e_not_below_ttft(merged, sources, notes)
    slo = SLOTargets(
        **merged,
        min_requests_per_s=base.min_requests_per_s,
        min_output_tokens_per_s=base.min_output_tokens_per_s,
    )
    return MergedSlo(slo, sources, notes)


def _stated(sources: dict[str, FieldSource], metric: str, pct: PercentileName) -> bool:
    source = sources.get(f"slo.{metric}.{pct}")
    return (
        source is not None
        and source.origin in ("stated", "derived")
        and (source.evidence is None or not source.evidence.startswith(("template", "raised")))
    )


def _ttft_not_above_stated_e2e(
    merged: dict[str, PercentileTargets], sources: dict[str, FieldSource], notes: list[str]
) -> PercentileTargets:
    """Lower template TTFT bounds above a stated E2E bound: TTFT(p) ≤ E2E(p) for every request,
    so "95% of completions under 80 ms" also bounds the time to the first token."""
    e2e: dict[PercentileName, float] = dict(merged["e2e_ms"].items())
    stated_ranks = [_RANK[p] for p in e2e if _stated(sources, "e2e_ms", p)]
    ttft: dict[PercentileName, float] = dict(merged["ttft_ms"].items())
    if not stated_ranks or not ttft:
        return merged["ttft_ms"]
    lowered = False
    for pct, bound in ttft.items():
        if _stated(sources, "ttft_ms", pct) or _RANK[pct] > max(stated_ranks):
            continue  # only a stated E2E bound at this percentile or above caps the TTFT
        cap = template_value_at(e2e, pct)
        if cap is not None and bound > cap:
            ttft[pct] = cap
            sources[f"slo.ttft_ms.{pct}"] = FieldSource(
                origin="derived", confidence=0.7, evidence=f"lowered to the stated E2E {pct} bound"
            )
            lowered = True
    if lowered:
        notes.append("template TTFT targets lowered to the stated end-to-end targets")
        previous = 0.0
        for pct in _ORDER:  # never below a stated TTFT of a lower percentile
            if pct in ttft:
                ttft[pct] = max(ttft[pct], previous)
                previous = ttft[pct]
    return PercentileTargets(**{p: round(v, 3) for p, v in ttft.items()})


def _origin_stated(sources: dict[str, FieldSource], pct: PercentileName) -> bool:
    source = sources.get(f"slo.e2e_ms.{pct}")
    return source is not None and source.origin == "stated"


def _e2e_not_below_ttft(
    merged: dict[str, PercentileTargets], sources: dict[str, FieldSource], notes: list[str]
) -> PercentileTargets:
    """Raise template E2E bounds that fall below the TTFT bound at the same percentile.

    A request's end-to-end time includes its time to first token, so E2E(p) ≥ TTFT(p); a
    stated TTFT looser than the template's E2E would otherwise make the E2E default bind.
    Stated E2E bounds are kept (a contradiction is reported instead).
    """
    ttft: dict[PercentileName, float] = dict(merged["ttft_ms"].items())
    e2e: dict[PercentileName, float] = dict(merged["e2e_ms"].items())
    if not ttft or not e2e:
        return merged["e2e_ms"]
    raised = False
    for pct, bound in e2e.items():
        floor = template_value_at(ttft, pct)
        if floor is None or bound >= floor:
            continue
        source = sources.get(f"slo.e2e_ms.{pct}")
        if source is not None and source.origin == "stated":
            notes.append(f"stated E2E {pct} {bound:g} ms is below the TTFT bound {floor:g} ms")
            continue
        e2e[pct] = floor
        sources[f"slo.e2e_ms.{pct}"] = FieldSource(
            origin="derived", confidence=0.6, evidence=f"raised to the TTFT {pct} bound"
        )
        raised = True
    if raised:
        notes.append("template E2E targets raised to at least the TTFT targets")
        previous = 0.0
        for i, pct in enumerate(_ORDER):
            if pct not in e2e:
                continue
            if not _origin_stated(sources, pct):
                # keep the order, but never above a stated bound of a higher percentile
                caps = [e2e[q] for q in _ORDER[i + 1 :] if q in e2e and _origin_stated(sources, q)]
                e2e[pct] = min(max(e2e[pct], previous), min(caps, default=math.inf))
            previous = e2e[pct]
    return PercentileTargets(**{p: round(v, 3) for p, v in e2e.items()})
