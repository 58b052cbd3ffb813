"""The commune of the address, chosen among the postal code's from the official data, and birth places by name."""

from __future__ import annotations

import pytest

from app.organisations.settings import DEMO_FILE
from tests.journeys.support import dossier_count
from tests.journeys.test_views import CHU, fill, post, session_of, sign_in

FORM = f"{CHU}/formulaire"


@pytest.fixture
def app(make_app):
    return make_app(ORGANISATIONS_FILE=str(DEMO_FILE))


def at_form(client) -> None:
    sign_in(client)
    assert post(client, f"{CHU}/personnes", {"patient": "self"}).status_code == 303


def draft(client) -> dict:
    return dict(session_of(client).draft.values)


def test_a_postal_code_with_one_commune_fills_it(client):
    at_form(client)
    assert fill(client, FORM, {"postal_code": "75007", "city_code": ""}).status_code == 303
    assert (draft(client)["city"], draft(client)["city_code"]) == ("Paris", "75056")


def test_finding_the_communes_comes_back_with_them_and_keeps_nothing(client, app):
    at_form(client)
    page = fill(client, FORM, {"postal_code": "95300", "city_code": "", "find_city": "1"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and session_of(client).draft is None
    assert '<select' in html and '<option value="95500">Pontoise</option>' in html
    assert '<option value="95211">Ennery</option>' in html and "field-error" not in html  # no other field checked
    assert 'formaction="#commune-choice"' in html and "formnovalidate" in html


def test_finding_the_communes_of_an_unknown_postal_code_says_so(client):
    at_form(client)
    html = fill(client, FORM, {"postal_code": "75999", "find_city": "1"}).get_data(as_text=True)
    assert "Aucune commune ne correspond à ce code postal" in html and "Erreur : " in html


def test_several_communes_and_none_chosen_is_an_error_with_the_choice_shown(client):
    at_form(client)
    page = fill(client, FORM, {"postal_code": "95300", "city_code": ""})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and session_of(client).draft is None
    assert "Plusieurs communes ont ce code postal : choisissez la vôtre." in html
    assert '<option value="95500">Pontoise</option>' in html and 'href="#city_code"' in html


@pytest.mark.parametrize("postal_code, city_code", [
    ("75007", "95500"),  # a real commune, of another postal code
    ("95300", "99999"),  # a code no commune has
    ("95300", "75107"),  # an arrondissement: an address names the commune
])
def test_a_commune_that_is_not_the_postal_code_s_is_refused(client, app, postal_code, city_code):
    at_form(client)
    html = fill(client, FORM, {"postal_code": postal_code, "city_code": city_code}).get_data(as_text=True)
    assert "Choisissez une commune de ce code postal." in html and session_of(client).draft is None
    assert dossier_count(app) == 0


def test_a_commune_typed_as_text_is_not_read_where_the_data_is_installed(client):
    at_form(client)
    assert fill(client, FORM, {"postal_code": "95300", "city_code": "95500", "city": "Gotham"}).status_code == 303
    assert draft(client)["city"] == "Pontoise"


def test_without_the_data_the_commune_is_typed(make_app, monkeypatch, tmp_path, caplog):
    monkeypatch.setattr("app.geography.settings.DEFAULT_PACKAGE_DIR", tmp_path / "none")
    client = make_app(ORGANISATIONS_FILE=str(DEMO_FILE)).test_client()
    assert "communes data not installed (run `npm ci`)" in caplog.text  # said once, at start-up
    at_form(client)
    html = client.get(FORM).get_data(as_text=True)
    assert 'name="city"' in html and "find_city" not in html
    assert fill(client, FORM, {"city": "Pontoise"}).status_code == 303
    assert draft(client)["city"] == "Pontoise" and "city_code" not in draft(client)


def test_the_birth_place_is_shown_by_name_on_the_form_the_review_and_the_receipt(client):
    at_form(client)
    form = client.get(FORM).get_data(as_text=True)
    assert "Paris 7e Arrondissement (75)" in form and "Commune de code INSEE" not in form
    assert fill(client, FORM).status_code == 303
    review = client.get(f"{CHU}/verification").get_data(as_text=True)
    assert "Paris 7e Arrondissement (75)" in review
    assert post(client, f"{CHU}/envoi", {}, page=f"{CHU}/verification").status_code == 303
    receipt = client.get(f"{CHU}/recepisse").get_data(as_text=True)
    assert "Paris 7e Arrondissement (75)" in receipt and "Commune de code INSEE" not in receipt


def test_the_privacy_page_names_the_communes_data_and_its_version(client, app):
    from app.extensions import services

    html = client.get("/donnees-personnelles").get_data(as_text=True)
    assert f"<span data-communes-version>{services(app).communes.version}</span>" in html


def test_the_commune_is_not_said_to_be_optional(client):
    at_form(client)
    html = fill(client, FORM, {"postal_code": "95300", "city_code": "", "find_city": "1"}).get_data(as_text=True)
    label = html[html.index('<label for="city_code">'):]
    assert label[:label.index("</label>")].endswith("Commune")
