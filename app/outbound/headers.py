"""What goes into a request header, and what is read from a response header.

Error messages name the check that failed, never the value: a header may carry a token.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import Mapping

import requests
from requests.auth import AuthBase

_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")  # RFC 6750 §2.1 bearer token syntax
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")
_DELAY_SECONDS = re.compile(r"[0-9]{1,10}")
_LENIENT_JSON_TYPES = ("", "*/*", "application/octet-stream", "text/plain")


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


class HeaderAuth(AuthBase):
    """Credentials as headers, set through `auth=`: requests reads ~/.netrc only for calls without `auth`, and an
    auth runs last, so nothing can replace these values. Empty: no credential, and still no netrc."""

    def __init__(self, headers: Mapping[str, str] | None = None) -> None:
        self._headers = dict(headers or {})

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers.update(self._headers)
        return r

    def __repr__(self) -> str:
        return f"HeaderAuth({sorted(self._headers)})"  # names only


def media_type(content_type: str | None) -> str:
    """The media type of a Content-Type value, lower-cased, without parameters ("" when absent)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json(content_type: str, *, lenient: bool = False) -> bool:
    """Whether a media type announces JSON; `lenient` also takes none, `*/*` and generic types."""
    if content_type == "application/json":
        return True
    if content_type.startswith("application/") and content_type.endswith("+json"):
        return True
    return lenient and content_type in _LENIENT_JSON_TYPES


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
