"""Retention: purge deletes exactly what is due (per journey), reports counts and leaves a trace."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.config import DEFAULTS
from app.dossiers.models import AuditEvent, Dossier
from app.dossiers.settings import load_dossier_settings
from app.model.dossier import PurgeReport
from tests.clock import T0


def references(engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.scalars(select(Dossier.reference)))


def purged_events(engine) -> list:
    with engine.connect() as connection:
        return connection.execute(
            select(AuditEvent.__table__).where(AuditEvent.event == "dossier_purged").order_by(AuditEvent.id)
        ).all()


def test_purge_removes_only_what_is_due(store, audit, engine, clock, tmp_path):
    settings = load_dossier_settings(DEFAULTS, production=False, instance_path=str(tmp_path))
    assert (settings.retention_for("preadmission"), settings.retention_for("adhesion")) == (90, 30)

    def submit(key, journey):
        return store.submit(idempotency_key=key, organisation="org-1", journey=journey, content={"k": key},
                            retention_days=settings.retention_for(journey), sub="sub-" + key).reference

    clock.now = T0 - dt.timedelta(days=400)
    audit.record("journey_started", journey="adhesion")  # purge_after = T0 - 35 days: due
    clock.now = T0
    audit.record("sign_in_failed", detail="access_denied")  # purge_after = T0 + 365 days
    preadmission = submit("form-pre-0001", "preadmission")  # purge_after = T0 + 90 days
    adhesion = submit("form-adh-0001", "adhesion")  # purge_after = T0 + 30 days
    clock.advance(days=20)
    later_adhesion = submit("form-adh-0002", "adhesion")  # purge_after = T0 + 50 days
    store.mark_delivered(adhesion)

    clock.now = T0 + dt.timedelta(days=29)
    assert store.purge() == PurgeReport(dossiers=0, audit_events=1)  # only the 400-day-old audit event
    clock.now = T0 + dt.timedelta(days=30)
    assert store.purge() == PurgeReport(dossiers=1, audit_events=0)  # purge_after ≤ now is due
    assert references(engine) == {preadmission, later_adhesion}
    (event,) = purged_events(engine)
    assert (event.dossier_reference, event.journey, event.organisation, event.detail) == \
        (adhesion, "adhesion", "org-1", "delivered")
    assert event.subject is None and event.at == clock.now

    clock.now = T0 + dt.timedelta(days=90)
    assert store.purge() == PurgeReport(dossiers=2, audit_events=0)
    assert references(engine) == set()
    assert [e.detail for e in purged_events(engine)[1:]] == ["undelivered", "undelivered"]

    # A year on, the trail of those dossiers goes too; the purge events keep their own year.
    clock.now = T0 + dt.timedelta(days=20 + 365)
    assert store.purge() == PurgeReport(dossiers=0, audit_events=1 + 3 + 1)  # sign-in, submissions, delivery
    with engine.connect() as connection:
        assert connection.scalars(select(AuditEvent.event)).all() == ["dossier_purged"] * 3


def test_purge_accepts_an_explicit_now(store):
    store.submit(idempotency_key="form-now-0001", organisation="org-1", journey="adhesion", content={},
                 retention_days=1)
    assert store.purge(T0 + dt.timedelta(hours=23)).dossiers == 0
    assert store.purge(T0 + dt.timedelta(days=1)).dossiers == 1


def test_purge_uses_the_clock_by_default(store, clock):
    store.submit(idempotency_key="form-clock-0001", organisation="org-1", journey="adhesion", content={},
                 retention_days=1)
    assert store.purge().dossiers == 0
    clock.advance(days=1)
    assert store.purge().dossiers == 1
