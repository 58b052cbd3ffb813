"""Create the attachments table (the person's files, encrypted, bound to a draft then to its dossier) and add
`attachment_downloaded` to the audit trail's events.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Frozen copies of the vocabularies as they were when this revision was written.
JOURNEYS = "'preadmission', 'adhesion'"
KINDS = "'identity_document', 'rights_attestation', 'c2s_attestation', 'mutuelle_card', 'convocation', 'rib'"
MEDIA_TYPES = "'application/pdf', 'image/jpeg', 'image/png'"
EVENTS_BEFORE = ("'journey_started', 'sign_in_succeeded', 'sign_in_failed', 'source_outcome', "
                 "'dossier_submitted', 'dossier_delivered', 'dossier_purged'")
EVENTS_AFTER = EVENTS_BEFORE + ", 'attachment_downloaded'"


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("draft_key", sa.String(length=128), nullable=False),
        sa.Column("dossier_reference", sa.String(length=16), nullable=True),
        sa.Column("organisation", sa.String(length=64), nullable=False),
        sa.Column("journey", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purge_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("meta", sa.LargeBinary(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f("ck_attachments_kind")),
        sa.CheckConstraint(f"media_type IN ({MEDIA_TYPES})", name=op.f("ck_attachments_media_type")),
        sa.CheckConstraint(f"journey IN ({JOURNEYS})", name=op.f("ck_attachments_journey")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(op.f("ix_attachments_draft_key"), "attachments", ["draft_key"], unique=False)
    op.create_index(op.f("ix_attachments_dossier_reference"), "attachments", ["dossier_reference"], unique=False)
    op.create_index(op.f("ix_attachments_purge_after"), "attachments", ["purge_after"], unique=False)
    _audit_events(EVENTS_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM audit_events WHERE event = 'attachment_downloaded'")
    _audit_events(EVENTS_BEFORE)
    op.drop_index(op.f("ix_attachments_purge_after"), table_name="attachments")
    op.drop_index(op.f("ix_attachments_dossier_reference"), table_name="attachments")
    op.drop_index(op.f("ix_attachments_draft_key"), table_name="attachments")
    op.drop_table("attachments")


def _audit_events(events: str) -> None:
    # SQLite cannot alter a constraint: batch mode copies the table with the new one (PostgreSQL alters in place).
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_constraint(op.f("ck_audit_events_event"), type_="check")
        batch.create_check_constraint(op.f("ck_audit_events_event"), f"event IN ({events})")
