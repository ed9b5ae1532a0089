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

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from predeploy.core.accuracy import HeldOutBoundEngine
from predeploy.core.capacity import Evaluator
from predeploy.core.catalog import Catalog
from predeploy.core.configurations import (
    TP_SPREAD,
    SearchState,
    allowed_accelerators,
    enumerate_configurations,
)
from predeploy.core.explain import aggregate_rejections, explain_infeasible
from predeploy.core.frontier import (
    SCOPE_COST_FACTOR,
    Draft,
    Frontier,
    ProgressCallback,
    price_draft,
    reopen_pruned,
    search_frontier,
)
from predeploy.core.ranking import pareto_front, rank, select_diverse
from predeploy.core.rationale import build_plan, recommendation_summary
from predeploy.core.recommend import shortlist_models
from predeploy.core.sizing import (
    Configuration,
    PerformanceEngine,
    Screen,
    Sizing,
    SizingShortfall,
    Workload,
)
from predeploy.core.slo_check import effective_slo, percentile_value
from predeploy.core.traffic import context_tokens, plan_traffic
from predeploy.core.types import (
    DeploymentIntent,
    PlannerOptions,
    PlanResult,
    Priority,
    RejectedOption,
    Routing,
    SearchStats,
    TradeoffPoint,
    TrafficProfile,
)
from predeploy.core.wording import format_number, format_usd

__all__ = ["ProgressCallback", "plan_deployment"]


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
    # The router: as the planner is told, else as the request says, else a Kubernetes Service.
    routing = options.routing or intent.routing or Routing.RANDOM
    options = options.model_copy(update={"routing": routing})
    if options.held_out_bound:
        engine = HeldOutBoundEngine(engine)
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
    routed = routing_note(workload.traffic, routing)
    if routed:
        notes.append(routed)
    if options.held_out_bound:
        notes.append(
            "judged at the held-out 90 % bound: each latency at the 90th percentile of "
            "measured ÷ predicted and each replica's capacity at the 10th, from the engine's "
            "held-out validation, so each target held for 90 % of held-out measurements"
        )
    if options.front_end_s is not None:
        notes.append(
            f"every TTFT includes a stated front-end time of "
            f"{format_number(options.front_end_s * 1e3)} ms per request instead of the fitted one"
        )
    accelerators = allowed_accelerators(intent, catalog)
    state = SearchState(rejected=list(shortlist.rejected))
    evaluator = Evaluator(engine, workload, options)
    configs = enumerate_configurations(shortlist.candidates, accelerators, intent, options,
                                       engine, workload, state)
    if state.stats.get("tp_beyond_spread"):
        notes.append(
            f"tensor parallelism above {TP_SPREAD[intent.priority]}× the smallest size that fits "
            f"was not searched ({state.stats['tp_beyond_spread']} configurations)"
        )
    frontier = search_frontier(configs, intent, evaluator, state, progress)
    if state.stats.get("beyond_scope"):
        notes.append(
            f"search scope: plans above {format_number(SCOPE_COST_FACTOR[intent.priority])}× "
            f"the cost of the cheapest plan meeting the SLOs were not searched "
            f"({intent.priority.value} priority; {state.stats['beyond_scope']} configurations)"
        )
    final = _finalize(frontier, intent, evaluator, state, progress)
    selected, unverified = final.selected, final.unverified
    if unverified:
        cheapest = min(unverified, key=lambda d: d.cost.hourly_usd)
        notes.append(
            f"the simulation budget ({options.max_simulations} runs) was spent before "
            f"{len(unverified)} more candidate plan(s) could be verified, the cheapest "
            f"{cheapest.config.model.card.name} on {cheapest.config.gpu.name} at "
            f"{format_usd(cheapest.cost.monthly_usd)}/month (analytic); raising "
            "PlannerOptions.max_simulations verifies them"
        )
    others = [(i, s.draft.point()) for i, s in enumerate(selected, 1) if i > 1]
    plans = [
        build_plan(s.draft.config, s.draft.screen, s.draft.sizing, s.draft.cost, workload,
                   options, s.labels, s.draft.min_replicas, s.draft.added_by_simulation,
                   shortlist.quality_scale,
                   None if s.reference is None else ("the recommended plan", s.reference.point()),
                   recommendation_summary(intent.priority, s.draft.point(), others)
                   if s.reference is None else None, s.draft.settings_note)
        for s in selected
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
        quality_scale=shortlist.quality_scale, stats=stats, tradeoffs=tuple(final.tradeoffs),
        front_end_s=options.front_end_s, routing=routing,
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


class Finalized(NamedTuple):
    """What verification leaves (:func:`_finalize`)."""

    #: The plans chosen for the answer, best-ranked first.
    selected: list[Selected]
    #: The trade-off map of every sized configuration.
    tradeoffs: list[TradeoffPoint]
    #: Plans the selection still wanted verified when the simulation budget ran out.
    unverified: list[Draft]


class RetunedPlan(NamedTuple):
    """A plan verified with a smaller prefill token budget (:func:`_smaller_token_budget`)."""

    config: Configuration
    screen: Screen
    #: The verified sizing and the replicas simulation added to its analytic estimate.
    verified: tuple[Sizing, int]
    #: The rationale line that says why the budget differs from the engine's.
    note: str


@dataclass(frozen=True, slots=True)
class Selected:
    """A verified plan chosen for the answer: its labels and the plan it is compared with
    (``None`` for the recommended plan itself)."""

    draft: Draft
    labels: tuple[str, ...]
    reference: Draft | None


def routing_note(traffic: TrafficProfile, routing: Routing) -> str | None:
    """What the router's choice of replica does to the prefix cache, in words, for traffic
    whose prompts a cache could share across requests (``None`` for traffic it cannot)."""
    history, several = traffic.history_tokens > 0, traffic.prefix_count > 1
    if not (history or several):
        return None
    parts = []
    if routing == Routing.PREFIX_AWARE:
        if history:
            parts.append("a conversation's turns return to the replica holding its history")
        if several:
            parts.append("each replica serves its share of the system prompts")
        return (
            "requests are routed by prefix (llm-d's inference scheduler, KServe "
            f"LLMInferenceService's router, or session affinity): {' and '.join(parts)}"
        )
    if history:
        parts.append(
            "a conversation's next turn finds its history only up to the last turn the "
            "replica it reaches served"
        )
    if several:
        parts.append("every replica serves every system prompt")
    return (
        f"requests are routed to replicas at random (a Kubernetes Service): {' and '.join(parts)}"
        "; prefix-aware routing (--routing prefix-aware) finds more in the prefix cache"
    )


def _finalize(
    frontier: Frontier,
    intent: DeploymentIntent,
    evaluator: Evaluator,
    state: SearchState,
    progress: ProgressCallback | None,
) -> Finalized:
    """Verify a diverse selection of the Pareto front by simulation, until it is stable.
    When simulation adds a replica to a plan or rejects it, the configurations that plan had
    pruned as dominated are reconsidered (:func:`~predeploy.core.frontier.reopen_pruned`)."""
    options = evaluator.options
    priority = intent.priority
    remaining = {id(d): d for d in frontier.drafts}
    verified: list[Draft] = []
    while remaining and evaluator.simulations < options.max_simulations:
        pool = verified + list(remaining.values())
        selection = _select(pool, priority, options.max_plans)
        todo = [d for d in selection if not d.verified]
        if not todo:
            break
        draft = remaining.pop(id(todo[0]))
        if progress is not None:
            progress("verify", len(verified), len(verified) + len(todo))
        outcome = _verify(draft, evaluator, state, intent)
        if outcome is not None:
            verified.append(outcome)
        if outcome is None or outcome.added_by_simulation:
            current = verified + list(remaining.values())
            for reopened in reopen_pruned(frontier, current, intent, evaluator, state):
                remaining[id(reopened)] = reopened
    wanted = _select(verified + list(remaining.values()), priority, options.max_plans)
    unverified = [d for d in wanted if not d.verified]
    selection = _select(verified, priority, options.max_plans)
    labelled = _labels(selection, verified, priority)
    reference = selection[0] if selection else None
    chosen = [Selected(d, labels, None if d is reference else reference) for d, labels in labelled]
    everything = verified + list(remaining.values())
    front = {id(d) for d in pareto_front(everything, Draft.point)}
    returned = {id(d) for d in selection}
    tradeoffs = [_tradeoff_point(d, id(d) in front, id(d) in returned) for d in everything]
    return Finalized(chosen, tradeoffs, unverified)


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


#: Prefill token budgets per step (vLLM ``--max-num-batched-tokens``) tried, largest first,
#: when simulation adds replicas to a plan or rejects it: a step that carries less prefill is
#: shorter, so ITL and TPOT percentiles hold at fewer replicas (vLLM's performance tuning guide:
#: smaller values give better inter-token latency, larger ones better TTFT). Only below the
#: plan's own budget, with chunked prefill on, and never below ``max_num_seqs`` (vLLM requires
#: at least that many).
SMALLER_TOKEN_BUDGETS = (8192, 4096, 2048)
#: The SLO metrics a step's prefill chunk lengthens (the gaps between a request's tokens).
DECODE_GAP_METRICS = ("itl_ms", "tpot_ms")


def _verify(
    draft: Draft, evaluator: Evaluator, state: SearchState, intent: DeploymentIntent
) -> Draft | None:
    workload = evaluator.workload
    checked = evaluator.verify(draft.config, draft.sizing, workload.sizing_rps, draft.limit)
    config, screen, note = draft.config, draft.screen, None
    if isinstance(checked, SizingShortfall) or checked[1]:
        tuned = _smaller_token_budget(draft, evaluator, checked)
        if tuned is not None:
            config, screen, checked, note = tuned
    if isinstance(checked, SizingShortfall):
        miss = checked.last.missed[0] if checked.last and checked.last.missed else None
        state.rejected.append(RejectedOption(
            candidate=draft.config.candidate(checked.needed_at_least - 1),
            reason="simulation", details=checked.detail,
            metric=None if miss is None else miss[0],
            limit=None if miss is None else miss[1].target,
            achieved=None if miss is None else miss[1].predicted,
        ))
        return None
    sizing, added = checked
    low_rate = min(workload.traffic.avg_requests_per_s, workload.sizing_rps)
    at_avg = evaluator.size(config, screen, low_rate, sizing.replicas)
    min_replicas = sizing.replicas if isinstance(at_avg, SizingShortfall) else min(
        at_avg.replicas, sizing.replicas)
    priced = price_draft(config, screen, sizing, draft.accelerator, evaluator,
                         draft.limit, state, intent, min_replicas)
    if priced is None:
        return None
    priced.verified = True
    priced.added_by_simulation = added
    priced.min_replicas = min_replicas
    priced.settings_note = note
    return priced


def _smaller_token_budget(
    draft: Draft, evaluator: Evaluator, checked: tuple[Sizing, int] | SizingShortfall
) -> RetunedPlan | None:
    """The plan with a smaller prefill token budget (:data:`SMALLER_TOKEN_BUDGETS`, the
    largest first: a larger budget prefills long prompts sooner) when simulation verifies it
    with fewer replicas than the engine's default budget needs (or at all, where the default
    was rejected); ``None`` when no smaller budget does better. Tried only when the simulation
    missed a decode-gap SLO (ITL, TPOT), the one a step's prefill chunk lengthens."""
    vllm = draft.config.vllm
    if not vllm.enable_chunked_prefill:
        return None
    rate = evaluator.workload.sizing_rps
    # The simulation at the analytic count is cached: this is no new run.
    first = evaluator.evaluate(draft.config, draft.sizing.replicas, rate, "simulate")
    if not any(key.startswith(DECODE_GAP_METRICS) for key, _ in first.missed):
        return None
    needed = draft.limit + 1 if isinstance(checked, SizingShortfall) else checked[0].replicas
    limit = min(draft.limit, needed - 1)
    for budget in SMALLER_TOKEN_BUDGETS:
        if not vllm.max_num_seqs <= budget < vllm.max_num_batched_tokens:
            continue
        config = replace(draft.config, vllm=vllm.model_copy(
            update={"max_num_batched_tokens": budget}))
        screen = evaluator.screen_many([config])[0]
        sized = evaluator.size(config, screen, rate, limit)
        if isinstance(sized, SizingShortfall):
            continue
        verified = evaluator.verify(config, sized, rate, limit)
        if isinstance(verified, SizingShortfall):
            continue
        replicas = verified[0].replicas
        default = (
            "was rejected" if isinstance(checked, SizingShortfall)
            else f"needs {needed} replica{'s' if needed > 1 else ''}"
        )
        note = (
            f"--max-num-batched-tokens {budget} instead of the engine's "
            f"{vllm.max_num_batched_tokens}: smaller prefill chunks keep the decode steps short, "
            f"so {replicas} replica{' meets' if replicas == 1 else 's meet'} the SLOs in "
            f"simulation; with {vllm.max_num_batched_tokens} the plan {default}"
        )
        return RetunedPlan(config, screen, verified, note)
    return None


def _select(pool: Sequence[Draft], priority: Priority, limit: int) -> list[Draft]:
    """A diverse selection of the Pareto front within the search scope, best-ranked first.

    Models the user named are always in scope, and one dominated by other models still comes
    with its own best plans (the answer shows what the named model would take)."""
    if pool:
        cheapest = min(d.cost.hourly_usd for d in pool)
        scope = SCOPE_COST_FACTOR[priority] * cheapest
        pool = [d for d in pool
                if d.cost.hourly_usd <= scope * (1 + 1e-9) or d.config.model.preferred]
    front = pareto_front(pool, Draft.point)
    on_front = {d.config.model.card.id for d in front}
    named: dict[str, list[Draft]] = {}
    for draft in pool:
        model = draft.config.model.card.id
        if draft.config.model.preferred and model not in on_front:
            named.setdefault(model, []).append(draft)
    for drafts in named.values():  # a named model dominated by others: its own best plans
        front += pareto_front(drafts, Draft.point)
    ranked = rank(front, Draft.point, priority)
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
