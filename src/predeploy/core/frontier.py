"""The analytic search over all configurations: screen, bound, prune, size, price.

Configurations are taken in ascending order of their cheapest possible cost (one replica at the
cheapest accepted $/GPU-hour) and handled in chunks:

1. *screen* the chunk in one batched analytic call (idle latency floor, saturation rate);
   configurations missing a target even idle, needing more GPUs than allowed, or over budget
   at their replica lower bound stop here;
2. *size* the survivors in ascending cost bound, skipping any whose best case (cost bound,
   latency floor, quality, precision) is dominated by the Pareto front of the plans sized so
   far, and any whose cost bound exceeds the *search scope*: :data:`SCOPE_COST_FACTOR` × the
   cheapest plan found (per priority — a latency- or quality-minded user sees pricier
   alternatives than a cost-minded one);
3. *price* each sized plan on whole instances and drop those over budget.

Models the user named are searched past the scope and pruned only by their own plans: their
best plan is always shown.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from predeploy.core.capacity import Evaluator
from predeploy.core.configurations import Accelerator, SearchState
from predeploy.core.cost import (
    HOURS_PER_MONTH,
    budget_excesses,
    estimate_cost,
    usd_per_million_output_tokens,
)
from predeploy.core.ranking import Point, dominates, weight_fidelity
from predeploy.core.rationale import plan_point
from predeploy.core.sizing import Configuration, Screen, Sizing, SizingShortfall
from predeploy.core.slo_check import describe_check, percentile_value
from predeploy.core.types import (
    Budget,
    CostEstimate,
    DeploymentIntent,
    Priority,
    RejectedOption,
)
from predeploy.core.wording import format_number, format_usd

#: Configurations screened per batched engine call, and sized per batch (pruning by dominance
#: happens between batches: smaller batches prune more, larger ones vectorize better).
SCREEN_BATCH = 512
SIZE_BATCH = 32
#: Search scope: plans costing more than this multiple of the cheapest plan meeting the SLOs
#: are not searched or shown, per priority (a product choice, stated in the result's notes).
SCOPE_COST_FACTOR: dict[Priority, float] = {
    Priority.COST: 3.0,
    Priority.BALANCED: 5.0,
    Priority.THROUGHPUT: 5.0,
    Priority.LATENCY: 10.0,
    Priority.QUALITY: 20.0,
}

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
    accelerator: Accelerator
    verified: bool = False
    added_by_simulation: int = 0
    min_replicas: int = 1
    #: Why the plan's engine settings differ from the engine's defaults (a rationale line).
    settings_note: str | None = None
    latency_ms: float = field(init=False)
    _point: Point = field(init=False)

    def __post_init__(self) -> None:
        value = percentile_value(self.sizing.evaluation.prediction.metrics.e2e_ms, "p90")
        self.latency_ms = math.inf if value is None else value
        self._point = plan_point(self.cost, self.latency_ms, self.config, self.screen,
                                 self.replicas)

    def point(self) -> Point:
        return self._point

    @property
    def replicas(self) -> int:
        return self.sizing.replicas


_Screened = tuple[float, float, Configuration, Screen, Accelerator, int]


@dataclass(slots=True)
class Frontier:
    """Sized plans, the Pareto front of their points, and the cheapest cost so far; each model
    the user named also keeps its own front (its best plan is always shown, so it is searched
    past the scope and pruned only by its own plans). ``pruned``: the screened configurations
    skipped because a sized plan dominated their best case, kept so they can be sized if
    simulation makes that plan dearer or rejects it (:func:`reopen_pruned`)."""

    drafts: list[Draft] = field(default_factory=list)
    front: list[Point] = field(default_factory=list)
    named_fronts: dict[str, list[Point]] = field(default_factory=dict)
    cheapest_usd_per_hour: float = math.inf
    pruned: list[_Screened] = field(default_factory=list)

    def add(self, draft: Draft) -> None:
        self.drafts.append(draft)
        point = draft.point()
        self.cheapest_usd_per_hour = min(self.cheapest_usd_per_hour, point.hourly_usd)
        self.front = _with_point(self.front, point)
        if draft.config.model.preferred:
            model = draft.config.model.card.id
            self.named_fronts[model] = _with_point(self.named_fronts.get(model, []), point)

    def dominated(self, best_case: Point, config: Configuration) -> bool:
        if config.model.preferred:
            front = self.named_fronts.get(config.model.card.id, [])
        else:
            front = self.front
        return any(dominates(p, best_case) for p in front)

    def beyond_scope(self, cost_bound: float, factor: float, config: Configuration) -> bool:
        return cost_bound > factor * self.cheapest_usd_per_hour and not config.model.preferred


def _with_point(front: list[Point], point: Point) -> list[Point]:
    """``front`` with ``point`` added (unless dominated) and the points it dominates removed."""
    if any(dominates(p, point) for p in front):
        return front
    return [p for p in front if not dominates(point, p)] + [point]


def search_frontier(
    configs: Sequence[tuple[Configuration, Accelerator]],
    intent: DeploymentIntent,
    evaluator: Evaluator,
    state: SearchState,
    progress: ProgressCallback | None,
) -> Frontier:
    """Every configuration worth sizing, sized and priced (see the module docstring)."""
    budget = intent.constraints.budget
    factor = SCOPE_COST_FACTOR[intent.priority]
    ordered: list[tuple[float, Configuration, Accelerator]] = []
    for config, acc in configs:
        bound = _cost_bound(config, acc, evaluator, budget, 1)
        if isinstance(bound, RejectedOption):
            state.rejected.append(bound)
        else:
            ordered.append((bound, config, acc))
    ordered.sort(key=lambda item: item[0])
    frontier = Frontier()
    for start in range(0, len(ordered), SCREEN_BATCH):
        if progress is not None:
            progress("screen", start, len(ordered))
        window = ordered[start:start + SCREEN_BATCH]
        chunk = [(c, a) for bound, c, a in window
                 if not frontier.beyond_scope(bound, factor, c)]
        state.count("beyond_scope", len(window) - len(chunk))
        if not chunk:
            continue
        screened = _screen(chunk, evaluator, state, budget)
        _size(screened, intent, evaluator, state, frontier, factor)
    if progress is not None:
        progress("screen", len(ordered), len(ordered))
    return frontier


def reopen_pruned(
    frontier: Frontier,
    drafts: Sequence[Draft],
    intent: DeploymentIntent,
    evaluator: Evaluator,
    state: SearchState,
) -> list[Draft]:
    """Size and price the pruned configurations that ``drafts`` (the plans as simulation has
    left them: some a replica dearer, some rejected) no longer dominate; the rest stay pruned.

    Without this, a plan pruned because a cheaper one dominated it analytically would be lost
    when simulation adds a replica to that cheaper one, and the planner would call a dearer
    plan "cheapest"."""
    if not frontier.pruned:
        return []
    current = Frontier()
    for draft in drafts:
        current.add(draft)
    pending, frontier.pruned = sorted(frontier.pruned, key=lambda s: (s[0], s[1])), []
    _size(pending, intent, evaluator, state, current, SCOPE_COST_FACTOR[intent.priority],
          recount=False)
    frontier.pruned = current.pruned
    return current.drafts[len(drafts):]


def _screen(
    chunk: Sequence[tuple[Configuration, Accelerator]], evaluator: Evaluator,
    state: SearchState, budget: Budget,
) -> list[_Screened]:
    screens = evaluator.screen_many([c for c, _ in chunk])
    state.count("screened_analytic", len(chunk))
    out: list[_Screened] = []
    for (config, acc), screen in zip(chunk, screens, strict=True):
        state.screens.append((config, screen))
        rejection = _screen_rejection(config, screen, acc, evaluator, budget)
        if isinstance(rejection, RejectedOption):
            state.rejected.append(rejection)
            continue
        cost_bound, limit = rejection
        floor = percentile_value(screen.floor.prediction.metrics.e2e_ms, "p90") or 0.0
        out.append((cost_bound, floor, config, screen, acc, limit))
    out.sort(key=lambda item: (item[0], item[1]))
    return out


def _size(
    screened: Sequence[_Screened], intent: DeploymentIntent, evaluator: Evaluator,
    state: SearchState, frontier: Frontier, factor: float, *, recount: bool = True,
) -> None:
    """Size and price ``screened`` in ascending cost bound into ``frontier``, skipping what its
    plans dominate or put beyond the scope (``recount``: count those skips in the search
    statistics; a second pass over configurations already counted does not)."""
    position = 0
    while position < len(screened):
        batch: list[tuple[Configuration, Screen, Accelerator, int]] = []
        while position < len(screened) and len(batch) < SIZE_BATCH:
            cost_bound, floor, config, screen, acc, limit = screened[position]
            position += 1
            if frontier.beyond_scope(cost_bound, factor, config):
                if recount:
                    state.count("beyond_scope")
                continue
            best_case = Point(cost_bound, floor, config.model.quality, math.inf,
                              weight_fidelity(config.precision,
                                              config.model.card.architecture.native_precision))
            if frontier.dominated(best_case, config):
                if recount:
                    state.count("pruned_by_bound")
                frontier.pruned.append((cost_bound, floor, config, screen, acc, limit))
                continue
            batch.append((config, screen, acc, limit))
        state.count("sized_analytic", len(batch))
        sized_all = evaluator.size_many([(c, s, lim) for c, s, _, lim in batch],
                                        evaluator.workload.sizing_rps)
        for (config, screen, acc, limit), sized in zip(batch, sized_all, strict=True):
            if isinstance(sized, SizingShortfall):
                state.rejected.append(shortfall_rejection(config, sized, acc))
                continue
            draft = price_draft(config, screen, sized, acc, evaluator, limit, state, intent)
            if draft is not None:
                state.count("feasible_analytic")
                frontier.add(draft)


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
    limit = replica_limit(config, acc, evaluator)
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


def replica_limit(config: Configuration, acc: Accelerator, evaluator: Evaluator) -> int:
    """Most replicas allowed: the GPUs on hand (and the global cap), else the search's cap."""
    cap = evaluator.options.max_replicas
    if acc.max_gpus is None:
        return cap
    return min(cap, acc.max_gpus // config.gpus_per_replica)


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
    bound_cost = CostEstimate(
        hourly_usd=hourly, monthly_usd=hourly * HOURS_PER_MONTH,
        per_million_output_tokens_usd=usd_per_million_output_tokens(
            hourly, traffic.avg_requests_per_s * traffic.output_tokens.mean),
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


def shortfall_rejection(
    config: Configuration, sized: SizingShortfall, acc: Accelerator
) -> RejectedOption:
    kind = "gpu_availability" if acc.max_gpus is not None else "capacity"
    return RejectedOption(
        candidate=config.candidate(sized.needed_at_least), reason=kind, details=sized.detail,
        metric="replicas", limit=float(sized.limit), achieved=float(sized.needed_at_least),
    )


def price_draft(
    config: Configuration, screen: Screen, sizing: Sizing, acc: Accelerator,
    evaluator: Evaluator, limit: int, state: SearchState, intent: DeploymentIntent,
    min_replicas: int | None = None,
) -> Draft | None:
    """The priced plan, or ``None`` (rejection recorded) without a price or over budget."""
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
    return Draft(config, screen, sizing, cost, limit, acc)
