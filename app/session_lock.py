"""One request at a time per session.

Flask-Session reads the whole session when a request starts and writes it back when it ends, so two requests
of the same browser overlap badly: the slower one writes back the copy it read, and whatever the faster one
changed (a stored dossier's receipt, a used state) is lost. This WSGI layer, outside the session interface,
takes a lock named after the session cookie before Flask opens the session and releases it once the response
(and so the saved session) is back: same-session requests run one after the other; other sessions never wait.

The lock is a Redis lock (with an expiry, should a worker die holding it) when the session store is Redis, and
an flock on one of 256 files in the instance folder otherwise (threads and processes of one machine).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from redis.exceptions import RedisError
from redis.lock import Lock
from werkzeug.http import parse_cookie

log = logging.getLogger(__name__)

# Longer than the slowest request (the sign-in callback: token exchange and the rights' deadline, ≤ 30 s) and
# shorter than gunicorn's 45-second timeout; a request that cannot get the lock in time gets a 503 page.
WAIT_SECONDS = 40.0
LOCK_EXPIRY_SECONDS = 60
FILE_BUCKETS = 256
_POLL = 0.01

Release = Callable[[], None]
# In the WSGI environ, with Redis: (store key, stored value or None) read in the same round trip as the lock was
# taken, so that the session store need not read it again (app/session_store.py).
PREFETCHED = "droits_connect.session_prefetched"

UNAVAILABLE_PAGE = (
    "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Service indisponible — Droits Connect"
    "</title></head><body><main><h1>Le service est momentanément indisponible</h1>"
    "<p>Le service est momentanément indisponible, réessayez dans un instant.</p></main></body></html>"
).encode()
BUSY_PAGE = (
    "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Service occupé — Droits Connect</title>"
    "</head><body><main><h1>Votre demande précédente est encore en cours</h1>"
    "<p>Patientez quelques secondes, puis rechargez la page.</p></main></body></html>"
).encode()


class _ReadingLock(Lock):
    """redis-py's lock, whose taking also reads `read_key` in the same round trip: SET NX, then GET, sent together
    and run in that order. Once the SET succeeds, the GET's value is the one this request would read next: any
    writer of the session holds its lock, and writes before releasing it."""

    read_key: str | None = None
    read_value: bytes | None = None

    def do_acquire(self, token: str) -> bool:
        if self.read_key is None:
            return super().do_acquire(token)
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(self.name, token, nx=True, px=int(self.timeout * 1000) if self.timeout else None)
        pipe.get(self.read_key)
        acquired, value = pipe.execute()
        if acquired:
            self.read_value = value
        return bool(acquired)


class RedisLocks:
    def __init__(self, client, *, wait: float = WAIT_SECONDS, expiry: int = LOCK_EXPIRY_SECONDS) -> None:
        self._redis, self._wait, self._expiry = client, wait, expiry

    def acquire(self, key: str) -> Release | None:
        held = self.acquire_and_read(key, None)
        return None if held is None else held[0]

    def acquire_and_read(self, key: str, read_key: str | None) -> tuple[Release, bytes | None] | None:
        """The lock, and the value of `read_key` read once it is held (one round trip, not two)."""
        from redis.exceptions import LockError

        lock = self._redis.lock(f"dc:session-lock:{key}", timeout=self._expiry, blocking_timeout=self._wait,
                                thread_local=False, lock_class=_ReadingLock)
        lock.read_key = read_key
        if not lock.acquire():
            return None

        def release() -> None:
            try:
                lock.release()
            except LockError:  # expired while held: someone else may hold it now, which is theirs to release
                log.warning("session lock expired before release reason=session_lock_expired")

        return release, lock.read_value


class FileLocks:
    def __init__(self, directory: Path, *, wait: float = WAIT_SECONDS) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._directory, self._wait = directory, wait

    def acquire(self, key: str) -> Release | None:
        # A bounded set of files: two sessions rarely share a bucket, and then only wait for each other.
        path = self._directory / f"{int(key[:8], 16) % FILE_BUCKETS:03d}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self._wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return None
                time.sleep(_POLL)

        def release() -> None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

        return release


class SessionLockMiddleware:
    """Wraps the WSGI app: a request carrying a session cookie runs under that session's lock."""

    def __init__(self, wsgi_app, locks, cookie_name: str, store_key: Callable[[str], str] | None = None) -> None:
        """`store_key` (Redis locks only): the session store's key of a session identifier, read with the lock and
        handed to the store in the environ (`PREFETCHED`)."""
        self.wsgi_app, self.locks, self.cookie_name, self.store_key = wsgi_app, locks, cookie_name, store_key

    def __call__(self, environ, start_response):
        session_id = parse_cookie(environ).get(self.cookie_name)
        if not session_id:
            return self.wsgi_app(environ, start_response)
        key = hashlib.sha256(session_id.encode()).hexdigest()
        try:
            if self.store_key is None:
                release = self.locks.acquire(key)
            else:
                store_key = self.store_key(session_id)
                release, value = self.locks.acquire_and_read(key, store_key) or (None, None)
                if release is not None:
                    environ[PREFETCHED] = (store_key, value)
        except (OSError, RedisError) as error:  # the lock store is down, so is the session store: a French 503
            log.warning("session_store_unavailable phase=lock error=%s", type(error).__name__)
            return _refuse(start_response, UNAVAILABLE_PAGE)
        if release is None:
            log.warning("request refused reason=session_lock_timeout")
            return _refuse(start_response, BUSY_PAGE)
        try:
            # Flask has saved the session by the time it returns the response; the body needs no lock.
            return self.wsgi_app(environ, start_response)
        finally:
            try:
                release()
            except (OSError, RedisError) as error:  # the lock expires by itself
                log.warning("session lock release failed error=%s", type(error).__name__)


def _refuse(start_response, page: bytes):
    start_response("503 Service Unavailable", [
        ("Content-Type", "text/html; charset=utf-8"), ("Retry-After", "5"), ("Cache-Control", "no-store"),
        ("Content-Security-Policy", "default-src 'none'"), ("X-Content-Type-Options", "nosniff"),
    ])
    return [page]


def init_app(app, *, redis_url: str | None, cookie_name: str, store_key: Callable[[str], str] | None = None) -> None:
    """`store_key`: the session store's key of a session identifier; with Redis, the session is read with its lock."""
    if redis_url:
        import redis

        locks = RedisLocks(redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2))
        app.wsgi_app = SessionLockMiddleware(app.wsgi_app, locks, cookie_name, store_key)
    else:
        locks = FileLocks(Path(app.instance_path) / "session-locks")
        app.wsgi_app = SessionLockMiddleware(app.wsgi_app, locks, cookie_name)
