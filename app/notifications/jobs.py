"""The acknowledgements' huey tasks, on the webhooks' huey instance: the webhook worker
(`flask delivery webhooks worker`) runs them too, so production runs no extra process.

`send(id)` is enqueued after the commit that wrote the row; `sweep`, every minute, tries every due row (a retry
whose scheduled task was lost, a row whose enqueue was lost). A failure the relay may get over (refused
connection, timeout, 4xx) is retried with a doubling backoff; a 5xx, or the last attempt, gives up.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser

from huey import Huey, crontab
from huey.api import TaskWrapper

from app.dossiers.mail_outbox import MailOutbox
from app.notifications import smtp
from app.notifications.settings import MailSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailJobs:
    huey: Huey
    send: TaskWrapper
    sweep: TaskWrapper

    def enqueue(self, mail_id: str) -> None:
        """The mail outbox's listener: a hint that the row is due now."""
        self.send(mail_id)


def attempt(outbox: MailOutbox, settings: MailSettings, mail_id: str, *,
            jitter: Callable[[], float] = random.random) -> float | None:
    """One attempt at a due row; the seconds until the next one, or None (sent, given up, or not ours now)."""
    entry = outbox.claim(mail_id, dt.timedelta(seconds=settings.lease_seconds))
    if entry is None:
        return None
    message = BytesParser(policy=policy.default).parsebytes(entry.message)
    try:
        smtp.send(settings, message)
    except smtp.MailError as exc:
        attempts = entry.attempts + 1
        if isinstance(exc, smtp.MailRefused) or attempts >= settings.max_attempts:
            log.warning("mail %s (dossier %s): given up after %d attempt(s) reason=%s", mail_id,
                        entry.dossier_reference, attempts, exc.reason)
            outbox.failed(mail_id, exc.reason, None)
            return None
        delay = settings.retry_delay(attempts, jitter())
        log.info("mail %s (dossier %s): attempt %d failed reason=%s, next in %.0f s", mail_id,
                 entry.dossier_reference, attempts, exc.reason, delay)
        outbox.failed(mail_id, exc.reason, outbox.now() + dt.timedelta(seconds=delay))
        return delay
    outbox.sent(mail_id)
    log.info("mail %s (dossier %s): acknowledgement sent", mail_id, entry.dossier_reference)
    return None


def register(huey: Huey, outbox: MailOutbox, settings: MailSettings) -> MailJobs:
    @huey.task(name="mail.send")
    def send(mail_id: str) -> None:
        retry_in = attempt(outbox, settings, mail_id)
        if retry_in is not None:
            send.schedule((mail_id,), delay=retry_in)

    @huey.periodic_task(crontab(minute="*"), name="mail.sweep")
    def sweep() -> None:
        for mail_id in outbox.due():
            send.call_local(mail_id)

    return MailJobs(huey=huey, send=send, sweep=sweep)
