"""The provider's metadata (OpenID Connect Discovery 1.0), checked against our configuration.

Authlib caches discovery without comparing its issuer to anything (security.md §0.4, CVE-2026-104056);
here the issuer must equal the configured one exactly (Discovery §4.3, ASVS 5.0 10.5.3), and the
back-channel endpoints, which receive our client secret and the user's access token, must live on the
issuer's own origin.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.franceconnect.errors import FranceConnectConfigError, FranceConnectUnavailable

log = logging.getLogger(__name__)

WELL_KNOWN_PATH = "/.well-known/openid-configuration"
_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint")
_BACK_CHANNEL = ("token_endpoint", "userinfo_endpoint", "jwks_uri")


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    end_session_endpoint: str
    revocation_endpoint: str | None = None  # optional (RFC 7009); None when absent or not on the issuer's host
    id_token_signing_alg_values_supported: tuple[str, ...] = ()
    userinfo_signing_alg_values_supported: tuple[str, ...] = ()


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + WELL_KNOWN_PATH


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or ""), parts.port


def _algs(document: dict, name: str) -> tuple[str, ...]:
    values = document.get(name, [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise FranceConnectUnavailable("discovery_invalid")
    return tuple(values)


def parse_metadata(body: bytes, *, issuer: str, id_token_alg: str) -> ProviderMetadata:
    """Parse and check a discovery document for the configured issuer and pinned algorithm."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly nested JSON
        raise FranceConnectUnavailable("discovery_invalid") from exc
    if not isinstance(document, dict):
        raise FranceConnectUnavailable("discovery_invalid")
    if document.get("issuer") != issuer:
        raise FranceConnectConfigError("discovery_issuer_mismatch")

    endpoints: dict[str, str] = {}
    for name in _ENDPOINTS:
        url = document.get(name)
        if not isinstance(url, str) or not url:
            raise FranceConnectUnavailable("discovery_invalid")
        try:
            parts, origin = urlsplit(url), _origin(url)
        except ValueError as exc:  # bad port or IPv6 literal
            raise FranceConnectUnavailable("discovery_invalid") from exc
        # Plain http only when the issuer itself is http (the local sandbox on loopback, see app/config.py).
        allowed_schemes = ("https", "http") if urlsplit(issuer).scheme == "http" else ("https",)
        if parts.scheme not in allowed_schemes or not parts.hostname or parts.fragment:
            raise FranceConnectConfigError("discovery_insecure_endpoint")
        if name in _BACK_CHANNEL and origin != _origin(issuer):
            raise FranceConnectConfigError("discovery_foreign_endpoint")
        endpoints[name] = url

    id_token_algs = _algs(document, "id_token_signing_alg_values_supported")
    userinfo_algs = _algs(document, "userinfo_signing_alg_values_supported")
    # The lists only tell us whether our pinned algorithm is offered; they never widen what we accept.
    if id_token_algs and id_token_alg not in id_token_algs:
        raise FranceConnectConfigError("discovery_alg_not_offered")
    if userinfo_algs and id_token_alg not in userinfo_algs:
        raise FranceConnectConfigError("discovery_userinfo_alg_not_offered")
    return ProviderMetadata(
        revocation_endpoint=_revocation_endpoint(document, issuer),
        issuer=issuer,
        id_token_signing_alg_values_supported=id_token_algs,
        userinfo_signing_alg_values_supported=userinfo_algs,
        **endpoints,
    )


def _revocation_endpoint(document: dict, issuer: str) -> str | None:
    """Optional, so a doubtful one is ignored rather than blocking sign-in; it receives our secret and the
    access token, so like the other back-channel endpoints it must be on the issuer's own host."""
    url = document.get("revocation_endpoint")
    if not isinstance(url, str) or not url:
        return None
    try:
        same_origin = _origin(url) == _origin(issuer) and not urlsplit(url).fragment
    except ValueError:
        same_origin = False
    if not same_origin:
        log.warning("discovery revocation_endpoint ignored reason=not_on_issuer_host")
        return None
    return url
