"""Charts for the CLI: the cost-vs-latency Pareto chart, what-if curves and a plan's
latency-vs-load curve.

Figures are drawn on a bare :class:`matplotlib.figure.Figure` rendered by the Agg canvas, so no
GUI backend or pyplot global state is involved.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from predeploy.core.errors import InputError
from predeploy.core.types import LatencyMetric, LoadCurve, PlanResult, SweepResult
from predeploy.core.types.base import PercentileName


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=120)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path, *, layout: bool = True) -> Path:
    if layout:
        fig.tight_layout()
    try:
        fig.savefig(path)
    except OSError as exc:
        raise InputError(f"--plot {path}: cannot write ({exc.strerror or exc})") from None
    return path


def plot_tradeoffs(result: PlanResult, path: Path) -> Path:
    """Monthly cost against E2E p90 at peak for every sized configuration: the cost–latency
    frontier as a staircase, configurations non-dominated once quality counts in blue, the
    returned plans in red (numbered as in the table)."""
    fig = _figure(9, 6)
    ax = fig.subplots()
    points = sorted(result.tradeoffs, key=lambda p: (p.e2e_p90_ms, p.monthly_usd))
    others = [p for p in points if not p.pareto]
    front = [p for p in points if p.pareto]
    if others:
        ax.scatter([p.e2e_p90_ms / 1000 for p in others], [p.monthly_usd for p in others],
                   s=12, color="0.75", label="sized configurations (analytic)")
    if front:
        ax.scatter([p.e2e_p90_ms / 1000 for p in front], [p.monthly_usd for p in front],
                   s=18, color="tab:blue", label="non-dominated (cost, latency, quality)")
    staircase: list[tuple[float, float]] = []
    for p in points:  # ascending latency: keep each new cost minimum
        if not staircase or p.monthly_usd < staircase[-1][1]:
            staircase.append((p.e2e_p90_ms / 1000, p.monthly_usd))
    if staircase:
        xs = [x for x, _ in staircase]
        ys = [y for _, y in staircase]
        ax.step(xs, ys, where="post", color="tab:blue", linewidth=1,
                label="cost–latency frontier")
    placed: list[Bbox] = []
    for index, plan in enumerate(result.plans, 1):
        latency = (plan.predicted.e2e_ms.p90 or 0) / 1000
        ax.scatter([latency], [plan.cost.monthly_usd], s=70, color="tab:red", zorder=3)
        name = (plan.model_name or plan.model).split("/")[-1]
        _label_without_overlap(
            ax, placed, f"{index}. {name} {plan.precision.value}\n{plan.configuration} × "
            f"{plan.replicas}", (latency, plan.cost.monthly_usd))
    ax.set_xlabel("E2E latency p90 at peak (s) — estimate")
    ax.set_ylabel("cost (USD per month)")
    ax.set_yscale("log")
    ax.set_title(f"{result.intent.use_case.value}: cost vs latency "
                 f"({result.traffic.peak_requests_per_s:.3g} req/s peak)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    return _save(fig, path)


#: Where a plan's label may go relative to its point (points; horizontal alignment), in
#: order of preference: right above, right below, left above, left below, further out.
LABEL_OFFSETS: tuple[tuple[float, float, str], ...] = (
    (6, 4, "left"), (6, -16, "left"), (-6, 4, "right"), (-6, -16, "right"),
    (6, 18, "left"), (6, -30, "left"), (-6, 18, "right"), (-6, -30, "right"),
)


def _label_without_overlap(
    ax: Axes, placed: list[Bbox], text: str, point: tuple[float, float]
) -> None:
    """Annotate ``point`` at the first offset whose text box overlaps no label placed before
    (the last candidate when all do)."""
    renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    label = None
    for dx, dy, align in LABEL_OFFSETS:
        if label is not None:
            label.remove()
        label = ax.annotate(text, point, fontsize=7, xytext=(dx, dy), ha=align,
                            textcoords="offset points")
        box = label.get_window_extent(renderer)
        if not any(box.overlaps(other) for other in placed):
            break
    assert label is not None
    placed.append(label.get_window_extent(renderer))


def plot_sweep(result: SweepResult, path: Path) -> Path:
    """Cost and E2E p90 of the recommended plan at each value of the swept variable."""
    fig = _figure(9, 5)
    ax_cost = fig.subplots()
    labels = [p.label for p in result.points]
    xs = list(range(len(labels)))
    cost = [p.plan.cost.monthly_usd if p.plan else float("nan") for p in result.points]
    latency = [(p.plan.predicted.e2e_ms.p90 or 0) / 1000 if p.plan else float("nan")
               for p in result.points]
    ax_cost.plot(xs, cost, marker="o", color="tab:blue", label="cost (USD/month)")
    ax_cost.set_ylabel("cost (USD per month)", color="tab:blue")
    ax_lat = ax_cost.twinx()
    ax_lat.plot(xs, latency, marker="s", color="tab:orange", label="E2E p90 (s)")
    ax_lat.set_ylabel("E2E latency p90 at peak (s) — estimate", color="tab:orange")
    ax_cost.set_xticks(xs, labels, rotation=20, fontsize=8)
    for x, point in zip(xs, result.points, strict=True):
        if not point.feasible:
            ax_cost.annotate("infeasible", (x, 0), xycoords=("data", "axes fraction"),
                             fontsize=7, color="tab:red", ha="center", va="bottom")
    ax_cost.set_title(f"What if: {result.target or result.variable}")
    ax_cost.grid(True, alpha=0.3)
    return _save(fig, path)


#: Percentiles drawn per metric on the load curve, with their line styles.
_CURVE_PERCENTILES: tuple[tuple[PercentileName, str], ...] = (
    ("p50", ":"), ("p90", "-"), ("p99", "--"),
)
_CURVE_METRICS: tuple[tuple[LatencyMetric, str], ...] = (
    ("ttft_ms", "TTFT"), ("itl_ms", "ITL"), ("e2e_ms", "E2E"),
)


def plot_load_curve(curve: LoadCurve, path: Path) -> Path:
    """TTFT, ITL and E2E percentiles against the deployment's request rate: the analytic
    curve (lines), the simulated points (markers), the SLO targets (red), the peak the plan
    was sized for and the saturation rate (vertical lines)."""
    fig = _figure(13, 4.5)
    axes = fig.subplots(1, 3)
    for ax, (metric, name) in zip(axes, _CURVE_METRICS, strict=True):
        xs = [p.requests_per_s for p in curve.points]
        for pct, style in _CURVE_PERCENTILES:
            ys = [_value(getattr(p, metric).get(pct)) for p in curve.points]
            ax.plot(xs, ys, style, color="tab:blue", label=f"{pct} (analytic)")
            ax.scatter([p.requests_per_s for p in curve.simulated],
                       [_value(getattr(p, metric).get(pct)) for p in curve.simulated],
                       s=22, color="tab:orange", zorder=3,
                       label="simulated" if pct == "p50" else None)
            target = dict(getattr(curve.slo, metric).items()).get(pct)
            if target is not None:
                ax.axhline(target, color="tab:red", linewidth=0.8, linestyle=style,
                           label=f"SLO {pct}")
        ax.axvline(curve.peak_requests_per_s, color="0.3", linewidth=0.8)
        ax.axvline(curve.saturation_requests_per_s, color="0.6", linewidth=0.8, linestyle="--")
        ax.annotate("peak", (curve.peak_requests_per_s, 1), xycoords=("data", "axes fraction"),
                    fontsize=7, ha="right", va="top", rotation=90)
        ax.annotate("saturation", (curve.saturation_requests_per_s, 1),
                    xycoords=("data", "axes fraction"), fontsize=7, ha="right", va="top",
                    rotation=90)
        ax.set_yscale("log")
        ax.set_xlabel("requests per second (all replicas)")
        ax.set_ylabel(f"{name} (ms) — estimate")
        ax.set_title(name)
        ax.grid(True, which="both", alpha=0.3)
    # One legend under the panels, where it hides no curve and no marker label.
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=7, frameon=False)
    fig.suptitle(f"{curve.plan} × {curve.replicas}: latency vs load", fontsize=10)
    fig.tight_layout(rect=(0.0, 0.06, 1.0, 1.0))
    return _save(fig, path, layout=False)


def _value(value: float | None) -> float:
    return float("nan") if value is None else value
