"""Both journeys in Chromium, as a person does them: portal link, information, FranceConnect sandbox, who is
concerned, prefilled form (with a first submission in error), review, submission, receipt; then the stored
dossier, decrypted. Every page is scanned by axe-core (WCAG 2.1 A/AA), checked for reflow at 320 and 640 CSS px
and photographed, desktop and phone, under test-artifacts/screenshots/<test name>/.

One journey is done with the keyboard only (Tab, Shift+Tab, Enter, Space, arrows and typing), with a visible
focus on every stop.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.dossiers.models import Dossier
from app.extensions import services
from tests.browser_e2e.conftest import audit
from tests.browser_e2e.test_sign_in_pages import focused, press_and_wait, tab_to

pytestmark = pytest.mark.browser

TODAY = dt.date.today()
STAY = (TODAY + dt.timedelta(days=10)).isoformat()

CHU, MUTUELLE = "/preadmission/chu-demo/", "/adhesion/mutuelle-demo/"
HOSPITAL, MUTUAL = "Centre hospitalier de Démonstration", "Mutuelle de Démonstration"
REFERENCE = re.compile(r"DC-[0-9A-Z]{4}-[0-9A-Z]{4}")
FC_BUTTON = re.compile("S’identifier avec")


def launch(stack, org: str, **claims) -> str:
    """The path of a signed launch link, as the organisation's portal makes it."""
    return stack.launch_path(org, **claims)


# --- helpers ---------------------------------------------------------------------------------------------------


def path_of(page) -> str:
    # Without the fragment: after following an error summary's link (#field), the browser keeps the fragment
    # across the form's POST and its 303 redirect.
    return urlsplit(page.url).path


def references(stack) -> list[str]:
    with Session(services(stack.service).dossiers.engine) as session:
        return list(session.scalars(select(Dossier.reference)))


def stored(stack, reference: str) -> dict:
    """Exactly one dossier in the store, the one with this reference: its decrypted content."""
    assert references(stack) == [reference]
    return services(stack.service).dossiers.get(reference).content


def sign_in(page, stack, login: str, *, cnam_fault: str = "") -> None:
    """From a journey's information page, through the sandbox (optionally with a data-provider fault), back to
    « who is concerned »."""
    page.get_by_role("button", name=FC_BUTTON).click()
    page.wait_for_url(stack.sandbox_url + "/**")
    if cnam_fault:
        page.locator("#provider-fault-cnam").select_option(cnam_fault)
    page.locator(f'button[name="login"][value="{login}"]').click()
    page.get_by_role("button", name=re.compile("^Continuer")).click()
    page.wait_for_url(re.compile(re.escape(stack.service_url) + r"/.*/personnes$"))


def past_attachments(page, *, scan: bool = True) -> None:
    """The optional « Pièces justificatives » step between the form and the review: go on without a file."""
    assert path_of(page).endswith("/pieces"), page.url
    if scan:
        audit(page, "pieces")
    submit_form(page, "Continuer vers la vérification")


def fill(page, values: dict[str, str]) -> None:
    """Type into the form's fields by id; each one must be on the page (certified fields are not)."""
    for field_id, value in values.items():
        field = page.locator(f"[id='{field_id}']")
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def fill_without_the_cnam(page) -> None:
    """`test`'s pre-admission form when the CNAM did not answer: what it would have given, typed; then onward."""
    fill(page, {"address": "5 avenue des Lilas", "postal_code": "75020", "phone": "0612345678",
                "nir": "2 62 08 75 107 901 69", "regime": "general", "caisse": "CPAM de Paris",
                "emergency_name": "Marc Dubois", "emergency_phone": "0698765432", "emergency_link": "Frère ou sœur"})
    page.locator("#consent_accuracy").check()
    page.locator("#consent_transmission").check()
    submit_form(page, "Continuer vers les pièces justificatives")


def submit_form(page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def check_error_summary(page, invalid: set[str]) -> None:
    """The summary is an alert labelled by its heading, comes first, has the focus, and links to each invalid
    field; each invalid field says so and is described by its error message; the title starts with « Erreur »."""
    assert page.title().startswith("Erreur : "), page.title()
    summary = page.get_by_role("alert", name=re.compile("^Le formulaire contient"))
    assert summary.is_visible()
    heading = summary.get_by_role("heading", level=2)
    count = "une erreur" if len(invalid) == 1 else f"{len(invalid)} erreurs"
    assert heading.inner_text() == f"Le formulaire contient {count}"
    assert page.evaluate("() => document.activeElement.classList.contains('error-summary')"), "summary not focused"
    hrefs = summary.get_by_role("link").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert {href.removeprefix("#") for href in hrefs} == invalid, hrefs
    for field_id in invalid:
        field = page.locator(f"[id='{field_id}']")
        assert field.count() == 1, f"the summary links to #{field_id}, which is not on the page"
        assert field.get_attribute("aria-invalid") == "true", field_id
        described = (field.get_attribute("aria-describedby") or "").split()
        assert f"{field_id}-error" in described, (field_id, described)
        message = page.locator(f"[id='{field_id}-error']")
        # « Erreur : » is visually hidden, for screen readers: in the text, not in what is rendered.
        assert message.is_visible() and " ".join(message.text_content().split()).startswith("Erreur : "), field_id
    # Fields not in the summary are not marked invalid.
    assert page.locator("[aria-invalid='true']").count() == len(invalid)


def receipt_reference(page) -> str:
    assert path_of(page).endswith("/recepisse"), page.url
    reference = page.locator(".reference").get_attribute("data-reference")
    assert REFERENCE.fullmatch(reference) and page.locator(".reference").inner_text() == reference
    return reference


def tab_to_id(page, element_id: str, *, key: str = "Tab", limit: int = 80) -> None:
    """Press Tab (or Shift+Tab) until the element with this id has the focus; every stop must show it."""
    for _ in range(limit):
        page.keyboard.press(key)
        state = focused(page)
        if state["tag"] != "BODY":
            assert state["outline"] or state["shadow"], f"no visible focus on {state}"
        if page.evaluate("() => document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} not reached with {key}")


def type_into(page, element_id: str, text: str) -> None:
    tab_to_id(page, element_id)
    page.keyboard.type(text)


def is_checked(page, element_id: str) -> bool:
    return page.evaluate("id => document.getElementById(id).checked", element_id)


# --- 1. pre-admission, with the mouse --------------------------------------------------------------------------


def test_a_parent_pre_admits_a_child_with_the_mouse(page, stack):
    page.goto(stack.service_url + launch(stack, "chu-demo", stay={"date": STAY, "service": "Cardiologie"}))
    context = page.locator("section[aria-labelledby='context-title']")
    assert "Cardiologie" in context.inner_text() and "PORTAIL-42" in context.inner_text()
    audit(page, "information")

    sign_in(page, stack, "avec_nom_dusage")
    assert page.get_by_role("heading", name="Qui va être hospitalisé ?").is_visible()
    page.get_by_label("Louis MERCIER, né(e) le 12 juin 2014 (enfant)").check()
    audit(page, "qui-est-concerne")
    submit_form(page, "Continuer")

    assert path_of(page).endswith("/formulaire")
    assert page.get_by_role("heading", name="Dossier de pré-admission", level=1).is_visible()
    # Certified values are shown read-only with their source, and are not fields of the form.
    for name, source in [("nir", "cnam"), ("first_names", "cnam"), ("birth_date", "cnam"), ("caisse", "cnam"),
                         ("c2s", "api_particulier"), ("service", "organisation")]:
        assert page.locator(f'[data-field="{name}"][data-source="{source}"]').count() == 1, name
    facts = page.locator("dl.facts").all_inner_texts()
    # The CNAM's capitals are shown in title case; the dossier keeps them as certified (below).
    assert page.locator('[data-field="first_names"][data-source="cnam"]').inner_text() == "Louis"
    assert not any("LOUIS" in text for text in facts)
    # A minor: no personne de confiance, and the guardians' hint says the patient is a minor.
    assert page.locator("#trusted_name").count() == 0
    assert page.locator("#guardians-hint").inner_text().startswith("L’enfant est mineur")
    assert page.get_by_role("heading", name="Identité de l’enfant").is_visible()
    assert "Lien avec l’enfant" in page.locator("label[for='emergency_link']").inner_text()
    assert page.get_by_text(re.compile("^Transmis par l’Assurance Maladie le ")).first.is_visible()
    assert page.get_by_text(re.compile(r"^Transmis par la Sécurité sociale \(API Particulier\) le ")).is_visible()
    assert page.get_by_text("Transmis par l’établissement").first.is_visible()
    for certified in ("nir", "birth_name", "first_names", "birth_date", "c2s"):
        assert page.locator(f"form [name='{certified}']").count() == 0, certified
    # Suggestions are prefilled and can be changed; the sex comes from the certified NIR.
    assert page.locator("#birth_country").input_value() == "France"
    assert page.locator('[data-field="sex"][data-source="cnam"]').inner_text() == "Masculin"
    assert page.locator("form [name='sex']").count() == 0
    # The parent is offered as the first holder of parental authority, with the phone typed once above; the
    # fields below are for another person only.
    assert page.get_by_label(re.compile("^Vous-même, Pierre DUBOIS")).first.is_checked()
    for field_id in ("guardian1_name", "guardian1_phone", "guardian2_name"):
        assert "(facultatif)" in page.locator(f"label[for='{field_id}']").inner_text(), field_id
    audit(page, "formulaire")

    fill(page, {"birth_place": "Pontoise", "address": "12 rue de l’Église", "postal_code": "95300",
                "phone": "06 12 34 56 78"})
    page.get_by_label("J’atteste que les informations de ce dossier sont exactes.").check()
    # The commune: among the postal code's, listed by « Trouver la commune » (no JavaScript needed).
    submit_form(page, "Trouver la commune")
    assert page.locator("#city_code option").all_inner_texts() == [
        "Choisir", "Ennery", "Hérouville-en-Vexin", "Livilliers", "Pontoise"]
    assert page.locator("#address").input_value() == "12 rue de l’Église"  # nothing typed is lost
    assert page.locator("#consent_accuracy").is_checked()
    audit(page, "formulaire-communes")
    fill(page, {"city_code": "95500"})
    # The personne à prévenir is someone else: typed, with no link and a bad phone.
    page.locator("#emergency_who-1").check()
    fill(page, {"emergency_name": "Sophie Mercier", "emergency_phone": "01 23"})
    page.get_by_label("J’accepte que ce dossier soit transmis à l’organisme qui me le demande.").check()
    submit_form(page, "Continuer vers les pièces justificatives")

    assert path_of(page).endswith("/formulaire")
    check_error_summary(page, {"emergency_phone", "emergency_link"})
    assert "fixe ou mobile" in page.locator("#emergency_phone-error").inner_text()
    # What was typed is kept, consents included.
    assert page.locator("#emergency_name").input_value() == "Sophie Mercier"
    assert page.locator("#consent_accuracy").is_checked() and page.locator("#consent_transmission").is_checked()
    audit(page, "formulaire-avec-erreurs")
    # The summary's link takes the person to the field.
    page.get_by_role("alert").get_by_role("link", name=re.compile("^Téléphone de la personne à prévenir")).click()
    assert page.evaluate("() => document.activeElement.id") == "emergency_phone"

    fill(page, {"emergency_phone": "06 98 76 54 32", "emergency_link": "Parent"})
    submit_form(page, "Continuer vers les pièces justificatives")
    past_attachments(page)

    assert path_of(page).endswith("/verification"), page.url
    assert page.title().startswith("Vérifiez votre dossier")
    review = page.locator("main").inner_text()
    for shown in ("Sophie Mercier", "06 98 76 54 32", "Parent", "Pierre DUBOIS", "06 12 34 56 78", "Louis",
                  "Cardiologie", "Dossier rempli par", "Pontoise"):
        assert shown in review, shown
    assert page.locator('[data-field="emergency_name"][data-source="declared"]').inner_text() == "Sophie Mercier"
    audit(page, "verification")
    submit_form(page, f"Envoyer à {HOSPITAL}")

    reference = receipt_reference(page)
    assert page.get_by_role("heading", name=f"Votre dossier a été envoyé à {HOSPITAL}").is_visible()
    audit(page, "recepisse")

    content = stored(stack, reference)
    fields = content["fields"]
    assert (content["journey"], content["organisation"]["id"], content["portal_reference"]) == (
        "preadmission", "chu-demo", "PORTAIL-42")
    assert content["stay"]["date"]["value"] == STAY and content["stay"]["service"]["value"] == "Cardiologie"
    assert content["patient"] == {"kind": "ayant_droit", "minor": True}
    assert fields["emergency_name"] == {"value": "Sophie Mercier", "source": "declared", "at": None}
    assert fields["emergency_phone"]["value"] == "+33698765432" and fields["emergency_link"]["value"] == "Parent"
    # « Vous-même »: the parent's certified name and the phone typed once, in the coordinates.
    assert fields["guardian1_phone"] == fields["phone"] and fields["phone"]["value"] == "+33612345678"
    assert (fields["guardian1_name"]["value"], fields["guardian1_name"]["source"]) == ("Pierre DUBOIS",
                                                                                      "franceconnect")
    assert (fields["first_names"]["value"], fields["first_names"]["source"]) == ("LOUIS", "cnam")
    assert (fields["sex"]["value"], fields["sex"]["source"]) == ("M", "cnam")
    assert (fields["city"]["value"], fields["city_code"]["value"]) == ("Pontoise", "95500")
    assert fields["address"]["value"] == "12 rue de l’Église" and fields["postal_code"]["value"] == "95300"


# --- 2. adhesion ---------------------------------------------------------------------------------------------


def test_an_adhesion_with_an_iban_corrected(page, stack):
    page.goto(stack.service_url + launch(stack, "mutuelle-demo", ref="WEB-7"))
    assert page.get_by_role("heading", level=1).inner_text() == "Adhésion en ligne"
    assert MUTUAL in page.locator(".organisation-banner").inner_text()
    audit(page, "information")

    sign_in(page, stack, "test")
    assert page.get_by_role("heading", name="Qui souhaitez-vous couvrir ?").is_visible()
    for person in page.locator("input[name='covered']").all():  # Angela has no one listed by the CNAM
        person.check()
    assert page.locator("#declared").input_value() == "0"
    page.shots.take("qui-couvrir")
    submit_form(page, "Continuer")

    assert path_of(page).endswith("/formulaire")
    # Angela has the C2S: told first, before the form, and she may still continue.
    notice = page.locator('[data-c2s="beneficiary"]')
    assert "Elle prend déjà en charge vos frais de santé" in notice.inner_text()
    assert notice.evaluate("el => el.compareDocumentPosition(document.querySelector('main form')) & 4") == 4
    assert page.locator('[data-field="nir"][data-source="cnam"]').is_visible()
    assert page.locator('[data-field="birth_name"][data-source="franceconnect"]').inner_text() == "DUBOIS"
    assert page.get_by_text("Certifié par FranceConnect").first.is_visible()
    assert page.get_by_text(re.compile("^Transmis par l’Assurance Maladie le ")).first.is_visible()
    assert page.locator("#account_holder").input_value() == "Angela Claire Louise DUBOIS"  # proposed
    start = (TODAY + dt.timedelta(days=15)).isoformat()
    fill(page, {"address": "3 place de la Mairie", "postal_code": "75011",  # one commune: Paris, chosen for her
                "phone": "01 43 55 12 34", "start_date": start, "previous_insurer": "Mutuelle Ancienne",
                "iban": "FR76 3000 6000 0112 3456 7890 188", "account_holder": "Angela Dubois"})
    for consent in ("consent_sepa", "consent_noemie", "consent_accuracy", "consent_transmission"):
        page.locator(f"#{consent}").check()
    submit_form(page, "Continuer vers les pièces justificatives")

    check_error_summary(page, {"iban"})
    audit(page, "formulaire-avec-erreurs")
    fill(page, {"iban": "FR7630006000011234567890189"})
    submit_form(page, "Continuer vers les pièces justificatives")
    past_attachments(page)

    assert path_of(page).endswith("/verification"), page.url
    review = page.locator("main").inner_text()
    for shown in ("FR76 3000 6000 0112 3456 7890 189", "Angela Dubois", "3 place de la Mairie", "Mutuelle Ancienne",
                  "Aucune : le contrat ne couvre que vous.", "FR03ZZZDEMO01", "Le jour de l’envoi"):
        assert shown in review, shown
    rum = page.locator('[data-field="mandate_reference"]').inner_text()
    assert re.fullmatch(r"DC[0-9A-F]{24}", rum)
    assert page.locator('[data-field="mandate_place"]').inner_text() == "Paris"
    audit(page, "verification")
    submit_form(page, f"Envoyer à {MUTUAL}")

    reference = receipt_reference(page)
    audit(page, "recepisse")
    content = stored(stack, reference)
    fields = content["fields"]
    assert (content["journey"], content["organisation"]["id"], content["portal_reference"]) == (
        "adhesion", "mutuelle-demo", "WEB-7")
    assert fields["iban"] == {"value": "FR7630006000011234567890189", "source": "declared", "at": None}
    assert fields["account_holder"] == {"value": "Angela Dubois", "source": "declared", "at": None}
    assert fields["start_date"]["value"] == start and fields["consent_sepa"]["value"] is True
    assert fields["phone"]["value"] == "+33143551234"
    assert fields["c2s"]["source"] == "api_particulier" and fields["nir"]["source"] == "cnam"
    assert content["beneficiaries"] == []
    assert content["mandate"] == {"reference": rum, "creditor": MUTUAL, "ics": "FR03ZZZDEMO01",
                                  "signed_on": content["submitted_at"][:10], "signed_at_place": "Paris"}
    assert fields["consent_noemie"]["value"] is True
    assert page.locator('[data-field="mandate_reference"]').inner_text() == rum  # on the receipt


# --- 3. keyboard only ----------------------------------------------------------------------------------------


def test_a_pre_admission_with_the_keyboard_only(page, stack):
    page.goto(stack.service_url + launch(stack, "chu-demo", stay={"date": STAY, "service": "Cardiologie"}))
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Aller au contenu"
    tab_to(page, "S’identifier avec")
    press_and_wait(page, "Enter")
    assert page.url.startswith(stack.sandbox_url)
    tab_to(page, r"identifiant test\s*$")
    press_and_wait(page, "Enter")
    tab_to(page, "^Continuer")
    press_and_wait(page, "Space")
    page.wait_for_url(re.compile(r".*/personnes$"))

    # Radios: Tab enters the group, the arrows move and check, Space checks.
    tab_to_id(page, "patient")
    page.keyboard.press("Space")
    assert is_checked(page, "patient")
    page.keyboard.press("ArrowDown")
    assert is_checked(page, "patient-1") and page.evaluate("() => document.activeElement.id") == "patient-1"
    page.keyboard.press("ArrowUp")
    assert is_checked(page, "patient") and not is_checked(page, "patient-1")
    page.shots.take("qui-est-concerne")
    tab_to(page, "^Continuer")
    press_and_wait(page, "Enter")

    assert path_of(page).endswith("/formulaire")
    assert page.get_by_text("Certifié par FranceConnect").first.is_visible()
    type_into(page, "address", "5 avenue des Lilas")
    type_into(page, "postal_code", "75020")  # one commune, Paris: nothing to choose
    type_into(page, "phone", "0612345678")
    type_into(page, "emergency_name", "Marc Dubois")
    type_into(page, "emergency_phone", "0698765432")  # the link to the patient is forgotten
    tab_to_id(page, "consent_accuracy")
    page.keyboard.press("Space")
    tab_to_id(page, "consent_transmission")
    page.keyboard.press("Space")
    tab_to_id(page, "consent_accuracy", key="Shift+Tab")  # back, to check the first box held
    assert is_checked(page, "consent_accuracy") and is_checked(page, "consent_transmission")
    page.shots.take("formulaire")
    tab_to(page, "^Continuer vers les pièces justificatives$")
    press_and_wait(page, "Enter")

    # The error summary has the focus; its link takes the focus to the field.
    check_error_summary(page, {"emergency_link"})
    page.shots.take("formulaire-avec-erreurs")
    page.keyboard.press("Tab")
    assert focused(page)["text"].startswith("Lien avec le patient")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "emergency_link"
    page.keyboard.type("Frère")  # a list: typing its first letters chooses « Frère ou sœur »
    tab_to(page, "^Continuer vers les pièces justificatives$")
    press_and_wait(page, "Enter")

    assert path_of(page).endswith("/pieces"), page.url
    page.shots.take("pieces")
    tab_to(page, "^Continuer vers la vérification$")
    press_and_wait(page, "Enter")

    assert path_of(page).endswith("/verification"), page.url
    assert "Frère ou sœur" in page.locator("main").inner_text()
    page.shots.take("verification")
    tab_to(page, f"^Envoyer à {HOSPITAL}$")
    press_and_wait(page, "Enter")

    reference = receipt_reference(page)
    page.shots.take("recepisse")
    content = stored(stack, reference)
    assert content["patient"] == {"kind": "self", "minor": False}
    fields = content["fields"]
    assert fields["emergency_name"]["value"] == "Marc Dubois"
    assert fields["emergency_link"]["value"] == "Frère ou sœur" and fields["city"]["value"] == "Paris"
    assert fields["address"]["value"] == "5 avenue des Lilas" and fields["phone"]["value"] == "+33612345678"
    assert fields["consent_accuracy"]["value"] is True and fields["consent_transmission"]["value"] is True
    assert fields["birth_name"] == {"value": "DUBOIS", "source": "franceconnect", "at": fields["birth_name"]["at"]}


# --- 4. error paths ------------------------------------------------------------------------------------------


def test_cancel_at_franceconnect_from_a_journey(page, stack):
    page.goto(stack.service_url + launch(stack, "chu-demo", stay={"date": STAY}))
    page.get_by_role("button", name=FC_BUTTON).click()
    page.wait_for_url(stack.sandbox_url + "/**")
    page.get_by_role("button", name=re.compile("Revenir sur le site")).click()
    page.wait_for_url(stack.service_url + "/auth/erreur**")
    alert = page.get_by_role("alert")
    assert alert.get_by_role("heading", name="La connexion avec FranceConnect n’a pas abouti").is_visible()
    assert page.get_by_role("heading", name="Réessayer").is_visible()
    retry = page.get_by_role("button", name=FC_BUTTON)
    assert retry.is_visible()
    audit(page, "erreur-annulation")
    retry.click()  # the retry button starts a new sign-in
    page.wait_for_url(stack.sandbox_url + "/**")
    assert page.locator('button[name="login"][value="test"]').is_visible()
    assert references(stack) == []


def test_a_provider_down_still_lets_the_person_send(page, stack):
    page.goto(stack.service_url + launch(stack, "chu-demo", stay={"date": STAY, "service": "Cardiologie"}))
    sign_in(page, stack, "test", cnam_fault="cnam:500")
    page.get_by_label(re.compile("^Moi-même")).check()
    submit_form(page, "Continuer")

    gap = page.locator("[data-gap='insurance:unavailable']")
    assert "Vos droits à l’Assurance Maladie n’ont pas pu être vérifiés" in gap.inner_text()
    assert page.locator('[data-field="nir"]').count() == 0  # nothing certified by the CNAM
    assert page.locator('[data-field="birth_name"][data-source="franceconnect"]').is_visible()
    assert page.locator('[data-field="c2s"][data-source="api_particulier"]').is_visible()
    audit(page, "formulaire-source-indisponible")
    fill_without_the_cnam(page)
    past_attachments(page, scan=False)

    assert path_of(page).endswith("/verification"), page.url
    assert page.locator('[data-field="nir"][data-source="declared"]').inner_text() == "2 62 08 75 107 901 69"
    page.shots.take("verification")
    submit_form(page, f"Envoyer à {HOSPITAL}")
    reference = receipt_reference(page)
    page.shots.take("recepisse")

    content = stored(stack, reference)
    assert content["sources"]["cnam"]["status"] == "unavailable"
    assert content["sources"]["c2s"]["status"] == "ok"
    assert content["fields"]["nir"] == {"value": "262087510790169", "source": "declared", "at": None}
    assert content["fields"]["caisse"]["value"] == "CPAM de Paris"


def test_a_family_the_cnam_did_not_give_offers_a_retry_or_typing(page, stack):
    page.goto(stack.service_url + launch(stack, "chu-demo", stay={"date": STAY, "service": "Pédiatrie"}))
    sign_in(page, stack, "avec_nom_dusage", cnam_fault="cnam:500")
    retry = page.get_by_role("region", name="Vos proches n’ont pas pu être récupérés")
    assert "L’Assurance Maladie n’a pas répondu" in retry.inner_text()
    # « Réessayer » beside « Saisir moi-même », before the list (where typing the person in stays possible).
    assert retry.get_by_role("heading", name="Réessayer").is_visible()
    assert retry.get_by_role("button", name="Saisir l’identité du patient").is_visible()
    assert page.get_by_label(re.compile("^Une autre personne")).is_visible()
    audit(page, "qui-est-concerne-cnam-indisponible")
    retry.get_by_role("button", name=FC_BUTTON).click()
    page.wait_for_url(stack.sandbox_url + "/**")
    page.locator('button[name="login"][value="avec_nom_dusage"]').click()
    page.get_by_role("button", name=re.compile("^Continuer")).click()
    page.wait_for_url(re.compile(re.escape(stack.service_url) + r"/.*/personnes$"))
    assert page.get_by_role("region", name="Vos proches n’ont pas pu être récupérés").count() == 0
    assert page.get_by_label(re.compile("^Louis ")).is_visible()  # the family, this time
    page.shots.take("qui-est-concerne-apres-nouvel-essai")
