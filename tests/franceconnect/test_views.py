"""The sign-in views against a FranceConnect played by `responses` (tests/franceconnect/fakefc.py).

Each check of the callback has a test asserting the redirect, the French page, an empty session and
the logged reason; the protocol checks themselves are covered one by one in test_id_token.py and
test_userinfo.py.
"""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import urlencode, urlsplit

import pytest

from app import sessions
from app.extensions import services
from app.franceconnect import views
from app.franceconnect.client import TRANSACTION_TTL
from app.model.signin import SignInRequest
from app.sessions import SessionState
from tests.franceconnect.fakefc import DELETE, FakeFranceConnect

PUBLIC_URL = "https://droits.test"


@pytest.fixture
def app(make_app):
    return make_app(PUBLIC_URL=PUBLIC_URL, FC_ISSUER="https://fc.test/api/v2",
                    FC_CLIENT_ID="6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985704f39950",
                    FC_CLIENT_SECRET="test-client-secret-0123456789abcdef")


def https_client(app):
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": "droits.test"})
    return client


@pytest.fixture
def client(app):
    return https_client(app)


@pytest.fixture
def fc(app):
    with FakeFranceConnect.for_settings(services(app).settings.franceconnect) as fake:
        yield fake


def csrf_token(client, path="/") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def start_login(client, fc) -> dict[str, str]:
    response = client.post("/auth/login", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    return fc.authorize(response.headers["Location"])


def callback(client, **params):
    return client.get("/auth/callback?" + urlencode(params))


def session_of(client) -> SessionState:
    with client.session_transaction() as session:
        return SessionState(dict(session))


def assert_failed(client, response, motif, caplog, reason):
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/erreur" and f"motif={motif}" in location.query
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert session_of(client).identity is None and session_of(client).id_token is None
    assert f"reason={reason}" in caplog.text
    page = client.get(response.headers["Location"])
    assert page.status_code == 400 and 'lang="fr"' in page.get_data(as_text=True)
    return page.get_data(as_text=True)


def test_successful_sign_in(client, fc, caplog):
    caplog.set_level(logging.INFO)
    response = callback(client, **start_login(client, fc), iss=fc.issuer)
    assert response.status_code == 303 and response.headers["Location"] == "/mon-espace"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    session = session_of(client)
    assert session.identity.family_name == "DUBOIS"
    assert session.id_token == fc.issued_id_tokens[-1]
    assert session.pending_sign_in_count() == 0
    page = client.get("/mon-espace").get_data(as_text=True)
    assert "Angela Claire Louise" in page
    assert "franceconnect login succeeded" in caplog.text
    for secret in (fc.issued_id_tokens[-1], "DUBOIS", "Angela", fc.sub, "1962-08-24"):
        assert secret not in caplog.text


def test_login_start_is_a_post_with_csrf(client, fc):
    assert client.get("/auth/login").status_code == 405
    assert client.post("/auth/login").status_code == 400
    assert client.post("/auth/login", data={"csrf_token": "forged"}).status_code == 400
    assert fc.hits["discovery"] == 0


@pytest.mark.parametrize("claim, value, reason", [
    ("iss", "https://attacker.example/api/v2", "id_token_bad_iss"),
    ("nonce", "n" * 43, "id_token_bad_nonce"),
    ("aud", "someone-else", "id_token_bad_aud"),
    ("sub", DELETE, "id_token_missing_sub"),
    ("acr", DELETE, "id_token_missing_acr"),
])
def test_invalid_id_token_ends_without_session(client, fc, caplog, claim, value, reason):
    fc.id_token_claims[claim] = value
    response = callback(client, **start_login(client, fc))
    html = assert_failed(client, response, "echec", caplog, reason)
    assert "Nous n’avons pas pu vérifier votre connexion" in html
    assert fc.hits["userinfo"] == 0  # nothing is used before the ID token is verified


def test_userinfo_of_another_person_is_refused(client, fc, caplog):
    fc.userinfo_claims["sub"] = "f" * 64 + "v1"
    response = callback(client, **start_login(client, fc))
    assert_failed(client, response, "echec", caplog, "userinfo_sub_mismatch")


def test_franceconnect_down_at_token_time(client, fc, caplog):
    fc.token_status, fc.token_body = 503, "<html>maintenance</html>"
    response = callback(client, **start_login(client, fc))
    html = assert_failed(client, response, "indisponible", caplog, "token_")
    assert "Réessayez dans quelques minutes" in html


def test_franceconnect_down_at_login_start(client, fc, caplog):
    fc.discovery_status = 502
    response = client.post("/auth/login", data={"csrf_token": csrf_token(client)})
    assert_failed(client, response, "indisponible", caplog, "discovery")


def test_missing_state_is_refused_before_any_token_request(client, fc, caplog):
    params = start_login(client, fc)
    response = callback(client, code=params["code"])
    assert_failed(client, response, "expire", caplog, "state_missing")
    assert fc.hits["token"] == 0


def test_unknown_state_is_refused_before_any_token_request(client, fc, caplog):
    params = start_login(client, fc)
    response = callback(client, code=params["code"], state="A" * 43)
    assert_failed(client, response, "expire", caplog, "state_unknown_or_used")
    assert fc.hits["token"] == 0


def test_state_is_single_use(client, fc, caplog):
    params = start_login(client, fc)
    assert callback(client, **params).headers["Location"] == "/mon-espace"
    response = callback(client, **params)
    assert response.status_code == 303 and "motif=expire" in response.headers["Location"]
    assert "reason=state_unknown_or_used" in caplog.text
    assert fc.hits["token"] == 1
    # A used state ends nothing: the signed-in session is still there.
    assert session_of(client).identity is not None


def test_expired_state_is_refused(client, fc, caplog):
    params = start_login(client, fc)
    with client.session_transaction() as session:
        session[sessions.SIGN_INS][params["state"]]["transaction"]["created_at"] = time.time() - TRANSACTION_TTL - 1
        session.modified = True  # a value changed in place: the session is stored only when marked changed
    response = callback(client, **params)
    assert_failed(client, response, "expire", caplog, "state_expired")
    assert fc.hits["token"] == 0


def test_repeated_parameters_are_refused(client, fc, caplog):
    params = start_login(client, fc)
    response = client.get(f"/auth/callback?code={params['code']}&state={params['state']}&state={params['state']}")
    assert_failed(client, response, "expire", caplog, "state_")
    assert fc.hits["token"] == 0


def test_malformed_code_is_refused(client, fc, caplog):
    params = start_login(client, fc)
    response = callback(client, code="<script>", state=params["state"])
    assert_failed(client, response, "echec", caplog, "code_missing_or_malformed")
    assert fc.hits["token"] == 0


@pytest.mark.parametrize("error, motif, level", [
    ("access_denied", "annule", "INFO"),
    ("server_error", "indisponible", "WARNING"),
    ("temporarily_unavailable", "indisponible", "WARNING"),
    ("invalid_scope", "configuration", "ERROR"),
    ("Y030007", "configuration", "ERROR"),
])
def test_error_callbacks(client, fc, caplog, error, motif, level):
    caplog.set_level(logging.INFO)
    params = start_login(client, fc)
    response = callback(client, error=error, error_description="User auth aborted", state=params["state"])
    assert_failed(client, response, motif, caplog, "callback_error_")
    assert any(r.levelname == level and "returned an error" in r.getMessage() for r in caplog.records)
    assert fc.hits["token"] == 0


def test_error_callback_markup_is_never_echoed(client, fc, caplog):
    params = start_login(client, fc)
    markup = '<img src=x onerror="alert(1)">\nFORGED LOG LINE'
    response = callback(client, error="<script>alert(1)</script>", error_description=markup, state=params["state"])
    html = assert_failed(client, response, "configuration", caplog, "callback_error_unknown")
    assert "<img" not in html and "<script>alert" not in html and "alert(1)" not in html
    assert "\nFORGED LOG LINE" not in caplog.text  # newlines are escaped in the log line


def test_error_page_ignores_unknown_motifs_and_references(client):
    html = client.get("/auth/erreur?motif=<b>x</b>&ref=<script>").get_data(as_text=True)
    assert "<b>x</b>" not in html and "<script>" not in html
    assert "Nous n’avons pas pu vérifier votre connexion" in html


def test_session_identifier_is_renewed_and_old_one_is_dead(client, fc, app):
    params = start_login(client, fc)
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    before = client.get_cookie(cookie_name).value
    callback(client, **params)
    after = client.get_cookie(cookie_name).value
    assert before != after
    thief = https_client(app)
    thief.set_cookie(cookie_name, before, domain="droits.test")
    assert thief.get("/mon-espace").status_code == 303


def test_pending_attempts_are_bounded(client, fc):
    states = [start_login(client, fc)["state"] for _ in range(sessions.MAX_SIGN_INS + 3)]
    assert session_of(client).pending_sign_in_count() == sessions.MAX_SIGN_INS
    assert session_of(client).take_sign_in(states[-1]) is not None
    assert session_of(client).take_sign_in(states[0]) is None


@pytest.mark.parametrize("clock_key, offset_setting", [("_seen", "SESSION_IDLE_TIMEOUT"),
                                                       ("_created", "SESSION_ABSOLUTE_LIFETIME")])
def test_sessions_expire_when_idle_and_after_their_absolute_lifetime(client, fc, app, clock_key, offset_setting):
    callback(client, **start_login(client, fc))
    assert client.get("/mon-espace").status_code == 200
    with client.session_transaction() as session:
        session[clock_key] = time.time() - app.config[offset_setting] - 1
    assert client.get("/mon-espace").status_code == 303
    assert session_of(client).identity is None


def test_logout_destroys_the_session_and_goes_to_franceconnect(client, fc, app):
    callback(client, **start_login(client, fc))
    response = client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/mon-espace")})
    assert response.status_code == 303
    back = fc.end_session(response.headers["Location"])
    assert session_of(client).identity is None
    page = client.get("/auth/logout/callback?" + urlencode(back))
    assert "Vous êtes déconnecté" in page.get_data(as_text=True)
    assert session_of(client).take_logout_state() is None


def test_logout_requires_csrf(client, fc):
    callback(client, **start_login(client, fc))
    assert client.post("/auth/logout").status_code == 400
    assert session_of(client).identity is not None


def test_logout_without_session_goes_home(client):
    response = client.post("/auth/logout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_logout_callback_with_a_foreign_state_is_logged(client, caplog):
    page = client.get("/auth/logout/callback?state=forged")
    assert page.status_code == 200 and "Vous êtes déconnecté" in page.get_data(as_text=True)
    assert "unknown state" in caplog.text


def test_failures_are_reported_to_the_hook_and_a_broken_hook_does_not_break_the_page(client, fc, app, caplog):
    heard = []
    views.room(app).on_failure = lambda reason, request: heard.append((reason, request))
    params = start_login(client, fc)
    callback(client, error="access_denied", state=params["state"])
    assert heard == [("callback_error_access_denied", SignInRequest(
        next_path="/mon-espace", scopes=services(app).settings.franceconnect.scopes))]

    def broken(reason, context):
        raise RuntimeError("audit database down")

    views.room(app).on_failure = broken
    params = start_login(client, fc)
    response = callback(client, error="access_denied", state=params["state"])
    assert_failed(client, response, "annule", caplog, "callback_error_access_denied")
    assert "sign-in failure hook failed type=RuntimeError" in caplog.text


@pytest.mark.parametrize("next_path", ["//evil.example/x", "https://evil.example/", "/a?b=c", "/\\evil"])
def test_error_page_retry_never_points_elsewhere(client, next_path):
    html = client.get("/auth/erreur?" + urlencode({"motif": "annule", "next": next_path})).get_data(as_text=True)
    assert 'name="next"' not in html and "evil" not in html


def test_error_page_retry_keeps_a_journey_destination(client):
    query = urlencode({"motif": "annule", "next": "/preadmission/chu-demo/personnes", "sources": "cnam,bogus"})
    html = client.get("/auth/erreur?" + query).get_data(as_text=True)
    assert 'name="next" value="/preadmission/chu-demo/personnes"' in html
    assert 'name="sources_chosen" value="1"' in html
    assert 'name="sources" value="bogus"' not in html


def test_an_unreadable_pending_attempt_is_refused_without_a_500(client, fc, caplog):
    params = start_login(client, fc)
    with client.session_transaction() as session:
        unreadable = {"state": params["state"], "created_at": "yesterday"}
        session[sessions.SIGN_INS][params["state"]]["transaction"] = unreadable
        session.modified = True  # a value changed in place: the session is stored only when marked changed
    response = callback(client, **params)
    assert_failed(client, response, "expire", caplog, "state_expired")
    assert fc.hits["token"] == 0
    start_login(client, fc)  # a new attempt is not hindered by the unreadable one


@pytest.mark.parametrize("claim", ["family_name", "birthdate"])
def test_an_identity_without_its_anchor_gets_a_page_that_says_so(client, fc, caplog, claim):
    fc.userinfo_claims[claim] = DELETE
    response = callback(client, **start_login(client, fc))
    html = assert_failed(client, response, "identite", caplog, "userinfo_invalid_identity")
    assert "Votre identité transmise par FranceConnect est incomplète" in html
    assert "dossier papier" in html and "Réessayer" not in html


def test_an_identity_without_gender_or_given_name_signs_in(client, fc):
    fc.userinfo_claims.update(gender=DELETE, given_name=DELETE, given_name_array=DELETE)
    response = callback(client, **start_login(client, fc))
    assert response.status_code == 303 and response.headers["Location"] == "/mon-espace"
    assert (session_of(client).identity.gender, session_of(client).identity.given_name) == ("", "")
    assert client.get("/mon-espace").status_code == 200


# Inputs found by attack, and FranceConnect's qualification items -----------------------------------------------

def sign_in_with(client, fc, next_path):
    response = client.post("/auth/login", data={"csrf_token": csrf_token(client), "next": next_path})
    return callback(client, **fc.authorize(response.headers["Location"]))


@pytest.mark.parametrize("next_path", ["/mon-espace\n", "/mon-espace\r\nSet-Cookie: x=1", "//evil.example/x",
                                       "https://evil.example/", "/a?b=c", "/\\evil"])
def test_login_refuses_an_unsafe_next_and_the_callback_lands_home(client, fc, next_path):
    response = sign_in_with(client, fc, next_path)
    assert response.status_code == 303 and response.headers["Location"] == "/mon-espace"
    assert session_of(client).identity is not None


def test_the_callback_checks_next_again(client, fc):
    params = start_login(client, fc)
    with client.session_transaction() as session:  # as if a planner (or a stored attempt) carried a bad path
        session[sessions.SIGN_INS][params["state"]]["request"]["next_path"] = "//evil.example/x"
        session.modified = True  # a value changed in place: the session is stored only when marked changed
    response = callback(client, **params)
    assert response.status_code == 303 and response.headers["Location"] == "/mon-espace"


def test_state_and_nonce_are_letters_and_digits_only(client, fc):
    for _ in range(20):
        params = start_login(client, fc)
        sent = session_of(client).take_sign_in(params["state"]).transaction
        assert re.fullmatch(r"[A-Za-z0-9]{32,}", sent.state) and re.fullmatch(r"[A-Za-z0-9]{32,}", sent.nonce)
        assert params["state"] == sent.state


@pytest.mark.parametrize("error", ["invalid_request", "invalid_acr", "unsupported_response_type", "invalid_scope"])
def test_documented_configuration_errors_are_named_in_the_log(client, fc, caplog, error):
    params = start_login(client, fc)
    response = callback(client, error=error, error_description="SECRET-DESCRIPTION-MARKER", state=params["state"])
    assert_failed(client, response, "configuration", caplog, f"callback_error_{error}")
    assert any(r.levelname == "ERROR" and f"error={error}" in r.getMessage() for r in caplog.records)
    assert "SECRET-DESCRIPTION-MARKER" not in caplog.text  # the OP's description is never logged


def signed_in_with_draft(client, fc):
    callback(client, **start_login(client, fc))
    with client.session_transaction() as session:
        SessionState(session).save_draft({"address": "1 rue X"}, new_key=lambda: "draft-key-0001")
    return session_of(client)


@pytest.mark.parametrize("query", [{}, {"state": "A" * 43}, {"code": "c" * 43, "state": "B" * 43},
                                   {"error": "access_denied"}, {"error": "access_denied", "state": "C" * 43}])
def test_a_cross_site_callback_without_a_valid_state_ends_nothing(client, fc, query):
    signed_in_with_draft(client, fc)
    response = callback(client, **query)
    assert response.status_code == 303 and "/auth/erreur" in response.headers["Location"]
    kept = session_of(client)
    assert kept.identity is not None and kept.draft is not None and kept.id_token


@pytest.mark.parametrize("query", ["", "?state=forged", "?state=" + "A" * 43])
def test_a_cross_site_logout_callback_ends_nothing(client, fc, query):
    signed_in_with_draft(client, fc)
    page = client.get("/auth/logout/callback" + query)
    assert page.status_code == 200
    kept = session_of(client)
    assert kept.identity is not None and kept.draft is not None


def test_login_refuses_thousands_of_fields(client):
    body = urlencode([("csrf_token", csrf_token(client)), *((f"f{i}", "x") for i in range(5000))])
    response = client.post("/auth/login", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413 and 'lang="fr"' in response.get_data(as_text=True)


def test_logout_deletes_the_host_cookie_with_secure_and_path(client, fc, app):
    name = app.config["SESSION_COOKIE_NAME"]
    assert name.startswith("__Host-")
    callback(client, **start_login(client, fc))
    response = client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/mon-espace")})
    back = fc.end_session(response.headers["Location"])
    ended = client.get("/auth/logout/callback?" + urlencode(back))
    deletions = [h for h in ended.headers.getlist("Set-Cookie") if h.startswith(f"{name}=;")]
    assert len(deletions) == 1, ended.headers.getlist("Set-Cookie")
    attributes = [part.strip().lower() for part in deletions[0].split(";")]
    assert "secure" in attributes and "path=/" in attributes
    assert not any(part.startswith("domain") for part in attributes)
