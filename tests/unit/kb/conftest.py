"""Engines over an empty knowledge base, on SQLite and PostgreSQL (see ``kb_url``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from predeploy.kb.database import create_kb_engine, upgrade


@pytest.fixture
def bare_engine(kb_url: str) -> Iterator[Engine]:
    """An engine on an empty database (no tables)."""
    engine = create_kb_engine(kb_url, create_dirs=True)
    yield engine
    engine.dispose()


@pytest.fixture
def kb_engine(bare_engine: Engine) -> Engine:
    """An engine on a database migrated to the newest revision, with no rows."""
    upgrade(bare_engine)
    return bare_engine
