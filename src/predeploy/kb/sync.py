"""Idempotent upsert of the small collections (models, GPUs, prices, templates).

``sync_collection`` makes a table hold exactly the given facts for one ``origin``: new facts are
inserted, changed ones updated in place (compared by content hash), unchanged ones left alone,
and, when asked, rows of that origin that are no longer given are removed. Running it twice
with the same facts changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from predeploy.core.errors import InputError
from predeploy.core.types import FrozenModel
from predeploy.kb.records import CollectionSpec, content_hash, now_utc

T = TypeVar("T", bound=BaseModel)


class SyncCounts(FrozenModel):
    """What one sync did to one collection."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated or self.removed)

    def __add__(self, other: SyncCounts) -> SyncCounts:
        return SyncCounts(
            inserted=self.inserted + other.inserted,
            updated=self.updated + other.updated,
            unchanged=self.unchanged + other.unchanged,
            removed=self.removed + other.removed,
        )


def _row_key(spec: CollectionSpec[Any], row: Any) -> tuple[Any, ...]:
    return tuple(getattr(row, c) for c in spec.key_columns)


def sync_collection(
    session: Session,
    spec: CollectionSpec[T],
    items: Sequence[T],
    *,
    origin: str,
    remove_stale: bool,
) -> SyncCounts:
    """Upsert ``items`` into ``spec``'s table inside the session's transaction.

    Two items with the same key are an error (naming the collection and key); with
    ``remove_stale`` rows of ``origin`` whose key is not among ``items`` are deleted.
    """
    existing: dict[tuple[Any, ...], Any] = {
        _row_key(spec, row): row for row in session.scalars(select(spec.row_type))
    }
    seen: set[tuple[Any, ...]] = set()
    inserted = updated = unchanged = removed = 0
    stamp = now_utc()
    for item in items:
        values = spec.to_values(item)
        key = spec.key_of(values)
        if key in seen:
            shown = "/".join(str(k) for k in key)
            raise InputError(f"{spec.name}: two entries share the key {shown!r}")
        seen.add(key)
        digest = content_hash(item)
        tracked = {"origin": origin, "content_hash": digest, "updated_at": stamp}
        row = existing.get(key)
        if row is None:
            session.add(spec.row_type(**values, **tracked))
            inserted += 1
        elif row.content_hash == digest and row.origin == origin:
            unchanged += 1
        else:
            for name, value in {**values, **tracked}.items():
                setattr(row, name, value)
            updated += 1
    if remove_stale:
        for key, row in existing.items():
            if key not in seen and row.origin == origin:
                session.delete(row)
                removed += 1
    session.flush()
    return SyncCounts(inserted=inserted, updated=updated, unchanged=unchanged, removed=removed)


def load_collection(session: Session, spec: CollectionSpec[T]) -> list[T]:
    """Every fact of a collection, as validated core objects, in key order."""
    order = [getattr(spec.row_type, c) for c in spec.key_columns]
    return [spec.from_row(row) for row in session.scalars(select(spec.row_type).order_by(*order))]
