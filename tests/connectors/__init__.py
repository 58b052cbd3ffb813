"""Connector tests. Shared helpers: a fake clock that also plays `sleep`, and an `OutboundHttp` wired to it."""

from __future__ import annotations

from typing import Any

from app.connectors import http as outbound

API_PARTICULIER_BASE = "https://staging.particulier.api.gouv.fr"
CNAM_BASE = "https://partenaires.api.ameli.fr/test/v1/droits/beneficiaires"


class FakeClock:
    """A monotonic clock that moves only when the code under test sleeps or a test advances it."""

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


def make_http(clock: FakeClock, base_url: str = API_PARTICULIER_BASE, **kwargs: Any) -> outbound.OutboundHttp:
    """An OutboundHttp on the fake clock; the jitter draw is always 1.0, so each backoff is its maximum."""
    kwargs.setdefault("provider", "test")
    return outbound.OutboundHttp(base_url, clock=clock, sleep=clock.sleep, rng=lambda: 1.0, **kwargs)
