"""FranceConnect's settings: the relying party's registration, the scopes it may ask for, its protocol limits.

The deployment's other facts (production or not, the sandbox, the public URL, the data scopes its rights
sources need) arrive as arguments, so this room reads nothing of the rooms that use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from app.config_values import ConfigError, as_number, as_str, check_url

ALLOWED_ID_TOKEN_ALGS = ("ES256", "RS256")
IDENTITE_PIVOT_SCOPES = ("given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry")

# Development-only FranceConnect client, registered automatically in the sandbox.
DEV_CLIENT_ID = "6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985704f39950"
DEV_CLIENT_SECRET = "droits-connect-sandbox-secret-not-for-production"

# FranceConnect's own test platforms (integration `*.integ01.`, sandbox `*.sbx.`, docker) all live under this
# domain, and the public integration keys its v1 example shipped (shared/reference/franceconnect.md §14): none
# may reach production.
TEST_PLATFORM_DOMAIN = "dev-franceconnect.fr"
PUBLIC_INTEGRATION_CLIENT_ID = "211286433e39cce01db448d80181bdfd005554b19cd51b3fe7943f6b3b86ab6e"
PUBLIC_INTEGRATION_SECRET = "2791a731e6a59f56b6b4dd0d08c9b1f593b5f3658b9fd731cb24248e2669af4b"

DEFAULTS: dict[str, Any] = {
    "FC_ISSUER": None,  # None = the sandbox's issuer when the sandbox is on
    "FC_CLIENT_ID": None,
    "FC_CLIENT_SECRET": None,
    "FC_ID_TOKEN_ALG": "ES256",
    # preferred_username (the nom d'usage) left the identité pivot in v2: asked for on its own, so a person who has
    # one does not type it (shared/reference/franceconnect.md, scopes on v2 fcp-low).
    "FC_SCOPES": "openid " + " ".join(IDENTITE_PIVOT_SCOPES) + " email preferred_username",
    "FC_HTTP_TIMEOUT": 5.0,
    "FC_CLOCK_LEEWAY": 30,
    "FC_JWKS_REFRESH_INTERVAL": 60,
}


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


def load_franceconnect_settings(
    config: Mapping, *, production: bool, sandbox: bool, sandbox_url: str, public_url: str,
    data_scopes: tuple[str, ...],
) -> FranceConnectSettings:
    """Coerce and validate the client's settings; `data_scopes` are those the deployment's rights sources need."""
    issuer, client_id, client_secret = _client(config, production=production, sandbox=sandbox, sandbox_url=sandbox_url)
    alg = (as_str(config, "FC_ID_TOKEN_ALG") or "").upper()
    if alg not in ALLOWED_ID_TOKEN_ALGS:
        raise ConfigError(f"FC_ID_TOKEN_ALG must be one of {', '.join(ALLOWED_ID_TOKEN_ALGS)}, got {alg!r}")
    return FranceConnectSettings(
        issuer=issuer,
        client_id=client_id,
        client_secret=client_secret,
        id_token_alg=alg,
        # Every scope the client may ask for; each sign-in asks only for those whose data it will use.
        scopes=_scopes(config, data_scopes),
        redirect_uri=f"{public_url}/auth/callback",
        post_logout_redirect_uri=f"{public_url}/auth/logout/callback",
        http_timeout=as_number(config, "FC_HTTP_TIMEOUT", float, 0.1),
        clock_leeway=as_number(config, "FC_CLOCK_LEEWAY", int, 0),
        jwks_refresh_interval=as_number(config, "FC_JWKS_REFRESH_INTERVAL", int, 0),
    )


def _client(config: Mapping, *, production: bool, sandbox: bool, sandbox_url: str) -> tuple[str, str, str]:
    issuer = as_str(config, "FC_ISSUER")
    client_id = as_str(config, "FC_CLIENT_ID")
    client_secret = as_str(config, "FC_CLIENT_SECRET")
    if sandbox:
        issuer = issuer or f"{sandbox_url}/api/v2"
        client_id = client_id or DEV_CLIENT_ID
        client_secret = client_secret or DEV_CLIENT_SECRET
    missing = [k for k, v in (("FC_ISSUER", issuer), ("FC_CLIENT_ID", client_id),
                              ("FC_CLIENT_SECRET", client_secret)) if not v]
    if missing:
        raise ConfigError(f"missing setting(s): {', '.join(missing)} (see the README's configuration table)")
    issuer = check_url("FC_ISSUER", issuer, production=production)
    if production:
        _refuse_test_platform(issuer, client_id, client_secret)
    return issuer, client_id, client_secret


def _refuse_test_platform(issuer: str, client_id: str, client_secret: str) -> None:
    host = (urlsplit(issuer).hostname or "").lower()
    if host == TEST_PLATFORM_DOMAIN or host.endswith("." + TEST_PLATFORM_DOMAIN):
        raise ConfigError("FC_ISSUER is a FranceConnect test platform (integration or sandbox); in production set "
                          "https://oidc.franceconnect.gouv.fr/api/v2")
    if client_id in (DEV_CLIENT_ID, PUBLIC_INTEGRATION_CLIENT_ID):
        raise ConfigError("FC_CLIENT_ID is a development or integration client; set the production one")
    if client_secret in (DEV_CLIENT_SECRET, PUBLIC_INTEGRATION_SECRET):
        raise ConfigError("FC_CLIENT_SECRET is a development or integration secret; set the real one")


def _scopes(config: Mapping, data_scopes: tuple[str, ...]) -> tuple[str, ...]:
    raw_scopes = config.get("FC_SCOPES")
    if isinstance(raw_scopes, (list, tuple)):
        scopes = tuple(str(s).strip() for s in raw_scopes if str(s).strip())
    else:
        scopes = tuple((as_str(config, "FC_SCOPES") or "").split())
    scopes = tuple(dict.fromkeys(scopes))  # de-duplicate, keep order
    if "openid" not in scopes:
        raise ConfigError("FC_SCOPES must include 'openid'")
    if data_scopes and not set(IDENTITE_PIVOT_SCOPES) <= set(scopes):
        # API Particulier refuses a token without the whole identité pivot (401 50003).
        raise ConfigError("FC_SCOPES must include the identité pivot (" + " ".join(IDENTITE_PIVOT_SCOPES) + ")")
    return tuple(dict.fromkeys(scopes + data_scopes))
