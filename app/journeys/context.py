"""A journey's context: which organisation asked, its reference and stay, and where it lives in the session.

The information page keeps the context in the session, keyed by journey and organisation, before sign-in.
The FranceConnect callback starts a fresh session (no fixation), so `carrying_journey` wraps the sign-in hook:
it copies the context whose path matches the sign-in's `next` into the new session, marked signed in. The
context therefore never travels through the browser, and a forged `next` can only pick a context this browser
opened itself.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass

from flask import session

log = logging.getLogger(__name__)

PENDING = "journey_pending"  # "journey/org" -> context, opened by the information page before sign-in
CURRENT = "journey"  # the signed-in journey's context
PEOPLE = "journey_people"  # who the dossier is about (prefill.People)
DRAFT = "journey_draft"  # {"values": what the person typed, "key": idempotency key}
RECEIPT = "journey_receipt"  # {"journey", "org", "reference"} once the dossier is stored
MAX_PENDING = 4  # a few tabs at once, not an unbounded list

_REF = re.compile(r"[A-Za-z0-9_-]{1,64}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SERVICE = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿŒœŸ' ’-]{1,80}")


@dataclass(frozen=True)
class JourneyContext:
    journey: str
    org: str
    started_at: str  # ISO 8601 UTC
    ref: str | None = None  # the portal's own reference
    stay_date: str | None = None  # pre-admission: YYYY-MM-DD, passed by the hospital
    stay_service: str | None = None
    signed_in: bool = False

    @property
    def key(self) -> str:
        return f"{self.journey}/{self.org}"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data) -> JourneyContext | None:
        try:
            return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})
        except (TypeError, KeyError):
            return None


def portal_parameters(args, journey: str, today: dt.date) -> tuple[dict[str, str], list[str]]:
    """The portal's parameters that pass their checks, and the names of those ignored (never their values)."""
    accepted: dict[str, str] = {}
    ignored: list[str] = []
    names = ("ref", "date_sejour", "service") if journey == "preadmission" else ("ref",)
    for name in names:
        values = args.getlist(name)
        if not values:
            continue
        value = values[0].strip() if len(values) == 1 else None  # a repeated parameter is a bug or an attack
        if value is not None and _accept(name, value, today):
            accepted[name] = " ".join(value.split()) if name == "service" else value
        else:
            ignored.append(name)
    return accepted, ignored


def _accept(name: str, value: str, today: dt.date) -> bool:
    if name == "ref":
        return bool(_REF.fullmatch(value))
    if name == "service":
        return bool(_SERVICE.fullmatch(value)) and any(c.isalnum() for c in value)
    if not _DATE.fullmatch(value):
        return False
    try:
        return dt.date.fromisoformat(value) >= today
    except ValueError:
        return False


def open_pending(context: JourneyContext) -> None:
    pending = dict(session.get(PENDING) or {})
    pending.pop(context.key, None)
    pending[context.key] = context.to_dict()  # last opened last, so the oldest goes first
    while len(pending) > MAX_PENDING:
        pending.pop(next(iter(pending)))
    session[PENDING] = pending


def current(journey: str, org: str) -> JourneyContext | None:
    """The signed-in context of this journey and organisation, if the session holds it."""
    context = JourneyContext.from_dict(session.get(CURRENT) or {})
    if context is None or not context.signed_in or (context.journey, context.org) != (journey, org):
        return None
    return context


def carrying_journey(hook: Callable) -> Callable:
    """Wrap the sign-in hook so the context opened for the sign-in's `next` survives the session's renewal."""

    def complete_sign_in(client, token, sign_in_context: dict):
        identity, extra = hook(client, token, sign_in_context)
        parts = str(sign_in_context.get("next", "")).split("/")
        key = f"{parts[1]}/{parts[2]}" if len(parts) > 3 else None
        pending = (session.get(PENDING) or {}).get(key) if key else None
        if pending is not None:
            extra = {**extra, CURRENT: {**pending, "signed_in": True}}
        else:
            log.info("sign-in without a journey context")
        return identity, extra

    return complete_sign_in
