"""Outbound HTTP to FranceConnect: one timeout on every call, no redirects, capped bodies, no retries.

Nothing here logs a URL query, a header or a body: callers log reason codes only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import requests
from requests.auth import AuthBase

from app.franceconnect.errors import FranceConnectUnavailable

MAX_BODY_BYTES = 256 * 1024
_CHUNK = 16 * 1024


class NoAuth(AuthBase):
    """Explicit "no authentication", so requests never adds credentials from ~/.netrc (trust_env)."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        return r


class BearerAuth(AuthBase):
    """RFC 6750 §2.1 header; set through `auth=` so that netrc can never overwrite it."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self._token}"
        return r

    def __repr__(self) -> str:
        return "BearerAuth(<redacted>)"


@dataclass(frozen=True)
class HttpResult:
    status: int
    media_type: str  # "application/json", lower case, parameters stripped; "" when absent
    body: bytes

    @property
    def is_server_error(self) -> bool:
        return self.status >= 500 or self.status == 429


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def call(
    session: requests.Session,
    method: str,
    url: str,
    *,
    what: str,
    timeout: float,
    auth: AuthBase | None = None,
    max_bytes: int = MAX_BODY_BYTES,
    **kwargs: object,
) -> HttpResult:
    """Make one request; transport failures become FranceConnectUnavailable(f"{what}_...")."""
    started = time.monotonic()
    try:
        with session.request(
            method,
            url,
            timeout=timeout,
            allow_redirects=False,  # ASVS 5.0 15.3.2; also keeps the Bearer token on FranceConnect's host
            stream=True,  # read the body ourselves to cap its size and total duration
            auth=auth or NoAuth(),
            **kwargs,
        ) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FranceConnectUnavailable(f"{what}_too_large", status_code=response.status_code)
            body = bytearray()
            for chunk in response.iter_content(_CHUNK):
                body += chunk
                if len(body) > max_bytes:
                    raise FranceConnectUnavailable(f"{what}_too_large", status_code=response.status_code)
                # requests' read timeout is per read, so a server dripping bytes could hold us forever.
                if time.monotonic() - started > timeout:
                    raise FranceConnectUnavailable(f"{what}_timeout", status_code=response.status_code)
            return HttpResult(response.status_code, media_type(response.headers.get("Content-Type")), bytes(body))
    except requests.Timeout as exc:
        raise FranceConnectUnavailable(f"{what}_timeout") from exc
    except requests.exceptions.SSLError as exc:
        raise FranceConnectUnavailable(f"{what}_tls_error") from exc
    except requests.RequestException as exc:
        raise FranceConnectUnavailable(f"{what}_unreachable") from exc
