"""The person's files: stored encrypted, bound to their draft, then to the dossier in the submission's
transaction; purged with the dossier, or when a draft is never sent.

Plain arguments in, `model` values out, no Flask. A file's bytes and name are never logged: lines carry
attachment ids, kinds, sizes and references only. The content checks (is it really a PDF, a JPEG, a PNG?) are the
journeys' (app/journeys/uploads.py); this room enforces the caps, whoever calls it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from app.dossiers import crypto
from app.dossiers.errors import AttachmentNotFound, AttachmentRefused, AttachmentsChanged, DossierDecryptionError
from app.dossiers.models import Attachment as AttachmentRow
from app.dossiers.models import utcnow
from app.model.attachment import (
    ATTACHMENT_KINDS,
    MEDIA_TYPES,
    Attachment,
    AttachmentFile,
    is_attachment_id,
    new_attachment_id,
)
from app.model.dossier import JOURNEYS, is_reference

log = logging.getLogger(__name__)

MAX_NAME_LENGTH = 120
REKEY_BATCH = 50  # files are up to a few MB each


@dataclass(frozen=True)
class AttachmentLimits:
    """Caps per file, per draft (count and total), and how long a draft's files wait for their dossier."""

    max_file_bytes: int = 5 * 1024 * 1024
    max_count: int = 8
    max_total_bytes: int = 20 * 1024 * 1024
    draft_hours: int = 24


class AttachmentStore:
    def __init__(self, engine: Engine, cipher: crypto.DossierCipher, *, limits: AttachmentLimits | None = None,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.engine = engine
        self._cipher = cipher
        self.limits = limits or AttachmentLimits()
        self._clock = clock

    def __repr__(self) -> str:
        return f"<AttachmentStore {self.engine.dialect.name}>"

    def add(self, *, draft_key: str, organisation: str, journey: str, kind: str, media_type: str, name: str,
            data: bytes) -> Attachment:
        """Store one checked file for a draft; AttachmentRefused beyond a cap (nothing is stored then)."""
        if kind not in ATTACHMENT_KINDS or media_type not in MEDIA_TYPES or journey not in JOURNEYS:
            raise ValueError("unknown attachment kind, media type or journey")
        if not draft_key:
            raise ValueError("an attachment needs a draft")
        limits = self.limits
        if len(data) > limits.max_file_bytes:
            raise AttachmentRefused("file_too_large")
        name = _clean_name(name)
        digest = hashlib.sha256(data).hexdigest()
        attachment = Attachment(id=new_attachment_id(), kind=kind, media_type=media_type, size=len(data),
                                sha256=digest, name=name)
        meta = self._cipher.encrypt_bytes(json.dumps({"name": name, "sha256": digest}).encode())
        content = self._cipher.encrypt_bytes(data)
        now = self._clock()
        with Session(self.engine) as session, session.begin():
            count, total = session.execute(
                select(func.count(), func.coalesce(func.sum(AttachmentRow.size), 0))
                .where(AttachmentRow.draft_key == draft_key, AttachmentRow.dossier_reference.is_(None))
            ).one()
            if count >= limits.max_count:
                raise AttachmentRefused("too_many_files")
            if total + len(data) > limits.max_total_bytes:
                raise AttachmentRefused("total_too_large")
            session.add(AttachmentRow(
                id=attachment.id, draft_key=draft_key, organisation=organisation, journey=journey, kind=kind,
                media_type=media_type, size=len(data), created_at=now,
                purge_after=now + dt.timedelta(hours=limits.draft_hours), meta=meta, content=content,
            ))
        log.info("attachment %s stored (%s, %s, %d bytes)", attachment.id, kind, media_type, len(data))
        return attachment

    def for_draft(self, draft_key: str) -> list[Attachment]:
        """The draft's files not yet bound to a dossier, oldest first."""
        if not draft_key:
            return []
        return self._list(_DRAFT_FILES, {"draft_key": draft_key})

    def remove_draft(self, draft_key: str) -> int:
        """Delete every file of a draft not sent (the person gave up); how many."""
        if not draft_key:
            return 0
        with Session(self.engine) as session, session.begin():
            deleted = session.execute(
                delete(AttachmentRow).where(AttachmentRow.draft_key == draft_key,
                                            AttachmentRow.dossier_reference.is_(None)),
                execution_options={"synchronize_session": False},
            ).rowcount
        if deleted:
            log.info("removed %d attachment(s) of an abandoned draft", deleted)
        return deleted

    def for_dossier(self, reference: str) -> list[Attachment]:
        if not is_reference(reference):
            return []
        return self._list(_DOSSIER_FILES, {"reference": reference})

    def remove(self, draft_key: str, attachment_id: str) -> bool:
        """Delete one of the draft's files; False when it is not one (another draft's, already sent, unknown)."""
        if not draft_key or not is_attachment_id(attachment_id):
            return False
        with Session(self.engine) as session, session.begin():
            deleted = session.execute(
                delete(AttachmentRow).where(AttachmentRow.id == attachment_id, AttachmentRow.draft_key == draft_key,
                                            AttachmentRow.dossier_reference.is_(None)),
                execution_options={"synchronize_session": False},
            ).rowcount
        if deleted:
            log.info("attachment %s removed from its draft", attachment_id)
        return bool(deleted)

    def read(self, reference: str, attachment_id: str) -> AttachmentFile:
        """One of a dossier's files with its bytes; AttachmentNotFound unless it belongs to that dossier."""
        row = None
        if is_reference(reference) and is_attachment_id(attachment_id):
            with Session(self.engine) as session:
                row = session.scalar(select(AttachmentRow).where(AttachmentRow.id == attachment_id,
                                                                 AttachmentRow.dossier_reference == reference))
        if row is None:
            raise AttachmentNotFound("no attachment of this dossier has this id")
        return AttachmentFile(attachment=self._value(row), data=self._cipher.decrypt_bytes(row.content))

    def bind(self, session: Session, *, draft_key: str, ids: Sequence[str], reference: str,
             purge_after: dt.datetime) -> None:
        """In the submission's transaction: the draft's files listed in the content become the dossier's.
        AttachmentsChanged when one of them is gone (the caller's transaction then rolls back)."""
        if not ids:
            return
        bound = session.execute(
            update(AttachmentRow)
            .where(AttachmentRow.id.in_(list(ids)), AttachmentRow.draft_key == draft_key,
                   AttachmentRow.dossier_reference.is_(None))
            .values(dossier_reference=reference, purge_after=purge_after),
            execution_options={"synchronize_session": False},
        ).rowcount
        if bound != len(set(ids)):
            raise AttachmentsChanged("a file listed in the dossier is no longer attached to its draft")

    def delete_for(self, session: Session, references: Sequence[str]) -> int:
        """In the purge's transaction: the purged dossiers' files."""
        if not references:
            return 0
        return session.execute(
            delete(AttachmentRow).where(AttachmentRow.dossier_reference.in_(list(references))),
            execution_options={"synchronize_session": False},
        ).rowcount

    def purge_orphans(self, now: dt.datetime) -> int:
        """Delete the files of drafts never sent, past their wait."""
        with Session(self.engine) as session, session.begin():
            deleted = session.execute(
                delete(AttachmentRow).where(AttachmentRow.dossier_reference.is_(None),
                                            AttachmentRow.purge_after <= now),
                execution_options={"synchronize_session": False},
            ).rowcount
        if deleted:
            log.info("purged %d attachment(s) of drafts never sent", deleted)
        return deleted

    def rekey(self) -> int:
        """Re-encrypt every file and its metadata with the first key; return how many."""
        count, last_id = 0, ""
        while True:
            with Session(self.engine) as session, session.begin():
                batch = session.scalars(select(AttachmentRow).where(AttachmentRow.id > last_id)
                                        .order_by(AttachmentRow.id).limit(REKEY_BATCH)).all()
                if not batch:
                    return count
                for row in batch:
                    try:
                        row.content = self._cipher.rotate(row.content)
                        row.meta = self._cipher.rotate(row.meta)
                    except DossierDecryptionError:
                        raise DossierDecryptionError(
                            f"attachment {row.id} cannot be decrypted with the configured keys") from None
                last_id = batch[-1].id
            count += len(batch)

    def _list(self, statement, parameters: dict[str, str]) -> list[Attachment]:
        # Read on the attachments step, the review and the send: columns only, so a plain connection (no ORM
        # session to set up). Not the files' bytes: a listing decrypts only their names and digests.
        with self.engine.connect() as connection:
            return [self._value(row) for row in connection.execute(statement, parameters)]

    def _value(self, row) -> Attachment:
        meta = json.loads(self._cipher.decrypt_bytes(row.meta))
        return Attachment(id=row.id, kind=row.kind, media_type=row.media_type, size=row.size,
                          sha256=meta["sha256"], name=meta["name"])


# The listings, built once rather than on each of a journey's three reads (≈ 40 µs of CPU each to build and key).
_LISTED = select(AttachmentRow.id, AttachmentRow.kind, AttachmentRow.media_type, AttachmentRow.size,
                 AttachmentRow.meta).order_by(AttachmentRow.created_at, AttachmentRow.id)
_DRAFT_FILES = _LISTED.where(AttachmentRow.draft_key == bindparam("draft_key"),
                             AttachmentRow.dossier_reference.is_(None))
_DOSSIER_FILES = _LISTED.where(AttachmentRow.dossier_reference == bindparam("reference"))


def _clean_name(name: str) -> str:
    """The file name as sent, without control or invisible characters nor any folder, cut to a length a page
    can show. Still untrusted text: templates escape it."""
    text = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if ch.isprintable())
    return text[:MAX_NAME_LENGTH].strip() or "fichier"
