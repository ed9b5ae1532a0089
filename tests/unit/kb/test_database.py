"""Migrations: upgrade → downgrade → upgrade on SQLite and PostgreSQL; schema = tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from predeploy.core.errors import InputError
from predeploy.kb.database import (
    SchemaState,
    create_kb_engine,
    current_revision,
    display_url,
    downgrade,
    head_revision,
    parse_url,
    schema_state,
    upgrade,
)
from predeploy.kb.tables import Base

KB_TABLES = {
    "models", "gpus", "prices", "slo_templates", "deployment_templates",
    "benchmark_scenarios", "benchmark_metrics", "deployment_outcomes", "kb_imports",
    "kb_settings",
}


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade(bare_engine: Engine) -> None:
    assert schema_state(bare_engine) is SchemaState.MISSING
    upgrade(bare_engine)
    assert schema_state(bare_engine) is SchemaState.CURRENT
    assert current_revision(bare_engine) == head_revision()
    assert _tables(bare_engine) == KB_TABLES
    downgrade(bare_engine)
    assert _tables(bare_engine) == set()
    assert schema_state(bare_engine) is SchemaState.MISSING
    upgrade(bare_engine)
    assert _tables(bare_engine) == KB_TABLES
    upgrade(bare_engine)  # already at head: a no-op
    assert schema_state(bare_engine) is SchemaState.CURRENT


def test_migrated_schema_matches_the_table_definitions(kb_engine: Engine) -> None:
    with kb_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_state_check_does_not_create_an_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "kb.sqlite3"
    engine = create_kb_engine(f"sqlite:///{path}")
    assert schema_state(engine) is SchemaState.MISSING
    assert not path.exists()


def test_create_dirs_makes_the_sqlite_folder(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "kb.sqlite3"
    engine = create_kb_engine(f"sqlite:///{path}", create_dirs=True)
    upgrade(engine)
    assert path.exists()
    engine.dispose()


def test_postgres_urls_mean_psycopg3() -> None:
    assert parse_url("postgresql://u:p@h/db").drivername == "postgresql+psycopg"
    assert parse_url("postgres://u:p@h/db").drivername == "postgresql+psycopg"


@pytest.mark.parametrize("url", ["mysql://u:p@h/db", "not a url"])
def test_unsupported_urls_are_input_errors(url: str) -> None:
    with pytest.raises(InputError):
        parse_url(url)


def test_display_url_hides_the_password() -> None:
    shown = display_url("postgresql+psycopg://user:secret@host:5432/db")
    assert "secret" not in shown
    assert "user" in shown


def test_an_older_knowledge_base_gains_the_engine_args_column(bare_engine: Engine) -> None:
    upgrade(bare_engine, "0001")
    assert schema_state(bare_engine) is SchemaState.OUTDATED
    columns = {c["name"] for c in inspect(bare_engine).get_columns("benchmark_scenarios")}
    assert "engine_args" not in columns
    upgrade(bare_engine)
    columns = {c["name"] for c in inspect(bare_engine).get_columns("benchmark_scenarios")}
    assert "engine_args" in columns and schema_state(bare_engine) is SchemaState.CURRENT
    downgrade(bare_engine, "0001")
    columns = {c["name"] for c in inspect(bare_engine).get_columns("benchmark_scenarios")}
    assert "engine_args" not in columns


def test_an_older_knowledge_base_gains_the_settings_table(bare_engine: Engine) -> None:
    upgrade(bare_engine, "0002")
    assert schema_state(bare_engine) is SchemaState.OUTDATED
    assert "kb_settings" not in _tables(bare_engine)
    upgrade(bare_engine)
    assert "kb_settings" in _tables(bare_engine)
    downgrade(bare_engine, "0002")
    assert _tables(bare_engine) == KB_TABLES - {"kb_settings"}
