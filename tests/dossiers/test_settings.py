"""Dossier settings: coercion, development keys in the instance folder, refusals with a clear message."""

from __future__ import annotations

import re
import stat

import pytest
from cryptography.fernet import Fernet
from flask import Config

from app import ConfigError
from app.config import DEFAULTS
from app.dossiers.settings import load_dossier_settings

KEY_A, KEY_B = Fernet.generate_key().decode(), Fernet.generate_key().decode()
PRODUCTION = {
    **DEFAULTS,
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://dc:s3cret@db.internal/droits",
    "DOSSIER_ENCRYPTION_KEYS": f"{KEY_A} {KEY_B}",
    "AUDIT_PSEUDONYM_KEY": "q" * 40,
}


def load(config, tmp_path, production=True):
    return load_dossier_settings(config, production=production, instance_path=str(tmp_path))


def test_production_settings_load(tmp_path):
    settings = load(PRODUCTION, tmp_path)
    assert settings.encryption_keys == (KEY_A, KEY_B)
    assert dict(settings.retention_days) == {"preadmission": 90, "adhesion": 30}
    assert settings.audit_retention_days == 365
    assert not list(tmp_path.iterdir())  # production never writes secrets to disk
    shown = repr(settings)
    assert KEY_A not in shown and "s3cret" not in shown and "q" * 40 not in shown


def test_development_generates_keys_once_in_the_instance_folder(tmp_path):
    first = load(DEFAULTS, tmp_path, production=False)
    again = load(DEFAULTS, tmp_path, production=False)
    assert first == again and len(first.encryption_keys) == 1
    Fernet(first.encryption_keys[0])
    assert len(first.pseudonym_key) >= 32
    for name in ("dossier_keys", "audit_pseudonym_key"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    assert first.database_uri == f"sqlite:///{tmp_path.resolve() / 'droits-connect.sqlite3'}"


def test_values_from_the_environment_are_coerced(tmp_path, monkeypatch):
    # from_prefixed_env parses JSON: the retention arrives as a dict, the keys as a list.
    monkeypatch.setenv("FLASK_DOSSIER_RETENTION_DAYS", '{"adhesion": 10}')
    monkeypatch.setenv("FLASK_DOSSIER_ENCRYPTION_KEYS", f'["{KEY_B}", "{KEY_A}"]')
    monkeypatch.setenv("FLASK_AUDIT_RETENTION_DAYS", "120")
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", "postgres://dc@127.0.0.1/droits")
    config = Config(str(tmp_path), {**PRODUCTION})
    config.from_prefixed_env()
    settings = load(config, tmp_path)
    assert dict(settings.retention_days) == {"preadmission": 90, "adhesion": 10}
    assert settings.encryption_keys == (KEY_B, KEY_A) and settings.audit_retention_days == 120
    assert settings.database_uri == "postgresql+psycopg://dc@127.0.0.1/droits"


def test_attachment_caps_from_megabytes(tmp_path):
    limits = load({**PRODUCTION, "ATTACHMENT_MAX_FILE_MB": "2", "ATTACHMENT_MAX_TOTAL_MB": 6}, tmp_path).attachments
    assert (limits.max_file_bytes, limits.max_total_bytes, limits.max_count) == (2 << 20, 6 << 20, 8)


def test_retention_as_a_json_string(tmp_path):
    settings = load({**PRODUCTION, "DOSSIER_RETENTION_DAYS": '{"preadmission": 60}'}, tmp_path)
    assert settings.retention_for("preadmission") == 60 and settings.retention_for("adhesion") == 30


@pytest.mark.parametrize(
    "override, message",
    [
        ({"DOSSIER_ENCRYPTION_KEYS": None}, "DOSSIER_ENCRYPTION_KEYS is missing"),
        ({"DOSSIER_ENCRYPTION_KEYS": "  "}, "DOSSIER_ENCRYPTION_KEYS is missing"),
        ({"DOSSIER_ENCRYPTION_KEYS": f"{KEY_A} not-a-fernet-key"}, "key #2 is not a valid Fernet key"),
        ({"DOSSIER_ENCRYPTION_KEYS": [KEY_A, KEY_A[:-4]]}, "key #2 is not a valid Fernet key"),
        ({"DOSSIER_ENCRYPTION_KEYS": 42}, "list of Fernet keys"),
        ({"AUDIT_PSEUDONYM_KEY": None}, "AUDIT_PSEUDONYM_KEY is missing"),
        ({"AUDIT_PSEUDONYM_KEY": "short"}, "AUDIT_PSEUDONYM_KEY is too short"),
        ({"AUDIT_PSEUDONYM_KEY": KEY_A}, "must differ"),
        ({"AUDIT_RETENTION_DAYS": 60}, "AUDIT_RETENTION_DAYS (60) must not be shorter"),
        ({"AUDIT_RETENTION_DAYS": "a year"}, "AUDIT_RETENTION_DAYS must be a number"),
        ({"AUDIT_RETENTION_DAYS": 0}, "AUDIT_RETENTION_DAYS must be at least 1"),
        ({"DOSSIER_RETENTION_DAYS": {"preadmission": 0}}, "DOSSIER_RETENTION_DAYS.preadmission must be at least 1"),
        ({"DOSSIER_RETENTION_DAYS": {"adhesion": True}}, "DOSSIER_RETENTION_DAYS.adhesion must be a number"),
        ({"DOSSIER_RETENTION_DAYS": {"tax": 10}}, "unknown journey(s) tax"),
        ({"DOSSIER_RETENTION_DAYS": "90"}, "JSON object"),
        ({"DOSSIER_RETENTION_DAYS": "{not json"}, "JSON object"),
        ({"DOSSIER_RETENTION_DAYS": {"preadmission": 400}}, "must not be shorter than the longest"),
        ({"SQLALCHEMY_DATABASE_URI": "mysql://dc:s3cret@db/droits"}, "must use one of"),
        ({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg2://dc:s3cret@db/droits"}, "must use one of"),
        ({"SQLALCHEMY_DATABASE_URI": "dc:s3cret at db"}, "is not a database URL"),
        ({"ATTACHMENT_MAX_FILE_MB": 0}, "ATTACHMENT_MAX_FILE_MB must be at least 1"),
        ({"ATTACHMENT_MAX_FILE_MB": 50}, "ATTACHMENT_MAX_FILE_MB must be at most 20"),
        ({"ATTACHMENT_MAX_FILE_MB": "5 Mo"}, "ATTACHMENT_MAX_FILE_MB must be a number"),
        ({"ATTACHMENT_MAX_TOTAL_MB": 2}, "ATTACHMENT_MAX_TOTAL_MB (2) must not be smaller than"),
        ({"ATTACHMENT_MAX_TOTAL_MB": 500}, "ATTACHMENT_MAX_TOTAL_MB must be at most 100"),
        ({"ATTACHMENT_MAX_COUNT": 0}, "ATTACHMENT_MAX_COUNT must be at least 1"),
        ({"ATTACHMENT_MAX_COUNT": True}, "ATTACHMENT_MAX_COUNT must be a number"),
        ({"ATTACHMENT_DRAFT_HOURS": 1000}, "ATTACHMENT_DRAFT_HOURS must be at most 168"),
    ],
)
def test_unsafe_or_malformed_settings_are_refused(tmp_path, override, message):
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        load({**PRODUCTION, **override}, tmp_path)
    assert "s3cret" not in str(caught.value) and "not-a-fernet-key" not in str(caught.value)
    assert KEY_A not in str(caught.value) and KEY_A[:-4] not in str(caught.value)


def test_development_still_validates_given_keys(tmp_path):
    with pytest.raises(ConfigError, match="key #1"):
        load({**DEFAULTS, "DOSSIER_ENCRYPTION_KEYS": "nope"}, tmp_path, production=False)
    assert not (tmp_path / "dossier_keys").exists()
