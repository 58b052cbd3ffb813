"""A session store that is down or flapping: a French 503 page with a reason code in the logs, never a 500 and
never gunicorn's raw « Internal Server Error »."""

from __future__ import annotations

import logging

import requests
from flask import Flask
from redis.exceptions import ConnectionError as RedisConnectionError

from app.observability import session_guard

UNAVAILABLE = "Le service est momentanément indisponible, réessayez dans un instant"


def test_redis_down_then_back_gives_the_french_page_then_serves_again(make_stack, own_redis, caplog):
    stack = make_stack(REDIS_URL=own_redis.url)
    http = requests.Session()
    opened = http.get(stack.service_url + stack.launch_path("chu-demo"), timeout=10)
    assert opened.status_code == 200 and len(http.cookies) == 1
    page = opened.url

    own_redis.stop()
    for method, url in (("GET", page), ("POST", stack.service_url + "/auth/login"), ("GET", stack.service_url + "/")):
        response = http.request(method, url, timeout=10, allow_redirects=False)
        assert response.status_code == 503, (method, url)
        assert UNAVAILABLE in response.text and "Internal Server Error" not in response.text
        assert response.headers["Retry-After"] and "Set-Cookie" not in response.headers
    # Refused by the session lock (taken in Redis before the session is opened) or by the guard: one reason code.
    assert "session_store_unavailable phase=lock error=ConnectionError" in caplog.text

    # A first request (no cookie) pings the store before its view spends the launch link: the same link works
    # once the store is back.
    link = stack.service_url + stack.launch_path("chu-demo")
    fresh = requests.get(link, timeout=10)
    assert fresh.status_code == 503 and UNAVAILABLE in fresh.text

    own_redis.start()  # restarted empty: the journey's session is gone, and the person is told so in French
    again = http.get(page, timeout=10)
    assert again.status_code < 500 and "Internal Server Error" not in again.text
    assert requests.get(stack.service_url + "/healthz", timeout=10).status_code == 200
    assert requests.get(link, timeout=10).status_code == 200  # the link was not spent by the 503


def test_a_failed_save_replaces_the_views_response_by_the_french_page(make_app, caplog):
    caplog.set_level(logging.ERROR)
    app = make_app()

    class FailingSave:
        def open_session(self, app, request):
            return app.session_interface.inner.open_session(app, request)

        def save_session(self, app, session, response):
            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379")

        def is_null_session(self, obj):
            return False

    inner = app.session_interface.inner
    failing = FailingSave()
    failing.open_session = inner.open_session
    app.session_interface.inner = failing

    @app.post("/test-save")
    def _store_then_redirect():
        from flask import redirect, session

        session["x"] = 1
        return redirect("/recepisse", 303)

    @app.post("/test-receipt")
    def _stored_dossier_receipt():
        from flask import g, redirect, session

        session["x"] = 1
        g.stands_without_session = True  # as journeys.send_views does once the dossier is stored
        return redirect("/preadmission/chu-demo/recepisse?jeton=signed", 303)

    app.config["WTF_CSRF_ENABLED"] = False
    response = app.test_client().post("/test-save")
    assert response.status_code == 503 and "Location" not in response.headers
    assert UNAVAILABLE in response.get_data(as_text=True)
    # A dossier stored, its session not saved: the person still goes to the receipt its signed URL proves.
    receipt = app.test_client().post("/test-receipt")
    assert receipt.status_code == 303 and receipt.headers["Location"].endswith("?jeton=signed")
    assert "Set-Cookie" not in receipt.headers
    assert "session_store_unavailable phase=save error=ConnectionError" in caplog.text
    assert "6379" not in caplog.text  # the type only, never the message


def test_health_and_metrics_never_open_a_session():
    app = Flask(__name__)

    class Exploding:
        def open_session(self, app, request):
            raise AssertionError("opened")

    guarded = session_guard.GuardedSessionInterface(Exploding())
    with app.test_request_context("/healthz"):
        from flask import request

        assert isinstance(guarded.open_session(app, request), session_guard.InertSession)


def test_an_error_page_that_cannot_render_falls_back_to_plain_french(make_app, caplog):
    app = make_app()

    @app.get("/boom")
    def _boom():
        raise RuntimeError("a bug")

    @app.context_processor
    def _broken() -> dict:
        raise RedisConnectionError("the session again")

    response = app.test_client().get("/boom")
    text = response.get_data(as_text=True)
    assert response.status_code == 500 and 'lang="fr"' in text and "La demande n’a pas pu aboutir" in text
    assert "Internal Server Error" not in text
    assert "error page failed template=errors/500.html type=ConnectionError" in caplog.text


def test_the_api_never_opens_a_session_and_answers_a_problem_when_redis_is_down(make_stack, own_redis):
    stack = make_stack(REDIS_URL=own_redis.url)
    own_redis.stop()
    response = requests.get(stack.service_url + "/api/v1/dossiers", timeout=10)
    assert response.status_code == 503 and response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["status"] == 503 and "Set-Cookie" not in response.headers


def test_a_session_not_written_gives_the_french_page_not_a_silent_loss(make_app, monkeypatch, caplog):
    from app.session_store import SessionTable

    caplog.set_level(logging.ERROR)
    app = make_app()  # the session table: the laptop's store
    monkeypatch.setattr(SessionTable, "set", lambda *args, **kwargs: False)  # a full disk, a locked table

    @app.post("/test-save")
    def _store_then_redirect():
        from flask import redirect, session

        session["x"] = 1  # a draft, say: the next step would find it missing
        return redirect("/recepisse", 303)

    app.config["WTF_CSRF_ENABLED"] = False
    response = app.test_client().post("/test-save")
    assert response.status_code == 503 and "Location" not in response.headers
    assert UNAVAILABLE in response.get_data(as_text=True)
    assert "session_store_unavailable phase=save error=SessionNotSaved" in caplog.text


def test_a_session_table_that_cannot_be_read_gives_the_french_page_not_a_new_session(make_app, caplog):
    import sqlite3
    from pathlib import Path

    from app.session_store import SESSIONS_FILE

    app = make_app()
    client = app.test_client()
    client.get("/")  # the sign-in form's CSRF token opens a session
    assert client.get_cookie("dc_session") is not None
    with sqlite3.connect(Path(app.instance_path) / SESSIONS_FILE) as db:  # a damaged or replaced file
        db.execute("DROP TABLE sessions")
    caplog.set_level(logging.WARNING)
    response = client.get("/")
    assert response.status_code == 503 and UNAVAILABLE in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers  # the person's session is not swapped for an empty one
