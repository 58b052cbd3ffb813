from __future__ import annotations

import pytest

from app.sandbox import create_sandbox_app
from tests.clock import FakeClock
from tests.sandbox.flow import make_config


@pytest.fixture
def app():
    return create_sandbox_app(make_config())


@pytest.fixture
def fc(app):
    return app.extensions["fc_sandbox"]


@pytest.fixture
def clock(fc):
    fake = FakeClock(1_760_000_000.0)
    fc.clock = fake
    return fake


@pytest.fixture
def client(app):
    return app.test_client()
