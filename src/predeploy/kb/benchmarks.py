"""The benchmark repository: measured scenarios and their metric values.

Writes happen inside the caller's session transaction (one transaction per import: either the
whole batch lands or nothing does); reads rebuild :class:`BenchmarkRecord` objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Result, delete, func, insert, select, update
from sqlalchemy.orm import Session, selectinload

from predeploy.core.errors import InputError
from predeploy.core.types import BenchmarkRecord, FactKind, FrozenModel
from predeploy.kb.records import (
    content_hash,
    metric_values,
    now_utc,
    record_from_rows,
    scenario_values,
)
from predeploy.kb.sync import SyncCounts
from predeploy.kb.tables import BenchmarkMetricRow, BenchmarkScenarioRow

#: Ids per ``IN (...)`` list: well under SQLite's and PostgreSQL's bound-parameter limits.
CHUNK_SIZE = 500


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), CHUNK_SIZE):
        yield items[start : start + CHUNK_SIZE]


def _rowcount(result: Result[Any]) -> int:
    return cast("CursorResult[Any]", result).rowcount


class BenchmarkWrite(FrozenModel):
    """What one write of benchmark records did."""

    scenarios: SyncCounts
    #: Metric values written (inserted or replaced) by this write.
    metric_values_written: int
    #: Metric values removed with stale scenarios.
    metric_values_removed: int


class SourceCount(FrozenModel):
    """Benchmark holdings of one source."""

    source_key: str
    scenarios: int
    metric_values: int


class BenchmarkRepository:
    """Benchmark scenarios and metric values in the knowledge base."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add_many(
        self,
        records: Sequence[BenchmarkRecord],
        *,
        origin: str = "import",
        import_id: int | None = None,
        remove_stale: bool = False,
    ) -> BenchmarkWrite:
        """Insert or update ``records`` (by id) in the session's transaction.

        A record whose content is unchanged is left alone; a changed one has its scenario row
        updated and its metric values replaced. With ``remove_stale`` the scenarios of
        ``origin`` that are not in ``records`` are deleted (re-seeding). Duplicate ids and
        unknown metric names raise :class:`InputError` before anything is written.
        """
        rows: dict[str, tuple[dict[str, Any], list[dict[str, Any]], str]] = {}
        for record in records:
            if record.id in rows:
                raise InputError(f"benchmark id {record.id!r} appears twice in one import")
            try:
                metrics = metric_values(record)
            except ValueError as exc:
                raise InputError(f"benchmark {record.id!r}: {exc}") from None
            rows[record.id] = (scenario_values(record), metrics, content_hash(record))

        existing = self._existing(list(rows))
        stamp = now_utc()
        new: list[str] = []
        changed: list[str] = []
        unchanged = 0
        for record_id, (_, _, digest) in rows.items():
            known = existing.get(record_id)
            if known is None:
                new.append(record_id)
            elif known == (digest, origin):
                unchanged += 1
            else:
                changed.append(record_id)

        def scenario_row(record_id: str) -> dict[str, Any]:
            values, _, digest = rows[record_id]
            return {
                **values,
                "origin": origin,
                "content_hash": digest,
                "updated_at": stamp,
                "import_id": import_id,
            }

        session = self._session
        for chunk in _chunks(changed):
            session.execute(
                delete(BenchmarkMetricRow).where(BenchmarkMetricRow.scenario_id.in_(chunk))
            )
        if changed:
            session.execute(update(BenchmarkScenarioRow), [scenario_row(i) for i in changed])
        if new:
            session.execute(insert(BenchmarkScenarioRow), [scenario_row(i) for i in new])
        written = [m for i in (*changed, *new) for m in rows[i][1]]
        if written:
            session.execute(insert(BenchmarkMetricRow), written)

        removed = removed_values = 0
        if remove_stale:
            stale = [
                i
                for i in session.scalars(
                    select(BenchmarkScenarioRow.id).where(BenchmarkScenarioRow.origin == origin)
                )
                if i not in rows
            ]
            for chunk in _chunks(stale):
                removed_values += _rowcount(session.execute(
                    delete(BenchmarkMetricRow).where(BenchmarkMetricRow.scenario_id.in_(chunk))
                ))
                removed += _rowcount(session.execute(
                    delete(BenchmarkScenarioRow).where(BenchmarkScenarioRow.id.in_(chunk))
                ))
        session.flush()
        return BenchmarkWrite(
            scenarios=SyncCounts(
                inserted=len(new), updated=len(changed), unchanged=unchanged, removed=removed
            ),
            metric_values_written=len(written),
            metric_values_removed=removed_values,
        )

    def _existing(self, ids: list[str]) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        for chunk in _chunks(ids):
            query = select(
                BenchmarkScenarioRow.id,
                BenchmarkScenarioRow.content_hash,
                BenchmarkScenarioRow.origin,
            ).where(BenchmarkScenarioRow.id.in_(chunk))
            for record_id, digest, origin in self._session.execute(query):
                found[record_id] = (digest, origin)
        return found

    def query(
        self,
        *,
        model: str | None = None,
        gpu: str | None = None,
        source_key: str | None = None,
        engine: str | None = None,
    ) -> list[BenchmarkRecord]:
        """Records matching every given filter (exact names), ordered by id."""
        statement = select(BenchmarkScenarioRow).options(selectinload(BenchmarkScenarioRow.metrics))
        if model is not None:
            statement = statement.where(BenchmarkScenarioRow.model == model)
        if gpu is not None:
            statement = statement.where(BenchmarkScenarioRow.gpu == gpu)
        if source_key is not None:
            statement = statement.where(BenchmarkScenarioRow.source_key == source_key)
        if engine is not None:
            statement = statement.where(BenchmarkScenarioRow.engine == engine)
        statement = statement.order_by(BenchmarkScenarioRow.id)
        return [
            record_from_rows(row, list(row.metrics)) for row in self._session.scalars(statement)
        ]

    def get(self, record_id: str) -> BenchmarkRecord:
        """One record by id; :class:`InputError` when absent."""
        row = self._session.get(
            BenchmarkScenarioRow, record_id, options=[selectinload(BenchmarkScenarioRow.metrics)]
        )
        if row is None:
            raise InputError(f"no benchmark with id {record_id!r}")
        return record_from_rows(row, list(row.metrics))

    def count_scenarios(self) -> int:
        return self._session.scalar(select(func.count()).select_from(BenchmarkScenarioRow)) or 0

    def count_metric_values(self, kind: FactKind | None = None) -> int:
        """Metric values held, optionally only those of one fact kind (e.g. measured)."""
        statement = select(func.count()).select_from(BenchmarkMetricRow)
        if kind is not None:
            statement = statement.where(BenchmarkMetricRow.fact_kind == kind.value)
        return self._session.scalar(statement) or 0

    def counts_by_source(self) -> list[SourceCount]:
        """Scenarios and metric values per ``source_key``, largest first."""
        values = (
            select(
                BenchmarkMetricRow.scenario_id.label("scenario_id"),
                func.count().label("n"),
            )
            .group_by(BenchmarkMetricRow.scenario_id)
            .subquery()
        )
        statement = (
            select(
                BenchmarkScenarioRow.source_key,
                func.count(),
                func.coalesce(func.sum(values.c.n), 0),
            )
            .outerjoin(values, values.c.scenario_id == BenchmarkScenarioRow.id)
            .group_by(BenchmarkScenarioRow.source_key)
        )
        counts = [
            SourceCount(source_key=key, scenarios=int(n), metric_values=int(v))
            for key, n, v in self._session.execute(statement)
        ]
        return sorted(counts, key=lambda c: (-c.metric_values, c.source_key))
