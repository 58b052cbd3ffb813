"""Who the sandbox knows: registered service providers (FS), data providers (FD) and its own settings.

Re-exported by `app.sandbox`; import them from there.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from stdnum.fr import siret

SUPPORTED_ID_TOKEN_ALGS = ("ES256", "RS256")
DEFAULT_CNAM_API_KEY = "sandbox-cnam-api-key"


@dataclass(frozen=True)
class SandboxClient:
    """A registered service provider (FS), as FranceConnect's partner portal would hold it."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    id_token_alg: str = "ES256"  # signs both the ID token and the userinfo JWT
    name: str = "Droits Connect (développement)"
    allowed_scopes: tuple[str, ...] | None = None  # None = every scope the sandbox knows


@dataclass(frozen=True)
class SandboxDataProvider:
    """A registered data provider (FD), allowed to call /checktoken."""

    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...]  # the data scopes it serves, e.g. ("complementaire_sante_solidaire",)


@dataclass(frozen=True)
class PortalOrganisation:
    """An organisation whose portal the sandbox plays (« portail de démonstration »)."""

    slug: str
    name: str
    kind: str  # "hopital" | "mutuelle"
    launch_secret: str = field(repr=False)


@dataclass(frozen=True)
class SandboxConfig:
    base_url: str  # e.g. "http://127.0.0.1:5001"; the issuer is f"{base_url}/api/v2"
    clients: tuple[SandboxClient, ...]
    data_providers: tuple[SandboxDataProvider, ...] = ()
    # Signs the sandbox's own SSO cookie. Random per process: restarting the sandbox logs everyone out.
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    latency: float = 0.0  # seconds slept at the start of every sandbox endpoint (benchmarks)
    # Data-provider stand-ins (app.sandbox.providers).
    cnam_api_key: str = field(default=DEFAULT_CNAM_API_KEY, repr=False)  # the X-API-Key the CNAM stand-in wants
    api_particulier_recipients: tuple[str, ...] | None = None  # SIRETs accepted as recipient; None = any valid one
    api_particulier_rate_limit: int = 1200  # calls per minute and token: 20/s (A.10)
    provider_slow_seconds: float = 15.0  # the "slow" fault: longer than the service's deadline
    provider_oversized_bytes: int = 5 * 1024 * 1024  # the "oversized" fault's body
    # The demo portal: the service it links to, and the organisations it speaks for.
    portal_service_url: str | None = None
    portal_organisations: tuple[PortalOrganisation, ...] = ()

    @property
    def issuer(self) -> str:
        return f"{self.base_url.rstrip('/')}/api/v2"


def check_config(config: SandboxConfig) -> None:
    """Refuse a configuration the sandbox could not honour, with a message naming the culprit."""
    if not config.base_url.startswith(("http://", "https://")):
        raise ValueError(f"base_url must be an absolute http(s) URL, got {config.base_url!r}")
    if config.latency < 0 or config.provider_slow_seconds < 0:
        raise ValueError("latency and provider_slow_seconds must not be negative")
    if config.api_particulier_rate_limit < 1 or config.provider_oversized_bytes < 16:
        raise ValueError("api_particulier_rate_limit must be positive and provider_oversized_bytes at least 16")
    if not config.cnam_api_key:
        raise ValueError("cnam_api_key is empty")
    for recipient in config.api_particulier_recipients or ():
        if not siret.is_valid(recipient):
            raise ValueError(f"api_particulier_recipients: {recipient!r} is not a valid SIRET")
    ids = [c.client_id for c in config.clients] + [p.client_id for p in config.data_providers]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"client ids must be unique across clients and data providers: {duplicates}")
    for client in config.clients:
        # FC's discovery still lists HS256, but only ES256 and RS256 can be registered (franceconnect.md §5).
        if client.id_token_alg not in SUPPORTED_ID_TOKEN_ALGS:
            raise ValueError(f"client {client.client_id}: id_token_alg must be ES256 or RS256")
        if not client.client_secret:
            raise ValueError(f"client {client.client_id}: client_secret is empty")
