"""Correlation ids: one per request, printed on French error pages and in every log line of that request.

Kept apart from `web` so that any room's views may check one without importing the app's settings.
"""

from __future__ import annotations

import re
import secrets

_CORRELATION_ID = re.compile(r"^[0-9a-f]{16}$")


def new_correlation_id() -> str:
    return secrets.token_hex(8)


def is_correlation_id(value: str | None) -> bool:
    return bool(value) and bool(_CORRELATION_ID.match(value))
