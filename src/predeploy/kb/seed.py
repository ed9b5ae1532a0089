"""The seed loader: makes the knowledge base hold the package's facts, idempotently.

Each collection is synchronised by key and content hash (see :mod:`predeploy.kb.sync`): running
the loader twice gives the same rows, a changed fact is updated in place, a fact removed from the
package data is removed from the database, and user imports (origin ``import``) are never
touched. Everything happens in the caller's single transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from predeploy.core.types import (
    BenchmarkRecord,
    DeploymentTemplate,
    FrozenModel,
    GpuSpec,
    ModelCard,
    PriceQuote,
    SloTemplate,
)
from predeploy.kb.benchmarks import BenchmarkRepository, BenchmarkWrite
from predeploy.kb.records import (
    DEPLOYMENT_TEMPLATES,
    GPUS,
    MODELS,
    PRICES,
    SLO_TEMPLATES,
    content_hash,
    now_utc,
)
from predeploy.kb.sync import SyncCounts, sync_collection
from predeploy.kb.tables import ImportRow, KbSettingRow

SEED_ORIGIN = "seed"
#: The ``kb_settings`` key holding :attr:`SeedData.files_sha256` of the last seeding.
SEED_FILES_KEY = "seed_files_sha256"


@dataclass(frozen=True)
class SeedData:
    """The facts shipped with the package (read by ``predeploy.kb.seed_files``)."""

    models: Sequence[ModelCard]
    gpus: Sequence[GpuSpec]
    prices: Sequence[PriceQuote]
    slo_templates: Sequence[SloTemplate]
    deployment_templates: Sequence[DeploymentTemplate]
    benchmarks: Sequence[BenchmarkRecord]
    #: The digest of the files these facts were read from (``seed_files.seed_files_sha256``);
    #: ``None`` for facts built in code.
    files_sha256: str | None = None

    def fingerprint(self) -> str:
        """SHA-256 over every fact's content hash, in order."""
        digest = hashlib.sha256()
        for group in (
            self.models, self.gpus, self.prices, self.slo_templates,
            self.deployment_templates, self.benchmarks,
        ):
            for item in group:
                digest.update(content_hash(item).encode())
        return digest.hexdigest()


class SeedReport(FrozenModel):
    """What one seeding did, per collection."""

    models: SyncCounts
    gpus: SyncCounts
    prices: SyncCounts
    slo_templates: SyncCounts
    deployment_templates: SyncCounts
    benchmarks: BenchmarkWrite

    @property
    def changed(self) -> bool:
        small = (self.models, self.gpus, self.prices, self.slo_templates,
                 self.deployment_templates)
        return any(c.changed for c in small) or self.benchmarks.scenarios.changed


def load_seed(session: Session, seed: SeedData) -> SeedReport:
    """Synchronise every collection with ``seed`` inside the session's transaction."""
    log = ImportRow(
        kind="seed", files="predeploy package data", sha256=seed.fingerprint(),
        scenarios=len(seed.benchmarks),
        metric_values=sum(len(b.metrics) for b in seed.benchmarks),
        imported_at=now_utc(),
    )
    session.add(log)
    session.flush()

    origin, stale = SEED_ORIGIN, True
    report = SeedReport(
        models=sync_collection(session, MODELS, seed.models, origin=origin, remove_stale=stale),
        gpus=sync_collection(session, GPUS, seed.gpus, origin=origin, remove_stale=stale),
        prices=sync_collection(session, PRICES, seed.prices, origin=origin, remove_stale=stale),
        slo_templates=sync_collection(
            session, SLO_TEMPLATES, seed.slo_templates, origin=origin, remove_stale=stale
        ),
        deployment_templates=sync_collection(
            session, DEPLOYMENT_TEMPLATES, seed.deployment_templates,
            origin=origin, remove_stale=stale,
        ),
        benchmarks=BenchmarkRepository(session).add_many(
            seed.benchmarks, origin=SEED_ORIGIN, import_id=log.id, remove_stale=True
        ),
    )
    if not report.changed:
        session.delete(log)  # the log lists seedings that changed something
    if seed.files_sha256 is not None:
        session.merge(KbSettingRow(key=SEED_FILES_KEY, value=seed.files_sha256,
                                   updated_at=now_utc()))
    session.flush()
    return report


def seeded_files_sha256(session: Session) -> str | None:
    """The digest of the package data files the last seeding read, when it recorded one."""
    return session.scalar(select(KbSettingRow.value).where(KbSettingRow.key == SEED_FILES_KEY))
