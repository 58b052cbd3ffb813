"""Test helpers that play the service provider and the user against the FranceConnect sandbox.

They drive the sandbox's own pages through Flask's test client, as a browser would: /authorize, the
identity chooser, consent, then the FS's back-channel calls.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet

from app.sandbox import SandboxClient, SandboxConfig, SandboxDataProvider

BASE_URL = "http://127.0.0.1:5001"
ISSUER = f"{BASE_URL}/api/v2"
FS_CALLBACK = "http://127.0.0.1:5000/auth/callback"
FS_LOGOUT = "http://127.0.0.1:5000/auth/logout/callback"
NONCE = "n0nce-" + "N" * 26
STATE = "st4te" + "S" * 27

ES_CLIENT = SandboxClient(
    client_id="fs-es256", client_secret="es-secret", redirect_uris=(FS_CALLBACK,),
    post_logout_redirect_uris=(FS_LOGOUT,),
)
RS_CLIENT = SandboxClient(
    client_id="fs-rs256", client_secret="rs-secret", redirect_uris=(FS_CALLBACK, "http://127.0.0.1:5000/cb?x=1"),
    post_logout_redirect_uris=(FS_LOGOUT,), id_token_alg="RS256", name="Service RS256",
)
NARROW_CLIENT = SandboxClient(
    client_id="fs-narrow", client_secret="narrow-secret", redirect_uris=(FS_CALLBACK,),
    post_logout_redirect_uris=(FS_LOGOUT,), allowed_scopes=("openid", "given_name", "family_name"),
)
DATA_PROVIDER = SandboxDataProvider(
    client_id="fd-c2s", client_secret="fd-secret", scopes=("complementaire_sante_solidaire",)
)
OTHER_DATA_PROVIDER = SandboxDataProvider(client_id="fd-cnam", client_secret="cnam-secret", scopes=("cnam_droits",))


def make_config(base_url: str = BASE_URL, **overrides) -> SandboxConfig:
    values = {
        "base_url": base_url,
        "clients": (ES_CLIENT, RS_CLIENT, NARROW_CLIENT),
        "data_providers": (DATA_PROVIDER, OTHER_DATA_PROVIDER),
        "secret_key": "test-secret-key",
    }
    return SandboxConfig(**{**values, **overrides})


def authorize_params(**overrides) -> dict:
    """A valid /authorize query for ES_CLIENT; an override of None removes the parameter."""
    params = {
        "response_type": "code",
        "client_id": ES_CLIENT.client_id,
        "redirect_uri": FS_CALLBACK,
        "scope": "openid profile birth email",
        "acr_values": "eidas1",
        "state": STATE,
        "nonce": NONCE,
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def query_of(location: str, *, fragment: bool = False) -> dict[str, str]:
    parts = urlsplit(location)
    return {k: v[0] for k, v in parse_qs(parts.fragment if fragment else parts.query, keep_blank_values=True).items()}


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def open_chooser(client, **params) -> tuple[str, str]:
    """GET /authorize, follow to the chooser; returns the interaction URL and the CSRF token."""
    response = client.get("/api/v2/authorize", query_string=authorize_params(**params))
    assert response.status_code == 303, response.text
    interaction_url = response.location
    page = client.get(interaction_url)
    assert page.status_code == 200
    return interaction_url, csrf_of(page.text)


def sign_in(client, login: str = "test", *, provider_fault: str | list[str] | None = None, **params) -> dict[str, str]:
    """A whole login, up to the FS callback; returns the callback's query (code, state, iss).

    `provider_fault` is the chooser's data-provider fault field, e.g. "c2s:502" (a list for both providers).
    """
    interaction_url, csrf = open_chooser(client, **params)
    form = {"login": login, "csrf_token": csrf}
    if provider_fault is not None:
        form["provider_fault"] = provider_fault
    response = client.post(f"{interaction_url}/login", data=form)
    assert response.status_code == 303 and response.location.endswith("/consent"), response.text
    assert client.get(response.location).status_code == 200
    response = client.post(f"{interaction_url}/consent", data={"csrf_token": csrf})
    assert response.status_code == 303
    return query_of(response.location)


def token_request(client, code: str, fs: SandboxClient = ES_CLIENT, **overrides):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": FS_CALLBACK,
        "client_id": fs.client_id,
        "client_secret": fs.client_secret,
    }
    data.update(overrides)
    return client.post("/api/v2/token", data={k: v for k, v in data.items() if v is not None})


def tokens(client, login: str = "test", fs: SandboxClient = ES_CLIENT, **params) -> dict:
    """Sign in then exchange the code: the token endpoint's JSON."""
    callback = sign_in(client, login, client_id=fs.client_id, **params)
    response = token_request(client, callback["code"], fs)
    assert response.status_code == 200, response.text
    return response.json


def decode(token: str, jwks: dict, alg: str = "ES256") -> jwt.Token:
    """Verify a sandbox JWS against a JWKS document, pinning the algorithm like a careful client."""
    return jwt.decode(token, KeySet.import_key_set(jwks), algorithms=[alg])
