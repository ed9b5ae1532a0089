"""Benchmark scenarios keep the engine command line they were measured with.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30

The settings a benchmark's engine command line states (token budget, batch limit, memory
share, data-parallel attention) are honoured by the performance engine, so the command line
becomes a column of its own instead of a provenance note.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("benchmark_scenarios") as batch:
        batch.add_column(sa.Column("engine_args", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("benchmark_scenarios") as batch:
        batch.drop_column("engine_args")
