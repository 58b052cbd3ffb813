"""Attachments through the pull API: listed in the dossier, downloaded by their organisation only, audited."""

from __future__ import annotations

import base64
import hashlib

from app.extensions import services
from app.journeys.uploads import check_file
from tests.delivery.conftest import MUTUELLE_KEY, bearer, content_of
from tests.journeys.support import audit_details

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def submit_with_file(app, key="draft-with-file-0001", organisation="chu-demo", data=PDF):
    store = services(app).dossiers
    journey = "preadmission" if organisation == "chu-demo" else "adhesion"
    checked = check_file(data)
    attachment = store.attachments.add(draft_key=key, organisation=organisation, journey=journey,
                                       kind="rights_attestation", media_type=checked.media_type,
                                       name="<b>attestation</b>.pdf", data=checked.data)
    content = {**content_of(journey), "attachments": [attachment.to_content()]}
    reference = store.submit(idempotency_key=key, organisation=organisation, journey=journey, content=content,
                             retention_days=90, attachments=[attachment.id]).reference
    return reference, attachment


def test_the_dossier_lists_its_files_without_their_names(api, api_app):
    reference, attachment = submit_with_file(api_app)
    listed = api.get(f"/api/v1/dossiers/{reference}", headers=bearer()).json["content"]["attachments"]
    assert listed == [{"id": attachment.id, "kind": "rights_attestation", "media_type": "application/pdf",
                       "size": len(PDF), "sha256": hashlib.sha256(PDF).hexdigest()}]


def test_a_file_downloads_with_its_type_its_digest_and_an_audit_event(api, api_app):
    reference, attachment = submit_with_file(api_app)
    response = api.get(f"/api/v1/dossiers/{reference}/attachments/{attachment.id}", headers=bearer())
    assert response.status_code == 200 and response.data == PDF and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="rights_attestation-{attachment.id}.pdf"')  # never the person's file name
    assert response.headers["Repr-Digest"] == f"sha-256=:{base64.b64encode(hashlib.sha256(PDF).digest()).decode()}:"
    assert response.headers["Cache-Control"] == "no-store"
    assert audit_details(api_app, "attachment_downloaded") == ["rights_attestation"]


def test_another_organisations_key_gets_a_404(api, api_app):
    reference, attachment = submit_with_file(api_app)
    response = api.get(f"/api/v1/dossiers/{reference}/attachments/{attachment.id}", headers=bearer(MUTUELLE_KEY))
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert PDF not in response.data and audit_details(api_app, "attachment_downloaded") == []


def test_a_file_of_another_dossier_is_a_404_even_with_the_right_key(api, api_app):
    mine, _ = submit_with_file(api_app)
    theirs, foreign = submit_with_file(api_app, key="draft-with-file-0002", organisation="mutuelle-demo")
    response = api.get(f"/api/v1/dossiers/{mine}/attachments/{foreign.id}", headers=bearer())
    assert response.status_code == 404 and PDF not in response.data
    ok = api.get(f"/api/v1/dossiers/{theirs}/attachments/{foreign.id}", headers=bearer(MUTUELLE_KEY))
    assert ok.status_code == 200


def test_without_a_key_nothing_downloads(api, api_app):
    reference, attachment = submit_with_file(api_app)
    response = api.get(f"/api/v1/dossiers/{reference}/attachments/{attachment.id}")
    assert response.status_code == 401 and PDF not in response.data


def test_an_unknown_or_malformed_id_is_a_404(api, api_app):
    reference, _ = submit_with_file(api_app)
    for attachment_id in ("att_" + "0" * 32, "..%2F..%2Fetc%2Fpasswd", "x" * 300):
        response = api.get(f"/api/v1/dossiers/{reference}/attachments/{attachment_id}", headers=bearer())
        assert response.status_code == 404


def test_the_openapi_document_describes_the_download(api):
    document = api.get("/api/v1/openapi.json").json
    path = document["paths"]["/api/v1/dossiers/{reference}/attachments/{attachment_id}"]["get"]
    assert set(path["responses"]["200"]["content"]) == {"application/pdf", "image/jpeg", "image/png"}
    assert "AttachmentSchema" in str(document["components"]["schemas"]) or "Attachment" in document["components"][
        "schemas"]


def test_the_fhir_bundle_points_at_each_file_with_a_document_reference(api, api_app):
    reference, attachment = submit_with_file(api_app)
    bundle = api.get(f"/api/v1/dossiers/{reference}", headers={**bearer(), "Accept": "application/fhir+json"}).json
    documents = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "DocumentReference"]
    assert len(documents) == 1
    [content] = documents[0]["content"]
    assert content["attachment"] == {"contentType": "application/pdf", "size": len(PDF),
                                     "title": "Attestation de droits à l’Assurance Maladie",
                                     "url": f"/api/v1/dossiers/{reference}/attachments/{attachment.id}"}
    patient = next(e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    assert documents[0]["subject"]["reference"] == patient and "attestation</b>" not in str(bundle)
    assert api.get(content["attachment"]["url"], headers=bearer()).data == PDF
