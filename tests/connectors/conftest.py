import pytest

from tests.clock import FakeClock


@pytest.fixture
def clock():
    return FakeClock()
