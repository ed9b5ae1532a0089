"""Engines and schema migrations of the knowledge base (SQLite or PostgreSQL).

Migrations are Alembic revisions shipped inside the package (``kb/migrations``); they run
programmatically on a live connection, so users never need an ``alembic.ini``.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.pool import NullPool

from predeploy.core.errors import InputError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

#: Seconds an SQLite connection waits for another writer's lock before failing.
SQLITE_BUSY_TIMEOUT_S = 30


class SchemaState(StrEnum):
    """Where a database stands relative to the newest migration."""

    MISSING = "missing"  # no database or no knowledge-base tables
    OUTDATED = "outdated"  # tables exist at an older revision
    CURRENT = "current"  # at the newest revision
    AHEAD = "ahead"  # a revision this version of predeploy does not know


def parse_url(url: str) -> URL:
    """Parse a database URL; ``postgresql://`` and ``postgres://`` mean psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError(f"invalid database URL {display_url(url)!r}") from None
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise InputError(
            f"unsupported database {parsed.get_backend_name()!r} in {display_url(url)!r}; "
            "use sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DB"
        )
    return parsed


def display_url(url: str | URL) -> str:
    """The URL with its password masked, safe to print."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return "<unparseable URL>"
    return parsed.render_as_string(hide_password=True)


def sqlite_path(url: URL) -> Path | None:
    """The file of an SQLite URL (``None`` for in-memory databases and other backends)."""
    if url.get_backend_name() != "sqlite" or url.database in {None, "", ":memory:"}:
        return None
    return Path(str(url.database))


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_kb_engine(url: str, *, create_dirs: bool = False, pooled: bool = True) -> Engine:
    """An engine for ``url``; with ``create_dirs`` an SQLite file's folder is created too.

    ``pooled=False``: every session opens its own connection and closes it when done, so an
    object that keeps the engine (a catalog queried on demand) holds no idle connection and
    needs no ``dispose()`` when it is dropped."""
    parsed = parse_url(url)
    path = sqlite_path(parsed)
    if path is not None and create_dirs:
        path.parent.mkdir(parents=True, exist_ok=True)
    pool: dict[str, Any] = {} if pooled else {"poolclass": NullPool}
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}, **pool)
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    return create_engine(parsed, pool_pre_ping=True, **pool)


def alembic_config() -> Config:
    """Alembic configuration pointing at the packaged migrations (no ini file)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Module names must not start with a digit (mypy checks the revisions too).
    config.set_main_option("file_template", "rev_%%(rev)s_%%(slug)s")
    return config


def head_revision() -> str:
    """The newest migration revision this version of predeploy ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise RuntimeError("no migrations found in the package")
    return head


def _database_reachable(engine: Engine) -> bool:
    path = sqlite_path(engine.url)
    return path is None or path.exists()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, ``None`` when it has none (or does not exist yet)."""
    if not _database_reachable(engine):
        return None
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def schema_state(engine: Engine) -> SchemaState:
    """Whether the knowledge base exists and is at the newest revision."""
    try:
        revision = current_revision(engine)
    except OperationalError as exc:
        reason = " ".join(str(exc.orig).split())  # one line, whatever the driver printed
        raise InputError(
            f"cannot open the knowledge base at {display_url(engine.url)}: {reason}"
        ) from None
    if revision is None:
        return SchemaState.MISSING
    if revision == head_revision():
        return SchemaState.CURRENT
    known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    return SchemaState.OUTDATED if revision in known else SchemaState.AHEAD


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` in one transaction."""
    _run_migration(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Migrate the database down to ``revision`` (``base`` drops every table)."""
    _run_migration(engine, lambda config: command.downgrade(config, revision))


def _run_migration(engine: Engine, step: Any) -> None:
    if schema_state(engine) is SchemaState.AHEAD:
        raise InputError(
            f"the knowledge base at {display_url(engine.url)} was migrated by a newer "
            f"predeploy (revision {current_revision(engine)}); upgrade predeploy"
        )
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        step(config)


def _main(argv: list[str]) -> int:  # pragma: no cover - development helper
    """``python -m predeploy.kb.database revision -m MSG`` writes a new autogenerated revision
    against a scratch SQLite database migrated to head."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(prog="python -m predeploy.kb.database")
    parser.add_argument("action", choices=["revision"])
    parser.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_kb_engine(f"sqlite:///{tmp}/scratch.sqlite3")
        upgrade(engine)
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.revision(config, message=args.message, autogenerate=True)
        engine.dispose()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main(sys.argv[1:]))
