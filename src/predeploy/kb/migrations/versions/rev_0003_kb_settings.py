"""A settings table: which package data seeded the knowledge base.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

``kb init`` records the SHA-256 of the seed files it loaded, so opening a knowledge base that an
older (or newer) predeploy seeded can say its shipped facts are out of date.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kb_settings",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_kb_settings")),
    )


def downgrade() -> None:
    op.drop_table("kb_settings")
