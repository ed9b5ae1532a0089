"""CLI commands: ``plan``, ``whatif`` and ``compare``.

Each parses its arguments, makes one service call and renders the answer: a Rich view by
default, the JSON contract with ``--json`` (DESIGN.md §6), a chart with ``--plot``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from predeploy.cli.common import check_chart_path, console, err_console, fail, plain, print_json
from predeploy.cli.plan_view import (
    comparison_table,
    describe_load_curve,
    render_plan_result,
    sweep_table,
)
from predeploy.core.types import DeploymentIntent, ModelCard, PlannerOptions, SweepVariable
from predeploy.settings import load_settings

if TYPE_CHECKING:
    from predeploy.core.optimizer import ProgressCallback

# The planning service (the planner, the knowledge base and its database driver) is imported by
# the commands that run it, not when the CLI starts.

_PHASES = {
    "screen": "screening configurations (analytic)",
    "size": "sizing replicas (analytic)",
    "verify": "verifying finalists (simulation)",
    "sweep": "what-if points",
}
_SWEEP_VARIABLES: tuple[SweepVariable, ...] = (
    "rate", "slo", "prompt_tokens", "output_tokens", "shared_prefix_tokens", "prefix_count",
    "gpu", "routing", "prefix_popularity",
)

TextArg = Annotated[
    str | None, typer.Argument(help="The request in plain words (quote it).", show_default=False)
]
SpecOpt = Annotated[
    Path | None,
    typer.Option("--spec", help="A DeploymentIntent JSON file (e.g. from `predeploy intent "
                 "--json`) instead of words.", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the JSON answer.")]
PlotOpt = Annotated[
    Path | None, typer.Option("--plot", help="Also draw a chart to this PNG file.",
                              show_default=False),
]
SeedOpt = Annotated[
    int | None, typer.Option("--seed", min=0, help="Simulation seed (default: PREDEPLOY_SEED).",
                             show_default=False),
]


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""
    app.command("plan")(plan_command)
    app.command("whatif")(whatif_command)
    app.command("compare")(compare_command)


def _request(text: str | None, spec: Path | None) -> DeploymentIntent | str:
    """The intent read from ``--spec``, or the words (read by the planning service against the
    catalog it plans with)."""
    if (text is None) == (spec is None):
        fail("give the request either in words (predeploy plan \"...\") or as --spec SPEC.json")
    if spec is not None:
        from predeploy.services import planning

        return planning.read_intent_spec(spec)
    assert text is not None
    if not text.strip():
        fail('the request is empty; describe it, e.g. predeploy plan "support bot for 5k users"')
    return text


@contextmanager
def _progress(enabled: bool) -> Iterator[ProgressCallback | None]:
    """A progress bar on stderr for the search phases (none in JSON mode, and none when stderr
    is not a terminal: there it would only leave an empty line)."""
    if not enabled or not err_console.is_terminal:
        yield None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err_console, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(_PHASES.get(phase, phase), total=total)
            bar.update(tasks[phase], completed=done, total=max(total, done))

        yield update


ModelConfigOpt = Annotated[Path | None, typer.Option(
    "--model-config", show_default=False,
    help="Plan your own model from its Hugging Face config.json (sizes, KV layout and "
    "checkpoint precision are read from it); only this model is planned.")]
ModelNameOpt = Annotated[str | None, typer.Option(
    "--model-name", show_default=False,
    help="The name of the --model-config model (default: its _name_or_path, else its folder).")]


def _own_models(config: Path | None, name: str | None) -> tuple[ModelCard, ...]:
    """The card of the model ``--model-config`` describes (none without it)."""
    from predeploy.services.own_models import read_own_model

    if name is not None and config is None:
        fail("--model-name names the model of --model-config; give both")
    return (read_own_model(config, name),) if config else ()


def plan_command(
    text: TextArg = None,
    spec: SpecOpt = None,
    json_out: JsonOpt = False,
    plot: PlotOpt = None,
    plans: Annotated[int, typer.Option("--plans", min=1, max=50,
                                       help="How many plans to return.")] = 5,
    details: Annotated[int, typer.Option("--details", min=0, max=50,
                                         help="Plans shown in full below the table.")] = 1,
    load_curve: Annotated[Path | None, typer.Option(
        "--load-curve", show_default=False,
        help="Also draw the recommended plan's latency-vs-load curve to this PNG file.")] = None,
    robust: Annotated[bool, typer.Option(
        "--robust",
        help="Judge plans at the far end of the engine's held-out error (latencies at the "
        "90th percentile of measured ÷ predicted, capacity at the 10th) instead of at the "
        "prediction.")] = False,
    front_end_ms: Annotated[float | None, typer.Option(
        "--front-end-ms", min=0.0, show_default=False,
        help="Time each request spends in front of vLLM (gateway, HTTP, tokenizer, first "
        "streamed chunk), ms, instead of the fitted one.")] = None,
    routing: Annotated[str | None, typer.Option(
        "--routing", show_default=False,
        help="How the router picks each request's replica: random (a Kubernetes Service) or "
        "prefix-aware (llm-d's inference scheduler, session affinity): whether a "
        "conversation's turns find their history, and replicas their share of several "
        "system prompts, in the prefix cache. Default: as the request says, else "
        "random.")] = None,
    model_config: ModelConfigOpt = None,
    model_name: ModelNameOpt = None,
    seed: SeedOpt = None,
) -> None:
    """Plan model, GPUs, replicas and vLLM settings that meet the SLOs at peak load."""
    from predeploy.services import planning
    from predeploy.services.perf import parse_routing

    check_chart_path(plot)
    check_chart_path(load_curve, "--load-curve")
    own = _own_models(model_config, model_name)
    request = _request(text, spec)
    settings = load_settings()
    options = PlannerOptions(max_plans=plans, seed=settings.seed if seed is None else seed,
                             held_out_bound=robust,
                             front_end_s=None if front_end_ms is None else front_end_ms / 1e3,
                             routing=None if routing is None else parse_routing(routing))
    with _progress(not json_out) as progress:
        result = planning.plan_request(request, settings, options, progress, own_models=own)
    if plot is not None:
        from predeploy.cli.plot import plot_tradeoffs

        plot_tradeoffs(result, plot)
    curve = None
    if load_curve is not None and result.plans:
        from predeploy.cli.plot import plot_load_curve

        curve = planning.load_curve_request(result, settings, seed=options.seed,
                                            own_models=own)
        plot_load_curve(curve, load_curve)
    if json_out:
        print_json(result)
        return
    out = console
    render_plan_result(result, out, details=details)
    if plot is not None:
        out.print(plain(f"chart written to {plot}"))
    if load_curve is not None:
        out.print(plain(describe_load_curve(curve, load_curve)))


def whatif_command(
    text: TextArg = None,
    spec: SpecOpt = None,
    vary: Annotated[str, typer.Option(
        "--vary", help="What to sweep: rate (multipliers), slo (with --target), prompt_tokens, "
        "output_tokens, shared_prefix_tokens (a system prompt's length, each request's own "
        "part kept), prefix_count (distinct system prompts of that length), "
        "prefix_popularity (Zipf's exponent of their requests), gpu or routing (random, "
        "prefix-aware).")] = "rate",
    values: Annotated[str | None, typer.Option(
        "--values", help="Comma-separated values, e.g. 0.25,0.5,1,2,4,8 or L4,H100-SXM "
        "(rate default: 0.25,0.5,1,2,4,8).", show_default=False)] = None,
    target: Annotated[str | None, typer.Option(
        "--target", help="The SLO swept with --vary slo, e.g. ttft_ms.p90.",
        show_default=False)] = None,
    json_out: JsonOpt = False,
    plot: PlotOpt = None,
    model_config: ModelConfigOpt = None,
    model_name: ModelNameOpt = None,
    seed: SeedOpt = None,
) -> None:
    """Re-plan across values of one variable and show the cost/latency curve."""
    from predeploy.services import planning

    if vary not in _SWEEP_VARIABLES:
        fail(f"unknown --vary {vary!r}; valid: {', '.join(_SWEEP_VARIABLES)}")
    variable: SweepVariable = vary  # type: ignore[assignment]
    check_chart_path(plot)
    own = _own_models(model_config, model_name)
    request = _request(text, spec)
    settings = load_settings()
    parsed = [v.strip() for v in (values or "").split(",") if v.strip()]
    options = PlannerOptions(seed=settings.seed if seed is None else seed)
    with _progress(not json_out) as progress:
        result = planning.sweep_request(request, settings, variable, parsed, target, options,
                                        progress, own_models=own)
    if plot is not None:
        from predeploy.cli.plot import plot_sweep

        plot_sweep(result, plot)
    if json_out:
        print_json(result)
        return
    out = console
    out.print(sweep_table(result))
    if plot is not None:
        out.print(plain(f"chart written to {plot}"))


def compare_command(
    spec_a: Annotated[Path, typer.Argument(help="Scenario A: a DeploymentIntent JSON file.")],
    spec_b: Annotated[Path, typer.Argument(help="Scenario B: a DeploymentIntent JSON file.")],
    json_out: JsonOpt = False,
    seed: SeedOpt = None,
) -> None:
    """Plan two scenarios and compare their recommended plans side by side (B − A)."""
    from predeploy.services import planning

    a = planning.read_intent_spec(spec_a)
    b = planning.read_intent_spec(spec_b)
    settings = load_settings()
    options = PlannerOptions(seed=settings.seed if seed is None else seed)
    comparison = planning.compare_request(a, b, settings, options)
    if json_out:
        print_json(comparison)
        return
    out = console
    out.print(comparison_table(comparison))
    for line in comparison.summary:
        out.print(plain(f"• {line}"))
