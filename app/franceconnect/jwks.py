"""In-memory cache of FranceConnect's signing keys (JWKS), shared by all request threads.

FranceConnect rotates its keys "régulièrement" and asks FS to refetch the JWKS when a token names a key
they do not know, instead of failing the user (docs.partenaires, migration v1→v2). A token's `kid` is
attacker-controlled, so refetches triggered by unknown keys are rate-limited to one per
`refresh_interval` seconds: a flood of random kids costs FranceConnect at most one request per interval.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
from collections.abc import Callable

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, Key, RSAKey

from app.franceconnect.errors import FranceConnectUnavailable

logger = logging.getLogger(__name__)

# FranceConnect serves its JWKS with "cache-control: public, max-age=600"; past that age we refresh on the
# next use, and keep using the cached keys if the refresh fails.
MAX_AGE = 600
MIN_RSA_BITS = 2048
_IMPORTERS = {"EC": ECKey.import_key, "RSA": RSAKey.import_key}


def key_fits(key: Key, alg: str) -> bool:
    """Whether a JWKS entry may verify a signature made with `alg` (only asymmetric keys are ever usable)."""
    if key.get("use") not in (None, "sig"):
        return False
    if key.alg is not None and key.alg != alg:
        return False
    if alg == "ES256":
        return isinstance(key, ECKey) and key.get("crv") == "P-256"
    if alg == "RS256":
        return isinstance(key, RSAKey) and key.public_key.key_size >= MIN_RSA_BITS
    return False


def _rsa_bits(n: object) -> int:
    if not isinstance(n, str):
        return 0
    try:
        return int.from_bytes(base64.urlsafe_b64decode(n + "=" * (-len(n) % 4)), "big").bit_length()
    except (ValueError, binascii.Error):
        return 0


def parse_jwks(body: bytes) -> list[Key]:
    """Import the public keys of a JWKS document; entries we cannot use are skipped, not fatal."""
    document = json.loads(body)
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWK set")
    keys: list[Key] = []
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("kty") not in ("EC", "RSA"):
            continue  # never accept a symmetric ("oct") key from the network
        public = {name: value for name, value in entry.items() if name not in ("d", "p", "q", "dp", "dq", "qi")}
        if entry["kty"] == "RSA" and _rsa_bits(entry.get("n")) < MIN_RSA_BITS:
            continue  # checked before import, which would only warn
        try:
            keys.append(_IMPORTERS[entry["kty"]](public))
        except (JoseError, ValueError, TypeError, KeyError):  # KeyError: e.g. an unknown "crv"
            continue
    return keys


class JwksCache:
    """Thread-safe cache; `fetch` returns the raw JWKS body or raises FranceConnectUnavailable."""

    def __init__(self, fetch: Callable[[], bytes], *, clock: Callable[[], float], refresh_interval: float) -> None:
        self._fetch = fetch
        self._clock = clock
        self._refresh_interval = refresh_interval
        self._lock = threading.Lock()
        self._keys: list[Key] = []
        self._fetched_at: float | None = None  # time of the last successful fetch
        self._refetched_at: float | None = None  # time of the last refetch (keys already cached), even failed

    def candidates(self, kid: str | None, alg: str) -> list[Key]:
        """Keys that may have signed a token with this header; refetches at most once (rate-limited) on a miss."""
        with self._lock:
            self._ensure_fresh()
            found = self._select(kid, alg)
            if not found and self._refetch_allowed():
                logger.info("franceconnect jwks: no key for this token header, refetching")
                self._refresh(keep_on_failure=False)
                found = self._select(kid, alg)
            return found

    def refresh_after_bad_signature(self, kid: str | None, alg: str, tried: list[Key]) -> list[Key]:
        """New keys to try after a signature failure: FranceConnect may reuse a kid for a new key.

        Rate-limited like unknown kids, so forged signatures cannot make us hammer the JWKS endpoint.
        """
        with self._lock:
            if not self._refetch_allowed():
                return []
            logger.info("franceconnect jwks: signature did not verify with cached key, refetching")
            self._refresh(keep_on_failure=True)
            return [key for key in self._select(kid, alg) if key not in tried]

    def _select(self, kid: str | None, alg: str) -> list[Key]:
        usable = [key for key in self._keys if key_fits(key, alg)]
        if kid is not None:
            return [key for key in usable if key.kid == kid]
        # No kid: acceptable only when exactly one key could have signed (OIDC conformance kid-absent tests).
        return usable if len(usable) == 1 else []

    def _refetch_allowed(self) -> bool:
        return self._refetched_at is None or self._clock() - self._refetched_at >= self._refresh_interval

    def _ensure_fresh(self) -> None:
        if self._fetched_at is None:
            self._refresh(keep_on_failure=False)
        elif self._clock() - self._fetched_at >= MAX_AGE and self._refetch_allowed():
            self._refresh(keep_on_failure=True)

    def _refresh(self, *, keep_on_failure: bool) -> None:
        now = self._clock()
        if self._keys:
            self._refetched_at = now
        try:
            body = self._fetch()
            try:
                keys = parse_jwks(body)
            except (ValueError, RecursionError) as exc:  # json.JSONDecodeError is a ValueError
                raise FranceConnectUnavailable("jwks_invalid") from exc
            if not keys:
                # An empty or unusable set must not wipe keys that still work.
                raise FranceConnectUnavailable("jwks_no_usable_key")
        except FranceConnectUnavailable as exc:
            if keep_on_failure and self._keys:
                logger.warning("franceconnect jwks: refresh failed (%s), keeping cached keys", exc.reason)
                return
            raise
        self._keys = keys
        self._fetched_at = now
