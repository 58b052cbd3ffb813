"""Where the server-side session is kept, encrypted, and how abandoned sessions go.

Flask-Session keeps each session under a random identifier: in Redis in production (several instances), in files
under `instance/sessions/` on a laptop. The stored value is the whole session serialised with msgpack, then
encrypted with Fernet (`SESSION_ENCRYPTION_KEYS`: the first key encrypts, every key decrypts, so a key is rotated
by putting the new one first and dropping the old one after the idle timeout). A dump of Redis or of the folder
therefore shows no identity, NIR, rights, token nor draft. A value that does not decrypt (its key was dropped, it
was tampered with) or does not decode is deleted and read as no session at all, logged by reason code.

Redis expires each key at the idle timeout. Files carry the same expiry, and `flask sessions purge` (run from cron)
deletes the expired ones, since cachelib only prunes a crowded folder. The files hold raw ciphertext, not pickles:
a planted file is never unpickled.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import struct
import time
from pathlib import Path
from typing import Any, BinaryIO

import click
import msgspec
from cachelib import FileSystemCache
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask
from flask.cli import AppGroup
from flask_session.base import Serializer, ServerSideSession, ServerSideSessionInterface
from flask_session.cachelib import CacheLibSessionInterface
from flask_session.redis import RedisSessionInterface

log = logging.getLogger(__name__)


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
    """The session's file could not be written: the request ends on the French 503 page (the session guard), not
    on a redirect to a step whose session is the one from before (a draft silently lost)."""


class _RawBytes:
    """cachelib's file serializer, without pickle: the value is already bytes (ciphertext)."""

    def dump(self, value: bytes, f: BinaryIO) -> None:
        f.write(value)

    def load(self, f: BinaryIO) -> bytes:
        return f.read()


class SessionFiles(FileSystemCache):
    """Session files, 0600 in a 0700 folder, each expiring at the idle timeout; no count file, no pruning on
    write: `purge_expired` deletes what is past its time."""

    serializer = _RawBytes()

    def set(self, key: str, value: bytes, timeout: int | None = None, mgmt_element: bool = False) -> bool:
        """Write the file whole or not at all (a temporary file renamed over it), as cachelib does, without what
        sessions do not need: cachelib's random `mkstemp` name, `chmod` after the rename, `isfile` and `stat`
        (which keep its count file): a journey writes its session about ten times (132 -> 65 µs of CPU a write).
        The temporary file is created 0600 and exclusively (`O_EXCL`, never through a planted link)."""
        expires = self._normalize_timeout(timeout)
        filename = self._get_filename(key)
        temporary = f"{filename}.{secrets.token_hex(8)}{self._fs_transaction_suffix}"
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with open(fd, "wb") as file:
                file.write(struct.pack("I", expires))
                file.write(value)
            os.replace(temporary, filename)
        except OSError as error:
            # Flask-Session goes on without it, as with cachelib: the person's next request finds the session it
            # had before this one. The file name is derived from the session identifier: never logged.
            log.warning("session file not written reason=session_write_failed error=%s", type(error).__name__)
            with contextlib.suppress(OSError):
                os.remove(temporary)
            return False
        return True

    def __init__(self, directory: Path, *, idle_timeout: int) -> None:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory.chmod(0o700)
        super().__init__(str(directory), threshold=0, default_timeout=idle_timeout, mode=0o600)
        self.idle_timeout = idle_timeout

    def purge_expired(self, now: float | None = None) -> int:
        """Delete the sessions past their expiry, and writes that died half-way; return how many sessions went."""
        now = time.time() if now is None else now
        removed = 0
        for entry in os.scandir(self._path):
            if not entry.is_file(follow_symlinks=False):
                continue
            if entry.name.endswith(self._fs_transaction_suffix):
                if entry.stat().st_mtime < now - self.idle_timeout:
                    _remove(entry.path)
                continue
            if _expired(entry.path, now):
                removed += _remove(entry.path)
        return removed


class EncryptedRedisSessionInterface(RedisSessionInterface):
    def __init__(self, app: Flask, *, keys: tuple[str, ...], **options: Any) -> None:
        super().__init__(app, **options)
        self.serializer = EncryptedSerializer(keys)

    def _retrieve_session_data(self, store_id: str) -> dict | None:
        return _decrypt(self, store_id, self.client.get(store_id))


class EncryptedFileSessionInterface(CacheLibSessionInterface):
    def __init__(self, app: Flask, *, keys: tuple[str, ...], **options: Any) -> None:
        super().__init__(app, **options)
        self.serializer = EncryptedSerializer(keys)

    def _retrieve_session_data(self, store_id: str) -> dict | None:
        return _decrypt(self, store_id, self.cache.get(store_id))

    def _upsert_session(self, session_lifetime: Any, session: ServerSideSession, store_id: str) -> None:
        if not self.cache.set(key=store_id, value=self.serializer.encode(session),
                              timeout=int(session_lifetime.total_seconds())):
            raise SessionNotSaved("session file not written")


def make_interface(app: Flask, *, redis_url: str | None, keys: tuple[str, ...],
                   idle_timeout: int) -> ServerSideSessionInterface:
    """Redis when a URL is given, else files in the instance folder; every value encrypted with `keys`."""
    options: dict[str, Any] = {"key_prefix": app.config["SESSION_KEY_PREFIX"],
                               "permanent": app.config["SESSION_PERMANENT"], "use_signer": False}
    if redis_url:
        import redis

        # Bounded: a hung Redis ends on the French 503 page (app/observability/session_guard.py), not a timeout.
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
        return EncryptedRedisSessionInterface(app, keys=keys, client=client, **options)
    files = SessionFiles(Path(app.instance_path) / "sessions", idle_timeout=idle_timeout)
    return EncryptedFileSessionInterface(app, keys=keys, client=files, **options)


def register_cli(app: Flask, interface: ServerSideSessionInterface) -> None:
    group = AppGroup("sessions", help="Server-side sessions.")

    @group.command("purge")
    def purge() -> None:
        """Delete the session files abandoned past the idle timeout (run it from cron; Redis needs nothing)."""
        files = getattr(interface, "cache", None)
        if not isinstance(files, SessionFiles):
            click.echo("sessions are in Redis, which deletes each one at its idle timeout: nothing to purge")
            return
        click.echo(f"deleted {files.purge_expired()} expired session(s)")

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


def _expired(path: str, now: float) -> bool:
    try:
        with open(path, "rb") as file:
            (expires,) = struct.unpack("I", file.read(4))
    except (OSError, struct.error):
        return False
    # Every session file carries its expiry; one without (0: cachelib's "never") is an earlier release's count file.
    return expires == 0 or expires < now


def _remove(path: str) -> int:
    try:
        os.remove(path)
    except FileNotFoundError:  # another purge, or the person's own logout, got there first
        return 0
    return 1
