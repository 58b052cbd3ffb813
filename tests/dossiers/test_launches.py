"""The ledger of used launch tokens, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from app.dossiers.launches import LaunchLedger
from tests.clock import T0


def test_a_launch_token_is_used_once_per_organisation(engine):
    ledger = LaunchLedger(engine, clock=lambda: T0)
    expires = T0 + dt.timedelta(hours=1)
    assert ledger.use("chu-a", "jti-1", expires)
    assert not ledger.use("chu-a", "jti-1", expires)  # the replay
    assert ledger.use("chu-b", "jti-1", expires)  # another organisation's jti space


def test_expired_tokens_are_forgotten_and_only_them(engine):
    ledger = LaunchLedger(engine, clock=lambda: T0)
    ledger.use("chu-a", "old", T0 - dt.timedelta(seconds=1))
    ledger.use("chu-a", "live", T0 + dt.timedelta(hours=1))
    assert ledger.purge() == 1
    assert not ledger.use("chu-a", "live", T0 + dt.timedelta(hours=1))
    assert ledger.use("chu-a", "old", T0 + dt.timedelta(hours=1))
