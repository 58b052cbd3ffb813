"""What an organisation's registry entry changes in the pages: the sources offered, the retention shown and used."""

from __future__ import annotations

import re

import pytest
import tomlkit
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.dossiers.models import Dossier
from app.extensions import services
from app.organisations.settings import DEMO_FILE
from tests.journeys.support import journeys_app
from tests.journeys.test_views import CHU, MUTUELLE, csrf_token, sign_in, to_review


@pytest.fixture
def app(make_app, tmp_path):
    # The demo registry, with a hospital that asks only the CNAM and keeps its dossiers 45 days.
    registry = tomlkit.parse(DEMO_FILE.read_text(encoding="utf-8"))
    registry["organisations"]["chu-demo"]["sources"] = ["cnam"]
    registry["organisations"]["chu-demo"]["retention_days"] = 45
    path = tmp_path / "organisations.toml"
    path.write_text(tomlkit.dumps(registry), encoding="utf-8")
    return journeys_app(make_app, ORGANISATIONS_FILE=str(path),
                        DOSSIER_RETENTION_DAYS={"preadmission": 90, "adhesion": 30})


def offered_sources(html: str) -> list[str]:
    return re.findall(r'type="checkbox" id="source-(\w+)" name="sources"', html)


def test_the_information_page_offers_only_the_sources_the_organisation_may_request(client):
    assert offered_sources(client.get(f"{CHU}/").get_data(as_text=True)) == ["cnam"]
    assert offered_sources(client.get(f"{MUTUELLE}/").get_data(as_text=True)) == ["c2s", "cnam"]


def test_the_information_page_offers_no_source_the_deployment_lacks(make_app, tmp_path):
    app = make_app(ORGANISATIONS_FILE=str(DEMO_FILE), RIGHTS_SOURCES="cnam", CNAM_API_URL="https://cnam.test",
                   CNAM_API_KEY="test-key")
    assert offered_sources(app.test_client().get(f"{MUTUELLE}/").get_data(as_text=True)) == ["cnam"]


def test_the_organisation_s_retention_is_shown(client):
    assert "45 jours" in client.get(f"{CHU}/").get_data(as_text=True)
    assert "30 jours" in client.get(f"{MUTUELLE}/").get_data(as_text=True)  # the journey's default
    privacy = client.get("/donnees-personnelles").get_data(as_text=True)
    assert "90 jours pour une pré-admission" in privacy
    assert "CHU de Démonstration : 45 jours" in privacy and "Mutuelle de Démonstration :" not in privacy


def test_the_organisation_s_retention_is_used(client, app):
    sign_in(client)
    to_review(client)
    token = csrf_token(client.get(f"{CHU}/verification").get_data(as_text=True))
    assert client.post(f"{CHU}/envoi", data={"csrf_token": token}).status_code == 303
    with Session(services(app).dossiers.engine) as session:
        dossier = session.scalars(select(Dossier)).one()
    assert (dossier.purge_after - dossier.created_at).days == 45


def test_the_start_page_says_when_there_is_no_organisation(make_app):
    html = make_app().test_client().get("/").get_data(as_text=True)
    assert "Aucune démarche n’est proposée" in html
