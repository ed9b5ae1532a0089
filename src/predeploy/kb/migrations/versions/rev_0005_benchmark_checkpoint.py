"""Benchmark scenarios keep the checkpoint they served.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

How a checkpoint's FP8 weights carry their scales (one per 128 x 128 block in Qwen's and
DeepSeek's releases, per tensor or channel where an engine quantizes 16-bit weights as it
loads) changes the speed of its matmuls (``core.checkpoints.served_fp8_weight_block``): a scenario
keeps the checkpoint its source names where no command line states it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("benchmark_scenarios") as batch:
        batch.add_column(sa.Column("checkpoint", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("benchmark_scenarios") as batch:
        batch.drop_column("checkpoint")
