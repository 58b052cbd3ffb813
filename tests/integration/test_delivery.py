"""Delivery over loopback HTTP: a person completes a pre-admission through the sandbox; the hospital lists its
dossiers with its API key, pulls the dossier as JSON, FHIR and HL7 (fake renderings until theirs land),
acknowledges it; the dossier is delivered, its purge moved to the post-delivery schedule, and the person's receipt
says who received it and when."""

from __future__ import annotations

import datetime as dt

import requests
from fhir.resources.R4B.bundle import Bundle
from hl7apy.parser import parse_message

from app.extensions import services
from app.model.organisation import api_key_hash
from tests.delivery.conftest import HOSPITAL_KEY, MUTUELLE_KEY
from tests.integration.test_journeys import fill, send, start


def api(stack, method: str, path: str, key: str = HOSPITAL_KEY, accept: str = "application/json"):
    return requests.request(method, stack.service_url + path, timeout=15,
                            headers={"Authorization": f"Bearer {key}", "Accept": accept})


def test_the_hospital_receives_and_acknowledges_the_dossier(make_stack):
    stack = make_stack(per_organisation={"chu-demo": {"api_key_hashes": [api_key_hash(HOSPITAL_KEY)]},
                                         "mutuelle-demo": {"api_key_hashes": [api_key_hash(MUTUELLE_KEY)]}})
    browser, _ = start(stack, stack.launch_path("chu-demo", ref="ADM-2026-7"), "test")
    browser.submit("Continuer", extra={"patient": "self"})
    fill(browser)
    reference = send(browser)
    assert "<strong>transmis</strong>" in browser.page.text

    listing = api(stack, "GET", "/api/v1/dossiers?status=submitted")
    assert listing.status_code == 200 and listing.headers["Content-Type"] == "application/json"
    assert [item["reference"] for item in listing.json()["items"]] == [reference]
    assert api(stack, "GET", "/api/v1/dossiers", key=MUTUELLE_KEY).json()["items"] == []

    dossier = api(stack, "GET", f"/api/v1/dossiers/{reference}").json()
    assert dossier["content"]["portal_reference"] == "ADM-2026-7"
    assert dossier["content"]["declarant"]["birth_name"]["source"] == "franceconnect"
    fhir = api(stack, "GET", f"/api/v1/dossiers/{reference}", accept="application/fhir+json")
    assert fhir.headers["Content-Type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate(fhir.json())  # the real rendering, parsed back as a receiver would
    patient = next(entry.resource for entry in bundle.entry if entry.resource.__resource_type__ == "Patient")
    assert patient.name[0].family == "DUBOIS"
    hl7 = api(stack, "GET", f"/api/v1/dossiers/{reference}", accept="application/hl7-v2")
    message = parse_message(hl7.text.replace("\n", "\r"), find_groups=False)
    assert hl7.status_code == 200 and message.msh.msh_9.to_er7() == "ADT^A05^ADT_A05"
    assert "DUBOIS" in message.pid.pid_5.to_er7()
    assert api(stack, "GET", f"/api/v1/dossiers/{reference}", key=MUTUELLE_KEY).status_code == 404

    ack = api(stack, "POST", f"/api/v1/dossiers/{reference}/ack")
    assert ack.status_code == 200 and ack.json()["status"] == "delivered"
    assert api(stack, "POST", f"/api/v1/dossiers/{reference}/ack").json() == ack.json()
    summary = services(stack.service).dossiers.summary(reference)
    assert summary.status == "delivered"
    assert summary.purge_after == summary.delivered_at + dt.timedelta(days=7)
    assert api(stack, "GET", "/api/v1/dossiers?status=submitted").json()["items"] == []

    receipt = browser.get(browser.page.url)
    assert "reçu par Centre hospitalier de Démonstration le " in receipt.text
