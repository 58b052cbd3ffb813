"""Fixtures of the dossiers room: each test gets its own database, on SQLite and on PostgreSQL
(`database_uri`, shared with the other tests in tests/conftest.py)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from app.dossiers.audit import AuditTrail
from app.dossiers.crypto import DossierCipher
from app.dossiers.store import DossierStore

PSEUDONYM_KEY = "test-pseudonym-key-" + "p" * 32




@pytest.fixture
def keys() -> list[str]:
    return [Fernet.generate_key().decode()]




@pytest.fixture
def audit(engine, clock) -> AuditTrail:
    return AuditTrail(engine, pseudonym_key=PSEUDONYM_KEY, retention_days=365, clock=clock)


@pytest.fixture
def store(engine, keys, audit, clock) -> DossierStore:
    return DossierStore(engine, DossierCipher(keys), audit=audit, clock=clock)
