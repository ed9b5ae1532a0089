"""Rendering of planning answers (on results from the test-double engine)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.console import Console
from tests.planning_facts import ToyEngine, small_catalog

from predeploy.cli.plan_view import (
    WIDE_PLAN_TABLE_CHARS,
    comparison_table,
    plan_details,
    plans_table,
    render_plan_result,
    sweep_table,
)
from predeploy.cli.plot import plot_sweep, plot_tradeoffs
from predeploy.core.optimizer import plan_deployment
from predeploy.core.types import DeploymentIntent, PlannerOptions
from predeploy.core.types.accuracy import AccuracyBand, AccuracyTable
from predeploy.core.whatif import compare, sweep
from predeploy.core.wording import format_usd

OPTIONS = PlannerOptions(num_requests=500)


def _render(renderable: object) -> str:
    console = Console(record=True, width=200)
    console.print(renderable)
    return console.export_text()


def _result(**fields: object):  # type: ignore[no-untyped-def]
    intent = DeploymentIntent.model_validate({"use_case": "chatbot", **fields})
    return plan_deployment(intent, small_catalog(), ToyEngine(), OPTIONS)


def test_plan_view_shows_configuration_estimates_and_reasons() -> None:
    result = _result(users=20_000)
    console = Console(record=True, width=200)
    render_plan_result(result, console)
    text = console.export_text()
    plan = result.plans[0]
    assert f"{plan.gpus_per_replica}x {plan.gpu_label}" in text
    assert "estimate" in text
    assert "20,000 users × 10 % active" in text
    assert "vllm serve" in text and "--max-model-len" in text
    assert "★" in text and "recommended" in text
    assert "Not planned" in text


def test_infeasible_view_lists_suggestions() -> None:
    console = Console(record=True, width=200)
    render_plan_result(_result(users=20_000, budget={"monthly_usd": 50}), console)
    text = console.export_text()
    assert "No plan meets every constraint" in text
    assert "raise the budget to $" in text


def test_sweep_and_comparison_tables() -> None:
    intent = DeploymentIntent.model_validate({"use_case": "chatbot", "qps": 5})
    result = sweep(intent, small_catalog(), ToyEngine(), plan_deployment, "rate", [1, 4],
                   options=OPTIONS)
    text = _render(sweep_table(result))
    assert "× 4" in text and "$" in text and "(estimates)" in text
    a, b = _result(qps=5), _result(qps=20)
    text = _render(comparison_table(compare(a, b)))
    assert "monthly cost" in text and "B − A" in text and "latency: estimates" in text


def test_charts_are_written(tmp_path: Path) -> None:
    result = _result(users=20_000)
    chart = plot_tradeoffs(result, tmp_path / "pareto.png")
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    intent = DeploymentIntent.model_validate({"use_case": "chatbot", "qps": 5})
    curve = sweep(intent, small_catalog(), ToyEngine(), plan_deployment, "rate", [1, 2],
                  options=OPTIONS)
    assert plot_sweep(curve, tmp_path / "sweep.png").stat().st_size > 1000


def test_plan_table_keeps_every_figure_in_80_columns() -> None:
    result = _result(users=2_000)
    assert len(result.plans) >= 2
    for width in (80, 120):
        console = Console(record=True, width=width)
        console.print(plans_table(result.plans, width))
        text = console.export_text()
        assert max(len(line) for line in text.splitlines()) <= width
        for plan in result.plans:
            assert (plan.model_name or plan.model) in text
            assert format_usd(plan.cost.monthly_usd) in text
            assert f"{plan.gpus_per_replica}x {plan.gpu_label}" in text
        first = result.plans[0]
        row = next(line for line in text.splitlines() if (first.model_name or "") in line)
        one_line = f"{first.gpus_per_replica}x {first.gpu_label}" in row
        assert one_line == (width >= WIDE_PLAN_TABLE_CHARS)  # wide: one line per plan


def test_chart_labels_do_not_overlap() -> None:
    """Plans at the same point get their labels at different offsets."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.transforms import Bbox

    from predeploy.cli.plot import _label_without_overlap

    fig = Figure(figsize=(6, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    placed: list[Bbox] = []
    for i in range(4):
        _label_without_overlap(ax, placed, f"{i}. some model fp8\n1x H100-SXM × 2", (5.0, 5.0))
    assert len(placed) == 4
    assert not any(a.overlaps(b) for i, a in enumerate(placed) for b in placed[i + 1:])


def test_plan_details_show_where_held_out_values_fell_and_what_is_at_risk() -> None:
    plan = _result(users=20_000).plans[0]
    ttft = next(c for c in plan.slo_checks.values() if c.metric == "ttft_ms")
    wide = AccuracyBand(
        family="ttft", statistic=ttft.percentile or "p50", values=50, median_ape=0.4,
        within_25=0.3, ratio_low=ttft.predicted / ttft.target * 0.9, ratio_high=2.0,
    )
    table = AccuracyTable(
        basis="fitted", split="test folds", date=dt.date(2026, 11, 30), measurements=50,
        bands=(wide,),
    )
    provenance = plan.predicted.provenance.model_copy(update={"accuracy": table})
    shown = plan.model_copy(
        update={"predicted": plan.predicted.model_copy(update={"provenance": provenance})}
    )
    text = _render(plan_details(shown, "Plan 1"))
    assert "80 % range" in text and "test folds" in text
    assert "met · at risk" in text  # the range's far end is past the TTFT target
    assert "80 % range" not in _render(plan_details(plan, "Plan 1"))  # no bands, no column
