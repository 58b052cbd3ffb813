"""Attachments in Chromium: a pre-admission with the CNAM down (502 in the sandbox), the person attaches their
attestation de droits (PDF) and a photo of their identity card, at 1280 and at 375 CSS px. The attestation comes
first and says why; a file that is not a document is refused with a French message; the review lists the files
with « Retirer » and « Modifier »; the receipt lists them; the dossier holds them. axe-core finds nothing on any
page, and every step is photographed (test-artifacts/screenshots/<test>/)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from PIL import Image

from app.extensions import services
from tests.browser_e2e.conftest import audit
from tests.browser_e2e.test_journeys import (
    HOSPITAL,
    check_error_summary,
    fill_without_the_cnam,
    launch,
    path_of,
    receipt_reference,
    sign_in,
    stored,
    submit_form,
)

pytestmark = pytest.mark.browser

STAY = (dt.date.today() + dt.timedelta(days=10)).isoformat()
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def photo() -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMakerSecret"
    Image.new("RGB", (320, 200), "steelblue").save(out, "JPEG", exif=exif)
    return out.getvalue()


def choose(page, kind: str, name: str, mime: str, content: bytes) -> None:
    page.set_input_files(f"#piece-{kind}", files=[{"name": name, "mimeType": mime, "buffer": content}])


@pytest.mark.parametrize("width", [1280, 375])
def test_a_pre_admission_with_the_cnam_down_carries_an_attestation_and_an_id_photo(page, stack, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(stack.service_url + launch(stack, "chu-demo", stay={"date": STAY, "service": "Cardiologie"}))
    sign_in(page, stack, "test", cnam_fault="cnam:502")
    page.get_by_label(re.compile("^Moi-même")).check()
    submit_form(page, "Continuer")
    fill_without_the_cnam(page)

    # The step between the form and the review; the attestation first, with the reason.
    assert path_of(page).endswith("/pieces"), page.url
    inputs = page.locator("input[type=file]")
    assert inputs.first.get_attribute("id") == "piece-rights_attestation"
    assert inputs.count() == 4
    for i in range(inputs.count()):
        assert inputs.nth(i).get_attribute("accept") == "application/pdf,image/jpeg,image/png"
        assert inputs.nth(i).get_attribute("capture") is None
    why = page.locator("#piece-rights_attestation-why")
    assert "L’Assurance Maladie n’a pas pu transmettre vos droits" in why.inner_text()
    assert page.get_by_label(re.compile("^Attestation de droits")).get_attribute("id") == "piece-rights_attestation"
    audit(page, "pieces")

    # An HTML page named .pdf is refused, by its content.
    choose(page, "rights_attestation", "attestation.pdf", "application/pdf", b"<!doctype html><p>not a PDF</p>")
    submit_form(page, "Joindre et rester sur cette page")
    check_error_summary(page, {"piece-rights_attestation"})
    assert "n’est ni un PDF" in page.locator("#piece-rights_attestation-error").inner_text()
    audit(page, "pieces-fichier-refuse")

    choose(page, "rights_attestation", "attestation-droits.pdf", "application/pdf", PDF)
    choose(page, "identity_document", "carte-identite.jpg", "image/jpeg", photo())
    submit_form(page, "Joindre et rester sur cette page")
    assert path_of(page).endswith("/pieces") and not page.title().startswith("Erreur")
    listed = page.locator(".attached__item")
    assert listed.count() == 2
    audit(page, "pieces-fichiers-joints")
    submit_form(page, "Continuer vers la vérification")

    assert path_of(page).endswith("/verification"), page.url
    attached = page.locator("section[aria-labelledby='attached-title']")
    assert "attestation-droits.pdf" in attached.inner_text() and "carte-identite.jpg" in attached.inner_text()
    audit(page, "verification")
    # « Retirer » the photo, then « Modifier » to attach it again.
    with page.expect_navigation():
        attached.get_by_role("button", name=re.compile("^Retirer le fichier « carte-identite.jpg »")).click()
    assert path_of(page).endswith("/verification")
    assert "Le fichier a été retiré de votre dossier." in page.locator("main").inner_text()
    assert "carte-identite.jpg" not in page.locator("section[aria-labelledby='attached-title']").inner_text()
    with page.expect_navigation():
        page.get_by_role("link", name="Modifier les pièces justificatives").click()
    choose(page, "identity_document", "carte-identite-recto.jpg", "image/jpeg", photo())
    submit_form(page, "Continuer vers la vérification")
    assert path_of(page).endswith("/verification")
    submit_form(page, f"Envoyer à {HOSPITAL}")

    reference = receipt_reference(page)
    receipt = page.locator("section[aria-labelledby='attached-title']").inner_text()
    assert "attestation-droits.pdf" in receipt and "carte-identite-recto.jpg" in receipt and "Retirer" not in receipt
    audit(page, "recepisse")

    content = stored(stack, reference)
    assert content["sources"]["cnam"]["status"] == "unavailable"
    kinds = {a["kind"]: a for a in content["attachments"]}
    assert set(kinds) == {"rights_attestation", "identity_document"}
    store = services(stack.service).dossiers.attachments
    assert store.read(reference, kinds["rights_attestation"]["id"]).data == PDF
    image = store.read(reference, kinds["identity_document"]["id"])
    assert image.attachment.media_type == "image/jpeg" and b"PhoneMakerSecret" not in image.data
