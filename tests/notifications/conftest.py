"""Fixtures of the acknowledgements' tests: a migrated database (SQLite and PostgreSQL) and a store on it."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from app.dossiers.audit import AuditTrail
from app.dossiers.crypto import DossierCipher
from app.dossiers.store import DossierStore


@pytest.fixture
def store(engine, clock) -> DossierStore:
    audit = AuditTrail(engine, pseudonym_key="p" * 40, retention_days=365, clock=clock)
    return DossierStore(engine, DossierCipher([Fernet.generate_key().decode()]), audit=audit, clock=clock)
