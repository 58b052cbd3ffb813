"""The data-provider stand-ins: API Particulier's C2S status and the CNAM API droits (data-providers.md A, B)."""

from __future__ import annotations

import datetime as dt
import json
import time
import tracemalloc
import unicodedata

import pytest
import requests
from stdnum.fr import nir as stdnum_nir

from app.sandbox import create_sandbox_app, identities
from app.sandbox.providers import C2S_PATH, CNAM_PATHS, CNAM_ROOT, data, faults
from tests.sandbox.flow import make_config, open_chooser, sign_in, token_request
from tests.sandbox.providers_flow import (
    ADRESSE_KEYS,
    BENEFICIAIRE_KEYS,
    CAISSE_KEYS,
    CONTRAT_KEYS,
    EXONERATION_KEYS,
    MEDECIN_KEYS,
    OTHER_SIRET,
    RECIPIENT,
    access_token,
    c2s_error_code,
    get_c2s,
    get_cnam,
)
from tests.sandbox.server import run_wsgi_factory

# FranceConnect never lets the others through (Y600006): no token exists for them.
LOGINS = [identity.login for identity in identities.IDENTITIES if not identity.refused_by_fc]
C2S_EXPECTED = {
    "test": (True, False, "2023-02-01"),
    "avec_nom_dusage": (False, False, None),
    "nom_composé": (True, True, "2023-06-01"),
    "prénom_composé": (False, False, None),
    "test_CORSE_2A": (False, False, None),
    "naissance_Algérie": None,
    "naissance_Portugal": (False, False, None),
    "moins_18_ans": (False, False, None),
    "étranger_présumé_né_jour": (True, False, "2026-03-01"),
    "genre_indéfini": (False, False, None),
    "sans_mail": (True, True, "2025-09-01"),
    "plusieurs_prénoms_3": (False, False, None),
    "prénom_composé_avec_espace": (False, False, None),
    "carac_speciaux": (True, True, "2024-04-01"),
    "nom_50+_caractères": (False, False, None),
    "test_CORSE_2B": (True, False, "2025-01-01"),
    "naissance_etranger_birthplace_texte": (True, True, "2024-11-01"),
    "naissance_polynesie_française": None,
    "naissance_wallis_futuna": (False, False, None),
    "étranger_présumé_né_jour_et_mois": None,
    "moins_16_ans": (False, False, None),
    "sans_telephone": (False, False, None),
    "sans_mail_sans_tel": (False, False, None),
}


# API Particulier: payloads


@pytest.mark.parametrize("login", LOGINS)
def test_c2s_answers_each_identitys_status_in_the_v3_shape(client, login):
    response = get_c2s(client, access_token(client, login))
    assert response.headers["Content-Type"] == "application/json"
    assert int(response.headers["RateLimit-Limit"]) == 1200
    assert int(response.headers["RateLimit-Remaining"]) == 1199
    assert int(response.headers["RateLimit-Reset"]) > time.time()
    expected = C2S_EXPECTED[login]
    if expected is None:
        assert response.status_code == 404 and c2s_error_code(response) == "37003"
        assert response.json["errors"][0]["meta"] == {"provider": "CNAV"}
        return
    assert response.status_code == 200
    assert response.json == {
        "data": dict(zip(("est_beneficiaire", "avec_participation", "date_debut_droit"), expected, strict=True)),
        "links": {},
        "meta": {},
    }


def test_c2s_counts_calls_per_token_and_answers_429_past_the_limit():
    app = create_sandbox_app(make_config(api_particulier_rate_limit=2))
    client = app.test_client()
    token = access_token(client)
    assert [get_c2s(client, token).headers["RateLimit-Remaining"] for _ in range(2)] == ["1", "0"]
    response = get_c2s(client, token)
    assert response.status_code == 429 and c2s_error_code(response) == "00429"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert get_c2s(client, access_token(client)).status_code == 200, "another token has its own count"


# API Particulier: authentication and parameters


@pytest.mark.parametrize("authorization, code", [
    (None, "50004"),
    ("Basic dXNlcjpwYXNz", "50004"),
    ("Bearer ", "50004"),
    ("Bearer not a token", "50001"),
    ("Bearer {token}", "50002"),
])
def test_c2s_refuses_a_missing_malformed_or_unknown_bearer(client, authorization, code):
    headers = {} if authorization is None else {"Authorization": authorization.replace("{token}", "u" * 43)}
    response = get_c2s(client, None, headers=headers)
    assert response.status_code == 401 and c2s_error_code(response) == code
    assert response.json["errors"][0]["title"] == "Accès non autorisé"
    assert response.headers["RateLimit-Remaining"] == "1200"


def test_c2s_refuses_an_expired_token(client, clock):
    token = access_token(client)
    assert get_c2s(client, token).status_code == 200
    clock.advance(60)
    response = get_c2s(client, token)
    assert response.status_code == 401 and c2s_error_code(response) == "50002"
    assert response.json["errors"][0]["detail"] == "Le jeton d'accès n'a pas été trouvé ou est expiré."


@pytest.mark.parametrize("scope", [
    "openid identite_pivot",  # no data scope
    "openid profile complementaire_sante_solidaire",  # no birthplace/birthcountry
    "openid given_name family_name birthdate gender birthplace complementaire_sante_solidaire",
    "openid birth email complementaire_sante_solidaire",
])
def test_c2s_requires_the_data_scope_and_the_whole_identite_pivot(client, scope):
    response = get_c2s(client, access_token(client, scope=scope))
    assert response.status_code == 401 and c2s_error_code(response) == "50003"
    detail = response.json["errors"][0]["detail"]
    assert detail.endswith(f"Le jeton possède les scopes suivants: {', '.join(scope.split())}.")


@pytest.mark.parametrize("scope", [
    "openid identite_pivot complementaire_sante_solidaire",
    "openid profile birth complementaire_sante_solidaire",
    "openid given_name family_name birthdate gender birthplace birthcountry complementaire_sante_solidaire",
])
def test_c2s_accepts_the_pivot_scopes_and_their_aliases(client, scope):
    assert get_c2s(client, access_token(client, scope=scope)).status_code == 200


def test_c2s_requires_a_recipient(client):
    for recipient in (None, ""):
        response = get_c2s(client, access_token(client), recipient=recipient)
        assert response.status_code == 422 and c2s_error_code(response) == "00203"
        assert response.json["errors"][0]["source"] == {"parameter": "recipient"}


@pytest.mark.parametrize("recipient", ["13002526500014", "1300252650001", "130025265000130", "1300252650001A",
                                       "1300 252650001", "١٣٠٠٢٥٢٦٥٠٠٠١٣"])
def test_c2s_refuses_a_recipient_that_is_not_a_siret(client, recipient):
    response = get_c2s(client, access_token(client), recipient=recipient)
    assert response.status_code == 422 and c2s_error_code(response) == "00210"


def test_c2s_can_restrict_the_recipients():
    app = create_sandbox_app(make_config(api_particulier_recipients=(RECIPIENT,)))
    client = app.test_client()
    assert get_c2s(client, access_token(client)).status_code == 200
    response = get_c2s(client, access_token(client), recipient=OTHER_SIRET)
    assert response.status_code == 403 and c2s_error_code(response) == "00100"


# CNAM: payloads


def _nir_matches(nir: str, sex: str, birthdate: str, place: str | None = None) -> bool:
    """Key, sex, birth year and month, and (when given) department + commune or 99 + country."""
    number = int(nir[:13].replace("2A", "19").replace("2B", "18"))
    return (stdnum_nir.is_valid(nir) and int(nir[13:]) == 97 - number % 97 and nir[0] == sex
            and nir[1:5] == birthdate[2:4] + birthdate[5:7] and (place is None or nir[5:10] == place))


@pytest.mark.parametrize("login", LOGINS)
def test_cnam_answers_each_identitys_rights_in_the_documented_shapes(client, login):
    token = access_token(client, login)
    me = get_cnam(client, token, "/me")
    if data.find(login).cnam is None:
        assert me.status_code == 404 and me.json["error"] == "not_found"
        return
    assert me.status_code == 200 and me.headers["Content-Type"] == "application/json"
    assert set(me.json) <= BENEFICIAIRE_KEYS and me.json["nir"]
    identity = identities.find(login)
    place = identity.birthplace or "99" + identity.birthcountry[2:]
    nir = me.json["nir"]
    if len(nir) == 13:  # sans_telephone: the NIR without its key (the document does not say which form)
        assert login == "sans_telephone"
        nir += stdnum_nir.calc_check_digits(nir)
    assert _nir_matches(nir, "1" if identity.gender == "male" else "2", identity.birthdate, place)
    assert me.json["date_naissance"] == identity.birthdate
    assert me.json["nom_famille"] == cnam_spelling(identity.family_name)
    assert me.json["prenom"] == cnam_spelling(identity.claims()["given_name_array"][0])
    others = get_cnam(client, token, "/me/beneficiaires")
    assert others.status_code == 200 and isinstance(others.json, list)
    for person in [me.json, *others.json]:
        assert set(person) <= BENEFICIAIRE_KEYS and person["qualite"] in ("assure", "conjoint", "enfant")
        with_key = person["nir"] + (stdnum_nir.calc_check_digits(person["nir"]) if len(person["nir"]) == 13 else "")
        assert stdnum_nir.is_valid(with_key) and person["rang_naissance"] >= 1
        assert get_cnam(client, token, "", nir=person["nir"]).json == person
        caisse = get_cnam(client, token, "/caisse", nir=person["nir"]).json
        assert set(caisse) == CAISSE_KEYS and set(caisse["adresse"]) <= ADRESSE_KEYS  # unknown lines omitted
        assert caisse["id"] == caisse["grandRegime"] + caisse["organisme"] and caisse["grandRegime"] == "01"
        contrats = get_cnam(client, token, "/contrats", nir=person["nir"]).json
        assert contrats[0]["nature_assurance"] == "AMO" and contrats[0]["details"]["code_type_contrat"] == "BASE"
        for contrat in contrats:
            assert set(contrat) <= CONTRAT_KEYS and set(contrat["details"]) == {"code_type_contrat",
                                                                                "libelle_type_contrat"}
            assert all(set(p) == {"date_debut", "date_fin"} for p in contrat["periodes_droits"])
        assert person["presence_CMUC_ACS"] == any(c["nature_assurance"] == "AMC" for c in contrats)
        for exoneration in get_cnam(client, token, "/exonerations", nir=person["nir"]).json:
            assert set(exoneration) <= EXONERATION_KEYS
            assert set(exoneration["motif"]) == {"code", "libelle", "libelle_long"}
        medecin = get_cnam(client, token, "/medecin-traitant", nir=person["nir"])
        assert medecin.status_code == (200 if person["medecin_traitant_choisi"] else 404)
        assert medecin.status_code == 404 or set(medecin.json) <= MEDECIN_KEYS


def cnam_spelling(name: str) -> str:
    """Capitals without accents, ligatures spelt out: how the sandbox's CNAM writes names (UNCONFIRMED)."""
    spelt = name.upper().replace("Œ", "OE").replace("Æ", "AE")
    return "".join(c for c in unicodedata.normalize("NFD", spelt) if not unicodedata.combining(c))


def test_every_identity_has_provider_data_and_valid_distinct_nirs():
    nirs = []
    for login in LOGINS:
        assert login in data.RECORDS, f"{login} has no provider data"
        family = data.RECORDS[login].cnam
        if family is not None:
            nirs += [p.nir for p in (family.insured, *family.beneficiaires)]
    assert len(nirs) == len(set(nirs)) == 24 and all(stdnum_nir.is_valid(n) for n in nirs)
    # Serials 901-925 mark test data; 919 went to naissance_polynesie_française, whom the CNAM does not know.
    assert {n[10:13] for n in nirs} == {str(serial) for serial in range(901, 926)} - {"919"}


def test_cnam_parent_with_spouse_and_twins(client):
    token = access_token(client, "avec_nom_dusage")
    me = get_cnam(client, token).json
    assert (me["nom_famille"], me["nom_usage"], me["qualite"]) == ("MERCIER", "DUBOIS", "assure")
    spouse, louis, jeanne = get_cnam(client, token, "/me/beneficiaires").json
    assert (spouse["qualite"], spouse["prenom"]) == ("conjoint", "SOPHIE")
    assert _nir_matches(spouse["nir"], "2", spouse["date_naissance"])
    assert louis["qualite"] == jeanne["qualite"] == "enfant"
    assert louis["date_naissance"] == jeanne["date_naissance"] == "2014-06-12"
    assert (louis["rang_naissance"], jeanne["rang_naissance"]) == (1, 2) and louis["nir"] != jeanne["nir"]
    assert _nir_matches(louis["nir"], "1", "2014-06-12") and _nir_matches(jeanne["nir"], "2", "2014-06-12")
    assert get_cnam(client, token, "/medecin-traitant", nir=louis["nir"]).json["nom"] == "HAMIDI"
    assert get_cnam(client, token, "/medecin-traitant", nir=jeanne["nir"]).status_code == 404


def test_cnam_minor_is_herself_a_child_beneficiary(client):
    token = access_token(client, "moins_18_ans")
    me = get_cnam(client, token).json
    assert me["qualite"] == "enfant" and me["nir"].startswith("20905")
    assert get_cnam(client, token, "/me/beneficiaires").json == []


def test_cnam_corsican_nir_and_caisse(client):
    token = access_token(client, "test_CORSE_2A")
    me = get_cnam(client, token).json
    assert me["nir"][5:7] == "2A" and _nir_matches(me["nir"], "1", "1981-02-03", "2A004")
    caisse = get_cnam(client, token, "/caisse", nir=me["nir"]).json
    assert caisse["libelle"] == "CPAM de la Corse-du-Sud" and caisse["adresse"]["numero_voie"] == "8"


@pytest.mark.parametrize("login, code_type", [("test", "CMUC"), ("nom_composé", "ACS"), ("sans_mail", "ACS")])
def test_cnam_c2s_beneficiaries_have_an_amc_contract_for_the_current_year(client, login, code_type):
    token = access_token(client, login)
    nir = get_cnam(client, token).json["nir"]
    amo, amc = get_cnam(client, token, "/contrats", nir=nir).json
    assert amc["nature_assurance"] == "AMC" and amc["details"]["code_type_contrat"] == code_type
    assert amc["date_debut"] == C2S_EXPECTED[login][2]
    (period,) = amc["periodes_droits"]
    start, end = dt.date.fromisoformat(period["date_debut"]), dt.date.fromisoformat(period["date_fin"])
    assert start <= dt.date.today() <= end and (end - start).days in (364, 365)
    assert amc["date_fin"] == period["date_fin"]


def test_cnam_exemptions_invalidite_and_maternite(client, clock):
    token = access_token(client, "prénom_composé")
    (inv,) = get_cnam(client, token, "/exonerations", nir=get_cnam(client, token).json["nir"]).json
    assert inv["motif"]["code"] == "INV" and inv["date_debut"] == "2005-10-01" and "maternite" not in inv
    token = access_token(client, "sans_mail")
    (mat,) = get_cnam(client, token, "/exonerations", nir=get_cnam(client, token).json["nir"]).json
    today = dt.datetime.fromtimestamp(clock.now, dt.UTC).date()
    assert mat["motif"]["code"] == "MAT"
    # No delivery yet: the date is omitted, not null (the OpenAPI marks nothing nullable).
    assert mat["maternite"] == {"date_presumee_grossesse": str(today - dt.timedelta(days=190))}
    assert mat["date_debut"] < str(today) < mat["date_fin"], "the pregnancy stays current whatever the date"


def test_cnam_window_sets_the_end_of_open_rights(client):
    token = access_token(client)
    nir = get_cnam(client, token).json["nir"]
    start = dt.date.today() + dt.timedelta(days=10)
    end = start + dt.timedelta(days=30)
    query = {"dateDebut": str(start), "dateFin": str(end)}
    amo = get_cnam(client, token, "/contrats", nir=nir, query=query).json[0]
    assert amo["date_fin"] == str(end) and amo["periodes_droits"][-1]["date_fin"] == str(end)
    default = get_cnam(client, token, "/contrats", nir=nir).json[0]
    assert dt.date.fromisoformat(default["date_fin"]) - dt.date.today() in (dt.timedelta(365), dt.timedelta(366))


@pytest.mark.parametrize("query", [{"dateDebut": "2020-01-01"}, {"dateDebut": "01/01/2030"},
                                   {"dateDebut": "2030-W01-1"}, {"dateFin": "2020-01-01"}, {"dateFin": "demain"}])
def test_cnam_refuses_past_malformed_or_inverted_dates(client, query):
    response = get_cnam(client, access_token(client), query=query)
    assert response.status_code == 400 and response.json["error"] == "bad_request"


def test_cnam_root_path_answers_with_or_without_trailing_slash(client):
    token = access_token(client)
    nir = get_cnam(client, token).json["nir"]
    assert get_cnam(client, token, "", nir=nir).json == get_cnam(client, token, "/", nir=nir).json


# CNAM: authentication


@pytest.mark.parametrize("api_key", [None, "", "wrong-key", "SANDBOX-CNAM-API-KEY"])
def test_cnam_requires_the_api_key(client, api_key):
    response = get_cnam(client, access_token(client), api_key=api_key)
    assert response.status_code == 401 and response.json["error"] == "unauthorized"


def test_cnam_uses_the_configured_api_key():
    client = create_sandbox_app(make_config(cnam_api_key="k" * 32)).test_client()
    assert get_cnam(client, access_token(client)).status_code == 401
    assert get_cnam(client, access_token(client), api_key="k" * 32).status_code == 200


def test_cnam_refuses_missing_unknown_and_expired_tokens(client, clock):
    assert get_cnam(client, None).status_code == 401
    assert get_cnam(client, "u" * 43).status_code == 401
    token = access_token(client)
    assert get_cnam(client, token).status_code == 200
    clock.advance(60)
    response = get_cnam(client, token)
    assert response.status_code == 401 and set(response.json) == {"error", "message"}


def test_cnam_requires_the_droits_assurance_maladie_scope(client):
    token = access_token(client, scope="openid identite_pivot complementaire_sante_solidaire")
    response = get_cnam(client, token)
    assert response.status_code == 403 and "droits_assurance_maladie" in response.json["message"]
    assert get_cnam(client, access_token(client, scope="openid droits_assurance_maladie")).status_code == 200


def test_cnam_refuses_a_nir_outside_the_users_family(client):
    token = access_token(client, "avec_nom_dusage")
    foreign = data.RECORDS["test"].cnam.insured.nir
    for path in CNAM_PATHS[2:]:
        response = get_cnam(client, token, path, nir=foreign)
        assert response.status_code == 403 and response.json["error"] == "forbidden", path
        assert get_cnam(client, token, path).status_code == 400, "nir header missing"


# Faults


def _provider_call(client, provider: str, token: str, path: str = "/me", **kwargs):
    if provider == "c2s":
        return get_c2s(client, token, **kwargs)
    nir = data.find("test").cnam.insured.nir if path not in ("/me", "/me/beneficiaires") else None
    return get_cnam(client, token, path, nir=nir, **kwargs)


@pytest.mark.parametrize("provider", ["c2s", "cnam"])
@pytest.mark.parametrize("scenario, status", [("500", 500), ("502", 502), ("504", 504), ("403", 403)])
def test_fault_statuses(client, fc, provider, scenario, status):
    token = access_token(client)
    fc.set_fault(provider, scenario)
    response = _provider_call(client, provider, token)
    assert response.status_code == status
    if provider == "c2s":
        assert c2s_error_code(response) == {500: "00999", 502: "37999", 504: "37002", 403: "00100"}[status]
    else:
        assert set(response.json) == {"error", "message"}


@pytest.mark.parametrize("provider", ["c2s", "cnam"])
def test_fault_429_says_when_to_retry(client, fc, provider):
    token = access_token(client)
    fc.set_fault(provider, "429")
    response = _provider_call(client, provider, token)
    assert response.status_code == 429 and response.headers["Retry-After"] == "3600"
    if provider == "c2s":
        assert c2s_error_code(response) == "00429" and response.headers["RateLimit-Remaining"] == "0"


@pytest.mark.parametrize("provider", ["c2s", "cnam"])
def test_fault_bodies_that_are_not_the_documented_json(client, fc, provider):
    token = access_token(client)
    fc.set_fault(provider, "malformed_json", times=1)
    response = _provider_call(client, provider, token)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    with pytest.raises(ValueError):
        json.loads(response.text)
    fc.set_fault(provider, "html", times=1)
    response = _provider_call(client, provider, token)
    assert response.status_code == 200 and response.mimetype == "text/html" and "<html" in response.text
    fc.set_fault(provider, "redirect", times=1)
    response = _provider_call(client, provider, token)
    assert response.status_code == 302 and response.location == "http://127.0.0.2:9/steal"
    assert _provider_call(client, provider, token).status_code == 200, "times=1 rules are spent"


@pytest.mark.parametrize("provider", ["c2s", "cnam"])
def test_fault_oversized_body_is_a_generator_of_5_mb(client, fc, provider):
    fc.set_fault(provider, "oversized")
    response = _provider_call(client, provider, access_token(client), buffered=False)
    assert response.status_code == 200 and response.is_streamed and "Content-Length" not in response.headers
    chunks = iter(response.response)
    first = next(chunks)
    assert first.startswith(b'{"padding": "') and len(first) < 100
    sizes = [len(first)] + [len(chunk) for chunk in chunks]
    assert sum(sizes) == 5 * 1024 * 1024 and max(sizes) <= 64 * 1024
    response.close()


def test_fault_slow_answers_normally_after_the_configured_delay():
    app = create_sandbox_app(make_config(provider_slow_seconds=0.25))
    client, fc = app.test_client(), app.extensions["fc_sandbox"]
    token = access_token(client)
    fc.set_fault("c2s", "slow", times=1)
    started = time.perf_counter()
    response = get_c2s(client, token)
    assert time.perf_counter() - started >= 0.25 and response.status_code == 200
    fc.provider_slow_seconds = 0
    fc.set_fault("cnam", "slow", times=1)
    assert get_cnam(client, token).status_code == 200


def test_fault_rules_by_path_times_and_clearing(client, fc):
    token = access_token(client)
    fc.set_fault("cnam", "504", path="/contrats", times=2)
    assert _provider_call(client, "cnam", token, "/me").status_code == 200
    assert [_provider_call(client, "cnam", token, "/contrats").status_code for _ in range(3)] == [504, 504, 200]
    fc.set_fault("cnam", "contrats_504")
    fc.set_fault("c2s", "500")
    assert _provider_call(client, "cnam", token, "/caisse").status_code == 200
    assert _provider_call(client, "cnam", token, "/contrats").status_code == 504
    fc.clear_faults("cnam")
    assert _provider_call(client, "cnam", token, "/contrats").status_code == 200
    assert _provider_call(client, "c2s", token).status_code == 500
    fc.clear_faults()
    assert _provider_call(client, "c2s", token).status_code == 200


def test_fault_502_once_then_success(client, fc):
    token = access_token(client)
    fc.set_fault("c2s", "502_once")
    assert [get_c2s(client, token).status_code for _ in range(2)] == [502, 200]


@pytest.mark.parametrize("provider, scenario, kwargs", [
    ("c2s", "contrats_504", {}), ("mgen", "502", {}), ("cnam", "418", {}), ("cnam", None, {}),
    ("cnam", "502", {"times": 0}), ("cnam", "502", {"times": True}), ("cnam", "502_once", {"times": 2}),
    ("cnam", "502", {"path": "contrats"}),
])
def test_set_fault_refuses_bad_arguments(fc, provider, scenario, kwargs):
    with pytest.raises(ValueError):
        fc.set_fault(provider, scenario, **kwargs)


# Faults chosen at sign-in


def test_chooser_offers_a_labelled_fault_select_per_provider(client):
    interaction_url, _ = open_chooser(client)
    page = client.get(interaction_url).text
    assert "<legend id=\"provider-faults-title\">Simuler une panne d’un fournisseur de données</legend>" in page
    for provider in ("c2s", "cnam"):
        assert f'<label for="provider-fault-{provider}">' in page
        assert f'<select id="provider-fault-{provider}" name="provider_fault">' in page
        for scenario in faults.scenarios_for(provider):
            assert f'<option value="{provider}:{scenario.name}">' in page
    assert '<option value="cnam:contrats_504">' in page and '<option value="c2s:contrats_504">' not in page


def test_a_fault_chosen_at_sign_in_applies_only_to_that_token(client):
    faulty = access_token(client, provider_fault="c2s:502")
    healthy = access_token(client)
    assert get_c2s(client, faulty).status_code == 502
    assert get_cnam(client, faulty).status_code == 200
    assert get_c2s(client, healthy).status_code == 200


def test_faults_for_both_providers_and_the_consent_page(client):
    interaction_url, csrf = open_chooser(client, scope="openid identite_pivot droits_assurance_maladie")
    form = {"login": "test", "csrf_token": csrf, "provider_fault": ["c2s:429", "cnam:html"]}
    client.post(f"{interaction_url}/login", data=form)
    page = client.get(f"{interaction_url}/consent").text
    assert "Panne simulée" in page and "Page HTML au lieu de JSON" in page
    assert "Trop de requêtes (HTTP 429, Retry-After : 3600)" in page


def test_chooser_cnam_fault_on_contrats_leaves_other_calls_working(client):
    token = access_token(client, provider_fault="cnam:contrats_504")
    assert [_provider_call(client, "cnam", token, path).status_code for path in CNAM_PATHS] == [
        200, 200, 200, 200, 504, 200, 200]


def test_chooser_502_once_fails_the_first_call_of_each_token(client):
    first, second = access_token(client, provider_fault="c2s:502_once"), access_token(
        client, provider_fault=["c2s:502_once", "cnam:502_once"])
    assert [get_c2s(client, first).status_code for _ in range(2)] == [502, 200]
    assert [get_c2s(client, second).status_code for _ in range(2)] == [502, 200]
    assert [get_cnam(client, second, path).status_code for path in ("/me", "/me", "/me/beneficiaires")] == [
        502, 200, 200]


def test_chooser_faults_also_apply_with_the_sso_button(client):
    sign_in(client)
    interaction_url, csrf = open_chooser(client, scope="openid identite_pivot complementaire_sante_solidaire")
    form = {"sso": "1", "csrf_token": csrf, "provider_fault": "c2s:504"}
    assert client.post(f"{interaction_url}/login", data=form).status_code == 303
    client.get(f"{interaction_url}/consent")
    code = client.post(f"{interaction_url}/consent", data={"csrf_token": csrf}).location.split("code=")[1]
    token = token_request(client, code.split("&")[0]).json["access_token"]
    assert get_c2s(client, token).status_code == 504


@pytest.mark.parametrize("value", ["c2s:teapot", "ftp:502", "c2s:contrats_504", ["c2s:502", "c2s:500"]])
def test_chooser_refuses_an_unknown_or_repeated_provider_fault(client, value):
    interaction_url, csrf = open_chooser(client)
    response = client.post(f"{interaction_url}/login", data={"login": "test", "csrf_token": csrf,
                                                             "provider_fault": value})
    assert response.status_code == 400


# Admin endpoint, latency, home page, real server


def test_admin_endpoint_sets_lists_and_clears_faults(client):
    token = access_token(client)
    body = {"provider": "cnam", "scenario": "502", "path": "/me", "times": 1}
    response = client.post("/_sandbox/faults", json=body)
    assert response.status_code == 201 and response.json == body
    assert client.get("/_sandbox/faults").json["rules"] == [body]
    assert "contrats_504" in client.get("/_sandbox/faults").json["scenarios"]["cnam"]
    assert get_cnam(client, token).status_code == 502 and get_cnam(client, token).status_code == 200
    client.post("/_sandbox/faults", json={"provider": "c2s", "scenario": "500"})
    assert client.delete("/_sandbox/faults?provider=c2s").status_code == 204
    assert client.get("/_sandbox/faults").json["rules"] == [] and get_c2s(client, token).status_code == 200


@pytest.mark.parametrize("kwargs, status", [
    ({"data": {"provider": "c2s", "scenario": "502"}}, 415),
    ({"json": {"provider": "c2s", "scenario": "nope"}}, 400),
    ({"json": {"provider": "c2s", "scenario": "502", "login": "test"}}, 400),
    ({"json": ["c2s", "502"]}, 400),
])
def test_admin_endpoint_refuses_bad_requests(client, kwargs, status):
    assert client.post("/_sandbox/faults", **kwargs).status_code == status
    assert client.get("/_sandbox/faults").json["rules"] == []


def test_latency_also_applies_to_the_provider_endpoints():
    app = create_sandbox_app(make_config())
    client = app.test_client()
    token = access_token(client)
    app.extensions["fc_sandbox"].latency = 0.15
    for call in (lambda: get_c2s(client, token), lambda: get_cnam(client, token)):
        started = time.perf_counter()
        assert call().status_code == 200
        assert time.perf_counter() - started >= 0.15


def test_home_page_shows_the_providers_and_each_identitys_data(client):
    page = client.get("/").text
    assert f"http://127.0.0.1:5001{C2S_PATH}" in page and f"http://127.0.0.1:5001{CNAM_ROOT}" in page
    assert "Bénéficiaire sans participation depuis le 01/02/2023" in page and "Inconnu du RNCPS (404)" in page
    assert "Hors régime général" in page and "contrats_504" in page and "/_sandbox/faults" in page


def test_over_http_the_oversized_body_streams_and_the_api_key_header_is_case_insensitive():
    with run_wsgi_factory(lambda url: create_sandbox_app(make_config(url))) as (base_url, app):
        client = app.test_client()
        token = access_token(client)
        headers = {"authorization": f"Bearer {token}", "x-api-key": "sandbox-cnam-api-key"}
        with requests.get(f"{base_url}{CNAM_ROOT}/me", headers=headers, timeout=5) as response:
            assert response.status_code == 200 and response.json()["prenom"] == "ANGELA"
        app.extensions["fc_sandbox"].set_fault("c2s", "oversized")
        tracemalloc.start()
        try:
            with requests.get(f"{base_url}{C2S_PATH}", params={"recipient": RECIPIENT}, headers=headers,
                              stream=True, timeout=5) as response:
                assert response.headers.get("Transfer-Encoding") == "chunked"
                assert "Content-Length" not in response.headers
                chunks = response.iter_content(64 * 1024)
                received = len(next(chunks))
                # The server thread is now blocked writing: a body built whole would still be alive.
                snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(True, "*/app/sandbox/*")])
                received += sum(len(chunk) for chunk in chunks)
        finally:
            tracemalloc.stop()
        assert received == 5 * 1024 * 1024
        held = sum(stat.size for stat in snapshot.statistics("filename"))
        assert held < 1024 * 1024, "the sandbox did not build the 5 MB body in memory"


@pytest.mark.parametrize("overrides, message", [
    ({"api_particulier_recipients": ("13002526500014",)}, "not a valid SIRET"),
    ({"provider_slow_seconds": -1}, "negative"),
    ({"api_particulier_rate_limit": 0}, "positive"),
    ({"cnam_api_key": ""}, "cnam_api_key"),
])
def test_provider_settings_are_checked_and_the_api_key_stays_out_of_reprs(overrides, message):
    with pytest.raises(ValueError, match=message):
        create_sandbox_app(make_config(**overrides))
    assert "sandbox-cnam-api-key" not in repr(make_config())
