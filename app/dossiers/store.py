"""The dossier store: idempotent submission, decryption on read, delivery, retention purge and rekey.

Plain arguments in, `model` values out, no Flask. Each call runs in its own short transaction, so one store is
shared by every thread and request. Logs carry references and counts only.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Engine, and_, bindparam, case, delete, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.dossiers import audit as audit_trail
from app.dossiers import crypto
from app.dossiers.attachments import AttachmentStore
from app.dossiers.errors import DossierDecryptionError, DossierNotFound, InvalidDossier
from app.dossiers.mail_outbox import MailOutbox, Render
from app.dossiers.models import Dossier, UTCDateTime, utcnow
from app.dossiers.outbox import Outbox
from app.model.attachment import AttachmentFile
from app.model.dossier import (
    JOURNEYS,
    STATUSES,
    DossierSummary,
    PurgeReport,
    StoredDossier,
    SubmittedDossier,
    is_organisation,
    is_reference,
    new_reference,
)
from app.model.webhook import EVENT_TYPES, WebhookEvent

log = logging.getLogger(__name__)

# The journeys generate this key (e.g. a UUID per review page); the charset keeps personal data out of it.
IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")
MAX_LIST_LIMIT = 1000  # the pull API asks for at most 200 (+1 to know whether a page follows)
REFERENCE_ATTEMPTS = 5  # 40 random bits each: a second collision in a row means something else is wrong
PURGE_BATCH = 500
_REFERENCE_OF = select(Dossier.reference).where(Dossier.idempotency_key == bindparam("key"))


class DossierStore:
    def __init__(
        self,
        engine: Engine,
        cipher: crypto.DossierCipher,
        *,
        audit: audit_trail.AuditTrail,
        clock: Callable[[], dt.datetime] = utcnow,
        outbox: Outbox | None = None,
        mail_outbox: MailOutbox | None = None,
        attachments: AttachmentStore | None = None,
    ) -> None:
        self.engine = engine
        self._cipher = cipher
        self._audit = audit
        self._clock = clock
        self.outbox = outbox if outbox is not None else Outbox(engine, clock=clock)
        self.mail_outbox = mail_outbox if mail_outbox is not None else MailOutbox(engine, cipher, clock=clock)
        self.attachments = attachments if attachments is not None else AttachmentStore(engine, cipher, clock=clock)

    def __repr__(self) -> str:
        return f"<DossierStore {self.engine.dialect.name}>"

    def submit(
        self,
        *,
        idempotency_key: str,
        organisation: str,
        journey: str,
        content: dict[str, Any],
        retention_days: int,
        sub: str | None = None,
        events: Sequence[WebhookEvent] = (),
        acknowledgement: Render | None = None,
        attachments: Sequence[str] = (),
        source_outcomes: Sequence[str] = (),
    ) -> SubmittedDossier:
        """Store a dossier once per idempotency key; `sub` only feeds the audit events' pseudonym.

        `source_outcomes` (audit details such as `cnam:ok:partial`) are recorded as `source_outcome` events in the
        dossier's transaction, after its `dossier_submitted`: one commit for the whole submission.

        `events` (webhook notices) are written to the outbox in the dossier's transaction, with its reference;
        a repeated submission writes none. Likewise the person's e-mail acknowledgement: `acknowledgement(reference)`
        is rendered and written, encrypted, to the mail outbox. And the draft's files whose ids the content lists
        (`attachments`, bound to the draft by this idempotency key) become the dossier's: AttachmentsChanged, and
        nothing stored, when one of them is no longer there.

        The same key again returns the first dossier with created=False, even when two requests race: the unique
        index decides and the loser re-reads the winner. A repeat that differs (content, organisation or journey)
        still gets the first dossier, with a warning naming its reference: the key stands for one submission of one
        form, and the citizen already holds that dossier's receipt.
        """
        _check_submission(idempotency_key, organisation, journey, retention_days)
        _check_events(events, organisation)
        ciphertext = self._cipher.encrypt(content)  # refuses non-JSON content before anything is stored
        existing = self._find(idempotency_key)
        if existing is not None:
            return self._repeat(existing, organisation, journey, content)

        now = self._clock()
        for _ in range(REFERENCE_ATTEMPTS):
            reference = new_reference()
            try:
                with Session(self.engine) as session, session.begin():
                    session.add(Dossier(
                        reference=reference,
                        organisation=organisation,
                        journey=journey,
                        status="submitted",
                        idempotency_key=idempotency_key,
                        created_at=now,
                        purge_after=now + dt.timedelta(days=retention_days),
                        content=ciphertext,
                    ))
                    # Same transaction: a dossier never exists without its audit event, nor the reverse.
                    session.add(self._audit.event("dossier_submitted", journey=journey, organisation=organisation,
                                                  sub=sub, dossier_reference=reference, at=now))
                    session.add_all([self._audit.event("source_outcome", journey=journey, organisation=organisation,
                                                       sub=sub, detail=detail, dossier_reference=reference, at=now)
                                     for detail in source_outcomes])
                    # And never without the webhooks it owes: the outbox rows commit with it.
                    notices = [self.outbox.row(replace(e, dossier_reference=reference), now) for e in events]
                    session.add_all(notices)
                    notice_ids = [notice.id for notice in notices]
                    mails = [self.mail_outbox.row(acknowledgement, reference, now)] if acknowledgement else []
                    session.add_all(mails)
                    mail_ids = [mail.id for mail in mails]
                    # And with the files the content lists: they leave the draft and follow the dossier.
                    self.attachments.bind(session, draft_key=idempotency_key, ids=attachments, reference=reference,
                                          purge_after=now + dt.timedelta(days=retention_days))
            except IntegrityError:
                existing = self._find(idempotency_key)
                if existing is not None:
                    return self._repeat(existing, organisation, journey, content)
                log.warning("dossier reference collision, drawing another one")
                continue
            log.info("dossier %s submitted (%s, %s)", reference, journey, organisation)
            self.outbox.committed(notice_ids)
            self.mail_outbox.committed(mail_ids)
            return SubmittedDossier(reference=reference, created=True, created_at=now)
        raise RuntimeError(f"no free dossier reference after {REFERENCE_ATTEMPTS} attempts")

    def get(self, reference: str) -> StoredDossier:
        """The decrypted dossier; DossierNotFound, or DossierDecryptionError when no configured key opens it."""
        row = self._find_reference(reference)
        return StoredDossier(
            reference=row.reference,
            organisation=row.organisation,
            journey=row.journey,
            status=row.status,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
            purge_after=row.purge_after,
            content=self._cipher.decrypt(row.content),
        )

    def download_attachment(self, reference: str, attachment_id: str) -> AttachmentFile:
        """One of the dossier's files with its bytes, the download written to the audit trail (the kind as
        detail); AttachmentNotFound unless the file belongs to this dossier."""
        file = self.attachments.read(reference, attachment_id)
        row = self._find_reference(reference)
        self._audit.record("attachment_downloaded", journey=row.journey, organisation=row.organisation,
                           detail=file.attachment.kind, dossier_reference=reference)
        log.info("dossier %s: attachment %s downloaded", reference, attachment_id)
        return file

    def summary(self, reference: str) -> DossierSummary:
        """What routes the dossier, without decrypting it; DossierNotFound when there is none."""
        row = self._find_reference(reference)
        return DossierSummary(reference=row.reference, organisation=row.organisation, journey=row.journey,
                              status=row.status, created_at=row.created_at, delivered_at=row.delivered_at,
                              purge_after=row.purge_after)

    def list_for(self, organisation: str, *, status: str | None = None, since: dt.datetime | None = None,
                 after: tuple[dt.datetime, str] | None = None, limit: int = 50) -> list[DossierSummary]:
        """An organisation's dossiers, oldest first, without their content (nothing is decrypted).

        `since` keeps those created at or after it; `after` is the (created_at, reference) of the last dossier of
        the previous page: the order is total, so a page never repeats nor skips a dossier.
        """
        if status is not None and status not in STATUSES:
            raise InvalidDossier(f"status must be one of {', '.join(STATUSES)}")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIST_LIMIT:
            raise InvalidDossier(f"limit must be a whole number from 1 to {MAX_LIST_LIMIT}")
        # ix_dossiers_organisation_status serves the organisation (and status) filter.
        query = select(Dossier.reference, Dossier.organisation, Dossier.journey, Dossier.status,
                       Dossier.created_at, Dossier.delivered_at, Dossier.purge_after
                       ).where(Dossier.organisation == organisation)
        if status is not None:
            query = query.where(Dossier.status == status)
        if since is not None:
            query = query.where(Dossier.created_at >= since)
        if after is not None:
            created_at, reference = after
            query = query.where(or_(Dossier.created_at > created_at,
                                    and_(Dossier.created_at == created_at, Dossier.reference > reference)))
        query = query.order_by(Dossier.created_at, Dossier.reference).limit(limit)
        with Session(self.engine) as session:
            rows = session.execute(query).all()
        return [DossierSummary(**row._asdict()) for row in rows]

    def mark_delivered(self, reference: str, *, retention_days: int | None = None) -> bool:
        """Mark a dossier delivered to its organisation; False when it already was (a repeated pull).

        With `retention_days`, the purge comes that many days after the delivery, never later than it was due:
        once the organisation holds its copy, ours only serves the person's receipt.
        """
        now = self._clock()
        values: dict[str, Any] = {"status": "delivered", "delivered_at": now}
        if retention_days is not None:
            if isinstance(retention_days, bool) or not isinstance(retention_days, int) or retention_days < 1:
                raise InvalidDossier("retention_days must be a positive number of days")
            deadline = literal(now + dt.timedelta(days=retention_days), UTCDateTime())
            values["purge_after"] = case((Dossier.purge_after > deadline, deadline), else_=Dossier.purge_after)
        with Session(self.engine) as session, session.begin():
            result = session.execute(
                update(Dossier)
                .where(Dossier.reference == reference, Dossier.status == "submitted")
                .values(**values)
                .returning(Dossier.journey, Dossier.organisation)
            ).one_or_none()
            if result is None:
                self._find_reference(reference)  # DossierNotFound when it does not exist at all
                return False
            session.add(self._audit.event("dossier_delivered", journey=result.journey,
                                          organisation=result.organisation, dossier_reference=reference, at=now))
        log.info("dossier %s delivered", reference)
        return True

    def purge(self, now: dt.datetime | None = None) -> PurgeReport:
        """Delete the dossiers and audit events whose purge_after ≤ now; one `dossier_purged` event per dossier."""
        now = now or self._clock()
        with Session(self.engine) as session, session.begin():
            audit_events = audit_trail.delete_due(session, now)
        dossiers = undelivered = files = 0
        while True:
            with Session(self.engine) as session, session.begin():
                due = session.scalars(
                    select(Dossier.id).where(Dossier.purge_after <= now).order_by(Dossier.purge_after)
                    .limit(PURGE_BATCH)
                ).all()
                if not due:
                    break
                # RETURNING: a concurrent purge may have taken some rows; record only what this one deleted.
                purged = session.execute(
                    delete(Dossier).where(Dossier.id.in_(due))
                    .returning(Dossier.reference, Dossier.journey, Dossier.organisation, Dossier.status),
                    execution_options={"synchronize_session": False},
                ).all()
                for row in purged:
                    session.add(self._audit.event(
                        "dossier_purged", journey=row.journey, organisation=row.organisation,
                        detail="delivered" if row.status == "delivered" else "undelivered",
                        dossier_reference=row.reference,
                    ))
                files += self.attachments.delete_for(session, [row.reference for row in purged])
                dossiers += len(purged)
                undelivered += sum(row.status != "delivered" for row in purged)
        if undelivered:
            log.warning("purged %d dossier(s) their organisation never pulled", undelivered)
        files += self.attachments.purge_orphans(now)
        log.info("purged %d dossier(s), %d attachment(s) and %d audit event(s)", dossiers, files, audit_events)
        return PurgeReport(dossiers=dossiers, audit_events=audit_events, attachments=files)

    def rekey(self) -> int:
        """Re-encrypt every dossier, then every attachment, with the first key; return how many dossiers."""
        with Session(self.engine) as session:
            count = crypto.rekey(session, self._cipher)
        files = self.attachments.rekey()
        log.info("re-encrypted %d dossier(s) and %d attachment(s) with the first key", count, files)
        return count

    def reference_of(self, idempotency_key: str) -> str | None:
        """The reference of the dossier stored with this idempotency key, if any."""
        if not isinstance(idempotency_key, str) or not IDEMPOTENCY_KEY_PATTERN.fullmatch(idempotency_key):
            return None
        # Asked on every journey step: the reference column alone, not the row and its encrypted content, on a
        # plain connection (no ORM session to set up for one scalar: 0.35 -> 0.2 ms of CPU on SQLite), with a
        # statement built once (73 -> 26 µs).
        with self.engine.connect() as connection:
            return connection.scalar(_REFERENCE_OF, {"key": idempotency_key})

    def _find(self, idempotency_key: str) -> Dossier | None:
        # Nearly every submission is a new one: the reference's lookup first, the whole row through an ORM session
        # only for a repeat (a quarter of the CPU for a new one: 136 against 511 µs, measured side by side).
        if self.reference_of(idempotency_key) is None:
            return None
        with Session(self.engine) as session:
            return session.scalar(select(Dossier).where(Dossier.idempotency_key == idempotency_key))

    def _find_reference(self, reference: str) -> Dossier:
        row = None
        if is_reference(reference):
            with Session(self.engine) as session:
                row = session.scalar(select(Dossier).where(Dossier.reference == reference))
        if row is None:
            raise DossierNotFound("no dossier has this reference")
        return row

    def _repeat(self, existing: Dossier, organisation: str, journey: str, content: dict[str, Any]) -> SubmittedDossier:
        same: bool | None
        try:
            first = crypto.canonical_json(self._cipher.decrypt(existing.content))
        except DossierDecryptionError:
            same = None
        else:
            same = (existing.organisation, existing.journey, first) == (organisation, journey,
                                                                         crypto.canonical_json(content))
        if same is False:
            log.warning("dossier %s: idempotency key reused with a different submission; kept the first one",
                        existing.reference)
        elif same is None:
            log.warning("dossier %s: idempotency key reused; the first submission cannot be decrypted to compare",
                        existing.reference)
        else:
            log.info("dossier %s: repeated submission", existing.reference)
        return SubmittedDossier(reference=existing.reference, created=False, created_at=existing.created_at)


def _check_submission(idempotency_key: str, organisation: str, journey: str, retention_days: int) -> None:
    if not isinstance(idempotency_key, str) or not IDEMPOTENCY_KEY_PATTERN.fullmatch(idempotency_key):
        raise InvalidDossier("idempotency_key must be 8 to 128 characters among A-Z a-z 0-9 _ . : -")
    if not is_organisation(organisation):
        raise InvalidDossier("organisation must be a registry identifier (letters, digits, _ . : -)")
    if journey not in JOURNEYS:
        raise InvalidDossier(f"journey must be one of {', '.join(JOURNEYS)}")
    if isinstance(retention_days, bool) or not isinstance(retention_days, int) or retention_days < 1:
        raise InvalidDossier("retention_days must be a positive number of days")


def _check_events(events: Sequence[WebhookEvent], organisation: str) -> None:
    for event in events:
        if event.type not in EVENT_TYPES or event.organisation != organisation:
            raise InvalidDossier("a webhook event must be of a known type and for the dossier's organisation")
