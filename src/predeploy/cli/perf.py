"""CLI commands: ``predict`` (a case file or one scenario) and ``perf validate``."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from predeploy.cli.common import (
    check_chart_path,
    console,
    err_console,
    fail,
    plain,
    print_json,
)
from predeploy.core.calibration import MAX_ITERATIONS
from predeploy.core.calibration_problem import EXCLUDED_FROM_FIT, MISLABELLED
from predeploy.core.fit_advice import FitAlternative, FitChange
from predeploy.core.perf import LATENCY_NAMES, is_overload_caveat
from predeploy.core.scoring import render
from predeploy.core.slo_check import LatencyCheck, check_latency, parse_latency_targets
from predeploy.core.types import (
    KvCacheDtype,
    LoadCurve,
    MemoryFit,
    PerfPrediction,
    ServingScenario,
    TokenDistribution,
)
from predeploy.core.types.accuracy import (
    BAND_STATISTICS,
    AccuracyBand,
    AccuracyTable,
    PerfAccuracy,
)
from predeploy.core.validation import SPLIT_CHOICES, SPLIT_TITLES
from predeploy.services import perf as perf_service
from predeploy.services import perf_accuracy as perf_accuracy_service
from predeploy.services.own_models import own_model_name, read_model_config

perf_app = typer.Typer(help="Performance engine: validation of the calibrated model.")


#: Statistics shown per latency (those the error bands keep).
STATISTICS = BAND_STATISTICS


def _band_cell(band: AccuracyBand | None) -> str:
    if band is None:
        return "–"
    return (
        f"±{100 * band.median_ape:.0f} %\n"
        f"[dim]{1 / band.ratio_high:.2g}–{1 / band.ratio_low:.2g}×[/]"
    )


def _accuracy_table(accuracy: AccuracyTable) -> Table:
    """Held-out error of each number above: median error, and the measured ÷ predicted
    range that held 80 % of held-out values."""
    engine = f"{accuracy.engine} " if accuracy.engine else ""
    kinds = {"moe": "mixture-of-experts ", "dense": "dense-model "}
    kind = kinds.get(accuracy.model_kind or "", "")
    table = Table(
        title=plain(
            f"Held-out error of analytic {engine}{kind}predictions ({accuracy.basis} parameters: "
            f"{accuracy.split}, {accuracy.date.isoformat()})"
        ),
        caption="± median error on measurements the fit never saw; below it, the range of "
        "measured ÷ predicted that held 80 % of them",
    )
    table.add_column("metric")
    for stat in STATISTICS:
        table.add_column(stat, justify="right")
    for name in LATENCY_NAMES:
        table.add_row(name, *(_band_cell(accuracy.band(f"{name}_{s}")) for s in STATISTICS))
    throughput = accuracy.band("output_tokens_per_s")
    table.add_row("throughput", _band_cell(throughput), "", "", "")
    return table


def _render_checks(checks: dict[str, LatencyCheck]) -> None:
    """Each latency target against the prediction (met or missed, and by how much)."""
    for key, check in checks.items():
        verdict = "[green]met[/]" if check.met else "[bold red]missed[/]"
        console.print(
            f"SLO {key} ≤ {check.target:,.0f} ms: predicted {check.predicted:,.1f} ms, {verdict}"
        )


def _describe_curve(curve: LoadCurve, path: Path) -> str:
    """One line on the chart: saturation, and how far the load can grow within the SLOs."""
    within = ""
    if curve.slo.latency_targets():
        limit = curve.max_requests_per_s_meeting_slo
        within = (f", meets the SLOs up to ~{limit:,.2f} req/s" if limit is not None
                  else ", misses an SLO even at light load")
    return (f"load curve written to {path}: saturates at ~"
            f"{curve.saturation_requests_per_s:,.2f} req/s{within} (analytic estimate; dots are "
            "simulated)")


def _load_label(
    qps: float | None,
    cv: float,
    concurrency: int | None,
    burst: int | None,
    num_prompts: int | None = None,
) -> str:
    run = "" if num_prompts is None else f", a run of {num_prompts:,} prompts"
    if qps:
        return f"{qps:g} req/s" + ("" if cv == 1.0 else f" (arrival CV {cv:g})") + run
    if burst:
        return f"a burst of {burst:,} prompts"
    return (f"concurrency {concurrency}" if concurrency else "max load") + run


def _layout_label(scenario: ServingScenario, tp: int) -> str:
    """``TP4``, or ``TP1×DP8 EP`` when data-parallel ranks share their experts."""
    if scenario.expert_parallel and scenario.tp != tp:
        return f"TP{tp}×DP{scenario.tp // max(tp, 1)} EP"
    return f"TP{tp}"


def _shared_label(scenario: ServingScenario) -> str:
    """" (2,000 shared, 1,500 history)" after the prompt length when prompts share a prefix
    (" (2,000 shared, one of 40 prefixes)" of several, " ... prefixes, Zipf 1" requested
    unevenly) or carry a conversation's earlier turns."""
    shared_prefix_tokens, history_tokens = scenario.shared_prefix_tokens, scenario.history_tokens
    shared = f"{shared_prefix_tokens:,} shared" if shared_prefix_tokens else ""
    if shared and scenario.prefix_count > 1:
        shared += f", one of {scenario.prefix_count:,} prefixes"
        if scenario.prefix_popularity:
            shared += f", Zipf {scenario.prefix_popularity:g}"
    parts = [shared, f"{history_tokens:,} history" if history_tokens else ""]
    words = ", ".join(p for p in parts if p)
    return f" ({words})" if words else ""


def _length_label(lengths: TokenDistribution) -> str:
    if lengths.kind == "fixed":
        return f"{lengths.mean:g}"
    shown = f"{lengths.mean:,.0f}±{lengths.stdev:,.0f}"
    return f"{shown} (observed, n={len(lengths.values):,})" if lengths.values else shown


def _number(value: float | None) -> str:
    """A latency cell: ``–`` where there is none (ITL and TPOT of one-token outputs)."""
    return "–" if value is None else f"{value:,.1f}"


#: Smallest fitted front-end time (ms) worth a line under the prediction.
FRONT_END_SHOWN_FROM_MS = 1.0


def _render(prediction: PerfPrediction, title: str, *, overload_stated: bool = False) -> None:
    """The prediction's table, rates, memory, scheduler and notes (``overload_stated``: the
    overload was said above it, so its note is left out)."""
    m = prediction.metrics
    table = Table(title=plain(title))
    table.add_column("metric")
    for stat in STATISTICS:
        table.add_column(stat, justify="right")
    for name in LATENCY_NAMES:
        values = getattr(m, name)
        table.add_row(name, *(_number(getattr(values, s)) for s in STATISTICS))
    console.print(table)
    load = prediction.load_utilization
    console.print(
        f"output {m.output_tokens_per_s:,.0f} tok/s · {m.requests_per_s:,.2f} req/s · "
        f"mean batch {m.mean_batch_size or 0:,.1f}"
        + ("" if m.kv_cache_usage is None else f" (KV cache {100 * m.kv_cache_usage:,.0f} % full)")
        + " · saturation "
        f"{prediction.saturation_rps or 0:,.2f} req/s"
        + ("" if load is None else f" (load at {100 * load:,.0f} % of it)")
    )
    console.print(f"memory: {prediction.memory.reason}")
    if prediction.scheduler is not None:
        console.print(f"scheduler: {prediction.scheduler.label()}")
    console.print(f"[dim]{m.provenance.label()}[/]")
    if m.provenance.front_end_stated:
        console.print(
            f"[dim]TTFT includes {m.provenance.front_end_ms:,.0f} ms of stated front-end time "
            "per request (--front-end-ms)[/]"
        )
    elif m.provenance.front_end_ms >= FRONT_END_SHOWN_FROM_MS:
        console.print(
            f"[dim]TTFT includes {m.provenance.front_end_ms:,.0f} ms of fitted front-end time per "
            "request (HTTP, tokenizer, first streamed chunk): it varies tenfold between serving "
            "front ends (docs/perf-validation.md); state yours with --front-end-ms[/]"
        )
    for caveat in m.provenance.caveats:
        if not (overload_stated and is_overload_caveat(caveat)):
            console.print(plain(f"note: {caveat}", style="dim"))
    if m.provenance.accuracy is not None:
        console.print(_accuracy_table(m.provenance.accuracy))


#: Exit status of ``predict`` for a configuration that does not fit in memory (no latency
#: to predict; what would fit is printed instead).
EXIT_DOES_NOT_FIT = 1

CHANGE_LABELS = {
    FitChange.TENSOR_PARALLEL: "wider TP",
    FitChange.PRECISION: "precision",
    FitChange.KV_CACHE_DTYPE: "KV dtype",
    FitChange.ACCELERATOR: "accelerator",
}


def _does_not_fit(
    scenario: ServingScenario,
    memory: MemoryFit,
    alternatives: list[FitAlternative],
    *,
    as_json: bool,
) -> None:
    """A configuration that does not fit: why, and the ones a single change away that do."""
    if as_json:
        print_json(
            {
                "fits": False,
                "memory": memory.model_dump(mode="json"),
                "alternatives": [
                    {"label": a.label, **a.model_dump(mode="json")} for a in alternatives
                ],
            }
        )
        return
    console.print(f"[bold red]does not fit:[/] {plain(memory.reason)}")
    console.print(
        "No latency is predicted for a configuration that cannot load."
        + ("" if scenario.replicas == 1 else " (Per replica.)")
    )
    if not alternatives:
        console.print(
            "Nothing one change away fits: no wider TP within a node, smaller weight format "
            "or catalogued accelerator holds it."
        )
        return
    table = Table(
        title="What would fit (memory only; predict one for its latency)",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("change")
    table.add_column("configuration", no_wrap=True)
    table.add_column("weights/GPU", justify="right")
    table.add_column("KV/GPU", justify="right")
    table.add_column("sequences", justify="right")
    for alt in alternatives:
        table.add_row(
            CHANGE_LABELS[alt.change],
            alt.label,
            f"{alt.memory.weight_bytes_per_gpu / 1e9:,.1f} GB",
            f"{alt.memory.kv_cache_bytes_per_gpu / 1e9:,.1f} GB",
            f"{alt.memory.max_concurrent_seqs:,}",
        )
    console.print(table)


def predict_command(
    input: Annotated[
        Path | None, typer.Option("--input", help="Calibration-format cases (JSON Lines).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", help="Where to write one prediction per case.")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(help="Model id or name from the catalog (with --model-config: its name)."),
    ] = None,
    model_config: Annotated[
        Path | None,
        typer.Option(
            "--model-config",
            help="A Hugging Face config.json: predict a model outside the catalog (its "
            "parameter counts, KV layout and checkpoint precision are read from it).",
        ),
    ] = None,
    gpu: Annotated[str | None, typer.Option(help="Accelerator name, e.g. H100-SXM.")] = None,
    tp: Annotated[int, typer.Option(min=1, help="Tensor parallel size.")] = 1,
    pp: Annotated[int, typer.Option(min=1, help="Pipeline parallel size.")] = 1,
    replicas: Annotated[int, typer.Option(min=1, help="Data-parallel replicas.")] = 1,
    precision: Annotated[str | None, typer.Option(help="bf16, fp16, fp8, int8, int4, fp4.")] = None,
    engine: Annotated[
        str, typer.Option(help="vllm, sglang, trtllm, lmdeploy, llama.cpp.")
    ] = "vllm",
    input_tokens: Annotated[int, typer.Option(min=1, help="Prompt tokens per request.")] = 512,
    output_tokens: Annotated[int, typer.Option(min=1, help="Output tokens per request.")] = 256,
    kv_cache_dtype: Annotated[
        str | None,
        typer.Option(help="auto (the model's 16-bit dtype) or fp8; default: the engine's."),
    ] = None,
    engine_args: Annotated[
        str | None,
        typer.Option(
            "--engine-args",
            help="The engine's command line, e.g. 'vllm serve M --max-num-seqs 64'; the "
            "batch limit, token budget, memory share, chunking and KV dtype it states are used.",
        ),
    ] = None,
    input_stdev: Annotated[float, typer.Option(
        min=0.0, help="Prompt length standard deviation (lognormal lengths; 0: fixed).")] = 0.0,
    output_stdev: Annotated[float, typer.Option(
        min=0.0, help="Output length standard deviation (lognormal lengths; 0: fixed).")] = 0.0,
    input_lengths: Annotated[Path | None, typer.Option(
        "--input-lengths", show_default=False,
        help="Prompt lengths observed, one per request (a JSON list, or numbers separated by "
        "newlines, spaces or commas): sampled as they are, instead of --input-tokens.")] = None,
    output_lengths: Annotated[Path | None, typer.Option(
        "--output-lengths", show_default=False,
        help="Output lengths observed, as --input-lengths, instead of --output-tokens.")] = None,
    shared_prefix_tokens: Annotated[int, typer.Option(
        "--shared-prefix-tokens", min=0,
        help="Tokens at the start of every prompt that all requests share (a system prompt), "
        "counted in the prompt: computed once where the engine keeps a prefix cache.")] = 0,
    prefix_count: Annotated[int, typer.Option(
        "--prefix-count", min=1,
        help="With --shared-prefix-tokens: distinct prefixes of that length the requests "
        "spread over evenly (one per tenant, bot or template); each is found cached only "
        "while in use or until the free KV cache turns over.")] = 1,
    prefix_popularity: Annotated[float, typer.Option(
        "--prefix-popularity", min=0.0, max=3.0,
        help="With --prefix-count: how unevenly the requests spread over the prefixes, as "
        "Zipf's exponent (about 1 where a few tenants make most of the traffic; 0: evenly): "
        "popular prefixes stay cached.")] = 0.0,
    history_tokens: Annotated[int, typer.Option(
        "--history-tokens", min=0,
        help="Multi-turn chat: tokens of the conversation's earlier turns each prompt carries "
        "after the shared prefix, counted in the prompt: found in the prefix cache, not "
        "computed again.")] = 0,
    conversation_turns: Annotated[int | None, typer.Option(
        "--conversation-turns", min=2, show_default=False,
        help="With --history-tokens: turns per conversation the history comes from (a turn "
        "carries those before it): routed at random, a replica that served a recent turn "
        "holds most of a long history.")] = None,
    routing: Annotated[str, typer.Option(
        "--routing",
        help="How a router picks among --replicas: random (a Kubernetes Service: a "
        "conversation's next turn reaches the replica holding its history one time in "
        "--replicas) or prefix-aware (llm-d's inference scheduler, session affinity: back to "
        "it, and the --prefix-count prefixes shared out).")] = "random",
    think_time_s: Annotated[float | None, typer.Option(
        "--think-time-s", min=0.0, show_default=False,
        help="With --history-tokens: the mean pause between a conversation's reply and its "
        "next request, s; the history is found cached only if the free KV cache outlasts it "
        "(default: assumed cached).")] = None,
    qps: Annotated[float | None, typer.Option(min=0.0, help="Arrival rate, req/s.")] = None,
    arrival_cv: Annotated[float, typer.Option(
        min=0.01, help="With --qps: inter-arrival coefficient of variation (1: Poisson, "
        "above 1: bursty gamma arrivals).")] = 1.0,
    concurrency: Annotated[int | None, typer.Option(min=1, help="Requests in flight.")] = None,
    burst: Annotated[int | None, typer.Option(
        min=1, help="This many prompts arrive at once (a burst).")] = None,
    num_prompts: Annotated[int | None, typer.Option(
        "--num-prompts", min=1, show_default=False,
        help="With --qps, --concurrency or no load: the run's length, as vllm bench serve's "
        "--num-prompts (throughput over the whole run; a closed loop's first wave counts).")]
    = None,
    front_end_ms: Annotated[float | None, typer.Option(
        "--front-end-ms", min=0.0, show_default=False,
        help="Time each request spends in front of the engine (HTTP, tokenizer, first streamed "
        "chunk), ms, instead of the fitted one (it differs tenfold between front ends).")] = None,
    server: Annotated[str | None, typer.Option(
        "--server", show_default=False,
        help="The HTTP server in front of the engine: engine (its own OpenAI-compatible "
        "server, default) or triton (NVIDIA Triton Inference Server, a C++ front end: the "
        "base front-end time, not the engine server's fitted one).")] = None,
    mode: Annotated[str, typer.Option(help="analytic or simulate.")] = "analytic",
    load_curve: Annotated[Path | None, typer.Option(
        "--load-curve", show_default=False,
        help="With --qps: draw latency against load, up to saturation, to this PNG file.")] = None,
    slo: Annotated[str | None, typer.Option(
        "--slo", show_default=False,
        help="Latency targets to check and draw, e.g. 'ttft_ms.p90=500,itl_ms.p90=50'.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Predict serving metrics: a case file (--input/--output) or one scenario (--model ...).

    A scenario that does not fit in memory gets no latency: the reason and what one change
    would make fit (wider TP, smaller format, FP8 KV cache, another accelerator); exit 1."""
    if input is not None or output is not None:
        if input is None or output is None:
            fail("--input and --output go together")
            return
        if mode not in ("analytic", "simulate"):
            fail(f"unknown mode {mode!r}; valid: analytic, simulate")
        summary = perf_service.predict_file(
            input, output, mode="simulate" if mode == "simulate" else "analytic"
        )
        ignored = (
            f", {summary.warned} with ignored fields (see 'warnings')" if summary.warned else ""
        )
        err_console.print(
            f"wrote {summary.cases} predictions to {output} "
            f"({summary.errors} with an error{ignored})"
        )
        return
    if (model is None and model_config is None) or gpu is None:
        fail("give --input/--output, or --model (or --model-config) and --gpu for one scenario")
        return
    if mode not in ("analytic", "simulate"):
        fail(f"unknown mode {mode!r}; valid: analytic, simulate")
    check_chart_path(load_curve, "--load-curve")
    if load_curve is not None and qps is None:
        fail("--load-curve draws latency around an arrival rate: give --qps")
    targets = parse_latency_targets(slo) if slo is not None else None
    config = None
    if model_config is not None:
        config = read_model_config(model_config)
        model = own_model_name(model_config, config, model)
    scenario = perf_service.scenario_from_request(
        perf_service.default_catalog(),
        model=model,
        gpu=gpu,
        model_config=config,
        tp=tp,
        pp=pp,
        replicas=replicas,
        precision=precision,
        engine=engine,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        qps=qps,
        concurrency=concurrency,
        kv_cache_dtype=kv_cache_dtype,
        engine_args=engine_args,
        input_stdev=input_stdev,
        output_stdev=output_stdev,
        arrival_cv=arrival_cv,
        burst=burst,
        input_lengths=perf_service.read_lengths(input_lengths) if input_lengths else None,
        output_lengths=perf_service.read_lengths(output_lengths) if output_lengths else None,
        front_end_ms=front_end_ms,
        num_prompts=num_prompts,
        server=server,
        shared_prefix_tokens=shared_prefix_tokens,
        prefix_count=prefix_count,
        prefix_popularity=prefix_popularity,
        history_tokens=history_tokens,
        think_time_s=think_time_s,
        routing=routing,
        conversation_turns=conversation_turns,
    )
    memory = perf_service.memory_fit(scenario)
    if not memory.fits:
        _does_not_fit(scenario, memory, perf_service.fit_alternatives(scenario), as_json=as_json)
        raise typer.Exit(EXIT_DOES_NOT_FIT)
    prediction = perf_service.predict_one(
        scenario, mode="simulate" if mode == "simulate" else "analytic"
    )
    curve = None
    if load_curve is not None:
        from predeploy.cli.plot import plot_load_curve
        from predeploy.services.planning import scenario_load_curve

        curve = scenario_load_curve(scenario, targets)
        plot_load_curve(curve, load_curve)
    checks = check_latency(prediction.metrics, targets) if targets is not None else None
    if as_json:
        out = prediction.model_dump(mode="json")
        if checks is not None:
            out["slo_checks"] = {k: c.to_model().model_dump(mode="json")
                                 for k, c in checks.items()}
        if curve is not None:
            out["load_curve"] = curve.model_dump(mode="json")
        print_json(out)
        return
    load = _load_label(qps, arrival_cv, concurrency, burst, num_prompts)
    saturation = prediction.saturation_rps
    overloaded = bool(qps and saturation and qps > saturation)
    # The analytic figures of an open-ended overload leave the queue out; the banner says all
    # its note would (a simulated run's note adds the run's length).
    overload_stated = overloaded and num_prompts is None and mode == "analytic"
    if overloaded:
        if num_prompts is not None:
            queue = (
                f"requests queue as the run goes on: the figures below are those of its "
                f"{num_prompts:,} prompts, the queue included."
            )
        elif mode == "analytic":
            queue = (
                "requests queue without bound, so TTFT and E2E grow with the run's length. The "
                "figures below are those of the server at its capacity, a lower bound, the "
                "queue left out."
            )
        else:
            queue = (
                "requests queue without bound: the simulated TTFT and E2E below include the "
                "queue of the simulated run and grow with its length."
            )
        console.print(
            f"[bold red]overloaded:[/] {qps:,.2f} req/s is more than this deployment sustains "
            f"({saturation:,.2f} req/s); {queue}"
        )
    _render(
        prediction,
        f"{scenario.model_id} on {scenario.gpu_count}x {scenario.gpu.name} "
        f"({_layout_label(scenario, tp)}, {scenario.precision.value}"
        f"{', fp8 KV' if scenario.kv_cache_dtype == KvCacheDtype.FP8 else ''}, "
        f"{scenario.engine.value}), "
        f"{_length_label(scenario.prompt_tokens)}"
        f"{_shared_label(scenario)}"
        f"→{_length_label(scenario.output_tokens)}"
        f" tokens, {load}",
        overload_stated=overload_stated,
    )
    if checks is not None:
        _render_checks(checks)
    if curve is not None and load_curve is not None:
        console.print(plain(_describe_curve(curve, load_curve)))


@perf_app.command("fit")
def fit_command(
    output: Annotated[
        Path | None, typer.Option(help="Where to write the parameters (default: shipped file).")
    ] = None,
    iterations: Annotated[
        int, typer.Option(min=1, help="Levenberg-Marquardt iterations at most.")
    ] = MAX_ITERATIONS,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Fit the efficiency parameters on the knowledge base's benchmark records."""
    params, report, skipped = perf_service.fit_parameters(output=output, max_iterations=iterations)
    # How many times the default set-up's value each other set-up has, per parameter it shifts.
    set_ups = {
        e.key: {name: round(math.exp(offset), 2) for name, offset in e.offsets.items()}
        for e in params.effects
        if e.level == "harness"
    }
    if as_json:
        print_json(
            {
                "iterations": report.iterations,
                "observations": report.observations,
                "scenarios": report.scenarios,
                "median_abs_log_error": report.median_abs_log_error,
                "skipped": len(skipped),
                "copies_left_out": list(report.copies_left_out),
                "mislabelled_left_out": {i: MISLABELLED[i] for i in report.mislabelled_left_out},
                "unfit_left_out": list(report.unfit_left_out),
                "groups_left_out": {
                    f"{source} {family}": why for (source, family), why in EXCLUDED_FROM_FIT.items()
                },
                "set_up_factors": set_ups,
                "fitted_on": params.fitted_on,
            }
        )
        return
    console.print(
        f"fitted on {report.scenarios} scenarios / {report.observations} values in "
        f"{report.iterations} iterations; median |log error| {report.median_abs_log_error:.3f}"
    )
    console.print(f"{len(skipped)} records skipped (unknown model or GPU, or unknown lengths)")
    if report.copies_left_out:
        console.print(
            f"{len(report.copies_left_out)} measurements left out of the fit: each repeats, "
            "value for value, a measurement of a different scenario, so one label is wrong "
            "(still validated)"
        )
    if report.mislabelled_left_out:
        console.print(
            f"{len(report.mislabelled_left_out)} measurements left out of the fit: their "
            "labels are known to be wrong (still validated):"
        )
        for why in sorted({MISLABELLED[i] for i in report.mislabelled_left_out}):
            console.print(f"  {why}")
    if report.unfit_left_out:
        console.print(
            f"{len(report.unfit_left_out)} measurements left out of the fit: the model does "
            "not fit in memory on the layout they state, so it cannot be the one measured "
            "(still validated, as fits=false)"
        )
    for (source, family), why in sorted(EXCLUDED_FROM_FIT.items()):
        console.print(f"{source} {family} values left out of the fit (still validated): {why}")
    if set_ups:
        factors = ", ".join(
            f"{key} {name} ×{factor:g}"
            for key, shifts in sorted(set_ups.items())
            for name, factor in shifts.items()
        )
        console.print(
            f"measurement set-ups against the default (predictions assume the default): {factors}"
        )
    console.print(f"base parameters: {params.base.model_dump()}")


@perf_app.command("validate")
def validate_command(
    split: Annotated[
        str,
        typer.Option(
            help="Hold out one 'source' or one 'gpu' at a time, 'both', 'config' (five "
            "folds of (source, model, GPU) configurations), or 'all' three."
        ),
    ] = "both",
    include_aiconfigurator: Annotated[
        bool, typer.Option(help="Also score the AIConfigurator silicon rows.")
    ] = False,
    iterations: Annotated[int, typer.Option(
        min=1, help="Levenberg-Marquardt iterations per fit at most.")] = MAX_ITERATIONS,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Held-out accuracy of the calibrated model, scored like score_perf.py."""
    splits = SPLIT_CHOICES.get(split)
    if splits is None:
        fail(f"unknown split {split!r}; valid: {', '.join(SPLIT_CHOICES)}")
        return
    results = {}
    for name in splits:
        results[name] = perf_service.validate_parameters(
            name,
            include_aiconfigurator=include_aiconfigurator,
            max_iterations=iterations,
            progress=lambda line: err_console.print(f"[dim]{line}[/]"),
        )
    if as_json:
        print_json({name: dataclasses.asdict(result) for name, result in results.items()})
        return
    for name, result in results.items():
        console.print(f"\n[bold]{SPLIT_TITLES[name]}[/]")
        console.print(render(result), highlight=False, markup=False)


@perf_app.command("accuracy")
def accuracy_command(
    rebuild: Annotated[
        bool,
        typer.Option(
            help="Measure the bands again on the knowledge base's records (about 20 fits; "
            "minutes) and write them."
        ),
    ] = False,
    file: Annotated[
        Path | None,
        typer.Option(help="The bands file to show, or with --rebuild to write (default: the "
                     "shipped one)."),
    ] = None,
    iterations: Annotated[int, typer.Option(
        min=1, help="Levenberg-Marquardt iterations per fit at most.")] = MAX_ITERATIONS,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The held-out error bands every prediction is shown with."""
    if rebuild:
        accuracy, path = perf_service.rebuild_accuracy(
            output=file,
            max_iterations=iterations,
            progress=lambda line: err_console.print(f"[dim]{line}[/]"),
        )
        err_console.print(f"wrote {path}")
    else:
        found = perf_accuracy_service.load_accuracy(file)
        if found is None:
            fail("no error bands shipped; run predeploy perf accuracy --rebuild")
            return
        accuracy = found
    if as_json:
        print_json(accuracy)
        return
    for table in accuracy.tables:
        if table.engine is None and table.model_kind is None:
            console.print(_accuracy_table(table))
    console.print(_engine_summary(accuracy))
    console.print(plain(f"source: {accuracy.source}", style="dim"))


#: Columns of the per-engine summary: (heading, contract metric).
SUMMARY_METRICS = (
    ("TTFT p50", "ttft_ms_p50"),
    ("TTFT p99", "ttft_ms_p99"),
    ("TPOT p50", "tpot_ms_p50"),
    ("E2E p50", "e2e_ms_p50"),
    ("tok/s", "output_tokens_per_s"),
)


def _engine_summary(accuracy: PerfAccuracy) -> Table:
    """Median held-out error by engine, model kind and basis (a prediction uses the bands of
    its engine and model kind)."""
    table = Table(
        title="Median held-out error by engine and model kind",
        caption="cases: held-out scenarios; ITL/TPOT share one band; –: too few values",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("engine", no_wrap=True)
    table.add_column("models", no_wrap=True)
    table.add_column("basis", no_wrap=True)
    table.add_column("cases", justify="right", no_wrap=True)
    for heading, _ in SUMMARY_METRICS:
        table.add_column(heading, justify="right", no_wrap=True)
    for t in sorted(accuracy.tables, key=lambda t: (t.engine or "", t.model_kind or "", t.basis)):
        cells = []
        for _, metric in SUMMARY_METRICS:
            band = t.band(metric)
            cells.append("–" if band is None else f"{100 * band.median_ape:.0f} %")
        table.add_row(
            plain(t.engine or "all"), t.model_kind or "all", t.basis, str(t.measurements), *cells
        )
    return table


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""
    app.command("predict")(predict_command)
    app.add_typer(perf_app, name="perf")
