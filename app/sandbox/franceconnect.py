"""FranceConnect v2's back-channel endpoints: discovery, JWKS, token, userinfo, revocation, checktoken.

Shapes, messages and lifetimes follow shared/reference/franceconnect.md §1 and §4–§8. The browser side
(/authorize, interaction pages, /session/end) lives in `app.sandbox.interaction`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import Blueprint, Response, current_app, jsonify, request

from app.sandbox import identities, scopes
from app.sandbox.config import SandboxClient
from app.sandbox.responses import json_error
from app.sandbox.state import ACR, ID_TOKEN_TTL, SandboxState, pairwise_sub

bp = Blueprint("fc_api", __name__, url_prefix="/api/v2")

AMR = identities.AMR
_WRONG_AUTH_METHOD = "the provided authentication mechanism does not match the registered client authentication method"


def _state() -> SandboxState:
    return current_app.extensions["fc_sandbox"]


@bp.get("/.well-known/openid-configuration")
def discovery():
    st = _state()
    issuer = st.issuer
    return jsonify({
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "end_session_endpoint": f"{issuer}/session/end",
        "revocation_endpoint": f"{issuer}/token/revocation",
        "jwks_uri": f"{issuer}/jwks",
        "scopes_supported": list(st.known_scopes()),
        "claims_supported": list(scopes.CLAIMS_SUPPORTED),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "acr_values_supported": ["eidas1"],
        # FC really advertises HS256 although only ES256/RS256 can be registered: clients must pin their alg.
        "id_token_signing_alg_values_supported": ["HS256", "ES256", "RS256"],
        "userinfo_signing_alg_values_supported": ["HS256", "ES256", "RS256"],
        # private_key_jwt is advertised as FC does, but the sandbox only implements client_secret_post.
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256"],
        "claims_parameter_supported": True,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
        # Advertised by node-oidc-provider, yet FC's /authorize rejects code_challenge as an unknown parameter.
        "code_challenge_methods_supported": ["S256"],
    })


@bp.get("/jwks")
def jwks():
    st = _state()
    if st.jwks_outage:
        return jsonify(error="temporarily_unavailable"), 503
    response = jsonify(st.keys.jwks())
    response.headers["Cache-Control"] = "public, max-age=600"
    return response


@bp.post("/token")
def token():
    st = _state()
    client, failure = _authenticate_client(st)
    if failure is not None:
        return failure
    form = request.form
    for name in ("grant_type", "code", "redirect_uri"):
        if not form.get(name):
            return json_error(400, "invalid_request", f"missing required parameter '{name}' (undefined)")
    if form["grant_type"] != "authorization_code":
        return json_error(400, "unsupported_grant_type", "unsupported grant_type requested (undefined)")
    grant = st.peek_code(form["code"])
    if grant is None:
        # Unknown, already used and expired codes all read "not found": FC's store forgets them.
        return json_error(400, "invalid_grant", "grant request is invalid (authorization code not found)")
    if grant.client_id != client.client_id:
        return json_error(400, "invalid_grant", "grant request is invalid (client mismatch)")
    if grant.redirect_uri != form["redirect_uri"]:
        return json_error(400, "invalid_grant", "grant request is invalid (authorization code redirect_uri mismatch)")
    grant = st.consume_code(form["code"])
    if grant is None:  # lost a race with a concurrent redemption
        return json_error(400, "invalid_grant", "grant request is invalid (authorization code not found)")
    access_token = st.issue_access_token(grant)
    now = st.now()
    claims = {
        "sub": pairwise_sub(client.client_id, grant.login),
        "auth_time": grant.auth_time,
        "acr": ACR,
        "nonce": grant.nonce,
        "at_hash": _at_hash(access_token.value),
        "aud": client.client_id,
        "exp": now + ID_TOKEN_TTL,
        "iat": now,
        "iss": st.issuer,
    }
    if grant.amr_requested:
        claims["amr"] = AMR
    body = {
        "access_token": access_token.value,
        "token_type": "Bearer",
        "expires_in": access_token.exp - access_token.iat,
        "id_token": st.keys.sign(claims, client.id_token_alg),
        "scope": " ".join(grant.scopes),
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.route("/userinfo", methods=["GET", "POST"])
def userinfo():
    st = _state()
    value = _bearer_token()
    if not value:
        return _token_error("no access token provided (no access token provided)", code="Y04146A2")
    access_token = st.access_token(value)
    client = st.client(access_token.client_id) if access_token else None
    identity = st.identity(access_token.login) if access_token else None
    if access_token is None or client is None or identity is None:
        return _token_error("invalid token provided (access token not found)")
    now = st.now()
    claims = {
        "sub": pairwise_sub(client.client_id, identity.login),
        **scopes.release(identity.claims(), access_token.scopes),
        "aud": client.client_id,
        "exp": now + ID_TOKEN_TTL,
        "iat": now,
        "iss": st.issuer,
    }
    response = Response(st.keys.sign(claims, client.id_token_alg), mimetype="application/jwt")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/token/revocation")
def revocation():
    """RFC 7009, authenticated like /token."""
    st = _state()
    client, failure = _authenticate_client(st)
    if failure is not None:
        return failure
    value = request.form.get("token")
    if not value:
        return json_error(400, "invalid_request", "missing required parameter 'token' (undefined)")
    access_token = st.access_token(value)
    if access_token is not None and access_token.client_id != client.client_id:
        return json_error(400, "invalid_request", "this token does not belong to you (undefined)")
    st.revoke(value)
    return Response(status=200)


@bp.post("/checktoken")
def checktoken():
    """FC v2's data-provider introspection (§8).

    Real FC encrypts this JWS into a JWE with the FD's key (checktoken_encrypted_response_alg); the
    sandbox answers the signed JWS only, so FD stand-ins need no encryption key.
    """
    st = _state()
    form = request.form
    if not all(form.get(name) for name in ("token", "client_id", "client_secret")):
        return jsonify(error="invalid_request", error_description="Required parameter missing or invalid."), 400
    provider = st.data_provider(form["client_id"])
    if provider is None or not hmac.compare_digest(provider.client_secret.encode(), form["client_secret"].encode()):
        return jsonify(error="invalid_client", error_description="Client authentication failed."), 401
    introspection = st.introspect(form["token"], data_provider_id=provider.client_id)
    if introspection is None:
        introspection = {"active": False}
    else:
        introspection = {k: v for k, v in introspection.items() if k not in ("client_id", "login")}
    payload = {"iss": st.issuer, "aud": provider.client_id, "iat": st.now(), "token_introspection": introspection}
    return Response(st.keys.sign(payload, "ES256"), mimetype="application/token-introspection+jwt")


def _authenticate_client(st: SandboxState) -> tuple[SandboxClient | None, Response | None]:
    """client_secret_post only, as FC registers FS (§4); any other mechanism is invalid_client."""

    def failure(detail: str) -> tuple[None, Response]:
        return None, json_error(401, "invalid_client", f"client authentication failed ({detail})")

    form = request.form
    if request.authorization is not None or "client_assertion" in form:  # Basic, or private_key_jwt
        return failure(_WRONG_AUTH_METHOD)
    if not form.get("client_id") or not form.get("client_secret"):
        return failure("no client authentication mechanism provided")
    client = st.client(form["client_id"])
    if client is None:
        return failure("client not found")
    if not hmac.compare_digest(client.client_secret.encode(), form["client_secret"].encode()):
        return failure("invalid secret provided")
    return client, None


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    # node-oidc-provider runs with acceptQueryParamAccessTokens: true on FC (§6).
    return request.args.get("access_token", "")


def _token_error(description: str, *, code: str | None = None) -> Response:
    response = json_error(401, "invalid_token", description, code=code)
    response.headers["WWW-Authenticate"] = f'Bearer error="invalid_token", error_description="{description}"'
    return response


def _at_hash(access_token: str) -> str:
    """OIDC Core §3.1.3.6: left half of the SHA-256 of the token, base64url without padding."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
