"""A point in time shared by every call of one piece of work (e.g. one rights retrieval)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

Clock = Callable[[], float]


class Deadline:
    """An absolute point on a monotonic clock, shared by every call of one retrieval.

    `work` names that piece of work: the circuit breaker counts one failure per piece of work, not per call."""

    def __init__(self, expires_at: float, clock: Clock = time.monotonic) -> None:
        self.expires_at, self._clock = expires_at, clock
        self.work = uuid.uuid4().hex

    @classmethod
    def after(cls, seconds: float, clock: Clock = time.monotonic) -> Deadline:
        return cls(clock() + seconds, clock)

    def remaining(self) -> float:
        return max(0.0, self.expires_at - self._clock())


def exponential_delay(attempt: int, *, base: float, cap: float) -> float:
    """The delay before retry number `attempt` (1 for the first): `base` doubled each time, never above `cap`.
    Callers add their own jitter."""
    return min(cap, base * 2 ** (attempt - 1))
