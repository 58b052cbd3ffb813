"""The sandbox's signing keys, published at /api/v2/jwks.

FranceConnect signs with one key per algorithm (kids `pkcs11:ES256:hsm`, `pkcs11:RS256:hsm`) and changes
them "regularly"; clients must refetch the JWKS on an unknown kid (franceconnect.md §5). `rotate()` lets
tests exercise that: new tokens use the new key, and the JWKS keeps the previous generation for tokens
already issued. Two rotations drop the first key, to test clients facing a kid they can no longer find.
"""

from __future__ import annotations

import json
import secrets
import threading

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

ALGORITHMS = ("ES256", "RS256")


class InvalidSignature(Exception):
    """The JWS was not signed by one of the sandbox's published keys."""


def _generate(alg: str) -> ECKey | RSAKey:
    # A random suffix: a client that cached the JWKS of a previous sandbox run must not find a stale key
    # under the same kid.
    parameters = {"kid": f"sandbox:{alg}:{secrets.token_hex(4)}", "alg": alg, "use": "sig"}
    if alg == "ES256":
        return ECKey.generate_key("P-256", parameters=parameters)
    return RSAKey.generate_key(2048, parameters=parameters)


class KeyStore:
    """One current signing key per algorithm, plus the previous generation, thread-safe.

    Keys are generated on first use: an RSA key costs up to a few hundred milliseconds, and most tests
    (and many sandbox runs) never need one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: dict[str, ECKey | RSAKey] = {}
        self._previous: dict[str, ECKey | RSAKey] = {}

    def rotate(self) -> None:
        """Switch to new keys with new kids; the JWKS keeps serving the keys they replace."""
        with self._lock:
            self._previous = {alg: self._signing_key(alg) for alg in ALGORITHMS}
            self._current = {}

    def current_kid(self, alg: str) -> str:
        with self._lock:
            return self._signing_key(alg).kid

    def jwks(self) -> dict:
        """The public JWKS document, current keys first."""
        with self._lock:
            keys = [*(self._signing_key(alg) for alg in ALGORITHMS), *self._previous.values()]
        return {"keys": [key.as_dict(private=False) for key in keys]}

    def sign(self, payload: dict, alg: str) -> str:
        """A compact JWS of `payload`; the header holds only alg and kid, as FC's does."""
        with self._lock:
            key = self._signing_key(alg)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        return jws.serialize_compact({"alg": alg, "kid": key.kid}, body, key)

    def verify(self, token: str, alg: str | None = None) -> dict:
        """The payload of a JWS signed with a published key (of `alg` if given); claims are not checked."""
        try:
            kid = jws.extract_compact(token.encode()).headers().get("kid")
        except (JoseError, ValueError) as exc:
            raise InvalidSignature("malformed JWS") from exc
        with self._lock:
            candidates = [k for k in (*self._current.values(), *self._previous.values()) if k.kid == kid]
        if not candidates or (alg is not None and candidates[0].alg != alg):
            raise InvalidSignature("unknown kid or unexpected alg")
        try:
            verified = jws.deserialize_compact(token, candidates[0], algorithms=[candidates[0].alg])
            payload = json.loads(verified.payload)
        except (JoseError, ValueError) as exc:
            raise InvalidSignature("bad signature") from exc
        if not isinstance(payload, dict):
            raise InvalidSignature("payload is not a JSON object")
        return payload

    def _signing_key(self, alg: str) -> ECKey | RSAKey:
        # Called with the lock held.
        if alg not in self._current:
            self._current[alg] = _generate(alg)
        return self._current[alg]
