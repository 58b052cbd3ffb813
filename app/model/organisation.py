"""The organisations that send people to Droits Connect and receive their dossiers.

Declared in the registry (app/organisations/registry.py), which checks every value before building these;
the dataclasses themselves only hold them. Secrets never appear in a repr.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

JOURNEY_OF_KIND = {"hopital": "preadmission", "mutuelle": "adhesion"}
SOURCES = ("c2s", "cnam")
API_KEY_HASH_PREFIX = "sha256:"
# Once the organisation has acknowledged a dossier it holds its own copy: ours only serves the person's receipt.
DELIVERED_RETENTION_DAYS = 7


def api_key_hash(key: str) -> str:
    """The form an API key is stored in: "sha256:<64 hex>"; the key itself is never stored."""
    return API_KEY_HASH_PREFIX + hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Branding:
    display_name: str  # how the pages name the organisation (defaults to `name`)
    logo: str | None = None  # file name inside the instance folder's `logos/` directory (png/svg/jpg)
    accent_colour: str | None = None  # "#rrggbb", at least 4.5:1 against white (WCAG 2.1 AA)


@dataclass(frozen=True)
class Webhook:
    url: str  # https (http only for loopback), no query or fragment
    secret: str = field(repr=False)  # Standard Webhooks secret "whsec_<base64>"
    # During a rotation, the secrets the receiver may still verify with: each signs too (Standard Webhooks).
    previous_secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.secret, *self.previous_secrets)


@dataclass(frozen=True)
class Organisation:
    id: str  # stable, URL-safe identifier, e.g. "chu-demo"
    name: str  # as shown to the person, e.g. "Centre hospitalier de Démonstration"
    kind: str  # "hopital" | "mutuelle"
    contact: str  # where the person exercises their rights (e-mail or postal address)
    dpo: str = ""  # data protection officer's contact, when distinct
    siret: str = ""  # 14 digits; also the API Particulier `recipient` for this organisation's sign-ins
    sources: tuple[str, ...] = SOURCES  # the data sources it may request
    return_urls: tuple[str, ...] = ()  # exact allowed return URLs, as written
    launch_secrets: tuple[str, ...] = field(default=(), repr=False)  # HS256 keys; the first signs, all verify
    api_key_hashes: tuple[str, ...] = field(default=(), repr=False)  # "sha256:<64 hex>" of each active API key
    webhook: Webhook | None = None
    branding: Branding = None  # type: ignore[assignment]  # filled in with display_name = name
    retention_days: int | None = None  # None = the journey's default
    delivered_retention_days: int = DELIVERED_RETENTION_DAYS  # kept this long after its acknowledgement, at most
    allow_unsigned: bool = False  # may a person start without a signed launch link
    ics: str | None = None  # mutuelle only: SEPA creditor identifier

    def __post_init__(self) -> None:
        if self.branding is None:
            object.__setattr__(self, "branding", Branding(display_name=self.name))

    @property
    def journey(self) -> str:
        return JOURNEY_OF_KIND[self.kind]

    def verifies_api_key(self, key: str) -> bool:
        """Whether `key` is one of this organisation's active API keys (constant-time comparison of hashes)."""
        candidate = api_key_hash(key).encode()
        # Compare against every hash, without stopping at a match, so the time says nothing about which.
        matches = [hmac.compare_digest(candidate, stored.encode()) for stored in self.api_key_hashes]
        return any(matches)
