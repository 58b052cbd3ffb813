"""The whole FranceConnect flow, browser-like, against the sandbox over loopback HTTP."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest


def sign_in(stack, browser, login="test", *, until_callback=False):
    browser.get(stack.service_url + "/")
    browser.submit("FranceConnect")  # POST /auth/login -> 303 -> sandbox /authorize -> chooser
    assert browser.page.url.startswith(stack.sandbox_url), browser.page.url
    browser.submit(login)  # choose the identity -> consent page
    return browser.submit("Continuer", follow=not until_callback)


def test_sign_in_shows_the_certified_identity_and_leaves_a_clean_url(stack):
    browser = stack.browser()
    page = sign_in(stack, browser)
    assert page.status_code == 200
    assert page.url == stack.service_url + "/mon-espace"
    assert "DUBOIS" in page.text and "Angela Claire Louise" in page.text and "24 août 1962" in page.text
    assert "Certifié par FranceConnect" in page.text

    # The start page's sign-in fetches no data source: no « Nous récupérons vos droits… » step.
    callback = next(r for r in browser.history if urlsplit(r.url).path == "/auth/callback")
    assert callback.status_code == 303
    assert callback.headers["Location"] == "/mon-espace"
    assert callback.headers["Referrer-Policy"] == "no-referrer"
    assert callback.headers["Cache-Control"] == "no-store"
    assert not any(urlsplit(r.url).path == "/auth/recuperation" for r in browser.history)
    assert "sécurité sociale" not in page.text and "Médecin traitant" not in page.text  # no health data
    assert "Commencez votre démarche depuis le site" in page.text


def test_authorize_request_carries_exactly_what_franceconnect_expects(stack):
    browser = stack.browser()
    browser.get(stack.service_url + "/")
    response = browser.submit("FranceConnect", follow=False)
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    params = parse_qs(location.query)
    assert set(params) == {"response_type", "client_id", "redirect_uri", "scope", "acr_values", "state", "nonce"}
    assert params["acr_values"] == ["eidas1"] and params["response_type"] == ["code"]
    assert params["redirect_uri"] == [stack.service_url + "/auth/callback"]
    assert len(params["nonce"][0]) >= 32 and len(params["state"][0]) >= 22


def test_session_identifier_is_renewed_at_sign_in(stack):
    browser = stack.browser()
    browser.get(stack.service_url + "/")
    before = browser.http.cookies.get("dc_session")
    assert before
    sign_in(stack, browser)
    after = browser.http.cookies.get("dc_session")
    assert after and after != before


def test_each_identity_of_the_sandbox_can_sign_in(stack):
    for identity in stack.fc.identities:
        if identity.email is None or identity.refused_by_fc:
            continue  # FranceConnect refuses them (tests/integration/test_every_identity.py)
        browser = stack.browser()
        page = sign_in(stack, browser, identity.login)
        assert page.url.endswith("/mon-espace"), identity.login
        assert identity.family_name in page.text


def test_identity_without_email_ends_in_franceconnect_error_page(stack):
    browser = stack.browser()
    browser.get(stack.service_url + "/")
    browser.submit("FranceConnect")
    page = browser.submit("sans_mail")
    assert "/auth/erreur" in page.url and page.status_code == 400
    assert "FranceConnect ne répond pas pour le moment" in page.text


def test_cancel_at_franceconnect_explains_and_offers_to_retry(stack):
    browser = stack.browser()
    browser.get(stack.service_url + "/")
    browser.submit("FranceConnect")
    page = browser.submit("Revenir sur le site")
    assert urlsplit(page.url).path == "/auth/erreur"
    assert "La connexion avec FranceConnect n’a pas abouti" in page.text
    assert "S’identifier avec" in page.text  # the button to retry
    assert "User auth aborted" not in page.text


@pytest.mark.parametrize("scenario, message", [
    ("server_error", "FranceConnect ne répond pas pour le moment"),
    ("temporarily_unavailable", "FranceConnect ne répond pas pour le moment"),
    ("access_denied", "La connexion avec FranceConnect n’a pas abouti"),
])
def test_franceconnect_failures_end_on_a_french_page(stack, scenario, message):
    browser = stack.browser()
    browser.get(stack.service_url + "/")
    browser.submit("FranceConnect")
    page = browser.submit(scenario)
    assert urlsplit(page.url).path == "/auth/erreur" and message in page.text
    assert browser.get(stack.service_url + "/mon-espace").url == stack.service_url + "/"


def test_replayed_callback_is_refused_before_any_token_request(stack):
    browser = stack.browser()
    callback = sign_in(stack, browser, until_callback=True)
    callback_url = callback.headers["Location"]
    browser.get(callback_url)  # the real one signs in
    page = browser.get(callback_url)  # replay
    assert "Votre demande de connexion a expiré" in page.text
    # A used state ends nothing: only a valid one may (a replayed link must not sign the person out).
    assert browser.get(stack.service_url + "/mon-espace").url == stack.service_url + "/mon-espace"


def test_login_csrf_code_from_another_browser_is_refused(stack):
    attacker, victim = stack.browser(), stack.browser()
    callback = sign_in(stack, attacker, "naissance_Algérie", until_callback=True)
    victim.get(stack.service_url + "/")
    page = victim.get(callback.headers["Location"])
    assert "Votre demande de connexion a expiré" in page.text
    assert "MARTIN" not in victim.get(stack.service_url + "/mon-espace").text


def test_logout_signs_out_of_franceconnect_and_destroys_the_session(stack):
    browser = stack.browser()
    sign_in(stack, browser)
    old_cookie = browser.http.cookies.get("dc_session")
    response = browser.submit("Se déconnecter", follow=False)
    end_session = urlsplit(response.headers["Location"])
    assert end_session.path == "/api/v2/session/end"
    params = parse_qs(end_session.query)
    assert set(params) == {"id_token_hint", "state", "post_logout_redirect_uri"}
    assert params["post_logout_redirect_uri"] == [stack.service_url + "/auth/logout/callback"]
    page = browser.get(response.headers["Location"])
    assert page.url.startswith(stack.service_url + "/auth/logout/callback")
    assert "Vous êtes déconnecté" in page.text
    assert browser.get(stack.service_url + "/mon-espace").url == stack.service_url + "/"
    # The old session identifier is dead on the server, not just forgotten by the browser.
    thief = stack.browser()
    thief.http.cookies.set("dc_session", old_cookie)
    assert thief.get(stack.service_url + "/mon-espace").url == stack.service_url + "/"


def test_logout_callback_without_state_is_handled(stack):
    browser = stack.browser()
    page = browser.get(stack.service_url + "/auth/logout/callback")
    assert page.status_code == 200 and "Vous êtes déconnecté" in page.text


def test_rs256_client(make_stack):
    stack = make_stack(FC_ID_TOKEN_ALG="RS256")
    page = sign_in(stack, stack.browser())
    assert page.url.endswith("/mon-espace")


def test_key_rotation_at_franceconnect_is_accepted_after_one_jwks_refetch(stack):
    sign_in(stack, stack.browser())
    stack.fc.keys.rotate()
    page = sign_in(stack, stack.browser(), "avec_nom_dusage")
    assert page.url.endswith("/mon-espace") and "MERCIER" in page.text


def test_the_access_token_is_revoked_once_the_data_is_fetched(stack):
    page = sign_in(stack, stack.browser())
    assert page.url.endswith("/mon-espace")
    deadline = time.monotonic() + 5
    while stack.sandbox_hits["/api/v2/token/revocation"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stack.sandbox_hits["/api/v2/token/revocation"] == 1
    # Nothing the sandbox issued to this client is still usable.
    issued = list(stack.fc._tokens.values())
    assert not any(stack.fc.introspect(token.value) for token in issued)
