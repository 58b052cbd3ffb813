"""`flask delivery webhooks …`: the outbox seen and mended by an operator, and the worker.

`list [--dead]` (newest first: id, status, attempts, last reason, event, organisation), `replay ID` (a dead row
back to pending, same webhook-id), `worker` (the huey consumer; production runs it as its own process).
"""

from __future__ import annotations

import logging

import click
from flask import Flask
from flask.cli import AppGroup

from app.delivery.webhooks.jobs import WebhookJobs
from app.delivery.webhooks.settings import WebhookSettings
from app.dossiers.outbox import Outbox


def register(app: Flask, outbox: Outbox, jobs: WebhookJobs, settings: WebhookSettings) -> None:
    group = app.cli.commands.get("delivery")
    if not isinstance(group, click.Group):
        group = AppGroup("delivery", help="How organisations receive their dossiers.")
        app.cli.add_command(group)
    group.add_command(_webhooks_commands(outbox, jobs, settings))


def _webhooks_commands(outbox: Outbox, jobs: WebhookJobs, settings: WebhookSettings) -> AppGroup:
    group = AppGroup("webhooks", help="The webhook outbox and its worker.")

    @group.command("list")
    @click.option("--dead", is_flag=True, help="Only the rows that gave up (replayable).")
    @click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
    def list_rows(dead: bool, limit: int) -> None:
        """The outbox's rows, newest first."""
        entries = outbox.entries("dead" if dead else None, limit=limit)
        if not entries:
            click.echo("no dead webhook" if dead else "no webhook in the outbox")
        for entry in entries:
            when = entry.delivered_at if entry.status == "delivered" else entry.next_attempt_at
            click.echo(f"{entry.id}  {entry.status:<9} attempts={entry.attempts}  "
                       f"last_error={entry.last_error or '-'}  {entry.event_type}  {entry.organisation}  "
                       f"created={entry.created_at:%Y-%m-%dT%H:%M:%SZ}  "
                       f"{'delivered' if entry.status == 'delivered' else 'next'}={when:%Y-%m-%dT%H:%M:%SZ}")

    @group.command("replay")
    @click.argument("outbox_id")
    def replay(outbox_id: str) -> None:
        """Send a dead row again, under the same webhook-id."""
        entry = outbox.get(outbox_id)
        if entry is None:
            raise click.ClickException(f"no webhook {outbox_id!r} in the outbox")
        if not outbox.replay(outbox_id):
            raise click.ClickException(f"webhook {outbox_id} is {entry.status}: only a dead one is replayed")
        click.echo(f"webhook {outbox_id} queued again")

    @group.command("worker")
    def worker() -> None:
        """Run the webhook worker (huey's consumer) until SIGINT or SIGTERM."""
        if jobs.huey.immediate:
            raise click.ClickException('WEBHOOK_QUEUE is "immediate": tasks already run inline, no worker needed')
        logging.basicConfig(level=logging.INFO)  # a no-op when the host already configured logging
        jobs.consumer(settings.workers).run()

    return group
