"""A fake clock for tests, shared by every test folder."""

from __future__ import annotations


class FakeClock:
    """A clock that moves only when a test advances it or the code under test sleeps (`sleep` plays time.sleep).
    Use it as a monotonic clock (the default start) or as a wall clock (`FakeClock(1_800_000_000.0)`)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds
