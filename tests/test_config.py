"""Settings: coercion of FLASK_* values and refusal of unsafe production settings."""

import json
import os
import secrets
import stat
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.fernet import Fernet

from app import create_app
from app.config import DEFAULTS, development_secret_key, load_settings
from app.config_values import ConfigError, validate_siret
from app.connectors import settings as connectors_settings
from app.dossiers import settings as dossiers_settings
from app.extensions import services
from app.franceconnect import settings as franceconnect_settings
from app.organisations import settings as organisations_settings

PRODUCTION = {
    **DEFAULTS,
    "ENVIRONMENT": "production",
    "SECRET_KEY": "x" * 48,
    "PUBLIC_URL": "https://droits-connect.example.fr",
    "FC_ISSUER": "https://oidc.franceconnect.gouv.fr/api/v2",
    "FC_CLIENT_ID": "client",
    "FC_CLIENT_SECRET": "s" * 64,
    "SANDBOX": False,
    "API_PARTICULIER_URL": "https://particulier.api.gouv.fr",
    "API_PARTICULIER_RECIPIENT": 13002526500013,
    "CNAM_API_URL": "https://partenaires.api.ameli.fr/v1/droits/beneficiaires",
    "CNAM_API_KEY": "k" * 32,
    "REDIS_URL": "rediss://:password@redis.internal:6379/0",
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://dc@db.internal/droits_connect",
    "SESSION_ENCRYPTION_KEYS": "kmT5vXxgGzX7d3E4P4aGf3sW5JmJ2nW0l3qf0o1yZ8U=",
    "MAIL_SMTP_HOST": "smtp.internal",
    "MAIL_FROM": "Droits Connect <ne-pas-repondre@droits-connect.example.fr>",
}


def test_safe_production_settings_load():
    settings = load_settings(PRODUCTION)
    assert settings.is_production and not settings.sandbox
    assert settings.franceconnect.redirect_uri == "https://droits-connect.example.fr/auth/callback"
    assert settings.session.cookie_name == "__Host-dc_session" and settings.session.secure


@pytest.mark.parametrize(
    "override, message",
    [
        ({"SECRET_KEY": None}, "SECRET_KEY is missing"),
        ({"SECRET_KEY": "short"}, "too short"),
        ({"SANDBOX": True}, "SANDBOX cannot be enabled"),
        ({"SANDBOX": "true"}, "SANDBOX cannot be enabled"),
        ({"FC_ISSUER": "http://fc.example.fr/api/v2"}, "FC_ISSUER must use https"),
        ({"FC_ISSUER": None}, "FC_ISSUER"),
        ({"FC_CLIENT_SECRET": ""}, "FC_CLIENT_SECRET"),
        ({"FC_ID_TOKEN_ALG": "HS256"}, "FC_ID_TOKEN_ALG"),
        ({"FC_ID_TOKEN_ALG": "none"}, "FC_ID_TOKEN_ALG"),
        ({"PUBLIC_URL": "http://droits-connect.example.fr"}, "PUBLIC_URL must use https"),
        ({"FC_SCOPES": "given_name family_name"}, "openid"),
        ({"ENVIRONMENT": "staging"}, "ENVIRONMENT"),
        ({"SESSION_IDLE_TIMEOUT": "soon"}, "SESSION_IDLE_TIMEOUT"),
        ({"SESSION_IDLE_TIMEOUT": True}, "SESSION_IDLE_TIMEOUT"),
        ({"SESSION_ABSOLUTE_LIFETIME": 120, "SESSION_IDLE_TIMEOUT": 600}, "ABSOLUTE"),
        ({"API_PARTICULIER_URL": "http://particulier.api.gouv.fr"}, "API_PARTICULIER_URL must use https"),
        ({"API_PARTICULIER_RECIPIENT": 13002526500014}, "API_PARTICULIER_RECIPIENT must be a valid"),
        ({"API_PARTICULIER_RECIPIENT": None}, "API_PARTICULIER_RECIPIENT"),
        ({"CNAM_API_KEY": None}, "CNAM_API_KEY"),
        ({"CNAM_API_KEY": "sandbox-cnam-api-key"}, "development key"),
        ({"RIGHTS_SOURCES": "c2s impots"}, "unknown source"),
        ({"RIGHTS_DEADLINE": 55}, "far below"),
        ({"FC_SCOPES": "openid given_name family_name email"}, "identité pivot"),
        # The production profile: several instances share Redis sessions and a PostgreSQL database.
        ({"REDIS_URL": None}, "REDIS_URL is missing: production keeps sessions in Redis"),
        ({"REDIS_URL": ""}, "REDIS_URL is missing"),
        ({"SQLALCHEMY_DATABASE_URI": None}, "must be PostgreSQL in production.*SINGLE_INSTANCE=true"),
        ({"SQLALCHEMY_DATABASE_URI": "sqlite:////srv/dc/dc.sqlite3"}, "must be PostgreSQL in production"),
        ({"SQLALCHEMY_DATABASE_URI": "sqlite:////srv/dc/dc.sqlite3", "SINGLE_INSTANCE": "false"}, "PostgreSQL"),
        ({"SESSION_ENCRYPTION_KEYS": None}, "SESSION_ENCRYPTION_KEYS is missing: set one or more Fernet keys"),
        ({"SESSION_ENCRYPTION_KEYS": "not-a-fernet-key"}, "SESSION_ENCRYPTION_KEYS: key #1 is not a valid"),
        # The e-mail acknowledgement: a relay and a sender, and no plain SMTP beyond loopback.
        ({"MAIL_SMTP_HOST": None}, "MAIL_SMTP_HOST is missing"),
        ({"MAIL_FROM": None}, "MAIL_FROM is missing"),
        ({"MAIL_STARTTLS": False}, "MAIL_STARTTLS is off towards a remote SMTP host"),
    ],
)
def test_unsafe_production_settings_are_refused(override, message):
    with pytest.raises(ConfigError, match=message):
        load_settings({**PRODUCTION, **override})


@pytest.mark.parametrize("single_instance", [True, "true", 1])
def test_production_accepts_sqlite_only_when_it_says_it_runs_one_instance(single_instance):
    settings = load_settings({**PRODUCTION, "SQLALCHEMY_DATABASE_URI": "sqlite:////srv/dc/dc.sqlite3",
                              "SINGLE_INSTANCE": single_instance})
    assert settings.is_production
    # Sessions stay in Redis even then: the profile never falls back to per-host files.
    with pytest.raises(ConfigError, match="REDIS_URL"):
        load_settings({**PRODUCTION, "SQLALCHEMY_DATABASE_URI": "sqlite:////srv/dc/dc.sqlite3",
                       "SINGLE_INSTANCE": single_instance, "REDIS_URL": None})


def test_production_refuses_to_start_without_redis_even_from_the_environment(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith("FLASK_"):
            monkeypatch.delenv(key)
    for key, value in PRODUCTION.items():
        if key not in DEFAULTS or value != DEFAULTS[key]:
            monkeypatch.setenv(f"FLASK_{key}", json.dumps(value))
    monkeypatch.delenv("FLASK_REDIS_URL")
    with pytest.raises(ConfigError, match="REDIS_URL is missing"):
        create_app_from_env(tmp_path)


def test_session_keys_rotate_and_never_double_as_dossier_keys(tmp_path):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = load_settings({**PRODUCTION, "SESSION_ENCRYPTION_KEYS": f"{new} {old}"})
    assert settings.session.encryption_keys == (new, old) and new not in repr(settings.session)
    development = {**DEFAULTS, "ENVIRONMENT": "development", "DOSSIER_ENCRYPTION_KEYS": new}
    with pytest.raises(ConfigError, match="SESSION_ENCRYPTION_KEYS must differ"):
        load_settings({**development, "SESSION_ENCRYPTION_KEYS": [new]}, instance_path=str(tmp_path))


def test_development_keeps_one_session_key_in_the_instance_folder(tmp_path):
    development = {**DEFAULTS, "ENVIRONMENT": "development"}
    first = load_settings(development, instance_path=str(tmp_path)).session.encryption_keys
    again = load_settings(development, instance_path=str(tmp_path)).session.encryption_keys
    assert len(first) == 1 and first == again
    Fernet(first[0])
    assert stat.S_IMODE((tmp_path / "session_keys").stat().st_mode) == 0o600


def test_loopback_http_issuer_is_allowed_in_production():
    settings = load_settings({**PRODUCTION, "FC_ISSUER": "http://127.0.0.1:5001/api/v2"})
    assert settings.franceconnect.issuer == "http://127.0.0.1:5001/api/v2"


def test_sandbox_defaults_on_in_development_and_registers_the_dev_client():
    settings = load_settings({**DEFAULTS, "ENVIRONMENT": "development"})
    assert settings.sandbox
    assert settings.franceconnect.issuer == "http://127.0.0.1:5001/api/v2"
    assert settings.session.cookie_name == "dc_session" and not settings.session.secure


def test_values_parsed_from_the_environment_are_coerced(monkeypatch, tmp_path):
    # from_prefixed_env parses JSON: numbers arrive as ints, booleans as bools.
    monkeypatch.setenv("FLASK_ENVIRONMENT", "development")
    monkeypatch.setenv("FLASK_SESSION_IDLE_TIMEOUT", "900")
    monkeypatch.setenv("FLASK_FC_ID_TOKEN_ALG", "rs256")
    monkeypatch.setenv("FLASK_SANDBOX", "true")
    monkeypatch.setenv("FLASK_FC_SCOPES", '["openid", "given_name", "openid"]')
    monkeypatch.setenv("FLASK_RIGHTS_SOURCES", "[]")
    monkeypatch.setenv("FLASK_API_PARTICULIER_RECIPIENT", "13002526500013")
    app = create_app_from_env(tmp_path)
    settings = services(app).settings
    assert settings.session.idle_timeout == 900
    assert settings.franceconnect.id_token_alg == "RS256"
    assert settings.franceconnect.scopes == ("openid", "given_name")
    assert settings.providers.sources == ()
    assert settings.providers.recipient == "13002526500013"  # arrived as an int


def test_data_scopes_follow_the_chosen_sources():
    providers = load_settings(PRODUCTION).providers
    assert providers.scopes_for({"c2s", "cnam"}) == ("complementaire_sante_solidaire", "droits_assurance_maladie")
    assert providers.scopes_for({"cnam"}) == ("droits_assurance_maladie",)
    only_c2s = load_settings({**PRODUCTION, "RIGHTS_SOURCES": ["c2s"], "CNAM_API_KEY": None}).providers
    assert only_c2s.scopes_for({"c2s", "cnam"}) == ("complementaire_sante_solidaire",)


def test_sandbox_provides_provider_defaults_in_development():
    providers = load_settings({**DEFAULTS, "ENVIRONMENT": "development"}).providers
    assert providers.api_particulier_url == "http://127.0.0.1:5001"
    assert providers.cnam_url == "http://127.0.0.1:5001/test/v1/droits/beneficiaires"
    assert providers.recipient == "13002526500013" and providers.deadline == 10.0


def test_production_without_configuration_refuses_to_start(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith("FLASK_"):
            monkeypatch.delenv(key)
    with pytest.raises(ConfigError, match="missing setting"):
        create_app_from_env(tmp_path)


def create_app_from_env(instance_path):
    return create_app(instance_path=str(instance_path))


@pytest.mark.parametrize("value", [13002526500013, "13002526500013", " 130 025 265 00013 "])
def test_siret_accepts_ints_and_spaces(value):
    assert validate_siret(value, "RECIPIENT") == "13002526500013"


@pytest.mark.parametrize("value", [13002526500014, "1300252650001", True, None, "abc"])
def test_siret_refuses_bad_checksums_and_types(value):
    with pytest.raises(ConfigError, match="RECIPIENT"):
        validate_siret(value, "RECIPIENT")


def test_sandbox_brings_demo_organisations():
    organisations = load_settings({**DEFAULTS, "ENVIRONMENT": "development"}).organisations
    assert organisations["chu-demo"].journey == "preadmission"
    assert organisations["mutuelle-demo"].journey == "adhesion"


def test_organisations_come_from_the_registry_file(tmp_path):
    (tmp_path / "organisations.toml").write_text(
        '[organisations.chu-x]\nname = "CHU X"\nkind = "hopital"\ncontact = "dpo@chu-x.fr"\n')
    development = {**DEFAULTS, "ENVIRONMENT": "development"}
    assert list(load_settings(development, instance_path=str(tmp_path)).organisations) == ["chu-x"]
    assert load_settings(PRODUCTION).organisations == {}
    (tmp_path / "organisations.toml").write_text('[organisations.chu-x]\nname = "CHU X"\nkind = "clinique"\n')
    with pytest.raises(ConfigError, match="organisation 'chu-x': kind"):
        load_settings(development, instance_path=str(tmp_path))


def test_an_organisation_may_not_keep_dossiers_longer_than_the_audit_trail(tmp_path):
    (tmp_path / "organisations.toml").write_text('[organisations.chu-x]\nname = "CHU X"\nkind = "hopital"\n'
                                                 'contact = "dpo@chu-x.fr"\nretention_days = 400\n')
    config = {**DEFAULTS, "ENVIRONMENT": "development", "AUDIT_RETENTION_DAYS": 365}
    with pytest.raises(ConfigError, match="'chu-x': retention_days .*AUDIT_RETENTION_DAYS"):
        load_settings(config, instance_path=str(tmp_path))
    assert load_settings({**config, "AUDIT_RETENTION_DAYS": 400},
                         instance_path=str(tmp_path)).organisations["chu-x"].retention_days == 400


def test_a_drafts_files_wait_at_least_as_long_as_its_session(tmp_path):
    config = {**DEFAULTS, "ENVIRONMENT": "development", "SESSION_ABSOLUTE_LIFETIME": 8 * 3600}
    with pytest.raises(ConfigError, match=r"ATTACHMENT_DRAFT_HOURS \(7\) must cover SESSION_ABSOLUTE_LIFETIME"):
        load_settings({**config, "ATTACHMENT_DRAFT_HOURS": 7}, instance_path=str(tmp_path))
    assert load_settings({**config, "ATTACHMENT_DRAFT_HOURS": 8},
                         instance_path=str(tmp_path)).dossiers.attachments.draft_hours == 8


def test_development_secret_key_is_one_key_for_workers_starting_together(tmp_path, monkeypatch):
    together = threading.Barrier(2, timeout=5)
    candidates = iter(("first-candidate", "second-candidate"))

    def token_urlsafe(nbytes):
        candidate = next(candidates)
        together.wait()  # both workers have found no key file and each made its own
        return candidate

    monkeypatch.setattr(secrets, "token_urlsafe", token_urlsafe)
    with ThreadPoolExecutor(2) as pool:
        keys = list(pool.map(development_secret_key, [str(tmp_path)] * 2))
    assert keys[0] == keys[1] in ("first-candidate", "second-candidate")
    assert (tmp_path / "secret_key").read_text().strip() == keys[0]
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_development_secret_key_refuses_a_planted_symlink(tmp_path):
    (tmp_path / "secret_key").symlink_to(tmp_path / "readable-by-someone-else")
    with pytest.raises(ConfigError, match="secret_key cannot be read"):
        development_secret_key(str(tmp_path))
    assert not (tmp_path / "readable-by-someone-else").exists()


def test_room_defaults_do_not_overlap():
    fragments = [franceconnect_settings.DEFAULTS, connectors_settings.DEFAULTS, dossiers_settings.DEFAULTS,
                 organisations_settings.DEFAULTS]
    keys = [key for fragment in fragments for key in fragment]
    assert len(keys) == len(set(keys)) and set(keys) <= set(DEFAULTS)


def test_the_factory_loads_the_dossiers_settings_with_the_rest(make_app):
    app = make_app()
    assert services(app).settings.dossiers is not None
    assert load_settings(PRODUCTION).dossiers is None  # no instance folder: the rest is checked alone
