"""The webhook outbox: events owed to the organisations, written in the transaction of what they tell.

The outbox is the source of truth of webhook delivery: a job queue only carries hints ("this row may be due"),
and the worker's periodic sweep finds any row whose hint was lost. A row is taken by a lease (`claim`: one atomic
UPDATE, so two workers never send it at once while the lease runs), then marked delivered, retried later or dead.
A delivered row is never claimed again; only a dead one can be replayed, under the same id.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from app.dossiers.hints import CommitHints
from app.dossiers.models import WebhookOutbox, utcnow
from app.model.webhook import OutboxEntry, OutboxStatus, WebhookEvent

log = logging.getLogger(__name__)



class Outbox:
    def __init__(self, engine: Engine, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.engine = engine
        self._clock = clock
        self._hints = CommitHints("webhook")

    def listen(self, listener: Callable[[str], None]) -> None:
        """Call `listener(id)` after the transaction that wrote a row has committed (the worker's hint)."""
        self._hints.listen(listener)

    def committed(self, ids: Iterable[str]) -> None:
        self._hints.committed(ids)

    def row(self, event: WebhookEvent, at: dt.datetime) -> WebhookOutbox:
        """A new pending row, for a caller to add in its own transaction (then call `committed`)."""
        return WebhookOutbox(id=new_outbox_id(), organisation=event.organisation, event_type=event.type,
                             payload=event.payload(at), status="pending", attempts=0, next_attempt_at=at,
                             created_at=at)

    def record(self, event: WebhookEvent) -> str:
        """Write one event in its own transaction (a cancellation); its id."""
        with Session(self.engine) as session, session.begin():
            row = self.row(event, self._clock())
            outbox_id = row.id
            session.add(row)
        log.info("webhook %s recorded (%s, %s)", outbox_id, event.type, event.organisation)
        self.committed([outbox_id])
        return outbox_id

    def due(self, limit: int = 100) -> list[str]:
        """The ids of pending rows whose next attempt is due, oldest first."""
        with Session(self.engine) as session:
            return list(session.scalars(
                select(WebhookOutbox.id)
                .where(WebhookOutbox.status == "pending", WebhookOutbox.next_attempt_at <= self._clock())
                .order_by(WebhookOutbox.next_attempt_at).limit(limit)
            ))

    def claim(self, outbox_id: str, lease: dt.timedelta) -> OutboxEntry | None:
        """Take a due pending row for `lease` (its next attempt moves past the lease); None when it is not due,
        not pending, or another worker took it first."""
        now = self._clock()
        with Session(self.engine) as session, session.begin():
            taken = session.execute(
                update(WebhookOutbox)
                .where(WebhookOutbox.id == outbox_id, WebhookOutbox.status == "pending",
                       WebhookOutbox.next_attempt_at <= now)
                .values(next_attempt_at=now + lease)
            ).rowcount
            if taken != 1:
                return None
            return _entry(session.get(WebhookOutbox, outbox_id))

    def delivered(self, outbox_id: str) -> None:
        now = self._clock()
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(WebhookOutbox).where(WebhookOutbox.id == outbox_id, WebhookOutbox.status == "pending")
                .values(status="delivered", delivered_at=now, attempts=WebhookOutbox.attempts + 1, last_error=None)
            )

    def failed(self, outbox_id: str, reason: str, retry_at: dt.datetime | None) -> None:
        """Count a failed attempt: pending again at `retry_at`, or dead when it is None."""
        values: dict = {"attempts": WebhookOutbox.attempts + 1, "last_error": reason[:64]}
        values.update({"next_attempt_at": retry_at} if retry_at is not None else {"status": "dead"})
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(WebhookOutbox).where(WebhookOutbox.id == outbox_id, WebhookOutbox.status == "pending")
                .values(**values)
            )

    def get(self, outbox_id: str) -> OutboxEntry | None:
        with Session(self.engine) as session:
            row = session.get(WebhookOutbox, outbox_id)
            return _entry(row) if row is not None else None

    def entries(self, status: OutboxStatus | None = None, limit: int = 100) -> list[OutboxEntry]:
        """The newest rows first, of one status or all."""
        query = select(WebhookOutbox).order_by(WebhookOutbox.created_at.desc(), WebhookOutbox.id).limit(limit)
        if status is not None:
            query = query.where(WebhookOutbox.status == status)
        with Session(self.engine) as session:
            return [_entry(row) for row in session.scalars(query)]

    def counts(self) -> dict[str, int]:
        """How many rows per status (the metrics' webhook backlog, read at scrape time)."""
        with Session(self.engine) as session:
            rows = session.execute(select(WebhookOutbox.status, func.count()).group_by(WebhookOutbox.status))
            return {status: count for status, count in rows}

    def replay(self, outbox_id: str) -> bool:
        """Put a dead row back in the queue, same id, attempts from zero; False unless it was dead."""
        with Session(self.engine) as session, session.begin():
            replayed = session.execute(
                update(WebhookOutbox).where(WebhookOutbox.id == outbox_id, WebhookOutbox.status == "dead")
                .values(status="pending", attempts=0, next_attempt_at=self._clock())
            ).rowcount == 1
        if replayed:
            log.info("webhook %s replayed", outbox_id)
            self.committed([outbox_id])
        return replayed


    def forget(self, *, delivered_for: dt.timedelta, dead_for: dt.timedelta, now: dt.datetime | None = None) -> int:
        """Delete the rows whose story is over: delivered ones after `delivered_for` (the receiver has had them
        long since), dead ones after `dead_for` (left for an operator to replay until then)."""
        now = now or self._clock()
        over = ((WebhookOutbox.status == "delivered") & (WebhookOutbox.delivered_at <= now - delivered_for)) | (
            (WebhookOutbox.status == "dead") & (WebhookOutbox.created_at <= now - dead_for))
        with Session(self.engine) as session, session.begin():
            return session.execute(delete(WebhookOutbox).where(over)).rowcount or 0


def new_outbox_id() -> str:
    """A `webhook-id`: random, opaque, stable across every attempt of one event."""
    return f"msg_{uuid.uuid4().hex}"


def _entry(row: WebhookOutbox) -> OutboxEntry:
    return OutboxEntry(
        id=row.id, organisation=row.organisation, event_type=row.event_type, payload=row.payload,
        status=row.status, attempts=row.attempts, next_attempt_at=row.next_attempt_at, created_at=row.created_at,
        last_error=row.last_error, delivered_at=row.delivered_at,
    )
