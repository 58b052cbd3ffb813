"""The pull API as an organisation uses it: list, page, read in each representation, acknowledge."""

from __future__ import annotations

import datetime as dt

import pytest

from app.delivery.schemas import DossierSchema
from app.extensions import services
from tests.delivery.conftest import HOSPITAL_KEY, HOSPITAL_NEW_KEY, MUTUELLE_KEY, bearer, content_of


def test_an_organisation_lists_its_dossiers_without_their_content(api, submit):
    mine = [submit(), submit()]
    submit("mutuelle-demo")
    response = api.get("/api/v1/dossiers", headers=bearer())
    assert response.status_code == 200 and response.mimetype == "application/json"
    page = response.json
    assert [item["reference"] for item in page["items"]] == mine and page["next_cursor"] is None
    assert set(page["items"][0]) == {"reference", "organisation", "journey", "status", "created_at", "delivered_at",
                                     "purge_after"}
    assert page["items"][0]["status"] == "submitted" and page["items"][0]["delivered_at"] is None


def test_both_keys_of_a_rotation_work(api, submit):
    submit()
    for key in (HOSPITAL_KEY, HOSPITAL_NEW_KEY):
        assert len(api.get("/api/v1/dossiers", headers=bearer(key)).json["items"]) == 1


def test_pages_follow_the_cursor_to_the_end(api, submit):
    references = [submit() for _ in range(5)]
    seen, url = [], "/api/v1/dossiers?limit=2&status=submitted"
    while url:
        page = api.get(url, headers=bearer()).json
        seen += [item["reference"] for item in page["items"]]
        url = page["next_cursor"] and f"/api/v1/dossiers?limit=2&status=submitted&cursor={page['next_cursor']}"
    assert seen == references


def test_since_and_status_filter(api, submit):
    first = submit()
    api.post(f"/api/v1/dossiers/{first}/ack", headers=bearer())
    second = submit()
    assert [i["reference"] for i in api.get("/api/v1/dossiers?status=submitted", headers=bearer()).json["items"]] \
        == [second]
    assert [i["reference"] for i in api.get("/api/v1/dossiers?status=delivered", headers=bearer()).json["items"]] \
        == [first]
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    response = api.get("/api/v1/dossiers", query_string={"since": future}, headers=bearer())
    assert response.status_code == 200 and response.json["items"] == []


def test_a_dossier_reads_as_json_with_every_provenance(api, submit):
    reference = submit()
    response = api.get(f"/api/v1/dossiers/{reference}", headers={**bearer(), "Accept": "application/json"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    dossier = response.json
    assert dossier["schema_version"] == "1" and dossier["reference"] == reference
    assert (dossier["organisation"], dossier["journey"], dossier["status"]) == ("chu-demo", "preadmission",
                                                                                "submitted")
    assert dossier["content"] == content_of("preadmission")  # nothing lost nor added on the way
    assert dossier["content"]["fields"]["first_names"]["source"] == "cnam"


@pytest.mark.parametrize("journey", ["preadmission", "adhesion"])
def test_the_documented_schema_keeps_the_whole_content(journey):
    content = content_of(journey)
    assert DossierSchema().dump({"reference": "DC-2222-3333", "content": content})["content"] == content


def test_a_dossier_reads_as_fhir_and_hl7(api, submit):
    reference = submit()
    fhir = api.get(f"/api/v1/dossiers/{reference}", headers={**bearer(), "Accept": "application/fhir+json"})
    assert fhir.status_code == 200 and fhir.mimetype == "application/fhir+json"
    assert fhir.json["resourceType"] == "Bundle" and fhir.json["identifier"]["value"] == reference
    for media_type in ("application/hl7-v2", "x-application/hl7-v2+er7"):
        hl7 = api.get(f"/api/v1/dossiers/{reference}", headers={**bearer(), "Accept": media_type})
        assert hl7.status_code == 200 and hl7.mimetype == media_type
        assert hl7.get_data(as_text=True).startswith("MSH|") and reference in hl7.get_data(as_text=True)


def test_an_adhesion_has_no_hl7_rendering(api, submit):
    reference = submit("mutuelle-demo")
    response = api.get(f"/api/v1/dossiers/{reference}", headers={**bearer(MUTUELLE_KEY),
                                                                  "Accept": "application/hl7-v2"})
    assert response.status_code == 406 and response.mimetype == "application/problem+json"
    assert response.json["type"].endswith("#problem-not-acceptable")
    fhir = api.get(f"/api/v1/dossiers/{reference}", headers={**bearer(MUTUELLE_KEY),
                                                             "Accept": "application/fhir+json"})
    assert fhir.status_code == 200


def test_acknowledging_delivers_and_shortens_the_retention_idempotently(api, api_app, submit):
    reference = submit()
    before = services(api_app).dossiers.summary(reference)
    first = api.post(f"/api/v1/dossiers/{reference}/ack", headers=bearer())
    assert first.status_code == 200 and first.json["status"] == "delivered"
    delivered_at = dt.datetime.fromisoformat(first.json["delivered_at"])
    purge_after = dt.datetime.fromisoformat(first.json["purge_after"])
    assert purge_after == delivered_at + dt.timedelta(days=7) < before.purge_after
    again = api.post(f"/api/v1/dossiers/{reference}/ack", headers=bearer(HOSPITAL_NEW_KEY))
    assert again.status_code == 200 and again.json == first.json
    assert services(api_app).dossiers.get(reference).status == "delivered"


def test_the_api_sets_no_cookie_and_needs_no_csrf_token(api, submit):
    reference = submit()
    response = api.post(f"/api/v1/dossiers/{reference}/ack", headers=bearer())
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert "Set-Cookie" not in api.get("/api/v1/dossiers", headers=bearer()).headers


def test_the_openapi_document_and_its_page_need_no_key(api):
    document = api.get("/api/v1/openapi.json")
    assert document.status_code == 200 and document.json["openapi"] == "3.1.0"
    assert {"/api/v1/dossiers", "/api/v1/dossiers/{reference}", "/api/v1/dossiers/{reference}/ack"} <= set(
        document.json["paths"])
    page = api.get("/api/v1/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "<script" not in html and "http://" not in html.replace("http://localhost", "")
    assert 'id="problem-invalid-cursor"' in html and "GET /api/v1/dossiers/{reference}" in html
    assert 'id="schema-Provenance"' in html
