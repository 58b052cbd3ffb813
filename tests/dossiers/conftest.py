"""Fixtures of the dossiers room: each test gets its own database, on SQLite and on PostgreSQL
(`database_uri`, shared with the other tests in tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine

from app.dossiers import database
from app.dossiers.audit import AuditTrail
from app.dossiers.crypto import DossierCipher
from app.dossiers.store import DossierStore
from tests.clock import FakeClock

PSEUDONYM_KEY = "test-pseudonym-key-" + "p" * 32
T0 = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def engine(database_uri) -> Iterator[Engine]:
    engine = database.make_engine(database_uri)
    database.ensure_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def keys() -> list[str]:
    return [Fernet.generate_key().decode()]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def audit(engine, clock) -> AuditTrail:
    return AuditTrail(engine, pseudonym_key=PSEUDONYM_KEY, retention_days=365, clock=clock)


@pytest.fixture
def store(engine, keys, audit, clock) -> DossierStore:
    return DossierStore(engine, DossierCipher(keys), audit=audit, clock=clock)
