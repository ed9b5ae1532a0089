"""CLI commands: ``predeploy kb`` — the knowledge base (init, stats, imports, export, listings).

Each command parses its arguments, makes one service call and renders the result: a Rich table
by default, JSON with ``--json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from predeploy.cli import kb_view
from predeploy.cli.common import console, plain, print_json
from predeploy.core.types import Engine, KvCacheDtype, Precision
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


@kb_app.command("init")
def init(json_out: bool = JSON_OPTION) -> None:
    """Create or migrate the database and load the facts shipped with predeploy (idempotent)."""
    from predeploy.services import knowledge

    result = knowledge.init_kb(load_settings())
    if json_out:
        print_json(result)
        return
    kb_view.render_init(result, console)


@kb_app.command("stats")
def stats(json_out: bool = JSON_OPTION) -> None:
    """Count what the knowledge base holds (the seed files until `kb init` has run)."""
    from predeploy.services import knowledge

    result = knowledge.kb_stats(load_settings())
    if json_out:
        print_json(result.contract())
        return
    kb_view.render_stats(result, console)


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


@kb_app.command("import-model")
def import_model(
    config: Path = typer.Argument(..., help="The model's Hugging Face config.json."),
    name: str | None = typer.Option(
        None, "--name", help="The model's id, owner/name (default: the config's _name_or_path, "
        "else its folder)."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Add your own model to the catalog from its config.json (plans, intents and predictions
    can then name it)."""
    from predeploy.services import knowledge

    card, outcome = knowledge.import_model(load_settings(), config, name=name)
    if json_out:
        print_json({"model": card.model_dump(mode="json"), "outcome": outcome})
        return
    arch = card.architecture
    console.print(plain(
        f"{outcome} {card.id}: {card.family}, {arch.total_params_b:g}B parameters"
        + ("" if arch.active_params_b == arch.total_params_b
           else f" ({arch.active_params_b:g}B active)")
        + f", {arch.num_layers} layers, context {arch.max_context_tokens:,} tokens, "
        f"precisions {'/'.join(p.value for p in card.precisions)}"
    ))


def _render_import(summary: ImportSummary, json_out: bool) -> None:
    if json_out:
        print_json(summary)
        return
    kb_view.render_import(summary, console)


@kb_app.command("export")
def export(
    output: Path | None = typer.Option(None, "--output", "-o", help="File to write "
                                       "(default: standard output)."),
) -> None:
    """Write every collection, with provenance, as one JSON document."""
    from predeploy.services import knowledge
    from predeploy.services.user_files import write_text_atomically

    document = knowledge.export_kb(load_settings())
    text = json.dumps(document.model_dump(mode="json"), indent=1) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    write_text_atomically(output, text)
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
    console.print(kb_view.models_table(found, kb_view.full_sources(console)))


@kb_app.command("gpus")
def gpus(json_out: bool = JSON_OPTION) -> None:
    """List the hardware profiles."""
    from predeploy.services import knowledge

    found = knowledge.open_catalog(load_settings()).gpus()
    if json_out:
        print_json([g.model_dump(mode="json") for g in found])
        return
    console.print(kb_view.gpus_table(found, kb_view.full_sources(console)))


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
    console.print(kb_view.prices_table(found, kb_view.full_sources(console)))


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
    console.print(kb_view.slo_table(slo))
    console.print(kb_view.deployment_table(deployment))


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
    console.print(kb_view.outcomes_table(found))
