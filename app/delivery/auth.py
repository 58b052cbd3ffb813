"""Who is calling: the organisation whose API key the request presents as a Bearer token (RFC 6750).

Keys are stored hashed in the registry, several active at once for rotation (`flask organisations new-api-key`,
`revoke-api-key`). A presented key is checked against every active hash of every organisation, without stopping
at a match, so the time taken tells nothing about which organisation, or whether any, holds it. A key is never
logged nor put in an error: only a short hash of it names it to the rate limiter.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from app.model.organisation import Organisation

API_KEY_PREFIX = "dc_live_"
# What `flask organisations new-api-key` makes: the prefix and 43 URL-safe characters; some room for other lengths.
API_KEY = re.compile(r"dc_live_[A-Za-z0-9_-]{16,128}")
BEARER = re.compile(r"Bearer +(\S+)", re.IGNORECASE)


@dataclass(frozen=True)
class Outcome:
    """The organisation authenticated, or the English reason code of the refusal (for the logs)."""

    organisation: Organisation | None
    reason: str = ""


def presented_key(authorization: str | None) -> str | None:
    """The token of a well-formed `Authorization: Bearer …` header, else None."""
    match = BEARER.fullmatch((authorization or "").strip())
    return match.group(1) if match else None


def authenticate(authorization: str | None, organisations: Iterable[Organisation]) -> Outcome:
    if not authorization:
        return Outcome(None, "missing")
    key = presented_key(authorization)
    if key is None or not API_KEY.fullmatch(key):
        return Outcome(None, "malformed")
    holders = [organisation for organisation in organisations if organisation.verifies_api_key(key)]
    if len(holders) != 1:
        # Two organisations sharing one key would be a registry mistake: refuse rather than guess.
        return Outcome(None, "unknown" if not holders else "ambiguous")
    return Outcome(holders[0])


def key_label(authorization: str | None) -> str | None:
    """A short, non-reversible name for the presented key (the rate limiter's bucket), or None without one."""
    key = presented_key(authorization)
    return "key:" + hashlib.sha256(key.encode()).hexdigest()[:16] if key else None
