"""The whole knowledge base as one JSON document of validated core objects."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from sqlalchemy.orm import Session

from predeploy.core.types import (
    BenchmarkRecord,
    DeploymentOutcome,
    DeploymentTemplate,
    FrozenModel,
    GpuSpec,
    ModelCard,
    PriceQuote,
    SloTemplate,
)
from predeploy.kb.benchmarks import BenchmarkRepository
from predeploy.kb.outcomes import OutcomeRepository
from predeploy.kb.records import (
    DEPLOYMENT_TEMPLATES,
    GPUS,
    MODELS,
    PRICES,
    SLO_TEMPLATES,
    now_utc,
)
from predeploy.kb.sync import load_collection

EXPORT_FORMAT_VERSION = 1


class KbExport(FrozenModel):
    """Every collection, each fact with its provenance. ``benchmarks`` items are
    :class:`BenchmarkRecord` s, the same objects ``kb import-benchmarks`` reads (one per line)."""

    format: Literal["predeploy-kb-export"] = "predeploy-kb-export"
    format_version: int = EXPORT_FORMAT_VERSION
    exported_at: dt.datetime
    schema_revision: str | None
    models: tuple[ModelCard, ...]
    gpus: tuple[GpuSpec, ...]
    prices: tuple[PriceQuote, ...]
    slo_templates: tuple[SloTemplate, ...]
    deployment_templates: tuple[DeploymentTemplate, ...]
    benchmarks: tuple[BenchmarkRecord, ...]
    outcomes: tuple[DeploymentOutcome, ...]


def read_export(session: Session, schema_revision: str | None) -> KbExport:
    """Read every collection, in key order (benchmarks by id, outcomes by period)."""
    return KbExport(
        exported_at=now_utc(),
        schema_revision=schema_revision,
        models=tuple(load_collection(session, MODELS)),
        gpus=tuple(load_collection(session, GPUS)),
        prices=tuple(load_collection(session, PRICES)),
        slo_templates=tuple(load_collection(session, SLO_TEMPLATES)),
        deployment_templates=tuple(load_collection(session, DEPLOYMENT_TEMPLATES)),
        benchmarks=tuple(BenchmarkRepository(session).query()),
        outcomes=tuple(OutcomeRepository(session).list()),
    )
