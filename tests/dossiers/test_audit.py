"""The audit trail: pseudonymous subjects, a closed vocabulary, and no free text."""

from __future__ import annotations

import hmac

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import IntegrityError

from app.dossiers.audit import AuditTrail
from app.dossiers.errors import InvalidAuditEvent
from app.dossiers.models import AuditEvent
from tests.clock import T0
from tests.dossiers.conftest import PSEUDONYM_KEY

SUB = "b6048e95bb134ec5b1d1e1fa69f287172e91722b9354d637a1bcf2ebb0fd2ef5v1"


@pytest.fixture
def offline_audit():
    """Validation happens before any database access: an engine that is never connected is enough."""
    engine = create_engine("sqlite://")
    yield AuditTrail(engine, pseudonym_key=PSEUDONYM_KEY, retention_days=365, clock=lambda: T0)
    engine.dispose()


def test_pseudonyms_are_stable_keyed_and_not_the_sub(engine):
    audit = AuditTrail(engine, pseudonym_key=PSEUDONYM_KEY, retention_days=365)
    other = AuditTrail(engine, pseudonym_key="another-key-" + "o" * 32, retention_days=365)
    assert audit.pseudonym(SUB) == audit.pseudonym(SUB) != audit.pseudonym(SUB + "x")
    assert audit.pseudonym(SUB) != other.pseudonym(SUB)
    assert len(audit.pseudonym(SUB)) == 64 and int(audit.pseudonym(SUB), 16) >= 0
    assert PSEUDONYM_KEY not in repr(audit)


def test_pseudonyms_are_keyed_per_organisation(audit, engine):
    # The same person at a hospital and at a mutuelle: their events there cannot be linked without the key.
    audit.record("sign_in_succeeded", journey="preadmission", organisation="chu-lyon", sub=SUB)
    audit.record("sign_in_succeeded", journey="preadmission", organisation="chu-lyon", sub=SUB)
    audit.record("sign_in_succeeded", journey="adhesion", organisation="mutuelle-demo", sub=SUB)
    audit.record("sign_in_failed", sub=SUB, detail="access_denied")
    with engine.connect() as connection:
        subjects = connection.scalars(select(AuditEvent.subject).order_by(AuditEvent.id)).all()
    at_chu, again_at_chu, at_mutuelle, nowhere = subjects
    assert at_chu == again_at_chu  # still linkable within one organisation
    assert len({at_chu, at_mutuelle, nowhere}) == 3
    # Events without an organisation keep the global domain, the pseudonym every event had before.
    assert nowhere == audit.pseudonym(SUB) == hmac.new(PSEUDONYM_KEY.encode(), SUB.encode(), "sha256").hexdigest()


def test_a_sub_cannot_step_into_another_domain(offline_audit):
    with pytest.raises(InvalidAuditEvent, match="sub"):
        offline_audit.pseudonym(f"organisation\0chu-lyon\0{SUB}")


def test_raw_sub_is_stored_nowhere(audit, engine):
    audit.record("sign_in_succeeded", journey="preadmission", organisation="chu-lyon", sub=SUB)
    audit.record("source_outcome", journey="preadmission", sub=SUB, detail="c2s:degraded")
    with engine.connect() as connection:
        rows = connection.execute(select(AuditEvent.__table__)).all()
    assert len(rows) == 2
    assert [row.subject for row in rows] == [audit.pseudonym(SUB, "chu-lyon"), audit.pseudonym(SUB)]
    dump = repr([tuple(row) for row in rows])
    assert SUB not in dump and SUB[:16] not in dump
    assert rows[0].at == T0 and rows[0].detail == ""


@pytest.mark.parametrize("detail", ["c2s:degraded", "access_denied", "cnam.timeout-5s", "", "a" * 64])
def test_detail_accepts_short_codes(offline_audit, detail):
    assert offline_audit.event("source_outcome", detail=detail).detail == detail


@pytest.mark.parametrize(
    "detail",
    ["Angela DUBOIS", "nir=2620875116008", "jean.dupont@example.fr", "timeout after 5s", "a" * 65, "ok\n", "réfusé",
     42],
)
def test_detail_refuses_free_text(offline_audit, detail):
    with pytest.raises(InvalidAuditEvent, match="detail") as caught:
        offline_audit.event("source_outcome", detail=detail)
    assert str(detail) not in str(caught.value)


@pytest.mark.parametrize(
    "event, fields, field",
    [
        ("user_viewed_page", {}, "unknown audit event"),
        ("journey_started", {"journey": "other"}, "journey"),
        ("journey_started", {"organisation": "Mme Dubois"}, "organisation"),
        ("dossier_delivered", {"dossier_reference": "dc-0000-0000"}, "dossier_reference"),
        ("sign_in_succeeded", {"sub": ""}, "sub"),
    ],
)
def test_event_fields_are_validated(offline_audit, event, fields, field):
    with pytest.raises(InvalidAuditEvent, match=field):
        offline_audit.event(event, **fields)


def test_a_refused_event_is_not_stored(audit, engine):
    with pytest.raises(InvalidAuditEvent):
        audit.record("sign_in_failed", detail="Angela DUBOIS")
    with engine.connect() as connection:
        assert connection.execute(select(AuditEvent.id)).first() is None


def test_database_refuses_an_event_outside_the_vocabulary(engine):
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text("INSERT INTO audit_events (at, event, detail, purge_after) VALUES (:at, 'free text', '', :at)"),
            {"at": T0.replace(tzinfo=None)},
        )
