"""One request at a time per session (app/session_lock.py): the lock excludes, times out into a French 503, and
leaves requests without a session cookie alone."""

from __future__ import annotations

import hashlib
import secrets
import threading

import pytest
import redis

from app.session_lock import FileLocks, RedisLocks, SessionLockMiddleware


def _holds_exclusively(locks) -> None:
    key = secrets.token_hex(32)
    release = locks.acquire(key)
    assert release is not None
    seen: list = []
    thread = threading.Thread(target=lambda: seen.append(locks.acquire(key)))
    thread.start()
    thread.join()
    assert seen == [None]  # another thread waited, then gave up
    release()
    again = locks.acquire(key)
    assert again is not None
    again()


def test_file_locks_exclude_other_threads_and_time_out(tmp_path):
    _holds_exclusively(FileLocks(tmp_path / "locks", wait=0.1))


def test_redis_locks_exclude_other_threads_and_time_out(redis_url):
    _holds_exclusively(RedisLocks(redis.Redis.from_url(redis_url), wait=0.1, expiry=5))


def test_a_request_of_a_busy_session_waits_then_gets_a_french_503(app):
    middleware = app.wsgi_app
    assert isinstance(middleware, SessionLockMiddleware)
    middleware.locks._wait = 0.1
    client = app.test_client()
    client.get("/")
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    release = middleware.locks.acquire(hashlib.sha256(cookie.encode()).hexdigest())
    try:
        busy = client.get("/")
        assert busy.status_code == 503 and busy.headers["Retry-After"]
        assert "encore en cours" in busy.get_data(as_text=True) and busy.headers["Cache-Control"] == "no-store"
        assert app.test_client().get("/").status_code == 200  # another browser does not wait
    finally:
        release()
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("cookie", ["", "x" * 3000, "é;,"])
def test_odd_cookie_values_never_break_a_request(app, cookie):
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    assert client.get("/").status_code == 200
