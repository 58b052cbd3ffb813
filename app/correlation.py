"""Correlation ids: one per request, printed on French error pages and in every log line of that request.

Kept apart from `web` so that any room's views may check one without importing the app's settings.
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

_CORRELATION_ID = re.compile(r"^[0-9a-f]{16}$")


def new_correlation_id() -> str:
    return secrets.token_hex(8)


def is_correlation_id(value: str | None) -> bool:
    return bool(value) and bool(_CORRELATION_ID.match(value))


# The request's id, also for the threads it hands work to: pools copy the context at submit
# (`contextvars.copy_context().run`), so a provider call logs the id of the sign-in that started it.
_current: ContextVar[str] = ContextVar("correlation_id", default="-")


def bind(correlation_id: str) -> None:
    _current.set(correlation_id)


def current() -> str:
    return _current.get()
