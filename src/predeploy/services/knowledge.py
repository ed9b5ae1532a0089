"""Knowledge-base use cases: initialise, inspect, import, export, and open the catalog.

The database is ``settings.resolved_database_url`` (``PREDEPLOY_DATABASE_URL``; by default an
SQLite file under ``PREDEPLOY_HOME``). Until ``predeploy kb init`` has run, :func:`open_catalog`
serves the facts shipped with the package (``seed_catalog()``), so everything works offline and
without a database.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from predeploy.core.catalog import Catalog
from predeploy.core.errors import InputError, PredeployWarning, UnknownNameError
from predeploy.core.types import (
    BenchmarkRecord,
    DeploymentOutcome,
    FactKind,
    FrozenModel,
    KvCacheDtype,
    ModelCard,
    Precision,
)
from predeploy.core.types import Engine as ServingEngine
from predeploy.kb import seed_files
from predeploy.kb.benchmarks import BenchmarkRepository, SourceCount
from predeploy.kb.catalog import SqlCatalog
from predeploy.kb.database import (
    SchemaState,
    create_kb_engine,
    current_revision,
    display_url,
    head_revision,
    schema_state,
    upgrade,
)
from predeploy.kb.export import KbExport, read_export
from predeploy.kb.importers.benchmark_file import read_benchmark_file
from predeploy.kb.importers.canonical import NameResolver
from predeploy.kb.importers.guidellm import GuidellmRun, read_guidellm_report
from predeploy.kb.imports import ImportBatch, ImportSummary, store_import
from predeploy.kb.outcomes import OutcomeRepository
from predeploy.kb.own_models import StoreOutcome, store_own_model
from predeploy.kb.seed import SeedData, SeedReport, load_seed, seeded_files_sha256
from predeploy.kb.stats import KbCounts, count_kb
from predeploy.services.own_models import read_own_model
from predeploy.settings import Settings

__all__ = [
    "ImportSummary",
    "InitResult",
    "KbExport",
    "KbStats",
    "export_kb",
    "import_benchmarks",
    "import_guidellm",
    "init_kb",
    "kb_stats",
    "list_outcomes",
    "open_catalog",
    "record_outcome",
]


class InitResult(FrozenModel):
    """What ``kb init`` did: the migration it reached and what seeding changed."""

    database: str
    schema_revision: str
    seed: SeedReport
    counts: KbCounts


class KbStats(FrozenModel):
    """What the catalog in use holds, and where it comes from."""

    database: str
    #: ``database`` once ``kb init`` has run, else ``seed-files`` (the package's facts).
    backend: Literal["database", "seed-files"]
    schema_revision: str | None
    counts: KbCounts
    benchmark_sources: tuple[SourceCount, ...]
    #: Whether the shipped facts are this predeploy's package data: always for ``seed-files``;
    #: ``False`` for a database another version seeded (``kb init`` updates it); ``None`` when
    #: the seeding recorded no digest.
    seed_current: bool | None = True

    def contract(self) -> dict[str, object]:
        """The ``kb stats --json`` document (DESIGN.md §6): the counts first, then the rest."""
        return {
            **self.counts.model_dump(),
            "backend": self.backend,
            "database": self.database,
            "schema_revision": self.schema_revision,
            "seed_current": self.seed_current,
            "benchmark_sources": [s.model_dump() for s in self.benchmark_sources],
        }


@contextmanager
def _engine(settings: Settings, *, create_dirs: bool = False) -> Iterator[Engine]:
    engine = create_kb_engine(settings.resolved_database_url, create_dirs=create_dirs)
    try:
        yield engine
    finally:
        engine.dispose()


def _require_current(engine: Engine, state: SchemaState | None = None) -> None:
    """Refuse a database that is not at the newest revision (``state``: when already read)."""
    state = schema_state(engine) if state is None else state
    if state is SchemaState.CURRENT:
        return
    where = display_url(engine.url)
    if state is SchemaState.MISSING:
        raise InputError(
            f"the knowledge base at {where} is not initialized; run `predeploy kb init`"
        )
    raise InputError(
        f"the knowledge base at {where} is at revision {current_revision(engine)}, this "
        f"predeploy needs {head_revision()}; run `predeploy kb init` to migrate it"
    )


def read_seed() -> SeedData:
    """The facts shipped with the package (``src/predeploy/data``)."""
    return SeedData(
        models=seed_files.read_models(),
        gpus=seed_files.read_gpus(),
        prices=seed_files.read_prices(),
        slo_templates=seed_files.read_slo_templates(),
        deployment_templates=seed_files.read_deployment_templates(),
        benchmarks=seed_files.read_benchmarks(),
        files_sha256=seed_files.seed_files_sha256(),
    )


def _seed_current(session: Session) -> bool | None:
    """Whether an initialized database was seeded from this package's data files."""
    recorded = seeded_files_sha256(session)
    return None if recorded is None else recorded == seed_files.seed_files_sha256()


def init_kb(settings: Settings, seed: SeedData | None = None) -> InitResult:
    """Create or migrate the database to the newest schema, then load the package's facts.

    Idempotent: a second run changes nothing; after a predeploy upgrade it migrates the schema
    and brings changed facts up to date, leaving user imports alone.
    """
    seed = seed if seed is not None else read_seed()
    with _engine(settings, create_dirs=True) as engine:
        upgrade(engine)
        with Session(engine) as session, session.begin():
            report = load_seed(session, seed)
        with Session(engine) as session:
            counts = count_kb(session)
        return InitResult(
            database=display_url(engine.url), schema_revision=head_revision(), seed=report,
            counts=counts,
        )


def _seed_counts(catalog: Catalog) -> KbStats:
    benchmarks = catalog.benchmarks()
    by_source: dict[str, list[BenchmarkRecord]] = {}
    for record in benchmarks:
        by_source.setdefault(record.source_key, []).append(record)
    sources = sorted(
        (
            SourceCount(
                source_key=key, scenarios=len(items),
                metric_values=sum(len(r.metrics) for r in items),
            )
            for key, items in by_source.items()
        ),
        key=lambda c: (-c.metric_values, c.source_key),
    )
    counts = KbCounts(
        models=len(catalog.models()), gpus=len(catalog.gpus()), prices=len(catalog.prices()),
        slo_templates=len(catalog.slo_templates()),
        deployment_templates=len(catalog.deployment_templates()),
        benchmarks=sum(
            len(r.metrics) for r in benchmarks if r.provenance.kind is FactKind.MEASURED
        ),
        benchmark_scenarios=len(benchmarks), outcomes=0,
    )
    return KbStats(
        database="(none: package seed files)", backend="seed-files", schema_revision=None,
        counts=counts, benchmark_sources=tuple(sources),
    )


def kb_stats(settings: Settings) -> KbStats:
    """Counts of the catalog in use: the database once initialized, else the seed files."""
    with _engine(settings) as engine:
        state = schema_state(engine)
        if state is SchemaState.MISSING:
            stats = _seed_counts(seed_files.seed_catalog())
            return stats.model_copy(
                update={"database": f"{display_url(engine.url)} (not initialized)"}
            )
        _require_current(engine, state)
        with Session(engine) as session:
            return KbStats(
                database=display_url(engine.url), backend="database",
                schema_revision=current_revision(engine), counts=count_kb(session),
                benchmark_sources=tuple(BenchmarkRepository(session).counts_by_source()),
                seed_current=_seed_current(session),
            )


def open_catalog(settings: Settings) -> Catalog:
    """The catalog to plan with: the SQL knowledge base when initialized, else the seed files.

    An initialized database at an older schema revision is an error naming the fix
    (``predeploy kb init``); an unreachable configured database is an error too, never a silent
    fall-back. A database seeded from another predeploy's package data is used, with a
    :class:`PredeployWarning` naming the same fix.
    """
    # Unpooled: the catalog keeps the engine for on-demand queries and is dropped by whoever
    # holds it, which must not leave a database connection open (one per planning call).
    engine = create_kb_engine(settings.resolved_database_url, pooled=False)
    try:
        state = schema_state(engine)
        if state is not SchemaState.MISSING:
            _require_current(engine, state)
            with Session(engine) as session:
                stale = _seed_current(session) is False
            if stale:
                warnings.warn(PredeployWarning(
                    f"the knowledge base at {display_url(engine.url)} holds the shipped facts "
                    "of another predeploy version (models, GPUs, prices, benchmarks); run "
                    "`predeploy kb init` to bring them up to date"
                ), stacklevel=1)  # one place: shown once per process
            return SqlCatalog(engine)  # keeps the engine: benchmarks are queried on demand
    except BaseException:
        engine.dispose()
        raise
    engine.dispose()
    return seed_files.seed_catalog()


def _resolver(engine: Engine, *, strict: bool) -> NameResolver:
    catalog = SqlCatalog(engine)
    return NameResolver(catalog.models(), catalog.gpus(), strict=strict)


def import_guidellm(
    settings: Settings,
    files: Sequence[Path],
    *,
    model: str,
    gpu: str,
    gpu_count: int = 1,
    tp: int | None = None,
    pp: int = 1,
    precision: Precision | None = None,
    engine: ServingEngine = ServingEngine.VLLM,
    engine_version: str | None = None,
    kv_cache_dtype: KvCacheDtype | None = None,
    dataset: str | None = None,
    source_key: str | None = None,
) -> ImportSummary:
    """Import GuideLLM reports measured on ``gpu_count`` × ``gpu`` serving ``model``.

    Every file is read and validated before anything is written; then all records land in one
    transaction (re-importing a report updates its records instead of duplicating them).
    """
    if not files:
        raise InputError("give at least one GuideLLM report file")
    if gpu_count < 1 or pp < 1 or (tp is not None and tp < 1):
        raise InputError("--gpu-count, --tp and --pp must be positive")
    if tp is not None and tp * pp > gpu_count:
        raise InputError(f"--tp {tp} × --pp {pp} needs more than --gpu-count {gpu_count} GPUs")
    with _engine(settings) as db:
        _require_current(db)
        names = _resolver(db, strict=True)
        try:
            model_id = names.model(model)
        except UnknownNameError as exc:
            raise InputError(f"--model: {exc}") from None
        try:
            gpu_name = names.gpu(gpu)
        except UnknownNameError as exc:
            raise InputError(f"--gpu: {exc}") from None
        run = GuidellmRun(
            model=model_id, gpu=gpu_name, gpu_count=gpu_count, tp=tp, pp=pp,
            precision=precision, engine=engine, engine_version=engine_version,
            kv_cache_dtype=kv_cache_dtype, dataset=dataset, source_key=source_key,
        )
        reports = [read_guidellm_report(path, run) for path in files]
        batches = [
            ImportBatch(file=r.file, sha256=r.sha256, records=r.records, skipped=r.skipped)
            for r in reports
        ]
        with Session(db) as session, session.begin():
            return store_import(session, "guidellm", batches)


def import_benchmarks(
    settings: Settings, file: Path, *, allow_unknown_names: bool = False
) -> ImportSummary:
    """Import a JSON Lines file of BenchmarkRecords or calibration cases, all lines or none."""
    with _engine(settings) as db:
        _require_current(db)
        parsed = read_benchmark_file(file, _resolver(db, strict=not allow_unknown_names))
        batch = ImportBatch(file=parsed.file, sha256=parsed.sha256, records=parsed.records)
        kind = "calibration-cases" if parsed.cases else "benchmarks"
        with Session(db) as session, session.begin():
            return store_import(session, kind, [batch])


def import_model(
    settings: Settings, config: Path, *, name: str | None = None
) -> tuple[ModelCard, StoreOutcome]:
    """Add the model a Hugging Face ``config.json`` describes to the knowledge base's catalog
    (named ``name``, else its ``_name_or_path``, else its folder); importing it again updates
    it. Every later plan, intent and prediction can name it."""
    card = read_own_model(config, name)
    with _engine(settings) as db:
        _require_current(db)
        with Session(db) as session, session.begin():
            return card, store_own_model(session, card)


def record_outcome(settings: Settings, outcome: DeploymentOutcome) -> None:
    """Store what a deployed plan measured (an id is recorded once)."""
    with _engine(settings) as engine:
        _require_current(engine)
        with Session(engine) as session, session.begin():
            OutcomeRepository(session).add(outcome)


def list_outcomes(
    settings: Settings, *, deployment_name: str | None = None, model: str | None = None
) -> list[DeploymentOutcome]:
    """Recorded deployment outcomes, oldest first (none before ``kb init``)."""
    with _engine(settings) as engine:
        state = schema_state(engine)
        if state is SchemaState.MISSING:
            return []
        _require_current(engine, state)
        with Session(engine) as session:
            return OutcomeRepository(session).list(deployment_name=deployment_name, model=model)


def export_kb(settings: Settings) -> KbExport:
    """Every collection of the initialized knowledge base, each fact with its provenance."""
    with _engine(settings) as engine:
        _require_current(engine)
        with Session(engine) as session:
            return read_export(session, current_revision(engine))
