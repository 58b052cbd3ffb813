"""Everything the sandbox remembers, in memory and thread-safe: interactions, codes, access tokens.

Lifetimes are FC v2's (franceconnect.md §1, §4): code 30 s, access token 60 s, ID token 60 s, web
session 30 min without activity. Time comes from `SandboxState.clock`, which tests replace to expire
codes and tokens without sleeping. The fault a tester picks for the data providers at sign-in
(`provider_faults`, e.g. `("c2s:502",)`) travels with the interaction, the grant and the access token.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.sandbox import identities, scopes
from app.sandbox.config import SandboxClient, SandboxConfig, SandboxDataProvider
from app.sandbox.keys import KeyStore
from app.sandbox.providers import STAND_IN_SCOPES
from app.sandbox.providers.faults import FaultBook, FaultRule
from app.sandbox.providers.ratelimit import RateCounter

CODE_TTL = 30
ACCESS_TOKEN_TTL = 60
ID_TOKEN_TTL = 60
SSO_IDLE_TIMEOUT = 30 * 60
INTERACTION_TTL = 30 * 60
ACR = "eidas1"
# Pairwise subs must stay stable across restarts, like FC's; the sandbox has nothing to hide, so a constant.
_SUB_SECRET = "droits-connect-fc-sandbox-pairwise"


@dataclass(frozen=True)
class Interaction:
    """One validated /authorize request, from the identity chooser to the code."""

    uid: str
    client_id: str
    redirect_uri: str
    state: str
    nonce: str
    scopes: tuple[str, ...]
    prompt: frozenset[str]
    amr_requested: bool
    created_at: float
    browser: str | None = None  # the CSRF token of the browser session that first opened it
    login: str | None = None  # the identity chosen
    auth_time: int | None = None
    provider_faults: tuple[str, ...] = ()  # "provider:scenario" chosen with the identity


@dataclass(frozen=True)
class Grant:
    """What an authorization code stands for."""

    client_id: str
    redirect_uri: str
    nonce: str
    login: str
    scopes: tuple[str, ...]
    auth_time: int
    amr_requested: bool
    expires_at: float
    provider_faults: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccessToken:
    value: str = dataclasses.field(repr=False)
    jti: str
    client_id: str
    login: str
    scopes: tuple[str, ...]
    iat: int
    exp: int
    provider_faults: tuple[str, ...] = ()


def random_token() -> str:
    """43 base64url characters, the shape of FC's codes and tokens."""
    return secrets.token_urlsafe(32)


def pairwise_sub(entity_id: str, login: str) -> str:
    """sha256 hex of entity + identity + secret, then "v1": 66 characters, like FC's (§6)."""
    return hashlib.sha256(f"{entity_id}{login}{_SUB_SECRET}".encode()).hexdigest() + "v1"


class SandboxState:
    """The sandbox as a whole, at `app.extensions["fc_sandbox"]`."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.issuer = config.issuer
        self.keys = KeyStore()
        self.identities = list(identities.IDENTITIES)
        self.clock: Callable[[], float] = time.time
        self.jwks_outage = False  # True: /jwks answers 503, to test clients' JWKS failures
        self.latency = config.latency  # slept before every endpoint but static files; benchmarks may change it
        self.provider_faults = FaultBook()  # per-request faults of the data-provider stand-ins
        self.provider_slow_seconds = config.provider_slow_seconds  # the "slow" fault; tests shorten it
        self.c2s_rate = RateCounter(config.api_particulier_rate_limit)
        self._clients = {c.client_id: c for c in config.clients}
        self._data_providers = {p.client_id: p for p in config.data_providers}
        self._lock = threading.Lock()
        self._interactions: dict[str, Interaction] = {}
        self._codes: dict[str, Grant] = {}
        self._tokens: dict[str, AccessToken] = {}
        self._last_purge = 0.0

    def now(self) -> int:
        return int(self.clock())

    def client(self, client_id: str) -> SandboxClient | None:
        return self._clients.get(client_id)

    def data_provider(self, client_id: str) -> SandboxDataProvider | None:
        return self._data_providers.get(client_id)

    def identity(self, login: str) -> identities.SandboxIdentity | None:
        return next((i for i in self.identities if i.login == login), None)

    def known_scopes(self) -> tuple[str, ...]:
        data_scopes = (s for p in self.config.data_providers for s in p.scopes)
        return tuple(dict.fromkeys([*scopes.SCOPE_CLAIMS, *STAND_IN_SCOPES, *data_scopes]))

    def allowed_scopes(self, client: SandboxClient) -> frozenset[str]:
        return frozenset(self.known_scopes() if client.allowed_scopes is None else client.allowed_scopes)

    # Interactions

    def start_interaction(self, **fields) -> Interaction:
        interaction = Interaction(uid=random_token(), created_at=self.clock(), **fields)
        with self._lock:
            self._purge()
            self._interactions[interaction.uid] = interaction
        return interaction

    def interaction(self, uid: str) -> Interaction | None:
        with self._lock:
            interaction = self._interactions.get(uid)
        if interaction is None or self.clock() - interaction.created_at > INTERACTION_TTL:
            return None
        return interaction

    def update_interaction(self, uid: str, **changes) -> Interaction:
        with self._lock:
            interaction = dataclasses.replace(self._interactions[uid], **changes)
            self._interactions[uid] = interaction
        return interaction

    def end_interaction(self, uid: str) -> None:
        with self._lock:
            self._interactions.pop(uid, None)

    # Codes

    def issue_code(self, interaction: Interaction) -> str:
        grant = Grant(
            client_id=interaction.client_id, redirect_uri=interaction.redirect_uri, nonce=interaction.nonce,
            login=interaction.login, scopes=interaction.scopes, auth_time=interaction.auth_time,
            amr_requested=interaction.amr_requested, expires_at=self.clock() + CODE_TTL,
            provider_faults=interaction.provider_faults,
        )
        code = random_token()
        with self._lock:
            self._purge()
            self._codes[code] = grant
        return code

    def peek_code(self, code: str) -> Grant | None:
        """The grant behind a live code, without consuming it."""
        with self._lock:
            grant = self._codes.get(code)
        return grant if grant is not None and self.clock() < grant.expires_at else None

    def consume_code(self, code: str) -> Grant | None:
        """Single use: the first caller gets the grant, any later one gets None."""
        with self._lock:
            grant = self._codes.pop(code, None)
        return grant if grant is not None and self.clock() < grant.expires_at else None

    # Access tokens

    def issue_access_token(self, grant: Grant) -> AccessToken:
        now = self.now()
        token = AccessToken(
            value=random_token(), jti=random_token(), client_id=grant.client_id, login=grant.login,
            scopes=grant.scopes, iat=now, exp=now + ACCESS_TOKEN_TTL, provider_faults=grant.provider_faults,
        )
        with self._lock:
            self._purge()
            self._tokens[token.value] = token
        return token

    def access_token(self, value: str) -> AccessToken | None:
        """The live token with this value; None when unknown, revoked or expired."""
        with self._lock:
            token = self._tokens.get(value)
        return token if token is not None and self.clock() < token.exp else None

    def revoke(self, value: str) -> None:
        with self._lock:
            self._tokens.pop(value, None)

    # Data-provider faults for every caller (app.sandbox.providers.faults)

    def set_fault(
        self, provider: str, scenario: str, *, path: str | None = None, times: int | None = None
    ) -> FaultRule:
        """Make the `provider` stand-in ("c2s" or "cnam") answer `scenario` on `path` (None: every path), for the
        next `times` calls (None: until cleared). ValueError on an unknown provider, scenario or bad argument."""
        return self.provider_faults.add(provider, scenario, path=path, times=times)

    def clear_faults(self, provider: str | None = None) -> None:
        self.provider_faults.clear(provider)

    def introspect(self, access_token: str, data_provider_id: str | None = None) -> dict | None:
        """What FC's checktoken knows of a live access token; None when unknown or expired.

        Without `data_provider_id` (in-process use by the data-provider stand-ins) `sub` is the FS's and
        `scope` lists every granted scope. With it, `sub` is computed for that FD, as FC does, and `scope`
        keeps the granted scopes that FD serves plus the identity scopes.
        """
        token = self.access_token(access_token)
        identity = self.identity(token.login) if token else None
        if token is None or identity is None:
            return None
        granted = token.scopes
        sub = pairwise_sub(token.client_id, identity.login)
        provider = self.data_provider(data_provider_id) if data_provider_id else None
        if provider is not None:
            granted = tuple(s for s in granted if s in provider.scopes or s in scopes.SCOPE_CLAIMS)
            sub = pairwise_sub(provider.client_id, identity.login)
        claims = identity.claims()
        return {
            "active": True,
            "client_id": token.client_id,
            "aud": token.client_id,
            "scope": " ".join(granted),
            "iat": token.iat,
            "exp": token.exp,
            "acr": ACR,
            "jti": token.jti,
            "sub": sub,
            "login": identity.login,
            **{name: claims[name] for name in scopes.IDENTITE_PIVOT},
        }

    def _purge(self) -> None:
        # Called with the lock held; at most once a second so benchmarks issuing thousands of tokens stay linear.
        now = self.clock()
        if now - self._last_purge < 1:
            return
        self._last_purge = now
        self._codes = {k: g for k, g in self._codes.items() if g.expires_at > now}
        self._tokens = {k: t for k, t in self._tokens.items() if t.exp > now}
        self._interactions = {k: i for k, i in self._interactions.items() if now - i.created_at <= INTERACTION_TTL}
