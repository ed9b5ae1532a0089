"""CLI commands: ``predeploy kb`` — the knowledge base (init, stats, imports, export, listings).

Each command parses its arguments, makes one service call and renders the result: a Rich table
by default, JSON with ``--json``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich import box
from rich.table import Table

from predeploy.cli.common import console, fail, plain, print_json
from predeploy.core.types import (
    DeploymentTemplate,
    Engine,
    GpuSpec,
    KvCacheDtype,
    ModelCard,
    Precision,
    PriceQuote,
    Provenance,
    SloTemplate,
)
from predeploy.settings import load_settings

if TYPE_CHECKING:
    from predeploy.services.knowledge import ImportSummary

kb_app = typer.Typer(
    name="kb",
    help="The knowledge base: models, GPUs, prices, SLO and deployment templates, benchmarks, "
    "deployment outcomes.",
    no_args_is_help=True,
)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of a table.")


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""
    app.add_typer(kb_app, name="kb")


#: Characters of a source shown in a table cell; ``--json`` has the full provenance.
SOURCE_CELL_CHARS = 40
#: Console width (characters) from which listings show each fact's source; narrower (80 in a
#: pipe), the source column holds the kind of fact alone (measured, published-spec, estimated).
FULL_SOURCE_WIDTH = 140
#: Longest names a listing keeps on one line whatever the width (GPU names, use cases,
#: template ids; model ids run to 45 characters and fold instead).
WHOLE_NAME_CHARS = 28
BRIEF_SOURCE_CAPTION = "source: the kind of each figure; --json (or a wider terminal) names it"


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _source(provenance: Provenance, full: bool) -> str:
    """``kind · date · source`` (the source cut for a table cell), or the kind alone."""
    if not full:
        return provenance.kind.value
    source = provenance.source
    if len(source) > SOURCE_CELL_CHARS:
        source = source[: SOURCE_CELL_CHARS - 1] + "…"
    date = f" · {provenance.date.isoformat()}" if provenance.date else ""
    return f"{provenance.kind.value}{date} · {source}"


def _add_row(table: Table, *cells: str) -> None:
    """A row of values shown as they are (names and sources can come from user imports); a
    ``source`` cell stays on one line, cut with "…" when the table is narrow."""
    texts = [plain(cell) for cell in cells]
    for text, column in zip(texts, table.columns, strict=True):
        if column.header == "source":
            text.no_wrap, text.overflow = True, "ellipsis"
    table.add_row(*texts)


def _table(
    title: str,
    columns: Sequence[str],
    right: set[str],
    caption: str | None = None,
    names: Sequence[str] = (),
) -> Table:
    """A listing that stays readable at any width (80 columns in a pipe): numbers (``right``)
    keep their width, text wraps at spaces and folds long names onto more lines, a ``source``
    column takes one line of what is left (cut with "…"), or keeps a brief kind whole. The
    first column's ``names`` stay whole when they are short (GPU names, not model ids)."""
    table = Table(title=title, box=box.SIMPLE_HEAD, header_style="bold", title_justify="left",
                  caption=caption, caption_justify="left")
    whole_names = max(map(len, names), default=0) <= WHOLE_NAME_CHARS
    for index, column in enumerate(columns):
        if index == 0 and whole_names:
            table.add_column(column, no_wrap=True)
        elif column in right:  # a number is one word: the header wraps, a figure is never cut
            table.add_column(column, justify="right", overflow="fold")
        elif column == "source":  # one line (see _add_row); the kind alone is never cut
            table.add_column(column, overflow="ellipsis", no_wrap=caption is not None)
        else:
            table.add_column(column, overflow="fold")
    return table


@kb_app.command("init")
def init(json_out: bool = JSON_OPTION) -> None:
    """Create or migrate the database and load the facts shipped with predeploy (idempotent)."""
    from predeploy.services import knowledge

    result = knowledge.init_kb(load_settings())
    if json_out:
        print_json(result)
        return
    seed = result.seed
    console.print(plain(f"Knowledge base {result.database} at schema revision "
                        f"{result.schema_revision}"), soft_wrap=True, highlight=False)
    table = Table()
    for column in ("collection", "inserted", "updated", "unchanged", "removed", "total"):
        table.add_column(column, justify="left" if column == "collection" else "right")
    counts = result.counts
    rows = [
        ("models", seed.models, counts.models),
        ("gpus", seed.gpus, counts.gpus),
        ("prices", seed.prices, counts.prices),
        ("slo_templates", seed.slo_templates, counts.slo_templates),
        ("deployment_templates", seed.deployment_templates, counts.deployment_templates),
        ("benchmark scenarios", seed.benchmarks.scenarios, counts.benchmark_scenarios),
    ]
    for name, sync, total in rows:
        _add_row(table, name, str(sync.inserted), str(sync.updated), str(sync.unchanged),
                      str(sync.removed), str(total))
    console.print(table)
    console.print(
        f"{counts.benchmarks:,} measured benchmark values, {counts.outcomes} deployment outcomes"
    )


@kb_app.command("stats")
def stats(json_out: bool = JSON_OPTION) -> None:
    """Count what the knowledge base holds (the seed files until `kb init` has run)."""
    from predeploy.services import knowledge

    result = knowledge.kb_stats(load_settings())
    if json_out:
        print_json(result.contract())
        return
    counts = result.counts
    console.print(plain(f"Knowledge base: {result.database}"), soft_wrap=True, highlight=False)
    table = Table()
    table.add_column("collection")
    table.add_column("count", justify="right")
    for name, value in counts.model_dump().items():
        _add_row(table, name, f"{value:,}")
    console.print(table)
    if result.benchmark_sources:
        sources = Table(title="Benchmarks by source")
        for column in ("source_key", "scenarios", "metric values"):
            sources.add_column(column, justify="left" if column == "source_key" else "right")
        for source in result.benchmark_sources:
            _add_row(sources, source.source_key, f"{source.scenarios:,}",
                            f"{source.metric_values:,}")
        console.print(sources)
    if result.backend == "seed-files":
        console.print("Not initialized: showing the package's seed files. "
                      "Run `predeploy kb init` to create the database.")


@kb_app.command("import-guidellm")
def import_guidellm(
    files: list[Path] = typer.Argument(..., help="GuideLLM report files (benchmarks.json/.yaml)."),
    model: str = typer.Option(..., "--model", help="Model served (catalog id or alias)."),
    gpu: str = typer.Option(..., "--gpu", help="Accelerator (e.g. H100-SXM, L4)."),
    gpu_count: int = typer.Option(1, "--gpu-count", min=1, help="GPUs serving the model."),
    tp: int | None = typer.Option(None, "--tp", min=1, help="Tensor parallel size "
                                  "(default: gpu-count / pp)."),
    pp: int = typer.Option(1, "--pp", min=1, help="Pipeline parallel size."),
    precision: Precision | None = typer.Option(None, "--precision", help="Weight precision."),
    engine: Engine = typer.Option(Engine.VLLM, "--engine", help="Serving engine."),
    engine_version: str | None = typer.Option(None, "--engine-version"),
    kv_cache_dtype: KvCacheDtype | None = typer.Option(None, "--kv-cache-dtype"),
    dataset: str | None = typer.Option(None, "--dataset", help="Override the dataset label."),
    source_key: str | None = typer.Option(None, "--source-key", help="Group name for these "
                                          "records (default guidellm:<file name>)."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Import GuideLLM benchmark reports (schema v1 and v2) as measured benchmarks."""
    from predeploy.services import knowledge

    summary = knowledge.import_guidellm(
        load_settings(), files, model=model, gpu=gpu, gpu_count=gpu_count, tp=tp, pp=pp,
        precision=precision, engine=engine, engine_version=engine_version,
        kv_cache_dtype=kv_cache_dtype, dataset=dataset, source_key=source_key,
    )
    _render_import(summary, json_out)


@kb_app.command("import-benchmarks")
def import_benchmarks(
    file: Path = typer.Argument(..., help="JSON Lines file: one BenchmarkRecord or one "
                                "calibration case (../shared/calibration format) per line."),
    allow_unknown_names: bool = typer.Option(
        False, "--allow-unknown-names",
        help="Keep model/GPU names the catalog does not know instead of failing.",
    ),
    json_out: bool = JSON_OPTION,
) -> None:
    """Import measured benchmarks or calibration cases from a JSON Lines file (all or none)."""
    from predeploy.services import knowledge

    summary = knowledge.import_benchmarks(
        load_settings(), file, allow_unknown_names=allow_unknown_names
    )
    _render_import(summary, json_out)


def _render_import(summary: ImportSummary, json_out: bool) -> None:
    if json_out:
        print_json(summary)
        return
    counts = summary.scenarios
    console.print(plain(
        f"Imported {', '.join(summary.files)}: {counts.inserted} new, {counts.updated} updated, "
        f"{counts.unchanged} unchanged benchmark scenarios; "
        f"{summary.metric_values_written} metric values written."
    ))
    for line in summary.skipped:
        console.print(plain(f"skipped {line}"))


@kb_app.command("export")
def export(
    output: Path | None = typer.Option(None, "--output", "-o", help="File to write "
                                       "(default: standard output)."),
) -> None:
    """Write every collection, with provenance, as one JSON document."""
    from predeploy.services import knowledge

    document = knowledge.export_kb(load_settings())
    text = json.dumps(document.model_dump(mode="json"), indent=1) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"--output {output}: cannot write ({exc.strerror or exc})")
    console.print(plain(
        f"Wrote {output} ({len(document.models)} models, {len(document.gpus)} GPUs, "
        f"{len(document.prices)} prices, {len(document.benchmarks)} benchmark scenarios)"
    ))


@kb_app.command("models")
def models(json_out: bool = JSON_OPTION) -> None:
    """List the model catalog."""
    from predeploy.services import knowledge

    found = knowledge.open_catalog(load_settings()).models()
    if json_out:
        print_json([m.model_dump(mode="json") for m in found])
        return
    console.print(_models_table(found, _full_sources()))


@kb_app.command("gpus")
def gpus(json_out: bool = JSON_OPTION) -> None:
    """List the hardware profiles."""
    from predeploy.services import knowledge

    found = knowledge.open_catalog(load_settings()).gpus()
    if json_out:
        print_json([g.model_dump(mode="json") for g in found])
        return
    console.print(_gpus_table(found, _full_sources()))


@kb_app.command("prices")
def prices(
    gpu: str | None = typer.Option(None, "--gpu", help="Only this accelerator (any alias)."),
    json_out: bool = JSON_OPTION,
) -> None:
    """List GPU rental prices (USD per GPU-hour), cheapest first."""
    from predeploy.services import knowledge

    catalog = knowledge.open_catalog(load_settings())
    name = catalog.gpu(gpu).name if gpu is not None else None
    found = sorted(
        catalog.prices(name),
        key=lambda p: (p.gpu, p.usd_per_gpu_hour_on_demand or float("inf"), p.provider),
    )
    if json_out:
        print_json([p.model_dump(mode="json") for p in found])
        return
    console.print(_prices_table(found, _full_sources()))


@kb_app.command("templates")
def templates(json_out: bool = JSON_OPTION) -> None:
    """List the use-case SLO templates and the deployment templates."""
    from predeploy.services import knowledge

    catalog = knowledge.open_catalog(load_settings())
    slo, deployment = catalog.slo_templates(), catalog.deployment_templates()
    if json_out:
        print_json({
            "slo_templates": [t.model_dump(mode="json") for t in slo],
            "deployment_templates": [t.model_dump(mode="json") for t in deployment],
        })
        return
    console.print(_slo_table(slo))
    console.print(_deployment_table(deployment))


@kb_app.command("outcomes")
def outcomes(
    deployment: str | None = typer.Option(None, "--deployment", help="Only this deployment."),
    json_out: bool = JSON_OPTION,
) -> None:
    """List recorded deployment outcomes (what deployed plans actually measured)."""
    from predeploy.services import knowledge

    found = knowledge.list_outcomes(load_settings(), deployment_name=deployment)
    if json_out:
        print_json([o.model_dump(mode="json") for o in found])
        return
    table = _table(f"Deployment outcomes ({len(found)})",
                   ("id", "deployment", "model", "hardware", "period", "TTFT ms p90",
                    "output tok/s", "source"),
                   right={"TTFT ms p90", "output tok/s"})
    for o in found:
        plan = o.plan
        _add_row(table, o.id, o.deployment_name, plan.model,
                      f"{plan.replicas}x {plan.configuration}",
                      f"{o.period_start:%Y-%m-%d} → {o.period_end:%Y-%m-%d}",
                      _fmt(o.observed.ttft_ms.p90, 0), _fmt(o.observed.output_tokens_per_s, 0),
                      o.source)
    console.print(table)


def _full_sources() -> bool:
    return console.width >= FULL_SOURCE_WIDTH


def _sourced_table(
    title: str, columns: Sequence[str], right: set[str], full_sources: bool, names: Sequence[str]
) -> Table:
    caption = None if full_sources else BRIEF_SOURCE_CAPTION
    return _table(title, (*columns, "source"), right, caption, names)


def _models_table(found: Sequence[ModelCard], full_sources: bool) -> Table:
    numbers = ("params", "active", "context")
    table = _sourced_table(f"Models ({len(found)}; parameters in billions, context in tokens)",
                           ("id", *numbers, "license"),
                           set(numbers), full_sources, [m.id for m in found])
    for m in found:
        arch = m.architecture
        _add_row(table, m.id, _fmt(arch.total_params_b, 1), _fmt(arch.active_params_b, 1),
                 f"{arch.max_context_tokens:,}", m.license, _source(m.provenance, full_sources))
    return table


def _gpus_table(found: Sequence[GpuSpec], full_sources: bool) -> Table:
    numbers = ("memory GB", "HBM GB/s", "BF16 TFLOPS", "FP8 TFLOPS")
    table = _sourced_table(f"GPUs ({len(found)})", ("name", *numbers, "interconnect"),
                           set(numbers), full_sources, [g.name for g in found])
    for g in found:
        _add_row(table, g.name, _fmt(g.memory_gb, 0), _fmt(g.memory_bandwidth_gb_s, 0),
                 _fmt(g.bf16_tflops, 0), _fmt(g.fp8_tflops, 0),
                 f"{g.interconnect} {g.interconnect_gb_s:,.0f} GB/s",
                 _source(g.provenance, full_sources))
    return table


def _prices_table(found: Sequence[PriceQuote], full_sources: bool) -> Table:
    numbers = ("on demand", "spot")
    table = _sourced_table(f"Prices, USD per GPU-hour ({len(found)})",
                           ("gpu", "provider", "instance", "region", *numbers), set(numbers),
                           full_sources, [p.gpu for p in found])
    for p in found:
        _add_row(table, p.gpu, p.provider, f"{p.instance_type} ({p.gpu_count}x)", p.region,
                 _fmt(p.usd_per_gpu_hour_on_demand, 3), _fmt(p.usd_per_gpu_hour_spot, 3),
                 _source(p.provenance, full_sources))
    return table


def _slo_table(found: Sequence[SloTemplate]) -> Table:
    kinds = ", ".join(sorted({t.provenance.kind.value for t in found}))
    numbers = ("TTFT ms p50 / p90 / p99", "ITL ms p90", "E2E ms p95")
    table = _table(f"Use-case SLO templates ({len(found)}; {kinds})",
                   ("use case", *numbers, "priority"), right=set(numbers),
                   names=[t.id.value for t in found])
    for t in found:
        ttft = t.slo.ttft_ms
        _add_row(table, t.id.value, " / ".join(_fmt(v, 0) for v in (ttft.p50, ttft.p90, ttft.p99)),
                 _fmt(t.slo.itl_ms.p90, 0), _fmt(t.slo.e2e_ms.p95, 0),
                 t.default_priority.value)
    return table


def _deployment_table(found: Sequence[DeploymentTemplate]) -> Table:
    table = _table(f"Deployment templates ({len(found)})",
                   ("id", "mode", "runtime", "autoscaling", "use cases"), right=set(),
                   names=[t.id for t in found])
    for t in found:
        scaling = t.autoscaling
        _add_row(table, t.id, t.kserve_deployment_mode, t.runtime,
                 f"{scaling.kind} {scaling.min_replicas}-{scaling.max_replicas}",
                 ", ".join(u.value for u in t.use_cases))
    return table
