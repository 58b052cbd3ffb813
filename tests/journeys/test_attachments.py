"""The « Pièces justificatives » step: content detection, caps, removal, the review, binding at submission,
the receipt; every refusal with its French sentence and a log line without the file's name."""

from __future__ import annotations

import io
import logging
import re

import pytest
from PIL import Image
from werkzeug import formparser
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.extensions import services
from tests.journeys.factories import c2s_ok, cnam_ok, failed
from tests.journeys.support import csrf_token, dossier_count, journeys_app
from tests.journeys.test_views import CHU, MUTUELLE, START, post, sign_in, to_review

PIECES = f"{CHU}/pieces"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
HOSTILE_NAME = "<img src=x onerror=alert(1)> DUBOIS.pdf"
ESCAPED_NAME = "&lt;img src=x onerror=alert(1)&gt; DUBOIS.pdf"


def jpeg(size=(64, 48), **options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "navy").save(out, "JPEG", **options)
    return out.getvalue()


def png(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 0, 255)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def app(make_app):
    return journeys_app(make_app, ATTACHMENT_MAX_FILE_MB=1, ATTACHMENT_MAX_COUNT=3, ATTACHMENT_MAX_TOTAL_MB=2)


@pytest.fixture
def drafted(client):
    """Signed in, the form filled in: the person is on the upload page."""
    sign_in(client)
    response = to_review(client)
    assert response.headers["Location"] == PIECES  # the form's « Continuer » leads here, not to the review
    return client


def upload(client, files, *, path=PIECES, suite="ajouter"):
    """Post files as a browser's multipart form would: {kind: (bytes, name, declared type)}."""
    token = csrf_token(client.get(path).get_data(as_text=True))
    data = MultiDict({"csrf_token": token, "suite": suite})
    for kind, (content, name, declared) in files.items():
        data.add(f"piece-{kind}", FileStorage(io.BytesIO(content), filename=name, content_type=declared))
    # Encoded in memory: the test client would spool a large body to a temporary file it never closes.
    boundary, body = encode_multipart(data)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def attached(app) -> list:
    store = services(app).dossiers.attachments
    with app.app_context():
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        from app.dossiers.models import Attachment
        with Session(store.engine) as session:
            return list(session.execute(select(Attachment.kind, Attachment.media_type, Attachment.content,
                                               Attachment.dossier_reference)).all())


def test_the_page_offers_one_labelled_input_per_kind_for_a_phone_too(drafted):
    html = drafted.get(PIECES).get_data(as_text=True)
    inputs = re.findall(r"<input type=\"file\"[^>]*>", html, re.S)
    assert [re.search(r'name="([^"]+)"', i).group(1) for i in inputs] == [
        "piece-identity_document", "piece-rights_attestation", "piece-mutuelle_card", "piece-convocation"]
    for tag in inputs:
        assert 'accept="application/pdf,image/jpeg,image/png"' in tag and "capture" not in tag
        assert "aria-describedby" in tag
    assert 'enctype="multipart/form-data"' in html and 'name="csrf_token"' in html
    for label in ("Pièce d’identité", "Attestation de droits", "Carte de mutuelle", "Convocation"):
        assert label in html
    assert "<script" not in html.split("</head>")[1]  # works without JavaScript: no script at all


@pytest.mark.parametrize(("results", "why"), [
    ({"c2s": c2s_ok(), "cnam": failed("cnam", "unavailable")}, "n’a pas pu transmettre vos droits"),
    ({"c2s": c2s_ok()}, "Vous n’avez pas demandé que l’Assurance Maladie transmette vos droits"),
    ({"c2s": c2s_ok(), "cnam": failed("cnam", "not_found")}, "ne gère pas vos droits"),
])
def test_the_attestation_comes_first_with_its_reason_when_the_cnam_gave_no_rights(client, results, why):
    sign_in(client, results=results)
    to_review(client)
    html = client.get(PIECES).get_data(as_text=True)
    names = re.findall(r'<input type="file" id="([^"]+)"', html)
    assert names[0] == "piece-rights_attestation" and why in html
    assert 'aria-describedby="piece-rights_attestation-why ' in html


def test_a_c2s_attestation_is_offered_when_the_c2s_status_could_not_be_certified(client):
    sign_in(client, results={"c2s": failed("c2s", "unavailable"), "cnam": cnam_ok()})
    to_review(client)
    html = client.get(PIECES).get_data(as_text=True)
    assert re.findall(r'<input type="file" id="([^"]+)"', html) == [
        "piece-identity_document", "piece-rights_attestation", "piece-c2s_attestation", "piece-mutuelle_card",
        "piece-convocation"]
    assert "Attestation de complémentaire santé solidaire (C2S)" in html


def test_the_attestation_is_not_pushed_when_the_cnam_answered(drafted):
    html = drafted.get(PIECES).get_data(as_text=True)
    assert re.findall(r'<input type="file" id="([^"]+)"', html)[0] == "piece-identity_document"
    assert 'class="why"' not in html


def test_adhesion_asks_a_rib_and_the_attestation(client):
    sign_in(client, journey="adhesion", org="mutuelle-demo", results={"c2s": c2s_ok(False), "cnam": cnam_ok()})
    response = to_review(client, base=MUTUELLE, **START)
    assert response.headers["Location"] == f"{MUTUELLE}/pieces"
    html = client.get(f"{MUTUELLE}/pieces").get_data(as_text=True)
    assert re.findall(r'<input type="file" id="([^"]+)"', html) == ["piece-rib", "piece-rights_attestation"]


@pytest.mark.parametrize(("content", "media_type"), [(PDF, "application/pdf"), (jpeg(), "image/jpeg"),
                                                     (png(), "image/png")])
def test_each_accepted_type_is_recognised_by_its_content(drafted, app, content, media_type):
    # The declared type and the name lie on purpose: only the bytes count.
    response = upload(drafted, {"identity_document": (content, "scan.txt", "text/plain")})
    assert response.status_code == 303 and response.headers["Location"] == PIECES
    [(kind, stored_type, _, _)] = attached(app)
    assert (kind, stored_type) == ("identity_document", media_type)
    assert "scan.txt" in drafted.get(PIECES).get_data(as_text=True)


MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"This program cannot be run"


@pytest.mark.parametrize(("content", "name", "message"), [
    (MZ, "attestation.pdf", "n’est ni un PDF"),  # a renamed executable
    (b"<!doctype html><html><script>alert(1)</script></html>", "attestation.pdf", "n’est ni un PDF"),
    (b"%PDF-1.7\n1 0 obj <<>> endobj\n", "coupe.pdf", "incomplet ou abîmé"),  # truncated: no %%EOF
    (jpeg()[:200], "photo.jpg", "incomplet ou abîmé"),
    (png()[:-30], "image.png", "incomplet ou abîmé"),
    (b"\xff\xd8\xff\xe0" + b"garbage" * 50, "photo.jpg", "incomplet ou abîmé"),  # a JPEG header, then nothing
    (b"GIF89a" + b"\x00" * 64, "image.png", "n’est ni un PDF"),
])
def test_what_is_not_a_pdf_jpeg_or_png_is_refused(drafted, app, caplog, content, name, message):
    with caplog.at_level(logging.INFO):
        response = upload(drafted, {"identity_document": (content, name, "application/pdf")})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and message in html and "<title>Erreur : " in html
    assert 'href="#piece-identity_document"' in html and 'aria-invalid="true"' in html
    assert attached(app) == []
    assert "attachment refused reason=" in caplog.text and name not in caplog.text


def test_an_image_is_reencoded_without_its_exif_and_upright(drafted, app):
    exif = Image.Exif()
    exif[0x010F] = "CameraMakerSecret"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90°
    exif[0x8825] = {2: (48.0, 51.0, 0.0)}  # GPSInfo
    photo = jpeg(size=(80, 40), exif=exif)
    assert b"CameraMakerSecret" in photo
    upload(drafted, {"identity_document": (photo, "IMG_0001.jpg", "image/jpeg")})
    store = services(app).dossiers.attachments
    [listed] = store.for_draft(_draft_key(drafted))
    to_send = _send(drafted)
    stored = store.read(to_send, listed.id).data
    assert b"CameraMakerSecret" not in stored and b"Exif" not in stored
    assert Image.open(io.BytesIO(stored)).size == (40, 80)


def test_a_file_over_the_cap_is_refused_with_the_cap_in_french(drafted, app):
    big = b"%PDF-1.4\n" + b"0" * (1024 * 1024) + b"\n%%EOF\n"
    html = upload(drafted, {"convocation": (big, "gros.pdf", "application/pdf")}).get_data(as_text=True)
    assert "Ce fichier dépasse 1 Mo" in html and attached(app) == []


def test_the_count_and_total_caps(drafted, app):
    half = b"%PDF-1.4\n" + b"0" * (700 * 1024) + b"\n%%EOF\n"
    assert upload(drafted, {"identity_document": (half, "a.pdf", "application/pdf"),
                            "rights_attestation": (half, "b.pdf", "application/pdf")}).status_code == 303
    html = upload(drafted, {"convocation": (half, "c.pdf", "application/pdf")}).get_data(as_text=True)
    assert "L’ensemble de vos fichiers dépasserait 2 Mo" in html
    assert upload(drafted, {"convocation": (PDF, "c.pdf", "application/pdf")}).status_code == 303
    html = upload(drafted, {"mutuelle_card": (PDF, "d.pdf", "application/pdf")}).get_data(as_text=True)
    assert "Vous avez déjà joint 3 fichiers, le maximum" in html and len(attached(app)) == 3


def test_a_body_beyond_the_upload_cap_gets_the_french_413_page(drafted, app):
    huge = b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024) + b"\n%%EOF\n"
    response = upload(drafted, {"identity_document": (huge, "x.pdf", "application/pdf")})
    html = response.get_data(as_text=True)
    assert response.status_code == 413 and "Les fichiers choisis dépassent ensemble" in html
    assert attached(app) == []


def test_an_uploaded_file_never_touches_the_disk(drafted, app, monkeypatch):
    # Werkzeug spools a file over 500 KB to a temporary file: the identity document, in clear, on the disk.
    def no_temporary_file(*args, **kwargs):
        raise AssertionError("an upload was spooled to a temporary file")

    monkeypatch.setattr(formparser, "SpooledTemporaryFile", no_temporary_file)
    monkeypatch.setattr(formparser, "TemporaryFile", no_temporary_file, raising=False)
    big = b"%PDF-1.4\n" + b"0" * (800 * 1024) + b"\n%%EOF\n"
    assert upload(drafted, {"convocation": (big, "c.pdf", "application/pdf")}).status_code == 303
    assert len(attached(app)) == 1


def test_another_route_keeps_the_small_body_cap(drafted):
    token = csrf_token(drafted.get(f"{CHU}/formulaire").get_data(as_text=True))
    response = drafted.post(f"{CHU}/formulaire", data={"csrf_token": token, "address": "x" * 100_000})
    assert response.status_code == 413


@pytest.mark.parametrize("field", ["piece-rib", "fichier"])
def test_a_file_field_the_page_does_not_offer_is_a_400(drafted, app, field):
    token = csrf_token(drafted.get(PIECES).get_data(as_text=True))
    response = drafted.post(PIECES, data={"csrf_token": token, field: (io.BytesIO(PDF), "a.pdf")},
                            content_type="multipart/form-data")
    assert response.status_code == 400 and attached(app) == []


def test_a_repeated_file_field_is_a_400(drafted, app):
    token = csrf_token(drafted.get(PIECES).get_data(as_text=True))
    response = drafted.post(PIECES, data={"csrf_token": token, "piece-convocation": [
        (io.BytesIO(PDF), "a.pdf"), (io.BytesIO(PDF), "b.pdf")]}, content_type="multipart/form-data")
    assert response.status_code == 400 and attached(app) == []


def test_an_upload_without_the_csrf_token_is_refused(drafted, app):
    response = drafted.post(PIECES, data={"piece-convocation": (io.BytesIO(PDF), "a.pdf")},
                            content_type="multipart/form-data")
    assert response.status_code == 400 and attached(app) == []


def test_the_page_needs_a_draft(client):
    sign_in(client)
    assert post(client, f"{CHU}/personnes", {"patient": "self"}).status_code == 303
    response = client.get(PIECES)
    assert response.status_code == 303 and response.headers["Location"].endswith("/formulaire")


def test_continue_goes_to_the_review_which_lists_the_files_escaped(drafted):
    response = upload(drafted, {"rights_attestation": (PDF, HOSTILE_NAME, "application/pdf")}, suite="continuer")
    assert response.headers["Location"] == f"{CHU}/verification"
    review = drafted.get(f"{CHU}/verification").get_data(as_text=True)
    assert ESCAPED_NAME in review and "<img src=x" not in review
    assert "Attestation de droits à l’Assurance Maladie" in review and "Retirer" in review
    assert f'href="{PIECES}"' in review  # « Modifier les pièces justificatives »


def test_retirer_removes_only_a_file_of_this_draft(drafted, app, make_app):
    upload(drafted, {"rights_attestation": (PDF, "a.pdf", "application/pdf")})
    store = services(app).dossiers.attachments
    foreign = store.add(draft_key="someone-elses-draft", organisation="chu-demo", journey="preadmission",
                        kind="convocation", media_type="application/pdf", name="x.pdf", data=PDF)
    response = post(drafted, f"{PIECES}/retirer", {"piece": foreign.id, "retour": "verification"},
                    page=f"{CHU}/verification")
    assert response.headers["Location"] == f"{CHU}/verification"
    assert "ne fait plus partie de votre dossier" in drafted.get(f"{CHU}/verification").get_data(as_text=True)
    assert len(attached(app)) == 2
    [mine] = store.for_draft(_draft_key(drafted))
    response = post(drafted, f"{PIECES}/retirer", {"piece": mine.id, "retour": "pieces"})
    assert response.headers["Location"] == PIECES
    assert "Le fichier a été retiré" in drafted.get(PIECES).get_data(as_text=True)
    assert store.for_draft(_draft_key(drafted)) == [] and len(attached(app)) == 1


def test_sending_binds_the_files_to_the_dossier_and_the_receipt_lists_them(drafted, app, caplog):
    with caplog.at_level(logging.DEBUG):
        upload(drafted, {"rights_attestation": (PDF, HOSTILE_NAME, "application/pdf"),
                         "identity_document": (jpeg(), "id.jpg", "image/jpeg")})
        reference = _send(drafted)
    dossier = services(app).dossiers.get(reference)
    listed = dossier.content["attachments"]
    assert sorted(a["kind"] for a in listed) == ["identity_document", "rights_attestation"]
    assert all(set(a) == {"id", "kind", "media_type", "size", "sha256", "name"} for a in listed)
    assert {row.dossier_reference for row in attached(app)} == {reference}
    receipt = drafted.get(f"{CHU}/recepisse").get_data(as_text=True)
    assert ESCAPED_NAME in receipt and "<img src=x" not in receipt and "Retirer" not in receipt
    assert "DUBOIS.pdf" not in caplog.text and "id.jpg" not in caplog.text


def test_a_file_removed_in_another_tab_before_sending_stores_nothing(drafted, app):
    upload(drafted, {"rights_attestation": (PDF, "a.pdf", "application/pdf")})
    review = drafted.get(f"{CHU}/verification").get_data(as_text=True)
    store = services(app).dossiers.attachments
    [listed] = store.for_draft(_draft_key(drafted))
    store.remove(_draft_key(drafted), listed.id)
    # The content lists the files of the moment; removing one between the listing and the store is a race the
    # store catches: simulate it by listing again inside the send.
    original = store.for_draft
    store.for_draft = lambda key: [listed]
    try:
        response = drafted.post(f"{CHU}/envoi", data={"csrf_token": csrf_token(review)})
    finally:
        store.for_draft = original
    assert response.status_code == 303 and response.headers["Location"] == f"{CHU}/verification"
    assert dossier_count(app) == 0


def test_giving_up_deletes_the_drafts_files_at_once(drafted, app):
    upload(drafted, {"rights_attestation": (PDF, "a.pdf", "application/pdf")})
    store = services(app).dossiers.attachments
    store.add(draft_key="someone-elses-draft", organisation="chu-demo", journey="preadmission",
              kind="convocation", media_type="application/pdf", name="x.pdf", data=PDF)
    assert post(drafted, f"{CHU}/retour", {}, page=PIECES).status_code in (200, 303)
    assert [row.kind for row in attached(app)] == ["convocation"]  # only the other draft's file is left


def _draft_key(client) -> str:
    from tests.journeys.test_views import session_of
    return session_of(client).draft.key


def _send(client) -> str:
    review = client.get(f"{CHU}/verification").get_data(as_text=True)
    response = client.post(f"{CHU}/envoi", data={"csrf_token": csrf_token(review)})
    assert response.status_code == 303
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    return re.search(r'data-reference="(DC-[0-9A-Z-]+)"', receipt).group(1)
