"""The FHIR R4 rendering: what each dossier field becomes, parsed back with fhir.resources' R4B models."""

from __future__ import annotations

import json

from fhir.resources.R4B.bundle import Bundle

from app.delivery.fhir import to_fhir_bundle
from tests.delivery import fixtures


def _resources(bundle: dict, kind: str) -> list[dict]:
    return [entry["resource"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == kind]


def _by_url(bundle: dict) -> dict[str, dict]:
    return {entry["fullUrl"]: entry["resource"] for entry in bundle["entry"]}


def test_the_bundle_round_trips_through_fhir_resources():
    for dossier, organisation in ((fixtures.preadmission(), fixtures.CHU),
                                  (fixtures.preadmission_of_child(), fixtures.CHU),
                                  (fixtures.adhesion(), fixtures.MUTUELLE)):
        bundle = to_fhir_bundle(dossier, organisation)
        text = json.dumps(bundle)
        parsed = Bundle.model_validate_json(text)
        assert json.loads(parsed.model_dump_json()) == bundle
        assert bundle["type"] == "collection"
        assert bundle["identifier"]["value"] == dossier.reference


def test_the_rendering_is_stable():
    # Pure and deterministic: the same dossier always gives the same Bundle (ids included).
    dossier = fixtures.preadmission()
    assert to_fhir_bundle(dossier, fixtures.CHU) == to_fhir_bundle(dossier, fixtures.CHU)


def test_references_all_resolve_inside_the_bundle():
    bundle = to_fhir_bundle(fixtures.preadmission_of_child(), fixtures.CHU)
    urls = set(_by_url(bundle))
    references = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("reference"), str):
                references.add(node["reference"])
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(bundle)
    assert references and references <= urls


def test_patient_identity_names_and_contacts():
    bundle = to_fhir_bundle(fixtures.preadmission(), fixtures.CHU)
    [patient] = _resources(bundle, "Patient")
    assert patient["name"] == [{"id": "name-official", "use": "official", "family": "DUBOIS",
                                "given": ["Angela", "Claire", "Louise"]}]
    assert patient["gender"] == "female" and patient["birthDate"] == "1962-08-24"
    assert patient["address"][0]["line"] == ["12 rue des Lilas", "Bâtiment B"]
    assert patient["address"][0]["postalCode"] == "75012"
    assert {"id": "phone", "system": "phone", "value": "+33612345678", "use": "home"} in patient["telecom"]
    roles = [contact["relationship"][0]["coding"][0]["code"] for contact in patient["contact"]]
    assert roles == ["ECON", "K"]
    assert patient["contact"][0]["relationship"][1] == {"text": "Frère"}
    assert patient["contact"][1]["name"] == {"text": "Marie MARTIN"}
    assert patient["generalPractitioner"][0]["display"] == "HELENE ROUSSEL"


def test_usage_name_is_the_usual_name():
    bundle = to_fhir_bundle(fixtures.adhesion(), fixtures.MUTUELLE)
    [patient] = _resources(bundle, "Patient")
    assert [name["use"] for name in patient["name"]] == ["official", "usual"]
    assert patient["name"][1]["family"] == "DUBOIS" and patient["name"][0]["family"] == "MERCIER"


def test_amo_coverage_with_its_caisse_period_and_exemptions():
    bundle = to_fhir_bundle(fixtures.preadmission(), fixtures.CHU)
    urls = _by_url(bundle)
    amo = next(c for c in _resources(bundle, "Coverage") if c["type"]["coding"][0]["code"] == "PUBLICPOL")
    assert amo["subscriberId"] == "262087510790169"
    assert amo["relationship"]["coding"][0]["code"] == "self"
    assert amo["period"] == {"start": "1980-09-01"}
    caisse = urls[amo["payor"][0]["reference"]]
    assert caisse["name"] == "CPAM de Paris" and caisse["identifier"][0]["value"] == "01751"
    assert amo["class"][0]["value"] == "general"


def test_c2s_and_declared_complementary_are_ehcpol():
    bundle = to_fhir_bundle(fixtures.preadmission(), fixtures.CHU)
    extended = [c for c in _resources(bundle, "Coverage") if c["type"]["coding"][0]["code"] == "EHCPOL"]
    c2s, mutuelle = extended
    assert c2s["class"][0]["value"] == "sans_participation" and c2s["period"] == {"start": "2023-02-01"}
    assert mutuelle["payor"] == [{"display": "Mutuelle des Lilas"}] and mutuelle["subscriberId"] == "AD-778899"


def test_no_c2s_coverage_when_the_person_has_none():
    bundle = to_fhir_bundle(fixtures.preadmission_of_child(), fixtures.CHU)
    assert [c["type"]["coding"][0]["code"] for c in _resources(bundle, "Coverage")] == ["PUBLICPOL"]


def test_ayant_droit_coverage_names_the_insured_as_subscriber():
    bundle = to_fhir_bundle(fixtures.preadmission_of_child(), fixtures.CHU)
    urls = _by_url(bundle)
    [amo] = _resources(bundle, "Coverage")
    insured = urls[amo["subscriber"]["reference"]]
    assert insured["resourceType"] == "RelatedPerson"
    assert insured["identifier"][0]["value"] == "169039527790269" and amo["subscriberId"] == "169039527790269"
    assert amo["relationship"]["coding"][0]["code"] == "other"
    [patient] = _resources(bundle, "Patient")
    assert patient["identifier"][0]["value"] == "214069527791236"
    guardians = [c for c in patient["contact"] if c["relationship"][0]["coding"][0]["code"] == "GUARD"]
    assert [g["name"]["text"] for g in guardians] == ["Pierre DUBOIS", "Sophie DUBOIS"]
    assert patient["extension"][1]["valueAddress"] == {"city": "Pontoise", "country": "FRA"}


def test_preadmission_encounter_is_planned_with_date_and_service():
    bundle = to_fhir_bundle(fixtures.preadmission(), fixtures.CHU)
    [encounter] = _resources(bundle, "Encounter")
    assert encounter["status"] == "planned" and encounter["period"] == {"start": "2026-12-01"}
    assert encounter["serviceType"] == {"text": "Chirurgie orthopédique"}
    assert encounter["class"]["code"] == "IMP"
    assert encounter["identifier"][0]["value"] == "ADM-2026-0042"
    hospital = _by_url(bundle)[encounter["serviceProvider"]["reference"]]
    assert hospital["identifier"][0]["value"] == fixtures.CHU.siret


def test_adhesion_beneficiaries_and_requested_contract():
    bundle = to_fhir_bundle(fixtures.adhesion(), fixtures.MUTUELLE)
    assert not _resources(bundle, "Encounter")
    related = _resources(bundle, "RelatedPerson")
    assert [r["relationship"][0]["coding"][0]["code"] for r in related] == ["SPS", "CHILD"]
    assert related[0]["identifier"][0]["value"] == "271105935090375"
    assert related[1]["name"][0]["family"] == "LEROY" and "identifier" not in related[1]
    requested = next(c for c in _resources(bundle, "Coverage") if c["status"] == "draft")
    assert requested["period"] == {"start": "2027-01-01"}
    assert requested["class"][0]["value"] == "F2"


def _provenance_of(bundle: dict, path: str) -> list[dict]:
    """The Provenances naming this element: a simple FHIRPath, or "#<id>" for an element id."""
    return [p for p in _resources(bundle, "Provenance")
            if any(ext.get("valueString") == path or "#" + ext.get("valueUri", "") == path
                   for target in p["target"] for ext in target["extension"])]


def test_provenance_says_who_gave_what_and_when():
    bundle = to_fhir_bundle(fixtures.preadmission(), fixtures.CHU)
    [fc] = _provenance_of(bundle, "Patient.birthDate")
    assert fc["agent"][0]["who"]["display"].startswith("FranceConnect")
    assert fc["recorded"].startswith("2026-11-22T13:04:58")
    [cnam] = _provenance_of(bundle, "Coverage.period.start")[-1:]
    [nir] = _provenance_of(bundle, "#nss")
    assert nir["agent"][0]["who"]["display"].startswith("Assurance Maladie")
    [declared] = _provenance_of(bundle, "Patient.address.city")
    assert declared["agent"][0]["type"]["coding"][0]["code"] == "author"
    assert declared["agent"][0]["who"]["reference"] == bundle["entry"][0]["fullUrl"]  # the patient herself
    [hospital] = _provenance_of(bundle, "Encounter.period.start")
    assert hospital["agent"][0]["who"]["display"].startswith("Organisme destinataire")
    assert cnam


def test_a_declared_value_of_someone_else_is_authored_by_the_declarant():
    bundle = to_fhir_bundle(fixtures.preadmission_of_child(), fixtures.CHU)
    # The child's sex now comes from her certified NIR; her address was typed by her father.
    [declared] = _provenance_of(bundle, "Patient.address.postalCode")
    author = _by_url(bundle)[declared["agent"][0]["who"]["reference"]]
    assert author["resourceType"] == "RelatedPerson" and author["name"][0]["family"] == "MERCIER"


def test_nothing_is_logged(caplog):
    caplog.set_level("DEBUG")
    to_fhir_bundle(fixtures.preadmission(), fixtures.CHU)
    assert not [r for r in caplog.records if r.name.startswith("app")]


def test_a_dossier_with_nothing_certified():
    bundle = to_fhir_bundle(fixtures.preadmission_with_nothing_certified(), fixtures.CHU)
    Bundle.model_validate(bundle)
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert "Coverage" not in kinds  # no NIR, no caisse, C2S unknown
    [encounter] = _resources(bundle, "Encounter")
    assert "period" not in encounter and "identifier" not in encounter  # unsigned: nothing from the hospital
    [patient] = _resources(bundle, "Patient")
    assert "identifier" not in patient and patient["name"][0]["family"] == "ROUX"
    sources = {p["agent"][0]["who"]["display"] for p in _resources(bundle, "Provenance")}
    assert sources == {"Déclaré par la personne", "FranceConnect (identité pivot)"}  # the declarant's own identity


def test_every_provenance_focus_resolves_to_an_element():
    # targetElement: the id of an element of the target; targetPath: the simple FHIRPath subset (names and
    # extension('url') only, https://hl7.org/fhir/R4/fhirpath.html#simple) — no where(), no indexer.
    bundle = to_fhir_bundle(fixtures.preadmission_of_child(), fixtures.CHU)
    urls = _by_url(bundle)
    for provenance in _resources(bundle, "Provenance"):
        for target in provenance["target"]:
            text = json.dumps(urls[target["reference"]])
            for ext in target["extension"]:
                if ext["url"] == "http://hl7.org/fhir/StructureDefinition/targetElement":
                    assert f'"id": "{ext["valueUri"]}"' in text
                else:
                    assert ext["url"] == "http://hl7.org/fhir/StructureDefinition/targetPath"
                    assert "where(" not in ext["valueString"] and "[" not in ext["valueString"]
                    assert ext["valueString"].split(".")[0] == urls[target["reference"]]["resourceType"]
