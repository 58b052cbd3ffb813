"""API Particulier's per-token rate limit and its RateLimit-* headers (data-providers.md A.10)."""

from __future__ import annotations

import threading

_MAX_KEYS = 10_000


class RateCounter:
    """Calls per key in fixed one-minute windows; thread-safe."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window, calls in it)

    @staticmethod
    def reset_at(now: float) -> int:
        """The Unix time the current window ends: RateLimit-Reset."""
        return (int(now) // 60 + 1) * 60

    def hit(self, key: str, now: float) -> int:
        """Count one call and return the calls made in the current window, this one included."""
        window = int(now) // 60
        with self._lock:
            if len(self._counts) >= _MAX_KEYS:  # drop finished windows: tokens only live 60 s
                self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
            previous, count = self._counts.get(key, (window, 0))
            count = count + 1 if previous == window else 1
            self._counts[key] = (window, count)
        return count
