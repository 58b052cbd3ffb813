"""Body helpers shared by the connectors: JSON and dates out of a provider's answer.

Personal data: error messages name the check that failed, never the value.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from app import outbound

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def decode_json(response: outbound.HttpResponse, *, lenient: bool = False) -> Any:
    """The JSON body; ValueError if it is not JSON. `lenient` also takes no, `*/*` or generic content types."""
    if not response.is_json(lenient=lenient):
        raise ValueError("content type is not JSON")
    try:
        return json.loads(response.body, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _reject_constant(name: str) -> Any:
    raise ValueError("NaN and Infinity are not JSON")


def parse_date(value: str) -> dt.date:
    """A strict YYYY-MM-DD date; ValueError otherwise."""
    if not _ISO_DATE.fullmatch(value):
        raise ValueError("not a YYYY-MM-DD date")
    return dt.date.fromisoformat(value)
