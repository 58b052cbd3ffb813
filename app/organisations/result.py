"""Signed results: where a person goes back to the portal, and what the portal may trust about why.

The result is a compact JWS (HS256 with the organisation's first launch secret, the one its portal verifies
with): `iss` the service's public URL, `aud` the organisation's slug, `iat`, `exp` (RESULT_LIFETIME later),
`jti`, `status` (submitted, cancelled or failed), `ref` (the portal's reference) and, once submitted, `dossier`
(the dossier's reference, which the organisation pulls). It carries no personal data.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import OctKey

from app.model.organisation import Organisation
from app.organisations.launch import ALGORITHM

RESULT_LIFETIME = 600
RESULT_STATUSES = ("submitted", "cancelled", "failed")
RESULT_PARAMETER = "result"


def sign_result(organisation: Organisation, *, status: str, reference: str | None, dossier: str | None,
                issuer: str, now: float) -> str:
    if status not in RESULT_STATUSES:
        raise ValueError("unknown result status")
    claims = {"iss": issuer, "aud": organisation.id, "iat": int(now), "exp": int(now) + RESULT_LIFETIME,
              "jti": secrets.token_urlsafe(16), "status": status, "ref": reference}
    if dossier:
        claims["dossier"] = dossier
    return jwt.encode({"alg": ALGORITHM, "typ": "JWT"}, claims, OctKey.import_key(organisation.launch_secrets[0]),
                      algorithms=[ALGORITHM])


def return_location(organisation: Organisation, return_url: str | None, token: str) -> str | None:
    """The URL to send the person back to, or None when `return_url` is not, byte for byte, a registered one."""
    if not return_url or return_url not in organisation.return_urls or not organisation.launch_secrets:
        return None
    separator = "&" if "?" in return_url else "?"
    return f"{return_url}{separator}{urlencode({RESULT_PARAMETER: token})}"
