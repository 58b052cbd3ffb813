"""WEBHOOK_* settings: defaults, the queue chosen from REDIS_URL, refusals."""

from __future__ import annotations

import pytest

from app.config_values import ConfigError
from app.delivery.webhooks.settings import DEFAULTS, load_webhook_settings


def load(tmp_path, **changes):
    return load_webhook_settings({**DEFAULTS, **changes}, instance_path=str(tmp_path))


def test_defaults_keep_the_queue_in_the_instance_folder(tmp_path):
    settings = load(tmp_path)
    assert (settings.max_attempts, settings.backoff_base, settings.backoff_cap, settings.timeout) == (8, 60, 21600, 10)
    assert settings.queue == f"sqlite:///{tmp_path.resolve() / 'webhook-queue.sqlite3'}"
    assert "queue" not in repr(settings)


def test_redis_url_shares_the_queue_between_instances(tmp_path):
    assert load(tmp_path, REDIS_URL="redis://127.0.0.1:6379/2").queue == "redis://127.0.0.1:6379/2"
    assert load(tmp_path, REDIS_URL="redis://x", WEBHOOK_QUEUE="immediate").queue == "immediate"


@pytest.mark.parametrize("changes, message", [
    ({"WEBHOOK_QUEUE": "amqp://secret@host"}, "WEBHOOK_QUEUE must be"),
    ({"WEBHOOK_MAX_ATTEMPTS": 0}, "WEBHOOK_MAX_ATTEMPTS must be at least 1"),
    ({"WEBHOOK_BACKOFF_BASE": 600, "WEBHOOK_BACKOFF_CAP": 60}, "WEBHOOK_BACKOFF_CAP must not be shorter"),
    ({"WEBHOOK_TIMEOUT": "soon"}, "WEBHOOK_TIMEOUT must be a number"),
])
def test_refusals(tmp_path, changes, message):
    with pytest.raises(ConfigError, match=message) as refused:
        load(tmp_path, **changes)
    assert "secret" not in str(refused.value)
