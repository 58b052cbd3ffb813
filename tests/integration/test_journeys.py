"""Both journeys end to end over loopback HTTP: portal link, information, FranceConnect sandbox, rights, form,
review, submission, receipt; then the stored dossier, decrypted, checked field by field against the pages.

Each scenario ends with exactly one dossier whose provenance says what was certified and what was typed.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from app.extensions import services
from tests.journeys.support import DECLARED, REFERENCE, audit_details, csrf_token, dossier_count, field_names

CHU, MUTUELLE = "/preadmission/chu-demo", "/adhesion/mutuelle-demo"
TODAY = dt.date.today()
STAY = (TODAY + dt.timedelta(days=10)).isoformat()


def go(browser, method: str, url: str, data=None) -> requests.Response:
    response = browser.http.request(method, url, data=data, allow_redirects=False, timeout=15)
    browser.history.append(response)
    while response.is_redirect:
        response = browser.http.get(urljoin(response.url, response.headers["Location"]), allow_redirects=False,
                                    timeout=15)
        browser.history.append(response)
    browser.page = response
    return response


def start(stack, path: str, login: str, *, faults=(), decline=()):
    """Open the portal link, choose the sources, sign in through the sandbox: lands on « who is concerned »."""
    browser = stack.browser()
    browser.get(stack.service_url + path)
    form = next(f for f in browser.forms() if f.action.endswith("/auth/login"))
    fields = [(name, value) for name, value in form.fields if not (name == "sources" and value in decline)]
    login_start = browser.http.post(urljoin(browser.page.url, form.action), data=fields, allow_redirects=False,
                                    timeout=15)
    assert login_start.status_code == 303
    browser.get(login_start.headers["Location"])
    browser.submit(login, extra=[("provider_fault", fault) for fault in faults])
    browser.submit("Continuer")  # the sandbox's consent, then the callback
    assert urlsplit(browser.page.url).path.endswith("/personnes"), browser.page.url
    return browser, login_start


def fill(browser, overrides=None, drop=()):
    """Answer every field the page's form asks, as a person would: keep what is already filled in (suggestions),
    type DECLARED's values in the empty ones, then apply `overrides`."""
    names = field_names(browser.page.text)
    data = {name: DECLARED[name] for name in names if name in DECLARED and name not in drop}
    shown = {name: value for form in browser.forms() for name, value in form.fields if value}
    data.update({name: shown[name] for name in data if name in shown and name != "csrf_token"})
    data.update(overrides or {})
    data["csrf_token"] = csrf_token(browser.page.text)
    response = go(browser, "POST", browser.page.url, data)
    if urlsplit(browser.page.url).path.endswith("/pieces"):
        # The form leads to the optional « Pièces justificatives » step: go on without a file.
        response = browser.submit("Continuer vers la vérification")
    return response


def send(browser):
    assert "/verification" in browser.page.url, browser.page.url
    browser.submit("Envoyer à")
    assert urlsplit(browser.page.url).path.endswith("/recepisse") and browser.page.status_code == 200
    return REFERENCE.search(browser.page.text).group(1)


def stored(stack, reference: str) -> dict:
    assert dossier_count(stack.service) == 1
    return services(stack.service).dossiers.get(reference).content


def provenance(content: dict) -> dict[str, str]:
    return {name: field["source"] for name, field in content["fields"].items()}


def assert_page_shows(html: str, content: dict) -> None:
    """The receipt shows every stored value with the source it was stored with."""
    for name, field in content["fields"].items():
        assert f'data-field="{name}" data-source="{field["source"]}"' in html, name


@pytest.fixture
def stack(make_stack, database_uri):
    # Every scenario on SQLite, and on PostgreSQL where it is reachable (mandatory in CI).
    return make_stack(CNAM_EXONERATIONS=True, SQLALCHEMY_DATABASE_URI=database_uri)


def test_an_adult_with_c2s_pre_admits_herself(stack):
    stay = {"date": STAY, "service": "Chirurgie orthopédique"}
    browser, _ = start(stack, stack.launch_path("chu-demo", ref="ADM-2026-42", stay=stay),
                       "test")
    assert "Une autre personne" in browser.page.text
    browser.submit("Continuer", extra={"patient": "self"})
    form = browser.page.text
    assert "Certifié par FranceConnect" in form and "Transmis par l’Assurance Maladie le " in form
    assert "Transmis par la Sécurité sociale (API Particulier) le " in form
    assert not {"nir", "birth_name", "c2s", "complementary_name"} & set(field_names(form))
    # Certified values sent anyway are never read.
    fill(browser, {"birth_name": "PIRATE", "nir": "169039527790269", "c2s": "non", "phone": "06 12 34 56 78"})
    review = browser.page.text
    assert "PIRATE" not in review and "2 62 08 75 107 901 69" in review and "06 12 34 56 78" in review
    reference = send(browser)

    content = stored(stack, reference)
    fields = content["fields"]
    assert (content["journey"], content["organisation"]["id"], content["portal_reference"]) == (
        "preadmission", "chu-demo", "ADM-2026-42")
    assert content["stay"]["date"]["value"] == STAY and content["stay"]["service"] == {
        "value": "Chirurgie orthopédique", "source": "organisation", "at": content["stay"]["service"]["at"]}
    assert content["patient"] == {"kind": "self", "minor": False}
    assert fields["birth_name"]["value"] == "DUBOIS" and fields["first_names"]["value"] == "Angela Claire Louise"
    assert (fields["nir"]["value"], fields["caisse"]["value"]) == ("262087510790169", "CPAM de Paris")
    assert fields["c2s"]["value"] == "sans_participation" and fields["c2s_since"]["value"] == "2023-02-01"
    assert fields["medecin_traitant"]["value"] == "HELENE ROUSSEL"
    assert fields["phone"] == {"value": "+33612345678", "source": "declared", "at": None}
    sources = provenance(content)
    assert {sources[n] for n in ("birth_name", "first_names", "sex", "birth_date", "birth_place")} == {
        "franceconnect"}
    assert {sources[n] for n in ("nir", "regime", "caisse", "amo_start", "exoneration", "medecin_traitant")} == {
        "cnam"}
    assert sources["c2s"] == "api_particulier" and sources["email"] == "franceconnect"
    assert {sources[n] for n in ("address", "postal_code", "emergency_name", "consent_accuracy")} == {"declared"}
    assert "complementary_name" not in fields  # the C2S covers it
    assert {s: o["status"] for s, o in content["sources"].items()} == {"c2s": "ok", "cnam": "ok"}
    assert all(field["at"] for name, field in fields.items() if field["source"] != "declared")

    assert_page_shows(browser.page.text, content)
    assert audit_details(stack.service, "journey_started") == [""]
    assert audit_details(stack.service, "source_outcome") == ["c2s:ok", "cnam:ok"]
    assert len(audit_details(stack.service, "dossier_submitted")) == 1

    # Still signed in to FranceConnect: the receipt's button signs out of both.
    logout = browser.submit("Se déconnecter", follow=False)
    assert urlsplit(logout.headers["Location"]).path == "/api/v2/session/end"
    assert "Vous êtes déconnecté" in browser.get(logout.headers["Location"]).text


def test_a_parent_pre_admits_a_child(stack, caplog):
    caplog.set_level(logging.DEBUG)
    browser, _ = start(stack, f"{CHU}/", "avec_nom_dusage")
    assert "Louis MERCIER, né(e) le 12 juin 2014 (enfant)" in browser.page.text
    browser.submit("Continuer", extra={"patient": "ayant_droit:1"})
    assert "Identité transmise par l’Assurance Maladie" in browser.page.text
    fill(browser, {"sex": "M"}, drop=("guardian1_phone",))
    assert "au moins un titulaire de l’autorité parentale" in browser.page.text  # Louis is a minor
    fill(browser, {"sex": "M"})
    reference = send(browser)

    content = stored(stack, reference)
    fields, sources = content["fields"], provenance(content)
    assert content["patient"] == {"kind": "ayant_droit", "minor": True}
    assert (fields["first_names"]["value"], fields["birth_date"]["value"], fields["nir"]["value"]) == (
        "LOUIS", "2014-06-12", "114069527791187")
    assert {sources[n] for n in ("birth_name", "first_names", "birth_date", "nir", "insured_nir", "caisse")} == {
        "cnam"}
    assert fields["insured_nir"]["value"] == "169039527790269"
    assert fields["medecin_traitant"]["value"] == "NADIA HAMIDI"
    assert sources["sex"] == sources["birth_place"] == "declared"
    assert fields["guardian1_name"] == {"value": "Pierre MERCIER", "source": "franceconnect",
                                        "at": fields["guardian1_name"]["at"]}  # the suggestion, kept
    assert content["declarant"]["first_names"]["value"] == "Pierre"
    assert fields["c2s"] == {"value": "non", "source": "api_particulier", "at": fields["c2s"]["at"]}
    assert_page_shows(browser.page.text, content)
    # Logs carry references and codes, never what the dossier holds.
    assert reference in caplog.text
    for value in ("LOUIS", "MERCIER", "114069527791187", "169039527790269", "HAMIDI", "Pontoise", "0698765432",
                  "+33612345678", "2014-06-12", "Sophie Dubois"):
        assert value not in caplog.text, value


def test_a_parent_covers_the_family_with_a_mutuelle(stack):
    browser, _ = start(stack, stack.launch_path("mutuelle-demo", ref="WEB-77"),
                       "avec_nom_dusage")
    browser.submit("Continuer", extra=[("covered", "0"), ("covered", "1"), ("covered", "2"), ("declared", "1")])
    form = browser.page.text
    assert "médecin traitant" not in form.lower() and "ben0_first_names" in form
    fill(browser, {"start_date": TODAY.isoformat(), "ben0_link": "enfant", "ben0_birth_name": "MERCIER",
                   "ben0_first_names": "Paul", "ben0_birth_date": "2024-01-15", "ben0_nir": ""})
    review = browser.page.text
    assert "Personnes couvertes en plus de vous" in review and "Paul" in review
    reference = send(browser)

    content = stored(stack, reference)
    assert content["journey"] == "adhesion" and content["portal_reference"] == "WEB-77"
    people = [(b["origin"], b["fields"]["first_names"]["value"], b["fields"]["link"]["value"])
              for b in content["beneficiaries"]]
    assert people == [("cnam", "SOPHIE", "conjoint"), ("cnam", "LOUIS", "enfant"), ("cnam", "JEANNE", "enfant"),
                      ("declared", "Paul", "enfant")]
    assert {f["source"] for b in content["beneficiaries"][:3] for f in b["fields"].values()} == {"cnam"}
    assert {f["source"] for f in content["beneficiaries"][3]["fields"].values()} == {"declared"}
    fields = content["fields"]
    assert fields["iban"]["value"] == "FR7630006000011234567890189"
    assert fields["start_date"]["value"] == TODAY.isoformat() and fields["consent_sepa"]["value"] is True
    assert fields["nir"]["source"] == "cnam" and fields["birth_date"]["source"] == "franceconnect"
    for name in ("medecin_traitant", "exoneration", "amo_start", "birth_place", "birth_country"):
        assert name not in fields
    # A mutuelle's journey never even fetches exonérations or the médecin traitant.
    path = "/test/v1/droits/beneficiaires/me"
    assert stack.sandbox_hits[f"{path}/medecin-traitant"] == stack.sandbox_hits[f"{path}/exonerations"] == 0
    assert_page_shows(browser.page.text, content)


def test_someone_born_abroad_unknown_to_the_c2s_registry(stack):
    browser, _ = start(stack, f"{CHU}/", "naissance_Algérie")
    browser.submit("Continuer", extra={"patient": "self"})
    assert "Votre dossier n’est pas connu de l’organisme qui gère la C2S" in browser.page.text
    assert "c2s" in field_names(browser.page.text)
    fill(browser, {"c2s": "sans_participation", "complementary_name": ""})
    assert "Étranger (code pays INSEE 99352)" in browser.page.text
    reference = send(browser)

    content = stored(stack, reference)
    fields = content["fields"]
    assert fields["birth_country"]["value"] == "99352" and fields["birth_place"]["value"] == ""
    assert fields["birth_country"]["source"] == fields["birth_place"]["source"] == "franceconnect"
    assert fields["c2s"] == {"value": "sans_participation", "source": "declared", "at": None}
    assert fields["nir"] == {"value": "163129935290784", "source": "cnam", "at": fields["nir"]["at"]}
    assert content["sources"]["c2s"]["status"] == "not_found"


def test_someone_the_cnam_does_not_know_joins_a_mutuelle(stack):
    browser, _ = start(stack, f"{MUTUELLE}/", "naissance_Portugal")
    assert "ne gère pas vos droits" in browser.page.text  # no beneficiaries to offer
    browser.submit("Continuer", extra={"declared": "0"})
    assert {"nir", "regime", "caisse"} <= set(field_names(browser.page.text))
    fill(browser, {"nir": "1 55 06 99 139 901 83", "regime": "agricole", "caisse": "MSA Île-de-France",
                   "start_date": (TODAY + dt.timedelta(days=30)).isoformat()})
    reference = send(browser)

    content = stored(stack, reference)
    fields = content["fields"]
    assert fields["nir"] == {"value": "155069913990183", "source": "declared", "at": None}
    assert (fields["regime"]["value"], fields["caisse"]["value"]) == ("agricole", "MSA Île-de-France")
    assert fields["c2s"]["source"] == "api_particulier" and fields["birth_name"]["value"] == "SÉGUIN"
    assert content["beneficiaries"] == []
    assert content["sources"]["cnam"]["status"] == "not_found"


def test_a_provider_down_leaves_the_person_able_to_finish(stack):
    browser, _ = start(stack, f"{CHU}/", "test", faults=["cnam:500"])
    browser.submit("Continuer", extra={"patient": "self"})
    assert "Vos droits à l’Assurance Maladie n’ont pas pu être vérifiés" in browser.page.text
    fill(browser, {"nir": "2 62 08 75 107 901 69", "caisse": "CPAM de Paris"})
    reference = send(browser)

    content = stored(stack, reference)
    sources = provenance(content)
    assert sources["nir"] == sources["caisse"] == sources["regime"] == "declared"
    assert sources["c2s"] == "api_particulier" and sources["birth_name"] == "franceconnect"
    assert content["sources"]["cnam"]["status"] == "unavailable"
    assert audit_details(stack.service, "source_outcome") == ["c2s:ok", "cnam:unavailable"]


def test_a_declined_source_is_neither_requested_nor_called(stack):
    browser, login = start(stack, f"{CHU}/", "test", decline=("c2s",))
    scopes = parse_qs(urlsplit(login.headers["Location"]).query)["scope"][0].split()
    assert "complementaire_sante_solidaire" not in scopes and "droits_assurance_maladie" in scopes
    browser.submit("Continuer", extra={"patient": "self"})
    assert "Vous n’avez pas demandé la vérification de votre statut C2S" in browser.page.text
    fill(browser, {"c2s": "non"})
    reference = send(browser)
    content = stored(stack, reference)
    assert content["fields"]["c2s"]["source"] == "declared"
    assert content["sources"]["c2s"] == {"status": "not_requested", "reason": None, "retrieved_at": None,
                                         "partial": False}
    assert stack.sandbox_hits["/v3/dss/complementaire_sante_solidaire/france_connect"] == 0


HOSTILE = [
    ({"address": "A" * 10_000}, 200, "ne doit pas dépasser 150 caractères"),
    ({"city": "Paris\x00"}, 200, "caractères non autorisés"),
    ({"emergency_name": "<script>alert(1)</script>"}, 200, "Utilisez uniquement des lettres"),
    ({"usage_name": "\u202eSIOBUD"}, 200, "caractères non autorisés"),
    ({"postal_code": "00000"}, 200, "code postal"),
    ({"phone": "0800 00 00 00"}, 200, "fixe ou mobile"),
    ({"emergency_phone": "+44 20 7946 0958"}, 200, "fixe ou mobile"),
    ({"email": "x@@y"}, 200, "adresse électronique valide"),
    ({"consent_accuracy": ""}, 200, "attester l’exactitude"),
    ({f"f{i}": "x" for i in range(250)}, 413, "trop volumineux"),
    ({"address": "x" * 70_000}, 413, "trop volumineux"),
]


def test_hostile_inputs_end_in_a_field_error_or_a_refusal_never_a_dossier(stack):
    browser, _ = start(stack, f"{CHU}/", "test")
    browser.submit("Continuer", extra={"patient": "self"})
    form_url, form_html = browser.page.url, browser.page.text
    for overrides, status, message in HOSTILE:
        browser.page = browser.get(form_url)
        response = fill(browser, overrides)
        assert response.status_code == status, (list(overrides)[:1], response.status_code)
        assert message in response.text, list(overrides)[:1]
        if status == 200:
            assert response.text.count('aria-invalid="true"') == 1, list(overrides)[:1]
            assert "<script>alert" not in response.text and "\x00" not in response.text
    token = csrf_token(form_html)
    polluted = browser.http.post(form_url, data=[("csrf_token", token), ("phone", "0612345678"),
                                                 ("phone", "0698765432")], timeout=15)
    assert polluted.status_code == 400
    # Without a CSRF token, with another session's, or with a GET where a POST is needed.
    other, _ = start(stack, f"{CHU}/", "test")
    send_url = form_url.replace("/formulaire", "/envoi")
    assert browser.http.post(send_url, data={}, timeout=15).status_code == 400
    foreign = browser.http.post(form_url, data={**DECLARED, "csrf_token": csrf_token(other.page.text)}, timeout=15)
    assert foreign.status_code == 400 and "Le formulaire a expiré" in foreign.text
    wrong_method = browser.http.get(send_url, timeout=15)
    assert wrong_method.status_code == 405 and "Action impossible" in wrong_method.text
    assert dossier_count(stack.service) == 0
    assert browser.http.get(form_url.replace("/formulaire", "/verification"), allow_redirects=False,
                            timeout=15).headers["Location"].endswith("/formulaire")  # no draft was kept


def test_a_double_click_a_refresh_and_a_replay_make_one_dossier(stack):
    browser, _ = start(stack, f"{CHU}/", "test")
    browser.submit("Continuer", extra={"patient": "self"})
    fill(browser)
    send_url = browser.page.url.replace("/verification", "/envoi")
    data = {"csrf_token": csrf_token(browser.page.text)}
    landed: list[str] = []

    def click():
        clone = requests.Session()
        clone.cookies.update(browser.http.cookies)
        response = clone.post(send_url, data=data, allow_redirects=False, timeout=15)
        landed.append(f"{response.status_code} {urlsplit(response.headers.get('Location')).path}")

    double_click = [threading.Thread(target=click) for _ in range(2)]
    for thread in double_click:
        thread.start()
    for thread in double_click:
        thread.join()
    click()  # the replayed POST, after the first answer
    assert set(landed) == {f"303 {CHU}/recepisse"}
    receipt = browser.get(stack.service_url + f"{CHU}/recepisse")
    reference = REFERENCE.search(receipt.text).group(1)
    assert dossier_count(stack.service) == 1
    assert stored(stack, reference)["journey"] == "preadmission"
    assert browser.get(stack.service_url + f"{CHU}/recepisse").text.count(reference) >= 1
    assert len(audit_details(stack.service, "dossier_submitted")) == 1


def test_sign_in_successes_and_failures_are_audited_without_personal_data(make_stack):
    from sqlalchemy import text

    from app.sandbox.state import pairwise_sub

    stack = make_stack()
    browser = stack.browser()
    browser.get(stack.service_url + "/preadmission/chu-demo/")
    browser.submit("FranceConnect")
    browser.submit("Revenir sur le site")  # cancel at FranceConnect
    browser.get(stack.service_url + "/preadmission/chu-demo/")
    browser.submit("FranceConnect")
    browser.submit("test")
    browser.submit("Continuer")
    engine = services(stack.service).dossiers.engine
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT event, journey, organisation, subject, detail FROM audit_events ORDER BY at, id")).all()
    events = [(r.event, r.journey, r.organisation, r.detail) for r in rows if r.event.startswith("sign_in")]
    assert events == [
        ("sign_in_failed", "preadmission", "chu-demo", "callback_error_access_denied"),
        ("sign_in_succeeded", "preadmission", "chu-demo", ""),
    ]
    subject = next(r.subject for r in rows if r.event == "sign_in_succeeded")
    assert subject and len(subject) == 64
    raw_sub = pairwise_sub(services(stack.service).settings.franceconnect.client_id, "test")
    assert subject != raw_sub
    assert all(raw_sub not in str(tuple(r)) and "DUBOIS" not in str(tuple(r)) for r in rows)


def test_retry_after_a_cancel_resumes_the_same_journey_with_the_portal_parameters(make_stack):
    stack = make_stack()
    browser = stack.browser()
    browser.get(stack.service_url + stack.launch_path("chu-demo", stay={"service": "Cardiologie"}))
    login = browser.submit("FranceConnect", follow=False, untick=[("sources", "c2s")])
    browser.get(login.headers["Location"])
    page = browser.submit("Revenir sur le site")  # cancel at FranceConnect
    assert "La connexion avec FranceConnect n’a pas abouti" in page.text
    retry = browser.submit("FranceConnect", follow=False)
    assert "droits_assurance_maladie" in retry.headers["Location"]
    assert "complementaire_sante_solidaire" not in retry.headers["Location"]
    browser.get(retry.headers["Location"])
    browser.submit("test")
    page = browser.submit("Continuer")
    assert page.url == stack.service_url + "/preadmission/chu-demo/personnes"
    browser.submit("Continuer", extra={"patient": "self"})
    assert "PORTAIL-42" in browser.page.text or "Cardiologie" in browser.page.text
