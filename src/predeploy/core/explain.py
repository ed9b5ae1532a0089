"""Why nothing (or less) was feasible, and what change would make a plan feasible.

Suggestions are computed from the search, never guessed:

* SLO relaxations come from the screens' idle latency floors — the best any configuration
  reaches is the loosest target that can work (with the headroom on top);
* budget, accelerator, GPU-count and model relaxations re-run the search with that one
  constraint lifted and report the plan it then finds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from predeploy.core.catalog import Catalog
from predeploy.core.sizing import Configuration, PerformanceEngine, Screen
from predeploy.core.slo_check import METRIC_LABELS
from predeploy.core.types import (
    Budget,
    DeploymentIntent,
    DeploymentPlan,
    GpuAvailability,
    PlannerOptions,
    PlanResult,
    RejectedOption,
    RejectionKind,
    Suggestion,
)
from predeploy.core.wording import format_ms, format_number, format_usd

#: Pipeline order of the rejection kinds: a candidate is described by the furthest it got.
STAGE_ORDER: tuple[RejectionKind, ...] = (
    "not_requested", "task_fit", "model_size", "context_length", "license", "quality",
    "precision",
    "tensor_parallel", "memory", "slo", "capacity", "gpu_availability", "no_price", "budget",
    "simulation",
)
_STAGE = {kind: i for i, kind in enumerate(STAGE_ORDER)}
#: Plans each relaxed re-plan behind a suggestion returns (the suggestion quotes the best).
RELAXED_MAX_PLANS = 3

Replanner = Callable[..., PlanResult]


def aggregate_rejections(rejected: Sequence[RejectedOption]) -> list[RejectedOption]:
    """One rejection per (model, accelerator): the one from the furthest pipeline stage."""
    best: dict[tuple[str, str | None], RejectedOption] = {}
    for item in rejected:
        key = (item.candidate.model, item.candidate.gpu)
        kept = best.get(key)
        if kept is None or _STAGE[item.reason] > _STAGE[kept.reason]:
            best[key] = item
    return sorted(best.values(), key=lambda r: (-_STAGE[r.reason], _closeness(r),
                                                r.candidate.model, r.candidate.gpu or ""))


def _closeness(rejection: RejectedOption) -> float:
    """How far past its limit a rejection was (achieved / limit; 1 = just over; 0 if unknown)."""
    if rejection.achieved is None or not rejection.limit:
        return 0.0
    ratio = rejection.achieved / rejection.limit
    return ratio if ratio >= 1 else 1 / max(ratio, 1e-12)


def explain_infeasible(
    result: PlanResult,
    screens: Sequence[tuple[Configuration, Screen]],
    catalog: Catalog,
    engine: PerformanceEngine,
    options: PlannerOptions,
    replan: Replanner,
) -> list[Suggestion]:
    """What would make this request feasible, computed from the search (and re-searches)."""
    out: list[Suggestion] = []
    intent = result.intent
    if result.stats.models_considered == 0:
        out.extend(_model_suggestions(result))
    if screens and not any(not s.floor.missed for _, s in screens):
        out.extend(slo_suggestions(screens, result.headroom))
    out.extend(_simulated_slo_suggestions(result))
    if not options.suggest:
        return out
    relaxed = options.model_copy(update={"suggest": False, "max_plans": RELAXED_MAX_PLANS})

    def search(changed: DeploymentIntent) -> list[DeploymentPlan]:
        return list(replan(changed, catalog, engine, relaxed, traffic=result.traffic).plans)

    constraints = intent.constraints
    reasons = {r.reason for r in result.infeasible}
    if "budget" in reasons:
        plans = search(_with_constraints(intent, budget=Budget()))
        if plans:
            out.append(_budget_suggestion(constraints.budget, plans))
    if constraints.gpus and any(g.count is not None for g in constraints.gpus) and (
        reasons & {"gpu_availability", "capacity", "simulation"}
    ):
        uncounted = tuple(GpuAvailability(gpu=g.gpu) for g in constraints.gpus)
        plans = search(_with_constraints(intent, gpus=uncounted, max_total_gpus=None))
        if plans:
            cheapest = min(plans, key=lambda p: p.cost.hourly_usd)
            out.append(Suggestion(
                kind="more_gpus", field="constraints.gpus", value=cheapest.total_gpus,
                message=f"use {cheapest.total_gpus} × {cheapest.gpu_label or cheapest.gpu}: "
                + _plan_words(cheapest),
            ))
    if constraints.gpus:
        plans = search(_with_constraints(intent, gpus=(), max_total_gpus=None))
        stated = {catalog.gpu(g.gpu).name for g in constraints.gpus}
        others = [p for p in plans if p.gpu not in stated]
        for plan in _distinct(others, lambda p: p.gpu)[:2]:
            out.append(Suggestion(
                kind="allow_gpu", field="constraints.gpus", value=plan.gpu,
                message=f"allow {plan.gpu_label or plan.gpu}: " + _plan_words(plan),
            ))
    if constraints.models and constraints.models_required:
        plans = search(_with_constraints(intent, models_required=False))
        for plan in _distinct(plans, lambda p: p.model)[:1]:
            out.append(Suggestion(
                kind="allow_model", field="constraints.models_required", value=plan.model,
                message=f"allow other models, e.g. {plan.model_name or plan.model}: "
                + _plan_words(plan),
            ))
    if constraints.precisions:
        plans = search(_with_constraints(intent, precisions=()))
        for plan in _distinct(plans, lambda p: p.precision.value)[:1]:
            out.append(Suggestion(
                kind="allow_precision", field="constraints.precisions",
                value=plan.precision.value,
                message=f"allow {plan.precision.value}: " + _plan_words(plan),
            ))
    return out


def slo_suggestions(
    screens: Sequence[tuple[Configuration, Screen]], headroom: float
) -> list[Suggestion]:
    """The loosest change to the latency targets that some configuration can meet.

    For each target missed by every configuration even idle, the best idle value reached
    (÷ (1 − headroom), rounded up to two significant digits) is the target to relax to. When
    each target alone is reachable but no configuration meets all, the configuration closest
    to meeting all (smallest worst ratio of floor to target) names the targets to relax.
    """
    keys = list(screens[0][1].floor.checks)
    out: list[Suggestion] = []
    blocking = []
    for key in keys:
        best_cfg, best_screen = min(screens, key=lambda cs: cs[1].floor.checks[key].predicted)
        check = best_screen.floor.checks[key]
        if check.margin >= headroom:
            continue
        blocking.append(key)
        out.append(_relax(key, check.predicted, check.target, headroom, best_cfg))
    if blocking:
        return out

    def worst(cs: tuple[Configuration, Screen]) -> float:
        return max(c.predicted / (c.target * (1 - headroom)) for c in cs[1].floor.checks.values())

    config, screen = min(screens, key=worst)
    for key, check in screen.floor.missed:
        out.append(_relax(key, check.predicted, check.target, headroom, config))
    return out


def _relax(key: str, predicted: float, target: float, headroom: float,
           config: Configuration) -> Suggestion:
    needed = _round_up(predicted / (1 - headroom))
    metric, pct = key.split(".")
    label = f"{METRIC_LABELS.get(metric, metric)} {pct}"
    return Suggestion(
        kind="relax_slo", field=f"slo.{key}", value=needed,
        message=f"relax {label} from {format_ms(target)} to {format_ms(needed)}: the best "
        f"configuration ({config.label()}) reaches {format_ms(predicted)} even idle",
    )


def _simulated_slo_suggestions(result: PlanResult) -> list[Suggestion]:
    """When simulation rejected the plans the analytic screen let through: per missed target,
    what the smallest rejected deployment reached in simulation (÷ (1 − headroom))."""
    best: dict[str, RejectedOption] = {}
    for item in result.infeasible:
        if item.reason != "simulation" or item.metric is None or item.achieved is None:
            continue
        kept = best.get(item.metric)
        if kept is None or _gpus(item) < _gpus(kept):
            best[item.metric] = item
    out = []
    for key, item in best.items():
        assert item.achieved is not None and item.limit is not None
        needed = _round_up(item.achieved / (1 - result.headroom))
        metric, pct = key.split(".")
        label = f"{METRIC_LABELS.get(metric, metric)} {pct}"
        out.append(Suggestion(
            kind="relax_slo", field=f"slo.{key}", value=needed,
            message=f"relax {label} from {format_ms(item.limit)} to {format_ms(needed)}: "
            f"simulating {item.candidate.label()} reached {format_ms(item.achieved)}",
        ))
    return out


def _gpus(item: RejectedOption) -> int:
    return (item.candidate.tp or 1) * (item.candidate.replicas or 1)


def _round_up(value: float) -> float:
    """Up to two significant digits: 437 → 440, 1234 → 1300, 0.123 → 0.13."""
    if value <= 0:
        return value
    step = 10 ** (math.floor(math.log10(value)) - 1)
    return float(math.ceil(value / step - 1e-9) * step)


def _model_suggestions(result: PlanResult) -> list[Suggestion]:
    context = [r for r in result.infeasible if r.reason == "context_length"]
    if context and all(r.achieved is not None for r in context):
        longest = max(r.achieved or 0 for r in context)
        needed = max(r.limit or 0 for r in context)
        return [Suggestion(
            kind="shorter_context", field="prompt_tokens", value=longest,
            message=f"no candidate model has a {format_number(needed)}-token context; the "
            f"longest window is {format_number(longest)} tokens: shorten prompts and outputs "
            "to fit",
        )]
    return []


def _budget_suggestion(budget: Budget, plans: Sequence[DeploymentPlan]) -> Suggestion:
    cheapest = min(plans, key=lambda p: p.cost.hourly_usd)
    field, value = "constraints.budget.monthly_usd", cheapest.cost.monthly_usd
    if budget.monthly_usd is None and budget.hourly_usd is not None:
        field, value = "constraints.budget.hourly_usd", cheapest.cost.hourly_usd
    elif budget.monthly_usd is None and budget.per_million_tokens_usd is not None:
        field = "constraints.budget.per_million_tokens_usd"
        value = cheapest.cost.per_million_output_tokens_usd or 0.0
    unit = {"constraints.budget.monthly_usd": "/month", "constraints.budget.hourly_usd": "/hour"}
    return Suggestion(
        kind="raise_budget", field=field, value=round(value, 2),
        message=f"raise the budget to {format_usd(value)}{unit.get(field, '/M output tokens')}: "
        f"the cheapest plan meeting the SLOs is {_configuration(cheapest)}",
    )


def _with_constraints(intent: DeploymentIntent, **changes: Any) -> DeploymentIntent:
    constraints = intent.constraints.model_copy(update=changes)
    return intent.model_copy(update={"constraints": constraints})


def _distinct(plans: Sequence[DeploymentPlan], key: Callable[[DeploymentPlan], str]
              ) -> list[DeploymentPlan]:
    seen: set[str] = set()
    out = []
    for plan in sorted(plans, key=lambda p: p.cost.hourly_usd):
        if key(plan) not in seen:
            seen.add(key(plan))
            out.append(plan)
    return out


def _configuration(plan: DeploymentPlan) -> str:
    return (
        f"{plan.model_name or plan.model} {plan.precision.value} on "
        f"{plan.gpus_per_replica}x {plan.gpu_label or plan.gpu} × {plan.replicas} "
        f"replica{'' if plan.replicas == 1 else 's'}"
    )


def _plan_words(plan: DeploymentPlan) -> str:
    return f"{_configuration(plan)} meets the SLOs for {format_usd(plan.cost.monthly_usd)}/month"
