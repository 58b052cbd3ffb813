"""A FranceConnect played by `responses` and its clock, for the client's tests (views override `fc`)."""

import pytest

from tests.franceconnect.fakefc import FakeClock, FakeFranceConnect


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def fc(clock):
    with FakeFranceConnect(clock=clock) as fake:
        yield fake
