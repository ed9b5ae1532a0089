"""Counts of what the knowledge base holds."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from predeploy.core.types import FactKind, FrozenModel
from predeploy.kb.benchmarks import BenchmarkRepository
from predeploy.kb.outcomes import OutcomeRepository
from predeploy.kb.tables import (
    Base,
    DeploymentTemplateRow,
    GpuRow,
    ModelRow,
    PriceRow,
    SloTemplateRow,
)


class KbCounts(FrozenModel):
    """Rows per collection. ``benchmarks`` counts *measured metric values* (one scenario usually
    has several: TTFT p50, p99, throughput, ...); ``benchmark_scenarios`` counts scenarios."""

    models: int
    gpus: int
    prices: int
    slo_templates: int
    deployment_templates: int
    benchmarks: int
    benchmark_scenarios: int
    outcomes: int


def _count(session: Session, table: type[Base]) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def count_kb(session: Session) -> KbCounts:
    """Count every collection."""
    benchmarks = BenchmarkRepository(session)
    return KbCounts(
        models=_count(session, ModelRow),
        gpus=_count(session, GpuRow),
        prices=_count(session, PriceRow),
        slo_templates=_count(session, SloTemplateRow),
        deployment_templates=_count(session, DeploymentTemplateRow),
        benchmarks=benchmarks.count_metric_values(FactKind.MEASURED),
        benchmark_scenarios=benchmarks.count_scenarios(),
        outcomes=OutcomeRepository(session).count(),
    )
