"""The mail outbox: the person's e-mail acknowledgements, written in the dossier's transaction.

Like the webhook outbox (`outbox.py`), the table is the source of truth and a job queue only carries hints. A row
holds the rendered message encrypted with the dossiers' keys, since it carries the person's address; it is
deleted once the relay took it, or when sending gives up. Logs carry row ids and dossier references only.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from app.dossiers.crypto import DossierCipher
from app.dossiers.errors import DossierDecryptionError
from app.dossiers.hints import CommitHints
from app.dossiers.models import MailOutbox as MailRow
from app.dossiers.models import utcnow

log = logging.getLogger(__name__)

Render = Callable[[str], bytes]  # the dossier's reference → the message, ready to send


@dataclass(frozen=True)
class MailEntry:
    id: str
    dossier_reference: str
    attempts: int  # attempts made before this one
    message: bytes = field(repr=False)  # RFC 5322 bytes: the person's address is in it


class MailOutbox:
    def __init__(self, engine: Engine, cipher: DossierCipher, *,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.engine = engine
        self._cipher = cipher
        self._clock = clock
        self._hints = CommitHints("mail")

    def listen(self, listener: Callable[[str], None]) -> None:
        """Call `listener(id)` after the transaction that wrote a row has committed (the worker's hint)."""
        self._hints.listen(listener)

    def committed(self, ids: Iterable[str]) -> None:
        self._hints.committed(ids)

    def __repr__(self) -> str:
        return "<MailOutbox>"

    def now(self) -> dt.datetime:
        return self._clock()

    def row(self, render: Render, reference: str, at: dt.datetime) -> MailRow:
        """A new row for `reference`, for a caller to add in its own transaction (then call `committed`)."""
        sealed = self._cipher.encrypt({"message": base64.b64encode(render(reference)).decode()})
        return MailRow(id=f"mail_{uuid.uuid4().hex}", dossier_reference=reference, message=sealed, attempts=0,
                       next_attempt_at=at, created_at=at)

    def due(self, limit: int = 100) -> list[str]:
        """The ids of rows whose next attempt is due, oldest first."""
        with Session(self.engine) as session:
            return list(session.scalars(
                select(MailRow.id).where(MailRow.next_attempt_at <= self._clock())
                .order_by(MailRow.next_attempt_at).limit(limit)
            ))

    def claim(self, mail_id: str, lease: dt.timedelta) -> MailEntry | None:
        """Take a due row for `lease`, decrypted; None when it is not due, gone, or another worker took it."""
        now = self._clock()
        with Session(self.engine) as session, session.begin():
            taken = session.execute(
                update(MailRow).where(MailRow.id == mail_id, MailRow.next_attempt_at <= now)
                .values(next_attempt_at=now + lease)
            ).rowcount
            if taken != 1:
                return None
            row = session.get(MailRow, mail_id)
            entry = MailEntry(id=row.id, dossier_reference=row.dossier_reference, attempts=row.attempts,
                              message=b"")
            sealed = row.message
        try:
            message = base64.b64decode(self._cipher.decrypt(sealed)["message"])
        except DossierDecryptionError:  # its key was retired before it could be sent: it never will be
            log.warning("mail %s (dossier %s): no configured key opens it, given up", mail_id,
                        entry.dossier_reference)
            self._delete(mail_id)
            return None
        return replace(entry, message=message)

    def sent(self, mail_id: str) -> None:
        """The relay took it: the row, and the address in it, are deleted."""
        self._delete(mail_id)

    def failed(self, mail_id: str, reason: str, retry_at: dt.datetime | None) -> None:
        """Count a failed attempt: due again at `retry_at`, or deleted (given up) when it is None."""
        if retry_at is None:
            self._delete(mail_id)
            return
        with Session(self.engine) as session, session.begin():
            session.execute(update(MailRow).where(MailRow.id == mail_id).values(
                attempts=MailRow.attempts + 1, last_error=reason[:64], next_attempt_at=retry_at))

    def attempts(self, mail_id: str) -> int | None:
        """How many attempts failed so far; None when the row is gone (sent or given up)."""
        with Session(self.engine) as session:
            return session.scalar(select(MailRow.attempts).where(MailRow.id == mail_id))

    def count(self) -> int:
        with Session(self.engine) as session:
            return session.scalar(select(func.count()).select_from(MailRow)) or 0

    def _delete(self, mail_id: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(delete(MailRow).where(MailRow.id == mail_id))
