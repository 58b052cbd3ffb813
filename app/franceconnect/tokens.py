"""Verification of FranceConnect's signed JWTs: the ID token (OIDC Core 3.1.3.7) and the userinfo (Core 5.3.2).

Every failure is a FranceConnectProtocolError whose reason is prefixed by what was checked
(``id_token_...`` or ``userinfo_...``). Signatures are verified here with joserfc against the pinned algorithm:
Authlib's OIDC client would take its algorithms from discovery, where FranceConnect lists HS256
(shared/reference/security.md §0). The ID token's claims then go through Authlib's `CodeIDToken`
(iss, aud, exp, iat, nbf, nonce, at_hash), plus FranceConnect's own rules (acr, age, sub) and the checks
Authlib leaves out (azp for several audiences, an empty at_hash).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import math
import re
from typing import Any

from authlib.oidc.core import CodeIDToken
from joserfc import jws
from joserfc.errors import BadSignatureError, ClaimError, ExpiredTokenError, JoseError, MissingClaimError
from joserfc.jwk import Key

from app.franceconnect.errors import FranceConnectProtocolError
from app.franceconnect.jwks import JwksCache

ACR_LEVELS = {"eidas1": 1, "eidas2": 2, "eidas3": 3}
ID_TOKEN_MAX_AGE = 600  # FranceConnect's ID tokens live 60 s; anything issued long before is a replay
MAX_JWT_CHARS = 64 * 1024
# Keys come only from the provider's JWKS (ASVS 5.0 9.1.3, Authlib CVE-2026-27962); "b64" (RFC 7797) would
# change what the signature covers.
FORBIDDEN_HEADERS = ("jwk", "jku", "x5u", "x5c", "b64")
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")


def _fail(what: str, reason: str) -> FranceConnectProtocolError:
    return FranceConnectProtocolError(f"{what}_{reason}")


def _b64_json(segment: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def verify_jws(token: Any, *, alg: str, jwks: JwksCache, what: str) -> dict[str, Any]:
    """Check a compact JWS against the pinned algorithm and the provider's keys; return its claims."""
    header = _checked_header(token, alg, what)
    kid = header.get("kid")
    keys = jwks.candidates(kid, alg)
    if not keys:
        raise _fail(what, "unknown_kid" if kid is not None else "no_matching_key")
    # Unknown header parameters are ignored (RFC 7515 §4), the dangerous ones were refused above.
    registry = jws.JWSRegistry(algorithms=[alg], strict_check_header=False)
    verified = _verify_with(token, keys, registry, what)
    if verified is None:
        verified = _verify_with(token, jwks.refresh_after_bad_signature(kid, alg, keys), registry, what)
    if verified is None:
        raise _fail(what, "bad_signature")
    try:
        claims = json.loads(verified.payload)
    except (ValueError, RecursionError):
        raise _fail(what, "malformed") from None
    if not isinstance(claims, dict):
        raise _fail(what, "malformed")
    return claims


def _checked_header(token: Any, alg: str, what: str) -> dict[str, Any]:
    """The JOSE header of a compact JWS whose shape and header are acceptable, before any key is looked up."""
    if not isinstance(token, str) or len(token) > MAX_JWT_CHARS:
        raise _fail(what, "malformed")
    segments = token.split(".")
    if len(segments) != 3:  # a JWE (5 segments) or JSON serialization is not what FranceConnect standard sends
        raise _fail(what, "not_compact_jws")
    if not (_SEGMENT.fullmatch(segments[0]) and _SEGMENT.fullmatch(segments[1])):
        raise _fail(what, "malformed")
    try:
        header = _b64_json(segments[0])
    except (ValueError, binascii.Error, RecursionError):  # RecursionError: absurdly nested JSON, before any check
        raise _fail(what, "malformed") from None
    if not isinstance(header, dict):
        raise _fail(what, "malformed")
    # The algorithm is pinned by configuration, never taken from the token or from discovery.
    if header.get("alg") != alg:
        raise _fail(what, "bad_alg")
    if "crit" in header:
        raise _fail(what, "crit_header")
    if any(name in header for name in FORBIDDEN_HEADERS):
        raise _fail(what, "forbidden_header")
    if header.get("kid") is not None and not isinstance(header["kid"], str):
        raise _fail(what, "malformed")
    if not _SEGMENT.fullmatch(segments[2]):  # never empty with ES256/RS256
        raise _fail(what, "malformed")
    return header


def _verify_with(token: str, keys: list[Key], registry: jws.JWSRegistry, what: str) -> jws.CompactSignature | None:
    for key in keys:
        try:
            return jws.deserialize_compact(token, key, registry=registry)
        except BadSignatureError:
            continue
        except (JoseError, ValueError):
            raise _fail(what, "malformed") from None
    return None


def check_issuer(claims: dict[str, Any], issuer: str, what: str) -> None:
    if "iss" not in claims:
        raise _fail(what, "missing_iss")
    if claims["iss"] != issuer:  # exact comparison: no trailing-slash or case folding (PyJWT CVE-2024-53861)
        raise _fail(what, "bad_iss")


def check_audience(claims: dict[str, Any], client_id: str, what: str) -> None:
    aud = claims.get("aud")
    if aud is None:
        raise _fail(what, "missing_aud")
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
        raise _fail(what, "bad_aud")
    if client_id not in audiences:
        raise _fail(what, "bad_aud")
    azp = claims.get("azp")
    # Other audiences could replay this token to us; with azp = our client_id, we are the party it was issued to.
    if len(set(audiences)) > 1 and azp is None:
        raise _fail(what, "missing_azp")
    if azp is not None and azp != client_id:
        raise _fail(what, "bad_azp")


def check_expiry(claims: dict[str, Any], now: float, leeway: float, what: str, *, required: bool) -> None:
    if "exp" not in claims:
        if required:
            raise _fail(what, "missing_exp")
        return
    if not _is_number(claims["exp"]):
        raise _fail(what, "bad_exp")
    if now >= claims["exp"] + leeway:
        raise _fail(what, "expired")


def check_id_token(
    claims: dict[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    min_acr: int,
    access_token: str,
    alg: str,
    now: float,
    leeway: float,
) -> None:
    """OIDC Core 3.1.3.7 plus FranceConnect's rules (nonce and acr, shared/reference/franceconnect.md §5)."""
    what = "id_token"
    id_token = CodeIDToken(
        claims,
        {"alg": alg},  # the pinned algorithm, which verify_jws enforced: it chooses the at_hash digest
        # The issuer is compared exactly: no trailing-slash or case folding (PyJWT CVE-2024-53861).
        options={"iss": {"essential": True, "value": issuer}, "aud": {"essential": True, "value": client_id}},
        # No client_id here: Authlib's azp rule refuses aud = [us, us]; check_audience applies ours below.
        params={"nonce": nonce, "access_token": access_token},
    )
    try:
        id_token.validate(now=now, leeway=leeway)
    except ExpiredTokenError:
        raise _fail(what, "expired") from None
    except ClaimError as exc:
        raise _fail(what, _claim_reason(claims, exc)) from None
    check_audience(claims, client_id, what)
    # Authlib skips a falsy at_hash (the fail-open of security.md §4, CVE-2026-28498): a present one must match.
    if "at_hash" in claims and not claims["at_hash"]:
        raise _fail(what, "bad_at_hash")
    if now - claims["iat"] > ID_TOKEN_MAX_AGE + leeway:  # Authlib has no maximum age
        raise _fail(what, "too_old")
    _check_acr(claims, min_acr, what)
    _check_sub(claims, what)


def _claim_reason(claims: dict[str, Any], exc: ClaimError) -> str:
    """Our reason code for an Authlib/joserfc claim error (its message is never logged: it may quote a value)."""
    claim = exc.claim.split(",")[0]  # joserfc names every missing essential claim, comma-separated
    if isinstance(exc, MissingClaimError) and claim not in claims:
        return f"missing_{claim}"
    if claim in ("iat", "nbf") and _is_number(claims.get(claim)):  # a number refused: a time in the future
        return "iat_in_future" if claim == "iat" else "not_yet_valid"
    return f"bad_{claim}"


def _check_acr(claims: dict[str, Any], min_acr: int, what: str) -> None:
    if "acr" not in claims:
        raise _fail(what, "missing_acr")
    level = ACR_LEVELS.get(claims["acr"]) if isinstance(claims["acr"], str) else None
    if level is None:
        raise _fail(what, "unknown_acr")
    if level < min_acr:
        raise _fail(what, "insufficient_acr")


def _check_sub(claims: dict[str, Any], what: str) -> None:
    sub = claims.get("sub")
    if sub is None or sub == "":
        raise _fail(what, "missing_sub")
    if not isinstance(sub, str) or len(sub) > 255:  # OIDC Core 2: at most 255 ASCII characters
        raise _fail(what, "bad_sub")


def check_userinfo(
    claims: dict[str, Any], *, issuer: str, client_id: str, sub: str, now: float, leeway: float
) -> None:
    """OIDC Core 5.3.2: a signed userinfo carries iss and aud, and its sub must be the ID token's."""
    what = "userinfo"
    check_issuer(claims, issuer, what)
    check_audience(claims, client_id, what)
    if "sub" not in claims:
        raise _fail(what, "missing_sub")
    if not isinstance(claims["sub"], str) or not _same(claims["sub"], sub):
        raise _fail(what, "sub_mismatch")
    check_expiry(claims, now, leeway, what, required=False)
