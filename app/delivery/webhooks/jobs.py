"""The webhooks' huey tasks: `deliver(id)`, enqueued after the commit that wrote the row, and `sweep`, every
minute, which tries every due row (retries whose scheduled task was lost, rows whose enqueue was lost).

huey, not a scheduler of our own: SqliteHuey keeps the queue in a file on a laptop, RedisHuey shares it between
instances; a worker process (`flask delivery webhooks worker`) consumes it. A failed attempt schedules the next
one at its backoff; the outbox row says when it is due, so a duplicate or lost task changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper

from app.config_values import private_sqlite_file
from app.delivery.webhooks.sender import WebhookSender
from app.delivery.webhooks.settings import WebhookSettings

log = logging.getLogger(__name__)

QUEUE_NAME = "droits-connect-webhooks"


@dataclass(frozen=True)
class WebhookJobs:
    huey: Huey
    deliver: TaskWrapper
    sweep: TaskWrapper

    def enqueue(self, outbox_id: str) -> None:
        """The outbox's listener: a hint that the row is due now."""
        self.deliver(outbox_id)

    def consumer(self, workers: int):
        """huey's consumer: threads running the tasks, and its scheduler (scheduled retries, the sweep, which
        also runs as soon as it starts)."""
        return self.huey.create_consumer(workers=workers, worker_type="thread", periodic=True)


def make_huey(settings: WebhookSettings) -> Huey:
    queue = settings.queue
    if queue == "immediate":
        return MemoryHuey(QUEUE_NAME, immediate=True, results=False)
    if queue.startswith("sqlite:///"):
        path = Path(queue.removeprefix("sqlite:///"))
        private_sqlite_file(path)
        return SqliteHuey(QUEUE_NAME, filename=str(path), results=False)
    return RedisHuey(QUEUE_NAME, url=queue, results=False)


def register(huey: Huey, sender: WebhookSender) -> WebhookJobs:
    @huey.task(name="webhooks.deliver")
    def deliver(outbox_id: str) -> None:
        attempt = sender.deliver(outbox_id)
        if attempt is not None and attempt.retry_in is not None:
            deliver.schedule((outbox_id,), delay=attempt.retry_in)

    @huey.periodic_task(crontab(minute="*"), name="webhooks.sweep")
    def sweep() -> None:
        due = sender.outbox.due()
        if due:
            log.info("webhooks sweep: %d due row(s)", len(due))
        for outbox_id in due:
            deliver.call_local(outbox_id)

    return WebhookJobs(huey=huey, deliver=deliver, sweep=sweep)
