from __future__ import annotations

import pytest

from app.sandbox import create_sandbox_app
from tests.sandbox.flow import make_config


class FakeClock:
    """Replaces the sandbox clock: tests move time forward instead of sleeping."""

    def __init__(self, now: float = 1_760_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def app():
    return create_sandbox_app(make_config())


@pytest.fixture
def fc(app):
    return app.extensions["fc_sandbox"]


@pytest.fixture
def clock(fc):
    fake = FakeClock()
    fc.clock = fake
    return fake


@pytest.fixture
def client(app):
    return app.test_client()
