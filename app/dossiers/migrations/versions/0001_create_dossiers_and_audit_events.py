"""Create the dossiers and audit_events tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the vocabularies as they were when this revision was written.
JOURNEYS = "'preadmission', 'adhesion'"
STATUSES = "'submitted', 'delivered'"
EVENTS = ("'journey_started', 'sign_in_succeeded', 'sign_in_failed', 'source_outcome', 'dossier_submitted', "
          "'dossier_delivered', 'dossier_purged'")


def upgrade() -> None:
    op.create_table(
        "dossiers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("organisation", sa.String(length=64), nullable=False),
        sa.Column("journey", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purge_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint(f"journey IN ({JOURNEYS})", name=op.f("ck_dossiers_journey")),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f("ck_dossiers_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossiers")),
    )
    op.create_index(op.f("ix_dossiers_reference"), "dossiers", ["reference"], unique=True)
    op.create_index(op.f("ix_dossiers_idempotency_key"), "dossiers", ["idempotency_key"], unique=True)
    op.create_index(op.f("ix_dossiers_purge_after"), "dossiers", ["purge_after"], unique=False)
    op.create_index("ix_dossiers_organisation_status", "dossiers", ["organisation", "status"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("journey", sa.String(length=16), nullable=True),
        sa.Column("organisation", sa.String(length=64), nullable=True),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.String(length=64), nullable=False),
        sa.Column("dossier_reference", sa.String(length=16), nullable=True),
        sa.Column("purge_after", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"event IN ({EVENTS})", name=op.f("ck_audit_events_event")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_purge_after"), "audit_events", ["purge_after"], unique=False)
    op.create_index(op.f("ix_audit_events_dossier_reference"), "audit_events", ["dossier_reference"], unique=False)


def downgrade() -> None:
    op.drop_table("audit_events")
    op.drop_table("dossiers")
