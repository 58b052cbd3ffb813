"""Shared fixtures: a fresh app per test, its client, and access to PostgreSQL/Redis when reachable."""

from __future__ import annotations

import os
import socket

import pytest

from app import create_app

TEST_ISSUER = "https://fc.test/api/v2"
TEST_CLIENT_ID = "droits-connect-test-client"
TEST_CLIENT_SECRET = "test-client-secret-" + "x" * 40


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
