"""Ranking and trade-offs: Pareto front over cost, latency and quality; priority order; diversity.

A plan *dominates* another when it is no worse on all three of cost ($/hour), latency (E2E p90 at
peak, ms) and quality and strictly better on one. Quality is the model's score on the chosen
scale (unknown counts as lowest) *and* the fidelity of the served weights
(:func:`weight_fidelity`): the published checkpoint, BF16/FP16 or FP8 count as full fidelity —
FP8 weights and activations recover ≥ 99 % of BF16 accuracy across the Llama 3.1 family
(Kurtic et al., "Give Me BF16 or Give Me Death? Accuracy-Performance Trade-Offs in LLM
Quantization", arXiv:2411.02355, 2024) — while INT8, INT4 and FP4 conversions of a
higher-precision checkpoint count as reduced: their loss varies by model and task and is not
measured here, so such a plan never dominates a full-fidelity one and the user sees the trade.

The priority order within the front uses the log-ratios of each plan to the best value on the
front, so "twice the cost" weighs the same whatever the currency of the request:
``score = w_c·ln(cost / min cost) + w_l·ln(latency / min latency) + w_q·ln(max quality / quality)``
with weights per priority (:data:`PRIORITY_WEIGHTS`; the lead weight 1, the others 0.1–0.3 so
that they still count: every plan on the front already meets the SLOs, so a "latency" user
should not pay 85 % more for 7 % lower latency, nor a "cost" user take a far worse model to save
a few percent; ``quality`` orders by model quality, then weight fidelity, then the score).
``balanced`` weighs cost and quality 1 and latency 0.5: every plan on the front
already meets the SLOs with headroom, so latency beyond that is worth less than money or
quality. ``throughput`` ranks by sustainable requests/s per dollar.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from predeploy.core.types import Precision, Priority

T = TypeVar("T")

#: (cost, latency, quality) weights of the log-ratio score per priority.
PRIORITY_WEIGHTS: dict[Priority, tuple[float, float, float]] = {
    Priority.COST: (1.0, 0.1, 0.2),
    Priority.LATENCY: (0.3, 1.0, 0.3),
    Priority.QUALITY: (0.1, 0.1, 1.0),
    Priority.BALANCED: (1.0, 0.5, 1.0),
    Priority.THROUGHPUT: (0.1, 0.1, 0.1),
}
#: Quality floor used in log-ratios so that a missing or zero score stays finite.
_QUALITY_EPS = 1e-3
#: A model without a score on the scale in use counts as this fraction of the lowest known
#: score: below every scored model, but not infinitely far (a ranking convention, not a fact).
UNSCORED_QUALITY_FRACTION = 0.9


#: Precisions whose weights count as full fidelity (see the module docstring).
FULL_FIDELITY: frozenset[Precision] = frozenset({Precision.BF16, Precision.FP16, Precision.FP8})
FULL, REDUCED = 2, 1


def weight_fidelity(precision: Precision, native: Precision) -> int:
    """:data:`FULL` for BF16/FP16/FP8 or the checkpoint's own precision, else :data:`REDUCED`."""
    return FULL if precision in FULL_FIDELITY or precision == native else REDUCED


@dataclass(frozen=True, slots=True)
class Point:
    """The figures a plan is compared on."""

    hourly_usd: float
    latency_ms: float
    quality: float | None
    capacity_rps: float
    fidelity: int = FULL

    @property
    def quality_value(self) -> float:
        return -math.inf if self.quality is None else self.quality


def dominates(a: Point, b: Point) -> bool:
    """``a`` is no worse than ``b`` on cost, latency and quality, and better on one."""
    no_worse = (
        a.hourly_usd <= b.hourly_usd
        and a.latency_ms <= b.latency_ms
        and a.quality_value >= b.quality_value
        and a.fidelity >= b.fidelity
    )
    better = (
        a.hourly_usd < b.hourly_usd
        or a.latency_ms < b.latency_ms
        or a.quality_value > b.quality_value
        or a.fidelity > b.fidelity
    )
    return no_worse and better


def pareto_front(items: Sequence[T], point: Callable[[T], Point]) -> list[T]:
    """The items no other item dominates (input order kept)."""
    points = [point(i) for i in items]
    return [
        item for item, p in zip(items, points, strict=True)
        if not any(dominates(q, p) for q in points if q is not p)
    ]


def priority_scores(points: Sequence[Point], priority: Priority) -> list[float]:
    """Lower is better. See the module docstring for the formula."""
    if not points:
        return []
    if priority == Priority.THROUGHPUT:
        return [
            -(p.capacity_rps / p.hourly_usd) if p.hourly_usd > 0 else -math.inf for p in points
        ]
    w_cost, w_lat, w_q = PRIORITY_WEIGHTS[priority]
    min_cost = min(p.hourly_usd for p in points)
    min_lat = min(p.latency_ms for p in points)
    known = [p.quality for p in points if p.quality is not None]
    max_q = max(known, default=None)
    floor_q = min(known, default=None)
    scores = []
    for p in points:
        score = w_cost * _log_ratio(p.hourly_usd, min_cost)
        score += w_lat * _log_ratio(p.latency_ms, min_lat)
        if max_q is not None and floor_q is not None:
            q = p.quality if p.quality is not None else floor_q * UNSCORED_QUALITY_FRACTION
            score += w_q * _log_ratio(max_q, max(q, _QUALITY_EPS))
        scores.append(score)
    return scores


def _log_ratio(value: float, best: float) -> float:
    if best <= 0 or value <= 0:
        return 0.0
    return math.log(value / best)


def rank(items: Sequence[T], point: Callable[[T], Point], priority: Priority) -> list[T]:
    """Items best-first by the priority score (ties: cheaper, then faster)."""
    points = [point(i) for i in items]
    scores = priority_scores(points, priority)
    if priority == Priority.QUALITY:
        def key(i: int) -> tuple[float, ...]:
            return (-points[i].quality_value, -points[i].fidelity, scores[i])
    else:
        def key(i: int) -> tuple[float, ...]:
            return (scores[i], points[i].hourly_usd, points[i].latency_ms)
    order = sorted(range(len(items)), key=key)
    return [items[i] for i in order]


def select_diverse(
    ranked: Sequence[T],
    limit: int,
    kinds: Callable[[T], tuple[str, str]],
    extremes: Sequence[T] = (),
) -> list[T]:
    """Up to ``limit`` items: the first ranked, the ``extremes`` (cheapest, fastest, best
    quality), then ranked items with a new model and a new accelerator, then with one of the
    two new, then with a new (model, accelerator) pair, then the rest in rank order."""
    chosen: list[T] = []

    def add(item: T) -> None:
        if len(chosen) < limit and all(item is not c for c in chosen):
            chosen.append(item)

    if ranked:
        add(ranked[0])
    for item in extremes:
        add(item)
    seen_pairs = {kinds(c) for c in chosen}
    seen_models = {kinds(c)[0] for c in chosen}
    seen_gpus = {kinds(c)[1] for c in chosen}
    for new_axes_needed in (2, 1, 0):
        for item in ranked:
            model, gpu = kinds(item)
            if (model, gpu) in seen_pairs:
                continue
            if (model not in seen_models) + (gpu not in seen_gpus) < new_axes_needed:
                continue
            add(item)
            seen_pairs.add((model, gpu))
            seen_models.add(model)
            seen_gpus.add(gpu)
    for item in ranked:
        add(item)
    return chosen
