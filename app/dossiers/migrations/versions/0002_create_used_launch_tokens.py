"""Create the used_launch_tokens table (single use of the portals' signed launch links).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "used_launch_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("organisation", sa.String(length=64), nullable=False),
        sa.Column("jti_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_used_launch_tokens")),
        sa.UniqueConstraint("organisation", "jti_hash", name=op.f("uq_used_launch_tokens_organisation_jti_hash")),
    )
    op.create_index(op.f("ix_used_launch_tokens_expires_at"), "used_launch_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_used_launch_tokens_expires_at"), table_name="used_launch_tokens")
    op.drop_table("used_launch_tokens")
