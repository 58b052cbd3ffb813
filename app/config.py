"""Settings: defaults, coercion and validation, all in one place.

`create_app` loads defaults, then `instance/config.py`, then `FLASK_*` environment variables
(`from_prefixed_env` parses them as JSON, so `13002526500013` arrives as an int and `false` as a bool).
`load_settings` then coerces every value, refuses unsafe production settings with a clear message, and
returns frozen dataclasses that the factory hands to each room. Code below the views never reads
`current_app.config`.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from stdnum.fr import siret

from app.model.dossier import JOURNEYS, is_organisation
from app.model.organisation import JOURNEY_OF_KIND, Organisation

ENVIRONMENTS = ("production", "development", "test")
ALLOWED_ID_TOKEN_ALGS = ("ES256", "RS256")
IDENTITE_PIVOT_SCOPES = ("given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry")
SANDBOX_PORT = 5001
SERVICE_PORT = 5000

DEFAULTS: dict[str, Any] = {
    # "production" unless told otherwise: an unconfigured deployment refuses to start instead of
    # running with development secrets. The README's run command sets "development".
    "ENVIRONMENT": "production",
    "SECRET_KEY": None,
    "PUBLIC_URL": f"http://localhost:{SERVICE_PORT}",
    "SANDBOX": None,  # None = on in development and test, off in production
    "SANDBOX_URL": f"http://127.0.0.1:{SANDBOX_PORT}",
    "FC_ISSUER": None,  # None = the sandbox's issuer when the sandbox is on
    "FC_CLIENT_ID": None,
    "FC_CLIENT_SECRET": None,
    "FC_ID_TOKEN_ALG": "ES256",
    "FC_SCOPES": "openid " + " ".join(IDENTITE_PIVOT_SCOPES) + " email",
    "FC_HTTP_TIMEOUT": 5.0,
    "FC_CLOCK_LEEWAY": 30,
    "FC_JWKS_REFRESH_INTERVAL": 60,
    "REDIS_URL": None,
    "SESSION_IDLE_TIMEOUT": 30 * 60,
    "SESSION_ABSOLUTE_LIFETIME": 8 * 60 * 60,
    "TRUSTED_PROXIES": 0,
    # Rights retrieval (shared/reference/data-providers.md). URLs and credentials default to the
    # sandbox's when it is on.
    "RIGHTS_SOURCES": "c2s cnam",
    "RIGHTS_DEADLINE": 10.0,
    "PROVIDER_CONNECT_TIMEOUT": 3.05,
    "PROVIDER_CALL_TIMEOUT": 5.0,
    "API_PARTICULIER_URL": None,
    "API_PARTICULIER_RECIPIENT": None,
    "CNAM_API_URL": None,
    "CNAM_API_KEY": None,
    "CNAM_EXONERATIONS": True,  # only ever fetched for healthcare establishments (journeys.signin)
    # Dossiers (load_dossier_settings). None = development values kept in the instance folder; required in
    # production. The database defaults to SQLite at instance/droits-connect.sqlite3.
    "SQLALCHEMY_DATABASE_URI": None,
    "DOSSIER_ENCRYPTION_KEYS": None,
    "DOSSIER_RETENTION_DAYS": None,  # None = DEFAULT_DOSSIER_RETENTION_DAYS
    "AUDIT_RETENTION_DAYS": 365,
    "AUDIT_PSEUDONYM_KEY": None,
    # Request bodies: the longest form (an adhesion with five beneficiaries) is about 80 fields and a few KB;
    # anything far beyond is refused with a French 413 page before it is parsed.
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "MAX_FORM_PARTS": 200,
}

# Development-only FranceConnect client, registered automatically in the sandbox.
DEV_CLIENT_ID = "6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985704f39950"
DEV_CLIENT_SECRET = "droits-connect-sandbox-secret-not-for-production"
DEV_RECIPIENT = "13002526500013"  # the SIRET API Particulier's own staging examples use
DEV_CNAM_API_KEY = "sandbox-cnam-api-key"
CNAM_SANDBOX_PATH = "/test/v1/droits/beneficiaires"  # the path of the CNAM's published test server

# Each data source and the FranceConnect scope that lets its provider answer (data-providers.md A.4, B.3).
SOURCE_SCOPES = {"c2s": "complementaire_sante_solidaire", "cnam": "droits_assurance_maladie"}
# Overall budget of a retrieval: the FranceConnect access token dies 60 s after it is issued.
MAX_RIGHTS_DEADLINE = 30.0


class ConfigError(RuntimeError):
    """Raised at start-up when the configuration is missing, malformed or unsafe."""


@dataclass(frozen=True)
class FranceConnectSettings:
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    id_token_alg: str
    scopes: tuple[str, ...]
    redirect_uri: str
    post_logout_redirect_uri: str
    acr_values: str = "eidas1"
    http_timeout: float = 5.0
    clock_leeway: int = 30
    jwks_refresh_interval: int = 60


@dataclass(frozen=True)
class SessionSettings:
    cookie_name: str
    secure: bool
    idle_timeout: int
    absolute_lifetime: int
    redis_url: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ProviderSettings:
    sources: tuple[str, ...]  # the data sources this deployment may use: "c2s", "cnam"
    deadline: float
    connect_timeout: float
    call_timeout: float
    api_particulier_url: str
    recipient: str
    cnam_url: str
    cnam_api_key: str = field(repr=False)
    cnam_exonerations: bool = False  # only healthcare establishments may receive exonérations

    def scopes_for(self, sources) -> tuple[str, ...]:
        return tuple(SOURCE_SCOPES[s] for s in self.sources if s in sources)

    def sign_in_scopes(self, all_scopes: tuple[str, ...], sources) -> tuple[str, ...]:
        """The identity scopes plus the data scopes of the chosen sources, and nothing else."""
        data_scopes = set(SOURCE_SCOPES.values())
        return tuple(s for s in all_scopes if s not in data_scopes) + self.scopes_for(sources)


SANDBOX_ORGANISATIONS = {
    "chu-demo": {"name": "Centre hospitalier de Démonstration", "kind": "hopital",
                 "contact": "admissions@chu-demo.example", "dpo": "dpo@chu-demo.example"},
    "mutuelle-demo": {"name": "Mutuelle de Démonstration", "kind": "mutuelle",
                      "contact": "adhesion@mutuelle-demo.example", "dpo": "dpo@mutuelle-demo.example"},
}


@dataclass(frozen=True)
class Settings:
    environment: str
    public_url: str
    sandbox: bool
    sandbox_url: str
    franceconnect: FranceConnectSettings
    session: SessionSettings
    providers: ProviderSettings
    organisations: dict = field(default_factory=dict)  # id -> Organisation
    trusted_proxies: int = 0

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


def _as_str(config: dict, key: str) -> str | None:
    value = config.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConfigError(f"{key} must be a string, got a boolean")
    value = str(value).strip()
    return value or None


def _as_bool(config: dict, key: str) -> bool | None:
    value = config.get(key)
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{key} must be true or false, got {value!r}")


def _as_number(config: dict, key: str, kind: type, minimum: float) -> Any:
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


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(key: str, url: str, *, production: bool) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{key} must be an absolute http(s) URL, got {url!r}")
    if parts.query or parts.fragment:
        raise ConfigError(f"{key} must not carry a query string or fragment")
    if production and parts.scheme != "https" and not _is_loopback(parts.hostname):
        raise ConfigError(f"{key} must use https in production (only loopback may use http)")
    return url.rstrip("/")


def load_settings(config: dict) -> Settings:
    """Coerce, validate and freeze the app's configuration; raise ConfigError when it is unsafe."""
    environment = (_as_str(config, "ENVIRONMENT") or "production").lower()
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"ENVIRONMENT must be one of {', '.join(ENVIRONMENTS)}, got {environment!r}")
    production = environment == "production"

    sandbox = _as_bool(config, "SANDBOX")
    if sandbox is None:
        sandbox = not production
    if production and sandbox:
        raise ConfigError("SANDBOX cannot be enabled in production: it would let anyone sign in as anyone")

    public_url = _check_url("PUBLIC_URL", _as_str(config, "PUBLIC_URL") or "", production=production)
    sandbox_url = _check_url("SANDBOX_URL", _as_str(config, "SANDBOX_URL") or "", production=False)

    issuer = _as_str(config, "FC_ISSUER")
    client_id = _as_str(config, "FC_CLIENT_ID")
    client_secret = _as_str(config, "FC_CLIENT_SECRET")
    if sandbox:
        issuer = issuer or f"{sandbox_url}/api/v2"
        client_id = client_id or DEV_CLIENT_ID
        client_secret = client_secret or DEV_CLIENT_SECRET
    missing = [k for k, v in (("FC_ISSUER", issuer), ("FC_CLIENT_ID", client_id),
                              ("FC_CLIENT_SECRET", client_secret)) if not v]
    if missing:
        raise ConfigError(f"missing setting(s): {', '.join(missing)} (see the README's configuration table)")
    issuer = _check_url("FC_ISSUER", issuer, production=production)
    if production and client_secret == DEV_CLIENT_SECRET:
        raise ConfigError("FC_CLIENT_SECRET is the sandbox's development secret; set the real one")

    alg = (_as_str(config, "FC_ID_TOKEN_ALG") or "").upper()
    if alg not in ALLOWED_ID_TOKEN_ALGS:
        raise ConfigError(f"FC_ID_TOKEN_ALG must be one of {', '.join(ALLOWED_ID_TOKEN_ALGS)}, got {alg!r}")

    raw_scopes = config.get("FC_SCOPES")
    if isinstance(raw_scopes, (list, tuple)):
        scopes = tuple(str(s).strip() for s in raw_scopes if str(s).strip())
    else:
        scopes = tuple((_as_str(config, "FC_SCOPES") or "").split())
    scopes = tuple(dict.fromkeys(scopes))  # de-duplicate, keep order
    if "openid" not in scopes:
        raise ConfigError("FC_SCOPES must include 'openid'")

    secret_key = _as_str(config, "SECRET_KEY")
    if not secret_key:
        if production:
            raise ConfigError("SECRET_KEY is missing: set a long random value (e.g. python -c "
                              "'import secrets; print(secrets.token_urlsafe(48))')")
    elif production and len(secret_key) < 32:
        raise ConfigError("SECRET_KEY is too short for production: use at least 32 random characters")

    secure = urlsplit(public_url).scheme == "https"
    redis_url = _as_str(config, "REDIS_URL")
    session = SessionSettings(
        # The __Host- prefix makes the browser refuse the cookie unless it is Secure, host-only and Path=/.
        cookie_name="__Host-dc_session" if secure else "dc_session",
        secure=secure,
        idle_timeout=_as_number(config, "SESSION_IDLE_TIMEOUT", int, 60),
        absolute_lifetime=_as_number(config, "SESSION_ABSOLUTE_LIFETIME", int, 60),
        redis_url=redis_url,
    )
    if session.absolute_lifetime < session.idle_timeout:
        raise ConfigError("SESSION_ABSOLUTE_LIFETIME must not be shorter than SESSION_IDLE_TIMEOUT")

    providers = _load_providers(config, production=production, sandbox=sandbox, sandbox_url=sandbox_url)
    if providers.sources and not set(IDENTITE_PIVOT_SCOPES) <= set(scopes):
        # API Particulier refuses a token without the whole identité pivot (401 50003).
        raise ConfigError("FC_SCOPES must include the identité pivot (" + " ".join(IDENTITE_PIVOT_SCOPES) + ")")
    franceconnect = FranceConnectSettings(
        issuer=issuer,
        client_id=client_id,
        client_secret=client_secret,
        id_token_alg=alg,
        # Every scope the client may ask for; each sign-in asks only for those whose data it will use.
        scopes=tuple(dict.fromkeys(scopes + providers.scopes_for(providers.sources))),
        redirect_uri=f"{public_url}/auth/callback",
        post_logout_redirect_uri=f"{public_url}/auth/logout/callback",
        http_timeout=_as_number(config, "FC_HTTP_TIMEOUT", float, 0.1),
        clock_leeway=_as_number(config, "FC_CLOCK_LEEWAY", int, 0),
        jwks_refresh_interval=_as_number(config, "FC_JWKS_REFRESH_INTERVAL", int, 0),
    )
    return Settings(
        organisations=_load_organisations(config, sandbox=sandbox),
        providers=providers,
        environment=environment,
        public_url=public_url,
        sandbox=sandbox,
        sandbox_url=sandbox_url,
        franceconnect=franceconnect,
        session=session,
        trusted_proxies=_as_number(config, "TRUSTED_PROXIES", int, 0),
    )


def _load_providers(config: dict, *, production: bool, sandbox: bool, sandbox_url: str) -> ProviderSettings:
    raw = config.get("RIGHTS_SOURCES")
    if isinstance(raw, (list, tuple)):
        sources = tuple(raw)
    else:
        sources = tuple((_as_str(config, "RIGHTS_SOURCES") or "").split())
    unknown = sorted(set(sources) - set(SOURCE_SCOPES))
    if unknown:
        raise ConfigError(f"RIGHTS_SOURCES: unknown source(s) {', '.join(unknown)} (known: c2s, cnam)")
    sources = tuple(s for s in SOURCE_SCOPES if s in sources)
    deadline = _as_number(config, "RIGHTS_DEADLINE", float, 1.0)
    if deadline > MAX_RIGHTS_DEADLINE:
        raise ConfigError(f"RIGHTS_DEADLINE must stay far below the access token's 60 s (≤ {MAX_RIGHTS_DEADLINE:g} s)")
    values = {
        "API_PARTICULIER_URL": _as_str(config, "API_PARTICULIER_URL") or (sandbox_url if sandbox else None),
        "API_PARTICULIER_RECIPIENT": config.get("API_PARTICULIER_RECIPIENT") or (DEV_RECIPIENT if sandbox else None),
        "CNAM_API_URL": _as_str(config, "CNAM_API_URL") or (sandbox_url + CNAM_SANDBOX_PATH if sandbox else None),
        "CNAM_API_KEY": _as_str(config, "CNAM_API_KEY") or (DEV_CNAM_API_KEY if sandbox else None),
    }
    needed = {"c2s": ("API_PARTICULIER_URL", "API_PARTICULIER_RECIPIENT"), "cnam": ("CNAM_API_URL", "CNAM_API_KEY")}
    missing = [key for source in sources for key in needed[source] if not values[key]]
    if missing:
        raise ConfigError(f"missing setting(s) for RIGHTS_SOURCES: {', '.join(missing)}")
    if production and values["CNAM_API_KEY"] == DEV_CNAM_API_KEY and "cnam" in sources:
        raise ConfigError("CNAM_API_KEY is the sandbox's development key; set the real one")
    recipient = values["API_PARTICULIER_RECIPIENT"]
    return ProviderSettings(
        sources=sources,
        deadline=deadline,
        connect_timeout=_as_number(config, "PROVIDER_CONNECT_TIMEOUT", float, 0.1),
        call_timeout=_as_number(config, "PROVIDER_CALL_TIMEOUT", float, 0.1),
        api_particulier_url=_check_url("API_PARTICULIER_URL", values["API_PARTICULIER_URL"], production=production)
        if values["API_PARTICULIER_URL"] else "",
        recipient=validate_siret(recipient, "API_PARTICULIER_RECIPIENT") if recipient else "",
        cnam_url=_check_url("CNAM_API_URL", values["CNAM_API_URL"], production=production)
        if values["CNAM_API_URL"] else "",
        cnam_api_key=values["CNAM_API_KEY"] or "",
        cnam_exonerations=bool(_as_bool(config, "CNAM_EXONERATIONS")),
    )


def _load_organisations(config: dict, *, sandbox: bool) -> dict[str, Organisation]:
    raw = config.get("ORGANISATIONS")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ConfigError("ORGANISATIONS must be a JSON object") from None
    if raw is None:
        raw = SANDBOX_ORGANISATIONS if sandbox else {}
    if not isinstance(raw, dict):
        raise ConfigError("ORGANISATIONS must be an object mapping identifiers to organisations")
    organisations = {}
    for org_id, entry in raw.items():
        if not isinstance(org_id, str) or not is_organisation(org_id) or not re.fullmatch(r"[a-z0-9-]{1,40}", org_id):
            raise ConfigError(f"ORGANISATIONS: identifier {org_id!r} must be 1-40 lowercase letters, digits or dashes")
        if not isinstance(entry, dict):
            raise ConfigError(f"ORGANISATIONS[{org_id}] must be an object")
        name, kind, contact = entry.get("name"), entry.get("kind"), entry.get("contact")
        if not (isinstance(name, str) and name.strip()) or not (isinstance(contact, str) and contact.strip()):
            raise ConfigError(f"ORGANISATIONS[{org_id}] needs a name and a contact")
        if kind not in JOURNEY_OF_KIND:
            raise ConfigError(f"ORGANISATIONS[{org_id}].kind must be one of {', '.join(JOURNEY_OF_KIND)}")
        dpo = entry.get("dpo") or ""
        organisations[org_id] = Organisation(id=org_id, name=name.strip(), kind=kind, contact=contact.strip(),
                                             dpo=str(dpo).strip())
    return organisations


def development_secret_key(instance_path: str) -> str:
    """A per-checkout random key kept in the instance folder, so dev sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def validate_siret(value: Any, key: str) -> str:
    """Coerce a SIRET that may arrive as an int from the environment, and check its Luhn key."""
    text = str(value).strip() if value is not None and not isinstance(value, bool) else ""
    if not siret.is_valid(text):
        raise ConfigError(f"{key} must be a valid 14-digit SIRET, got {value!r}")
    return siret.compact(text)


# How long a dossier is kept after its submission, delivered or not (the organisation keeps its own copy once
# it has pulled it). Pre-admissions are filed weeks before a scheduled stay, so they wait up to a quarter;
# a mutuelle pulls an adhesion within days.
DEFAULT_DOSSIER_RETENTION_DAYS: Mapping[str, int] = types.MappingProxyType({"preadmission": 90, "adhesion": 30})
DATABASE_DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")
DEV_DATABASE_FILE = "droits-connect.sqlite3"
DEV_DOSSIER_KEYS_FILE = "dossier_keys"  # one Fernet key per line, the first encrypts
DEV_PSEUDONYM_KEY_FILE = "audit_pseudonym_key"
MIN_PSEUDONYM_KEY_LENGTH = 32
FERNET_HINT = "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"


@dataclass(frozen=True)
class DossierSettings:
    database_uri: str = field(repr=False)  # may carry a password
    encryption_keys: tuple[str, ...] = field(repr=False)  # Fernet keys: the first encrypts, all decrypt
    retention_days: Mapping[str, int]  # per journey, counted from the submission
    audit_retention_days: int
    pseudonym_key: str = field(repr=False)  # HMAC key turning a FranceConnect sub into an audit subject

    def retention_for(self, journey: str) -> int:
        return self.retention_days[journey]


def load_dossier_settings(config: Mapping, *, production: bool, instance_path: str) -> DossierSettings:
    """Coerce and validate the dossiers' settings; outside production, missing keys are kept in the instance folder."""
    keys = _fernet_keys(config)
    if not keys:
        if production:
            raise ConfigError(f"DOSSIER_ENCRYPTION_KEYS is missing: set one or more Fernet keys ({FERNET_HINT})")
        keys = _fernet_keys({"DOSSIER_ENCRYPTION_KEYS": _instance_secret(
            instance_path, DEV_DOSSIER_KEYS_FILE, lambda: Fernet.generate_key().decode())})
        if not keys:
            raise ConfigError(f"{Path(instance_path) / DEV_DOSSIER_KEYS_FILE} is empty: delete it to generate a key")

    pseudonym_key = _as_str(config, "AUDIT_PSEUDONYM_KEY")
    if not pseudonym_key:
        if production:
            raise ConfigError("AUDIT_PSEUDONYM_KEY is missing: set a long random value (at least "
                              f"{MIN_PSEUDONYM_KEY_LENGTH} characters); changing it later changes every pseudonym")
        pseudonym_key = _instance_secret(instance_path, DEV_PSEUDONYM_KEY_FILE, lambda: secrets.token_urlsafe(48))
    elif production and len(pseudonym_key) < MIN_PSEUDONYM_KEY_LENGTH:
        raise ConfigError(f"AUDIT_PSEUDONYM_KEY is too short for production: use at least "
                          f"{MIN_PSEUDONYM_KEY_LENGTH} random characters")
    if pseudonym_key in keys:
        raise ConfigError("AUDIT_PSEUDONYM_KEY must differ from every DOSSIER_ENCRYPTION_KEYS key")

    retention = _retention_days(config)
    audit_retention = _as_number(config, "AUDIT_RETENTION_DAYS", int, 1)
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
    )


def _fernet_keys(config: Mapping) -> tuple[str, ...]:
    raw = config.get("DOSSIER_ENCRYPTION_KEYS")
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
        raise ConfigError("DOSSIER_ENCRYPTION_KEYS must be a list of Fernet keys or a space-separated string")
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            # Never echo the value: it may be a real key with a typo.
            raise ConfigError(f"DOSSIER_ENCRYPTION_KEYS: key #{number} is not a valid Fernet key "
                              f"(32 url-safe base64-encoded bytes; {FERNET_HINT})") from None
    return tuple(dict.fromkeys(keys))


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
        days[journey] = _as_number({key: value}, key, int, 1)
    return days


def _database_uri(config: Mapping, instance_path: str) -> str:
    uri = _as_str(config, "SQLALCHEMY_DATABASE_URI")
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


def _instance_secret(instance_path: str, name: str, generate: Callable[[], str]) -> str:
    """A development secret kept in the instance folder (0600), created on first use."""
    path = Path(instance_path) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # O_EXCL: two workers starting together must not each write their own key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as file:
                file.write(generate() + "\n")
    return path.read_text().strip()
