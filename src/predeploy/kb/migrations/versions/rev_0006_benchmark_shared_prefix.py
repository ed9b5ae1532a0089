"""Benchmark scenarios keep the prompt prefix their requests shared.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

A benchmark whose prompts all start with the same tokens (GuideLLM's ``prefix_buckets``, a
system prompt) is served partly from the engine's prefix cache (``core.prefix_cache``): a
scenario keeps the shared prefix's length (NULL: none) so its measurements are priced so.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("benchmark_scenarios") as batch:
        batch.add_column(sa.Column("shared_prefix_tokens", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("benchmark_scenarios") as batch:
        batch.drop_column("shared_prefix_tokens")
