"""Tables of the dossiers room, portable between SQLite and PostgreSQL.

Only what routes and purges a dossier is stored in clear; everything personal is inside `content`, a Fernet
token. Every schema change needs an Alembic revision (`flask db revision --autogenerate -m "..."`); autogenerate
does not see CHECK constraints, so changing a vocabulary below needs a hand-written one.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Dialect,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.model.attachment import ATTACHMENT_KINDS, MEDIA_TYPES
from app.model.dossier import AUDIT_EVENTS, JOURNEYS, STATUSES
from app.model.webhook import EVENT_TYPES, OUTBOX_STATUSES

# Explicit constraint names, identical on both databases, so that migrations can name what they alter.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on both databases (SQLite keeps no offset: it stores naive UTC, read back aware)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the dossiers room only stores aware UTC datetimes")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Dossier(Base):
    """One submitted form. `content` is the Fernet token of the canonical JSON of the form's values."""

    __tablename__ = "dossiers"
    __table_args__ = (
        CheckConstraint(_one_of("journey", JOURNEYS), name="journey"),
        CheckConstraint(_one_of("status", STATUSES), name="status"),
        # What the organisations' pull API will ask: "my dossiers not delivered yet".
        Index("ix_dossiers_organisation_status", "organisation", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    reference: Mapped[str] = mapped_column(String(16), unique=True, index=True)
    organisation: Mapped[str] = mapped_column(String(64))
    journey: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    purge_after: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class AuditEvent(Base):
    """What happened, when, to which pseudonymous subject: never a name, a NIR, a token or free text."""

    __tablename__ = "audit_events"
    __table_args__ = (CheckConstraint(_one_of("event", AUDIT_EVENTS), name="event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    event: Mapped[str] = mapped_column(String(32))
    journey: Mapped[str | None] = mapped_column(String(16))
    organisation: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(64))  # HMAC-SHA256 of the FranceConnect sub, hex
    detail: Mapped[str] = mapped_column(String(64), default="")
    # Not a foreign key: the trail outlives the dossiers it speaks of.
    dossier_reference: Mapped[str | None] = mapped_column(String(16), index=True)
    purge_after: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class UsedLaunchToken(Base):
    """A portal's launch token already used: its `jti` may not start a journey again before the token expires."""

    __tablename__ = "used_launch_tokens"
    __table_args__ = (UniqueConstraint("organisation", "jti_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation: Mapped[str] = mapped_column(String(64))
    jti_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the jti, hex: bounded size, nothing to read
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class WebhookOutbox(Base):
    """An event owed to an organisation's webhook, written in the transaction of what it tells (the outbox).

    `id` is the `webhook-id` of every attempt: receivers de-duplicate on it. `payload` holds no personal data
    (app/model/webhook.py), so it is kept in clear; `last_error` is a reason code, never a response body.
    """

    __tablename__ = "webhook_outbox"
    __table_args__ = (
        CheckConstraint(_one_of("event_type", EVENT_TYPES), name="event_type"),
        CheckConstraint(_one_of("status", OUTBOX_STATUSES), name="status"),
        # What the worker asks every sweep: the pending rows that are due.
        Index("ix_webhook_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "msg_" + 32 hex (outbox.new_outbox_id)
    organisation: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class MailOutbox(Base):
    """An e-mail acknowledgement owed to the person, written in the dossier's transaction.

    `message` is the rendered message, encrypted with the dossiers' keys (it carries the person's address); the
    row is deleted once the relay took it, or when sending gives up. `last_error` is a reason code.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_next_attempt_at", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "mail_" + 32 hex
    dossier_reference: Mapped[str] = mapped_column(String(16))
    message: Mapped[bytes] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Attachment(Base):
    """A file the person attached: bound to their draft (its idempotency key) until the dossier is stored, then to
    the dossier (its reference, set in the submission's transaction).

    `content` is the Fernet token of the file's bytes and `meta` that of its name and SHA-256, with the dossiers'
    keys; what routes and purges the file (kind, media type, size, owner, dates) is in clear. A draft's files are
    purged at `purge_after` if it is never sent; a dossier's go with it.
    """

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint(_one_of("kind", ATTACHMENT_KINDS), name="kind"),
        CheckConstraint(_one_of("media_type", MEDIA_TYPES), name="media_type"),
        CheckConstraint(_one_of("journey", JOURNEYS), name="journey"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "att_" + 32 hex
    draft_key: Mapped[str] = mapped_column(String(128), index=True)
    dossier_reference: Mapped[str | None] = mapped_column(String(16), index=True)
    organisation: Mapped[str] = mapped_column(String(64))
    journey: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    media_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    purge_after: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    meta: Mapped[bytes] = mapped_column(LargeBinary)
    content: Mapped[bytes] = mapped_column(LargeBinary)
