"""Fixtures of the acknowledgements' tests: a migrated database (SQLite and PostgreSQL) and a store on it."""

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
def store(engine, clock) -> DossierStore:
    audit = AuditTrail(engine, pseudonym_key="p" * 40, retention_days=365, clock=clock)
    return DossierStore(engine, DossierCipher([Fernet.generate_key().decode()]), audit=audit, clock=clock)
