"""Inbound limits per client address: the sign-in's start and callback, the journeys' form posts; the French 429
page with Retry-After; counters shared through Redis by every instance."""

from __future__ import annotations

import re
import uuid

import pytest

from app import ConfigError
from app.organisations.settings import DEMO_FILE

MUTUELLE = "/adhesion/mutuelle-demo"


@pytest.fixture
def limited(make_app):
    def make(**overrides):
        return make_app(ORGANISATIONS_FILE=str(DEMO_FILE), RATE_LIMIT_SIGN_IN="2 per minute",
                        RATE_LIMIT_CALLBACK="2 per minute", RATE_LIMIT_FORMS="3 per minute", **overrides)

    return make


def client_at(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def token_of(client) -> str:
    html = client.get(f"{MUTUELLE}/").get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def assert_refused(response):
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Trop de demandes en peu de temps" in html and '<html lang="fr"' in html
    assert int(response.headers["Retry-After"]) > 0


def test_the_sign_in_start_is_limited_per_address(limited):
    app = limited()
    client, other = client_at(app, "127.0.0.2"), client_at(app, "127.0.0.3")
    for _ in range(2):  # a fresh token each time: a failed sign-in ends the session
        assert client.post("/auth/login", data={"csrf_token": token_of(client)}).status_code == 303
    assert_refused(client.post("/auth/login", data={"csrf_token": token_of(client)}))
    assert other.post("/auth/login", data={"csrf_token": token_of(other)}).status_code != 429


def test_the_callback_is_limited(limited):
    client = client_at(limited(), "127.0.0.2")
    for _ in range(2):
        assert client.get("/auth/callback?state=x&code=y").status_code != 429
    assert_refused(client.get("/auth/callback?state=x&code=y"))


def test_the_retrieval_has_the_callbacks_limit(limited):
    client = client_at(limited(), "127.0.0.2")
    for _ in range(2):
        assert client.get("/auth/recuperation?id=x").status_code != 429
    assert_refused(client.get("/auth/recuperation?id=x"))


def test_journey_form_posts_are_limited_and_page_views_are_not(limited):
    client = client_at(limited(), "127.0.0.2")
    token = token_of(client)
    for path in ("/personnes", "/formulaire", "/personnes"):
        assert client.post(MUTUELLE + path, data={"csrf_token": token}).status_code != 429
    assert_refused(client.post(MUTUELLE + "/formulaire", data={"csrf_token": token}))
    for _ in range(10):
        assert client.get(f"{MUTUELLE}/").status_code == 200


def test_only_limited_requests_reach_the_limiters_resolution(limited, monkeypatch):
    from flask import request
    from flask_limiter import Limiter

    resolved = []
    original = Limiter._check_request_limit

    def spy(self, callable_name=None, in_middleware=True):
        resolved.append((request.method, request.path, in_middleware))
        return original(self, callable_name, in_middleware)

    monkeypatch.setattr(Limiter, "_check_request_limit", spy)
    client = client_at(limited(), "127.0.0.2")
    token = token_of(client)
    client.get("/")
    client.get("/healthz")
    assert resolved == []  # page views and probes: neither limiter resolves anything
    client.post(MUTUELLE + "/personnes", data={"csrf_token": token})
    assert ("POST", MUTUELLE + "/personnes", True) in resolved
    client.get("/api/v1/dossiers")
    assert any(path == "/api/v1/dossiers" for _, path, _ in resolved)  # the pull API's own limiter


def test_in_memory_counters_start_no_thread_per_hit_and_still_prune(monkeypatch):
    import threading
    import time

    from limits import parse
    from limits.storage import storage_from_string
    from limits.strategies import MovingWindowRateLimiter

    storage = storage_from_string("dc-memory://")  # what a laptop or a single instance counts in
    limiter = MovingWindowRateLimiter(storage)
    started = []
    monkeypatch.setattr(threading.Thread, "start", lambda thread: started.append(thread))
    three_a_second = parse("3 per second")
    assert [limiter.hit(three_a_second, "k") for _ in range(4)] == [True, True, True, False]  # still counted
    assert started == []
    later, ticked = time.time() + 5, time.monotonic() + 5
    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr(time, "monotonic", lambda: ticked)
    assert limiter.hit(three_a_second, "k")
    assert sum(len(entries) for entries in storage.events.values()) == 1  # the old entries were pruned
    assert started == []


def test_two_instances_count_together_through_redis(limited, redis_url):
    # A fresh address per run: the counters outlive the test in Redis.
    address = f"127.{uuid.uuid4().int % 250 + 1}.{uuid.uuid4().int % 250 + 1}.{uuid.uuid4().int % 250 + 1}"
    one, other = (client_at(limited(REDIS_URL=redis_url), address) for _ in range(2))
    assert one.get("/auth/callback?state=x&code=y").status_code != 429
    assert other.get("/auth/callback?state=x&code=y").status_code != 429
    assert_refused(one.get("/auth/callback?state=x&code=y"))


def test_a_malformed_limit_is_refused(make_app):
    with pytest.raises(ConfigError, match="RATE_LIMIT_FORMS"):
        make_app(RATE_LIMIT_FORMS="lots")


def test_the_limiters_headers_and_context_are_only_handled_on_the_requests_they_check(limited, monkeypatch):
    from flask import request
    from flask_limiter import Limiter

    handled = []
    inject, release = Limiter._Limiter__inject_headers, Limiter._Limiter__release_context

    def inject_spy(self, response):
        handled.append(("headers", request.path))
        return inject(self, response)

    def release_spy(self, error=None):
        handled.append(("context", request.path))
        return release(self, error)

    # Before the app exists: Flask-Limiter registers its hooks when the limiters are made.
    monkeypatch.setattr(Limiter, "_Limiter__inject_headers", inject_spy)
    monkeypatch.setattr(Limiter, "_Limiter__release_context", release_spy)
    client = client_at(limited(), "127.0.0.3")
    token = token_of(client)
    handled.clear()
    client.get("/")
    client.get(f"{MUTUELLE}/")
    assert handled == []  # page views: neither limiter's hooks run
    response = client.post(MUTUELLE + "/personnes", data={"csrf_token": token})
    assert ("headers", MUTUELLE + "/personnes") in handled and ("context", MUTUELLE + "/personnes") in handled
    assert "X-RateLimit-Limit" in response.headers  # a limited request still says its limit
