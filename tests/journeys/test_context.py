"""The portal's parameters and the journey context carried across the FranceConnect sign-in."""

from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.datastructures import MultiDict

from app.journeys import context as journey_context
from app.journeys.context import JourneyContext, portal_parameters

TODAY = dt.date(2026, 11, 22)


@pytest.mark.parametrize("args, accepted, ignored", [
    ({"ref": "ADM-2026_0042", "date_sejour": "2026-11-22", "service": "Chirurgie  orthopédique"},
     {"ref": "ADM-2026_0042", "date_sejour": "2026-11-22", "service": "Chirurgie orthopédique"}, []),
    ({"service": "Soins de suite d’Île-de-France 2"}, {"service": "Soins de suite d’Île-de-France 2"}, []),
    ({"ref": "a" * 65}, {}, ["ref"]),
    ({"ref": "<script>"}, {}, ["ref"]),
    ({"ref": "ABC\x00"}, {}, ["ref"]),
    ({"date_sejour": "2026-11-21"}, {}, ["date_sejour"]),  # in the past
    ({"date_sejour": "2026-02-30"}, {}, ["date_sejour"]),
    ({"date_sejour": "22/11/2026"}, {}, ["date_sejour"]),
    ({"service": "x" * 81}, {}, ["service"]),
    ({"service": "<b>Cardio</b>"}, {}, ["service"]),
    ({"service": "---"}, {}, ["service"]),
    ({"service": "Cardio\nlogie"}, {}, ["service"]),
])
def test_portal_parameters(args, accepted, ignored):
    assert portal_parameters(MultiDict(args), "preadmission", TODAY) == (accepted, ignored)


def test_a_repeated_parameter_is_ignored():
    assert portal_parameters(MultiDict([("ref", "A"), ("ref", "B")]), "preadmission", TODAY) == ({}, ["ref"])


def test_a_mutuelle_passes_only_its_reference():
    args = MultiDict({"ref": "M-1", "date_sejour": "2026-12-01", "service": "Cardiologie"})
    assert portal_parameters(args, "adhesion", TODAY) == ({"ref": "M-1"}, [])


def test_a_context_survives_the_session_and_refuses_garbage():
    context = JourneyContext("preadmission", "chu-demo", "2026-11-22T13:00:00+00:00", ref="R1")
    assert JourneyContext.from_dict(context.to_dict()) == context
    assert JourneyContext.from_dict({"journey": "preadmission"}) is None


def test_the_sign_in_carries_only_the_context_its_next_path_names(app):
    def hook(client, token, context):
        return "identity", {"rights": {}}

    carried = journey_context.carrying_journey(hook)
    with app.test_request_context():
        for org in ("chu-a", "chu-b"):
            journey_context.open_pending(JourneyContext("preadmission", org, "2026-11-22T13:00:00+00:00"))
        identity, extra = carried(None, None, {"next": "/preadmission/chu-a/personnes"})
        assert identity == "identity" and extra["rights"] == {}
        assert extra[journey_context.CURRENT]["org"] == "chu-a" and extra[journey_context.CURRENT]["signed_in"]
        for next_path in ("/mon-espace", "/adhesion/chu-a/personnes", "/preadmission/chu-c/personnes", ""):
            assert journey_context.CURRENT not in carried(None, None, {"next": next_path})[1]


def test_pending_contexts_are_bounded(app):
    with app.test_request_context():
        from flask import session

        for i in range(journey_context.MAX_PENDING + 3):
            journey_context.open_pending(JourneyContext("adhesion", f"m-{i}", "2026-11-22T13:00:00+00:00"))
        pending = session[journey_context.PENDING]
        assert len(pending) == journey_context.MAX_PENDING
        assert f"adhesion/m-{journey_context.MAX_PENDING + 2}" in pending and "adhesion/m-0" not in pending
