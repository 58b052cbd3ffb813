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


def test_the_value_read_with_a_redis_lock_is_the_last_holders_write(redis_url):
    # The waiting request's read comes with its lock: after the holder's write, never the value from before it.
    client = redis.Redis.from_url(redis_url)
    locks = RedisLocks(client, wait=5, expiry=5)
    key, stored = secrets.token_hex(32), f"dc:test:{secrets.token_hex(8)}"
    client.set(stored, b"before")
    try:
        release, value = locks.acquire_and_read(key, stored)
        assert value == b"before"
        seen: list = []
        waiting = threading.Thread(target=lambda: seen.append(locks.acquire_and_read(key, stored)))
        waiting.start()
        waiting.join(0.3)
        assert seen == []  # still waiting for the lock
        client.set(stored, b"written by the holder")
        release()
        waiting.join(5)
        [(release_again, read)] = seen
        assert read == b"written by the holder"
        release_again()
        assert locks.acquire_and_read(key, f"dc:test:{secrets.token_hex(8)}")[1] is None  # nothing stored there
    finally:
        client.delete(stored)


def test_with_redis_a_session_is_read_in_the_locks_round_trip(make_app, redis_url, monkeypatch):
    app = make_app(REDIS_URL=redis_url)
    client = app.test_client()
    client.get("/")  # the sign-in form's CSRF token opens the session
    with client.session_transaction() as session:
        session["probe"] = "kept"
    store = app.session_interface.inner.client
    reads: list = []
    original_get = store.get
    monkeypatch.setattr(store, "get", lambda name: reads.append(name) or original_get(name))
    assert client.get("/").status_code == 200
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert not [name for name in reads if name.endswith(cookie)]  # read with the lock, not again
    with client.session_transaction() as session:
        assert session["probe"] == "kept"


def test_a_value_read_for_another_session_is_never_used(make_app, redis_url):
    from app.session_lock import PREFETCHED

    app = make_app(REDIS_URL=redis_url)
    client = app.test_client()
    client.get("/")
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    interface = app.session_interface.inner
    store_id = interface._get_store_id(cookie)
    with app.test_request_context("/", environ_base={PREFETCHED: ("dc:session:someone-else", None)}):
        assert interface._retrieve_session_data(store_id) is not None  # read from Redis, not the other's None
    with app.test_request_context("/", environ_base={PREFETCHED: (store_id, None)}):
        assert interface._retrieve_session_data(store_id) is None  # its own key: the value read with the lock
