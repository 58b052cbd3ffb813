"""What a deployment's stores need: the production profile and the sessions' encryption keys.

Production runs several instances: they share sessions in Redis and dossiers in PostgreSQL, since per-host session
files or a per-host SQLite file would lose a person's journey whenever the load balancer picks another host. The
service refuses to start otherwise, except that SQLite is accepted when `SINGLE_INSTANCE` says there is only one.
Session values are encrypted (app/session_store.py) with `SESSION_ENCRYPTION_KEYS`, rotatable like the dossiers'.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet

from app.config_values import FERNET_HINT, ConfigError, as_bool, as_str, fernet_keys, instance_secret

DEFAULTS: dict[str, Any] = {
    # Production runs several instances on PostgreSQL and Redis; SQLite is accepted only when it says it runs one.
    "SINGLE_INSTANCE": False,
    "SESSION_ENCRYPTION_KEYS": None,  # None = a development key kept in the instance folder; required in production
}
DEV_SESSION_KEYS_FILE = "session_keys"  # one Fernet key per line, the first encrypts


def check_production_profile(config: Mapping) -> None:
    """Refuse a production configuration that would keep sessions or dossiers on one host."""
    if not as_str(config, "REDIS_URL"):
        raise ConfigError("REDIS_URL is missing: production keeps sessions in Redis, shared by every instance "
                          "(e.g. rediss://:password@redis.internal:6379/0)")
    database = as_str(config, "SQLALCHEMY_DATABASE_URI") or ""
    if not database.startswith(("postgres://", "postgresql")) and not as_bool(config, "SINGLE_INSTANCE"):
        raise ConfigError("SQLALCHEMY_DATABASE_URI must be PostgreSQL in production "
                          "(postgresql+psycopg://user@host/dbname); SQLite only with SINGLE_INSTANCE=true, "
                          "for one instance on one host")


def session_keys(config: Mapping, *, production: bool, instance_path: str | None) -> tuple[str, ...]:
    """The sessions' Fernet keys (the first encrypts, all decrypt); outside production, one kept in the instance
    folder; () when loaded without one."""
    keys = fernet_keys(config, "SESSION_ENCRYPTION_KEYS")
    if keys:
        return keys
    if production:
        raise ConfigError(f"SESSION_ENCRYPTION_KEYS is missing: set one or more Fernet keys ({FERNET_HINT}); "
                          "the first encrypts each session, all decrypt")
    if instance_path is None:
        return ()
    stored = instance_secret(instance_path, DEV_SESSION_KEYS_FILE, lambda: Fernet.generate_key().decode())
    return fernet_keys({"SESSION_ENCRYPTION_KEYS": stored}, "SESSION_ENCRYPTION_KEYS")


def check_keys_apart(session_keys: tuple[str, ...], dossier_keys: tuple[str, ...]) -> None:
    # One leaked key should open the sessions or the dossiers, never both.
    if set(session_keys) & set(dossier_keys):
        raise ConfigError("SESSION_ENCRYPTION_KEYS must differ from every DOSSIER_ENCRYPTION_KEYS key")
