"""The store: round trip, encryption at rest, idempotent submission (also under a race), delivery, logs."""

from __future__ import annotations

import datetime as dt
import logging
import threading

import pytest
from sqlalchemy import func, select

from app.dossiers.crypto import DossierCipher
from app.dossiers.errors import DossierNotFound, InvalidAuditEvent, InvalidDossier
from app.dossiers.models import AuditEvent, Dossier
from app.dossiers.store import DossierStore
from app.model.dossier import SubmittedDossier, is_reference
from tests.clock import T0

CONTENT = {
    "patient": {"family_name": "DUBOIS", "given_name": "Angela", "birthdate": "1962-08-24"},
    "nir": "2620875116008",
    "c2s": {"status": "ok", "until": "2026-12-31"},
    "stay": {"service": "cardiologie", "date": "2026-03-02"},
    "notes": "Allergie à la pénicilline",
}
PLAINTEXT_VALUES = ["DUBOIS", "Angela", "1962-08-24", "2620875116008", "cardiologie", "pénicilline", "patient"]


def submit(store, key="form-0001-aaaa", content=CONTENT, **overrides):
    arguments = {"idempotency_key": key, "organisation": "chu-lyon", "journey": "preadmission",
                 "content": content, "retention_days": 90, "sub": "fc-sub-1234"}
    return store.submit(**{**arguments, **overrides})


def count_dossiers(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Dossier))


def test_submit_then_get_round_trip(store):
    submitted = submit(store)
    assert submitted.created and is_reference(submitted.reference) and submitted.created_at == T0
    stored = store.get(submitted.reference)
    assert stored.content == CONTENT
    assert (stored.organisation, stored.journey, stored.status) == ("chu-lyon", "preadmission", "submitted")
    assert stored.created_at == T0 and stored.created_at.tzinfo is not None and stored.delivered_at is None
    assert "DUBOIS" not in repr(stored)


def test_content_is_encrypted_at_rest(store, engine):
    submit(store)
    with engine.connect() as connection:
        raw = connection.execute(select(Dossier.__table__)).one()._asdict()
    stored = b" ".join(value if isinstance(value, bytes) else str(value).encode() for value in raw.values())
    for value in PLAINTEXT_VALUES:
        assert value.encode() not in stored
    assert raw["purge_after"] is not None and raw["content"].startswith(b"gAAAAA")  # a Fernet token


def test_sequential_resubmission_returns_the_first_dossier(store, engine):
    first = submit(store)
    assert submit(store) == SubmittedDossier(reference=first.reference, created=False, created_at=first.created_at)
    assert count_dossiers(engine) == 1


def test_different_content_under_the_same_key_keeps_the_first_and_warns(store, engine, caplog):
    first = submit(store)
    caplog.set_level(logging.INFO)
    again = submit(store, content={**CONTENT, "notes": "autre chose"})
    assert again.reference == first.reference and not again.created
    assert store.get(first.reference).content == CONTENT
    assert any("different submission" in r.getMessage() and first.reference in r.getMessage()
               for r in caplog.records if r.levelno == logging.WARNING)
    assert count_dossiers(engine) == 1


def test_concurrent_double_submit_stores_one_dossier(engine, keys, audit):
    # Both threads read "no dossier for this key" before either inserts: the clock is read after that check,
    # so a barrier in it forces the race the unique index must settle.
    barrier = threading.Barrier(2, timeout=10)

    def racing_clock():
        barrier.wait()
        return T0

    store = DossierStore(engine, DossierCipher(keys), audit=audit, clock=racing_clock)
    results, errors = [], []

    def worker():
        try:
            results.append(submit(store, key="form-race-0001"))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not errors
    assert sorted(r.created for r in results) == [False, True]
    assert len({r.reference for r in results}) == 1
    assert count_dossiers(engine) == 1
    with engine.connect() as connection:
        events = connection.scalar(select(func.count()).where(AuditEvent.event == "dossier_submitted"))
    assert events == 1


def test_submission_is_audited_in_the_same_transaction(store, engine, audit):
    submitted = submit(store)
    with engine.connect() as connection:
        event = connection.execute(select(AuditEvent.__table__)).one()
    assert event.event == "dossier_submitted" and event.dossier_reference == submitted.reference
    assert event.subject == audit.pseudonym("fc-sub-1234", "chu-lyon") and event.organisation == "chu-lyon"
    assert event.purge_after == T0 + dt.timedelta(days=365)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"journey": "tax-return"}, "journey"),
        ({"organisation": "CHU de Lyon, Mme Dubois"}, "organisation"),
        ({"key": "short"}, "idempotency_key"),
        ({"key": "jean.dupont@example.fr form"}, "idempotency_key"),
        ({"retention_days": 0}, "retention_days"),
        ({"retention_days": True}, "retention_days"),
        ({"content": ["not", "a", "dict"]}, "JSON object"),
        ({"content": {"date": dt.date(2026, 3, 2)}}, "not JSON-serialisable"),
        ({"content": {"x": float("nan")}}, "not JSON-serialisable"),
    ],
)
def test_invalid_submissions_are_refused_before_storage(store, engine, overrides, message):
    with pytest.raises(InvalidDossier, match=message) as caught:
        submit(store, **overrides)
    assert "Dubois" not in str(caught.value) and "2026" not in str(caught.value)
    assert count_dossiers(engine) == 0


def test_get_unknown_reference(store):
    with pytest.raises(DossierNotFound):
        store.get("DC-2222-3333")
    with pytest.raises(DossierNotFound) as caught:
        store.get("Dubois Angela")
    assert "Dubois" not in str(caught.value)


def test_mark_delivered_once(store, engine, clock):
    reference = submit(store).reference
    clock.advance(hours=2)
    assert store.mark_delivered(reference) is True
    assert store.mark_delivered(reference) is False
    stored = store.get(reference)
    assert stored.status == "delivered" and stored.delivered_at == T0 + dt.timedelta(hours=2)
    with engine.connect() as connection:
        delivered = connection.scalars(select(AuditEvent.event).where(AuditEvent.event == "dossier_delivered")).all()
    assert delivered == ["dossier_delivered"]
    with pytest.raises(DossierNotFound):
        store.mark_delivered("DC-2222-3333")


def test_logs_carry_references_and_never_content(store, caplog):
    caplog.set_level(logging.DEBUG)
    reference = submit(store).reference
    submit(store, content={**CONTENT, "notes": "changed"})
    store.get(reference)
    store.mark_delivered(reference)
    store.purge(T0 + dt.timedelta(days=400))
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert reference in text
    for value in [*PLAINTEXT_VALUES, "fc-sub-1234", "form-0001-aaaa"]:
        assert value not in text


def test_source_outcomes_are_audited_in_the_dossiers_transaction_and_never_twice(store, engine, audit):
    submitted = store.submit(idempotency_key="form-outcomes-0001", organisation="chu-lyon", journey="preadmission",
                             content=CONTENT, retention_days=90, sub="fc-sub-1234",
                             source_outcomes=["c2s:ok", "cnam:unavailable"])
    store.submit(idempotency_key="form-outcomes-0001", organisation="chu-lyon", journey="preadmission",
                 content=CONTENT, retention_days=90, sub="fc-sub-1234", source_outcomes=["c2s:ok", "cnam:ok"])
    with engine.connect() as connection:
        rows = connection.execute(select(AuditEvent.__table__).order_by(AuditEvent.id)).all()
    assert [(row.event, row.detail) for row in rows] == [
        ("dossier_submitted", ""), ("source_outcome", "c2s:ok"), ("source_outcome", "cnam:unavailable")]
    assert {(row.dossier_reference, row.subject, row.at) for row in rows} == {
        (submitted.reference, audit.pseudonym("fc-sub-1234", "chu-lyon"), rows[0].at)}


def test_a_refused_source_outcome_stores_no_dossier(store, engine):
    with pytest.raises(InvalidAuditEvent):
        store.submit(idempotency_key="form-outcomes-0002", organisation="chu-lyon", journey="preadmission",
                     content=CONTENT, retention_days=90, source_outcomes=["Jean Dupont was here"])
    assert count_dossiers(engine) == 0
