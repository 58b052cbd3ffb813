"""Listeners of outbound calls: each call's summary (what its log line says) goes to whoever subscribed, e.g. the
metrics. The outbound layer knows no listener; a failing listener never fails a call."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Call:
    provider: str
    method: str
    path: str  # a constant template
    status: int | None
    error: str | None  # a reason code
    seconds: float
    breaker_state: str | None  # closed, half_open, open; None without a breaker


_listeners: list[Callable[[Call], None]] = []


def subscribe(listener: Callable[[Call], None]) -> None:
    _listeners.append(listener)


def emit(call: Call) -> None:
    for listener in list(_listeners):
        try:
            listener(call)
        except Exception as error:
            logger.warning("outbound listener failed error=%s", type(error).__name__)
