"""The OAuth 2.0 half of the relying party: Authlib's protocol client, carried by the outbound layer, and the
reading of FranceConnect's answers into our reason codes.

Authlib builds the token and revocation requests (RFC 6749 §4.1.3, RFC 7009, `client_secret_post` as FC v2
requires) and keeps the token; every byte goes through `app.outbound` (timeout, size cap, no redirect, log line),
and the answer is checked here before Authlib reads it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from authlib.integrations.requests_client.oauth2_session import OAuth2Auth, OAuth2ClientAuth
from authlib.oauth2.client import OAuth2Client

from app import outbound
from app.franceconnect.errors import FranceConnectProtocolError, FranceConnectUnavailable

Send = Callable[..., outbound.HttpResponse]  # FranceConnectClient._call: (method, url, *, what, **kwargs)

# Standard error codes (RFC 6749 §5.2, RFC 6750 §3.1); anything else is logged as "other" so that a hostile
# or broken provider cannot write into our logs.
KNOWN_ERRORS = frozenset({
    "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type",
    "invalid_scope", "invalid_token", "insufficient_scope", "server_error", "temporarily_unavailable",
})
# Outbound reasons as FranceConnect reports them; any other is "unreachable".
_TRANSPORT_REASONS = {"timeout": "timeout", "connect_timeout": "timeout", "tls_error": "tls_error",
                      "too_large": "too_large"}
_WRONG_CONTENT_TYPE = {"token": "token_response_not_json", "userinfo": "userinfo_not_jwt"}
_TOKEN_FIELDS = ("access_token", "token_type", "expires_in", "id_token", "scope")


class AuthlibClient(OAuth2Client):
    """Authlib's client with requests' auth classes: the client secret and the Bearer go through `auth=`, which
    requests never lets ~/.netrc replace. One per exchange: Authlib keeps the token on the client object."""

    client_auth_class = OAuth2ClientAuth
    token_auth_class = OAuth2Auth


def new_client(send: Send, what: str, *, client_id: str, client_secret: str, redirect_uri: str,
               **call_kwargs: Any) -> AuthlibClient:
    client = AuthlibClient(
        _Carrier(send, what, call_kwargs), client_id=client_id, client_secret=client_secret,
        # FC v2 accepts client_secret_post and private_key_jwt, not Authlib's default client_secret_basic.
        token_endpoint_auth_method="client_secret_post", revocation_endpoint_auth_method="client_secret_post",
        redirect_uri=redirect_uri,
        leeway=0,  # FC's access tokens live 60 s: Authlib's default 60 s leeway would call them expired at once
    )
    client.register_compliance_hook("access_token_response", checked_token_response)
    return client


def bearer_auth(access_token: str) -> OAuth2Auth:
    return OAuth2Auth({"access_token": access_token, "token_type": "Bearer"})


class _Carrier:
    """What Authlib calls its `session`: each post is one call through the outbound layer."""

    def __init__(self, send: Send, what: str, call_kwargs: dict[str, Any]) -> None:
        self._send, self._what, self._kwargs = send, what, call_kwargs

    def post(self, url: str, data: Any = None, headers: Any = None, auth: Any = None) -> outbound.HttpResponse:
        return self._send("POST", url, what=self._what, data=data, headers=headers, auth=auth, **self._kwargs)


class _Answer:
    """A token response as Authlib reads it, once checked: a JSON object with only the fields we know."""

    status_code = 200

    def __init__(self, body: dict[str, Any]) -> None:
        self._body = body

    def json(self) -> dict[str, Any]:
        return dict(self._body)

    def raise_for_status(self) -> None:
        return None


def checked_token_response(result: outbound.HttpResponse) -> _Answer:
    """RFC 6749 §5.1: 200, a JSON object with a bearer access_token, plus OIDC's id_token."""
    if result.status != 200:
        raise status_error(result, "token")
    try:
        body = json.loads(result.body)
    except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        raise FranceConnectProtocolError("token_response_not_json") from None
    if not isinstance(body, dict):
        raise FranceConnectProtocolError("token_response_not_object")
    if "error" in body:  # a success that says it failed: believe the failure
        raise FranceConnectProtocolError(f"token_error_{error_code(body['error'])}", status_code=200)
    if not isinstance(body.get("access_token"), str) or not body["access_token"]:
        raise FranceConnectProtocolError("token_missing_access_token")
    if not isinstance(body.get("id_token"), str) or not body["id_token"]:
        raise FranceConnectProtocolError("token_missing_id_token")
    token_type = body.get("token_type")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":  # RFC 6749 §5.1: case-insensitive
        raise FranceConnectProtocolError("token_bad_token_type")
    expires_in = body.get("expires_in")
    if expires_in is not None and (not isinstance(expires_in, int) or isinstance(expires_in, bool) or expires_in < 0):
        raise FranceConnectProtocolError("token_bad_expires_in")  # Authlib would crash on it
    return _Answer({name: body[name] for name in _TOKEN_FIELDS if name in body})


def transport_error(exc: outbound.OutboundError, what: str) -> Exception:
    if exc.reason == "redirect_refused":
        # As an unexpected status: discovery and JWKS are then unavailable, the other calls fail.
        if what in ("discovery", "jwks"):
            return FranceConnectUnavailable(f"{what}_http_error", status_code=exc.status)
        return FranceConnectProtocolError(f"{what}_unexpected_status", status_code=exc.status)
    if exc.reason == "unexpected_content_type":
        return FranceConnectProtocolError(_WRONG_CONTENT_TYPE.get(what, f"{what}_wrong_content_type"))
    return FranceConnectUnavailable(f"{what}_{_TRANSPORT_REASONS.get(exc.reason, 'unreachable')}",
                                    status_code=exc.status)


def status_error(result: outbound.HttpResponse, what: str) -> Exception:
    if result.status >= 500 or result.status == 429:
        return FranceConnectUnavailable(f"{what}_server_error", status_code=result.status)
    if not 400 <= result.status < 500:
        return FranceConnectProtocolError(f"{what}_unexpected_status", status_code=result.status)
    try:
        body = json.loads(result.body)
    except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    return FranceConnectProtocolError(f"{what}_error_{error_code(error)}", status_code=result.status)


def error_code(error: Any) -> str:
    # error_description is free text from the provider: never logged.
    return error if isinstance(error, str) and error in KNOWN_ERRORS else "other"
