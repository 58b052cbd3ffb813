"""The dossiers' settings: the database, the content encryption keys, retention and the audit trail's pseudonym key.

Outside production, missing keys are generated once into the instance folder and the database defaults to
SQLite there; production refuses to start without them.
"""

from __future__ import annotations

import json
import secrets
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from app.config_values import FERNET_HINT, ConfigError, as_number, as_str, fernet_keys, instance_secret
from app.dossiers.attachments import AttachmentLimits
from app.model.dossier import JOURNEYS
from app.model.organisation import Organisation

DEFAULTS: dict[str, Any] = {
    # None = development values kept in the instance folder; required in production. The database defaults to
    # SQLite at instance/droits-connect.sqlite3.
    "SQLALCHEMY_DATABASE_URI": None,
    "DOSSIER_ENCRYPTION_KEYS": None,
    "DOSSIER_RETENTION_DAYS": None,  # None = DEFAULT_DOSSIER_RETENTION_DAYS
    "AUDIT_RETENTION_DAYS": 365,
    "AUDIT_PSEUDONYM_KEY": None,
    # The person's files (pièces justificatives): a phone photo of a document is 1-4 MB, a scanned PDF less.
    "ATTACHMENT_MAX_FILE_MB": 5,
    "ATTACHMENT_MAX_COUNT": 8,
    "ATTACHMENT_MAX_TOTAL_MB": 20,
    "ATTACHMENT_DRAFT_HOURS": 24,  # a draft's files wait this long for their dossier, then the purge takes them
}

# How long a dossier is kept after its submission, delivered or not (the organisation keeps its own copy once
# it has pulled it). Pre-admissions are filed weeks before a scheduled stay, so they wait up to a quarter;
# a mutuelle pulls an adhesion within days.
DEFAULT_DOSSIER_RETENTION_DAYS: Mapping[str, int] = types.MappingProxyType({"preadmission": 90, "adhesion": 30})
DATABASE_DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")
DEV_DATABASE_FILE = "droits-connect.sqlite3"
DEV_DOSSIER_KEYS_FILE = "dossier_keys"  # one Fernet key per line, the first encrypts
DEV_PSEUDONYM_KEY_FILE = "audit_pseudonym_key"
MIN_PSEUDONYM_KEY_LENGTH = 32


@dataclass(frozen=True)
class DossierSettings:
    database_uri: str = field(repr=False)  # may carry a password
    encryption_keys: tuple[str, ...] = field(repr=False)  # Fernet keys: the first encrypts, all decrypt
    retention_days: Mapping[str, int]  # per journey, counted from the submission
    audit_retention_days: int
    pseudonym_key: str = field(repr=False)  # HMAC key turning a FranceConnect sub into an audit subject
    attachments: AttachmentLimits = field(default_factory=AttachmentLimits)

    def retention_for(self, journey: str) -> int:
        return self.retention_days[journey]

    def retention_of(self, organisation: Organisation) -> int:
        """How long a dossier sent to `organisation` is kept: its own retention when set, else its journey's."""
        if organisation.retention_days is not None:
            return organisation.retention_days
        return self.retention_for(organisation.journey)


def load_dossier_settings(config: Mapping, *, production: bool, instance_path: str) -> DossierSettings:
    """Coerce and validate the dossiers' settings; outside production, missing keys are kept in the instance folder."""
    keys = fernet_keys(config, "DOSSIER_ENCRYPTION_KEYS")
    if not keys:
        if production:
            raise ConfigError(f"DOSSIER_ENCRYPTION_KEYS is missing: set one or more Fernet keys ({FERNET_HINT})")
        keys = fernet_keys({"DOSSIER_ENCRYPTION_KEYS": instance_secret(
            instance_path, DEV_DOSSIER_KEYS_FILE, lambda: Fernet.generate_key().decode())}, "DOSSIER_ENCRYPTION_KEYS")

    pseudonym_key = as_str(config, "AUDIT_PSEUDONYM_KEY")
    if not pseudonym_key:
        if production:
            raise ConfigError("AUDIT_PSEUDONYM_KEY is missing: set a long random value (at least "
                              f"{MIN_PSEUDONYM_KEY_LENGTH} characters); changing it later changes every pseudonym")
        pseudonym_key = instance_secret(instance_path, DEV_PSEUDONYM_KEY_FILE, lambda: secrets.token_urlsafe(48))
    elif production and len(pseudonym_key) < MIN_PSEUDONYM_KEY_LENGTH:
        raise ConfigError(f"AUDIT_PSEUDONYM_KEY is too short for production: use at least "
                          f"{MIN_PSEUDONYM_KEY_LENGTH} random characters")
    if pseudonym_key in keys:
        raise ConfigError("AUDIT_PSEUDONYM_KEY must differ from every DOSSIER_ENCRYPTION_KEYS key")

    retention = _retention_days(config)
    audit_retention = as_number(config, "AUDIT_RETENTION_DAYS", int, 1)
    if audit_retention < max(retention.values()):
        # The trail must outlive the dossiers it speaks of, or a dossier's history would vanish before it.
        raise ConfigError(f"AUDIT_RETENTION_DAYS ({audit_retention}) must not be shorter than the longest "
                          f"DOSSIER_RETENTION_DAYS ({max(retention.values())})")
    return DossierSettings(
        database_uri=_database_uri(config, instance_path),
        encryption_keys=keys,
        retention_days=types.MappingProxyType(retention),
        audit_retention_days=audit_retention,
        pseudonym_key=pseudonym_key,
        attachments=_attachment_limits(config),
    )


MEGABYTE = 1024 * 1024
MAX_FILE_MB, MAX_TOTAL_MB, MAX_COUNT, MAX_DRAFT_HOURS = 20, 100, 20, 7 * 24


def _bounded(config: Mapping, key: str, maximum: int) -> int:
    number = as_number({key: config.get(key, DEFAULTS[key])}, key, int, 1)
    if number > maximum:
        raise ConfigError(f"{key} must be at most {maximum}, got {number}")
    return number


def _attachment_limits(config: Mapping) -> AttachmentLimits:
    file_mb = _bounded(config, "ATTACHMENT_MAX_FILE_MB", MAX_FILE_MB)
    total_mb = _bounded(config, "ATTACHMENT_MAX_TOTAL_MB", MAX_TOTAL_MB)
    if total_mb < file_mb:
        raise ConfigError(f"ATTACHMENT_MAX_TOTAL_MB ({total_mb}) must not be smaller than "
                          f"ATTACHMENT_MAX_FILE_MB ({file_mb})")
    return AttachmentLimits(
        max_file_bytes=file_mb * MEGABYTE,
        max_count=_bounded(config, "ATTACHMENT_MAX_COUNT", MAX_COUNT),
        max_total_bytes=total_mb * MEGABYTE,
        draft_hours=_bounded(config, "ATTACHMENT_DRAFT_HOURS", MAX_DRAFT_HOURS),
    )


def _retention_days(config: Mapping) -> dict[str, int]:
    raw = config.get("DOSSIER_RETENTION_DAYS")
    example = '{"preadmission": 90, "adhesion": 30}'
    if raw is None:
        return dict(DEFAULT_DOSSIER_RETENTION_DAYS)
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ConfigError(f"DOSSIER_RETENTION_DAYS must be a JSON object such as {example}") from None
    if not isinstance(raw, Mapping):
        raise ConfigError(f"DOSSIER_RETENTION_DAYS must be a JSON object such as {example}")
    unknown = sorted(str(k) for k in set(raw) - set(JOURNEYS))
    if unknown:
        raise ConfigError(f"DOSSIER_RETENTION_DAYS: unknown journey(s) {', '.join(unknown)} "
                          f"(known: {', '.join(JOURNEYS)})")
    days = dict(DEFAULT_DOSSIER_RETENTION_DAYS)
    for journey, value in raw.items():
        key = f"DOSSIER_RETENTION_DAYS.{journey}"
        days[journey] = as_number({key: value}, key, int, 1)
    return days


def _database_uri(config: Mapping, instance_path: str) -> str:
    uri = as_str(config, "SQLALCHEMY_DATABASE_URI")
    if not uri:
        return f"sqlite:///{Path(instance_path).resolve() / DEV_DATABASE_FILE}"
    # Hosting platforms hand out postgres:// URLs; psycopg 3 is the driver we install.
    for prefix in ("postgres://", "postgresql://"):
        if uri.startswith(prefix):
            uri = "postgresql+psycopg://" + uri[len(prefix):]
    try:
        url = make_url(uri)
    except ArgumentError:
        # The URL may hold a password: do not echo it.
        raise ConfigError("SQLALCHEMY_DATABASE_URI is not a database URL "
                          "(e.g. postgresql+psycopg://user@host/dbname or sqlite:////path/to/file)") from None
    if url.drivername not in DATABASE_DRIVERS:
        raise ConfigError(f"SQLALCHEMY_DATABASE_URI must use one of {', '.join(DATABASE_DRIVERS)}, "
                          f"got {url.drivername!r}")
    return uri
