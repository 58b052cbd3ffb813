"""The circuit breaker of one peer, shared by every call to it (shared/reference/security.md §5).

Failures are counted per piece of work (one sign-in's retrieval: its retries and its several calls to the peer are
one failure), not per call, so that one person's failing account cannot open the circuit for everyone.
"""

from __future__ import annotations

import math
import time

from app.outbound.deadline import Clock
from app.outbound.state import MemoryState, StateStore


class CircuitBreaker:
    """closed → open when, within `window` s, at least `threshold` distinct callers failed and they are at least
    `ratio` of the callers seen → after `cooldown` s half-open: one caller (one trial sign-in) goes through; its
    success closes the circuit, its failure opens it again. Callers report 5xx/timeouts/connection errors as
    failures and any other answer (4xx included) as a success: the provider is up.

    The state lives in `store` under `key` (another process sharing the store shares the circuit); `clock` must then
    be a wall clock, the same on every host.
    """

    def __init__(self, threshold: int = 3, cooldown: float = 30.0, clock: Clock = time.time, *, window: float = 60.0,
                 ratio: float = 0.5, store: StateStore | None = None, key: str = "peer") -> None:
        self._threshold, self._cooldown, self._window, self._ratio = threshold, cooldown, window, ratio
        self._clock = clock
        self._store: StateStore = store if store is not None else MemoryState(clock)
        self._open, self._probe = f"{key}:open_until", f"{key}:probe"
        self._failed, self._seen = f"{key}:failed", f"{key}:seen"

    @property
    def state(self) -> str:
        opened = self._store.get(self._open)
        if opened is None:
            return "closed"
        return "open" if self._clock() < float(opened) else "half_open"

    def allow(self, caller: str) -> bool:
        state = self.state
        if state == "closed":
            return True
        if state == "open":
            return False
        # Half-open: the first caller to claim the probe is the trial; its other calls go through too.
        return self._store.claim(self._probe, caller, self._cooldown) == caller

    def record(self, caller: str, success: bool) -> None:
        now = self._clock()
        if self._store.get(self._open) is not None:
            if self._store.get(self._probe) != caller:
                return  # a call started before the circuit opened: the probe decides
            if success:
                self._store.delete(self._open, self._probe, self._failed, self._seen)
            else:
                self._trip(now)
            return
        seen = self._store.mark(self._seen, caller, now, self._window)
        if success:
            return
        failed = self._store.mark(self._failed, caller, now, self._window)
        if failed >= self._threshold and failed >= self._ratio * seen:
            self._trip(now)

    def _trip(self, now: float) -> None:
        # Kept a little longer than the cooldown: past it, the stored time says "half-open".
        self._store.put(self._open, repr(now + self._cooldown), math.ceil(self._cooldown + self._window))
        self._store.delete(self._probe, self._failed, self._seen)
