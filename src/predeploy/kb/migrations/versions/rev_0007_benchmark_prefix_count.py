"""Benchmark scenarios keep how many distinct shared prefixes their requests spread over.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

A benchmark whose prompts start with one of several prefixes (GuideLLM's ``prefix_buckets``
with a ``prefix_count``; one system prompt per tenant) finds each in the prefix cache less
often than one shared by all (``core.prefix_cache.prefix_residency``): a scenario keeps their
number (NULL: one).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("benchmark_scenarios") as batch:
        batch.add_column(sa.Column("prefix_count", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("benchmark_scenarios") as batch:
        batch.drop_column("prefix_count")
