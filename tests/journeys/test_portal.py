"""The portal's parameters and the journey context carried across the FranceConnect sign-in."""

from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.datastructures import MultiDict

from app import sessions
from app.extensions import services
from app.journeys import signin
from app.journeys.portal import portal_parameters
from app.model.journey import JourneyContext
from app.model.rights import InvalidSessionValue
from app.model.signin import SignInResult

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
    with pytest.raises(InvalidSessionValue):
        JourneyContext.from_dict({"journey": "preadmission"})


def test_the_sign_in_carries_only_the_context_its_next_path_names(app):
    identity = object()

    def hook(client, token, request):
        return SignInResult(identity=identity)

    carried = signin.carrying_journey(hook)
    plan = signin.make_planner(services(app).settings.providers, ())
    with app.test_request_context():
        for org in ("chu-a", "chu-b"):
            sessions.current().open_journey(JourneyContext("preadmission", org, "2026-11-22T13:00:00+00:00"))
        result = carried(None, None, plan("/preadmission/chu-a/personnes", None))
        assert result.identity is identity and result.rights == {}
        assert result.journey.org == "chu-a" and result.journey.signed_in
        for next_path in ("/mon-espace", "/adhesion/chu-a/personnes", "/preadmission/chu-c/personnes", ""):
            assert carried(None, None, plan(next_path, None)).journey is None


def test_opened_contexts_are_bounded(app):
    with app.test_request_context():
        state = sessions.current()
        for i in range(sessions.MAX_OPENED_JOURNEYS + 3):
            state.open_journey(JourneyContext("adhesion", f"m-{i}", "2026-11-22T13:00:00+00:00"))
        opened = state.opened_journey_keys()
        assert len(opened) == sessions.MAX_OPENED_JOURNEYS
        assert f"adhesion/m-{sessions.MAX_OPENED_JOURNEYS + 2}" in opened and "adhesion/m-0" not in opened
