"""The catalog interface the core plans with, and an in-memory implementation.

``Catalog`` is what the planner, the performance engine and the intent engine read facts
through. Two implementations: :class:`InMemoryCatalog` (here; built from seed files or from any
list of facts, e.g. in tests) and the SQL-backed one in ``predeploy.kb``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from predeploy.core.errors import InputError
from predeploy.core.names import resolve_gpu, resolve_model
from predeploy.core.types import (
    BenchmarkRecord,
    DeploymentTemplate,
    GpuSpec,
    ModelCard,
    PriceQuote,
    SloTemplate,
    UseCase,
)


class Catalog(Protocol):
    """Read access to the knowledge-base facts."""

    def models(self) -> Sequence[ModelCard]: ...
    def gpus(self) -> Sequence[GpuSpec]: ...
    def prices(self, gpu: str | None = None) -> Sequence[PriceQuote]: ...
    def slo_templates(self) -> Sequence[SloTemplate]: ...
    def deployment_templates(self) -> Sequence[DeploymentTemplate]: ...
    def benchmarks(
        self, model: str | None = None, gpu: str | None = None
    ) -> Sequence[BenchmarkRecord]: ...
    def model(self, name: str) -> ModelCard: ...
    def gpu(self, name: str) -> GpuSpec: ...
    def slo_template(self, use_case: UseCase) -> SloTemplate: ...


class InMemoryCatalog:
    """A :class:`Catalog` over lists of facts held in memory."""

    def __init__(
        self,
        models: Sequence[ModelCard] = (),
        gpus: Sequence[GpuSpec] = (),
        prices: Sequence[PriceQuote] = (),
        slo_templates: Sequence[SloTemplate] = (),
        deployment_templates: Sequence[DeploymentTemplate] = (),
        benchmarks: Sequence[BenchmarkRecord] = (),
    ) -> None:
        self._models = tuple(models)
        self._gpus = tuple(gpus)
        self._prices = tuple(prices)
        self._slo_templates = {t.id: t for t in slo_templates}
        self._deployment_templates = tuple(deployment_templates)
        self._benchmarks = tuple(benchmarks)

    def models(self) -> Sequence[ModelCard]:
        return self._models

    def gpus(self) -> Sequence[GpuSpec]:
        return self._gpus

    def prices(self, gpu: str | None = None) -> Sequence[PriceQuote]:
        if gpu is None:
            return self._prices
        return tuple(p for p in self._prices if p.gpu == gpu)

    def slo_templates(self) -> Sequence[SloTemplate]:
        return tuple(self._slo_templates.values())

    def deployment_templates(self) -> Sequence[DeploymentTemplate]:
        return self._deployment_templates

    def benchmarks(
        self, model: str | None = None, gpu: str | None = None
    ) -> Sequence[BenchmarkRecord]:
        return tuple(
            b
            for b in self._all_benchmarks()
            if (model is None or b.model == model) and (gpu is None or b.gpu == gpu)
        )

    def _all_benchmarks(self) -> Sequence[BenchmarkRecord]:
        """Every benchmark record; subclasses may read them on first use (the one large
        collection, and one the planner itself never reads)."""
        return self._benchmarks

    def model(self, name: str) -> ModelCard:
        return resolve_model(name, self._models)

    def gpu(self, name: str) -> GpuSpec:
        return resolve_gpu(name, self._gpus)

    def slo_template(self, use_case: UseCase) -> SloTemplate:
        try:
            return self._slo_templates[UseCase(use_case)]
        except (KeyError, ValueError):
            valid = ", ".join(u.value for u in UseCase)
            raise InputError(f"no SLO template for use case {use_case!r}; valid: {valid}") from None


class CatalogWithModels:
    """A :class:`Catalog` plus models it does not hold (a user's own, from their config.json):
    those are listed first and found first by name; every other fact is the base catalog's."""

    def __init__(self, base: Catalog, models: Sequence[ModelCard]) -> None:
        self._base = base
        self._extra = tuple(models)

    def models(self) -> Sequence[ModelCard]:
        return (*self._extra, *self._base.models())

    def gpus(self) -> Sequence[GpuSpec]:
        return self._base.gpus()

    def prices(self, gpu: str | None = None) -> Sequence[PriceQuote]:
        return self._base.prices(gpu)

    def slo_templates(self) -> Sequence[SloTemplate]:
        return self._base.slo_templates()

    def deployment_templates(self) -> Sequence[DeploymentTemplate]:
        return self._base.deployment_templates()

    def benchmarks(
        self, model: str | None = None, gpu: str | None = None
    ) -> Sequence[BenchmarkRecord]:
        return self._base.benchmarks(model, gpu)

    def model(self, name: str) -> ModelCard:
        if self._extra:
            try:
                return resolve_model(name, self._extra)
            except InputError:
                pass
        return self._base.model(name)

    def gpu(self, name: str) -> GpuSpec:
        return self._base.gpu(name)

    def slo_template(self, use_case: UseCase) -> SloTemplate:
        return self._base.slo_template(use_case)
