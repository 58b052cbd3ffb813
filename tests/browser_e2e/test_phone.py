"""Shorter on a phone (375 × 667 CSS px, an iPhone SE's screen), and a sign of life while the rights are fetched.

- The information page: the FranceConnect button within the first two screens, after « Ce dont vous aurez besoin »
  and the choice of sources; the details and the person's rights after it, one link away.
- The form: one provenance label per group whose values share a source, each certified group described by it.
- After FranceConnect's consent, « Nous récupérons vos droits… » (role=status) while the retrieval runs: held here
  with Playwright's routing so that the page is checked without any timing.

The heights measured are written to test-artifacts/measurements/phone.json for the record; they are not asserted
(the fields belong to the forms), except the button's position, which is this page's promise.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.browser_e2e.conftest import ROOT, audit, run_axe
from tests.browser_e2e.test_journeys import CHU, FC_BUTTON, MUTUELLE, STAY, launch, path_of, submit_form

pytestmark = pytest.mark.browser

SCREEN = {"width": 375, "height": 667}
MEASUREMENTS = ROOT / "test-artifacts" / "measurements" / "phone.json"


def record(name: str, value) -> None:
    MEASUREMENTS.parent.mkdir(parents=True, exist_ok=True)
    known = json.loads(MEASUREMENTS.read_text()) if MEASUREMENTS.exists() else {}
    known[name] = value
    MEASUREMENTS.write_text(json.dumps(known, indent=2, sort_keys=True))


def bottom_of(page, selector: str) -> float:
    return page.evaluate("s => { const r = document.querySelector(s).getBoundingClientRect();"
                         " return r.bottom + window.scrollY; }", selector)


def before(page, first: str, second: str) -> bool:
    return page.evaluate("([a, b]) => Boolean(document.querySelector(a).compareDocumentPosition("
                         "document.querySelector(b)) & Node.DOCUMENT_POSITION_FOLLOWING)", [first, second])


@pytest.mark.parametrize("org, claims, needed", [
    ("chu-demo", {"stay": {"date": STAY, "service": "Cardiologie"}}, ("personne à prévenir", "convocation")),
    ("mutuelle-demo", {"ref": "WEB-7"}, ("IBAN", "RIB")),
])
def test_the_franceconnect_button_is_within_two_phone_screens(page, stack, org, claims, needed):
    page.set_viewport_size(SCREEN)
    page.goto(stack.service_url + launch(stack, org, **claims))
    button = page.get_by_role("button", name=FC_BUTTON)
    bottom = bottom_of(page, "button.fr-connect")
    record(f"{org}/information/fc_button_bottom", bottom)
    record(f"{org}/information/height", page.evaluate("() => document.documentElement.scrollHeight"))
    assert bottom <= 2 * SCREEN["height"], f"the button ends at {bottom} px"
    assert button.is_visible() and page.get_by_role("link", name="Qu’est-ce que FranceConnect ?").is_visible()
    # Before it: what to have at hand, what is fetched and from whom (the sources to choose), who receives the
    # dossier and for how long it is kept; after it, the details and rights, linked from before it.
    needs = page.get_by_role("region", name="Ce dont vous aurez besoin")
    assert all(word in needs.inner_text() for word in needed)
    assert before(page, "#needs-title", "button.fr-connect")
    summary = page.locator("#consent-summary").inner_text()
    assert "FranceConnect nous transmet votre identité" in summary and "jours au plus" in summary
    assert page.get_by_role("group", name="Informations à récupérer").get_by_role("checkbox").count() == 2
    assert before(page, "button.fr-connect", "#details-title")
    page.locator("#consent-summary a[href='#details-title']").click()
    assert page.evaluate("() => location.hash") == "#details-title"
    assert not run_axe(page)  # at the phone's width as well as the desktop's (audit)
    audit(page, "information")


def test_the_form_says_each_groups_source_once(page, stack):
    page.goto(stack.service_url + launch(stack, "chu-demo", stay={"date": STAY, "service": "Cardiologie"}))
    page.get_by_role("button", name=FC_BUTTON).click()
    page.locator('button[name="login"][value="test"]').click()
    page.get_by_role("button", name=re.compile("^Continuer")).click()
    page.wait_for_url(re.compile(r".*/personnes$"))
    page.get_by_label(re.compile("^Moi-même")).check()
    submit_form(page, "Continuer")
    assert path_of(page).endswith("/formulaire")
    page.set_viewport_size(SCREEN)
    record("chu-demo/formulaire/adult/height", page.evaluate("() => document.documentElement.scrollHeight"))
    labels = page.locator("main .source").all_inner_texts()
    record("chu-demo/formulaire/adult/provenance_labels", len(labels))
    assert labels.count("Certifié par FranceConnect") == 1
    described = page.locator("dl.facts[aria-describedby]")
    assert described.count() >= 3  # the stay, the patient, the insurance (and the C2S)
    for dl in described.all():
        label = page.locator("#" + dl.get_attribute("aria-describedby"))
        assert label.is_visible() and re.match(r"(Certifié|Transmis) par ", label.inner_text())
        assert dl.locator(".source").count() == 0  # not repeated on each value
    assert not run_axe(page)
    audit(page, "formulaire")


def test_a_sign_of_life_while_the_rights_are_fetched(page, stack):
    stack.fc.provider_slow_seconds = 2  # the CNAM answers, slowly (the deadline is 10 s)
    # Test instrumentation only (the page has no script): when the page painted and when it moved on by itself.
    page.add_init_script("""if (location.pathname === '/auth/callback') {
        new PerformanceObserver(list => list.getEntries().forEach(e => sessionStorage.setItem(e.name, e.startTime)))
            .observe({type: 'paint', buffered: true});
        addEventListener('pagehide', () => sessionStorage.setItem('left', performance.now()));
    }""")
    page.goto(stack.service_url + MUTUELLE)
    page.get_by_role("button", name=FC_BUTTON).click()
    page.locator("#provider-fault-cnam").select_option("cnam:slow")
    page.locator('button[name="login"][value="test"]').click()
    with page.expect_request(re.compile(r".*/auth/recuperation\?id=[A-Za-z0-9]+$")) as retrieval:
        page.get_by_role("button", name=re.compile("^Continuer")).click(no_wait_after=True)
    page.wait_for_url(re.compile(r".*/personnes$"))
    assert page.get_by_role("heading", name="Qui souhaitez-vous couvrir ?").is_visible()
    assert retrieval.value.frame == page.main_frame and retrieval.value.is_navigation_request()
    marks = page.evaluate("() => Object.assign({}, sessionStorage)")
    # The page was painted, and so shown while the retrieval ran, rather than FranceConnect's page staying frozen.
    assert "first-contentful-paint" in marks and "left" in marks, marks


def test_the_retrieval_page_without_its_refresh(page, stack):
    """The page itself, kept on screen: the refresh is answered 204 (the browser stays), then « Continuer »."""
    refused = []

    def stay(route) -> None:
        refused.append(route.request.url)
        route.fulfill(status=204)

    page.route("**/auth/recuperation?**", stay)
    page.goto(stack.service_url + MUTUELLE)
    page.get_by_role("button", name=FC_BUTTON).click()
    page.locator('button[name="login"][value="test"]').click()
    page.get_by_role("button", name=re.compile("^Continuer")).click()
    status = page.get_by_role("status")
    status.get_by_role("heading", name="Nous récupérons vos droits…").wait_for()
    assert path_of(page) == "/auth/callback"
    link = page.get_by_role("link", name="Continuer")
    page.wait_for_function("() => document.readyState === 'complete'")
    assert refused and link.get_attribute("href") == refused[0].removeprefix(stack.service_url)
    spinner = page.locator(".progress__spinner")
    assert spinner.evaluate("el => getComputedStyle(el).animationName") == "progress-turn"
    page.emulate_media(reduced_motion="reduce")
    assert spinner.evaluate("el => getComputedStyle(el).animationName") == "none"
    page.emulate_media(reduced_motion="no-preference")
    page.set_viewport_size(SCREEN)
    assert not run_axe(page)
    audit(page, "recuperation-en-cours")

    page.unroute("**/auth/recuperation?**")
    link.click()  # the fallback works, once
    page.wait_for_url(re.compile(r".*/personnes$"))
    assert page.get_by_role("heading", name="Qui souhaitez-vous couvrir ?").is_visible()


def test_the_start_page_leads_to_the_demarches(page, stack):
    page.goto(stack.service_url + "/")
    demarches = page.get_by_role("region", name="Démarches proposées")
    assert demarches.get_by_role("link", name=re.compile("^Pré-admission — ")).count() >= 1
    assert page.get_by_role("link", name="le portail de démonstration").get_attribute("href") == (
        stack.sandbox_url + "/portail/")
    audit(page, "accueil")
    page.get_by_role("button", name=FC_BUTTON).click()
    page.locator('button[name="login"][value="test"]').click()
    page.get_by_role("button", name=re.compile("^Continuer")).click()
    page.wait_for_url(stack.service_url + "/mon-espace")
    text = page.locator("main").inner_text()
    assert "DUBOIS" in text
    for health in ("sécurité sociale", "Médecin traitant", "C2S :", "2 62 08"):
        assert health not in text, health
    page.get_by_role("link", name=re.compile("^Pré-admission — ")).first.click()
    assert path_of(page) == CHU
