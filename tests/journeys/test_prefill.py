"""Prefill: each identity case, the provenance of each field, and what happens when a source is missing."""

from __future__ import annotations

import dataclasses

import pytest

from app.journeys.prefill import People, Value, prefill
from app.model import rights
from tests.journeys.factories import (
    ANGELA,
    AT,
    PIERRE,
    SIGNED_IN_AT,
    VINCENT,
    c2s_ok,
    cnam_ok,
    failed,
    family,
    insured,
)

BOTH = {"c2s": c2s_ok(), "cnam": cnam_ok()}


def run(journey="preadmission", identity=ANGELA, results=None, people=People(), **kwargs):
    return prefill(journey, identity, BOTH if results is None else results, people, signed_in_at=SIGNED_IN_AT,
                   **kwargs)


def sources(result) -> dict[str, str]:
    return {name: value.source for name, value in result.values.items()}


def test_the_person_themselves_with_every_source():
    result = run()
    v = result.values
    assert v["birth_name"] == Value("DUBOIS", "franceconnect", SIGNED_IN_AT)
    assert v["first_names"].value == "Angela Claire Louise"
    assert (v["sex"].value, v["birth_date"].value, v["birth_place"].value, v["birth_country"].value) == (
        "F", "1962-08-24", "75107", "99100")
    assert v["nir"] == Value("262087510790169", "cnam", AT)
    assert (v["regime"].value, v["caisse"].value, v["caisse_code"].value) == ("general", "CPAM de Paris", "01751")
    assert (v["amo_start"].value, v["amo_end"].value) == ("1980-09-01", None)  # the current contract, not the old
    assert v["exoneration"] == Value([], "cnam", AT)
    assert (v["medecin_traitant"].value, v["medecin_traitant_numero_am"].value) == ("HELENE ROUSSEL", "751999001")
    assert v["c2s"] == Value("sans_participation", "api_particulier", AT)
    assert v["c2s_since"].value == "2023-02-01"
    assert result.gaps == {}
    # Certified values are read-only; the e-mail is a suggestion the person may change.
    assert all(not value.editable for name, value in v.items() if name != "email")
    assert v["email"] == Value(ANGELA.email, "franceconnect", SIGNED_IN_AT, editable=True)
    assert "usage_name" not in v  # FranceConnect sent none: the person may type one
    assert "guardian1_name" not in v and "insured_nir" not in v


def test_usage_name_and_born_abroad_come_from_franceconnect():
    assert run(identity=PIERRE, results={}).values["usage_name"] == Value("DUBOIS", "franceconnect", SIGNED_IN_AT)
    born_abroad = run(identity=VINCENT, results={}).values
    assert born_abroad["birth_place"].value == "" and born_abroad["birth_place"].source == "franceconnect"
    assert born_abroad["birth_country"].value == "99352"
    assert "email" not in born_abroad


def test_an_unknown_gender_is_left_to_the_person():
    identity = dataclasses.replace(ANGELA, gender="other")
    assert "sex" not in run(identity=identity, results={}).values


def test_an_unspecified_gender_is_read_from_the_certified_nir():
    identity = dataclasses.replace(ANGELA, gender="unspecified")
    assert run(identity=identity).values["sex"] == Value("F", "cnam", AT)  # 2 62 08…


@pytest.mark.parametrize("first_digit", ["3", "4", "7", "8"])
def test_a_temporary_nir_says_nothing_of_the_sex(first_digit):
    child = dataclasses.replace(family().beneficiaries[1], nir=first_digit + "14069527791187")
    cnam = dataclasses.replace(family(), beneficiaries=(family().beneficiaries[0], child))
    result = run(identity=PIERRE, results={"cnam": cnam_ok(cnam)}, people=People(patient="ayant_droit:1"))
    assert "sex" not in result.values


def test_a_nir_typed_for_someone_else_certifies_no_sex():
    assert "sex" not in run(people=People(patient="other")).values


def test_a_parent_admitting_their_child():
    result = run(identity=PIERRE, results={"c2s": c2s_ok(False), "cnam": cnam_ok(family())},
                 people=People(patient="ayant_droit:1"))
    v = result.values
    assert {name: v[name].value for name in ("birth_name", "first_names", "birth_date", "nir")} == {
        "birth_name": "MERCIER", "first_names": "LOUIS", "birth_date": "2014-06-12", "nir": "114069527791187"}
    assert {v[name].source for name in ("birth_name", "first_names", "birth_date", "nir", "caisse")} == {"cnam"}
    assert v["sex"] == Value("M", "cnam", AT)  # the certified NIR starts with 1
    assert "birth_place" not in v  # not in the CNAM's answer: typed in
    assert v["insured_nir"] == Value("169039527790269", "cnam", AT)
    assert v["medecin_traitant"].value == "NADIA HAMIDI"
    assert v["c2s"].value == "non"  # the household's status
    # The parent is offered as « Vous-même » on the form, not as a name to retype or correct.
    assert "guardian1_name" not in v


def test_a_beneficiary_without_medecin_traitant_is_certified_as_having_none():
    result = run(identity=PIERRE, results={"cnam": cnam_ok(family())}, people=People(patient="ayant_droit:2"))
    assert result.values["medecin_traitant"] == Value(None, "cnam", AT)


def test_someone_else_is_entirely_declared():
    result = run(people=People(patient="other"))
    assert set(result.values) == {"email"}  # an adult as often as a child: no holder of authority suggested
    assert all(value.editable for value in result.values.values())
    assert result.gaps == {"insurance": "other", "c2s": "other"}


@pytest.mark.parametrize("status", ["not_found", "unavailable", "refused"])
def test_a_failed_source_becomes_a_gap_and_typed_values(status):
    result = run(results={"c2s": failed("c2s", status), "cnam": failed("cnam", status)})
    assert result.gaps == {"insurance": status, "c2s": status}
    assert not {"nir", "regime", "caisse", "amo_start", "exoneration", "medecin_traitant", "c2s"} & set(result.values)
    assert sources(result)["birth_name"] == "franceconnect"  # the identity never depends on the providers


def test_a_source_not_requested_or_not_offered():
    assert run(results={}).gaps == {"insurance": "not_requested", "c2s": "not_requested"}
    assert run(results={}, available_sources=("cnam",)).gaps["c2s"] == "not_available"


def test_partial_cnam_rights_certify_what_came_and_flag_the_rest():
    partial = rights.CnamRights(insured=insured(caisse=None, contracts=(), exonerations=None, medecin_traitant=None))
    result = run(results={"cnam": cnam_ok(partial, partial=True)})
    assert result.values["nir"].source == "cnam"
    assert result.gaps == {"caisse": "partial", "amo": "partial", "exoneration": "partial",
                           "medecin_traitant": "partial", "c2s": "not_requested"}


def test_exonerations_not_fetched_are_not_claimed_absent():
    result = run(results={"cnam": cnam_ok(rights.CnamRights(insured=insured(exonerations=None)))})
    assert "exoneration" not in result.values and result.gaps["exoneration"] == "not_available"


def test_an_exoneration_is_certified_with_its_dates():
    exo = rights.Exoneration(start=rights.dt.date(2005, 10, 1), motif_code="INV", motif_label="Invalides")
    result = run(results={"cnam": cnam_ok(rights.CnamRights(insured=insured(exonerations=(exo,))))})
    assert result.values["exoneration"].value == [
        {"code": "INV", "label": "Invalides", "start": "2005-10-01", "end": None}]


@pytest.mark.parametrize("participation, code", [(True, "avec_participation"), (False, "sans_participation"),
                                                 (None, "oui")])
def test_c2s_codes(participation, code):
    status = rights.C2SStatus(is_beneficiary=True, with_participation=participation, start_date=None)
    result = run(results={"c2s": dataclasses.replace(c2s_ok(), data=status)})
    assert result.values["c2s"].value == code and "c2s_since" not in result.values


def test_adhesion_covers_the_chosen_beneficiaries_and_never_health_details():
    result = run("adhesion", identity=PIERRE, results={"c2s": c2s_ok(False), "cnam": cnam_ok(family())},
                 people=People(covered=(0, 2), declared=1))
    assert [b["first_names"].value for b in result.beneficiaries] == ["SOPHIE", "JEANNE"]
    assert result.beneficiaries[0]["link"] == Value("conjoint", "cnam", AT)
    assert result.beneficiaries[1]["nir"].value == "214069527791236"
    for name in ("exoneration", "medecin_traitant", "amo_start", "insured_nir", "birth_place"):
        assert name not in result.values
    assert result.values["account_holder"] == Value("Pierre DUBOIS", "franceconnect", SIGNED_IN_AT, editable=True)
    assert result.values["nir"].value == "169039527790269"
    assert "beneficiaries" not in result.gaps


def test_adhesion_ignores_indices_outside_the_list_and_says_why_none_are_listed():
    result = run("adhesion", results={"cnam": cnam_ok()}, people=People(covered=(5,)))
    assert result.beneficiaries == () and result.gaps["beneficiaries"] == "none"
    assert run("adhesion", results={"cnam": failed("cnam", "not_found")}).gaps["beneficiaries"] == "not_found"


def test_an_ayant_droit_index_outside_the_list_certifies_nothing_about_the_patient():
    result = run(people=People(patient="ayant_droit:9"))
    assert "birth_name" not in result.values and result.gaps["insurance"] == "not_available"


def test_people_round_trip_through_the_session():
    people = People(patient="ayant_droit:1", covered=(0, 2), declared=3)
    assert People.from_dict(people.to_dict()) == people
    assert (people.patient_kind, people.patient_index) == ("ayant_droit", 1)
    assert People().patient_index is None


def test_an_ayant_droit_of_an_insured_without_nir_gets_no_insured_nir():
    parent = dataclasses.replace(family().insured, nir=None)
    result = run(identity=PIERRE, results={"cnam": cnam_ok(dataclasses.replace(family(), insured=parent))},
                 people=People(patient="ayant_droit:1"))
    assert "insured_nir" not in result.values and result.values["nir"].value == "114069527791187"


def test_born_in_france_without_a_commune_gets_no_place_of_birth():
    identity = dataclasses.replace(ANGELA, birthplace="")
    assert "birth_place" not in run(identity=identity, results={}).values


@pytest.mark.parametrize("partial, gap", [(False, "not_available"), (True, "partial")])
def test_a_person_without_nir_or_caisse_leaves_them_to_type(partial, gap):
    person = insured(nir=None, caisse=rights.Caisse(grand_regime="01"))
    result = run(results={"cnam": cnam_ok(rights.CnamRights(insured=person), partial=partial)})
    assert not {"nir", "caisse", "caisse_code"} & set(result.values)
    assert (result.gaps["nir"], result.gaps["caisse"]) == (gap, gap)
    assert result.values["regime"].value == "general"


@pytest.mark.parametrize("caisse, shown, code", [
    (rights.Caisse(label="CPAM de Paris"), "CPAM de Paris", None),
    (rights.Caisse(id="01751"), "01751", "01751"),
])
def test_a_caisse_is_shown_by_its_label_else_its_code(caisse, shown, code):
    values = run(results={"cnam": cnam_ok(rights.CnamRights(insured=insured(caisse=caisse)))}).values
    assert values["caisse"].value == shown
    assert (values["caisse_code"].value if "caisse_code" in values else None) == code


@pytest.mark.parametrize("journey", ["preadmission", "adhesion"])
@pytest.mark.parametrize("gender", ["unspecified", ""])
def test_an_unspecified_or_missing_gender_is_asked_not_certified(journey, gender):
    # The form's sex is F or M (the hospital's record, the NIR's first digit): without a certified NIR (the CNAM
    # not asked), the person declares it.
    result = run(journey, identity=dataclasses.replace(ANGELA, gender=gender), results={})
    assert "sex" not in result.values and not result.certified("sex")
    assert result.certified("birth_name") and result.certified("first_names")


def test_a_missing_given_name_is_asked_and_names_stay_clean():
    result = run("adhesion", identity=dataclasses.replace(ANGELA, given_name=""))
    assert "first_names" not in result.values
    assert result.values["account_holder"].value == "DUBOIS"
