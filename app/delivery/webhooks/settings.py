"""The webhooks' settings: attempts, backoff, timeout, and the job queue the worker reads.

WEBHOOK_QUEUE: None picks RedisHuey on REDIS_URL when it is set (several instances share it), else SqliteHuey in
the instance folder (a laptop); "immediate" runs every task inline (tests); or an explicit redis:// or sqlite:///
URL. The queue only carries hints: the outbox table is the source of truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.config_values import ConfigError, as_number, as_str
from app.outbound import exponential_delay

DEFAULTS: dict[str, Any] = {
    "WEBHOOK_MAX_ATTEMPTS": 8,  # then the row is dead, until `flask delivery webhooks replay`
    "WEBHOOK_BACKOFF_BASE": 60,  # seconds before the second attempt, doubled after each failure…
    "WEBHOOK_BACKOFF_CAP": 6 * 60 * 60,  # …up to this many seconds
    "WEBHOOK_TIMEOUT": 10,  # seconds for one delivery, connection included
    "WEBHOOK_QUEUE": None,
    "WEBHOOK_WORKERS": 2,  # threads of the worker process
}
DEV_QUEUE_FILE = "webhook-queue.sqlite3"
QUEUE_SCHEMES = ("redis://", "rediss://", "unix://", "sqlite:///")


@dataclass(frozen=True)
class WebhookSettings:
    max_attempts: int
    backoff_base: float
    backoff_cap: float
    timeout: float
    queue: str = field(repr=False)  # "immediate", a sqlite:/// path or a Redis URL (may carry a password)
    workers: int = 2

    @property
    def lease_seconds(self) -> float:
        """How long a claimed row is out of others' reach: one delivery and some margin."""
        return self.timeout + 30

    def retry_delay(self, attempts: int, jitter: float) -> float:
        """Seconds before the next attempt after `attempts` failed ones; `jitter` in [0, 1) takes up to half off,
        so that a receiver back up is not hit by every waiting event at once."""
        return exponential_delay(attempts, base=self.backoff_base, cap=self.backoff_cap) * (1 - jitter / 2)


def load_webhook_settings(config: Mapping, *, instance_path: str) -> WebhookSettings:
    settings = WebhookSettings(
        max_attempts=as_number(config, "WEBHOOK_MAX_ATTEMPTS", int, 1),
        backoff_base=as_number(config, "WEBHOOK_BACKOFF_BASE", float, 0),
        backoff_cap=as_number(config, "WEBHOOK_BACKOFF_CAP", float, 0),
        timeout=as_number(config, "WEBHOOK_TIMEOUT", float, 0.1),
        queue=_queue(config, instance_path),
        workers=as_number(config, "WEBHOOK_WORKERS", int, 1),
    )
    if settings.backoff_cap < settings.backoff_base:
        raise ConfigError("WEBHOOK_BACKOFF_CAP must not be shorter than WEBHOOK_BACKOFF_BASE")
    return settings


def _queue(config: Mapping, instance_path: str) -> str:
    queue = as_str(config, "WEBHOOK_QUEUE")
    if queue is None:
        redis_url = as_str(config, "REDIS_URL")
        return redis_url or f"sqlite:///{Path(instance_path).resolve() / DEV_QUEUE_FILE}"
    if queue != "immediate" and not queue.startswith(QUEUE_SCHEMES):
        # May hold a password: not echoed.
        raise ConfigError('WEBHOOK_QUEUE must be "immediate", a sqlite:/// path or a redis:// URL')
    return queue
