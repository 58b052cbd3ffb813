"""Webhook events: what an organisation is told happened, and an outbox entry as the rooms hand it around.

An event says *that* something happened — its type, the references, the organisation, the time — never what
the dossier holds: no name, NIR, right or health datum, so its payload is stored and sent in clear.
Standard library only.
"""

from __future__ import annotations

import datetime as dt
import json
import typing
from dataclasses import dataclass, field
from typing import Literal

EventType = Literal["dossier.submitted", "journey.cancelled"]
EVENT_TYPES: tuple[EventType, ...] = typing.get_args(EventType)

OutboxStatus = Literal["pending", "delivered", "dead"]
OUTBOX_STATUSES: tuple[OutboxStatus, ...] = typing.get_args(OutboxStatus)


@dataclass(frozen=True)
class WebhookEvent:
    """One event for one organisation. `dossier_reference` is filled by the store for `dossier.submitted`."""

    type: EventType
    organisation: str
    portal_reference: str | None = None
    dossier_reference: str | None = None

    def payload(self, at: dt.datetime) -> str:
        """The body sent, as Standard Webhooks suggests it: {"type", "timestamp", "data"}; compact JSON."""
        return json.dumps({
            "type": self.type,
            "timestamp": at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "data": {
                "organisation": self.organisation,
                "dossier_reference": self.dossier_reference,
                "portal_reference": self.portal_reference,
            },
        }, separators=(",", ":"), ensure_ascii=True)


@dataclass(frozen=True)
class OutboxEntry:
    """A row of the webhook outbox. `id` is the stable `webhook-id` every attempt of this event carries."""

    id: str
    organisation: str
    event_type: str
    payload: str = field(repr=False)
    status: OutboxStatus
    attempts: int
    next_attempt_at: dt.datetime
    created_at: dt.datetime
    last_error: str | None = None  # a reason code (http_500, read_timeout…), never a response body
    delivered_at: dt.datetime | None = None
