"""Shared fixtures: a fresh app per test, its client, and access to PostgreSQL/Redis when reachable.

PostgreSQL: a database `dc_test_<random>` per run, created through TEST_DATABASE_URL (default: the local `test`
database as `postgres`) and dropped at the end, and a fresh schema in it per test (`database_uri`); skipped
when unreachable unless REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
from collections.abc import Iterator

import pytest
import responses
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app import create_app
from app.dossiers import database
from tests.clock import T0, FakeClock

TEST_ISSUER = "https://fc.test/api/v2"
TEST_CLIENT_ID = "droits-connect-test-client"
TEST_CLIENT_SECRET = "test-client-secret-" + "x" * 40
PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def base_config(**overrides) -> dict:
    config = {
        "ENVIRONMENT": "test",
        "SECRET_KEY": "test-secret-key-" + "k" * 40,
        "PUBLIC_URL": "http://localhost",
        "FC_ISSUER": TEST_ISSUER,
        "FC_CLIENT_ID": TEST_CLIENT_ID,
        "FC_CLIENT_SECRET": TEST_CLIENT_SECRET,
        "SANDBOX": False,
        "RIGHTS_SOURCES": [],  # tests of rights retrieval turn sources on explicitly
        # Every test person signs in from 127.0.0.1, some tests all 28 sandbox identities in a row: far above the
        # production limits per address (tests/test_inbound_limits.py sets its own).
        "RATE_LIMIT_SIGN_IN": "1000 per minute", "RATE_LIMIT_CALLBACK": "1000 per minute",
        "RATE_LIMIT_FORMS": "1000 per minute",
    }
    config.update(overrides)
    return config


@pytest.fixture
def make_app(tmp_path):
    def factory(**overrides):
        return create_app(base_config(**overrides), instance_path=str(tmp_path / "instance"))

    return factory


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def mocked_responses():
    """Every `requests` call of the test is answered by `responses`; none reaches the network."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (or fail in CI, where REQUIRE_SERVICES=1) when a backing service is not reachable."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message} and REQUIRE_SERVICES=1")
    pytest.skip(message)


@pytest.fixture
def redis_url():
    require_service("Redis", "127.0.0.1", 6379)
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _is_loopback_host(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


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
    """The dossiers room's schema, migrated, on `database_uri` (SQLite and PostgreSQL)."""
    engine = database.make_engine(database_uri)
    database.ensure_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    """A datetime clock at T0; folders that need a float clock override it."""
    return FakeClock(T0)
