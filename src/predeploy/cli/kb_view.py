"""Rich rendering of the knowledge base: listings, init and stats summaries, imports.

Every listing stays readable at any width (80 columns in a pipe): figures are never cut, names
fold, and each fact shows its source — the kind alone (measured, estimated, …) when narrow.
Values are shown with :func:`~predeploy.cli.common.plain` (user imports can hold any text).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.table import Table

from predeploy.cli.common import plain
from predeploy.core.types import (
    DeploymentOutcome,
    DeploymentTemplate,
    GpuSpec,
    ModelCard,
    PriceQuote,
    Provenance,
    SloTemplate,
)

if TYPE_CHECKING:
    from predeploy.services.knowledge import ImportSummary, InitResult, KbStats

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



def full_sources(console: Console) -> bool:
    """Whether ``console`` is wide enough for each fact's source text."""
    return console.width >= FULL_SOURCE_WIDTH


def _sourced_table(
    title: str, columns: Sequence[str], right: set[str], full: bool, names: Sequence[str]
) -> Table:
    caption = None if full else BRIEF_SOURCE_CAPTION
    return _table(title, (*columns, "source"), right, caption, names)


def models_table(found: Sequence[ModelCard], full: bool) -> Table:
    numbers = ("params", "active", "context")
    table = _sourced_table(f"Models ({len(found)}; parameters in billions, context in tokens)",
                           ("id", *numbers, "license"), set(numbers), full,
                           [m.id for m in found])
    for m in found:
        arch = m.architecture
        _add_row(table, m.id, _fmt(arch.total_params_b, 1), _fmt(arch.active_params_b, 1),
                 f"{arch.max_context_tokens:,}", m.license, _source(m.provenance, full))
    return table


def gpus_table(found: Sequence[GpuSpec], full: bool) -> Table:
    numbers = ("memory GB", "HBM GB/s", "BF16 TFLOPS", "FP8 TFLOPS")
    table = _sourced_table(f"GPUs ({len(found)})", ("name", *numbers, "interconnect"),
                           set(numbers), full, [g.name for g in found])
    for g in found:
        _add_row(table, g.name, _fmt(g.memory_gb, 0), _fmt(g.memory_bandwidth_gb_s, 0),
                 _fmt(g.bf16_tflops, 0), _fmt(g.fp8_tflops, 0),
                 f"{g.interconnect} {g.interconnect_gb_s:,.0f} GB/s", _source(g.provenance, full))
    return table


def prices_table(found: Sequence[PriceQuote], full: bool) -> Table:
    numbers = ("on demand", "spot")
    table = _sourced_table(f"Prices, USD per GPU-hour ({len(found)})",
                           ("gpu", "provider", "instance", "region", *numbers), set(numbers),
                           full, [p.gpu for p in found])
    for p in found:
        _add_row(table, p.gpu, p.provider, f"{p.instance_type} ({p.gpu_count}x)", p.region,
                 _fmt(p.usd_per_gpu_hour_on_demand, 3), _fmt(p.usd_per_gpu_hour_spot, 3),
                 _source(p.provenance, full))
    return table


def slo_table(found: Sequence[SloTemplate]) -> Table:
    kinds = ", ".join(sorted({t.provenance.kind.value for t in found}))
    numbers = ("TTFT ms p50 / p90 / p99", "ITL ms p90", "E2E ms p95")
    table = _table(f"Use-case SLO templates ({len(found)}; {kinds})",
                   ("use case", *numbers, "priority"), right=set(numbers),
                   names=[t.id.value for t in found])
    for t in found:
        ttft = t.slo.ttft_ms
        _add_row(table, t.id.value, " / ".join(_fmt(v, 0) for v in (ttft.p50, ttft.p90, ttft.p99)),
                 _fmt(t.slo.itl_ms.p90, 0), _fmt(t.slo.e2e_ms.p95, 0), t.default_priority.value)
    return table


def deployment_table(found: Sequence[DeploymentTemplate]) -> Table:
    table = _table(f"Deployment templates ({len(found)})",
                   ("id", "mode", "runtime", "autoscaling", "use cases"), right=set(),
                   names=[t.id for t in found])
    for t in found:
        scaling = t.autoscaling
        _add_row(table, t.id, t.kserve_deployment_mode, t.runtime,
                 f"{scaling.kind} {scaling.min_replicas}-{scaling.max_replicas}",
                 ", ".join(u.value for u in t.use_cases))
    return table


def outcomes_table(found: Sequence[DeploymentOutcome]) -> Table:
    numbers = ("TTFT ms p90", "output tok/s")
    table = _table(f"Deployment outcomes ({len(found)}; measured)",
                   ("id", "deployment", "model", "hardware", "period", *numbers, "source"),
                   right=set(numbers))
    for o in found:
        plan = o.plan
        _add_row(table, o.id, o.deployment_name, plan.model,
                 f"{plan.replicas}x {plan.configuration}",
                 f"{o.period_start:%Y-%m-%d} → {o.period_end:%Y-%m-%d}",
                 _fmt(o.observed.ttft_ms.p90, 0), _fmt(o.observed.output_tokens_per_s, 0),
                 o.source)
    return table


def render_init(result: InitResult, console: Console) -> None:
    """The database reached, what seeding changed per collection, and the totals."""
    seed, counts = result.seed, result.counts
    console.print(plain(f"Knowledge base {result.database} at schema revision "
                        f"{result.schema_revision}"), soft_wrap=True, highlight=False)
    table = Table()
    for column in ("collection", "inserted", "updated", "unchanged", "removed", "total"):
        table.add_column(column, justify="left" if column == "collection" else "right")
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


def render_stats(result: KbStats, console: Console) -> None:
    """Counts per collection and benchmarks per source."""
    console.print(plain(f"Knowledge base: {result.database}"), soft_wrap=True, highlight=False)
    table = Table()
    table.add_column("collection")
    table.add_column("count", justify="right")
    for name, value in result.counts.model_dump().items():
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
    elif result.seed_current is False:
        console.print("[yellow]The shipped facts are another predeploy version's.[/yellow] "
                      "Run `predeploy kb init` to bring them up to date.")


def render_import(summary: ImportSummary, console: Console) -> None:
    """What an import wrote, and the records it skipped."""
    counts = summary.scenarios
    console.print(plain(
        f"Imported {', '.join(summary.files)}: {counts.inserted} new, {counts.updated} updated, "
        f"{counts.unchanged} unchanged benchmark scenarios; "
        f"{summary.metric_values_written} metric values written."
    ))
    for line in summary.skipped:
        console.print(plain(f"skipped {line}"))
