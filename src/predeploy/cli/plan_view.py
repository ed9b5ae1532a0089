"""Rich rendering of planning results: plans, rejections, suggestions, sweeps, comparisons.

Text that comes from the request, the catalog or the planner's wording is rendered with
:func:`~predeploy.cli.common.plain` (never read as markup); only this module's own labels are
styled.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from predeploy.cli.common import plain
from predeploy.core.types import (
    DeploymentPlan,
    LoadCurve,
    Percentiles,
    PlanResult,
    ScenarioComparison,
    SweepResult,
)
from predeploy.core.wording import format_ms, format_number, format_percent, format_usd

_METRIC = {"ttft_ms": "TTFT", "itl_ms": "ITL", "tpot_ms": "TPOT", "e2e_ms": "E2E"}


def _ms(values: Percentiles, pct: str = "p90") -> str:
    value = getattr(values, pct)
    return "–" if value is None else format_ms(value)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _hardware(plan: DeploymentPlan) -> str:
    return f"{plan.gpus_per_replica}x {plan.gpu_label or plan.gpu}"


def render_request(result: PlanResult, console: Console) -> None:
    """The request as understood: use case, load and its derivation, SLOs."""
    intent = result.intent
    traffic = result.traffic
    head = Text()
    head.append(f"{intent.use_case.value}", style="bold")
    head.append(f" · priority {intent.priority.value}")
    head.append(
        f" · {format_number(traffic.avg_requests_per_s)} req/s average, "
        f"{format_number(traffic.peak_requests_per_s)} req/s peak"
    )
    lines: list[Text | str] = [head]
    for line in traffic.derivation:
        lines.append(plain(f"  {line}", style="dim"))
    slo_parts = []
    for metric, label in _METRIC.items():
        targets = getattr(result.slo, metric).items()
        if targets:
            slo_parts.append(
                f"{label} " + " / ".join(f"{p} {format_ms(v)}" for p, v in targets)
            )
    headroom = format_percent(result.headroom)
    lines.append(f"SLOs: {' · '.join(slo_parts)} (met with {headroom} headroom)")
    limits = _constraint_words(result)
    if limits:
        lines.append(plain("Constraints: " + " · ".join(limits)))
    for note in intent.assumptions:  # what the intent engine assumed or could not use
        lines.append(plain(f"Noted: {note}", style="dim"))
    console.print(Panel(Group(*lines), title="Request", title_align="left"))


def _constraint_words(result: PlanResult) -> list[str]:
    c = result.intent.constraints
    out = []
    budget = c.budget
    for value, unit in ((budget.monthly_usd, "/month"), (budget.hourly_usd, "/hour"),
                        (budget.per_million_tokens_usd, "/M output tokens")):
        if value is not None:
            out.append(f"budget {format_usd(value)}{unit}")
    if c.gpus:
        out.append("GPUs " + ", ".join(
            f"{g.count}x {g.gpu}" if g.count else g.gpu for g in c.gpus))
    if c.excluded_gpus:
        out.append("no " + ", ".join(c.excluded_gpus))
    if c.models:
        out.append(("only " if c.models_required else "preferred ") + ", ".join(c.models))
    if c.precisions:
        out.append("precisions " + "/".join(p.value for p in c.precisions))
    if c.excluded_licenses:
        out.append("no " + ", ".join(c.excluded_licenses) + " licenses")
    if c.max_total_gpus:
        out.append(f"at most {c.max_total_gpus} GPUs")
    prefs = result.intent.preferences
    if prefs.providers:
        out.append("providers " + ", ".join(prefs.providers))
    if prefs.allow_spot:
        out.append("spot allowed")
    return out


#: Console width (characters) from which the plan table gets one line per plan; below it each
#: plan's model, hardware and labels share one column on three lines (the numbers stay whole).
WIDE_PLAN_TABLE_CHARS = 110


def plans_table(plans: Sequence[DeploymentPlan], width: int = WIDE_PLAN_TABLE_CHARS) -> Table:
    """One row per plan: model, GPUs × replicas, latency at peak, cost, quality, why."""
    wide = width >= WIDE_PLAN_TABLE_CHARS
    table = Table(title="Plans — latency p90 at peak load (estimates, simulation-verified)",
                  title_justify="left", header_style="bold", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    table.add_column("#", justify="right", no_wrap=True)
    if wide:
        table.add_column("model · precision")
        table.add_column("GPUs × replicas", no_wrap=True)
    else:
        table.add_column("plan", overflow="fold")
    for metric in ("TTFT", "ITL", "E2E", "$/month", "quality"):
        table.add_column(metric, justify="right", no_wrap=True)
    if wide:
        table.add_column("why")
    for index, plan in enumerate(plans, 1):
        mark = "★" if "recommended" in plan.labels else ""
        scale = plan.autoscaling
        replicas = (f"{scale.min_replicas}–{scale.max_replicas}"
                    if scale.min_replicas < scale.max_replicas else str(plan.replicas))
        model = Text.assemble(plain(plan.model_name or plan.model), " ",
                              (plan.precision.value, "dim"))
        hardware = plain(f"{_hardware(plan)} × {replicas}")
        why = plain(", ".join(label for label in plan.labels if label != "recommended")
                    or ("best balance" if mark else "trade-off"))
        numbers = (
            _ms(plan.predicted.ttft_ms),
            _ms(plan.predicted.itl_ms),
            _ms(plan.predicted.e2e_ms),
            format_usd(plan.cost.monthly_usd),
            "–" if plan.quality_score is None else format_number(plan.quality_score),
        )
        if wide:
            table.add_row(f"{index}{mark}", model, hardware, *numbers, why)
        else:
            why.stylize("dim")
            table.add_row(f"{index}{mark}", Text("\n").join([model, hardware, why]), *numbers)
    return table


def plan_details(plan: DeploymentPlan, title: str) -> Panel:
    """Rationale, SLO checks, vLLM arguments and provenance of one plan."""
    bounded = plan.predicted.provenance.held_out_bound
    # A plan judged at the held-out bound already shows the range's far end.
    accuracy = None if bounded else plan.predicted.provenance.accuracy
    checks = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    checks.add_column("SLO")
    checks.add_column("target", justify="right")
    checks.add_column("90 % bound" if bounded else "predicted", justify="right")
    if accuracy is not None:
        checks.add_column("80 % range", justify="right")
    checks.add_column("", justify="left")
    for key, check in plan.slo_checks.items():
        latency = check.metric in _METRIC
        if latency:
            name = f"{_METRIC[check.metric]} {check.percentile}"
            target, value = format_ms(check.target), format_ms(check.predicted)
        else:
            name = key.replace("_", " ")
            target, value = format_number(check.target), format_number(check.predicted)
        row: list[Text | str] = [plain(name), target, value]
        verdict = Text("met", "green") if check.met else Text("missed", "red")
        if accuracy is not None:
            metric = f"{check.metric}_{check.percentile}" if latency else check.metric
            band = accuracy.band(metric)
            low, high = band.measured_range(check.predicted) if band else (None, None)
            fmt = format_ms if latency else format_number
            row.append("–" if low is None or high is None else f"{fmt(low)}–{fmt(high)}")
            # Met at the prediction but not across the range held-out values fell in.
            worst = high if latency else low
            if check.met and worst is not None and (
                worst > check.target if latency else worst < check.target
            ):
                verdict = Text("met · at risk", "yellow")
        checks.add_row(*row, verdict)
    args = " ".join(plan.vllm.to_cli())
    body: list[Text | Table] = [
        plain(f"{_hardware(plan)} × {_count(plan.replicas, 'replica')} = "
              f"{_count(plan.total_gpus, 'GPU')} · {plan.model}", style="bold"),
    ]
    body += [plain(f"• {line}") for line in plan.rationale]
    body.append(checks)
    body.append(plain(f"vllm serve {plan.model} {args}", style="cyan"))
    body += [plain(f"source: {line}", style="dim") for line in plan.provenance]
    if accuracy is not None:
        body.append(plain(
            "80 % range: where the measured value fell for 80 % of held-out measurements "
            f"of analytic predictions ({accuracy.basis} parameters: {accuracy.split}, "
            f"{accuracy.date.isoformat()}); "
            "'at risk': met at the prediction, missed at the range's far end",
            style="dim",
        ))
    return Panel(Group(*body), title=title, title_align="left")


def render_plan_result(result: PlanResult, console: Console, details: int = 1) -> None:
    """The whole answer: request, plans table, details of the top plans, rejections."""
    render_request(result, console)
    if result.plans:
        console.print(plans_table(result.plans, console.width))
        for index, plan in enumerate(result.plans[:details], 1):
            console.print(plan_details(plan, f"Plan {index}" + (
                " — recommended" if "recommended" in plan.labels else "")))
    else:
        console.print(Panel("[bold red]No plan meets every constraint.[/]", expand=False))
    if result.suggestions:
        console.print("[bold]What would make it feasible[/] (computed from the search):")
        for suggestion in result.suggestions:
            console.print(plain(f"  • {suggestion.message}"))
    render_rejections(result, console)
    for note in result.notes:
        console.print(plain(f"note: {note}", style="dim"))
    stats = result.stats
    console.print(Text(
        f"searched {stats.models_considered} models × {stats.gpus_considered} GPU types: "
        f"{stats.configurations} configurations, {stats.memory_feasible} fit in memory, "
        f"{stats.sized_analytic} sized, {stats.simulations} simulations · "
        f"{format_number(result.elapsed_ms)} ms", style="dim"))


def render_rejections(result: PlanResult, console: Console, limit: int = 5) -> None:
    """Counts per reason, and the closest candidate of each of the commonest reasons."""
    if not result.infeasible:
        return
    counts = Counter(r.reason for r in result.infeasible)
    summary = ", ".join(f"{reason.replace('_', ' ')} {n}" for reason, n in counts.most_common())
    console.print(f"[bold]Not planned[/] (per model × GPU type): {summary}")
    shown: set[str] = set()
    for item in result.infeasible:  # ordered: furthest stage first, closest to its limit first
        if item.reason in shown or len(shown) >= limit:
            continue
        shown.add(item.reason)
        console.print(plain(f"  • {item.reason.replace('_', ' ')}: {item.candidate.label()} — "
                            f"{item.details}", style="dim"))


def sweep_table(result: SweepResult) -> Table:
    """The cost/latency curve of a sweep, one row per value."""
    name = result.target or result.variable
    table = Table(title=plain(f"What if: {name} — recommended plan, latency at peak (estimates)"),
                  title_justify="left", header_style="bold",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("value", overflow="fold")
    table.add_column("peak req/s", justify="right", no_wrap=True)
    table.add_column("plan", overflow="fold")
    for column in ("replicas", "TTFT p90", "E2E p90", "$/month"):
        table.add_column(column, justify="right", no_wrap=True)
    for point in result.points:
        plan = point.plan
        if plan is None:
            table.add_row(plain(point.label), format_number(point.peak_requests_per_s),
                          Text.assemble(("infeasible", "red"), ": ", plain(point.reason or "")),
                          "–", "–", "–", "–")
            continue
        table.add_row(
            plain(point.label), format_number(point.peak_requests_per_s),
            plain(f"{plan.model_name or plan.model} {plan.precision.value} on {_hardware(plan)}"),
            str(plan.replicas), _ms(plan.predicted.ttft_ms), _ms(plan.predicted.e2e_ms),
            format_usd(plan.cost.monthly_usd),
        )
    return table


def comparison_table(comparison: ScenarioComparison) -> Table:
    """Scenario A vs B with deltas."""
    table = Table(title="Scenario A vs B — recommended plans (latency: estimates)",
                  title_justify="left", header_style="bold")
    for column in ("figure", "A", "B", "B − A"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for delta in comparison.deltas:
        def show(value: float | None, unit: str = delta.unit) -> str:
            if value is None:
                return "–"
            if unit.startswith("USD"):
                return format_usd(value)
            if unit == "ms":
                return format_ms(value)
            return format_number(value)

        change = "–"
        if delta.delta is not None:
            sign = "+" if delta.delta >= 0 else "−"
            change = f"{sign}{show(abs(delta.delta))}"
            if delta.relative is not None:
                change += f" ({sign}{abs(delta.relative):.0%})"
        table.add_row(f"{delta.name} ({delta.unit})", show(delta.a), show(delta.b), change)
    return table


def describe_load_curve(curve: LoadCurve | None, path: Path) -> str:
    """One line on the chart: how far the recommended plan's load can grow within its SLOs."""
    if curve is None:
        return f"no load curve drawn to {path}: no plan to draw"
    peak = curve.peak_requests_per_s
    limit = curve.max_requests_per_s_meeting_slo
    within = (
        f"meets the SLOs up to ~{format_number(limit)} req/s ({limit / peak:.1f}× the peak)"
        if limit is not None else "misses an SLO even at light load (estimate)"
    )
    return (f"load curve written to {path}: {curve.plan} × {curve.replicas} {within}, "
            f"saturates at ~{format_number(curve.saturation_requests_per_s)} req/s "
            "(analytic estimate; dots are simulated)")
