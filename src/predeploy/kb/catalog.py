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
from predeploy.core.types import BenchmarkRecord
from predeploy.kb.benchmarks import BenchmarkRepository
from predeploy.kb.records import DEPLOYMENT_TEMPLATES, GPUS, MODELS, PRICES, SLO_TEMPLATES
from predeploy.kb.sync import load_collection


class SqlCatalog(InMemoryCatalog):
    """A :class:`~predeploy.core.catalog.Catalog` over the knowledge-base tables."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        with Session(engine) as session:
            super().__init__(
                models=load_collection(session, MODELS),
                gpus=load_collection(session, GPUS),
                prices=load_collection(session, PRICES),
                slo_templates=load_collection(session, SLO_TEMPLATES),
                deployment_templates=load_collection(session, DEPLOYMENT_TEMPLATES),
            )
        self._queried: dict[tuple[str | None, str | None], tuple[BenchmarkRecord, ...]] = {}

    def benchmarks(
        self, model: str | None = None, gpu: str | None = None
    ) -> Sequence[BenchmarkRecord]:
        """Benchmarks filtered in the database, remembered per (model, GPU) filter."""
        key = (model, gpu)
        if key not in self._queried:
            with Session(self._engine) as session:
                found = BenchmarkRepository(session).query(model=model, gpu=gpu)
            self._queried[key] = tuple(found)
        return self._queried[key]
