"""Header and JSON helpers shared by the connectors: what goes into a request header, and what comes out of a body.

Personal data: error messages name the check that failed, never the value.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.connectors.http import HttpResponse

_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")  # RFC 6750 §2.1 bearer token syntax
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")
_DELAY_SECONDS = re.compile(r"[0-9]{1,10}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def bearer(token: str) -> str:
    """The Authorization value for a token; ValueError (without the token) if it is not RFC 6750 syntax."""
    if not isinstance(token, str) or not _B64TOKEN.fullmatch(token):
        raise ValueError("access token is not a valid bearer token")
    return f"Bearer {token}"


def header_value(value: str, name: str) -> str:
    """A credential checked for header use: visible ASCII only, so no CR/LF can split the request."""
    if not isinstance(value, str) or not _VISIBLE_ASCII.fullmatch(value):
        raise ValueError(f"{name} is not a valid header value")
    return value


def parse_retry_after(value: str | None, *, now: dt.datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date, RFC 9110 §10.2.3); None if unusable."""
    value = (value or "").strip()
    if _DELAY_SECONDS.fullmatch(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" means "UTC, source unknown" (RFC 5322)
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def decode_json(response: HttpResponse, *, lenient: bool = False) -> Any:
    """The JSON body; ValueError if it is not JSON. `lenient` also takes no, `*/*` or generic content types."""
    ctype = response.content_type
    is_json = ctype == "application/json" or (ctype.startswith("application/") and ctype.endswith("+json"))
    if not is_json and not (lenient and ctype in ("", "*/*", "application/octet-stream", "text/plain")):
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
