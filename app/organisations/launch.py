"""Signed launch links: a portal sends a person to a journey with a compact JWS (HS256, its launch secret).

Claims (README, "Integrating a portal"): `iss` the organisation's slug, `aud` the service's
public URL, `iat`, `exp` (at most LAUNCH_MAX_LIFETIME after `iat`), `jti` (single use), `ref` (the portal's own
reference), `return_url` (one of the organisation's registered return URLs, byte for byte), and optionally
`stay` {date, service, type} for a hospital or `offer` {code, label, start_date} for a mutuelle.

Every refusal is a `LaunchRefused` with a reason code for the logs; the token, its claims and the secrets are
never logged. The single use is recorded last, so that a token refused for another reason stays unused.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from app.model.journey import OFFER_FIELDS, STAY_TYPES, Launch
from app.model.organisation import Organisation

ALGORITHM = "HS256"
LAUNCH_MAX_LIFETIME = 4 * 3600  # a portal makes the link when the person clicks; hours, not days
CLOCK_LEEWAY = 60  # seconds of clock skew tolerated between the portal and us
MAX_TOKEN_BYTES = 4096
MAX_STAY_AHEAD = dt.timedelta(days=2 * 366)  # a pre-admission is for a stay within two years

_REF = re.compile(r"[A-Za-z0-9_-]{1,64}")
_JTI = re.compile(r"[A-Za-z0-9_.:-]{8,128}")
_SERVICE = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿŒœŸ' ’-]{1,80}")
_CODE = re.compile(r"[A-Za-z0-9_.-]{1,32}")
_LABEL = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿŒœŸ' ’+()/.,-]{1,80}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# Records a jti until the token's expiry; False when it was already recorded (dossiers.launches.LaunchLedger).
UseOnce = Callable[[str, str, dt.datetime], bool]


class LaunchRefused(Exception):
    """The launch link cannot start a journey; `reason` is a short code for the logs, never a claim's value."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Claims:
    values: Mapping[str, Any]

    def text(self, name: str, pattern: re.Pattern, reason: str) -> str:
        value = self.values.get(name)
        if value is None:
            raise LaunchRefused(f"missing_{name}")
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise LaunchRefused(reason)
        return value

    def number(self, name: str) -> int:
        value = self.values.get(name)
        if value is None:
            raise LaunchRefused(f"missing_{name}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise LaunchRefused(f"malformed_{name}")
        return int(value)


def verify_launch(token: str, organisation: Organisation, *, audience: str, now: float, use_once: UseOnce,
                  today: dt.date) -> Launch:
    """The verified launch, or LaunchRefused."""
    payload = _verified_payload(token, organisation)
    claims = _Claims(payload)
    _check_times(claims, now)
    if claims.values.get("iss") != organisation.id:
        raise LaunchRefused("wrong_issuer")
    audiences = claims.values.get("aud")
    if audiences != audience and not (isinstance(audiences, list) and audience in audiences):
        raise LaunchRefused("wrong_audience")
    jti = claims.text("jti", _JTI, "malformed_jti")
    launch = Launch(
        organisation=organisation.id, reference=claims.text("ref", _REF, "malformed_ref"),
        return_url=_return_url(claims, organisation), **_stay(claims, organisation, today),
        **_offer(claims, organisation, today),
    )
    expires_at = dt.datetime.fromtimestamp(claims.number("exp") + CLOCK_LEEWAY, dt.UTC)
    if not use_once(organisation.id, jti, expires_at):
        raise LaunchRefused("replayed")
    return launch


def _verified_payload(token: str, organisation: Organisation) -> dict[str, Any]:
    if not isinstance(token, str) or len(token) > MAX_TOKEN_BYTES or token.count(".") != 2:
        raise LaunchRefused("malformed")
    try:
        header = jws.extract_compact(token.encode("ascii")).protected
    except (JoseError, ValueError, UnicodeError):
        raise LaunchRefused("malformed") from None
    # Pinned before any key is tried: "none", asymmetric algorithms and their confusions never reach a key.
    if header.get("alg") != ALGORITHM:
        raise LaunchRefused("algorithm_not_allowed")
    if header.get("crit"):
        raise LaunchRefused("critical_header")
    if not organisation.launch_secrets:
        raise LaunchRefused("no_launch_secret")
    for secret in organisation.launch_secrets:  # the first signs, every one verifies: rotation
        try:
            payload = jws.deserialize_compact(token, OctKey.import_key(secret), algorithms=[ALGORITHM]).payload
        except JoseError:
            continue
        try:
            claims = json.loads(payload)
        except ValueError:
            raise LaunchRefused("malformed_claims") from None
        if not isinstance(claims, dict):
            raise LaunchRefused("malformed_claims")
        return claims
    raise LaunchRefused("bad_signature")


def _check_times(claims: _Claims, now: float) -> None:
    issued, expires = claims.number("iat"), claims.number("exp")
    if issued > now + CLOCK_LEEWAY:
        raise LaunchRefused("issued_in_the_future")
    if now > expires + CLOCK_LEEWAY:
        raise LaunchRefused("expired")
    if expires - issued > LAUNCH_MAX_LIFETIME:
        raise LaunchRefused("lifetime_too_long")
    nbf = claims.values.get("nbf")
    if nbf is not None and (not isinstance(nbf, (int, float)) or isinstance(nbf, bool) or nbf > now + CLOCK_LEEWAY):
        raise LaunchRefused("not_yet_valid")


def _return_url(claims: _Claims, organisation: Organisation) -> str:
    value = claims.values.get("return_url")
    if value is None:
        raise LaunchRefused("missing_return_url")
    # Byte for byte: no normalisation, so that no variant (case, dot, port, userinfo, encoding) can slip through.
    if not isinstance(value, str) or value not in organisation.return_urls:
        raise LaunchRefused("return_url_not_allowed")
    return value


def _object(claims: _Claims, name: str) -> Mapping[str, Any] | None:
    value = claims.values.get(name)
    if value is not None and not isinstance(value, dict):
        raise LaunchRefused(f"malformed_{name}")
    return value


def _date(value: Any, reason: str, today: dt.date, latest: dt.date) -> str:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise LaunchRefused(reason)
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise LaunchRefused(reason) from None
    if not today <= day <= latest:
        raise LaunchRefused(reason)
    return value


def _stay(claims: _Claims, organisation: Organisation, today: dt.date) -> dict[str, str | None]:
    stay = _object(claims, "stay")
    if stay is None:
        return {}
    if organisation.journey != "preadmission" or set(stay) - {"date", "service", "type"}:
        raise LaunchRefused("malformed_stay")
    service, kind = stay.get("service"), stay.get("type")
    if service is not None and (not isinstance(service, str) or not _SERVICE.fullmatch(service)
                                or not any(c.isalnum() for c in service)):
        raise LaunchRefused("malformed_stay")
    if kind is not None and kind not in STAY_TYPES:
        raise LaunchRefused("malformed_stay")
    date = stay.get("date")
    return {"stay_date": _date(date, "malformed_stay", today, today + MAX_STAY_AHEAD) if date is not None else None,
            "stay_service": " ".join(service.split()) if service else None, "stay_type": kind}


def _offer(claims: _Claims, organisation: Organisation, today: dt.date) -> dict[str, str | None]:
    offer = _object(claims, "offer")
    if offer is None:
        return {}
    if organisation.journey != "adhesion" or set(offer) - set(OFFER_FIELDS):
        raise LaunchRefused("malformed_offer")
    code, label, start = offer.get("code"), offer.get("label"), offer.get("start_date")
    if code is not None and (not isinstance(code, str) or not _CODE.fullmatch(code)):
        raise LaunchRefused("malformed_offer")
    if label is not None and (not isinstance(label, str) or not _LABEL.fullmatch(label)):
        raise LaunchRefused("malformed_offer")
    latest = today + dt.timedelta(days=366)
    return {"offer_code": code, "offer_label": " ".join(label.split()) if label else None,
            "offer_start": _date(start, "malformed_offer", today, latest) if start is not None else None}
