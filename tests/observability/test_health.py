"""/healthz answers without any dependency; /readyz names each dependency and answers 503 when one is down;
neither sets a cookie."""

from __future__ import annotations

import socket

import requests
from sqlalchemy.exc import OperationalError

from app.observability import health


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_healthz_is_alive_without_any_dependency_and_sets_no_cookie(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_readyz_is_ready_when_database_and_franceconnect_answer(stack):
    response = requests.get(stack.service_url + "/readyz", timeout=10)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "franceconnect": "ok"}}
    assert "Set-Cookie" not in response.headers


def test_readyz_names_franceconnect_when_its_discovery_cannot_be_fetched(make_app, mocked_responses):
    response = make_app().test_client().get("/readyz")  # no discovery document is served
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["franceconnect"].startswith("error:")
    assert "Set-Cookie" not in response.headers


def test_readyz_names_the_database_when_it_is_down(stack, monkeypatch):
    from app.extensions import services

    def refuse(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("down"))

    monkeypatch.setattr(services(stack.service).dossiers.engine, "connect", refuse)
    response = requests.get(stack.service_url + "/readyz", timeout=10)
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "error:OperationalError", "franceconnect": "ok"}


def test_readyz_names_redis_when_it_is_configured_and_down(make_stack):
    stack = make_stack(REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0")
    response = requests.get(stack.service_url + "/readyz", timeout=10)
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "error:ConnectionError"
    assert response.json()["checks"]["database"] == "ok"


def test_a_check_that_hangs_is_reported_as_a_timeout():
    import threading

    release = threading.Event()
    readiness = health.Readiness({"slow": lambda: release.wait(5), "fast": lambda: None}, timeout=0.2)
    try:
        assert readiness.run() == {"slow": "timeout", "fast": "ok"}
    finally:
        release.set()
