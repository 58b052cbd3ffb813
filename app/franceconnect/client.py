"""FranceConnect v2 relying party (OIDC authorization code flow), free of Flask.

The views create one FranceConnectClient per app (settings are passed in, never read from Flask) and call,
in order: new_transaction → authorize_url → (callback) exchange_code → fetch_userinfo → logout_url.
Failures are FranceConnectError subclasses with a loggable reason (app/franceconnect/errors.py).
Protocol reference: shared/reference/franceconnect.md §2–§7; checks: shared/reference/security.md §3.

Authlib (app/franceconnect/oauth.py) builds the token and revocation requests and keeps the token, and its
CodeIDToken validates the ID token's claims (tokens.py). Discovery is never handed to Authlib: it would take the
algorithms FranceConnect advertises (HS256 among them) and overwrite what we register.
"""

from __future__ import annotations

import re
import secrets
import string
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests
from authlib.oauth2.rfc6749 import OAuth2Token

from app import outbound
from app.franceconnect import oauth, tokens
from app.franceconnect.discovery import ProviderMetadata, discovery_url, parse_metadata
from app.franceconnect.errors import FranceConnectConfigError, FranceConnectProtocolError, FranceConnectUnavailable
from app.franceconnect.jwks import JwksCache
from app.franceconnect.settings import FranceConnectSettings
from app.model.identity import Identity, InvalidIdentity

SUPPORTED_ALGS = ("ES256", "RS256")
TRANSACTION_TTL = 600
MIN_NONCE_CHARS = 22  # FC v2 refuses shorter nonces (and asks the same of state); Authlib generates 20
MAX_BODY_BYTES = 256 * 1024
# FranceConnect's codes are 43 characters of base64url; this leaves room for change, and none for an injection.
AUTHORIZATION_CODE = re.compile(r"[A-Za-z0-9_.~-]{10,256}")


ALPHANUMERIC = string.ascii_letters + string.digits
STATE_AND_NONCE_CHARS = 43


def random_alphanumeric(length: int = STATE_AND_NONCE_CHARS) -> str:
    """`length` characters drawn uniformly from ALPHANUMERIC: one uniform integer below 62**length, in base 62.
    Every string is as likely as with one `secrets.choice` per character, for one draw instead of 43 (5 µs instead
    of 34: a sign-in makes three)."""
    value = secrets.randbelow(len(ALPHANUMERIC) ** length)
    characters = []
    for _ in range(length):
        value, digit = divmod(value, len(ALPHANUMERIC))
        characters.append(ALPHANUMERIC[digit])
    return "".join(characters)


def is_authorization_code(code: object) -> bool:
    return isinstance(code, str) and AUTHORIZATION_CODE.fullmatch(code) is not None


@dataclass(frozen=True)
class AuthTransaction:
    """One login attempt, kept in the server-side session between authorize and callback."""

    state: str = field(repr=False)
    nonce: str = field(repr=False)
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "nonce": self.nonce, "created_at": self.created_at}

    @classmethod
    def from_dict(cls, data: Any) -> AuthTransaction:
        """Rebuild from the session; raises ValueError when the stored value is not a transaction."""
        if not isinstance(data, dict):
            raise ValueError("auth transaction is not a dict")
        state, nonce, created_at = data.get("state"), data.get("nonce"), data.get("created_at")
        if not (isinstance(state, str) and state and isinstance(nonce, str) and nonce):
            raise ValueError("auth transaction lacks state or nonce")
        if not isinstance(created_at, (int, float)) or isinstance(created_at, bool):
            raise ValueError("auth transaction lacks created_at")
        return cls(state=state, nonce=nonce, created_at=float(created_at))

    def expired(self, now: float, ttl: int = TRANSACTION_TTL) -> bool:
        return now - self.created_at > ttl


@dataclass(frozen=True)
class TokenResult:
    """A successful code exchange whose ID token has been verified."""

    access_token: str = field(repr=False)
    id_token: str = field(repr=False)  # raw compact JWS, kept as the logout id_token_hint
    claims: dict[str, Any] = field(repr=False)
    scope: tuple[str, ...]  # as granted by the token response; () when FranceConnect did not say
    sub: str = field(repr=False)
    expires_at: int | None = None  # the access token's, in epoch seconds (Authlib's reckoning); None: not said

    def to_dict(self) -> dict[str, Any]:
        return {"access_token": self.access_token, "id_token": self.id_token, "claims": dict(self.claims),
                "scope": list(self.scope), "sub": self.sub, "expires_at": self.expires_at}

    @classmethod
    def from_dict(cls, data: Any) -> TokenResult:
        """Rebuild from the session; raises ValueError when the stored value is not a token result."""
        if not isinstance(data, dict):
            raise ValueError("token result is not a dict")
        texts = [data.get(name) for name in ("access_token", "id_token", "sub")]
        claims, scope, expires_at = data.get("claims"), data.get("scope"), data.get("expires_at")
        if not all(isinstance(text, str) and text for text in texts) or not isinstance(claims, dict):
            raise ValueError("token result lacks a token, the subject or the claims")
        if not isinstance(scope, list) or not all(isinstance(item, str) for item in scope):
            raise ValueError("token result's scope is not a list of strings")
        if expires_at is not None and (not isinstance(expires_at, int) or isinstance(expires_at, bool)):
            raise ValueError("token result's expiry is not an integer")
        access_token, id_token, sub = texts
        return cls(access_token, id_token, claims, tuple(scope), sub, expires_at)


# A verified sign-in waits for its retrieval (the next request) at most this long, and only while the access token
# (60 s at FranceConnect) still has the longest retrieval deadline to live (RIGHTS_DEADLINE is at most 30 s).
RETRIEVAL_WINDOW = 20
RETRIEVAL_TOKEN_MARGIN = 30


@dataclass(frozen=True)
class VerifiedSignIn:
    """A callback whose code was exchanged and ID token verified, held for a few seconds in the (encrypted)
    server-side session until the retrieval request picks it up, once, with its handle."""

    handle: str = field(repr=False)
    token: TokenResult = field(repr=False)
    verified_at: float

    def to_dict(self) -> dict[str, Any]:
        return {"handle": self.handle, "token": self.token.to_dict(), "verified_at": self.verified_at}

    @classmethod
    def from_dict(cls, data: Any) -> VerifiedSignIn:
        if not isinstance(data, dict):
            raise ValueError("verified sign-in is not a dict")
        handle, verified_at = data.get("handle"), data.get("verified_at")
        if not isinstance(handle, str) or not handle:
            raise ValueError("verified sign-in lacks its handle")
        if not isinstance(verified_at, (int, float)) or isinstance(verified_at, bool):
            raise ValueError("verified sign-in lacks verified_at")
        return cls(handle, TokenResult.from_dict(data.get("token")), float(verified_at))

    def expired(self, now: float) -> bool:
        if now - self.verified_at > RETRIEVAL_WINDOW or now < self.verified_at:
            return True
        return self.token.expires_at is not None and self.token.expires_at - now < RETRIEVAL_TOKEN_MARGIN


class FranceConnectClient:
    """Thread-safe: one instance per app; discovery and JWKS are cached in memory."""

    def __init__(
        self,
        settings: FranceConnectSettings,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`clock` reads token times (wall clock); `monotonic` bounds each call's total time."""
        if settings.id_token_alg not in SUPPORTED_ALGS:
            raise FranceConnectConfigError("unsupported_id_token_alg")
        if "openid" not in settings.scopes:
            raise FranceConnectConfigError("scopes_without_openid")
        levels = [tokens.ACR_LEVELS.get(value) for value in settings.acr_values.split()]
        if not levels or None in levels:
            raise FranceConnectConfigError("unknown_acr_values")
        self._settings = settings
        self._min_acr = min(level for level in levels if level is not None)
        if session is not None and session.verify is False:
            raise FranceConnectConfigError("tls_verification_disabled")
        # No retry (a code is single-use), no breaker: the user retries the sign-in. One timeout for connect and read.
        self._http = outbound.OutboundHttp(
            provider="franceconnect", connect_timeout=None, call_timeout=settings.http_timeout,
            max_bytes=MAX_BODY_BYTES, clock=monotonic,
            session=None if session is None else outbound.forget_cookies(session),
        )
        self._clock = clock
        self._lock = threading.Lock()
        self._metadata: ProviderMetadata | None = None
        self._jwks = JwksCache(self._fetch_jwks, clock=clock, refresh_interval=settings.jwks_refresh_interval)

    def metadata(self) -> ProviderMetadata:
        """The provider's discovery document, fetched once, checked against our issuer and cached."""
        with self._lock:
            if self._metadata is None:
                result = self._call("GET", discovery_url(self._settings.issuer), what="discovery",
                                    headers={"Accept": "application/json"})
                if result.status != 200:
                    raise FranceConnectUnavailable("discovery_http_error", status_code=result.status)
                self._metadata = parse_metadata(
                    result.body, issuer=self._settings.issuer, id_token_alg=self._settings.id_token_alg
                )
            return self._metadata

    def new_transaction(self) -> AuthTransaction:
        # Ours, not Authlib's generate_token(): letters and digits only, as FranceConnect's qualification words it,
        # 43 of them (≈ 256 bits), above FC's minimum.
        return AuthTransaction(state=random_alphanumeric(), nonce=random_alphanumeric(), created_at=self._clock())

    def authorize_url(self, tx: AuthTransaction, *, scopes: Sequence[str] | None = None) -> str:
        """The /authorize URL (franceconnect.md §2). FC rejects unknown parameters, so nothing else is sent."""
        if scopes is None:
            chosen = self._settings.scopes
        else:
            chosen = tuple(dict.fromkeys(scopes))
            if not set(chosen) <= set(self._settings.scopes):
                raise ValueError("scopes must be a subset of the configured FranceConnect scopes")
        if "openid" not in chosen:
            raise ValueError("scopes must include openid")
        if len(tx.state) < MIN_NONCE_CHARS or len(tx.nonce) < MIN_NONCE_CHARS:
            raise ValueError("FranceConnect refuses a state or nonce under 22 characters")
        # By hand, not Authlib's create_authorization_url: its encoder writes spaces as "+" (FC's own requests use
        # %20) and puts state before acr_values; FC rejects unknown parameters, so the exact list is spelled out.
        return _with_query(self.metadata().authorization_endpoint, [
            ("response_type", "code"),
            ("client_id", self._settings.client_id),
            ("redirect_uri", self._settings.redirect_uri),
            ("scope", " ".join(chosen)),
            ("acr_values", self._settings.acr_values),
            ("state", tx.state),
            ("nonce", tx.nonce),
        ])

    def exchange_code(self, code: str, tx: AuthTransaction) -> TokenResult:
        """Redeem the callback's code (franceconnect.md §4) and verify the ID token (§5) against tx.nonce.

        Never retried: the code is single-use and lives 30 s.
        """
        if tx.expired(self._clock()):
            raise FranceConnectProtocolError("transaction_expired")
        if not is_authorization_code(code):
            raise FranceConnectProtocolError("callback_bad_code")
        metadata = self.metadata()
        client = self._oauth_client("token", accept_types=("application/json",))
        token = client.fetch_token(metadata.token_endpoint, code=code, headers={"Accept": "application/json"})
        access_token, id_token = token["access_token"], token["id_token"]
        claims = tokens.verify_jws(id_token, alg=self._settings.id_token_alg, jwks=self._jwks, what="id_token")
        tokens.check_id_token(
            claims,
            issuer=self._settings.issuer,
            client_id=self._settings.client_id,
            nonce=tx.nonce,
            min_acr=self._min_acr,
            access_token=access_token,
            alg=self._settings.id_token_alg,
            now=self._clock(),
            leeway=self._settings.clock_leeway,
        )
        scope = token.get("scope")
        return TokenResult(
            access_token=access_token,
            id_token=id_token,
            claims=claims,
            scope=tuple(scope.split()) if isinstance(scope, str) else (),
            sub=claims["sub"],
            expires_at=token.get("expires_at"),
        )

    def fetch_userinfo(self, token: TokenResult) -> Identity:
        """The signed userinfo (franceconnect.md §6), verified like the ID token and bound to its sub."""
        metadata = self.metadata()
        # No leeway: Authlib's default would call FC's 60-second tokens expired on arrival.
        if OAuth2Token({"access_token": token.access_token, "expires_at": token.expires_at}).is_expired(leeway=0):
            raise FranceConnectProtocolError("userinfo_token_expired")
        # FC v2 signs its userinfo; accepting plain JSON would let anyone on the path rewrite the identity.
        result = self._call("GET", metadata.userinfo_endpoint, what="userinfo", headers={"Accept": "application/jwt"},
                            auth=oauth.bearer_auth(token.access_token), accept_types=("application/jwt",))
        if result.status != 200:
            raise oauth.status_error(result, "userinfo")
        try:
            jwt = result.body.decode("ascii").strip()
        except UnicodeDecodeError:
            raise FranceConnectProtocolError("userinfo_malformed") from None
        claims = tokens.verify_jws(jwt, alg=self._settings.id_token_alg, jwks=self._jwks, what="userinfo")
        tokens.check_userinfo(
            claims,
            issuer=self._settings.issuer,
            client_id=self._settings.client_id,
            sub=token.sub,
            now=self._clock(),
            leeway=self._settings.clock_leeway,
        )
        try:
            return Identity.from_claims(claims)
        except InvalidIdentity as exc:
            raise FranceConnectProtocolError("userinfo_invalid_identity") from exc

    def revoke(self, token: TokenResult) -> bool:
        """Revoke the access token (RFC 7009, client_secret_post; franceconnect.md §7) once its data is fetched,
        so it is useless to anyone who might copy it. Best effort: False when FC offers no revocation."""
        endpoint = self.metadata().revocation_endpoint
        if endpoint is None:
            return False
        result = self._oauth_client("revocation").revoke_token(
            endpoint, token=token.access_token, token_type_hint="access_token")
        if result.status != 200:
            raise oauth.status_error(result, "revocation")
        return True

    def logout_url(self, id_token_hint: str, state: str) -> str:
        """RP-initiated logout at FC's end_session endpoint (franceconnect.md §7); a browser redirect."""
        return _with_query(self.metadata().end_session_endpoint, [
            ("id_token_hint", id_token_hint),
            ("state", state),
            ("post_logout_redirect_uri", self._settings.post_logout_redirect_uri),
        ])

    def _fetch_jwks(self) -> bytes:
        result = self._call("GET", self.metadata().jwks_uri, what="jwks", headers={"Accept": "application/json"})
        if result.status != 200:
            raise FranceConnectUnavailable("jwks_http_error", status_code=result.status)
        return result.body

    def _oauth_client(self, what: str, **call_kwargs: Any) -> oauth.AuthlibClient:
        return oauth.new_client(self._call, what, client_id=self._settings.client_id,
                                client_secret=self._settings.client_secret, redirect_uri=self._settings.redirect_uri,
                                **call_kwargs)

    def _call(self, method: str, url: str, *, what: str, **kwargs: Any) -> outbound.HttpResponse:
        try:
            return self._http.call(method, url, **kwargs)
        except outbound.OutboundError as exc:
            raise oauth.transport_error(exc, what) from exc


def _with_query(endpoint: str, params: list[tuple[str, str]]) -> str:
    separator = "&" if urlsplit(endpoint).query else "?"
    return endpoint + separator + urlencode(params, quote_via=quote)
