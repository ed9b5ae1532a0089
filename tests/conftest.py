"""Shared fixtures: where ../shared lives (tests that need it skip cleanly without it)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"


@pytest.fixture(autouse=True, scope="session")
def private_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Tests never read or write the user's ``~/.predeploy``: ``PREDEPLOY_HOME`` points at an
    empty folder (no knowledge base yet: the shipped seed files serve), and the database and LLM
    settings of the environment are ignored. Tests that need a database set their own URL."""
    home = tmp_path_factory.mktemp("predeploy-home")
    saved = {k: v for k, v in os.environ.items() if k.startswith("PREDEPLOY_")}
    kept = ("PREDEPLOY_TEST_POSTGRES_URL", "PREDEPLOY_REQUIRE_POSTGRES")
    for key in saved:
        if key not in kept:
            del os.environ[key]
    os.environ["PREDEPLOY_HOME"] = str(home)
    yield home
    os.environ.pop("PREDEPLOY_HOME", None)
    os.environ.update(saved)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only ../shared folder; skips the test when it is absent."""
    if not SHARED_DIR.is_dir():
        pytest.skip("../shared is not present")
    return SHARED_DIR


# --- Knowledge-base databases: every KB test runs on SQLite and on a real PostgreSQL ---------
# PostgreSQL tests use PREDEPLOY_TEST_POSTGRES_URL (see .ci/postgres-up); they skip when it is
# unset, and fail instead when PREDEPLOY_REQUIRE_POSTGRES=1 (CI), so CI can never skip them.


def _postgres_url() -> str:
    url = os.environ.get("PREDEPLOY_TEST_POSTGRES_URL", "")
    if not url:
        if os.environ.get("PREDEPLOY_REQUIRE_POSTGRES") == "1":
            pytest.fail("PREDEPLOY_REQUIRE_POSTGRES=1 but PREDEPLOY_TEST_POSTGRES_URL is unset")
        pytest.skip("PREDEPLOY_TEST_POSTGRES_URL is not set (run `eval \"$(.ci/postgres-up)\"`)")
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def kb_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database: an SQLite file, or a fresh schema of the PostgreSQL test
    database (dropped afterwards), selected through the connection's ``search_path``."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kb.sqlite3'}"
        return
    from sqlalchemy import create_engine, text

    from predeploy.kb.database import parse_url

    base = parse_url(_postgres_url())  # postgresql:// means psycopg 3, as in the app
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:
        admin.dispose()
        if os.environ.get("PREDEPLOY_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL at {base.render_as_string()} is unusable: {exc}")
        pytest.skip(f"PostgreSQL at {base.render_as_string()} is unusable: {exc}")
    scoped = base.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
