"""FranceConnect's qualification items that a copy of the code could drop silently: each test fails when its item
is removed (shared/reference/franceconnect.md; the button and its link, §14)."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from app import web
from app.config import DEFAULTS, load_settings
from app.config_values import ConfigError
from app.franceconnect import settings as fc_settings
from app.franceconnect.client import FranceConnectClient
from app.organisations.settings import DEMO_FILE
from tests.portal import launch_path
from tests.test_config import PRODUCTION

CHU = "/preadmission/chu-demo"


@pytest.fixture
def app(make_app):
    return make_app(ORGANISATIONS_FILE=str(DEMO_FILE))


def test_production_refuses_to_start_without_the_official_button_stylesheet(monkeypatch, tmp_path):
    settings = load_settings(PRODUCTION)
    web.init_app(Flask("with-dsfr"), settings)  # installed: starts
    monkeypatch.setattr(web, "DSFR_ASSETS", {"connect.min.css": tmp_path / "absent" / "connect.min.css"})
    with pytest.raises(ConfigError, match="DSFR stylesheet.*npm ci"):
        web.init_app(Flask("without-dsfr"), settings)


def test_development_starts_without_the_stylesheet_and_says_so(monkeypatch, tmp_path, caplog):
    monkeypatch.setattr(web, "DSFR_ASSETS", {"connect.min.css": tmp_path / "absent.css"})
    web.init_app(Flask("dev"), load_settings({**DEFAULTS, "ENVIRONMENT": "development"}))
    assert "DSFR stylesheet not installed" in caplog.text


@pytest.mark.parametrize("override", [
    {"FC_ISSUER": "https://fcp-low.integ01.dev-franceconnect.fr/api/v2"},
    {"FC_ISSUER": "https://auth.integ01.dev-franceconnect.fr/api/v2"},
    {"FC_ISSUER": "https://fcp-low.sbx.dev-franceconnect.fr/api/v2"},
    {"FC_ISSUER": "https://FCP-LOW.INTEG01.DEV-FRANCECONNECT.FR/api/v2"},
    {"FC_CLIENT_ID": fc_settings.DEV_CLIENT_ID},
    {"FC_CLIENT_ID": fc_settings.PUBLIC_INTEGRATION_CLIENT_ID},
    {"FC_CLIENT_SECRET": fc_settings.DEV_CLIENT_SECRET},
    {"FC_CLIENT_SECRET": fc_settings.PUBLIC_INTEGRATION_SECRET},
])
def test_production_refuses_integration_and_development_credentials(override):
    with pytest.raises(ConfigError, match="FC_"):
        load_settings({**PRODUCTION, **override})


def test_integration_issuer_is_fine_outside_production():
    settings = load_settings({**PRODUCTION, "ENVIRONMENT": "development", "SANDBOX": False,
                              "FC_ISSUER": "https://fcp-low.integ01.dev-franceconnect.fr/api/v2"})
    assert settings.franceconnect.issuer.startswith("https://fcp-low.integ01.")


def test_sessions_are_idle_for_thirty_minutes_by_default():
    assert load_settings(PRODUCTION).session.idle_timeout == 30 * 60
    assert load_settings({**DEFAULTS, "ENVIRONMENT": "development"}).session.idle_timeout == 30 * 60


def test_state_and_nonce_are_letters_and_digits_of_at_least_32_characters():
    client = FranceConnectClient(load_settings(PRODUCTION).franceconnect)
    for _ in range(50):  # token_urlsafe would put a "-" or "_" in one of them long before 50
        tx = client.new_transaction()
        assert re.fullmatch(r"[A-Za-z0-9]{32,}", tx.state) and re.fullmatch(r"[A-Za-z0-9]{32,}", tx.nonce)
        assert tx.state != tx.nonce


def _pages(client) -> dict[str, str]:
    opened = client.get(launch_path("chu-demo", audience="http://localhost"))
    return {
        "start": client.get("/").get_data(as_text=True),
        "information": client.get(opened.headers["Location"]).get_data(as_text=True),
        **{f"error-{motif}": client.get(f"/auth/erreur?motif={motif}").get_data(as_text=True)
           for motif in ("annule", "indisponible", "configuration", "expire", "echec", "identite")},
    }


def test_an_alternative_to_franceconnect_is_offered_on_the_start_information_and_error_pages(client):
    for name, html in _pages(client).items():
        text = re.sub(r"\s+", " ", html)
        assert re.search(r"dossier papier|ne pas utiliser FranceConnect", text), name


def test_the_what_is_franceconnect_link_opens_franceconnect_in_an_announced_new_window(client):
    pages = _pages(client)
    for name in ("start", "information", "error-annule"):
        links = re.findall(r"<a ([^>]*)>\s*Qu’est-ce que FranceConnect \?\s*</a>", pages[name])
        assert len(links) == 1, name
        attributes = dict(re.findall(r'([a-z]+)="([^"]*)"', links[0]))
        assert attributes["href"] == "https://franceconnect.gouv.fr/"
        assert attributes["target"] == "_blank" and "noopener" in attributes["rel"]
        assert attributes["title"].endswith("nouvelle fenêtre")



def test_a_form_posted_after_the_session_ended_says_so(make_app):
    app = make_app()
    client = app.test_client()
    page = client.get("/")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    client.delete_cookie("dc_session")  # the session store lost it, or it expired
    response = client.post("/auth/login", data={"csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Votre session a expiré" in html
    client.get("/")  # a new session, with its token
    forged = client.post("/auth/login", data={"csrf_token": "forged"})
    assert "Le formulaire a expiré" in forged.get_data(as_text=True)
