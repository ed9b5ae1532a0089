"""What-if exploration: sweep one variable, compare two scenarios.

A sweep re-plans the request once per value of one variable — the request rate (a multiplier
on the traffic), one SLO target, the prompt or output length, the length of a shared prompt
prefix (a system prompt; each request's own part kept), or the accelerator — and keeps the
recommended plan of each run: the cost/latency curve of that variable. A comparison plans two
requests and lists the deltas between their recommended plans (B − A).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from predeploy.core.catalog import Catalog
from predeploy.core.errors import InputError
from predeploy.core.sizing import PerformanceEngine
from predeploy.core.slo_check import METRIC_LABELS, percentile_value
from predeploy.core.traffic import plan_traffic, scale_rate
from predeploy.core.types import (
    LATENCY_METRICS,
    PERCENTILE_NAMES,
    DeploymentIntent,
    DeploymentPlan,
    GpuAvailability,
    MetricDelta,
    PercentileTargets,
    PlannerOptions,
    PlanResult,
    Routing,
    ScenarioComparison,
    SweepPoint,
    SweepResult,
    SweepVariable,
    TrafficProfile,
)
from predeploy.core.types.intent import MAX_PREFIX_COUNT
from predeploy.core.types.traffic import MAX_PREFIX_POPULARITY, MAX_TOKENS_PER_REQUEST
from predeploy.core.wording import format_ms, format_number, format_percent, format_usd

#: The default request-rate multipliers of a rate sweep (×0.25 … ×8).
DEFAULT_RATE_FACTORS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
#: Multipliers of the current SLO target or token length a sweep tries by default.
DEFAULT_SCALE_FACTORS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)
#: Shared prefix lengths (tokens) a prefix sweep tries when the request states none; with
#: one, it and 0, ½, 2 and 4 times it.
DEFAULT_PREFIX_TOKENS: tuple[float, ...] = (0.0, 500.0, 1000.0, 2000.0, 4000.0)
PREFIX_FACTORS: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, 4.0)
#: Distinct system prompts a prefix-count sweep tries by default.
DEFAULT_PREFIX_COUNTS: tuple[float, ...] = (1.0, 10.0, 100.0, 1000.0, 10000.0)
#: Zipf exponents of the requests' spread over the system prompts a popularity sweep tries:
#: evenly, mildly and markedly skewed (at 1.5 the top 10 of 1,000 prompts take 83 %).
DEFAULT_POPULARITIES: tuple[float, ...] = (0.0, 0.5, 1.0, 1.5)

Planner = Callable[..., PlanResult]


def sweep(
    intent: DeploymentIntent,
    catalog: Catalog,
    engine: PerformanceEngine,
    planner: Planner,
    variable: SweepVariable,
    values: Sequence[float | str],
    *,
    target: str | None = None,
    options: PlannerOptions | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> SweepResult:
    """One planning run per value; each point keeps the recommended plan (or why none)."""
    options = (options or PlannerOptions()).model_copy(update={"max_plans": 1, "suggest": False})
    if variable == "slo":
        _parse_target(target)
    elif target is not None:
        raise InputError(f"a target ({target!r}) goes with an SLO sweep only, not a {variable} "
                         "sweep")
    if not values:
        values = default_values(intent, catalog, variable, target)
    base_traffic = (
        plan_traffic(intent, catalog.slo_template(intent.use_case)) if variable == "rate" else None
    )
    points = []
    for index, value in enumerate(values):
        if progress is not None:
            progress("sweep", index, len(values))
        changed, traffic, label = _apply(intent, base_traffic, variable, value, target, catalog)
        result = planner(changed, catalog, engine, options, traffic=traffic)
        plan = result.plans[0] if result.plans else None
        reason = None
        if plan is None:
            first = result.infeasible[0] if result.infeasible else None
            reason = first.details if first is not None else "no candidate configuration"
        points.append(SweepPoint(
            value=value, label=label, feasible=plan is not None, plan=plan,
            peak_requests_per_s=result.traffic.peak_requests_per_s, reason=reason,
        ))
    return SweepResult(variable=variable, target=target, points=tuple(points))


def default_values(
    intent: DeploymentIntent, catalog: Catalog, variable: SweepVariable, target: str | None
) -> list[float | str]:
    """What a sweep tries when no values are given: rate ×0.25…×8; the current SLO target or
    length (stated, else the template's) ×0.25…×4; every accelerator with a rental price;
    both routings; Zipf exponents 0 to 1.5."""
    if variable == "rate":
        return list(DEFAULT_RATE_FACTORS)
    if variable == "gpu":
        return [g.name for g in catalog.gpus()
                if any(q.region_class != "on-prem" for q in catalog.prices(g.name))]
    if variable == "shared_prefix_tokens":
        prefix = intent.shared_prefix_tokens or 0
        return [prefix * f for f in PREFIX_FACTORS] if prefix else list(DEFAULT_PREFIX_TOKENS)
    if variable == "prefix_count":
        return list(DEFAULT_PREFIX_COUNTS)
    if variable == "routing":
        return [r.value for r in Routing]
    if variable == "prefix_popularity":
        return list(DEFAULT_POPULARITIES)
    template = catalog.slo_template(intent.use_case)
    if variable == "slo":
        metric, pct = _parse_target(target)
        stated: PercentileTargets = getattr(intent.slo, metric)
        targets: PercentileTargets = stated if stated.items() else getattr(template.slo, metric)
        value = getattr(targets, pct)
        if value is None:
            raise InputError(f"{target} has no current target to sweep around; give --values")
        base = float(value)
    else:
        length: int | None = getattr(intent, variable)
        dist = template.traffic.prompt_tokens if variable == "prompt_tokens" else (
            template.traffic.output_tokens)
        base = float(length if length is not None else dist.mean)
    return [round(base * f, 1) for f in DEFAULT_SCALE_FACTORS]


def _parse_target(target: str | None) -> tuple[str, str]:
    parts = (target or "").removeprefix("slo.").split(".")
    if len(parts) != 2 or parts[0] not in LATENCY_METRICS or parts[1] not in PERCENTILE_NAMES:
        valid = ", ".join(f"{m}.p90" for m in LATENCY_METRICS)
        got = "" if target is None else f", got {target!r}"
        raise InputError(
            f"an SLO sweep needs a target like ttft_ms.p90 (metric.percentile; e.g. {valid}){got}"
        )
    return parts[0], parts[1]


def _apply(
    intent: DeploymentIntent,
    base_traffic: TrafficProfile | None,
    variable: SweepVariable,
    value: float | str,
    target: str | None,
    catalog: Catalog,
) -> tuple[DeploymentIntent, TrafficProfile | None, str]:
    if variable == "gpu":
        gpu = catalog.gpu(str(value))
        constraints = intent.constraints.model_copy(
            update={"gpus": (GpuAvailability(gpu=gpu.name),)})
        return intent.model_copy(update={"constraints": constraints}), None, gpu.label
    if variable == "shared_prefix_tokens":
        return _with_prefix(intent, value)
    if variable == "routing":
        routing = _routing(value)
        label = "routed by prefix" if routing == Routing.PREFIX_AWARE else "routed at random"
        return intent.model_copy(update={"routing": routing}), None, label
    if variable == "prefix_popularity":
        return _with_popularity(intent, value)
    number = _number(value, variable)
    if variable == "prefix_count":
        if not intent.shared_prefix_tokens:
            raise InputError(
                "a prefix_count sweep spreads the requests over that many system prompts of "
                "the request's shared prefix: state shared_prefix_tokens (a system prompt's "
                "length) first"
            )
        count = round(number)
        if not 1 <= count <= MAX_PREFIX_COUNT:
            raise InputError(f"prefix_count sweep values must be 1 to {MAX_PREFIX_COUNT:,}, "
                             f"got {value!r}")
        label = "one system prompt" if count == 1 else f"{count:,} system prompts"
        return intent.model_copy(update={"prefix_count": count}), None, label
    if variable == "rate":
        assert base_traffic is not None
        return intent, scale_rate(base_traffic, number), f"× {format_number(number)}"
    if variable in ("prompt_tokens", "output_tokens"):
        tokens = max(1, round(number))
        if tokens > MAX_TOKENS_PER_REQUEST:
            raise InputError(f"{variable} sweep values must be at most "
                             f"{MAX_TOKENS_PER_REQUEST:,} tokens, got {value!r}")
        return intent.model_copy(update={variable: tokens}), None, f"{tokens:,} tokens"
    metric, pct = _parse_target(target)
    current: PercentileTargets = getattr(intent.slo, metric)
    updated = _set_target(current, pct, number)
    slo = intent.slo.model_copy(update={metric: updated})
    label = f"{METRIC_LABELS[metric]} {pct} ≤ {format_ms(number)}"
    return intent.model_copy(update={"slo": slo}), None, label


def _with_popularity(
    intent: DeploymentIntent, value: float | str
) -> tuple[DeploymentIntent, TrafficProfile | None, str]:
    """The intent with its requests spread over its system prompts by Zipf's law of
    exponent ``value`` (0: evenly)."""
    if (intent.prefix_count or 1) < 2 or not intent.shared_prefix_tokens:
        raise InputError(
            "a prefix_popularity sweep spreads the requests unevenly over the request's "
            "system prompts: state shared_prefix_tokens and a prefix_count above 1 first"
        )
    exponent = _within(value, "prefix_popularity", MAX_PREFIX_POPULARITY,
                       f"{MAX_PREFIX_POPULARITY:g} (Zipf's exponent)")
    label = "evenly" if exponent == 0 else f"Zipf {format_number(exponent)}"
    return intent.model_copy(update={"prefix_popularity": exponent}), None, label


def _within(value: float | str, variable: str, high: float, bound: str) -> float:
    """A sweep value as a number from 0 to ``high`` (``bound`` in words); InputError
    naming the variable otherwise."""
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"{variable} sweep values must be numbers, got {value!r}") from None
    if not 0.0 <= number <= high:
        raise InputError(f"{variable} sweep values must be 0 to {bound}, got {value!r}")
    return number


def _routing(value: float | str) -> Routing:
    """A routing sweep value (``random``, ``prefix-aware`` or ``prefix_aware``)."""
    try:
        return Routing.named(str(value))
    except ValueError:
        raise InputError(
            f"routing sweep values are random or prefix-aware, got {value!r}"
        ) from None


def _with_prefix(
    intent: DeploymentIntent, value: float | str
) -> tuple[DeploymentIntent, TrafficProfile | None, str]:
    """The intent with a shared prefix of ``value`` tokens before each request's own part,
    which a stated prompt keeps: restated as the own part plus the new prefix, which
    ``plan_traffic`` reads as counting the prefix (a template prompt is the own part)."""
    tokens = round(_within(value, "shared_prefix_tokens", MAX_TOKENS_PER_REQUEST,
                           f"{MAX_TOKENS_PER_REQUEST:,} tokens"))
    update: dict[str, Any] = {"shared_prefix_tokens": tokens}
    source = intent.sources.get("prompt_tokens")
    stated = intent.prompt_tokens if source is None or source.origin != "default" else None
    if stated is not None:
        history = intent.history_tokens or 0
        old = (intent.shared_prefix_tokens or 0) + history
        own = stated - old if old and stated > old else stated
        # Longer than the prefix and the history: it counts them.
        update["prompt_tokens"] = own + tokens + history
    label = f"{tokens:,} shared tokens" if tokens else "no shared prefix"
    return intent.model_copy(update=update), None, label


def _number(value: float | str, variable: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"{variable} sweep values must be numbers, got {value!r}") from None
    if not (number > 0 and math.isfinite(number)):
        raise InputError(f"{variable} sweep values must be positive numbers, got {value!r}")
    return number


def _set_target(current: PercentileTargets, pct: str, value: float) -> PercentileTargets:
    """Set one percentile; lower ones above it come down, higher ones below it go up."""
    data: dict[str, Any] = current.model_dump()
    order = list(PERCENTILE_NAMES)
    index = order.index(pct)  # type: ignore[arg-type]
    for i, name in enumerate(order):
        old = data.get(name)
        if old is None:
            continue
        if i < index and old > value:
            data[name] = value
        if i > index and old < value:
            data[name] = value
    data[pct] = value
    return PercentileTargets.model_validate(data)


def compare(a: PlanResult, b: PlanResult) -> ScenarioComparison:
    """Scenario A vs B: the recommended plans side by side, with B − A deltas."""
    plan_a = a.plans[0] if a.plans else None
    plan_b = b.plans[0] if b.plans else None
    rows: list[tuple[str, str, Callable[[DeploymentPlan], float | None]]] = [
        ("monthly cost", "USD/month", lambda p: p.cost.monthly_usd),
        ("hourly cost", "USD/hour", lambda p: p.cost.hourly_usd),
        ("cost per million output tokens", "USD", lambda p: p.cost.per_million_output_tokens_usd),
        ("total GPUs", "GPUs", lambda p: float(p.total_gpus)),
        ("replicas", "replicas", lambda p: float(p.replicas)),
        ("TTFT p90", "ms", lambda p: percentile_value(p.predicted.ttft_ms, "p90")),
        ("ITL p90", "ms", lambda p: percentile_value(p.predicted.itl_ms, "p90")),
        ("E2E p90", "ms", lambda p: percentile_value(p.predicted.e2e_ms, "p90")),
        ("quality", "score", lambda p: p.quality_score),
    ]
    deltas = [_delta("peak request rate", "req/s", a.traffic.peak_requests_per_s,
                     b.traffic.peak_requests_per_s)]
    for name, unit, get in rows:
        deltas.append(_delta(name, unit, None if plan_a is None else get(plan_a),
                             None if plan_b is None else get(plan_b)))
    return ScenarioComparison(a=a, b=b, deltas=tuple(deltas),
                              summary=tuple(_summary(plan_a, plan_b, deltas)))


def _delta(name: str, unit: str, a: float | None, b: float | None) -> MetricDelta:
    delta = None if a is None or b is None else b - a
    relative = None if delta is None or not a else delta / a
    return MetricDelta(name=name, unit=unit, a=a, b=b, delta=delta, relative=relative)


def _summary(
    plan_a: DeploymentPlan | None, plan_b: DeploymentPlan | None, deltas: Sequence[MetricDelta]
) -> list[str]:
    if plan_a is None or plan_b is None:
        which = [n for n, p in (("A", plan_a), ("B", plan_b)) if p is None]
        return [f"no feasible plan for scenario {' and '.join(which)}"]
    out = [
        f"A: {_words(plan_a)}",
        f"B: {_words(plan_b)}",
    ]
    by_name = {d.name: d for d in deltas}
    cost = by_name["monthly cost"]
    if cost.delta is not None:
        more = "more" if cost.delta >= 0 else "less"
        rel = f" ({format_percent(abs(cost.relative))})" if cost.relative is not None else ""
        out.append(f"B costs {format_usd(abs(cost.delta))}/month {more} than A{rel}")
    for name in ("TTFT p90", "E2E p90"):
        d = by_name[name]
        if d.delta is not None:
            word = "slower" if d.delta > 0 else "faster"
            out.append(f"B's {name} is {format_ms(abs(d.delta))} {word}")
    return out


def _words(plan: DeploymentPlan) -> str:
    return (
        f"{plan.model_name or plan.model} {plan.precision.value} on "
        f"{plan.gpus_per_replica}x {plan.gpu_label or plan.gpu} × {plan.replicas} "
        f"({format_usd(plan.cost.monthly_usd)}/month)"
    )
