"""Where the server-side session is kept, encrypted, and how abandoned sessions go.

Flask-Session keeps each session under a random identifier: in Redis in production (several instances), in one
SQLite table, `instance/sessions.sqlite3`, on a laptop. The stored value is the whole session serialised with
msgpack, then encrypted with Fernet (`SESSION_ENCRYPTION_KEYS`: the first key encrypts, every key decrypts, so a
key is rotated by putting the new one first and dropping the old one after the idle timeout). A dump of Redis or of
the table therefore shows no identity, NIR, rights, token nor draft. A value that does not decrypt (its key was
dropped, it was tampered with) or does not decode is deleted and read as no session at all, logged by reason code.

Redis expires each key at the idle timeout. Rows carry the same expiry, past which they are never read, and
`flask sessions purge` (run from cron) deletes them. The table holds raw ciphertext, never a pickle."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import click
import msgspec
from cachelib import BaseCache
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, request
from flask.cli import AppGroup
from flask_session.base import Serializer, ServerSideSession, ServerSideSessionInterface
from flask_session.cachelib import CacheLibSessionInterface
from flask_session.redis import RedisSessionInterface

from app.config_values import private_sqlite_file
from app.session_lock import PREFETCHED

log = logging.getLogger(__name__)

SESSIONS_FILE = "sessions.sqlite3"


class UnreadableSession(Exception):
    """A stored session value that does not decrypt or decode; `reason` is a code for the logs."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EncryptedSerializer(Serializer):
    """msgpack, then Fernet: the first key encrypts, all decrypt."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        if not keys:
            raise ValueError("sessions need at least one encryption key")
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        self._encoder = msgspec.msgpack.Encoder()
        self._decoder = msgspec.msgpack.Decoder(dict)

    def encode(self, session: ServerSideSession) -> bytes:
        return self._fernet.encrypt(self._encoder.encode(dict(session)))

    def decode(self, serialized_data: bytes) -> dict:
        try:
            plain = self._fernet.decrypt(serialized_data)
        except InvalidToken:  # an unknown key or a changed byte: Fernet cannot tell them apart
            raise UnreadableSession("invalid_token") from None
        try:
            return self._decoder.decode(plain)
        except msgspec.DecodeError:
            raise UnreadableSession("undecodable") from None


class SessionNotSaved(OSError):
    """The session could not be written: the request ends on the French 503 page (the session guard), not on a
    redirect to a step whose session is the one from before (a draft silently lost)."""


class SessionNotRead(OSError):
    """The session table could not be read: the French 503 page, as when Redis is down (the session guard)."""


class SessionTable(BaseCache):
    """A laptop's sessions: one row per session in a SQLite file of their own, 0600, each row expiring at the idle
    timeout; `purge_expired` deletes what is past its time. A cachelib backend, as Flask-Session's interface wants.

    A row rather than a file per session: a file is written whole only through a new temporary file renamed over
    it, and creating a file costs 65 µs of CPU on a journaled ext4, 400 on this project's machines (an ext4 without
    journal, whose allocator skips the inodes freed in the last seconds one by one), a dozen times a journey. An
    upsert in WAL mode is atomic and durable across a crash of the process, and costs 6 µs.

    One connection per thread (gthread workers): SQLite serialises the writers of every process, each waiting up to
    `BUSY_TIMEOUT` seconds. A request's own session is never read and written by two requests at once
    (`app/session_lock.py`)."""

    BUSY_TIMEOUT = 5.0

    def __init__(self, path: Path, *, idle_timeout: int) -> None:
        super().__init__(default_timeout=idle_timeout)
        private_sqlite_file(path)
        self.path = path
        self._local = threading.local()
        with self._connection() as connection:
            connection.execute("CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, "
                               "expires INTEGER NOT NULL, value BLOB NOT NULL) WITHOUT ROWID")

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=self.BUSY_TIMEOUT, isolation_level=None)
            # WAL: readers never wait for a writer; NORMAL: a commit is durable across a crash of the process, and
            # is not synced to the disk each time (a power cut may lose the last seconds' writes, not the table).
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
        return connection

    def get(self, key: str) -> bytes | None:
        try:
            row = self._connection().execute("SELECT value FROM sessions WHERE id = ? AND expires > ?",
                                             (key, int(time.time()))).fetchone()
        except sqlite3.Error as error:
            # Not "no session": the person would start again with their journey still stored. Redis raises too.
            raise SessionNotRead(type(error).__name__) from None
        return row[0] if row is not None else None

    def set(self, key: str, value: bytes, timeout: int | None = None) -> bool:
        expires = int(time.time()) + (self.default_timeout if timeout is None else timeout)
        try:
            with self._connection() as connection:
                connection.execute("INSERT INTO sessions (id, expires, value) VALUES (?, ?, ?) ON CONFLICT (id) "
                                   "DO UPDATE SET expires = excluded.expires, value = excluded.value",
                                   (key, expires, value))
        except sqlite3.Error as error:
            # The session identifier is a secret: never logged.
            log.warning("session not written reason=session_write_failed error=%s", type(error).__name__)
            return False
        return True

    def delete(self, key: str) -> bool:
        try:
            with self._connection() as connection:
                return connection.execute("DELETE FROM sessions WHERE id = ?", (key,)).rowcount > 0
        except sqlite3.Error as error:  # a logout or an ended journey whose session stays: not a silent success
            raise SessionNotSaved(type(error).__name__) from None

    def purge_expired(self, now: float | None = None) -> int:
        """Delete the sessions past their expiry; return how many went."""
        now = time.time() if now is None else now
        with self._connection() as connection:
            return connection.execute("DELETE FROM sessions WHERE expires <= ?", (int(now),)).rowcount


class EncryptedRedisSessionInterface(RedisSessionInterface):
    def __init__(self, app: Flask, *, keys: tuple[str, ...], **options: Any) -> None:
        super().__init__(app, **options)
        self.serializer = EncryptedSerializer(keys)

    def _retrieve_session_data(self, store_id: str) -> dict | None:
        # The session lock read it when it took the lock, in the same round trip (app/session_lock.py).
        prefetched = request.environ.get(PREFETCHED)
        value = prefetched[1] if prefetched is not None and prefetched[0] == store_id else self.client.get(store_id)
        return _decrypt(self, store_id, value)


class EncryptedTableSessionInterface(CacheLibSessionInterface):
    def __init__(self, app: Flask, *, keys: tuple[str, ...], **options: Any) -> None:
        super().__init__(app, **options)
        self.serializer = EncryptedSerializer(keys)

    def _retrieve_session_data(self, store_id: str) -> dict | None:
        return _decrypt(self, store_id, self.cache.get(store_id))

    def _upsert_session(self, session_lifetime: Any, session: ServerSideSession, store_id: str) -> None:
        if not self.cache.set(key=store_id, value=self.serializer.encode(session),
                              timeout=int(session_lifetime.total_seconds())):
            raise SessionNotSaved("session row not written")


def make_interface(app: Flask, *, redis_url: str | None, keys: tuple[str, ...],
                   idle_timeout: int) -> ServerSideSessionInterface:
    """Redis when a URL is given, else a SQLite table in the instance folder; every value encrypted with `keys`."""
    options: dict[str, Any] = {"key_prefix": app.config["SESSION_KEY_PREFIX"],
                               "permanent": app.config["SESSION_PERMANENT"], "use_signer": False}
    if redis_url:
        import redis

        # Bounded: a hung Redis ends on the French 503 page (app/observability/session_guard.py), not a timeout.
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
        return EncryptedRedisSessionInterface(app, keys=keys, client=client, **options)
    table = SessionTable(Path(app.instance_path) / SESSIONS_FILE, idle_timeout=idle_timeout)
    return EncryptedTableSessionInterface(app, keys=keys, client=table, **options)


def register_cli(app: Flask, interface: ServerSideSessionInterface) -> None:
    group = AppGroup("sessions", help="Server-side sessions.")

    @group.command("purge")
    def purge() -> None:
        """Delete the sessions abandoned past the idle timeout (run it from cron; Redis needs nothing)."""
        table = getattr(interface, "cache", None)
        if not isinstance(table, SessionTable):
            click.echo("sessions are in Redis, which deletes each one at its idle timeout: nothing to purge")
            return
        click.echo(f"deleted {table.purge_expired()} expired session(s)")

    app.cli.add_command(group)


def _decrypt(interface: ServerSideSessionInterface, store_id: str, value: bytes | None) -> dict | None:
    if not value:
        return None
    try:
        return interface.serializer.decode(value)
    except UnreadableSession as exc:
        # The person starts a new session; the unreadable one is gone, and the log says why, never what.
        log.warning("dropping an unreadable session reason=%s", exc.reason)
        interface._delete_session(store_id)
        return None

