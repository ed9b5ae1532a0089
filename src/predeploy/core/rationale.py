"""Turning a verified configuration into a :class:`DeploymentPlan` a user can read.

The rationale says, in this order: why this plan (its labels), the tightest SLOs against their
targets, why this many replicas, the memory fit, the cost, the quality, how it was verified,
and — for alternatives — what it trades against the recommended plan.
"""

from __future__ import annotations

from collections.abc import Sequence

from predeploy.core.cost import HOURS_PER_MONTH
from predeploy.core.perf_caveats import PREFIX_CAPACITY_START
from predeploy.core.prefix_cache import HISTORY_CAVEAT_START, PREFIX_CAVEAT_START
from predeploy.core.ranking import REDUCED, Point, weight_fidelity
from predeploy.core.sizing import Configuration, Screen, Sizing, Workload
from predeploy.core.slo_check import check_throughput, describe_check, percentile_value
from predeploy.core.types import (
    Autoscaling,
    CostEstimate,
    DeploymentPlan,
    PerfMetrics,
    PlannerOptions,
    PlanPrediction,
    Precision,
    Priority,
)
from predeploy.core.wording import format_ms, format_number, format_percent, format_usd

_LABEL_WORDS = {
    "cheapest": "the cheapest plan meeting all SLOs",
    "fastest": "the lowest E2E p90 latency at peak",
    "best quality": "the highest quality score",
    "requested model": "a model you named",
}


def plan_point(
    cost: CostEstimate, latency_ms: float, config: Configuration, screen: Screen, replicas: int
) -> Point:
    """The figures the plan is ranked on."""
    return Point(cost.hourly_usd, latency_ms, config.model.quality,
                 screen.saturation_rps * replicas,
                 weight_fidelity(config.precision, config.model.card.architecture.native_precision))


def build_plan(
    config: Configuration,
    screen: Screen,
    sizing: Sizing,
    cost: CostEstimate,
    workload: Workload,
    options: PlannerOptions,
    labels: tuple[str, ...],
    min_replicas: int,
    added_by_simulation: int,
    quality_scale: str | None,
    reference: tuple[str, Point] | None,
    summary: str | None = None,
    settings_note: str | None = None,
) -> DeploymentPlan:
    """The plan, its SLO checks, autoscaling bounds, provenance and rationale."""
    evaluation = sizing.evaluation
    metrics = evaluation.prediction.metrics
    replicas = sizing.replicas
    capacity_rps = screen.saturation_rps * replicas
    out_tokens = workload.traffic.output_tokens.mean
    checks = {key: check.to_model() for key, check in evaluation.checks.items()}
    checks.update(check_throughput(capacity_rps, capacity_rps * out_tokens, workload.slo))
    prediction = PlanPrediction(
        ttft_ms=metrics.ttft_ms,
        itl_ms=metrics.itl_ms,
        tpot_ms=metrics.tpot_ms,
        e2e_ms=metrics.e2e_ms,
        output_tokens_per_s=metrics.output_tokens_per_s * replicas,
        requests_per_s=metrics.requests_per_s * replicas,
        max_rps_per_replica=screen.saturation_rps,
        kv_cache_usage=metrics.kv_cache_usage,
        provenance=metrics.provenance,
    )
    card = config.model.card
    lines = _headline(labels, workload)
    if summary:
        lines[0] += f" — {summary}"
    tight = sorted(evaluation.checks.items(), key=lambda kc: kc[1].margin)[:2]
    if tight:
        lines.append("; ".join(
            f"{describe_check(k, c)} ({format_percent(c.margin)} margin)" for k, c in tight
        ))
    lines.append(
        f"{sizing.reason}; the router spreads the peak evenly: "
        f"{format_number(evaluation.per_replica_rps)} req/s per replica"
    )
    lines.append(f"memory: {config.memory.reason}")
    lines.extend(
        c
        for c in metrics.provenance.caveats
        if c.startswith((PREFIX_CAVEAT_START, HISTORY_CAVEAT_START, PREFIX_CAPACITY_START))
    )
    if settings_note:
        lines.append(settings_note)
    native = card.architecture.native_precision
    if config.precision != native:
        lines.append(precision_note(config.precision, native, config.vllm.quantization))
    spot = (
        f"; spot {format_usd(cost.spot_monthly_usd)}/month"
        if cost.spot_monthly_usd is not None and cost.pricing != "spot" else ""
    )
    lines.append(
        f"{format_usd(cost.monthly_usd)}/month ({format_usd(cost.hourly_usd)}/hour "
        f"{cost.pricing.replace('_', '-')}, {cost.provider} {cost.instance_type or ''})".rstrip()
        + spot
    )
    lines.extend(b for b in cost.basis if b.startswith(("priced per GPU", f"{cost.idle_gpus} GPU")))
    if min_replicas < replicas and cost.monthly_usd_at_min_replicas is not None:
        lines.append(
            f"autoscaling {min_replicas}–{replicas} replicas: {min_replicas} carry the average "
            f"{format_number(workload.traffic.avg_requests_per_s)} req/s "
            f"({format_usd(cost.monthly_usd_at_min_replicas)}/month if scaled down all month)"
        )
    if config.model.quality is not None and quality_scale is not None:
        lines.append(f"quality {format_number(config.model.quality)} on {quality_scale}")
    elif quality_scale is not None:
        lines.append(f"no quality score on {quality_scale}: ranked lowest on quality")
    provenance = metrics.provenance
    verified = (
        f"verified by simulation: {provenance.num_requests_simulated or options.num_requests:,} "
        f"requests at {format_number(evaluation.per_replica_rps)} req/s per replica "
        f"(seed {provenance.seed if provenance.seed is not None else options.seed})"
    )
    if added_by_simulation:
        verified += f"; simulation added {added_by_simulation} replica(s) to the analytic estimate"
    lines.append(verified)
    if reference is not None:
        lines.append(_tradeoff(reference, plan_point(cost, _e2e(evaluation.prediction.metrics),
                                                      config, screen, replicas)))
    sources = [
        f"prediction: {provenance.label()}",
        f"price: {cost.price_provenance.label()}",
        f"GPU spec: {config.gpu.provenance.label()}",
        f"model card: {card.provenance.label()}",
    ]
    quality = config.model.quality_source
    if quality is not None:
        sources.append(f"quality: {quality.provenance.label()}")
    return DeploymentPlan(
        model=card.id,
        model_name=card.name,
        precision=config.precision,
        gpu=config.gpu.name,
        gpu_label=config.gpu.label,
        tp=config.tp,
        gpus_per_replica=config.gpus_per_replica,
        replicas=replicas,
        vllm=config.vllm,
        autoscaling=Autoscaling(min_replicas=min_replicas, max_replicas=replicas),
        predicted=prediction,
        slo_checks=checks,
        cost=cost,
        quality_score=config.model.quality,
        quality_scale=quality_scale if config.model.quality is not None else None,
        per_replica_peak_rps=evaluation.per_replica_rps,
        labels=labels,
        rationale=tuple(lines),
        provenance=tuple(sources),
    )


#: From this ratio on, a slower latency reads as a multiple ("3.5× that of") not a percentage.
SLOWER_AS_MULTIPLE = 2.0


def recommendation_summary(
    priority: Priority, mine: Point, others: Sequence[tuple[int, Point]]
) -> str:
    """Why the recommended plan beat the extremes it is not: ``for a latency priority: E2E
    p90 8 % above plan 3 (the fastest) at 40 % of its cost``."""
    parts: list[str] = []
    fastest = min(others, key=lambda ip: ip[1].latency_ms, default=None)
    cheapest = min(others, key=lambda ip: ip[1].hourly_usd, default=None)
    best = max(others, key=lambda ip: ip[1].quality_value, default=None)
    if fastest is not None and fastest[1].latency_ms < mine.latency_ms:
        n, p = fastest
        ratio = mine.latency_ms / p.latency_ms
        slower = (f"{format_percent(ratio - 1)} above" if ratio < SLOWER_AS_MULTIPLE
                  else f"{format_number(ratio)}× that of")
        parts.append(
            f"E2E p90 {slower} plan {n} "
            f"(the fastest) at {format_percent(mine.hourly_usd / p.hourly_usd)} of its cost")
    if cheapest is not None and cheapest[1].hourly_usd < mine.hourly_usd:
        n, p = cheapest
        parts.append(
            f"{format_percent(mine.hourly_usd / p.hourly_usd - 1)} dearer than plan {n} "
            f"(the cheapest) for {format_percent(1 - mine.latency_ms / p.latency_ms)} lower "
            "E2E p90" if mine.latency_ms < p.latency_ms else
            f"{format_percent(mine.hourly_usd / p.hourly_usd - 1)} dearer than plan {n} "
            "(the cheapest) for higher quality")
    if best is not None and best[1].quality_value > mine.quality_value and mine.quality:
        n, p = best
        parts.append(f"quality {format_number(mine.quality)} vs {format_number(p.quality or 0)}"
                     f" for plan {n}")
    head = f"best balance for a {priority.value} priority"
    return head + (": " + "; ".join(parts) if parts else "")


def _headline(labels: tuple[str, ...], workload: Workload) -> list[str]:
    reasons = [_LABEL_WORDS[label] for label in labels if label in _LABEL_WORDS]
    if "recommended" in labels:
        head = "recommended"
        if reasons:
            head += ": " + ", ".join(reasons)
        return [head]
    if reasons:
        return ["alternative: " + ", ".join(reasons)]
    return ["alternative on the cost/latency/quality trade-off front"]


def _e2e(metrics: PerfMetrics) -> float:
    return percentile_value(metrics.e2e_ms, "p90") or float("inf")


def _tradeoff(reference: tuple[str, Point], mine: Point) -> str:
    name, ref = reference
    parts = []
    d_cost = (mine.hourly_usd - ref.hourly_usd) * HOURS_PER_MONTH
    rel = (mine.hourly_usd / ref.hourly_usd - 1) if ref.hourly_usd > 0 else 0.0
    sign = "+" if d_cost >= 0 else "−"
    parts.append(f"{sign}{format_usd(abs(d_cost))}/month ({sign}{format_percent(abs(rel))})")
    d_lat = mine.latency_ms - ref.latency_ms
    parts.append(f"E2E p90 {'+' if d_lat >= 0 else '−'}{format_ms(abs(d_lat))}")
    if mine.quality is not None and ref.quality is not None and mine.quality != ref.quality:
        d_q = mine.quality - ref.quality
        parts.append(f"quality {'+' if d_q >= 0 else '−'}{format_number(abs(d_q))}")
    return f"vs {name}: " + ", ".join(parts)


#: The ``--quantization`` methods a plan names that quantize a 16-bit checkpoint on the fly
#: (vLLM's ``fp8``); the others load weights quantized beforehand (AWQ, GPTQ,
#: compressed-tensors, ModelOpt NVFP4: ``types.vllm.QUANTIZATION_METHOD``).
ONLINE_QUANTIZATION_METHODS = frozenset({"fp8"})


def precision_note(precision: Precision, native: Precision, method: str | None) -> str:
    """What serving the weights in ``precision`` instead of the checkpoint's means."""
    if {precision, native} == {Precision.BF16, Precision.FP16}:
        return (
            f"{precision.value} weights instead of the {native.value} checkpoint "
            "(--dtype float16: this GPU has no BF16): the same memory and speed; FP16's "
            "narrower range can overflow in some models"
        )
    loss = (
        "the quality loss is not measured here"
        if weight_fidelity(precision, native) == REDUCED
        else "FP8 keeps ≥ 99 % of BF16 accuracy in published evaluations (arXiv:2411.02355)"
        if precision == Precision.FP8 else "the same accuracy"
    )
    note = (
        f"{precision.value} weights ({method or precision.value}) instead of the "
        f"{native.value} checkpoint: less memory and faster decode; {loss}"
    )
    if method and method not in ONLINE_QUANTIZATION_METHODS:
        note += (
            f"; serve a {method} checkpoint of this model (of the methods a plan names, only "
            "fp8 quantizes a 16-bit checkpoint on the fly)"
        )
    return note
