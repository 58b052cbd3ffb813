"""A FranceConnect v2 stand-in for tests, played through `responses` (no socket is opened).

It owns ES256 and RS256 keys, serves discovery and the JWKS, redeems codes at /token and answers /userinfo
with a signed JWT, like FC v2 (shared/reference/franceconnect.md §1–§7). Every part has a knob:

    with FakeFranceConnect(clock=clock) as fc:              # or FakeFranceConnect(mock=an_existing_RequestsMock)
        client = fc.client()                                # a FranceConnectClient wired to fc.settings()
        fc.id_token_claims["iss"] = "https://attacker.example"   # DELETE removes a claim / header / field
        token = fc.login(client)                            # new_transaction + issue_code + exchange_code

For Flask views: `fc.authorize(location)` checks an /authorize redirect like FC does and returns the
callback query {"code", "state"}; `fc.end_session(location)` does the same for logout.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import responses
from joserfc.jwk import ECKey, Key, RSAKey
from joserfc.jws import JWSRegistry

from app.franceconnect.client import FranceConnectClient, TokenResult
from app.franceconnect.settings import FranceConnectSettings

ISSUER = "https://fc.test/api/v2"
CLIENT_ID = "6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985704f39950"
CLIENT_SECRET = "test-client-secret-0123456789abcdef"
REDIRECT_URI = "https://droits.test/auth/callback"
POST_LOGOUT_REDIRECT_URI = "https://droits.test/auth/logout/callback"
SCOPES = ("openid", "given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry", "email")
SUB = "b6048e95bb134ec5b1d1e1fa69f287172e91722b9354d637a1bcf2ebb0fd2ef5v1"
IDENTITY = {  # Angela Claire Louise DUBOIS, FC's first test identity (franceconnect.md §9)
    "given_name": "Angela Claire Louise",
    "family_name": "DUBOIS",
    "birthdate": "1962-08-24",
    "gender": "female",
    "birthplace": "75107",
    "birthcountry": "99100",
    "email": "wossewodda-3728@yopmail.com",
}
DELETE = object()  # as an override value: remove the claim, header parameter or field


@functools.cache
def _rsa_key(slot: int, kid: str) -> RSAKey:
    # RSA generation is slow (~0.1 s); keys are reused across tests by slot. EC keys are fresh per fake.
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}, private=True)


def _ec_key(kid: str) -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": kid, "use": "sig", "alg": "ES256"}, private=True)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _apply(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, **overrides}
    return {name: value for name, value in merged.items() if value is not DELETE}


def at_hash(access_token: str) -> str:
    return _b64(hashlib.sha256(access_token.encode()).digest()[:16])


def corrupt_signature(token: str) -> str:
    """Change one signature character (a whole 6-bit group, so the decoded signature really differs)."""
    head, _, signature = token.rpartition(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    return f"{head}.{signature[:middle]}{flipped}{signature[middle + 1:]}"


def sign(header: dict[str, Any], claims: dict[str, Any] | bytes, key: Key | bytes | None) -> str:
    """Sign anything, including what a real library would refuse (alg none, HS256 with a PEM, crit...)."""
    payload = claims if isinstance(claims, bytes) else json.dumps(claims).encode()
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(payload)}"
    alg = header.get("alg")
    if alg == "none" or key is None:
        return signing_input + "."
    if isinstance(key, bytes):  # HMAC, e.g. with the client secret or a public key's PEM bytes
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
        return signing_input + "." + _b64(hmac.new(key, signing_input.encode(), digest).digest())
    model = JWSRegistry.algorithms.get(alg) if isinstance(alg, str) else None
    if model is None or getattr(model, "key_type", None) != key.key_type:  # e.g. "alg": "es256" or missing
        model = JWSRegistry.algorithms[{"EC": "ES256", "RSA": "RS256"}[key.key_type]]
    signature = model.sign(signing_input.encode(), key)
    return signing_input + "." + _b64(signature)


class FakeFranceConnect:
    def __init__(
        self,
        *,
        issuer: str = ISSUER,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        alg: str = "ES256",
        redirect_uri: str = REDIRECT_URI,
        post_logout_redirect_uri: str = POST_LOGOUT_REDIRECT_URI,
        scopes: tuple[str, ...] = SCOPES,
        clock: Callable[[], float] = time.time,
        mock: responses.RequestsMock | None = None,
    ) -> None:
        self.issuer, self.client_id, self.client_secret, self.alg = issuer, client_id, client_secret, alg
        self.redirect_uri, self.post_logout_redirect_uri, self.scopes = redirect_uri, post_logout_redirect_uri, scopes
        self.clock = clock
        self.sub = SUB
        self.identity: dict[str, Any] = dict(IDENTITY)
        self.acr = "eidas1"
        self._generation = 1
        self.signing_keys: dict[str, Key] = {"ES256": _ec_key("es256-1"), "RS256": _rsa_key(1, "rs256-1")}
        self.published_keys: list[Key] = list(self.signing_keys.values())  # what /jwks serves (public parts)

        # Knobs. Claim/header/field overrides accept DELETE. Raw bodies replace the generated ones.
        self.discovery_overrides: dict[str, Any] = {}
        self.discovery_status, self.discovery_body = 200, None
        self.jwks_status, self.jwks_body = 200, None
        self.id_token_claims: dict[str, Any] = {}
        self.id_token_header: dict[str, Any] = {}
        self.id_token_key: Key | bytes | None = None  # None: the published key for the header's alg
        self.id_token_transform: Callable[[str], str] | None = None  # e.g. corrupt the signature
        self.token_status, self.token_content_type = 200, "application/json"
        self.token_overrides: dict[str, Any] = {}
        self.token_body: str | bytes | None = None
        self.userinfo_claims: dict[str, Any] = {}
        self.userinfo_header: dict[str, Any] = {}
        self.userinfo_key: Key | bytes | None = None
        self.userinfo_transform: Callable[[str], str] | None = None
        self.userinfo_status, self.userinfo_content_type = 200, "application/jwt"
        self.userinfo_body: str | bytes | None = None
        self.failures: dict[str, Exception] = {}  # endpoint ("discovery", "jwks", "token", "userinfo") → raised

        # What the relying party did.
        self.hits: Counter[str] = Counter()
        self.token_requests: list[dict[str, Any]] = []  # {"form": {...}, "headers": {...}}
        self.userinfo_requests: list[dict[str, Any]] = []  # {"url": ..., "headers": {...}}
        self.issued_id_tokens: list[str] = []
        self.issued_access_tokens: list[str] = []
        self._codes: dict[str, str] = {}  # code → nonce, single use
        self._access_tokens: dict[str, str] = {}  # access token → sub

        self._owns_mock = mock is None
        self.mock = mock if mock is not None else responses.RequestsMock(assert_all_requests_are_fired=False)
        for name, method in (("discovery", "GET"), ("jwks", "GET"), ("token", "POST"), ("userinfo", "GET")):
            self.mock.add_callback(method, self.url(name), callback=self._endpoint(name), content_type=None)

    @classmethod
    def for_settings(cls, settings: FranceConnectSettings, **kwargs: Any) -> FakeFranceConnect:
        """A fake matching an app's FranceConnectSettings (issuer, client, alg, redirect URIs, scopes)."""
        return cls(issuer=settings.issuer, client_id=settings.client_id, client_secret=settings.client_secret,
                   alg=settings.id_token_alg, redirect_uri=settings.redirect_uri,
                   post_logout_redirect_uri=settings.post_logout_redirect_uri, scopes=settings.scopes, **kwargs)

    # -- wiring ------------------------------------------------------------------------------------------
    def __enter__(self) -> FakeFranceConnect:
        if self._owns_mock:
            self.mock.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._owns_mock:
            self.mock.stop()
            self.mock.reset()

    def url(self, endpoint: str) -> str:
        paths = {"discovery": "/.well-known/openid-configuration", "jwks": "/jwks", "authorize": "/authorize",
                 "token": "/token", "userinfo": "/userinfo", "end_session": "/session/end"}
        return self.issuer + paths[endpoint]

    def settings(self, **overrides: Any) -> FranceConnectSettings:
        values: dict[str, Any] = dict(
            issuer=self.issuer, client_id=self.client_id, client_secret=self.client_secret, id_token_alg=self.alg,
            scopes=self.scopes, redirect_uri=self.redirect_uri, post_logout_redirect_uri=self.post_logout_redirect_uri,
            acr_values="eidas1", http_timeout=5.0, clock_leeway=30, jwks_refresh_interval=60,
        )
        return FranceConnectSettings(**{**values, **overrides})

    def client(self, **settings_overrides: Any) -> FranceConnectClient:
        return FranceConnectClient(self.settings(**settings_overrides), clock=self.clock)

    # -- keys ----------------------------------------------------------------------------------------------
    def rotate_keys(self, *, keep_old: bool = False, same_kid: bool = False) -> None:
        """New signing keys (new kids unless same_kid); the JWKS serves them, plus the old ones if keep_old."""
        self._generation += 1
        n = self._generation
        old = list(self.published_keys)
        self.signing_keys = {
            "ES256": _ec_key(self.signing_keys["ES256"].kid if same_kid else f"es256-{n}"),
            "RS256": _rsa_key(n, self.signing_keys["RS256"].kid if same_kid else f"rs256-{n}"),
        }
        self.published_keys = list(self.signing_keys.values()) + (old if keep_old else [])

    def foreign_key(self, alg: str = "ES256", kid: str | None = None) -> Key:
        """A key FranceConnect never published, e.g. to sign under a known kid."""
        return _ec_key(kid or "foreign") if alg == "ES256" else _rsa_key(1000, kid or "foreign")

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.as_dict(private=False) for key in self.published_keys]}

    # -- minting ---------------------------------------------------------------------------------------------
    def _sign(self, claims: dict[str, Any], header_overrides: dict[str, Any], key: Key | bytes | None) -> str:
        default_key = self.signing_keys[self.alg]
        header = _apply({"alg": self.alg, "typ": "JWT", "kid": default_key.kid}, header_overrides)
        alg = header.get("alg")
        if key is None and alg in self.signing_keys:
            key = self.signing_keys[alg]
        elif key is None and isinstance(alg, str) and alg.startswith("HS"):
            key = self.client_secret.encode()
        return sign(header, claims, key)

    def mint_id_token(self, nonce: str, access_token: str) -> str:
        now = int(self.clock())
        claims = {"iss": self.issuer, "sub": self.sub, "aud": self.client_id, "exp": now + 60, "iat": now,
                  "auth_time": now, "nonce": nonce, "acr": self.acr, "at_hash": at_hash(access_token)}
        token = self._sign(_apply(claims, self.id_token_claims), self.id_token_header, self.id_token_key)
        return self.id_token_transform(token) if self.id_token_transform else token

    def mint_userinfo(self, sub: str) -> str:
        now = int(self.clock())
        claims = {**self.identity, "sub": sub, "iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + 60}
        token = self._sign(_apply(claims, self.userinfo_claims), self.userinfo_header, self.userinfo_key)
        return self.userinfo_transform(token) if self.userinfo_transform else token

    def issue_code(self, nonce: str) -> str:
        """A single-use authorization code whose ID token will carry this nonce."""
        code = secrets.token_urlsafe(32)
        self._codes[code] = nonce
        return code

    # -- browser side (for view tests) ----------------------------------------------------------------------
    def authorize(self, location: str) -> dict[str, str]:
        """Check an /authorize redirect as FC v2 does (§2) and return the callback query for the RP."""
        parts = urlsplit(location)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == self.url("authorize"), "not FC's authorize URL"
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        params = dict(pairs)
        assert len(pairs) == len(params), "repeated parameter"
        expected = {"response_type", "client_id", "redirect_uri", "scope", "acr_values", "state", "nonce"}
        assert set(params) == expected, f"FC rejects unknown or missing parameters: {sorted(set(params) ^ expected)}"
        assert params["response_type"] == "code" and params["client_id"] == self.client_id
        assert params["redirect_uri"] == self.redirect_uri and "openid" in params["scope"].split()
        assert params["acr_values"] == "eidas1" and len(params["nonce"]) >= 22 and params["state"]
        self.last_authorize = params
        return {"code": self.issue_code(params["nonce"]), "state": params["state"]}

    def end_session(self, location: str) -> dict[str, str]:
        """Check a logout redirect (§7) and return the post-logout callback query {"state"}."""
        parts = urlsplit(location)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == self.url("end_session"), "not FC's logout URL"
        params = {name: values[0] for name, values in parse_qs(parts.query).items()}
        assert set(params) == {"id_token_hint", "state", "post_logout_redirect_uri"}
        assert params["id_token_hint"] in self.issued_id_tokens, "unknown id_token_hint"
        assert params["post_logout_redirect_uri"] == self.post_logout_redirect_uri, "not registered"
        return {"state": params["state"]}

    def login(self, client: FranceConnectClient) -> TokenResult:
        """The back-channel half of a login, for client tests: transaction, code, exchange."""
        tx = client.new_transaction()
        return client.exchange_code(self.issue_code(tx.nonce), tx)

    # -- endpoints ---------------------------------------------------------------------------------------------
    def _endpoint(self, name: str) -> Callable[[Any], Any]:
        handler = getattr(self, f"_serve_{name}")

        def callback(request: Any) -> Any:
            self.hits[name] += 1
            if name in self.failures:
                return self.failures[name]
            return handler(request)

        return callback

    @staticmethod
    def _json(status: int, body: Any, content_type: str = "application/json") -> tuple:
        return status, {"Content-Type": content_type}, body if isinstance(body, (str, bytes)) else json.dumps(body)

    def _serve_discovery(self, request: Any) -> tuple:
        document = {
            "issuer": self.issuer,
            "authorization_endpoint": self.url("authorize"),
            "token_endpoint": self.url("token"),
            "userinfo_endpoint": self.url("userinfo"),
            "end_session_endpoint": self.url("end_session"),
            "jwks_uri": self.url("jwks"),
            "id_token_signing_alg_values_supported": ["HS256", "ES256", "RS256"],  # FC really lists HS256
            "userinfo_signing_alg_values_supported": ["HS256", "ES256", "RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
            "acr_values_supported": ["eidas1"],
            "response_types_supported": ["code"],
            "scopes_supported": list(SCOPES),
        }
        body = self.discovery_body if self.discovery_body is not None else _apply(document, self.discovery_overrides)
        return self._json(self.discovery_status, body)

    def _serve_jwks(self, request: Any) -> tuple:
        return self._json(self.jwks_status, self.jwks_body if self.jwks_body is not None else self.jwks())

    def _serve_token(self, request: Any) -> tuple:
        form = dict(parse_qsl(request.body if isinstance(request.body, str) else request.body.decode()))
        self.token_requests.append({"form": form, "headers": dict(request.headers)})
        if self.token_body is not None:
            return self._json(self.token_status, self.token_body, self.token_content_type)
        # Like FC: client_secret_post only, exact redirect_uri, single-use codes (franceconnect.md §4).
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return self._json(401, {"error": "invalid_client", "error_description": "client authentication failed"})
        if form.get("grant_type") != "authorization_code" or form.get("redirect_uri") != self.redirect_uri:
            return self._json(400, {"error": "invalid_request", "error_description": "bad grant_type/redirect_uri"})
        if form.get("code") not in self._codes:
            return self._json(400, {"error": "invalid_grant", "error_description": "authorization code not found"})
        nonce = self._codes.pop(form["code"])
        access_token = secrets.token_urlsafe(32)
        self._access_tokens[access_token] = self.sub
        self.issued_access_tokens.append(access_token)
        fields = {"access_token": access_token, "token_type": "Bearer", "expires_in": 60,
                  "id_token": self.mint_id_token(nonce, access_token), "scope": " ".join(self.scopes)}
        fields = _apply(fields, self.token_overrides)
        if isinstance(fields.get("id_token"), str):
            self.issued_id_tokens.append(fields["id_token"])
        return self._json(self.token_status, fields, self.token_content_type)

    def _serve_userinfo(self, request: Any) -> tuple:
        self.userinfo_requests.append({"url": request.url, "headers": dict(request.headers)})
        if self.userinfo_body is not None:
            return self.userinfo_status, {"Content-Type": self.userinfo_content_type}, self.userinfo_body
        scheme, _, access_token = request.headers.get("Authorization", "").partition(" ")
        sub = self._access_tokens.get(access_token) if scheme == "Bearer" else None
        if sub is None:
            return self._json(401, {"error": "invalid_token", "error_description": "access token not found"})
        return self.userinfo_status, {"Content-Type": self.userinfo_content_type}, self.mint_userinfo(sub)
