"""The SQL-backed :class:`predeploy.core.catalog.Catalog`.

The small collections (models, GPUs, prices, templates: a few hundred rows) are read into memory
once when the catalog is opened, so planning never waits on the database; benchmarks, the one
large collection, are queried on demand (and remembered per model/GPU filter). The catalog is a
snapshot: open a new one to see later writes.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from predeploy.core.catalog import InMemoryCatalog
from predeploy.core.types import (
    BenchmarkRecord,
    DeploymentTemplate,
    GpuSpec,
    ModelCard,
    PriceQuote,
    SloTemplate,
    UseCase,
)
from predeploy.kb.benchmarks import BenchmarkRepository
from predeploy.kb.records import DEPLOYMENT_TEMPLATES, GPUS, MODELS, PRICES, SLO_TEMPLATES
from predeploy.kb.sync import load_collection


class SqlCatalog:
    """A :class:`~predeploy.core.catalog.Catalog` over the knowledge-base tables."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        with Session(engine) as session:
            self._facts = InMemoryCatalog(
                models=load_collection(session, MODELS),
                gpus=load_collection(session, GPUS),
                prices=load_collection(session, PRICES),
                slo_templates=load_collection(session, SLO_TEMPLATES),
                deployment_templates=load_collection(session, DEPLOYMENT_TEMPLATES),
            )
        self._benchmarks: dict[tuple[str | None, str | None], tuple[BenchmarkRecord, ...]] = {}

    def models(self) -> Sequence[ModelCard]:
        return self._facts.models()

    def gpus(self) -> Sequence[GpuSpec]:
        return self._facts.gpus()

    def prices(self, gpu: str | None = None) -> Sequence[PriceQuote]:
        return self._facts.prices(gpu)

    def slo_templates(self) -> Sequence[SloTemplate]:
        return self._facts.slo_templates()

    def deployment_templates(self) -> Sequence[DeploymentTemplate]:
        return self._facts.deployment_templates()

    def benchmarks(
        self, model: str | None = None, gpu: str | None = None
    ) -> Sequence[BenchmarkRecord]:
        key = (model, gpu)
        if key not in self._benchmarks:
            with Session(self._engine) as session:
                found = BenchmarkRepository(session).query(model=model, gpu=gpu)
            self._benchmarks[key] = tuple(found)
        return self._benchmarks[key]

    def model(self, name: str) -> ModelCard:
        return self._facts.model(name)

    def gpu(self, name: str) -> GpuSpec:
        return self._facts.gpu(name)

    def slo_template(self, use_case: UseCase) -> SloTemplate:
        return self._facts.slo_template(use_case)
