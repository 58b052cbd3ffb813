"""The parameters a portal passes when it opens a journey: its reference, and for a hospital the stay.

The information page keeps the accepted ones in a `JourneyContext` in the session (app/sessions.py), keyed by
journey and organisation, before sign-in; the sign-in carries the one its destination names into the renewed
session (journeys.signin.carrying_journey), so the context never travels through the browser.
"""

from __future__ import annotations

import datetime as dt
import re

_REF = re.compile(r"[A-Za-z0-9_-]{1,64}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SERVICE = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿŒœŸ' ’-]{1,80}")


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
