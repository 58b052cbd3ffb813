"""Fixtures of the webhook tests: a migrated database (SQLite and PostgreSQL), its outbox, and an organisation
whose webhook is a loopback receiver."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from app.delivery.webhooks.sender import WebhookSender
from app.delivery.webhooks.settings import WebhookSettings
from app.dossiers import database
from app.dossiers.outbox import Outbox
from app.model.organisation import Organisation, Webhook
from tests.clock import FakeClock

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
T0 = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def engine(database_uri) -> Iterator[Engine]:
    engine = database.make_engine(database_uri)
    database.ensure_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def outbox(engine, clock) -> Outbox:
    return Outbox(engine, clock=clock)


def settings(**changes) -> WebhookSettings:
    values = {"max_attempts": 8, "backoff_base": 60, "backoff_cap": 6 * 3600, "timeout": 1.0,
              "queue": "immediate", "workers": 1}
    values.update(changes)
    return WebhookSettings(**values)


def organisation(url: str, secret: str = SECRET) -> Organisation:
    return Organisation(id="chu-demo", name="CHU de Démonstration", kind="hopital", contact="dpo@chu.test",
                        webhook=Webhook(url=url, secret=secret))


def sender_for(outbox: Outbox, url: str | None, clock, **changes) -> WebhookSender:
    organisations = {"chu-demo": organisation(url)} if url else {}
    return WebhookSender(outbox, organisations, settings(**changes), clock=clock, rng=lambda: 0.0)
