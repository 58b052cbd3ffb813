"""The loop from the sandbox's demo portal and back, in Chromium: what a newcomer sees after `make run`.

Every new page is scanned with axe (WCAG 2.1 A and AA) and checked for reflow at 320 px and 200 % zoom.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.browser_e2e.conftest import audit
from tests.browser_e2e.test_journeys import (
    CHU,
    FC_BUTTON,
    MUTUAL,
    fill,
    launch,
    receipt_reference,
    sign_in,
    stored,
    submit_form,
)
from tests.portal import demo_registry

pytestmark = pytest.mark.browser


def test_an_adhesion_from_the_demo_portal_and_back(page, stack):
    page.goto(stack.sandbox_url + "/portail/")
    assert page.get_by_role("heading", level=1).inner_text() == "Portail de démonstration"
    audit(page, "portail-de-demonstration")
    page.get_by_label("Formule").select_option("EQUILIBRE")
    with page.expect_navigation():
        page.get_by_role("button", name="Adhérer en ligne").click()
    page.wait_for_url(stack.service_url + "/adhesion/mutuelle-demo/")  # the token has left the address bar
    request = page.locator("section[aria-labelledby='context-title']").inner_text()
    assert "Formule Équilibre" in request and "DEMO-" in request and "Transmis par la mutuelle" in request
    audit(page, "information-lien-signe")

    sign_in(page, stack, "test")
    submit_form(page, "Continuer")
    start = page.locator("#start_date").input_value()
    assert start == (dt.date.today() + dt.timedelta(days=30)).isoformat()  # the date chosen on the portal
    fill(page, {"address": "3 place de la Mairie", "postal_code": "75011",
                "phone": "01 43 55 12 34", "previous_insurer": "Mutuelle Ancienne",
                "iban": "FR7630006000011234567890189", "account_holder": "Angela Dubois"})
    for consent in ("consent_sepa", "consent_accuracy", "consent_transmission"):
        page.locator(f"#{consent}").check()
    submit_form(page, "Continuer vers les pièces justificatives")
    submit_form(page, "Continuer vers la vérification")  # « Pièces justificatives »: none
    submit_form(page, f"Envoyer à {MUTUAL}")
    reference = receipt_reference(page)
    assert stored(stack, reference)["offer"]["label"]["value"] == "Formule Équilibre"

    with page.expect_navigation():
        page.get_by_role("button", name=f"Retourner sur le site de {MUTUAL}").click()
    assert page.url.startswith(stack.sandbox_url + "/portail/retour?result=")
    assert page.get_by_role("heading", level=1).inner_text() == "Dossier envoyé"
    assert page.locator("[data-claim='dossier']").inner_text() == reference
    audit(page, "retour-portail")


def test_giving_up_from_a_signed_journey_goes_back_to_the_portal(page, stack):
    page.goto(stack.service_url + launch(stack, "chu-demo", ref="ADM-5"))
    sign_in(page, stack, "test")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("^Abandonner et retourner sur le site")).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Démarche abandonnée"
    assert page.locator("[data-claim='ref']").inner_text() == "ADM-5"


def test_refused_and_closing_pages(page, stack):
    path = launch(stack, "chu-demo")
    page.goto(stack.service_url + path)
    page.goto(stack.service_url + path)  # the same link twice: it serves once
    assert page.get_by_role("heading", level=1).inner_text() == "Ce lien ne permet pas de commencer votre démarche"
    audit(page, "lien-refuse")

    page.context.clear_cookies()
    page.goto(stack.service_url + CHU)  # unsigned entry, allowed for the demo hospital
    assert page.get_by_role("button", name=FC_BUTTON).is_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Abandonner", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Votre démarche est arrêtée"
    audit(page, "demarche-arretee")


def test_an_organisation_that_requires_its_portal_says_where_to_start(page, make_stack, tmp_path):
    stack = make_stack(**demo_registry(tmp_path / "closed", allow_unsigned=False))
    response = page.goto(stack.service_url + CHU)
    assert response.status == 403
    assert page.get_by_role("heading", level=1).inner_text().startswith("Commencez votre démarche depuis le site de")
    audit(page, "lien-necessaire")
