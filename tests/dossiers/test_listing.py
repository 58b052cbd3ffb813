"""The organisations' listing (`list_for`) and the post-delivery retention of `mark_delivered`."""

from __future__ import annotations

import datetime as dt

import pytest

from app.dossiers.errors import InvalidDossier
from tests.clock import T0
from tests.dossiers.test_store import submit


def submit_many(store, clock, count: int, organisation: str = "chu-lyon") -> list[str]:
    references = []
    for number in range(count):
        references.append(submit(store, key=f"{organisation}-form-{number:04d}", organisation=organisation).reference)
        clock.advance(minutes=1)
    return references


def test_an_organisation_lists_only_its_own_dossiers_oldest_first(store, clock):
    mine = submit_many(store, clock, 3)
    submit_many(store, clock, 2, organisation="chu-paris")
    listed = store.list_for("chu-lyon")
    assert [d.reference for d in listed] == mine
    assert {d.organisation for d in listed} == {"chu-lyon"}
    assert listed[0].created_at == T0 and listed[0].purge_after == T0 + dt.timedelta(days=90)
    assert not hasattr(listed[0], "content")


def test_pages_follow_each_other_without_repeating_or_skipping(store, clock):
    references = submit_many(store, clock, 5)
    # Two dossiers at the same instant: the reference breaks the tie.
    references += [submit(store, key=f"same-instant-{n}").reference for n in range(2)]
    seen, after = [], None
    while True:
        page = store.list_for("chu-lyon", after=after, limit=2)
        if not page:
            break
        seen += [d.reference for d in page]
        after = (page[-1].created_at, page[-1].reference)
    assert len(seen) == len(set(seen)) == 7
    assert seen[:5] == references[:5] and sorted(seen[5:]) == seen[5:]


def test_status_and_since_filter(store, clock):
    references = submit_many(store, clock, 4)
    store.mark_delivered(references[0])
    assert [d.reference for d in store.list_for("chu-lyon", status="submitted")] == references[1:]
    assert [d.reference for d in store.list_for("chu-lyon", status="delivered")] == references[:1]
    since = T0 + dt.timedelta(minutes=2)
    assert [d.reference for d in store.list_for("chu-lyon", since=since)] == references[2:]


@pytest.mark.parametrize("arguments", [{"status": "purged"}, {"limit": 0}, {"limit": 1001}, {"limit": True}])
def test_listing_refuses_what_it_cannot_mean(store, arguments):
    with pytest.raises(InvalidDossier):
        store.list_for("chu-lyon", **arguments)


def test_delivery_moves_the_purge_to_the_post_delivery_retention(store, clock):
    reference = submit(store).reference
    clock.advance(days=3)
    assert store.mark_delivered(reference, retention_days=7) is True
    dossier = store.get(reference)
    assert dossier.status == "delivered" and dossier.delivered_at == T0 + dt.timedelta(days=3)
    assert dossier.purge_after == T0 + dt.timedelta(days=10)
    # A repeated acknowledgement changes nothing.
    clock.advance(days=1)
    assert store.mark_delivered(reference, retention_days=7) is False
    assert store.get(reference).purge_after == T0 + dt.timedelta(days=10)


def test_delivery_never_keeps_a_dossier_longer_than_first_promised(store, clock):
    reference = submit(store, retention_days=5).reference
    clock.advance(days=4)
    store.mark_delivered(reference, retention_days=7)
    assert store.get(reference).purge_after == T0 + dt.timedelta(days=5)


def test_delivery_refuses_a_meaningless_retention(store):
    reference = submit(store).reference
    with pytest.raises(InvalidDossier):
        store.mark_delivered(reference, retention_days=0)
    assert store.get(reference).status == "submitted"
