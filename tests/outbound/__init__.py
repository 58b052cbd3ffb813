"""Tests of the outbound HTTP layer; `make_http` is also used by the connectors' tests."""

from __future__ import annotations

from typing import Any

from app import outbound
from tests.clock import FakeClock

API_PARTICULIER_BASE = "https://staging.particulier.api.gouv.fr"
CNAM_BASE = "https://partenaires.api.ameli.fr/test/v1/droits/beneficiaires"


def make_http(clock: FakeClock, base_url: str = API_PARTICULIER_BASE, **kwargs: Any) -> outbound.OutboundHttp:
    """A provider's OutboundHttp on the fake clock; the jitter draw is always 1.0, so each backoff is its maximum."""
    kwargs.setdefault("provider", "test")
    return outbound.provider_http(base_url, clock=clock, sleep=clock.sleep, rng=lambda: 1.0, **kwargs)
