"""Server-side sessions: files by default, Redis when REDIS_URL is set (production, several instances)."""

from __future__ import annotations

import pytest
import redis

from app.session_store import EncryptedTableSessionInterface

pytestmark = pytest.mark.services


def test_redis_backend_stores_sessions_with_the_idle_timeout_and_logout_deletes_them(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url, SESSION_IDLE_TIMEOUT=600)
    store = redis.Redis.from_url(redis_url)
    client = app.test_client()
    client.get("/")  # the login form's CSRF token opens a session
    sid = client.get_cookie("dc_session").value
    key = f"dc:session:{sid}"
    try:
        assert store.exists(key)
        assert 0 < store.ttl(key) <= 600
        # A second instance of the service (same Redis) sees the same session.
        other = make_app(REDIS_URL=redis_url, SESSION_IDLE_TIMEOUT=600).test_client()
        other.set_cookie("dc_session", sid)
        with other.session_transaction() as session:
            assert "csrf_token" in session
        with client.session_transaction() as session:
            session.clear()
        assert not store.exists(key)
    finally:
        store.delete(key)


def test_the_sqlite_table_is_the_default_and_lives_in_the_instance_folder(app):
    client = app.test_client()
    client.get("/")
    assert client.get_cookie("dc_session") is not None
    store = app.session_interface.inner  # behind the guard that turns a store outage into a French page
    assert isinstance(store, EncryptedTableSessionInterface)
    assert str(store.cache.path).startswith(app.instance_path) and store.cache.get(
        store._get_store_id(client.get_cookie("dc_session").value))
