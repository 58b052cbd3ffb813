"""Validation of /authorize requests, in FC v2's order (franceconnect.md §2).

FC first validates the query against a whitelist DTO (any failure: error page Y030007, no redirect),
then checks the client (Y04EA6EF) and the exact redirect_uri (Y04C013C). Only once the redirect_uri is
trusted do errors go back to the FS as a redirect (unsupported_response_type, invalid_request,
invalid_scope, invalid_acr).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from werkzeug.datastructures import MultiDict

from app.sandbox.config import SandboxClient
from app.sandbox.state import SandboxState

REQUIRED = ("response_type", "client_id", "redirect_uri", "scope", "acr_values", "state", "nonce")
OPTIONAL = ("prompt", "claims", "idp_hint", "ui_locales")
# Present but empty: these are DTO failures; an empty response_type or scope reaches node-oidc-provider instead.
NON_EMPTY = ("client_id", "redirect_uri", "acr_values", "state", "nonce")
NONCE_MIN_LENGTH = 22
PROMPT_VALUES = frozenset({"login", "consent"})
# fcp-low only serves eidas1; FC+ levels are refused, anything else silently becomes eidas1 (§2, S10).
REFUSED_ACR = ("eidas2", "eidas3")


class AuthorizePageError(Exception):
    """Shown on FC's error page (HTTP 400): the FS is not redirected to."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class AuthorizeRedirectError(Exception):
    """Sent back to the FS's (trusted) redirect_uri."""

    def __init__(self, request: AuthorizeRequest, error: str, description: str, *, fragment: bool = False) -> None:
        super().__init__(description)
        self.request = request
        self.error = error
        self.description = description
        self.fragment = fragment


@dataclass(frozen=True)
class AuthorizeRequest:
    client_id: str
    redirect_uri: str
    state: str
    nonce: str
    scopes: tuple[str, ...]
    prompt: frozenset[str]
    amr_requested: bool


def parse(params: MultiDict, state: SandboxState) -> AuthorizeRequest:
    """A valid request, or AuthorizePageError / AuthorizeRedirectError exactly where FC would fail."""
    _check_parameters(params)
    prompt = _parse_prompt(params.get("prompt"))
    amr_requested = _parse_claims(params.get("claims"))
    redirect_uri = params["redirect_uri"]
    if not _is_url(redirect_uri):
        raise AuthorizePageError("Y030007", "redirect_uri must be an absolute http(s) URL")
    client = _registered_client(state, params["client_id"], redirect_uri)

    # The redirect_uri is now trusted: the remaining errors go back to it.
    request = AuthorizeRequest(
        client_id=client.client_id, redirect_uri=redirect_uri, state=params["state"], nonce=params["nonce"],
        scopes=tuple(dict.fromkeys(params["scope"].split())), prompt=prompt, amr_requested=amr_requested,
    )
    _check_response_type(request, params["response_type"])
    _check_scopes(request, state, client)
    _check_acr(request, params["acr_values"])
    return request


def _check_parameters(params: MultiDict) -> None:
    """FC's whitelist DTO: every parameter known, none repeated, the required ones set, a long enough nonce."""
    unknown = sorted(set(params) - set(REQUIRED) - set(OPTIONAL))
    if unknown:  # PKCE's code_challenge lands here too: FC's DTO does not whitelist it
        raise AuthorizePageError("Y030007", f"unknown parameter(s): {', '.join(unknown)}")
    repeated = sorted(name for name in params if len(params.getlist(name)) > 1)
    if repeated:
        raise AuthorizePageError("Y030007", f"repeated parameter(s): {', '.join(repeated)}")
    missing = [name for name in REQUIRED if name not in params]
    missing += [name for name in NON_EMPTY if name in params and not params[name]]
    if missing:
        raise AuthorizePageError("Y030007", f"missing or empty parameter(s): {', '.join(missing)}")
    if len(params["nonce"]) < NONCE_MIN_LENGTH:
        raise AuthorizePageError("Y030007", f"nonce must be at least {NONCE_MIN_LENGTH} characters")


def _registered_client(state: SandboxState, client_id: str, redirect_uri: str) -> SandboxClient:
    client = state.client(client_id)
    if client is None:
        raise AuthorizePageError("Y04EA6EF", "unknown client_id")
    if redirect_uri not in client.redirect_uris:
        raise AuthorizePageError("Y04C013C", "redirect_uri is not registered for this client")
    return client


def _check_response_type(request: AuthorizeRequest, response_type: str) -> None:
    if not response_type:
        raise AuthorizeRedirectError(request, "invalid_request", "missing required parameter 'response_type'")
    if response_type != "code":
        # Per OAuth multiple response types, an implicit-style response_type gets its error in the fragment.
        fragment = "token" in response_type.split() or "id_token" in response_type.split()
        raise AuthorizeRedirectError(
            request, "unsupported_response_type", "unsupported response_type requested", fragment=fragment
        )


def _check_scopes(request: AuthorizeRequest, state: SandboxState, client: SandboxClient) -> None:
    if "openid" not in request.scopes:
        raise AuthorizeRedirectError(
            request, "invalid_request", "openid scope must be requested when using the acr_values parameter"
        )
    if not set(request.scopes) <= state.allowed_scopes(client):
        raise AuthorizeRedirectError(request, "invalid_scope", "requested scope is not allowed")


def _check_acr(request: AuthorizeRequest, raw: str) -> None:
    acr_values = raw.split()
    if "eidas1" not in acr_values and any(value in REFUSED_ACR for value in acr_values):
        raise AuthorizeRedirectError(
            request, "invalid_acr",
            f"acr_value is not valid, should be equal one of these values, expected eidas1, got {raw}",
        )


def _parse_prompt(raw: str | None) -> frozenset[str]:
    if raw is None:
        return frozenset()
    values = raw.split(" ")
    # Only "login", "consent" and both (either order); empty, "none" and "select_account" are refused.
    if not values or not set(values) <= PROMPT_VALUES or len(values) != len(set(values)):
        raise AuthorizePageError("Y030007", "prompt must be login, consent or both")
    return frozenset(values)


def _parse_claims(raw: str | None) -> bool:
    """Whether the `claims` parameter asks for amr in the ID token."""
    if raw is None:
        return False
    try:
        claims = json.loads(raw)
    except ValueError:
        raise AuthorizePageError("Y030007", "claims must be a JSON object") from None
    if not isinstance(claims, dict) or not isinstance(claims.get("id_token", {}), dict):
        raise AuthorizePageError("Y030007", "claims must be a JSON object")
    return "amr" in claims.get("id_token", {})


def _is_url(value: str) -> bool:
    # FC also requires a TLD; loopback hosts are let through so local services can be registered.
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)
