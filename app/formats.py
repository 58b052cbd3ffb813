"""How dates, times and NIRs read in French on the pages: the templates' filters and the journeys' presentation."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre")


def date_fr(value) -> str:
    """24 août 1962, from a date or an ISO string; anything else is shown as is."""
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{'1er' if day.day == 1 else day.day} {MONTHS_FR[day.month - 1]} {day.year}"


def datetime_fr(value) -> str:
    """le 22 novembre 2026 à 14 h 05 (Paris time), from an aware datetime or an ISO string."""
    try:
        moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    try:
        moment = moment.astimezone(ZoneInfo("Europe/Paris"))
    except ZoneInfoNotFoundError:  # a machine without tzdata still shows a correct, if UTC, time
        moment = moment.astimezone(dt.UTC)
    return f"le {date_fr(moment.date())} à {moment.hour} h {moment.minute:02d}"


def nir_fr(value) -> str:
    """1 62 08 75 107 042 57: the grouping printed on a carte Vitale."""
    text = str(value or "")
    if len(text) != 15:
        return text
    return " ".join((text[0], text[1:3], text[3:5], text[5:7], text[7:10], text[10:13], text[13:15]))
