"""Benchmark scenarios keep the client that measured them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06

Whether the benchmark client had the engine ignore the end-of-sequence token, and how it
sampled its dataset, change the dataset's output lengths (``core.datasets.output_shape``): a
scenario keeps its client and its stated ``ignore_eos``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("benchmark_scenarios") as batch:
        batch.add_column(sa.Column("client", sa.String(30), nullable=True))
        batch.add_column(sa.Column("ignore_eos", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("benchmark_scenarios") as batch:
        batch.drop_column("ignore_eos")
        batch.drop_column("client")
