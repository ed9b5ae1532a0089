"""The planner: every model × accelerator × precision × TP × replicas, pruned, verified, ranked.

Search, cheapest checks first:

1. traffic and SLO targets (:mod:`traffic`, :func:`slo_check.effective_slo`); the model
   shortlist (:mod:`recommend`); the accelerators allowed, with the counts on hand;
2. per configuration: precision and TP rules, then the memory fit for the needed
   ``max_model_len`` (arithmetic, no prediction);
3. an analytic *screen* per fitting configuration: latency floor and saturation rate give a
   lower bound on replicas and so on cost; configurations that miss a target even idle, need
   more GPUs than allowed, or can't fit the budget stop here;
4. the rest in ascending cost bound: a configuration whose (cost bound, latency floor,
   quality) is already dominated by a sized plan is skipped; otherwise it is sized exactly
   (analytic) and priced;
5. finalists — a diverse selection from the Pareto front in priority order — are verified by
   simulation (a replica added while simulation disagrees), re-priced, and the front and
   selection recomputed until every selected plan is verified.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from predeploy.core.capacity import (
    Configuration,
    Evaluator,
    PerformanceEngine,
    Screen,
    Sizing,
    SizingShortfall,
    Workload,
)
from predeploy.core.catalog import Catalog
from predeploy.core.configurations import (
    MAX_TP_SPREAD,
    Accelerator,
    SearchState,
    allowed_accelerators,
    enumerate_configurations,
)
from predeploy.core.cost import HOURS_PER_MONTH, budget_excesses, estimate_cost
from predeploy.core.explain import aggregate_rejections, explain_infeasible
from predeploy.core.ranking import (
    Point,
    dominates,
    pareto_front,
    rank,
    select_diverse,
    weight_bits,
)
from predeploy.core.rationale import build_plan, plan_point
from predeploy.core.recommend import shortlist_models
from predeploy.core.slo_check import describe_check, effective_slo, percentile_value
from predeploy.core.traffic import context_tokens, plan_traffic
from predeploy.core.types import (
    Budget,
    CostEstimate,
    DeploymentIntent,
    PlannerOptions,
    PlanResult,
    Priority,
    RejectedOption,
    SearchStats,
    TradeoffPoint,
    TrafficProfile,
)
from predeploy.core.wording import format_number, format_usd

#: Configurations screened per batched engine call, and sized per batch (pruning by dominance
#: happens between size batches, so smaller batches prune more and vectorize less).
SCREEN_BATCH = 4096
SIZE_BATCH = 32

#: ``progress(phase, done, total)`` — phases ``screen``, ``size``, ``verify``.
ProgressCallback = Callable[[str, int, int], None]


@dataclass(slots=True)
class Draft:
    """A sized, priced configuration on its way to becoming a plan."""

    config: Configuration
    screen: Screen
    sizing: Sizing
    cost: CostEstimate
    limit: int
    verified: bool = False
    added_by_simulation: int = 0
    min_replicas: int = 1
    latency_ms: float = field(init=False)
    _point: Point = field(init=False)

    def __post_init__(self) -> None:
        self.latency_ms = _latency(self.sizing)
        self._point = plan_point(self.cost, self.latency_ms, self.config, self.screen,
                                 self.replicas)

    def point(self) -> Point:
        return self._point

    @property
    def replicas(self) -> int:
        return self.sizing.replicas


def plan_deployment(
    intent: DeploymentIntent,
    catalog: Catalog,
    engine: PerformanceEngine,
    options: PlannerOptions | None = None,
    *,
    traffic: TrafficProfile | None = None,
    progress: ProgressCallback | None = None,
) -> PlanResult:
    """Plans for ``intent``: simulation-verified, within budget, non-dominated, ranked."""
    options = options or PlannerOptions()
    template = catalog.slo_template(intent.use_case)
    traffic = traffic or plan_traffic(intent, template)
    slo, notes = effective_slo(intent.slo, template.slo)
    if "priority" not in intent.model_fields_set and intent.priority != template.default_priority:
        intent = intent.model_copy(update={"priority": template.default_priority})
        notes.append(
            f"priority {template.default_priority.value}: the {template.id.value} template's "
            "default (none stated)"
        )
    needed_context = max(context_tokens(traffic), intent.preferences.min_context_tokens or 0)
    sizing_rps = _sizing_rate(traffic, slo.min_requests_per_s, slo.min_output_tokens_per_s,
                              notes)
    workload = Workload(traffic, slo, intent.preferences.headroom, sizing_rps, needed_context)
    shortlist = shortlist_models(catalog.models(), intent, template, needed_context)
    notes.extend(shortlist.notes)
    notes.append(
        f"max_model_len ≥ {format_number(needed_context)} tokens (p99 prompt + p99 output)"
    )
    notes.append(
        "each replica gets peak ÷ replicas requests/s: the router spreads requests evenly; "
        f"SLOs are met with {format_number(workload.headroom * 100)} % headroom"
    )
    accelerators = allowed_accelerators(intent, catalog)
    state = SearchState(rejected=list(shortlist.rejected))
    evaluator = Evaluator(engine, workload, options)
    configs = enumerate_configurations(shortlist.candidates, accelerators, intent, options, engine,
                              workload, state)
    if state.stats.get("tp_beyond_spread"):
        notes.append(
            f"tensor parallelism above {MAX_TP_SPREAD}× the smallest size that fits was not "
            f"searched ({state.stats['tp_beyond_spread']} configurations)"
        )
    drafts = _search(configs, accelerators, intent, evaluator, state, progress)
    plans_drafts, tradeoffs = _finalize(drafts, intent, evaluator, state, progress)
    plans = [
        build_plan(d.config, d.screen, d.sizing, d.cost, workload, options, labels, d.min_replicas,
                   d.added_by_simulation, shortlist.quality_scale,
                   None if ref is None else ("the recommended plan", ref.point()))
        for d, labels, ref in plans_drafts
    ]
    stats = SearchStats(
        models_considered=len(shortlist.candidates),
        gpus_considered=len(accelerators),
        analytic_calls=evaluator.analytic_calls,
        simulations=evaluator.simulations,
        **{k: v for k, v in state.stats.items() if k in SearchStats.model_fields},
    )
    result = PlanResult(
        intent=intent, traffic=traffic, slo=slo, headroom=workload.headroom, plans=tuple(plans),
        infeasible=tuple(aggregate_rejections(state.rejected)), notes=tuple(notes),
        quality_scale=shortlist.quality_scale, stats=stats, tradeoffs=tuple(tradeoffs),
    )
    if not plans:
        suggestions = explain_infeasible(
            result, state.screens, catalog, engine, options, plan_deployment
        )
        result = result.model_copy(update={"suggestions": tuple(suggestions)})
    return result


def _sizing_rate(
    traffic: TrafficProfile, min_rps: float | None, min_tokens: float | None, notes: list[str]
) -> float:
    rate = traffic.peak_requests_per_s
    if min_rps is not None and min_rps > rate:
        rate = min_rps
        notes.append(f"sized for the throughput SLO of {format_number(min_rps)} req/s")
    if min_tokens is not None:
        needed = min_tokens / traffic.output_tokens.mean
        if needed > rate:
            rate = needed
            notes.append(
                f"sized for the throughput SLO of {format_number(min_tokens)} output tokens/s "
                f"= {format_number(needed)} req/s at {format_number(traffic.output_tokens.mean)}"
                " output tokens each"
            )
    return rate


def _latency(sizing: Sizing) -> float:
    value = percentile_value(sizing.evaluation.prediction.metrics.e2e_ms, "p90")
    return float("inf") if value is None else value


def _limit(config: Configuration, acc: Accelerator, options: PlannerOptions) -> int:
    if acc.max_gpus is None:
        return options.max_replicas
    return min(options.max_replicas, acc.max_gpus // config.gpus_per_replica)


def _search(
    configs: Sequence[tuple[Configuration, Accelerator]],
    accelerators: Sequence[Accelerator],
    intent: DeploymentIntent,
    evaluator: Evaluator,
    state: SearchState,
    progress: ProgressCallback | None,
) -> list[tuple[Draft, Accelerator]]:
    workload = evaluator.workload
    budget = intent.constraints.budget
    screened: list[tuple[float, float, Configuration, Screen, Accelerator, int]] = []
    priced = []
    for config, acc in configs:
        bound = _cost_bound(config, acc, evaluator, budget, 1)
        if isinstance(bound, RejectedOption):
            state.rejected.append(bound)
        else:
            priced.append((config, acc))
    configs = priced
    for start in range(0, len(configs), SCREEN_BATCH):
        if progress is not None:
            progress("screen", start, len(configs))
        chunk = configs[start:start + SCREEN_BATCH]
        screens = evaluator.screen_many([c for c, _ in chunk])
        state.count("screened_analytic", len(chunk))
        for (config, acc), screen in zip(chunk, screens, strict=True):
            state.screens.append((config, screen))
            rejection = _screen_rejection(config, screen, acc, evaluator, budget)
            if isinstance(rejection, RejectedOption):
                state.rejected.append(rejection)
                continue
            cost_bound, limit = rejection
            floor = percentile_value(screen.floor.prediction.metrics.e2e_ms, "p90") or 0.0
            screened.append((cost_bound, floor, config, screen, acc, limit))
    screened.sort(key=lambda item: (item[0], item[1]))
    drafts: list[tuple[Draft, Accelerator]] = []
    front: list[Point] = []  # Pareto front of the drafts so far: all a bound is checked against
    position = 0
    while position < len(screened):
        if progress is not None:
            progress("size", position, len(screened))
        batch: list[tuple[Configuration, Screen, Accelerator, int]] = []
        while position < len(screened) and len(batch) < SIZE_BATCH:
            cost_bound, floor, config, screen, acc, limit = screened[position]
            position += 1
            best_case = Point(cost_bound, floor, config.model.quality, float("inf"),
                              weight_bits(config.precision))
            if any(dominates(point, best_case) for point in front):
                state.count("pruned_by_bound")
                continue
            batch.append((config, screen, acc, limit))
        state.count("sized_analytic", len(batch))
        sized_all = evaluator.size_many([(c, s, lim) for c, s, _, lim in batch],
                                        workload.sizing_rps)
        for (config, screen, acc, limit), sized in zip(batch, sized_all, strict=True):
            if isinstance(sized, SizingShortfall):
                state.rejected.append(_shortfall(config, sized, acc))
                continue
            draft = _price(config, screen, sized, acc, evaluator, limit, state, intent)
            if draft is not None:
                state.count("feasible_analytic")
                drafts.append((draft, acc))
                point = draft.point()
                if not any(dominates(p, point) for p in front):
                    front = [p for p in front if not dominates(point, p)] + [point]
    return drafts


def _screen_rejection(
    config: Configuration, screen: Screen, acc: Accelerator, evaluator: Evaluator,
    budget: Budget,
) -> RejectedOption | tuple[float, int]:
    """Why the screen stops a configuration, else (cost lower bound $/h, replica limit)."""
    workload = evaluator.workload
    if screen.floor.missed:
        key, check = screen.floor.missed[0]
        return RejectedOption(
            candidate=config.candidate(), reason="slo",
            details=f"even idle: {describe_check(key, check, workload.headroom)}",
            metric=key, limit=check.target * (1 - workload.headroom), achieved=check.predicted,
        )
    limit = _limit(config, acc, evaluator.options)
    low = screen.replicas_lower_bound(workload.sizing_rps)
    if low > limit:
        needed = low * config.gpus_per_replica
        kind = "gpu_availability" if acc.max_gpus is not None else "capacity"
        return RejectedOption(
            candidate=config.candidate(low), reason=kind,
            details=f"needs at least {needed} GPUs ({low} replicas; one saturates at "
            f"{format_number(screen.saturation_rps)} req/s), {limit * config.gpus_per_replica}"
            " allowed",
            metric="total_gpus", limit=float(limit * config.gpus_per_replica),
            achieved=float(needed),
        )
    bound = _cost_bound(config, acc, evaluator, budget, low)
    return bound if isinstance(bound, RejectedOption) else (bound, limit)


def _cost_bound(
    config: Configuration, acc: Accelerator, evaluator: Evaluator, budget: Budget, replicas: int
) -> RejectedOption | float:
    """Lower bound of the hourly cost with ``replicas`` (cheapest accepted $/GPU-hour, no
    instance packing), or why it already breaks the budget / has no price."""
    if acc.gpu_hour_floor is None:
        return RejectedOption(
            candidate=config.candidate(), reason="no_price",
            details=f"no accepted price quote for {acc.gpu.name}",
        )
    hourly = acc.gpu_hour_floor * config.gpus_per_replica * replicas
    traffic = evaluator.workload.traffic
    tokens_per_hour_m = traffic.avg_requests_per_s * traffic.output_tokens.mean * 3600 / 1e6
    bound_cost = CostEstimate(
        hourly_usd=hourly, monthly_usd=hourly * HOURS_PER_MONTH,
        per_million_output_tokens_usd=hourly / tokens_per_hour_m,
        usd_per_gpu_hour=acc.gpu_hour_floor,
        provider="(bound)", price_provenance=acc.quotes[0].provenance,
    )
    excess = budget_excesses(bound_cost, budget)
    if excess:
        e = excess[0]
        return RejectedOption(
            candidate=config.candidate(replicas), reason="budget",
            details=f"at least {format_usd(e.cost_usd)}{e.unit} (lower bound), budget "
            f"{format_usd(e.limit_usd)}{e.unit}",
            metric=e.field, limit=e.limit_usd, achieved=e.cost_usd,
        )
    return hourly


def _shortfall(config: Configuration, sized: SizingShortfall, acc: Accelerator) -> RejectedOption:
    kind = "gpu_availability" if acc.max_gpus is not None else "capacity"
    return RejectedOption(
        candidate=config.candidate(sized.needed_at_least), reason=kind, details=sized.detail,
        metric="replicas", limit=float(sized.limit), achieved=float(sized.needed_at_least),
    )


def _price(
    config: Configuration, screen: Screen, sizing: Sizing, acc: Accelerator,
    evaluator: Evaluator, limit: int, state: SearchState, intent: DeploymentIntent,
    min_replicas: int | None = None,
) -> Draft | None:
    traffic = evaluator.workload.traffic
    avg_tokens = traffic.avg_requests_per_s * traffic.output_tokens.mean
    cost = estimate_cost(acc.quotes, intent.preferences, config.gpus_per_replica,
                         sizing.replicas, min_replicas or sizing.replicas, avg_tokens)
    if cost is None:
        state.rejected.append(RejectedOption(
            candidate=config.candidate(sizing.replicas), reason="no_price",
            details=f"no accepted price quote for {config.gpus_per_replica}x {acc.gpu.name}",
        ))
        return None
    excess = budget_excesses(cost, intent.constraints.budget)
    if excess:
        e = excess[0]
        state.rejected.append(RejectedOption(
            candidate=config.candidate(sizing.replicas), reason="budget",
            details=f"costs {format_usd(e.cost_usd)}{e.unit}, budget "
            f"{format_usd(e.limit_usd)}{e.unit}",
            metric=e.field, limit=e.limit_usd, achieved=e.cost_usd,
        ))
        return None
    return Draft(config, screen, sizing, cost, limit)


def _finalize(
    drafts: list[tuple[Draft, Accelerator]],
    intent: DeploymentIntent,
    evaluator: Evaluator,
    state: SearchState,
    progress: ProgressCallback | None,
) -> tuple[list[tuple[Draft, tuple[str, ...], Draft | None]], list[TradeoffPoint]]:
    """Verify a diverse selection of the Pareto front by simulation, until it is stable.

    Returns the selected plans (with labels and the plan they are compared with) and the
    trade-off map of every sized configuration.
    """
    options = evaluator.options
    priority = intent.priority
    remaining = {id(d): (d, acc) for d, acc in drafts}
    verified: list[Draft] = []
    while remaining and evaluator.simulations < options.max_simulations:
        pool = verified + [d for d, _ in remaining.values()]
        selection = _select(pool, priority, options.max_plans)
        todo = [d for d in selection if not d.verified]
        if not todo:
            break
        draft = todo[0]
        _, acc = remaining.pop(id(draft))
        if progress is not None:
            progress("verify", len(verified), len(verified) + len(todo))
        outcome = _verify(draft, acc, evaluator, state, intent)
        if outcome is not None:
            verified.append(outcome)
    selection = _select(verified, priority, options.max_plans)
    labelled = _labels(selection, verified, priority)
    reference = selection[0] if selection else None
    chosen = [(d, labels, None if d is reference else reference) for d, labels in labelled]
    everything = verified + [d for d, _ in remaining.values()]
    front = {id(d) for d in pareto_front(everything, Draft.point)}
    returned = {id(d) for d in selection}
    tradeoffs = [_tradeoff_point(d, id(d) in front, id(d) in returned) for d in everything]
    return chosen, tradeoffs


def _tradeoff_point(draft: Draft, pareto: bool, returned: bool) -> TradeoffPoint:
    metrics = draft.sizing.evaluation.prediction.metrics
    return TradeoffPoint(
        model=draft.config.model.card.id, gpu=draft.config.gpu.name,
        precision=draft.config.precision, tp=draft.config.tp, replicas=draft.replicas,
        hourly_usd=draft.cost.hourly_usd, monthly_usd=draft.cost.monthly_usd,
        e2e_p90_ms=draft.latency_ms, ttft_p90_ms=percentile_value(metrics.ttft_ms, "p90"),
        quality=draft.config.model.quality, verified=draft.verified, pareto=pareto,
        returned=returned,
    )


def _verify(
    draft: Draft, acc: Accelerator, evaluator: Evaluator, state: SearchState,
    intent: DeploymentIntent,
) -> Draft | None:
    workload = evaluator.workload
    checked = evaluator.verify(draft.config, draft.sizing, workload.sizing_rps, draft.limit)
    if isinstance(checked, SizingShortfall):
        state.rejected.append(RejectedOption(
            candidate=draft.config.candidate(draft.replicas), reason="simulation",
            details=checked.detail, metric="replicas", limit=float(checked.limit),
            achieved=float(checked.needed_at_least),
        ))
        return None
    sizing, added = checked
    low_rate = min(workload.traffic.avg_requests_per_s, workload.sizing_rps)
    at_avg = evaluator.size(draft.config, draft.screen, low_rate, sizing.replicas)
    min_replicas = sizing.replicas if isinstance(at_avg, SizingShortfall) else min(
        at_avg.replicas, sizing.replicas)
    priced = _price(draft.config, draft.screen, sizing, acc, evaluator, draft.limit, state,
                    intent, min_replicas)
    if priced is None:
        return None
    priced.verified = True
    priced.added_by_simulation = added
    priced.min_replicas = min_replicas
    return priced


def _select(pool: Sequence[Draft], priority: Priority, limit: int) -> list[Draft]:
    ranked = rank(pareto_front(pool, Draft.point), Draft.point, priority)
    return select_diverse(ranked, limit, _kinds, _extremes(ranked))


def _kinds(draft: Draft) -> tuple[str, str]:
    return draft.config.model.card.id, draft.config.gpu.name


def _extremes(ranked: Sequence[Draft]) -> list[Draft]:
    """Cheapest, fastest and best-quality plans of a ranked front (ties: the better ranked)."""
    if not ranked:
        return []
    order = {id(d): i for i, d in enumerate(ranked)}
    cheapest = min(ranked, key=lambda d: (d.cost.hourly_usd, order[id(d)]))
    fastest = min(ranked, key=lambda d: (d.latency_ms, order[id(d)]))
    best = min(ranked, key=lambda d: (-d.point().quality_value, order[id(d)]))
    named: dict[str, Draft] = {}
    for draft in ranked:  # the best-ranked plan of each model the user named
        if draft.config.model.preferred:
            named.setdefault(draft.config.model.card.id, draft)
    return [cheapest, fastest, best, *named.values()]


def _labels(
    selection: Sequence[Draft], verified: Sequence[Draft], priority: Priority
) -> list[tuple[Draft, tuple[str, ...]]]:
    extremes = _extremes(rank(pareto_front(list(verified), Draft.point), Draft.point, priority))
    names = ("cheapest", "fastest", "best quality")
    out = []
    for index, draft in enumerate(selection):
        labels = ["recommended"] if index == 0 else []
        labels += [n for n, e in zip(names, extremes[:3], strict=True) if e is draft]
        if names[2] in labels and draft.config.model.quality is None:
            labels.remove(names[2])
        if draft.config.model.preferred:
            labels.append("requested model")
        out.append((draft, tuple(labels)))
    return out
