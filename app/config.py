"""Settings: the deployment's cross-cutting values and the composition of every room's settings.

`create_app` loads `DEFAULTS`, then `instance/config.py`, then `FLASK_*` environment variables
(`from_prefixed_env` parses them as JSON, so `13002526500013` arrives as an int and `false` as a bool).
`load_settings` then checks the values every room depends on (environment, public URL, sandbox, SECRET_KEY,
sessions) and calls each room's loader, which coerces and validates its own keys and refuses unsafe
production settings with a clear message. The result is frozen dataclasses that the factory hands to each
room. Code below the views never reads `current_app.config`.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from app import deployment, inbound_limits
from app.config_values import ConfigError, as_bool, as_number, as_str, check_url, instance_secret
from app.connectors import settings as connectors_settings
from app.connectors.settings import SOURCE_SCOPES, ProviderSettings, configured_sources, load_provider_settings
from app.delivery import settings as delivery_settings
from app.delivery.settings import DeliverySettings, load_delivery_settings
from app.delivery.webhooks import settings as webhooks_settings
from app.delivery.webhooks.settings import WebhookSettings, load_webhook_settings
from app.dossiers import settings as dossiers_settings
from app.dossiers.settings import DossierSettings, load_dossier_settings
from app.franceconnect import settings as franceconnect_settings
from app.franceconnect.settings import FranceConnectSettings, load_franceconnect_settings
from app.model.organisation import Organisation
from app.notifications import settings as notifications_settings
from app.notifications.settings import MailSettings, load_mail_settings
from app.organisations import settings as organisations_settings
from app.organisations.settings import load_organisations

ENVIRONMENTS = ("production", "development", "test")
SANDBOX_PORT = 5001
SERVICE_PORT = 5000
DEV_SECRET_KEY_FILE = "secret_key"

DEFAULTS: dict[str, Any] = {
    # "production" unless told otherwise: an unconfigured deployment refuses to start instead of
    # running with development secrets. The README's run command sets "development".
    "ENVIRONMENT": "production",
    "SECRET_KEY": None,
    "PUBLIC_URL": f"http://localhost:{SERVICE_PORT}",
    "SANDBOX": None,  # None = on in development and test, off in production
    "SANDBOX_URL": f"http://127.0.0.1:{SANDBOX_PORT}",
    "TRUSTED_PROXIES": 0,
    "REDIS_URL": None,
    "SESSION_IDLE_TIMEOUT": 30 * 60,
    "SESSION_ABSOLUTE_LIFETIME": 8 * 60 * 60,
    **deployment.DEFAULTS,  # SINGLE_INSTANCE, SESSION_ENCRYPTION_KEYS
    # Request bodies: the longest form (an adhesion with five beneficiaries) is about 80 fields and a few KB;
    # anything far beyond is refused with a French 413 page before it is parsed.
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "MAX_FORM_PARTS": 200,
    **franceconnect_settings.DEFAULTS,
    **connectors_settings.DEFAULTS,
    **dossiers_settings.DEFAULTS,
    **organisations_settings.DEFAULTS,
    **webhooks_settings.DEFAULTS,
    **delivery_settings.DEFAULTS,
    **notifications_settings.DEFAULTS,
    **inbound_limits.DEFAULTS,
}


@dataclass(frozen=True)
class SessionSettings:
    cookie_name: str
    secure: bool
    idle_timeout: int
    absolute_lifetime: int
    redis_url: str | None = field(default=None, repr=False)
    # Fernet keys: the first encrypts each stored session, all decrypt. () when loaded without an instance folder.
    encryption_keys: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Settings:
    environment: str
    public_url: str
    sandbox: bool
    sandbox_url: str
    franceconnect: FranceConnectSettings
    session: SessionSettings
    providers: ProviderSettings
    organisations: dict[str, Organisation] = field(default_factory=dict)
    trusted_proxies: int = 0
    dossiers: DossierSettings | None = None  # None when loaded without an instance folder
    webhooks: WebhookSettings | None = None  # likewise (the default queue file is there)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    mail: MailSettings | None = None  # None: no e-mail acknowledgement (refused in production)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


def load_settings(config: Mapping, *, instance_path: str | None = None) -> Settings:
    """Coerce, validate and freeze the app's configuration; raise ConfigError when it is unsafe.

    The dossiers' settings need the instance folder (development keys, the SQLite file): without one, as when
    only the rest of a configuration is checked, they are not loaded.
    """
    environment = (as_str(config, "ENVIRONMENT") or "production").lower()
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"ENVIRONMENT must be one of {', '.join(ENVIRONMENTS)}, got {environment!r}")
    production = environment == "production"
    sandbox = _sandbox(config, production=production)
    public_url = check_url("PUBLIC_URL", as_str(config, "PUBLIC_URL") or "", production=production)
    sandbox_url = check_url("SANDBOX_URL", as_str(config, "SANDBOX_URL") or "", production=False)

    # FranceConnect comes before the providers although it needs their data scopes: an unconfigured deployment
    # is told first about its FranceConnect registration, as it always was.
    franceconnect = load_franceconnect_settings(
        config, production=production, sandbox=sandbox, sandbox_url=sandbox_url, public_url=public_url,
        data_scopes=tuple(SOURCE_SCOPES[s] for s in configured_sources(config)),
    )
    _check_secret_key(config, production=production)
    if production:
        deployment.check_production_profile(config)
    session = _load_session(config, public_url=public_url,
                            keys=deployment.session_keys(config, production=production, instance_path=instance_path))
    providers = load_provider_settings(config, production=production, sandbox=sandbox, sandbox_url=sandbox_url)
    organisations = load_organisations(config, sandbox=sandbox, instance_path=instance_path, production=production)
    trusted_proxies = as_number(config, "TRUSTED_PROXIES", int, 0)
    dossiers = (load_dossier_settings(config, production=production, instance_path=instance_path)
                if instance_path is not None else None)
    if dossiers is not None:
        _check_organisations_retention(organisations, dossiers)
        if dossiers.attachments.draft_hours * 3600 < session.absolute_lifetime:
            # A draft lives as long as its session: its files must not be purged while it can still be sent.
            raise ConfigError(f"ATTACHMENT_DRAFT_HOURS ({dossiers.attachments.draft_hours}) must cover "
                              f"SESSION_ABSOLUTE_LIFETIME ({session.absolute_lifetime} seconds)")
        deployment.check_keys_apart(session.encryption_keys, dossiers.encryption_keys)
    webhooks = load_webhook_settings(config, instance_path=instance_path) if instance_path is not None else None
    return Settings(
        environment=environment,
        public_url=public_url,
        sandbox=sandbox,
        sandbox_url=sandbox_url,
        franceconnect=franceconnect,
        session=session,
        providers=providers,
        organisations=organisations,
        trusted_proxies=trusted_proxies,
        dossiers=dossiers,
        webhooks=webhooks,
        delivery=load_delivery_settings(config),
        mail=load_mail_settings(config, production=production),
    )


def development_secret_key(instance_path: str) -> str:
    """A per-checkout random key kept in the instance folder, so dev sessions survive restarts."""
    return instance_secret(instance_path, DEV_SECRET_KEY_FILE, lambda: secrets.token_urlsafe(48))


def _sandbox(config: Mapping, *, production: bool) -> bool:
    sandbox = as_bool(config, "SANDBOX")
    if sandbox is None:
        sandbox = not production
    if production and sandbox:
        raise ConfigError("SANDBOX cannot be enabled in production: it would let anyone sign in as anyone")
    return sandbox


def _check_organisations_retention(organisations: Mapping[str, Organisation], dossiers: DossierSettings) -> None:
    # The audit trail must outlive every dossier it speaks of, whoever set the dossier's retention.
    for organisation in organisations.values():
        if (organisation.retention_days or 0) > dossiers.audit_retention_days:
            raise ConfigError(f"organisation {organisation.id!r}: retention_days ({organisation.retention_days}) "
                              f"must not be longer than AUDIT_RETENTION_DAYS ({dossiers.audit_retention_days})")


def _check_secret_key(config: Mapping, *, production: bool) -> None:
    # A missing key outside production is filled in by create_app (development_secret_key, or a random one).
    secret_key = as_str(config, "SECRET_KEY")
    if not secret_key:
        if production:
            raise ConfigError("SECRET_KEY is missing: set a long random value (e.g. python -c "
                              "'import secrets; print(secrets.token_urlsafe(48))')")
    elif production and len(secret_key) < 32:
        raise ConfigError("SECRET_KEY is too short for production: use at least 32 random characters")


def _load_session(config: Mapping, *, public_url: str, keys: tuple[str, ...]) -> SessionSettings:
    secure = urlsplit(public_url).scheme == "https"
    redis_url = as_str(config, "REDIS_URL")
    session = SessionSettings(
        # The __Host- prefix makes the browser refuse the cookie unless it is Secure, host-only and Path=/.
        cookie_name="__Host-dc_session" if secure else "dc_session",
        secure=secure,
        idle_timeout=as_number(config, "SESSION_IDLE_TIMEOUT", int, 60),
        absolute_lifetime=as_number(config, "SESSION_ABSOLUTE_LIFETIME", int, 60),
        redis_url=redis_url,
        encryption_keys=keys,
    )
    if session.absolute_lifetime < session.idle_timeout:
        raise ConfigError("SESSION_ABSOLUTE_LIFETIME must not be shorter than SESSION_IDLE_TIMEOUT")
    return session
