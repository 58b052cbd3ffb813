"""Where a peer's protection keeps its state: the breaker's window and the 429 back-off.

`StateStore` is the few operations they need. `MemoryState` keeps them in this process (a laptop, the tests); the
factory injects a shared one (Redis, `app/provider_state.py`) so that every worker and instance sees the same
breaker and the same back-off. This room imports no Redis client: it only knows the interface.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

from app.outbound.deadline import Clock


class StateStore(Protocol):
    def get(self, key: str) -> str | None: ...

    def get_many(self, *keys: str) -> list[str | None]:
        """Each key's value, read at once (one round trip to a shared store)."""

    def put(self, key: str, value: str, ttl: float) -> None: ...

    def put_max(self, key: str, value: float, ttl: float) -> None:
        """Keep the larger of `value` and the stored number."""

    def claim(self, key: str, value: str, ttl: float) -> str:
        """Store `value` unless the key holds one; return whichever value it holds now."""

    def mark(self, key: str, member: str, at: float, window: float) -> int:
        """Note `member` at time `at`, forget members older than `at - window`; return how many distinct remain."""

    def delete(self, *keys: str) -> None: ...


class MemoryState:
    """A `StateStore` in this process's memory; `clock` times the expiries (a fake clock in tests)."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock, self._lock = clock, threading.Lock()
        self._values: dict[str, tuple[str, float]] = {}
        self._windows: dict[str, dict[str, float]] = {}

    def _live(self, key: str) -> str | None:
        held = self._values.get(key)
        if held is None or held[1] <= self._clock():
            self._values.pop(key, None)
            return None
        return held[0]

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._live(key)

    def get_many(self, *keys: str) -> list[str | None]:
        with self._lock:
            return [self._live(key) for key in keys]

    def put(self, key: str, value: str, ttl: float) -> None:
        with self._lock:
            self._values[key] = (value, self._clock() + ttl)

    def put_max(self, key: str, value: float, ttl: float) -> None:
        with self._lock:
            current = self._live(key)
            if current is None or float(current) < value:
                self._values[key] = (repr(value), self._clock() + ttl)

    def claim(self, key: str, value: str, ttl: float) -> str:
        with self._lock:
            current = self._live(key)
            if current is not None:
                return current
            self._values[key] = (value, self._clock() + ttl)
            return value

    def mark(self, key: str, member: str, at: float, window: float) -> int:
        with self._lock:
            members = self._windows.setdefault(key, {})
            # In the order last seen (one seen again moves to the end), so those past the window are at the front:
            # pruning stops at the first one still in it, instead of scanning, at every call, each caller of the
            # last minute (hundreds at a few sign-ins a second: 0.1 ms a call, most of what the layer added).
            members.pop(member, None)
            members[member] = at
            horizon = at - window
            while members and members[first := next(iter(members))] <= horizon:
                del members[first]
            return len(members)

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._values.pop(key, None)
                self._windows.pop(key, None)
