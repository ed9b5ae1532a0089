"""A user's own models in the catalog collection (origin ``import``, never touched by the seed).

``predeploy kb import-model`` stores the card of a model known only by its ``config.json``; from
then on the catalog the planner, the intent engine and ``predict`` read holds it like a shipped
model. A shipped model's id is refused: the seed keeps the catalog's own facts.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.orm import Session

from predeploy.core.errors import InputError
from predeploy.core.types import ModelCard
from predeploy.kb.records import MODELS, content_hash, now_utc
from predeploy.kb.tables import ModelRow

IMPORT_ORIGIN = "import"

StoreOutcome = Literal["inserted", "updated", "unchanged"]


def store_own_model(session: Session, card: ModelCard) -> StoreOutcome:
    """Insert or update ``card`` as a user's model inside the session's transaction."""
    row = session.get(ModelRow, card.id)
    if row is not None and row.origin != IMPORT_ORIGIN:
        raise InputError(
            f"{card.id} is a model the catalog ships; give your model another name (--name)"
        )
    digest = content_hash(card)
    tracked = {"origin": IMPORT_ORIGIN, "content_hash": digest, "updated_at": now_utc()}
    values = MODELS.to_values(card)
    if row is None:
        session.add(ModelRow(**values, **tracked))
        session.flush()
        return "inserted"
    if row.content_hash == digest:
        return "unchanged"
    for name, value in {**values, **tracked}.items():
        setattr(row, name, value)
    session.flush()
    return "updated"
