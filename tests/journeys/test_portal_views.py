"""The portal at both ends of a journey, through Flask's test client: launch links in, signed results out."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.journeys.support import csrf_token, journeys_app
from tests.journeys.test_views import CHU, MUTUELLE, post, session_of, sign_in, to_review
from tests.portal import DEMO_RETURN_URL, demo_registry, launch_path, launch_token, read_result

AUDIENCE = "http://localhost"


@pytest.fixture
def app(make_app):
    return journeys_app(make_app)


def closed_app(make_app, tmp_path):
    return make_app(**demo_registry(tmp_path, allow_unsigned=False))


def give_back(client, base, page, **data):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(f"{base}/retour", data={"csrf_token": token, **data})


def test_a_launch_link_is_used_once_and_leaves_the_address_bar(client, caplog):
    path = launch_path("chu-demo", audience=AUDIENCE)
    first = client.get(path)
    assert first.status_code == 303 and first.headers["Location"] == f"{CHU}/"
    assert "PORTAIL-42" in client.get(f"{CHU}/").get_data(as_text=True)  # a reload keeps the signed context
    other_browser = client.application.test_client()
    replay = other_browser.get(path)
    html = replay.get_data(as_text=True)
    assert replay.status_code == 400 and "Ce lien ne permet pas de commencer votre démarche" in html
    assert "reason=replayed" in caplog.text
    assert session_of(other_browser).opened_journey("preadmission", "chu-demo") is None  # nothing started


@pytest.mark.parametrize("claims", [{"aud": "https://elsewhere.example"}, {"return_url": "https://evil.example/"},
                                    {"iss": "mutuelle-demo"}, {"secret": "wrong-secret-" + "w" * 32}])
def test_a_refused_launch_starts_nothing_and_says_so_in_french(client, claims, caplog):
    response = client.get(launch_path("chu-demo", audience=AUDIENCE, **claims))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'lang="fr"' in html and "déjà servi" in html
    assert "journey launch refused reason=" in caplog.text
    assert session_of(client).opened_journey("preadmission", "chu-demo") is None
    for secret in ("PORTAIL-42", "evil.example", "w" * 32):
        assert secret not in caplog.text


def test_two_launch_parameters_are_refused(client):
    token = launch_token("chu-demo", audience=AUDIENCE)
    assert client.get(f"{CHU}/?launch={token}&launch={token}").status_code == 400


def test_an_organisation_may_refuse_unsigned_entry(make_app, tmp_path):
    client = closed_app(make_app, tmp_path).test_client()
    response = client.get(f"{CHU}/?ref=ADM-1")
    assert response.status_code == 403 and "depuis le site de" in response.get_data(as_text=True)
    assert client.get(launch_path("chu-demo", audience=AUDIENCE)).status_code == 303  # a signed link still opens


def test_back_to_the_portal_after_submission_with_a_signed_result(client, app):
    client.get(launch_path("chu-demo", audience=AUDIENCE, ref="ADM-77"))
    sign_in(client, ref="ADM-77", signed=True, return_url=DEMO_RETURN_URL)
    to_review(client)
    token = csrf_token(client.get(f"{CHU}/verification").get_data(as_text=True))
    client.post(f"{CHU}/envoi", data={"csrf_token": token})
    receipt = client.get(f"{CHU}/recepisse").get_data(as_text=True)
    assert "Retourner sur le site de Centre hospitalier de Démonstration" in receipt
    response = give_back(client, CHU, f"{CHU}/recepisse")
    assert response.status_code == 303 and response.headers["Location"].startswith(DEMO_RETURN_URL + "?result=")
    claims = read_result(response.headers["Location"], "chu-demo", issuer=AUDIENCE)
    assert claims["status"] == "submitted" and claims["ref"] == "ADM-77"
    assert claims["dossier"] == session_of(client).receipt.reference
    assert claims["exp"] - claims["iat"] <= 600
    for personal in ("Angela", "DUBOIS", "1962"):
        assert personal not in response.headers["Location"]


def test_abandoning_returns_a_signed_cancel_and_forgets_everything(client, caplog):
    caplog.set_level(logging.INFO)
    client.get(launch_path("chu-demo", audience=AUDIENCE, ref="ADM-9"))
    sign_in(client, ref="ADM-9", signed=True, return_url=DEMO_RETURN_URL)
    page = client.get(f"{CHU}/personnes").get_data(as_text=True)
    assert "Abandonner et retourner sur le site de Centre hospitalier de Démonstration" in page
    response = give_back(client, CHU, f"{CHU}/personnes")
    claims = read_result(response.headers["Location"], "chu-demo", issuer=AUDIENCE)
    assert (claims["status"], claims["ref"], "dossier" in claims) == ("cancelled", "ADM-9", False)
    state = session_of(client)
    assert state.identity is state.journey is state.draft is None and state.rights == {}
    assert state.opened_journey("preadmission", "chu-demo") is None
    assert client.get(f"{CHU}/personnes").status_code == 303  # the journey is over


def test_a_failed_sign_in_can_go_back_with_failed(client):
    client.get(launch_path("mutuelle-demo", audience=AUDIENCE, ref="WEB-1"))
    error_page = client.get("/auth/erreur?motif=annule&next=/adhesion/mutuelle-demo/personnes&sources=cnam")
    html = error_page.get_data(as_text=True)
    assert "Retourner sur le site de l’organisme sans me connecter" in html
    response = give_back(client, MUTUELLE, f"{MUTUELLE}/", motif="echec")
    claims = read_result(response.headers["Location"], "mutuelle-demo", issuer=AUDIENCE)
    assert (claims["status"], claims["ref"]) == ("failed", "WEB-1")


def test_without_a_signed_launch_there_is_nowhere_to_return_but_a_safe_page(client):
    client.get(f"{CHU}/")  # unsigned entry, allowed for the demo hospital
    page = client.get(f"{CHU}/").get_data(as_text=True)
    assert "Abandonner</button>" in page and "retourner sur le site" not in page
    response = give_back(client, CHU, f"{CHU}/")
    assert response.status_code == 200 and "Votre démarche est arrêtée" in response.get_data(as_text=True)


def test_a_return_url_removed_from_the_registry_is_never_followed(make_app, tmp_path):
    overrides = demo_registry(tmp_path, "https://portail.example/nouveau")
    registry = Path(overrides["ORGANISATIONS_FILE"])
    registry.write_text(registry.read_text().replace(f'"{DEMO_RETURN_URL}", ', ""))
    client = make_app(**overrides).test_client()
    client.get(launch_path("chu-demo", audience=AUDIENCE, return_url="https://portail.example/nouveau"))
    with client.session_transaction() as session:
        # The registry changed after the launch: the stored URL is no longer registered.
        session["journey_pending"]["preadmission/chu-demo"]["return_url"] = DEMO_RETURN_URL
        session.modified = True  # a value changed in place: the session is stored only when marked changed
    response = give_back(client, CHU, f"{CHU}/")
    assert response.status_code == 200 and urlsplit(response.request.url).path == f"{CHU}/retour"


def test_the_return_needs_csrf(client):
    client.get(launch_path("chu-demo", audience=AUDIENCE))
    assert client.post(f"{CHU}/retour").status_code == 400
    assert session_of(client).opened_journey("preadmission", "chu-demo") is not None


def test_the_content_security_policy_lets_forms_end_on_registered_portals_only(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    form_action = next(part for part in policy.split("; ") if part.startswith("form-action"))
    assert form_action.split() == ["form-action", "'self'", "https://fc.test", "http://127.0.0.1:5001",
                                   "http://127.0.0.1:8765"]


def test_the_sepa_mandate_names_the_mutuelle_as_creditor_with_its_ics(client):
    sign_in(client, "adhesion", "mutuelle-demo")
    post(client, f"{MUTUELLE}/personnes", {"declared": "0"})
    form = client.get(f"{MUTUELLE}/formulaire").get_data(as_text=True)
    assert "identifiant créancier SEPA (ICS) FR03ZZZDEMO01" in form


def test_the_page_after_a_launch_writes_no_session(client, app):
    from tests.test_session_store import _stored_bytes

    assert client.get(launch_path("chu-demo", audience=AUDIENCE)).status_code == 303
    stored = _stored_bytes(app, client)
    page = client.get(f"{CHU}/")  # its sign-in form's CSRF token was provided for by the launch's write
    assert page.status_code == 200 and 'name="csrf_token"' in page.get_data(as_text=True)
    assert _stored_bytes(app, client) == stored and "Set-Cookie" not in page.headers
    # The token is accepted.
    started = client.post("/auth/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                "next": f"{CHU}/personnes"})
    assert started.status_code == 303  # a refused CSRF token is a 400
