"""The journeys' views through Flask's test client, with a session prepared as a sign-in would leave it."""

from __future__ import annotations

import datetime as dt
import logging
import re
from urllib.parse import urlsplit

import pytest
from werkzeug.datastructures import MultiDict

from app.model.journey import JourneyContext
from app.model.signin import SignInResult
from app.sessions import SessionState
from tests.journeys.factories import ANGELA, PIERRE, c2s_ok, cnam_ok, failed, family
from tests.journeys.support import (
    DECLARED,
    audit_details,
    audit_row_count,
    csrf_token,
    dossier_count,
    field_names,
    journeys_app,
)
from tests.portal import launch_path

CHU, MUTUELLE = "/preadmission/chu-demo", "/adhesion/mutuelle-demo"


@pytest.fixture
def app(make_app):
    return journeys_app(make_app)


def sign_in(client, journey="preadmission", org="chu-demo", identity=ANGELA, results=None, **context):
    results = {"c2s": c2s_ok(), "cnam": cnam_ok()} if results is None else results
    with client.session_transaction() as session:
        state = SessionState(session)
        state.restart_clocks()
        context = JourneyContext(journey, org, "2026-11-22T13:00:00+00:00", signed_in=True, **context)
        state.save_sign_in(SignInResult(identity=identity, rights=results, journey=context), id_token="id-token")


def session_of(client) -> SessionState:
    with client.session_transaction() as session:
        return SessionState(dict(session))


def post(client, path, data, page=None):
    token = csrf_token(client.get(page or path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def fill(client, path, overrides=None, drop=()):
    """Post the form at `path` with a valid answer for each field it asks."""
    names = field_names(client.get(path).get_data(as_text=True))
    data = {name: DECLARED[name] for name in names if name in DECLARED and name not in drop}
    return post(client, path, {**data, **(overrides or {})})


def to_review(client, base=CHU, patient="self", **overrides):
    if base == CHU:
        assert post(client, f"{base}/personnes", {"patient": patient}).status_code == 303
    else:
        assert post(client, f"{base}/personnes", {"declared": "0"}).status_code == 303
    response = fill(client, f"{base}/formulaire", overrides)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    return response


# Information page --------------------------------------------------------------------------------------------

def test_information_page_explains_and_offers_the_choice_of_sources(client, app):
    stay = {"date": "2027-01-02", "service": "Cardiologie", "type": "ambulatoire"}
    opened = client.get(launch_path("chu-demo", audience="http://localhost", ref="ADM-42", stay=stay))
    # The token leaves the address bar: the page is shown at its clean URL.
    assert opened.status_code == 303 and opened.headers["Location"] == f"{CHU}/"
    page = client.get(f"{CHU}/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for text in ("Centre hospitalier de Démonstration", "90 jours", "ADM-42", "2 janvier 2027", "Cardiologie",
                 "Hospitalisation de jour (ambulatoire)", "Transmis par l’établissement",
                 "médecin traitant", "exonérations", "dpo@chu-demo.example", "CNIL", "rectifier",
                 "<legend>Informations à récupérer</legend>", 'name="sources_chosen" value="1"',
                 'name="next" value="/preadmission/chu-demo/personnes"'):
        assert text in html, text
    assert len(re.findall(r'type="checkbox" id="source-(c2s|cnam)" name="sources" value="\1" checked', html)) == 2
    assert '<label for="source-c2s">' in html and '<label for="source-cnam">' in html
    assert audit_details(app, "journey_started") == []  # recorded when the sign-in starts, not on a page view
    context = session_of(client).opened_journey("preadmission", "chu-demo")
    assert (context.ref, context.stay_date, context.stay_service, context.signed_in, context.signed) == (
        "ADM-42", "2027-01-02", "Cardiologie", False, True)


def test_anonymous_page_views_write_nothing_to_the_database(app):
    for _ in range(200):
        client = app.test_client()  # a new visitor each time
        assert client.get(f"{MUTUELLE}/").status_code == 200
    assert audit_row_count(app) == 0


def test_a_mutuelle_is_never_told_about_health_details(client):
    html = client.get(f"{MUTUELLE}/").get_data(as_text=True)
    assert "Mutuelle de Démonstration" in html and "30 jours" in html
    assert "médecin traitant" not in html and "exonération" not in html


@pytest.mark.parametrize("path", ["/preadmission/mutuelle-demo/", "/adhesion/chu-demo/", "/preadmission/nowhere/",
                                  "/adhesion/chu-demo/formulaire", "/preadmission/x/recepisse"])
def test_an_unknown_organisation_or_the_wrong_journey_is_404(client, path):
    response = client.get(path)
    assert response.status_code == 404 and "Page introuvable" in response.get_data(as_text=True)


def test_unsigned_portal_parameters_are_ignored_logged_and_never_echoed(client, caplog):
    caplog.set_level(logging.INFO)
    html = client.get(f"{CHU}/?ref=%3Cscript%3Ex&date_sejour=2001-01-01&service=%3Cimg%20src%3Dx%3E").get_data(
        as_text=True)
    assert "<script>x" not in html and "<img src=x>" not in html and "&lt;img" not in html
    assert "Votre demande" not in html
    assert "names=ref,date_sejour,service" in caplog.text and "<script>" not in caplog.text


def test_unsigned_parameters_never_mark_a_minor_as_an_adult_nor_speak_for_the_hospital(client, app):
    # The reproduction of the issue: a forged far stay date made a 17-year-old an adult on « that day ».
    client.get(f"{CHU}/?date_sejour=9999-12-31&service=Psychiatrie&ref=FORGED-1")
    with client.session_transaction() as session:
        context = SessionState(session).opened_journey("preadmission", "chu-demo")
        assert (context.ref, context.stay_date, context.stay_service, context.signed) == (None, None, None, False)


# Guards ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("step", ["personnes", "formulaire", "verification"])
def test_a_step_without_sign_in_goes_back_to_the_information_page(client, step):
    response = client.get(f"{CHU}/{step}")
    assert response.status_code == 303 and response.headers["Location"] == f"{CHU}/"
    assert "identifiez-vous avec FranceConnect" in client.get(f"{CHU}/").get_data(as_text=True)


def test_a_sign_in_for_another_organisation_does_not_open_this_one(client):
    sign_in(client, journey="adhesion", org="mutuelle-demo")
    assert client.get(f"{CHU}/personnes").status_code == 303


def test_the_form_needs_the_people_step_first(client):
    sign_in(client)
    response = client.get(f"{CHU}/formulaire")
    assert response.status_code == 303 and response.headers["Location"] == f"{CHU}/personnes"


# Who is concerned --------------------------------------------------------------------------------------------

def test_a_parent_chooses_among_the_ayants_droit(client):
    sign_in(client, identity=PIERRE, results={"cnam": cnam_ok(family())})
    html = client.get(f"{CHU}/personnes").get_data(as_text=True)
    assert "Louis MERCIER, né(e) le 12 juin 2014 (enfant)" in html and 'value="ayant_droit:2"' in html
    assert post(client, f"{CHU}/personnes", {"patient": "ayant_droit:7"}).status_code == 200
    response = post(client, f"{CHU}/personnes", {"patient": "ayant_droit:1"})
    assert response.status_code == 303 and session_of(client).people.patient == "ayant_droit:1"


@pytest.mark.parametrize("status", ["unavailable", "refused"])
@pytest.mark.parametrize("base, journey, org", [(CHU, "preadmission", "chu-demo"),
                                                (MUTUELLE, "adhesion", "mutuelle-demo")])
def test_a_family_the_cnam_did_not_give_is_said_plainly_with_a_retry(client, base, journey, org, status):
    sign_in(client, journey, org, identity=PIERRE, results={"c2s": c2s_ok(), "cnam": failed("cnam", status)})
    html = client.get(f"{base}/personnes").get_data(as_text=True)
    assert "L’Assurance Maladie n’a pas répondu : nous ne connaissons pas les personnes rattachées" in html
    retry = html[html.index('<section class="card retry"'):]
    retry = retry[:retry.index("</section>")]
    assert html.index("<h1>") < html.index('<section class="card retry"')  # the question first, then the ways on
    assert ">Réessayer</h3>" in retry and 'action="/auth/login"' in retry and ">Saisir moi-même</h3>" in retry
    assert f'name="next" value="{base}/personnes"' in retry
    assert re.findall(r'name="sources" value="(\w+)"', retry) == ["c2s", "cnam"]
    assert 'name="sources_chosen" value="1"' in retry
    # Typing the person in stays possible, from the list and at once from the card.
    assert ('value="other"' in html) if journey == "preadmission" else ('name="declared"' in html)
    if journey == "preadmission":
        assert '<button type="submit" name="patient" value="other"' in retry
        response = post(client, f"{base}/personnes", {"patient": "other"})
        assert response.status_code == 303 and session_of(client).people.patient == "other"
    else:
        assert 'href="#declared"' in retry


@pytest.mark.parametrize("results", [{"cnam": cnam_ok(family())}, {"cnam": failed("cnam", "not_found")}, {}])
def test_no_retry_is_offered_when_the_cnam_answered_or_was_not_asked(client, results):
    sign_in(client, identity=PIERRE, results=results)
    html = client.get(f"{CHU}/personnes").get_data(as_text=True)
    assert "Réessayer" not in html and "/auth/login" not in html


@pytest.mark.parametrize("data", [{"covered": "3"}, {"covered": "x"}, {"declared": "6"}, {"declared": "-1"}])
def test_adhesion_refuses_people_outside_the_choices(client, data):
    sign_in(client, "adhesion", "mutuelle-demo", identity=PIERRE, results={"cnam": cnam_ok(family())})
    response = post(client, f"{MUTUELLE}/personnes", {"declared": "0", **data})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<title>Erreur : " in html and 'role="alert"' in html
    assert session_of(client).people is None


# The form ----------------------------------------------------------------------------------------------------

def test_certified_values_are_shown_read_only_and_never_read_from_the_request(client):
    sign_in(client)
    post(client, f"{CHU}/personnes", {"patient": "self"})
    names = field_names(client.get(f"{CHU}/formulaire").get_data(as_text=True))
    assert not {"birth_name", "first_names", "birth_date", "sex", "nir", "caisse", "c2s", "medecin_traitant",
                "complementary_name"} & set(names)
    assert {"address", "phone", "emergency_name", "usage_name"} <= set(names)
    response = fill(client, f"{CHU}/formulaire", {"birth_name": "PIRATE", "nir": "1 69 03 95 277 902 69",
                                                  "c2s": "non"})
    assert response.status_code == 303
    html = client.get(f"{CHU}/verification").get_data(as_text=True)
    assert "PIRATE" not in html and "2 62 08 75 107 901 69" in html
    assert "Oui, sans participation financière" in html and "Certifié par FranceConnect" in html


def test_a_missing_source_is_explained_next_to_the_fields_to_type(client):
    sign_in(client, results={"c2s": failed("c2s", "unavailable"), "cnam": failed("cnam", "not_found")})
    post(client, f"{CHU}/personnes", {"patient": "self"})
    html = client.get(f"{CHU}/formulaire").get_data(as_text=True)
    assert "Votre statut C2S n’a pas pu être vérifié ; vous pourrez joindre votre attestation." in html
    assert "ne gère pas vos droits" in html
    assert {"nir", "regime", "caisse", "c2s", "complementary_name"} <= set(field_names(html))


HOSTILE = [
    ("phone", "0" * 10_000, "ne doit pas dépasser 30 caractères"),
    ("address", "<script>alert(1)</script>", "ponctuation d’une adresse"),
    ("emergency_name", "Jean\x00Dupont", "caractères non autorisés"),
    ("emergency_link", "\u202eParent", "caractères non autorisés"),  # a choice now: refused, never normalised
    ("postal_code", "2A004", "code postal"),
    ("email", "<a href=x>@y", "adresse électronique valide"),
    ("consent_transmission", "", "Cochez cette case"),
]


@pytest.mark.parametrize("name, value, message", HOSTILE)
def test_a_hostile_value_gets_an_accessible_field_error_and_no_draft(client, name, value, message):
    sign_in(client)
    post(client, f"{CHU}/personnes", {"patient": "self"})
    response = fill(client, f"{CHU}/formulaire", {name: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Erreur : " in html
    summary = html[html.index('<div class="error-summary"'):]
    assert summary.startswith('<div class="error-summary" role="alert" tabindex="-1" autofocus')
    assert html.index("error-summary") < html.index("<h1>")
    assert f'<a href="#{name}">' in summary and message in summary
    field = re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field and f"{name}-error" in field
    assert f'id="{name}-error"' in html
    assert "<script>alert" not in html and "\x00" not in html and "<a href=x>" not in html
    assert session_of(client).draft is None


def test_parameter_pollution_too_many_fields_and_too_large_bodies_are_refused(client):
    sign_in(client)
    post(client, f"{CHU}/personnes", {"patient": "self"})
    token = csrf_token(client.get(f"{CHU}/formulaire").get_data(as_text=True))
    twice = client.post(f"{CHU}/formulaire", data=MultiDict([("csrf_token", token), ("phone", "0612345678"),
                                                             ("phone", "0698765432")]))
    assert twice.status_code == 400
    many = client.post(f"{CHU}/formulaire", data={"csrf_token": token, **{f"f{i}": "x" for i in range(250)}})
    assert many.status_code == 413 and "trop volumineux" in many.get_data(as_text=True)
    large = client.post(f"{CHU}/formulaire", data={"csrf_token": token, "address": "x" * 70_000})
    assert large.status_code == 413 and "trop volumineux" in large.get_data(as_text=True)
    assert session_of(client).draft is None


def test_a_minor_patient_needs_a_holder_of_parental_authority(client):
    sign_in(client, identity=PIERRE, results={"cnam": cnam_ok(family())})
    post(client, f"{CHU}/personnes", {"patient": "ayant_droit:1"})
    html = client.get(f"{CHU}/formulaire").get_data(as_text=True)
    # The parent is offered first, named as FranceConnect certifies them, with the phone they type once above.
    assert "Vous-même, Pierre DUBOIS, au téléphone indiqué dans les coordonnées" in html
    assert 'name="guardian1_who" value="declarant" checked' in html
    response = fill(client, f"{CHU}/formulaire", drop=("guardian1_name", "guardian1_phone"))
    assert response.status_code == 200 and "au moins un titulaire" in response.get_data(as_text=True)
    assert fill(client, f"{CHU}/formulaire").status_code == 303


def test_a_parent_admitting_their_child_types_their_phone_once(client, app):
    sign_in(client, identity=PIERRE, results={"cnam": cnam_ok(family())})
    post(client, f"{CHU}/personnes", {"patient": "ayant_droit:1"})
    me = {"emergency_who": "declarant", "guardian1_who": "declarant", "phone": "06 12 34 56 78"}
    # What the hidden fields carry is not read: the choice stands for the parent.
    response = fill(client, f"{CHU}/formulaire", {**me, "guardian1_name": "Intrus", "guardian1_phone": "0700000000"},
                    drop=("emergency_name", "emergency_phone", "emergency_link"))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert post(client, f"{CHU}/envoi", {}, page=f"{CHU}/verification").status_code == 303
    fields = stored_content(app, client)["fields"]
    phone = {"value": "+33612345678", "source": "declared", "at": None}
    assert fields["phone"] == fields["emergency_phone"] == fields["guardian1_phone"] == phone
    assert fields["emergency_name"]["value"] == fields["guardian1_name"]["value"] == "Pierre DUBOIS"
    assert fields["guardian1_name"]["source"] == "franceconnect" and fields["emergency_link"]["value"] == "Parent"
    assert not {"emergency_who", "guardian1_who"} & set(fields)


def test_the_parent_is_offered_only_for_their_own_child(client):
    sign_in(client)
    post(client, f"{CHU}/personnes", {"patient": "other"})
    names = field_names(client.get(f"{CHU}/formulaire").get_data(as_text=True))
    assert "emergency_name" in names and not {"emergency_who", "guardian1_who"} & set(names)


def test_an_adult_patient_is_not_asked_for_parental_authority(client):
    sign_in(client, identity=PIERRE, results={"cnam": cnam_ok(family())})
    post(client, f"{CHU}/personnes", {"patient": "ayant_droit:0"})
    assert "guardian1_name" not in field_names(client.get(f"{CHU}/formulaire").get_data(as_text=True))


@pytest.mark.parametrize("base, journey, org", [(CHU, "preadmission", "chu-demo"),
                                                (MUTUELLE, "adhesion", "mutuelle-demo")])
def test_the_transmission_consent_does_not_depend_on_the_organisation_s_gender(client, base, journey, org):
    sign_in(client, journey, org)
    post(client, f"{base}/personnes", {"patient": "self"} if journey == "preadmission" else {"declared": "0"})
    html = client.get(f"{base}/formulaire").get_data(as_text=True)
    assert "à lui seul" not in html and "à elle seule" not in html and "et à cet organisme seulement." in html


def test_cnam_first_names_in_capitals_are_shown_in_title_case_and_stored_as_certified(client, app):
    sign_in(client, identity=PIERRE, results={"cnam": cnam_ok(family())})
    post(client, f"{CHU}/personnes", {"patient": "ayant_droit:1"})
    form = client.get(f"{CHU}/formulaire").get_data(as_text=True)
    assert 'data-field="first_names" data-source="cnam">Louis<' in form and ">LOUIS<" not in form
    assert fill(client, f"{CHU}/formulaire").status_code == 303
    review = client.get(f"{CHU}/verification").get_data(as_text=True)
    assert 'data-field="first_names" data-source="cnam">Louis<' in review
    assert post(client, f"{CHU}/envoi", {}, page=f"{CHU}/verification").status_code == 303
    assert stored_content(app, client)["fields"]["first_names"]["value"] == "LOUIS"
    receipt = client.get(f"{CHU}/recepisse").get_data(as_text=True)
    assert 'data-field="first_names" data-source="cnam">Louis<' in receipt


@pytest.mark.parametrize("base, journey, org, people", [
    (CHU, "preadmission", "chu-demo", {"patient": "other"}),
    (MUTUELLE, "adhesion", "mutuelle-demo", {"declared": "2"}),
])
def test_the_error_summary_lists_the_errors_in_the_page_s_order(client, base, journey, org, people):
    sign_in(client, journey, org, results={"c2s": failed("c2s", "unavailable"), "cnam": failed("cnam", "refused")})
    post(client, f"{base}/personnes", people)
    html = post(client, f"{base}/formulaire", {"trusted_name": "Jean Dupont"}).get_data(as_text=True)
    summary = re.findall(r'<li><a href="#([a-z0-9_]+)">', html[:html.index("<h1>")])
    assert len(summary) > 10 and {"consent_transmission", "nir"} <= set(summary)
    page = [name for name in re.findall(r'<(?:input|select)[^>]*\bid="([a-z0-9_]+)"', html) if name in summary]
    assert summary == page


def test_a_known_minor_patient_is_offered_no_personne_de_confiance(client):
    sign_in(client, identity=PIERRE, results={"cnam": cnam_ok(family())})
    post(client, f"{CHU}/personnes", {"patient": "ayant_droit:1"})
    html = client.get(f"{CHU}/formulaire").get_data(as_text=True)
    assert "trusted_name" not in field_names(html) and "Personne de confiance" not in html
    assert "L’enfant\n    est mineur : indiquez au moins un parent" in html
    # Sent anyway, it is not read.
    sent = {"trusted_name": "Jean Dupont", "trusted_phone": "0612345678", "trusted_same": "y"}
    assert fill(client, f"{CHU}/formulaire", sent).status_code == 303
    assert not {"trusted_name", "trusted_same"} & set(session_of(client).draft.values)


def test_an_adult_patient_is_still_offered_a_personne_de_confiance(client):
    sign_in(client, identity=PIERRE, results={"cnam": cnam_ok(family())})
    post(client, f"{CHU}/personnes", {"patient": "ayant_droit:0"})
    html = client.get(f"{CHU}/formulaire").get_data(as_text=True)
    assert "trusted_name" in field_names(html) and "Seulement si le patient est majeur" not in html


@pytest.mark.parametrize("born, accepted", [("2014-06-12", False), ("1990-01-01", True)])
def test_a_typed_minor_patient_cannot_have_a_personne_de_confiance(client, born, accepted):
    sign_in(client, identity=PIERRE)
    post(client, f"{CHU}/personnes", {"patient": "other"})
    assert "Seulement si le patient est majeur" in client.get(f"{CHU}/formulaire").get_data(as_text=True)
    response = fill(client, f"{CHU}/formulaire", {"birth_date": born, "trusted_name": "Jean Dupont",
                                                   "trusted_phone": "0612345678"})
    assert (response.status_code == 303) is accepted
    if not accepted:
        assert "Un patient mineur ne désigne pas de personne de confiance" in response.get_data(as_text=True)


# The mutuelle's specifics -------------------------------------------------------------------------------------

RUM = re.compile(r'data-field="mandate_reference">(DC[0-9A-F]{24})<')
START = {"start_date": dt.date.today().isoformat()}


def stored_content(app, client) -> dict:
    from app.extensions import services

    return services(app).dossiers.get(session_of(client).receipt.reference).content


def test_the_sepa_mandate_has_one_reference_per_draft_the_day_and_the_place_of_signature(client, app):
    sign_in(client, "adhesion", "mutuelle-demo", results={"c2s": c2s_ok(False), "cnam": cnam_ok()})
    to_review(client, MUTUELLE, **START)
    review = client.get(f"{MUTUELLE}/verification").get_data(as_text=True)
    rum = RUM.search(review).group(1)
    assert "FR03ZZZDEMO01" in review and "Le jour de l’envoi" in review
    assert 'data-field="mandate_place">Pontoise<' in review
    assert session_of(client).draft.key not in review
    # Editing the same draft keeps its reference.
    cergy = {"postal_code": "95000", "city_code": "95127"}
    assert fill(client, f"{MUTUELLE}/formulaire", {**cergy, **START}).status_code == 303
    review = client.get(f"{MUTUELLE}/verification").get_data(as_text=True)
    assert RUM.search(review).group(1) == rum and 'data-field="mandate_place">Cergy<' in review
    assert post(client, f"{MUTUELLE}/envoi", {}, page=f"{MUTUELLE}/verification").status_code == 303
    mandate = stored_content(app, client)["mandate"]
    assert mandate == {"reference": rum, "creditor": "Mutuelle de Démonstration", "ics": "FR03ZZZDEMO01",
                       "signed_on": dt.date.today().isoformat(), "signed_at_place": "Cergy"}
    receipt = client.get(f"{MUTUELLE}/recepisse").get_data(as_text=True)
    assert RUM.search(receipt).group(1) == rum and "Date de signature" in receipt


def test_two_drafts_get_two_mandate_references():
    from app.journeys.content import mandate_reference

    first, second = mandate_reference("key-a"), mandate_reference("key-b")
    assert first != second and first == mandate_reference("key-a")
    assert re.fullmatch(r"DC[0-9A-F]{24}", first) and len(first) <= 35


@pytest.mark.parametrize("ticked, shown", [(True, "Oui"), (False, "Non")])
def test_the_noemie_consent_is_optional_explained_and_stored(client, app, ticked, shown):
    sign_in(client, "adhesion", "mutuelle-demo", results={"c2s": c2s_ok(False), "cnam": cnam_ok()})
    post(client, f"{MUTUELLE}/personnes", {"declared": "0"})
    form = client.get(f"{MUTUELLE}/formulaire").get_data(as_text=True)
    assert 'name="consent_noemie"' in form and "vous n’aurez pas à lui envoyer vos relevés" in form
    answer = {"consent_noemie": "y", **START} if ticked else START
    assert fill(client, f"{MUTUELLE}/formulaire", answer).status_code == 303
    review = client.get(f"{MUTUELLE}/verification").get_data(as_text=True)
    assert re.search(rf'data-field="consent_noemie" data-source="declared">{shown}<', review)
    assert post(client, f"{MUTUELLE}/envoi", {}, page=f"{MUTUELLE}/verification").status_code == 303
    assert stored_content(app, client)["fields"]["consent_noemie"]["value"] is ticked


@pytest.mark.parametrize("c2s, told", [(c2s_ok(), True), (c2s_ok(participation=True), True),
                                       (c2s_ok(False), False), (failed("c2s", "unavailable"), False)])
def test_a_c2s_beneficiary_is_told_first_that_the_c2s_already_covers_them_and_may_continue(client, c2s, told):
    sign_in(client, "adhesion", "mutuelle-demo", results={"c2s": c2s, "cnam": cnam_ok()})
    post(client, f"{MUTUELLE}/personnes", {"declared": "0"})
    html = client.get(f"{MUTUELLE}/formulaire").get_data(as_text=True)
    assert ("la complémentaire santé solidaire (C2S).</strong> Elle prend déjà en charge" in html) is told
    if told:
        form = html.index(f'<form method="post" action="{MUTUELLE}/formulaire" novalidate>')
        assert html.index("<h1>") < html.index('data-c2s="beneficiary"') < form
    assert fill(client, f"{MUTUELLE}/formulaire", START).status_code == 303


# Review, submission, receipt ---------------------------------------------------------------------------------

def test_csrf_is_required_on_every_post(client, app):
    sign_in(client)
    for path, data in ((f"{CHU}/personnes", {"patient": "self"}), (f"{CHU}/envoi", {}),
                       (f"{CHU}/formulaire", {"address": "x"})):
        assert client.post(path, data=data).status_code == 400
        response = client.post(path, data={**data, "csrf_token": "forged"})
        assert response.status_code == 400 and "Le formulaire a expiré" in response.get_data(as_text=True)
    assert dossier_count(app) == 0


def test_get_instead_of_post_is_405(client):
    sign_in(client)
    response = client.get(f"{CHU}/envoi")
    assert response.status_code == 405 and "Action impossible" in response.get_data(as_text=True)


def test_review_without_a_draft_goes_back_to_the_form(client):
    sign_in(client)
    post(client, f"{CHU}/personnes", {"patient": "self"})
    response = client.get(f"{CHU}/verification")
    assert response.status_code == 303 and response.headers["Location"] == f"{CHU}/formulaire"


def test_a_double_submission_stores_one_dossier_and_empties_the_session(client, app):
    sign_in(client)
    to_review(client)
    review = client.get(f"{CHU}/verification").get_data(as_text=True)
    assert "Envoyer à Centre hospitalier de Démonstration" in review and "Modifier" in review
    token = csrf_token(review)
    first = client.post(f"{CHU}/envoi", data={"csrf_token": token})
    second = client.post(f"{CHU}/envoi", data={"csrf_token": token})
    assert first.status_code == second.status_code == 303
    assert {urlsplit(r.headers["Location"]).path for r in (first, second)} == {f"{CHU}/recepisse"}
    assert dossier_count(app) == 1
    session = session_of(client)
    assert session.identity is session.draft is session.people is session.journey is None
    assert session.rights == {} and not session.opened_journey_keys()
    assert session.id_token == "id-token" and session.receipt.journey == "preadmission"
    assert audit_details(app, "source_outcome") == ["c2s:ok", "cnam:ok"]
    receipt = client.get(f"{CHU}/recepisse").get_data(as_text=True)
    assert session.receipt.reference in receipt and "Se déconnecter" in receipt
    assert "admissions@chu-demo.example" in receipt
    # The journey is over: its steps need a new sign-in.
    assert client.get(f"{CHU}/formulaire").status_code == 303


def test_the_receipt_says_transmitted_then_received_once_acknowledged(client, app):
    from app.extensions import services

    sign_in(client)
    to_review(client)
    client.post(f"{CHU}/envoi", data={"csrf_token": csrf_token(client.get(f"{CHU}/verification").get_data(
        as_text=True))})
    receipt = client.get(f"{CHU}/recepisse").get_data(as_text=True)
    assert 'data-state="submitted"' in receipt and "<strong>transmis</strong>" in receipt
    assert "reçu par" not in receipt
    store = services(app).dossiers
    store.mark_delivered(session_of(client).receipt.reference)
    received = client.get(f"{CHU}/recepisse").get_data(as_text=True)
    delivered_at = store.get(session_of(client).receipt.reference).delivered_at
    assert 'data-state="delivered"' in received and "transmis</strong>" not in received
    assert re.search(r"reçu par Centre hospitalier de Démonstration le [0-9]{1,2}(er)? [a-zéû]+ 20[0-9]{2} à "
                     r"[0-9]{1,2} h [0-9]{2}", received)
    assert str(delivered_at.year) in received


def test_the_idempotency_key_survives_edits_of_the_same_draft(client):
    sign_in(client)
    to_review(client)
    key = session_of(client).draft.key
    fill(client, f"{CHU}/formulaire", {"address": "3 place du Marché"})
    assert session_of(client).draft.key == key


def test_a_receipt_without_a_submission_goes_back(client):
    response = client.get(f"{CHU}/recepisse")
    assert response.status_code == 303 and response.headers["Location"] == f"{CHU}/"


def test_the_home_page_lists_the_organisations(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/preadmission/chu-demo/"' in html and 'href="/adhesion/mutuelle-demo/"' in html


# Submission against a stale session, and the receipt without one -----------------------------------------------

def submit(client):
    review = client.get(f"{CHU}/verification").get_data(as_text=True)
    return client.post(f"{CHU}/envoi", data={"csrf_token": csrf_token(review)})


def test_a_stale_session_written_back_after_the_submission_makes_no_second_dossier(client, app):
    sign_in(client)
    to_review(client)
    with client.session_transaction() as session:
        stale = dict(session)  # what a slower concurrent request read, and would write back
    submit(client)
    reference = session_of(client).receipt.reference
    # The database knows the draft was sent: each step leads to its receipt, and the receipt is back.
    for step in ("formulaire", "verification", "envoi"):
        with client.session_transaction() as session:
            session.clear()
            session.update(stale)
        if step == "envoi":
            response = client.post(f"{CHU}/envoi", data={"csrf_token": csrf_token(
                client.get(f"{CHU}/personnes").get_data(as_text=True))})
        else:
            response = client.get(f"{CHU}/{step}")
        assert response.status_code == 303 and urlsplit(response.headers["Location"]).path == f"{CHU}/recepisse"
        assert session_of(client).receipt.reference == reference and session_of(client).draft is None
    assert dossier_count(app) == 1


def test_the_receipt_survives_the_loss_of_the_session(client, app):
    sign_in(client)
    to_review(client)
    location = submit(client).headers["Location"]
    reference = session_of(client).receipt.reference
    assert "jeton=" in location
    stranger = app.test_client()  # the session store was lost: this browser has no session at all
    page = stranger.get(location)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and reference in html
    assert "Récapitulatif de votre dossier" not in html and "Angela" not in html  # the token proves no person
    token = location.split("jeton=")[1]
    for forged in (location.replace(reference, "DC-AAAA-AAAA"), location[:-2] + ("AA" if location[-2:] != "AA"
                                                                                     else "BB"),
                   location.split("?")[0], location.replace(token, token.replace(".", "..", 1)),
                   location.replace(CHU, MUTUELLE)):
        response = stranger.get(forged)
        assert response.status_code == 303, forged


def test_an_expired_receipt_token_is_refused(client, app):
    import time

    from app.journeys import send_views

    sign_in(client)
    to_review(client)
    submit(client)
    reference = session_of(client).receipt.reference
    with app.test_request_context(f"{CHU}/recepisse"):
        old = send_views.receipt_token("chu-demo", reference, now=time.time() - send_views.RECEIPT_TOKEN_SECONDS - 1)
        fresh = send_views.receipt_token("chu-demo", reference)
    stranger = app.test_client()
    assert stranger.get(f"{CHU}/recepisse?jeton={old}").status_code == 303
    assert stranger.get(f"{CHU}/recepisse?jeton={fresh}").status_code == 200


def test_the_personne_de_confiance_may_be_the_personne_a_prevenir_typed_once(client, app):
    sign_in(client)
    post(client, f"{CHU}/personnes", {"patient": "self"})
    assert "trusted_same" in field_names(client.get(f"{CHU}/formulaire").get_data(as_text=True))
    response = fill(client, f"{CHU}/formulaire", {"trusted_same": "y", "trusted_name": "Autre Nom"})
    assert response.status_code == 303
    assert post(client, f"{CHU}/envoi", {}, page=f"{CHU}/verification").status_code == 303
    fields = stored_content(app, client)["fields"]
    assert fields["trusted_name"] == fields["emergency_name"] and fields["trusted_phone"] == fields["emergency_phone"]
    assert fields["trusted_name"]["value"] == "Sophie Dubois" and "trusted_same" not in fields


def test_the_form_speaks_of_a_known_minor_as_the_child(client):
    sign_in(client, identity=PIERRE, results={"cnam": cnam_ok(family())})
    post(client, f"{CHU}/personnes", {"patient": "ayant_droit:1"})
    html = client.get(f"{CHU}/formulaire").get_data(as_text=True)
    for wording in ("Identité de l’enfant", "Lien avec l’enfant", "L’enfant\n    est mineur",
                    "l’établissement vous joindra à ce numéro pour l’enfant"):
        assert wording in html, wording
    assert "Identité du patient" not in html and "Lien avec le patient" not in html
    post(client, f"{CHU}/personnes", {"patient": "ayant_droit:0"})  # his wife: an adult
    html = client.get(f"{CHU}/formulaire").get_data(as_text=True)
    assert "Identité du patient" in html and "l’enfant" not in html
