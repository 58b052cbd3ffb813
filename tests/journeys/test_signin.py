"""The sign-in's hand-off for a journey: the context a browser opened is carried across the session's renewal."""

from __future__ import annotations

import pytest

from app import sessions
from app.extensions import services
from app.journeys import signin
from app.model.journey import JourneyContext
from app.model.rights import InvalidSessionValue
from app.model.signin import SignInResult
from app.organisations.settings import DEMO_FILE
from tests.journeys.factories import ANGELA


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
    plan = signin.make_planner(services(app).settings.providers, (), {})
    with app.test_request_context():
        for org in ("chu-a", "chu-b"):
            sessions.current().open_journey(JourneyContext("preadmission", org, "2026-11-22T13:00:00+00:00"))
        result = carried(None, None, plan("/preadmission/chu-a/personnes", None))
        assert result.identity is identity and result.rights == {}
        assert result.journey.org == "chu-a" and result.journey.signed_in
        for next_path in ("/mon-espace", "/adhesion/chu-a/personnes", "/preadmission/chu-c/personnes", ""):
            assert carried(None, None, plan(next_path, None)).journey is None


def test_a_new_sign_in_of_the_signed_in_journey_keeps_its_context(app):
    """« Réessayer » after a provider failure: the renewed session no longer holds the opened contexts."""
    identity = ANGELA

    def hook(client, token, request):
        return SignInResult(identity=identity)

    carried = signin.carrying_journey(hook)
    plan = signin.make_planner(services(app).settings.providers, (), {})
    with app.test_request_context():
        context = JourneyContext("preadmission", "chu-a", "2026-11-22T13:00:00+00:00", signed_in=True)
        sessions.current().save_sign_in(SignInResult(identity=identity, journey=context), id_token="t")
        assert carried(None, None, plan("/preadmission/chu-a/personnes", None)).journey == context
        assert carried(None, None, plan("/preadmission/chu-b/personnes", None)).journey is None


def test_opened_contexts_are_bounded(app):
    with app.test_request_context():
        state = sessions.current()
        for i in range(sessions.MAX_OPENED_JOURNEYS + 3):
            state.open_journey(JourneyContext("adhesion", f"m-{i}", "2026-11-22T13:00:00+00:00"))
        opened = state.opened_journey_keys()
        assert len(opened) == sessions.MAX_OPENED_JOURNEYS
        assert f"adhesion/m-{sessions.MAX_OPENED_JOURNEYS + 2}" in opened and "adhesion/m-0" not in opened


def test_the_plan_asks_only_what_the_organisation_may_receive_and_names_it_as_recipient(make_app):
    from app.model.organisation import Organisation

    app = make_app(RIGHTS_SOURCES="c2s cnam", API_PARTICULIER_URL="https://particulier.test",
                   API_PARTICULIER_RECIPIENT="13002526500013", CNAM_API_URL="https://cnam.test", CNAM_API_KEY="k")
    settings = services(app).settings
    cnam_only = Organisation(id="chu-x", name="CHU X", kind="hopital", contact="a@b.example", siret="12345678200010",
                             sources=("cnam",))
    plan = signin.make_planner(settings.providers, settings.franceconnect.scopes, {"chu-x": cnam_only})
    request = plan("/preadmission/chu-x/personnes", ["c2s", "cnam"])
    assert request.sources == ("cnam",) and request.recipient == "12345678200010"
    assert "complementaire_sante_solidaire" not in request.scopes and "droits_assurance_maladie" in request.scopes
    assert plan("/preadmission/chu-x/personnes", None).sources == ("cnam",)  # no choice on the page
    # Outside a journey nothing but the identity: no rights fetched for a page that leads to no démarche.
    elsewhere = plan("/mon-espace", ["c2s", "cnam"])
    assert elsewhere.sources == () and elsewhere.recipient is None
    assert not {"droits_assurance_maladie", "complementaire_sante_solidaire"} & set(elsewhere.scopes)
    assert plan("/preadmission/unknown-org/personnes", None).sources == ()


class _Audit:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []

    def record(self, event: str, **fields) -> None:
        self.events.append((event, fields))


@pytest.mark.parametrize(("method", "next_path", "recorded"), [
    ("POST", "/preadmission/chu-demo/personnes", [("journey_started", {"journey": "preadmission",
                                                                        "organisation": "chu-demo"})]),
    ("GET", "/preadmission/chu-demo/personnes", []),  # the error page offers a retry: nothing starts
    ("POST", "/preadmission/nowhere/personnes", []),  # no such organisation
    ("POST", "/", []),  # the start page's sign-in: no journey
])
def test_a_journey_starts_in_the_audit_trail_when_its_sign_in_starts(make_app, method, next_path, recorded):
    app = make_app(ORGANISATIONS_FILE=str(DEMO_FILE))
    settings, audit = services(app).settings, _Audit()
    plan = signin.recording_start(signin.make_planner(settings.providers, (), settings.organisations), audit,
                                  settings.organisations)
    with app.test_request_context("/auth/login", method=method):
        assert plan(next_path, None).next_path == next_path
    assert audit.events == recorded
