"""Opening the dossiers room: one engine; the audit trail, the store, the launch ledger and the outboxes on it;
schema at head."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from app.dossiers import database
from app.dossiers.attachments import AttachmentStore
from app.dossiers.audit import AuditTrail
from app.dossiers.crypto import DossierCipher
from app.dossiers.launches import LaunchLedger
from app.dossiers.mail_outbox import MailOutbox
from app.dossiers.outbox import Outbox
from app.dossiers.settings import DossierSettings
from app.dossiers.store import DossierStore


@dataclass(frozen=True)
class DossiersRoom:
    engine: Engine
    store: DossierStore
    audit: AuditTrail
    launches: LaunchLedger
    outbox: Outbox
    mail_outbox: MailOutbox
    attachments: AttachmentStore


def open_room(settings: DossierSettings, *, upgrade_schema: bool = False) -> DossiersRoom:
    """`upgrade_schema=True` (development and tests) runs `alembic upgrade head` now; production runs
    `flask db upgrade` as a deployment step instead."""
    engine = database.make_engine(settings.database_uri)
    audit = AuditTrail(engine, pseudonym_key=settings.pseudonym_key, retention_days=settings.audit_retention_days)
    cipher = DossierCipher(settings.encryption_keys)
    store = DossierStore(engine, cipher, audit=audit,
                         attachments=AttachmentStore(engine, cipher, limits=settings.attachments))
    if upgrade_schema:
        database.ensure_schema(engine)
    return DossiersRoom(engine=engine, store=store, audit=audit, launches=LaunchLedger(engine), outbox=store.outbox,
                       mail_outbox=store.mail_outbox, attachments=store.attachments)
