"""Wiring the webhooks from the factory: the sender on the outbox, the huey tasks, the outbox's hint, the commands."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from app.delivery.webhooks import cli, jobs
from app.delivery.webhooks.sender import WebhookSender
from app.delivery.webhooks.settings import WebhookSettings
from app.dossiers.outbox import Outbox
from app.model.organisation import Organisation


def init_app(app: Flask, settings: WebhookSettings, organisations: Mapping[str, Organisation],
             outbox: Outbox) -> jobs.WebhookJobs:
    sender = WebhookSender(outbox, organisations, settings)
    webhook_jobs = jobs.register(jobs.make_huey(settings), sender)
    outbox.listen(webhook_jobs.enqueue)
    cli.register(app, outbox, webhook_jobs, settings)
    return webhook_jobs
