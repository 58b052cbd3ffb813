"""The sandbox against what FranceConnect, API Particulier and the CNAM publish (tests/vendor).

Every answer of the C2S and CNAM stand-ins validates against the provider's OpenAPI document (openapi-core); the
sandbox's error bodies are the published examples; its identities and claims are FranceConnect's mock data.
"""

from __future__ import annotations

import re

import pytest
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_schema_validator import OAS30Validator

from app.model.identity import GENDERS
from app.sandbox import identities, scopes
from app.sandbox.providers import CNAM_ROOT, data
from app.sandbox.providers.envelopes import C2S_ERRORS, c2s_error
from tests.sandbox.flow import make_config
from tests.sandbox.providers_flow import access_token, get_c2s, get_cnam
from tests.sandbox.published import (
    C2S_OPENAPI,
    CNAM_OPENAPI,
    VENDOR,
    fc_citizens,
    fc_received_claims,
    load_yaml,
    openapi,
    staging_payloads,
)

SERVER = "http://localhost"
C2S_DOC = openapi(C2S_OPENAPI, SERVER)
CNAM_DOC = openapi(CNAM_OPENAPI, SERVER + CNAM_ROOT)
C2S_ROUTE = load_yaml(C2S_OPENAPI)["paths"]["/v3/dss/complementaire_sante_solidaire/france_connect"]["get"]
ERROR_SCHEMA = load_yaml(C2S_OPENAPI)["components"]["schemas"]["Error"]
ADMITTED = [i.login for i in identities.IDENTITIES if not i.refused_by_fc]


def valid_against(document, response) -> None:
    """Raise unless the response is one the document describes for its request (status, media type, schema)."""
    document.validate_response(WerkzeugOpenAPIRequest(response.request), WerkzeugOpenAPIResponse(response))


# ---- API Particulier: the C2S route in FranceConnect mode


@pytest.mark.parametrize("login", ADMITTED)
def test_every_c2s_answer_of_an_identity_validates(client, login):
    response = get_c2s(client, access_token(client, login))
    valid_against(C2S_DOC, response)


def test_c2s_errors_validate_and_fault_bodies_follow_the_error_schema(client):
    token = access_token(client)
    documented = [
        get_c2s(client, None),  # 401 50004
        get_c2s(client, "not-a-token"),  # 401 50001
        get_c2s(client, "x" * 43),  # 401 50002
        get_c2s(client, token, recipient=None),  # 422 00203
        get_c2s(client, token, recipient="12345678901234"),  # 422 00210 (UNCONFIRMED code)
        get_c2s(client, access_token(client, scope="openid identite_pivot")),  # 401 50003
    ]
    for response in documented:
        assert str(response.status_code) in C2S_ROUTE["responses"]
        valid_against(C2S_DOC, response)
    # Statuses the route does not list (500, 502, 504: faults) still carry its Error envelope.
    for code in C2S_ERRORS:
        OAS30Validator(ERROR_SCHEMA).validate(c2s_error_body(client, code))


def c2s_error_body(client, code: str) -> dict:
    with client.application.test_request_context():
        return c2s_error(code).get_json()


def published_examples() -> dict[str, dict]:
    """Every error example of the route (OpenAPI) and of the staging data, by code."""
    examples = {}
    for answer in C2S_ROUTE["responses"].values():
        for example in answer.get("content", {}).get("application/json", {}).get("examples", {}).values():
            for error in example["value"].get("errors", []):
                examples.setdefault(error["code"], error)
    for folder in ("staging", "staging_identite"):
        for case in staging_payloads(folder).values():
            for error in case["payload"].get("errors", []):
                examples.setdefault(error["code"], error)
    return examples


def test_the_sandboxs_error_bodies_are_the_published_examples(client):
    examples = published_examples()
    shared = sorted(set(examples) & set(C2S_ERRORS))
    assert {"00100", "00203", "00429", "37002", "37003", "37999"} <= set(shared)
    for code in shared:
        assert c2s_error_body(client, code)["errors"] == [examples[code]], code
    assert examples["00100"]["source"] == {"parameter": "token"}


def test_the_published_statuses_of_each_code_are_the_sandboxs():
    for status, answer in C2S_ROUTE["responses"].items():
        for example in answer.get("content", {}).get("application/json", {}).get("examples", {}).values():
            for error in example["value"].get("errors", []):
                if error["code"] in C2S_ERRORS:
                    assert C2S_ERRORS[error["code"]][0] == int(status), error["code"]


# ---- CNAM API droits


def cnam_answers(client, login: str):
    token = access_token(client, login)
    me = get_cnam(client, token)
    yield me
    listed = get_cnam(client, token, "/me/beneficiaires")
    yield listed
    if me.status_code != 200:
        return
    for nir in {me.json["nir"], *(p["nir"] for p in listed.json)}:
        for path in ("/", "/caisse", "/contrats", "/exonerations", "/medecin-traitant"):
            yield get_cnam(client, token, path, nir=nir)


@pytest.mark.parametrize("login", ADMITTED)
def test_every_cnam_answer_of_an_identity_validates(client, login):
    answered = 0
    for response in cnam_answers(client, login):
        if response.status_code == 200:
            valid_against(CNAM_DOC, response)
            answered += 1
            assert "null" not in response.get_data(as_text=True), "the document marks nothing nullable"
        else:
            # The document gives no error: only "not here" answers are expected from test data.
            assert response.status_code == 404
    assert answered or data.find(login).cnam is None


def test_a_null_is_refused_by_the_cnam_document(client):
    """The check above bites: the sandbox's former null médecin end date does not validate."""
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request, Response

    request = Request(EnvironBuilder(path=CNAM_ROOT + "/medecin-traitant", base_url=SERVER,
                                     headers={"nir": "262087510790169"}).get_environ())
    response = Response('{"nom": "ROUSSEL", "date_fin": null}', status=200, content_type="application/json")
    with pytest.raises(Exception, match="(?i)invalid|none|null"):
        CNAM_DOC.validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))


# ---- FranceConnect's identities and scopes


def test_every_identity_is_one_of_franceconnects_and_carries_its_data():
    citizens, received = fc_citizens(), fc_received_claims()
    for identity in identities.IDENTITIES:
        row = citizens[identity.login]
        claims = identity.claims()
        expected = received.get(identity.login, {})
        # users.json gives what FC sends after the RNIPP; base.csv what the IdP holds.
        for claim in ("given_name", "family_name", "gender", "birthplace", "birthcountry"):
            assert claims[claim] == expected.get(claim, row[claim]), (identity.login, claim)
        assert claims["idp_birthdate"] == expected.get("idp_birthdate", row["birthdate"]), identity.login
        assert claims["birthdate"] == expected.get("birthdate", row["birthdate"]), identity.login
        usage = expected.get("preferred_username", row["preferred_username"]) or None
        assert claims.get("preferred_username") == usage, identity.login
        assert claims["given_name_array"] == expected.get("given_name_array", claims["given_name"].split(" "))
        assert (identity.email is None) == (row["email"] == "")


def test_the_issues_identities_are_all_there():
    wanted = {"sans_genre", "sans_prenom", "sans_nom_naissance", "sans_birthplace",
              "naissance_etranger_birthplace_texte", "nom_50+_caractères", "carac_speciaux", "plusieurs_prénoms_3",
              "prénom_composé_avec_espace", "mois_00", "étranger_présumé_né_jour_et_mois",
              "naissance_polynesie_française", "naissance_wallis_futuna", "test_CORSE_2B", "moins_16_ans",
              "sans_telephone", "sans_mail_sans_tel", "avec_nom_dusage", "genre_indéfini"}
    assert wanted <= {i.login for i in identities.IDENTITIES}


def fc_core_accepts(row: dict[str, str]) -> bool:
    """FranceConnect's OidcIdentityDto (core-fcp), restated: which IdP identities FC lets through."""
    birthdate_ok = re.fullmatch(r"[0-9]{4}-(?:(?:0[1-9]|1[0-2])-(?:0[0-9]|[12][0-9]|3[01])|00-00)", row["birthdate"])
    return bool(row["given_name"] and row["family_name"] and row["gender"] in GENDERS and birthdate_ok
                and (row["birthcountry"] != "99100" or re.fullmatch(r"[0-9][0-9AB][0-9]{3}", row["birthplace"])))


def test_the_identities_franceconnect_refuses_are_refused_here():
    citizens = fc_citizens()
    for identity in identities.IDENTITIES:
        assert fc_core_accepts(citizens[identity.login]) == (identity.refused_by_fc is None), identity.login


def test_genders_and_scopes_are_franceconnects():
    enum = (VENDOR / "franceconnect" / "genders.enum.ts").read_text(encoding="utf-8")
    assert set(re.findall(r"= '([a-z]+)'", enum)) == set(GENDERS)
    published = (VENDOR / "franceconnect" / "fcp-low.scopes.ts").read_text(encoding="utf-8")
    for scope, body in re.findall(r"^  (\w+): \[(.*?)\]", published, flags=re.S | re.M):
        assert tuple(re.findall(r"claims\.(\w+)", body)) == scopes.SCOPE_CLAIMS[scope], scope
    assert make_config()  # the default configuration still loads with these scopes
