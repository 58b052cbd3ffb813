"""Extension objects and their wiring: server-side sessions and CSRF protection."""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

from cachelib import FileSystemCache
from flask import Flask, session
from flask_session import Session
from flask_wtf.csrf import CSRFProtect

from app.config import Settings

log = logging.getLogger(__name__)

csrf = CSRFProtect()
server_session = Session()

# Keys of the server-side session that belong to the session machinery itself.
CREATED = "_created"
SEEN = "_seen"


def init_app(app: Flask, settings: Settings) -> None:
    s = settings.session
    app.config.update(
        SESSION_PERMANENT=True,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(seconds=s.idle_timeout),
        SESSION_REFRESH_EACH_REQUEST=True,
        SESSION_COOKIE_NAME=s.cookie_name,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=s.secure,
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_DOMAIN=None,
        SESSION_KEY_PREFIX="dc:session:",
        # The identifier is 256 random bits and carries nothing, so signing it would add no protection.
        SESSION_USE_SIGNER=False,
        WTF_CSRF_TIME_LIMIT=s.absolute_lifetime,
        WTF_CSRF_SSL_STRICT=s.secure,
    )
    if s.redis_url:
        import redis

        app.config.update(SESSION_TYPE="redis", SESSION_REDIS=redis.Redis.from_url(s.redis_url))
    else:
        directory = Path(app.instance_path) / "sessions"
        directory.mkdir(parents=True, exist_ok=True)
        app.config.update(
            SESSION_TYPE="cachelib",
            SESSION_CACHELIB=FileSystemCache(str(directory), threshold=5000, mode=0o600),
        )
    server_session.init_app(app)
    csrf.init_app(app)

    @app.before_request
    def _enforce_session_lifetimes() -> None:
        # The store's TTL already drops idle sessions; checking here too makes both limits exact and
        # adds the absolute lifetime, which a sliding TTL cannot express.
        if not session:
            return
        now = time.time()
        created = session.get(CREATED, now)
        seen = session.get(SEEN, now)
        if now - created > s.absolute_lifetime or now - seen > s.idle_timeout:
            log.info("session expired reason=%s", "absolute" if now - created > s.absolute_lifetime else "idle")
            session.clear()
            return
        session[SEEN] = now


def start_authenticated_session(app: Flask) -> None:
    """Renew the session identifier (no fixation) and restart its clocks; the caller fills it after."""
    session.clear()
    now = time.time()
    session[CREATED] = now
    session[SEEN] = now
    app.session_interface.regenerate(session)


def touch_session() -> None:
    """Start the clocks of a session that has just received its first value."""
    now = time.time()
    session.setdefault(CREATED, now)
    session.setdefault(SEEN, now)
