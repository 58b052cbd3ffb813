"""The circuit breaker of one peer, shared by every call to it (shared/reference/security.md §5).

Failures are counted per piece of work (one sign-in's retrieval: its retries and its several calls to the peer are
one failure), not per call, so that one person's failing account cannot open the circuit for everyone.
"""

from __future__ import annotations

import math
import threading
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

    # A caller's success noted again this soon (its next call in the same sign-in: a dozen within a second) is not
    # written again: with Redis, each note is a round trip of four commands. Its time in the window is then up to
    # this much older than it would be, against a 60-second window. (The sets are emptied only when the circuit
    # opens or closes, and for 30 s around that no success is noted but the trial's, which is always written.)
    NOTE_AGAIN_AFTER = 1.0

    def __init__(self, threshold: int = 3, cooldown: float = 30.0, clock: Clock = time.time, *, window: float = 60.0,
                 ratio: float = 0.5, store: StateStore | None = None, key: str = "peer") -> None:
        self._threshold, self._cooldown, self._window, self._ratio = threshold, cooldown, window, ratio
        self._clock = clock
        self._noted: dict[str, float] = {}  # callers whose success this process noted lately, oldest first
        self._noted_lock = threading.Lock()
        self._store: StateStore = store if store is not None else MemoryState(clock)
        self._open, self._probe = f"{key}:open_until", f"{key}:probe"
        self._failed, self._seen = f"{key}:failed", f"{key}:seen"

    @property
    def state(self) -> str:
        return self._state_of(self._store.get(self._open))

    def _state_of(self, opened: str | None) -> str:
        if opened is None:
            return "closed"
        return "open" if self._clock() < float(opened) else "half_open"

    @property
    def store(self) -> StateStore:
        return self._store

    @property
    def state_key(self) -> str:
        """The key whose value `allow_as_of` takes: the time the circuit opened until, if it did."""
        return self._open

    def allow(self, caller: str) -> bool:
        return self.allow_as_of(caller, self._store.get(self._open))

    def allow_as_of(self, caller: str, opened: str | None) -> bool:
        """`allow`, given the value of `state_key` read just before (with a gate's, in one round trip)."""
        state = self._state_of(opened)
        if state == "closed":
            return True
        if state == "open":
            return False
        # Half-open: the first caller to claim the probe is the trial; its other calls go through too.
        return self._store.claim(self._probe, caller, self._cooldown) == caller

    def record(self, caller: str, success: bool) -> str:
        """Note the call's outcome; the circuit's state once noted (what the call's metrics report: reading it
        again would be one more round trip to Redis a call)."""
        now = self._clock()
        opened = self._store.get(self._open)
        if opened is not None:
            if self._store.get(self._probe) != caller:
                return self._state_of(opened)  # a call started before the circuit opened: the probe decides
            if success:
                self._store.delete(self._open, self._probe, self._failed, self._seen)
                return "closed"
            self._trip(now)
            return "open"
        if success and self._noted_lately(caller, now):
            return "closed"
        seen = self._store.mark(self._seen, caller, now, self._window)
        if success:
            return "closed"
        failed = self._store.mark(self._failed, caller, now, self._window)
        if failed >= self._threshold and failed >= self._ratio * seen:
            self._trip(now)
            return "open"
        return "closed"

    def _trip(self, now: float) -> None:
        # Kept a little longer than the cooldown: past it, the stored time says "half-open".
        self._store.put(self._open, repr(now + self._cooldown), math.ceil(self._cooldown + self._window))
        self._store.delete(self._probe, self._failed, self._seen)

    def _noted_lately(self, caller: str, now: float) -> bool:
        """Whether this process noted `caller` less than NOTE_AGAIN_AFTER ago; if not, it counts as noted now."""
        with self._noted_lock:
            last = self._noted.get(caller)
            if last is not None and now - last < self.NOTE_AGAIN_AFTER:
                return True
            self._noted.pop(caller, None)  # noted now: to the end, where the latest are
            self._noted[caller] = now
            while now - self._noted[oldest := next(iter(self._noted))] >= self.NOTE_AGAIN_AFTER:
                del self._noted[oldest]
            return False
