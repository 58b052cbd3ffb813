"""What every room's settings share: the start-up error, coercion of configuration values, development secrets.

Values arrive from `instance/config.py` as Python objects or from `FLASK_*` variables parsed as JSON, so a
number may be a string and a SIRET an int. Imports nothing of the app, so that any room's settings may use it.
"""

from __future__ import annotations

import ipaddress
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from stdnum.fr import siret

FERNET_HINT = "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"


class ConfigError(RuntimeError):
    """Raised at start-up when the configuration is missing, malformed or unsafe."""


def as_str(config: Mapping, key: str) -> str | None:
    value = config.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConfigError(f"{key} must be a string, got a boolean")
    value = str(value).strip()
    return value or None


def as_bool(config: Mapping, key: str) -> bool | None:
    value = config.get(key)
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{key} must be true or false, got {value!r}")


def as_number(config: Mapping, key: str, kind: type, minimum: float) -> Any:
    value = config.get(key)
    if isinstance(value, bool):
        raise ConfigError(f"{key} must be a number, got a boolean")
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a number, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{key} must be at least {minimum}, got {number}")
    return number


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(key: str, url: str, *, production: bool) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{key} must be an absolute http(s) URL, got {url!r}")
    if parts.query or parts.fragment:
        raise ConfigError(f"{key} must not carry a query string or fragment")
    if production and parts.scheme != "https" and not is_loopback(parts.hostname):
        raise ConfigError(f"{key} must use https in production (only loopback may use http)")
    return url.rstrip("/")


def fernet_keys(config: Mapping, key: str) -> tuple[str, ...]:
    """Fernet keys from a list or a space-separated string, in order (the first encrypts, all decrypt); () if unset."""
    raw = config.get(key)
    if raw is None:
        return ()
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    if isinstance(raw, str):
        keys = raw.split()
    elif isinstance(raw, (list, tuple)) and all(isinstance(k, (str, bytes)) for k in raw):
        keys = [k.decode("ascii", "replace") if isinstance(k, bytes) else k for k in raw]
        keys = [k.strip() for k in keys if k.strip()]
    else:
        raise ConfigError(f"{key} must be a list of Fernet keys or a space-separated string")
    for number, value in enumerate(keys, start=1):
        try:
            Fernet(value)
        except ValueError:
            # Never echo the value: it may be a real key with a typo.
            raise ConfigError(f"{key}: key #{number} is not a valid Fernet key "
                              f"(32 url-safe base64-encoded bytes; {FERNET_HINT})") from None
    return tuple(dict.fromkeys(keys))


def validate_siret(value: Any, key: str) -> str:
    """Coerce a SIRET that may arrive as an int from the environment, and check its Luhn key."""
    text = str(value).strip() if value is not None and not isinstance(value, bool) else ""
    if not siret.is_valid(text):
        raise ConfigError(f"{key} must be a valid 14-digit SIRET, got {value!r}")
    return siret.compact(text)


def instance_secret(instance_path: str, name: str, generate: Callable[[], str]) -> str:
    """A development secret kept in the instance folder (0600), created on first use; the same one for every
    worker, even when several start together."""
    path = Path(instance_path) / name
    if not os.path.lexists(path):
        _publish(path, generate())
    try:
        secret = path.read_text().strip()
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read ({exc.strerror}): delete it to generate a key") from None
    if not secret:
        raise ConfigError(f"{path} is empty: delete it to generate a key")
    return secret


def write_private_file(path: Path, text: str) -> None:
    """Replace the file at `path` with `text`, readable by its owner only (0600), atomically: a reader sees the old
    file or the new one, never half of it (a temporary file beside it, flushed, then os.replace)."""
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(draft, path)
    except BaseException:
        if os.path.lexists(draft):
            os.unlink(draft)
        raise


SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_sqlite_file(path: Path) -> None:
    """Create the SQLite file at `path` readable by its owner only (0600) before SQLite opens it, and take group
    and other access away from one an earlier release left readable. SQLite gives its -wal, -shm and -journal
    files the mode of the database file, so they are private too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for name in (path.name, *(path.name + suffix for suffix in SQLITE_COMPANIONS)):
        companion = path.with_name(name)
        if os.path.isfile(companion) and not os.path.islink(companion) and os.stat(companion).st_mode & 0o077:
            os.chmod(companion, 0o600)


def _publish(path: Path, secret: str) -> None:
    # The secret is written in full to a private file (mkstemp: O_EXCL, 0600) and only then linked under its
    # name. The link, like O_EXCL, fails when the name exists — even as a symlink, which is never followed —
    # so exactly one worker's secret wins, and no worker can read a file another has created but not yet written.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as file:
            file.write(secret + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another worker's secret won; instance_secret reads it
    finally:
        os.unlink(draft)
