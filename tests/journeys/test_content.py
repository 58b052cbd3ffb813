"""The dossier's content: merge of certified and typed values, and its JSON shape."""

from __future__ import annotations

import json

from app.journeys.content import build_content, merge, source_statuses
from app.journeys.prefill import People, Value, prefill
from app.model.journey import JourneyContext
from app.model.organisation import Organisation
from tests.journeys.factories import AT, PIERRE, SIGNED_IN_AT, c2s_ok, cnam_ok, failed, family

CHU = Organisation("chu-demo", "Centre hospitalier de Démonstration", "hopital", "admissions@chu-demo.example")
MUTUELLE = Organisation("mutuelle-demo", "Mutuelle de Démonstration", "mutuelle", "adhesion@mutuelle-demo.example")
STARTED = "2026-11-22T13:00:00+00:00"


def test_merge_keeps_certified_values_and_the_source_of_unchanged_suggestions():
    values = prefill("preadmission", PIERRE, {"cnam": cnam_ok(family())}, People(patient="ayant_droit:1"),
                     signed_in_at=SIGNED_IN_AT)
    merged = merge(values, {"birth_name": "PIRATE", "sex": "F", "email": PIERRE.email, "guardian1_name": "Paul X",
                            "usage_name": "", "trusted_name": None, "birth_place": "Pontoise"})
    assert merged["birth_name"] == Value("MERCIER", "cnam", AT)  # never taken from what was typed
    assert merged["sex"] == Value("M", "cnam", AT)  # derived from the certified NIR: a posted sex is ignored
    assert merged["birth_place"] == Value("Pontoise", "declared")
    assert merged["email"].source == "franceconnect"  # unchanged suggestion
    assert merged["guardian1_name"] == Value("Paul X", "declared")  # changed suggestion
    assert "usage_name" not in merged and "trusted_name" not in merged


def test_preadmission_content():
    results = {"c2s": failed("c2s", "unavailable"), "cnam": cnam_ok(family())}
    people = People(patient="ayant_droit:2")
    context = JourneyContext("preadmission", "chu-demo", STARTED, ref="ADM-1", stay_date="2026-12-01",
                             stay_service="Pédiatrie", signed_in=True, signed=True, stay_type="ambulatoire")
    values = prefill("preadmission", PIERRE, results, people, signed_in_at=SIGNED_IN_AT)
    content = build_content(organisation=CHU, context=context, prefill=values,
                            declared={"sex": "F", "c2s": "inconnu", "consent_accuracy": True}, people=people,
                            identity=PIERRE, results=results, available_sources=("c2s", "cnam"),
                            signed_in_at=SIGNED_IN_AT, patient_minor=True, submitted_at="2026-11-22T13:10:00+00:00")
    assert json.loads(json.dumps(content)) == content  # plain JSON
    assert content["organisation"] == {"id": "chu-demo", "name": CHU.name}
    assert content["portal_reference"] == "ADM-1"
    assert content["stay"] == {"date": {"value": "2026-12-01", "source": "organisation", "at": STARTED},
                               "service": {"value": "Pédiatrie", "source": "organisation", "at": STARTED},
                               "type": {"value": "ambulatoire", "source": "organisation", "at": STARTED}}
    assert content["patient"] == {"kind": "ayant_droit", "minor": True}
    assert content["declarant"]["birth_name"] == {"value": "MERCIER", "source": "franceconnect", "at": SIGNED_IN_AT}
    assert content["fields"]["first_names"] == {"value": "JEANNE", "source": "cnam", "at": AT}
    assert content["fields"]["c2s"] == {"value": "inconnu", "source": "declared", "at": None}
    assert content["fields"]["medecin_traitant"]["value"] is None
    assert content["sources"] == {
        "c2s": {"status": "unavailable", "reason": "c2s_unavailable", "retrieved_at": AT, "partial": False},
        "cnam": {"status": "ok", "reason": "cnam_ok", "retrieved_at": AT, "partial": False}}
    assert "beneficiaries" not in content


def test_nothing_of_an_unsigned_context_is_labelled_as_the_organisations():
    # A context holding portal values without a verified launch (an older session, a bug) never passes them on.
    context = JourneyContext("preadmission", "chu-demo", STARTED, ref="FORGED-1", stay_date="9999-12-31",
                             stay_service="Psychiatrie", signed_in=True, signed=False)
    people = People()
    values = prefill("preadmission", PIERRE, {}, people, signed_in_at=SIGNED_IN_AT)
    content = build_content(organisation=CHU, context=context, prefill=values, declared={}, people=people,
                            identity=PIERRE, results={}, available_sources=(), signed_in_at=SIGNED_IN_AT,
                            patient_minor=False, submitted_at=None)
    assert content["portal_reference"] is None and content["stay"] == {}


def test_adhesion_content_carries_the_signed_offer():
    context = JourneyContext("adhesion", "mutuelle-demo", STARTED, signed_in=True, signed=True, ref="M-1",
                             offer_code="F2", offer_label="Formule Équilibre", offer_start="2027-01-01")
    people = People()
    values = prefill("adhesion", PIERRE, {}, people, signed_in_at=SIGNED_IN_AT)
    content = build_content(organisation=MUTUELLE, context=context, prefill=values, declared={}, people=people,
                            identity=PIERRE, results={}, available_sources=(), signed_in_at=SIGNED_IN_AT,
                            patient_minor=None, submitted_at=None)
    assert content["portal_reference"] == "M-1"
    assert content["offer"] == {"code": {"value": "F2", "source": "organisation", "at": STARTED},
                                "label": {"value": "Formule Équilibre", "source": "organisation", "at": STARTED},
                                "start_date": {"value": "2027-01-01", "source": "organisation", "at": STARTED}}


def test_adhesion_content_lists_certified_then_typed_beneficiaries():
    results = {"cnam": cnam_ok(family())}
    people = People(covered=(0,), declared=2)
    context = JourneyContext("adhesion", "mutuelle-demo", STARTED, signed_in=True)
    values = prefill("adhesion", PIERRE, results, people, signed_in_at=SIGNED_IN_AT)
    declared = {"ben1_first_names": "Tom", "ben0_first_names": "Léa", "ben0_link": "enfant", "ben1_link": "autre",
                "ben0_nir": "", "iban": "FR7630006000011234567890189"}
    content = build_content(organisation=MUTUELLE, context=context, prefill=values, declared=declared, people=people,
                            identity=PIERRE, results=results, available_sources=("c2s", "cnam"),
                            signed_in_at=SIGNED_IN_AT, patient_minor=None, submitted_at=None)
    assert [(b["origin"], b["fields"]["first_names"]["value"]) for b in content["beneficiaries"]] == [
        ("cnam", "SOPHIE"), ("declared", "Léa"), ("declared", "Tom")]
    assert list(content["beneficiaries"][0]["fields"]) == ["link", "birth_name", "first_names", "birth_date", "nir"]
    assert "nir" not in content["beneficiaries"][1]["fields"]
    assert not any(name.startswith("ben") for name in content["fields"])
    assert content["fields"]["iban"]["source"] == "declared"
    assert content["sources"]["c2s"]["status"] == "not_requested"
    assert "stay" not in content and "patient" not in content


def test_source_statuses_cover_every_source_of_the_deployment():
    assert source_statuses({"c2s": c2s_ok()}, ("c2s",)) == {
        "c2s": {"status": "ok", "reason": "c2s_ok", "retrieved_at": AT, "partial": False}}
