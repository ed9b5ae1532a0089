"""Storing validated imports: one import-log row plus the records, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from predeploy.core.errors import InputError
from predeploy.core.types import BenchmarkRecord, FrozenModel
from predeploy.kb.benchmarks import BenchmarkRepository
from predeploy.kb.records import now_utc
from predeploy.kb.sync import SyncCounts
from predeploy.kb.tables import ImportRow

IMPORT_ORIGIN = "import"


class ImportSummary(FrozenModel):
    """What an import of one or more files did."""

    kind: str
    files: tuple[str, ...]
    #: Import-log ids, one per file; each stored scenario points at its file's entry.
    import_ids: tuple[int, ...]
    scenarios: SyncCounts
    metric_values_written: int
    #: Parts of the input that held nothing to import, with the reason.
    skipped: tuple[str, ...] = ()


class ImportBatch(FrozenModel):
    """The validated records of one file."""

    file: str
    sha256: str
    records: tuple[BenchmarkRecord, ...]
    skipped: tuple[str, ...] = ()


def store_import(session: Session, kind: str, batches: Sequence[ImportBatch]) -> ImportSummary:
    """Log each file and upsert its records (by id), all inside the session's transaction.

    An id given by two files is an error: the same report was most likely given twice.
    """
    seen: dict[str, str] = {}
    for batch in batches:
        for record in batch.records:
            if record.id in seen:
                raise InputError(
                    f"{batch.file}: benchmark {record.id!r} is also in {seen[record.id]} "
                    "(the same report given twice?)"
                )
            seen[record.id] = batch.file
    repository = BenchmarkRepository(session)
    ids: list[int] = []
    counts = SyncCounts()
    written = 0
    for batch in batches:
        log = ImportRow(
            kind=kind, files=batch.file, sha256=batch.sha256, scenarios=len(batch.records),
            metric_values=sum(len(r.metrics) for r in batch.records), imported_at=now_utc(),
        )
        session.add(log)
        session.flush()
        write = repository.add_many(batch.records, origin=IMPORT_ORIGIN, import_id=log.id)
        ids.append(log.id)
        counts += write.scenarios
        written += write.metric_values_written
    return ImportSummary(
        kind=kind, files=tuple(b.file for b in batches), import_ids=tuple(ids),
        scenarios=counts, metric_values_written=written,
        skipped=tuple(f"{b.file}: {s}" for b in batches for s in b.skipped),
    )
