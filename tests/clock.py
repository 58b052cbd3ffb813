"""A fake clock for tests, shared by every test folder."""

from __future__ import annotations

import datetime as dt

# The datetime clocks' start: a fixed, ordinary winter morning.
T0 = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)


class FakeClock:
    """A clock that moves only when a test advances it or the code under test sleeps (`sleep` plays time.sleep).
    Use it as a monotonic clock (the default start), as a wall clock (`FakeClock(1_800_000_000.0)`), or as a
    datetime clock (`FakeClock(dt.datetime(2026, 1, 15, tzinfo=dt.UTC))`, advanced with `advance(days=31)`)."""

    def __init__(self, now: float | dt.datetime = 1000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float | dt.datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float = 0.0, **delta: float) -> None:
        step = dt.timedelta(seconds=seconds, **delta)
        self.now += step if isinstance(self.now, dt.datetime) else step.total_seconds()
