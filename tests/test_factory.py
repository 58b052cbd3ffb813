"""The factory's cross-cutting behaviour: pages, headers, sessions, error pages."""

import re

import pytest


def test_start_page_shows_the_official_franceconnect_button(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<button class="fr-connect" type="submit">' in html
    assert "Qu’est-ce que FranceConnect ?" in html
    assert re.search(r'<form method="post" action="/auth/login"', html)
    assert 'name="csrf_token"' in html
    assert "<script" not in html and "style=" not in html


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'",
                      "frame-ancestors 'none'", "form-action 'self' https://fc.test"):
        assert directive in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # http PUBLIC_URL


def test_security_headers_are_sent_once_and_a_view_keeps_its_own(make_app):
    app = make_app()

    @app.get("/framed")
    def framed():
        return "x", {"x-frame-options": "SAMEORIGIN"}  # any case: HTTP header names are case-insensitive

    response = app.test_client().get("/framed")
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
                 "Cross-Origin-Opener-Policy", "Permissions-Policy"):
        assert len(response.headers.getlist(name)) == 1, name


def test_https_deployment_uses_host_prefixed_secure_cookie_and_hsts(make_app):
    app = make_app(PUBLIC_URL="https://droits.example.fr")
    client = app.test_client()
    with client.session_transaction() as session:
        session["x"] = 1
    response = client.get("/", base_url="https://droits.example.fr")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-dc_session=")
    for attribute in ("Secure", "HttpOnly", "Path=/", "SameSite=Lax"):
        assert attribute in cookie
    assert "Domain=" not in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_pages_without_forms_set_no_session_cookie(client):
    # The start page holds the login form and so a CSRF token in a session; plain pages need none.
    assert "Set-Cookie" not in client.get("/accessibilite").headers


@pytest.mark.parametrize("path, status", [("/nope", 404), ("/auth/login", 405)])
def test_error_pages_are_french(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert 'lang="fr"' in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client):
    response = client.post("/auth/login")
    assert response.status_code == 400
    assert "Le formulaire a expiré" in response.get_data(as_text=True)


def test_unexpected_errors_show_no_stack_trace(app, caplog):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret personal value 1 85 03 75 107 042 57")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Traceback" not in html and "secret personal value" not in html
    assert "secret personal value" not in caplog.text
    assert "RuntimeError" in caplog.text


def test_signed_in_page_requires_a_session(client):
    response = client.get("/mon-espace")
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_privacy_page_states_the_configured_retention(make_app):
    app = make_app(DOSSIER_RETENTION_DAYS={"preadmission": 45, "adhesion": 20}, ATTACHMENT_DRAFT_HOURS=12)
    html = app.test_client().get("/donnees-personnelles").get_data(as_text=True)
    assert "45 jours pour une pré-admission" in html and "20 jours pour une adhésion" in html
    assert "au plus tard 12 heures après si vous n’envoyez pas le dossier" in " ".join(html.split())


def test_logging_configured_by_the_host_gets_each_record_once(make_app):
    import logging

    assert logging.getLogger().handlers  # pytest, like the dev server or a WSGI server, configured logging
    make_app()
    assert logging.getLogger("app").handlers == []  # records propagate to the host's handlers only


def test_the_app_tells_each_function_sync_once_and_keeps_a_bounded_memory(app, monkeypatch):
    import flask.app

    asked = []
    monkeypatch.setattr(flask.app, "iscoroutinefunction", lambda func: asked.append(func) or False)

    def hook():
        return "ran"

    assert app.ensure_sync(hook)() == "ran" and app.ensure_sync(hook) is hook
    assert asked == [hook]  # the second request's question is answered from memory

    class Unhashable:
        __hash__ = None

        def __call__(self):
            return "ran too"

    assert app.ensure_sync(Unhashable())() == "ran too"
    for _ in range(app._REMEMBERED + 10):  # new callables each time: the memory stops growing
        app.ensure_sync(lambda: None)
    assert len(app._sync) == app._REMEMBERED
