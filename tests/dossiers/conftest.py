"""Fixtures of the dossiers room: each test gets its own database, on SQLite and on PostgreSQL.

PostgreSQL: a database `dc_test_<random>` per run, created through TEST_DATABASE_URL (default: the local `test`
database as `postgres`) and dropped at the end, and a fresh schema in it per test; skipped when unreachable
unless REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import secrets
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app.dossiers import database
from app.dossiers.audit import AuditTrail
from app.dossiers.crypto import DossierCipher
from app.dossiers.store import DossierStore
from tests.conftest import require_service

PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PSEUDONYM_KEY = "test-pseudonym-key-" + "p" * 32
T0 = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)


def _is_loopback_host(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


class Clock:
    """A settable clock: tests move time instead of sleeping."""

    def __init__(self, now: dt.datetime = T0) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture(scope="session")
def postgresql_database() -> Iterator[str]:
    """A database of this run's own, dropped at the end (CREATE DATABASE is too slow to do per test)."""
    admin_url = make_url(PG_ADMIN_URL)
    assert _is_loopback_host(admin_url.host), "tests only talk to loopback services"
    require_service("PostgreSQL", admin_url.host, admin_url.port or 5432)
    name = f"dc_test_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def database_uri(request, tmp_path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL schema that is first on the search_path."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'dossiers.sqlite3'}"
        return
    url = make_url(request.getfixturevalue("postgresql_database"))
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


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
def clock() -> Clock:
    return Clock()


@pytest.fixture
def audit(engine, clock) -> AuditTrail:
    return AuditTrail(engine, pseudonym_key=PSEUDONYM_KEY, retention_days=365, clock=clock)


@pytest.fixture
def store(engine, keys, audit, clock) -> DossierStore:
    return DossierStore(engine, DossierCipher(keys), audit=audit, clock=clock)
