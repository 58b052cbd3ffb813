"""One delivery attempt of an outbox row: claim it, sign it, POST it through the outbound layer, record the outcome.

At least once: a row is marked delivered only after a 2xx, so a worker that dies in between sends it again, under
the same `webhook-id`, for the receiver to de-duplicate. Any other answer, a timeout or a refused connection is a
failed attempt: retried after an exponential, jittered delay, and dead after `max_attempts`.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from app import outbound
from app.delivery.webhooks import signing
from app.delivery.webhooks.settings import WebhookSettings
from app.dossiers.models import utcnow
from app.dossiers.outbox import Outbox
from app.model.organisation import Organisation
from app.model.webhook import OutboxEntry
from app.organisations import checks

log = logging.getLogger(__name__)

MAX_ANSWER_BYTES = 64 * 1024  # a receiver's answer is read and dropped: only its status counts


@dataclass(frozen=True)
class Attempt:
    outbox_id: str
    outcome: Literal["delivered", "retry", "dead"]
    reason: str | None = None  # a reason code: http_500, read_timeout, connection_error, no_webhook…
    retry_in: float | None = None  # seconds, when the outcome is "retry"


class WebhookSender:
    def __init__(
        self, outbox: Outbox, organisations: Mapping[str, Organisation], settings: WebhookSettings, *,
        http: outbound.OutboundHttp | None = None, clock: Callable[[], dt.datetime] = utcnow,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.outbox = outbox
        self._organisations, self._settings = organisations, settings
        self._http = http or outbound.OutboundHttp(provider="webhooks", connect_timeout=None,
                                                   call_timeout=settings.timeout, max_bytes=MAX_ANSWER_BYTES)
        self._clock, self._rng = clock, rng

    def deliver(self, outbox_id: str) -> Attempt | None:
        """Try the row once if it is due and pending; None when there was nothing to do (not due, delivered,
        dead, or taken by another worker)."""
        entry = self.outbox.claim(outbox_id, dt.timedelta(seconds=self._settings.lease_seconds))
        if entry is None:
            return None
        reason = self._post(entry)
        if reason is None:
            self.outbox.delivered(entry.id)
            log.info("webhook %s delivered (%s, %s)", entry.id, entry.event_type, entry.organisation)
            return Attempt(entry.id, "delivered")
        attempts = entry.attempts + 1
        if attempts >= self._settings.max_attempts or reason in FINAL_REASONS:
            self.outbox.failed(entry.id, reason, None)
            log.error("webhook %s dead after %d attempt(s) reason=%s org=%s", entry.id, attempts, reason,
                      entry.organisation)
            return Attempt(entry.id, "dead", reason)
        delay = self._settings.retry_delay(attempts, self._rng())
        self.outbox.failed(entry.id, reason, self._clock() + dt.timedelta(seconds=delay))
        log.warning("webhook %s attempt %d failed reason=%s, next in %ds", entry.id, attempts, reason, delay)
        return Attempt(entry.id, "retry", reason, delay)

    def deliver_due(self, limit: int = 100) -> list[Attempt]:
        """One attempt at every due row (the sweep)."""
        attempts = (self.deliver(outbox_id) for outbox_id in self.outbox.due(limit))
        return [attempt for attempt in attempts if attempt is not None]

    def _post(self, entry: OutboxEntry) -> str | None:
        """Send the row; None on a 2xx, else the reason code of the failure."""
        organisation = self._organisations.get(entry.organisation)
        if organisation is None or organisation.webhook is None:
            return "no_webhook"
        url = organisation.webhook.url
        try:
            checks.webhook_url(url)  # https, or http on loopback only: the registry checked it, we do again
        except ValueError:
            return "insecure_url"
        headers = signing.headers(organisation.webhook.secrets, entry.id, int(time.time()), entry.payload)
        try:
            answer = self._http.call("POST", url, path=urlsplit(url).path or "/", headers=headers,
                                     data=entry.payload.encode())
        except outbound.OutboundError as error:
            return error.reason
        return None if 200 <= answer.status < 300 else f"http_{answer.status}"


# Failures no retry can cure: the row goes dead at once (and can be replayed once the registry is fixed).
FINAL_REASONS = frozenset({"no_webhook", "insecure_url"})
