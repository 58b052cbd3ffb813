"""CNAM API droits connector: headers, documented schemas, status → outcome table, defensive parsing."""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging

import pytest
import requests

from app import outbound
from app.connectors import cnam
from app.connectors.nir import InvalidNir
from app.model import rights
from tests.connectors import CNAM_BASE, make_http
from tests.connectors import payloads as p

TOKEN = "fc-access-token-0123456789abcdef"
API_KEY = "cnam-api-key-42"
AUTH = {"access_token": TOKEN, "api_key": API_KEY}

INSURED = rights.Beneficiary(
    nir=p.NIR_INSURED, last_name="FOURNIER", usage_name="FOURNIER", first_name="AUDREY",
    birth_date=dt.date(1985, 3, 2), birth_rank=1, qualite="assure", has_c2s_flag=False, has_medecin_traitant=True,
)
CHILD = rights.Beneficiary(
    nir=p.NIR_CHILD, last_name="FOURNIER", usage_name=None, first_name="LUCAS", birth_date=dt.date(2015, 6, 12),
    birth_rank=1, qualite="enfant", has_c2s_flag=False, has_medecin_traitant=False,
)
CAISSE = rights.Caisse(
    id="01261", grand_regime="01", organisme="261", code_centre="0001", label="CPAM de Maine-et-Loire",
    address=rights.Address(recipient="CPAM de Maine-et-Loire", street_number="13", street_type="boulevard",
                           street_name="Charles de Gaule", postal_code="49100", city="Angers"),
)
CONTRACT = rights.Contract(
    nature="AMO", start=dt.date(2020, 1, 15), end=dt.date(2025, 1, 15), type_code="BASE",
    type_label="Droits de base (contrat sans spécificité)",
    periods=(rights.Period(dt.date(2021, 1, 1), dt.date(2022, 1, 1)),),
)
EXONERATION = rights.Exoneration(
    start=dt.date(2024, 9, 1), end=dt.date(2025, 4, 30), motif_code="MAT", motif_label="Maternité",
    motif_long_label="Exonération au titre de la maternité", presumed_pregnancy_date=dt.date(2024, 8, 20),
    actual_delivery_date=dt.date(2025, 4, 2),
)
MEDECIN = rights.MedecinTraitant(last_name="MARTIN", first_name="CLAIRE", numero_am="491234567",
                                 start=dt.date(2019, 4, 1), end=dt.date(2030, 12, 31))



@pytest.fixture
def http(clock):
    client = make_http(clock, CNAM_BASE, provider="cnam")
    yield client
    client.close()



@pytest.fixture
def deadline(clock):
    return outbound.Deadline.after(10, clock)


def test_me(http, deadline, mocked_responses):
    mocked_responses.get(CNAM_BASE + "/me", json=p.ME)
    assert cnam.fetch_me(http, **AUTH, deadline=deadline) == INSURED
    headers = mocked_responses.calls[0].request.headers
    assert headers["X-API-Key"] == API_KEY and headers["Authorization"] == "Bearer " + TOKEN
    assert "nir" not in headers  # only per-beneficiary calls carry it
    assert mocked_responses.calls[0].request.url == CNAM_BASE + "/me"


def test_beneficiaires(http, deadline, mocked_responses):
    mocked_responses.get(CNAM_BASE + "/me/beneficiaires", json=p.BENEFICIAIRES)
    assert cnam.fetch_beneficiaires(http, **AUTH, deadline=deadline) == (INSURED, CHILD)
    assert "nir" not in mocked_responses.calls[0].request.headers


@pytest.mark.parametrize(
    ("fetch", "path", "payload", "expected"),
    [
        (cnam.fetch_caisse, "/caisse", p.CAISSE, CAISSE),
        (cnam.fetch_contrats, "/contrats", p.CONTRATS, (CONTRACT,)),
        (cnam.fetch_exonerations, "/exonerations", p.EXONERATIONS, (EXONERATION,)),
        (cnam.fetch_medecin_traitant, "/medecin-traitant", p.MEDECIN_TRAITANT, MEDECIN),
    ],
)
def test_per_beneficiary_calls(http, deadline, mocked_responses, fetch, path, payload, expected):
    mocked_responses.get(CNAM_BASE + path, json=payload)
    assert fetch(http, **AUTH, nir=p.NIR_CHILD, deadline=deadline) == expected
    (call,) = mocked_responses.calls
    assert call.request.url == CNAM_BASE + path
    assert call.request.headers["nir"] == p.NIR_CHILD
    assert call.request.headers["X-API-Key"] == API_KEY and call.request.headers["Authorization"] == "Bearer " + TOKEN


@pytest.mark.parametrize("nir", [p.NIR_CORSICA_2A, p.NIR_CORSICA_2B])
def test_corsican_nirs_go_out(http, deadline, mocked_responses, nir):
    mocked_responses.get(CNAM_BASE + "/contrats", json=[])
    assert cnam.fetch_contrats(http, **AUTH, nir=nir, deadline=deadline) == ()
    assert mocked_responses.calls[0].request.headers["nir"] == nir


@pytest.mark.parametrize("nir", [p.NIR_CHILD + "\r\nX-Injected: 1", p.NIR_CHILD[:-2] + "00", p.NIR_CHILD[:-1], ""])
def test_a_malformed_nir_never_goes_out(http, deadline, mocked_responses, nir):
    with pytest.raises(InvalidNir):
        cnam.fetch_caisse(http, **AUTH, nir=nir, deadline=deadline)
    assert len(mocked_responses.calls) == 0


def test_each_section_is_asked_about_one_nir(http, deadline, mocked_responses):
    mocked_responses.get(CNAM_BASE + "/caisse", json=p.CAISSE)
    mocked_responses.get(CNAM_BASE + "/contrats", json=p.CONTRATS)
    mocked_responses.get(CNAM_BASE + "/exonerations", json=p.EXONERATIONS)
    ask = dict(AUTH, nir=p.NIR_INSURED, deadline=deadline)
    assert cnam.fetch_caisse(http, **ask) == CAISSE
    assert cnam.fetch_contrats(http, **ask) == (CONTRACT,)
    assert cnam.fetch_exonerations(http, **ask) == (EXONERATION,)
    assert all(c.request.headers["nir"] == p.NIR_INSURED for c in mocked_responses.calls)


def test_an_empty_section_is_absent(http, deadline, mocked_responses):
    mocked_responses.get(CNAM_BASE + "/medecin-traitant", body="", content_type="application/json")
    with pytest.raises(cnam.CnamNotFound):
        cnam.fetch_medecin_traitant(http, **AUTH, nir=p.NIR_INSURED, deadline=deadline)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, cnam.CnamRefused), (401, cnam.CnamRefused), (403, cnam.CnamRefused), (404, cnam.CnamNotFound),
        (204, cnam.CnamNotFound), (429, cnam.CnamRateLimited), (500, cnam.CnamUnavailable),
        (502, cnam.CnamUnavailable), (503, cnam.CnamUnavailable), (504, cnam.CnamUnavailable),
        (201, cnam.CnamInvalidResponse),
    ],
)
def test_status_to_outcome(http, deadline, mocked_responses, status, error):
    body = "" if status == 204 else "<html>Erreur FOURNIER</html>"
    mocked_responses.get(CNAM_BASE + "/me", status=status, body=body, content_type="text/html")
    with pytest.raises(error) as exc:
        cnam.fetch_me(http, **AUTH, deadline=deadline)
    assert type(exc.value) is error and exc.value.status_code == status
    assert str(exc.value) == f"HTTP {status}"


def test_429_carries_retry_after(http, deadline, mocked_responses):
    mocked_responses.get(CNAM_BASE + "/me", status=429, headers={"Retry-After": "120"})
    with pytest.raises(cnam.CnamRateLimited) as exc:
        cnam.fetch_me(http, **AUTH, deadline=deadline)
    assert exc.value.retry_after == 120.0


@pytest.mark.parametrize(
    ("mock", "error"),
    [
        ({"body": requests.ReadTimeout("slow")}, cnam.CnamUnavailable),
        ({"body": requests.ConnectionError("down")}, cnam.CnamUnavailable),
        ({"status": 301, "headers": {"Location": "https://evil.example/"}}, cnam.CnamInvalidResponse),
    ],
)
def test_transport_outcomes(http, deadline, mocked_responses, mock, error):
    mocked_responses.get(CNAM_BASE + "/me", **mock)
    with pytest.raises(error):
        cnam.fetch_me(http, **AUTH, deadline=deadline)


@pytest.mark.parametrize(
    ("body", "content_type", "error"),
    [
        ("", "application/json", cnam.CnamNotFound),  # no rights: an empty 200
        ("  \n", None, cnam.CnamNotFound),
        ("null", "application/json", cnam.CnamNotFound),
        (json.dumps(p.ME), None, None),  # the spec declares */*: JSON without a content type is accepted
        (json.dumps(p.ME), "*/*", None),
        (json.dumps(p.ME), "application/octet-stream", None),
        (json.dumps(p.ME), "application/json;charset=UTF-8", None),
        (json.dumps(p.ME), "text/html", cnam.CnamInvalidResponse),
        ("<!DOCTYPE html><html>Portail</html>", None, cnam.CnamInvalidResponse),
        ("<html>Portail</html>", "text/html", cnam.CnamInvalidResponse),
        ("{broken", "application/json", cnam.CnamInvalidResponse),
    ],
)
def test_bodies_and_content_types(http, deadline, mocked_responses, body, content_type, error):
    mocked_responses.get(CNAM_BASE + "/me", body=body, content_type=content_type)
    if error is None:
        assert cnam.fetch_me(http, **AUTH, deadline=deadline) == INSURED
    else:
        with pytest.raises(error):
            cnam.fetch_me(http, **AUTH, deadline=deadline)


def test_unknown_fields_are_ignored_and_missing_or_empty_ones_are_none(http, deadline, mocked_responses):
    mocked_responses.get(CNAM_BASE + "/me",
                         json={"nir": p.NIR_INSURED, "nom_usage": "", "qualite": None, "nouveau": {"x": 1}})
    assert cnam.fetch_me(http, **AUTH, deadline=deadline) == rights.Beneficiary(nir=p.NIR_INSURED)


def _with(payload, path, value):
    """A deep copy of `payload` with the field at `path` (keys and indexes) set to `value`."""
    changed = copy.deepcopy(payload)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


@pytest.mark.parametrize(
    ("path", "payload", "field", "value"),
    [
        ("/me", p.ME, ("qualite",), "roi"),
        ("/me", p.ME, ("qualite",), "ASSURE"),
        ("/me", p.ME, ("rang_naissance",), "1"),
        ("/me", p.ME, ("rang_naissance",), True),
        ("/me", p.ME, ("date_naissance",), "02/03/1985"),
        ("/me", p.ME, ("date_naissance",), "1985-03-00"),
        ("/me", p.ME, ("presence_CMUC_ACS",), "false"),
        ("/me", p.ME, ("medecin_traitant_choisi",), 1),
        ("/me", p.ME, ("nir",), p.NIR_INSURED[:-2] + "00"),  # never reused as a header if the key is wrong
        ("/me", p.ME, ("nir",), 285037511200197),
        ("/me", p.ME, ("nom_famille",), "FOURNIER\r\nX"),
        ("/me", p.ME, ("prenom",), ["AUDREY"]),
        ("/me/beneficiaires", p.BENEFICIAIRES, (1,), "LUCAS"),
        ("/me/beneficiaires", p.BENEFICIAIRES, (1, "qualite"), "fils"),
        ("/contrats", p.CONTRATS, (0, "nature_assurance"), "AMX"),
        ("/contrats", p.CONTRATS, (0, "details"), "BASE"),
        ("/contrats", p.CONTRATS, (0, "periodes_droits"), {"date_debut": "2021-01-01"}),
        ("/contrats", p.CONTRATS, (0, "periodes_droits", 0, "date_fin"), "2022-13-01"),
        ("/caisse", p.CAISSE, ("adresse",), "13 boulevard Charles de Gaule"),
        ("/caisse", p.CAISSE, ("id",), 1261),
        ("/exonerations", p.EXONERATIONS, (0, "motif", "code"), 7),
        ("/exonerations", p.EXONERATIONS, (0, "maternite"), []),
        ("/medecin-traitant", p.MEDECIN_TRAITANT, ("date_fin",), "2030-12-31T00:00:00Z"),
    ],
)
def test_wrong_types_and_unknown_enum_values_are_invalid(http, deadline, mocked_responses, path, payload, field,
                                                         value):
    mocked_responses.get(CNAM_BASE + path, json=_with(payload, field, value))
    fetch = {
        "/me": cnam.fetch_me, "/me/beneficiaires": cnam.fetch_beneficiaires, "/contrats": cnam.fetch_contrats,
        "/caisse": cnam.fetch_caisse, "/exonerations": cnam.fetch_exonerations,
        "/medecin-traitant": cnam.fetch_medecin_traitant,
    }[path]
    kwargs = {} if path in ("/me", "/me/beneficiaires") else {"nir": p.NIR_INSURED}
    with pytest.raises(cnam.CnamInvalidResponse) as exc:
        fetch(http, **AUTH, deadline=deadline, **kwargs)
    assert exc.value.__cause__ is None
    echoed = [v for v in (value, "FOURNIER", p.NIR_INSURED) if isinstance(v, str) and v in str(exc.value)]
    assert echoed == []  # messages name fields, never values


@pytest.mark.parametrize(("path", "body"), [("/me/beneficiaires", p.ME), ("/contrats", {"contrats": []}),
                                            ("/me", []), ("/caisse", "01261")])
def test_wrong_top_level_shapes_are_invalid(http, deadline, mocked_responses, path, body):
    mocked_responses.get(CNAM_BASE + path, json=body)
    fetch = {"/me/beneficiaires": cnam.fetch_beneficiaires, "/me": cnam.fetch_me}.get(path)
    with pytest.raises(cnam.CnamInvalidResponse):
        if fetch:
            fetch(http, **AUTH, deadline=deadline)
        else:
            {"/contrats": cnam.fetch_contrats, "/caisse": cnam.fetch_caisse}[path](
                http, **AUTH, nir=p.NIR_INSURED, deadline=deadline)


def test_rights_survive_the_session_and_hide_their_values():
    insured = INSURED.__class__(**{**INSURED.__dict__, "caisse": CAISSE, "contracts": (CONTRACT,),
                                   "exonerations": (EXONERATION,), "medecin_traitant": MEDECIN})
    family = rights.CnamRights(insured=insured, beneficiaries=(CHILD,))
    stored = json.loads(json.dumps(family.to_dict()))  # plain values only: what msgpack can carry too
    assert stored["insured"]["contracts"][0]["periods"] == [{"start": "2021-01-01", "end": "2022-01-01"}]
    assert rights.CnamRights.from_dict(stored) == family
    for shown in (repr(family), repr(insured), repr(CAISSE), repr(CONTRACT), repr(EXONERATION), repr(MEDECIN)):
        assert "FOURNIER" not in shown and p.NIR_INSURED not in shown and "2021" not in shown and "MAT" not in shown


@pytest.mark.parametrize("stored", [{"insured": {"qualite": "roi"}}, {"insured": {"birth_date": 19850302}},
                                    {"insured": {"contracts": "AMO"}}, {"beneficiaries": []}, {"insured": None}])
def test_a_stale_session_value_is_refused(stored):
    with pytest.raises(rights.InvalidSessionValue):
        rights.CnamRights.from_dict(stored)


def test_logs_hold_no_token_key_nir_name_or_rights(http, deadline, mocked_responses, caplog):
    caplog.set_level(logging.DEBUG)
    mocked_responses.get(CNAM_BASE + "/me", json=p.ME)
    mocked_responses.get(CNAM_BASE + "/caisse", json=p.CAISSE)
    mocked_responses.get(CNAM_BASE + "/contrats", json=p.CONTRATS)
    mocked_responses.get(CNAM_BASE + "/medecin-traitant", status=503, body="FOURNIER " + p.NIR_INSURED)
    mocked_responses.get(CNAM_BASE + "/exonerations", json=p.EXONERATIONS)
    me = cnam.fetch_me(http, **AUTH, deadline=deadline)
    ask = dict(AUTH, nir=me.nir, deadline=deadline)
    cnam.fetch_caisse(http, **ask), cnam.fetch_contrats(http, **ask), cnam.fetch_exonerations(http, **ask)
    with pytest.raises(cnam.CnamUnavailable):
        cnam.fetch_medecin_traitant(http, **ask)
    assert "provider=cnam method=GET path=/medecin-traitant status=503" in caplog.text
    for secret in (TOKEN, API_KEY, p.NIR_INSURED, "FOURNIER", "AUDREY", "1985-03-02", "BASE", "01261", "Angers"):
        assert secret not in caplog.text


@pytest.mark.parametrize("given", [p.NIR_INSURED, p.NIR_INSURED[:13]])
def test_me_gives_the_nir_with_or_without_its_key(http, deadline, mocked_responses, given):
    # B.5 types `nir` as a bare string: a 13-character NIR gets its key computed, and the per-beneficiary calls
    # then carry the full 15 characters.
    mocked_responses.get(CNAM_BASE + "/me", json={"nir": given})
    assert cnam.fetch_me(http, **AUTH, deadline=deadline).nir == p.NIR_INSURED


@pytest.mark.parametrize("given", [p.NIR_CORSICA_2A, p.NIR_CORSICA_2A[:13]])
def test_a_corsican_nir_of_13_characters_gets_its_key(http, deadline, mocked_responses, given):
    mocked_responses.get(CNAM_BASE + "/me", json={"nir": given})
    assert cnam.fetch_me(http, **AUTH, deadline=deadline).nir == p.NIR_CORSICA_2A


@pytest.mark.parametrize("given",
                         [p.NIR_INSURED[:12], p.NIR_INSURED[:14], p.NIR_INSURED[:13] + "00", "2850375112001 "])
def test_me_refuses_a_nir_of_another_length_or_a_wrong_key(http, deadline, mocked_responses, given):
    mocked_responses.get(CNAM_BASE + "/me", json={"nir": given})
    with pytest.raises(cnam.CnamInvalidResponse):
        cnam.fetch_me(http, **AUTH, deadline=deadline)


def test_null_and_omitted_fields_read_alike(http, deadline, mocked_responses):
    # The OpenAPI marks nothing nullable (an absent value is omitted); the sandbox of old sent null: both are None.
    omitted = {"nom": "ROUSSEL", "date_debut": "2015-03-01"}
    mocked_responses.get(CNAM_BASE + "/medecin-traitant", json=omitted)
    mocked_responses.get(CNAM_BASE + "/medecin-traitant",
                         json=dict(omitted, prenom=None, numero_am=None, date_fin=None))
    first, second = (cnam.fetch_medecin_traitant(http, **AUTH, nir=p.NIR_INSURED, deadline=deadline) for _ in "12")
    assert first == second and first.end is None and first.first_name is None
    exo = {"date_debut": "2026-01-01", "motif": {"code": "MAT"}}
    mocked_responses.get(CNAM_BASE + "/exonerations", json=[exo, dict(exo, maternite=None, date_fin=None)])
    listed = cnam.fetch_exonerations(http, **AUTH, nir=p.NIR_INSURED, deadline=deadline)
    assert listed[0] == listed[1] and listed[0].presumed_pregnancy_date is None
    mocked_responses.get(CNAM_BASE + "/caisse", json={"id": "01751", "adresse": {"code_postal": "75948"}})
    mocked_responses.get(CNAM_BASE + "/caisse",
                         json={"id": "01751",
                               "adresse": {"code_postal": "75948", "nom_voie": None, "complement_adresse": None}})
    first, second = (cnam.fetch_caisse(http, **AUTH, nir=p.NIR_INSURED, deadline=deadline) for _ in "12")
    assert first == second and first.address.street_name is None
