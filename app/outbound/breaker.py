"""The circuit breaker of one peer, shared by every call to it (shared/reference/security.md §5)."""

from __future__ import annotations

import threading
import time

from app.outbound.deadline import Clock


class CircuitBreaker:
    """closed → open after `threshold` consecutive failures → after `cooldown` s half-open: one probe goes through;
    its success closes the circuit, its failure opens it again. Callers report 5xx/timeouts/connection errors
    as failures and any other answer (4xx included) as a success: the provider is up."""

    def __init__(self, threshold: int = 5, cooldown: float = 30.0, clock: Clock = time.monotonic) -> None:
        self._threshold, self._cooldown, self._clock = threshold, cooldown, clock
        self._lock = threading.Lock()
        self._failures, self._opened_at, self._probing = 0, None, False

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "open" if self._clock() - self._opened_at < self._cooldown else "half_open"

    def allow(self) -> bool:
        with self._lock:
            state = self._state()
            if state == "closed":
                return True
            if state == "open" or self._probing:
                return False
            self._probing = True
            return True

    def record(self, success: bool) -> None:
        with self._lock:
            self._probing = False
            if success:
                self._failures, self._opened_at = 0, None
                return
            self._failures += 1
            if self._opened_at is not None or self._failures >= self._threshold:
                self._opened_at = self._clock()
