"""A FranceConnect played by `responses` and its clock, for the client's tests (views override `fc`)."""

import pytest

from tests.clock import FakeClock
from tests.franceconnect.fakefc import FakeFranceConnect


@pytest.fixture
def clock():
    return FakeClock(1_800_000_000.0)  # a wall clock: token times are compared with it


@pytest.fixture
def fc(clock, mocked_responses):
    with FakeFranceConnect(clock=clock, mock=mocked_responses) as fake:
        yield fake
