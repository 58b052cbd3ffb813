"""The sign-in's second half: when data sources are to be called, the callback answers at once with « Nous
récupérons vos droits… », which moves on by itself (meta refresh) to the retrieval; the verified access token waits
for it in the encrypted session only, under a single-use handle, for a few seconds."""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import urlsplit

import pytest

from app.extensions import services
from app.franceconnect import views
from app.franceconnect.client import RETRIEVAL_WINDOW, TokenResult, VerifiedSignIn
from app.model.signin import SignInRequest, SignInResult
from app.sessions import VERIFIED_SIGN_IN
from tests.franceconnect.fakefc import FakeFranceConnect
from tests.franceconnect.test_views import PUBLIC_URL, assert_failed, callback, https_client, session_of, start_login

REFRESH = re.compile(r'<meta http-equiv="refresh" content="0;url=(/auth/recuperation\?id=[A-Za-z0-9]+)">')


@pytest.fixture
def app(make_app):
    return make_app(PUBLIC_URL=PUBLIC_URL, FC_ISSUER="https://fc.test/api/v2",
                    FC_CLIENT_ID="6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985704f39950",
                    FC_CLIENT_SECRET="test-client-secret-0123456789abcdef")


@pytest.fixture
def client(app):
    return https_client(app)


@pytest.fixture
def calls(app):
    """The sign-in hook, recorded: the identity only (the providers are the connectors' tests' business); every
    sign-in asks for both sources, as a journey's does (this room only sees that there are some)."""
    made = []
    scopes = services(app).settings.franceconnect.scopes
    views.room(app).plan = lambda next_path, chosen: SignInRequest(next_path, ("c2s", "cnam"), scopes)

    def hook(client, token, request):
        made.append((token.access_token, request.sources))
        return SignInResult(identity=client.fetch_userinfo(token))

    views.room(app).hook = hook
    return made


@pytest.fixture
def fc(app):
    with FakeFranceConnect.for_settings(services(app).settings.franceconnect) as fake:
        yield fake


def verified_callback(client, fc):
    response = callback(client, **start_login(client, fc))
    assert response.status_code == 200, response.status_code
    return response, REFRESH.search(response.get_data(as_text=True)).group(1)


def test_the_callback_answers_at_once_and_the_retrieval_follows(client, fc, calls, caplog):
    caplog.set_level(logging.INFO)
    response, url = verified_callback(client, fc)
    html = response.get_data(as_text=True)
    assert 'role="status"' in html and "Nous récupérons vos droits" in html
    assert f'<a href="{url}">Continuer</a>' in html  # without the refresh, a link
    assert response.headers["Referrer-Policy"] == "no-referrer" and response.headers["Cache-Control"] == "no-store"
    assert calls == [] and session_of(client).identity is None  # nothing fetched yet, not signed in yet
    assert fc.issued_access_tokens[-1] not in html

    done = client.get(url)
    assert done.status_code == 303 and done.headers["Location"] == "/mon-espace"
    assert done.headers["Referrer-Policy"] == "no-referrer"
    assert calls == [(fc.issued_access_tokens[-1], ("c2s", "cnam"))]
    assert session_of(client).identity.family_name == "DUBOIS"
    with client.session_transaction() as session:
        assert VERIFIED_SIGN_IN not in session  # the token does not outlive its retrieval
    for secret in (fc.issued_access_tokens[-1], fc.issued_id_tokens[-1], urlsplit(url).query):
        assert secret not in caplog.text


def test_a_retrieval_serves_once(client, fc, calls, caplog):
    _, url = verified_callback(client, fc)
    assert client.get(url).status_code == 303
    replay = client.get(url)
    assert_failed_keeping_session(client, replay, caplog, "retrieval_unknown_or_used")
    assert len(calls) == 1
    assert session_of(client).identity is not None  # a replayed link does not end the signed-in session


def assert_failed_keeping_session(client, response, caplog, reason):
    assert response.status_code == 303 and urlsplit(response.headers["Location"]).path == "/auth/erreur"
    assert "motif=expire" in response.headers["Location"]
    assert f"reason={reason}" in caplog.text


def test_a_forged_handle_neither_retrieves_nor_cancels_the_persons_sign_in(client, fc, calls, caplog):
    _, url = verified_callback(client, fc)
    for forged in ("/auth/recuperation?id=" + "A" * 43, "/auth/recuperation", "/auth/recuperation?id=x%0a",
                   url + "&id=" + url.split("=")[1]):  # the same handle twice is refused as well
        assert_failed_keeping_session(client, client.get(forged), caplog, "retrieval_unknown_or_used")
    assert calls == []
    assert client.get(url).status_code == 303 and len(calls) == 1  # the real one still goes through


def test_a_retrieval_too_late_for_the_token_is_refused(client, fc, calls, caplog, monkeypatch):
    _, url = verified_callback(client, fc)
    later = time.time() + RETRIEVAL_WINDOW + 1
    monkeypatch.setattr(views.time, "time", lambda: later)
    response = client.get(url)
    assert_failed(client, response, "expire", caplog, "retrieval_expired")
    assert calls == []


def _token(expires_at):
    return TokenResult("at", "id", {"sub": "s"}, ("openid",), "s", expires_at)


def test_the_token_must_still_outlive_the_longest_retrieval():
    now = 1_000_000.0
    assert not VerifiedSignIn("h", _token(int(now) + 60), now).expired(now + 1)
    assert VerifiedSignIn("h", _token(int(now) + 60), now).expired(now + RETRIEVAL_WINDOW + 0.5)
    assert VerifiedSignIn("h", _token(int(now) + 25), now).expired(now)  # under 30 s of life left
    assert VerifiedSignIn("h", _token(None), now).expired(now - 5)  # a clock gone backwards
    assert not VerifiedSignIn("h", _token(None), now).expired(now + 5)


@pytest.mark.parametrize("stored", [
    None, "x", {"handle": "h", "verified_at": 1.0},
    {"handle": "", "verified_at": 1.0, "token": _token(None).to_dict()},
    {"handle": "h", "verified_at": True, "token": _token(None).to_dict()},
    {"handle": "h", "verified_at": 1.0, "token": dict(_token(None).to_dict(), access_token=None)},
    {"handle": "h", "verified_at": 1.0, "token": dict(_token(None).to_dict(), scope="openid")},
    {"handle": "h", "verified_at": 1.0, "token": dict(_token(None).to_dict(), expires_at="soon")},
])
def test_a_stored_verified_sign_in_that_does_not_rebuild_is_refused(stored):
    with pytest.raises(ValueError):
        VerifiedSignIn.from_dict(stored)


def test_a_verified_sign_in_round_trips_and_hides_its_token():
    held = VerifiedSignIn("handle", _token(123), 5.0)
    assert VerifiedSignIn.from_dict(held.to_dict()) == held
    assert "at" not in repr(held).replace("verified_at", "").replace("VerifiedSignIn", "")
