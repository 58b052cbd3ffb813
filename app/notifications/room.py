"""Wiring the acknowledgements from the factory: their tasks on the webhooks' huey, the mail outbox's hint."""

from __future__ import annotations

from huey import Huey

from app.dossiers.mail_outbox import MailOutbox
from app.notifications import jobs
from app.notifications.settings import MailSettings


def init_app(settings: MailSettings | None, huey: Huey, outbox: MailOutbox) -> jobs.MailJobs | None:
    """None when no SMTP host is configured (development without `make run`, tests): nothing is sent."""
    if settings is None:
        return None
    mail_jobs = jobs.register(huey, outbox, settings)
    outbox.listen(mail_jobs.enqueue)
    return mail_jobs
