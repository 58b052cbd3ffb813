"""The webhook outbox: written in the dossier's transaction, once per submission; cancellations on their own."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.dossiers.errors import InvalidDossier
from app.dossiers.models import Dossier, WebhookOutbox
from app.model.webhook import WebhookEvent

SUBMITTED = WebhookEvent("dossier.submitted", "chu-demo", portal_reference="ADM-77")


def submit(store, key="form-key-0001", events=(SUBMITTED,)):
    return store.submit(idempotency_key=key, organisation="chu-demo", journey="preadmission",
                        content={"nir": "169039527790269"}, retention_days=90, sub="sub-1", events=events)


def rows(engine) -> list[WebhookOutbox]:
    with Session(engine) as session:
        return list(session.scalars(select(WebhookOutbox)))


def test_a_submission_writes_its_event_with_the_dossier_reference(store, engine, clock):
    heard = []
    store.outbox.listen(heard.append)
    submitted = submit(store)
    [row] = rows(engine)
    assert heard == [row.id] and row.id.startswith("msg_")
    assert (row.organisation, row.event_type, row.status, row.attempts) == ("chu-demo", "dossier.submitted",
                                                                             "pending", 0)
    assert row.next_attempt_at == row.created_at == clock.now
    assert json.loads(row.payload)["data"] == {"organisation": "chu-demo", "dossier_reference": submitted.reference,
                                               "portal_reference": "ADM-77"}
    assert "169039527790269" not in row.payload


def test_a_repeated_submission_writes_no_second_event(store, engine):
    heard = []
    store.outbox.listen(heard.append)
    first, again = submit(store), submit(store)
    assert again.created is False and again.reference == first.reference
    assert len(rows(engine)) == 1 and len(heard) == 1


def test_without_events_the_store_behaves_as_before(store, engine):
    submit(store, events=())
    assert rows(engine) == []


def test_an_event_of_another_kind_or_organisation_is_refused(store, engine):
    for event in (WebhookEvent("dossier.exploded", "chu-demo"), WebhookEvent("dossier.submitted", "other-org")):
        with pytest.raises(InvalidDossier):
            submit(store, events=(event,))
    assert rows(engine) == []


def test_the_event_and_the_dossier_commit_together_or_not_at_all(store, engine, monkeypatch):
    unwritable = store.outbox.row(SUBMITTED, store._clock())
    unwritable.payload = None  # NOT NULL: the outbox insert fails inside the dossier's transaction
    monkeypatch.setattr(store.outbox, "row", lambda event, at: unwritable)
    with pytest.raises(RuntimeError):  # the store takes it for a reference collision, retries, gives up
        submit(store)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Dossier)) == 0
    assert rows(engine) == []


def test_a_failing_listener_loses_a_hint_not_the_row(store, engine, caplog):
    def queue_down(_id):
        raise ConnectionError("redis down")

    store.outbox.listen(queue_down)
    assert submit(store).created
    assert len(rows(engine)) == 1 and "left to the sweep" in caplog.text
    assert store.outbox.due() == [rows(engine)[0].id]


def test_a_cancellation_is_recorded_in_its_own_transaction(store, engine):
    outbox_id = store.outbox.record(WebhookEvent("journey.cancelled", "chu-demo", portal_reference="ADM-9"))
    [row] = rows(engine)
    assert row.id == outbox_id and row.event_type == "journey.cancelled"
    assert json.loads(row.payload)["data"]["dossier_reference"] is None


def test_only_a_dead_row_is_replayed(store):
    outbox_id = store.outbox.record(SUBMITTED)
    assert store.outbox.replay(outbox_id) is False
    store.outbox.failed(outbox_id, "http_500", None)
    assert store.outbox.get(outbox_id).status == "dead"
    assert store.outbox.replay(outbox_id) is True
    entry = store.outbox.get(outbox_id)
    assert (entry.status, entry.attempts, entry.last_error) == ("pending", 0, "http_500")
    assert store.outbox.replay("msg_unknown") is False


def test_finished_rows_are_forgotten_on_schedule_and_pending_ones_never(store, clock):
    import datetime as dt

    delivered, dead, pending = (store.outbox.record(SUBMITTED) for _ in range(3))
    store.outbox.delivered(delivered)
    store.outbox.failed(dead, "http_500", None)
    keep = {"delivered_for": dt.timedelta(days=30), "dead_for": dt.timedelta(days=90)}
    assert store.outbox.forget(**keep, now=clock() + dt.timedelta(days=29)) == 0
    assert store.outbox.forget(**keep, now=clock() + dt.timedelta(days=31)) == 1
    assert store.outbox.get(delivered) is None and store.outbox.get(dead).status == "dead"
    assert store.outbox.forget(**keep, now=clock() + dt.timedelta(days=91)) == 1
    assert store.outbox.get(pending).status == "pending"  # owed to the organisation: never dropped
