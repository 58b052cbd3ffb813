"""The FR Core constraints the FHIR rendering relies on, each with the source it was checked against.

FR Core 2.2.0-ballot, canonical https://hl7.fr/ig/fhir/core (sushi-config.yaml of
https://github.com/Interop-Sante/hl7.fhir.fr.core, read 2026-11-30).
"""

from __future__ import annotations

import json

from app.delivery.fhir import to_fhir_bundle
from tests.delivery import fixtures


def _patients():
    for dossier, organisation in ((fixtures.preadmission(), fixtures.CHU),
                                  (fixtures.preadmission_of_child(), fixtures.CHU),
                                  (fixtures.adhesion(), fixtures.MUTUELLE)):
        bundle = to_fhir_bundle(dossier, organisation)
        yield from (e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")


def _extension(resource: dict, url: str) -> list[dict]:
    return [ext for ext in resource.get("extension", []) if ext["url"] == url]


def test_nir_is_the_nss_slice_never_an_ins():
    # input/fsh/profiles/FRCorePatientProfile.fsh: identifier[NSS] use = #official, type = v2-0203#NH,
    # system = "urn:oid:1.2.250.1.213.1.4.8", value 1..; INS-NIR/INS-NIA only in fr-core-patient-ins
    # ("Le matricule INS ne peut être véhiculé que dans le cas d'une identité qualifiée").
    for patient in _patients():
        assert patient["meta"]["profile"] == ["https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient"]
        for identifier in patient.get("identifier", []):
            assert identifier["use"] == "official"
            assert identifier["type"]["coding"] == [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                                     "code": "NH"}]
            assert identifier["system"] == "urn:oid:1.2.250.1.213.1.4.8" and identifier["value"]
            assert "INS" not in str(identifier["type"])


def test_identity_reliability_is_prov():
    # input/fsh/extensions/FRCorePatientIdentityReliabilityExtension.fsh: Id fr-core-identity-reliability,
    # sub-extension identityStatus valueCoding from FRCoreValueSetIdentityStatus (required);
    # input/fsh/codesystems/FRCoreCodeSystemIdentityStatus.fsh: PROV = not retrieved from INSi, not checked.
    url = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"
    for patient in _patients():
        [reliability] = _extension(patient, url)
        [status] = reliability["extension"]
        assert status["url"] == "identityStatus"
        assert status["valueCoding"]["system"] == "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-identity-status"
        assert status["valueCoding"]["code"] == "PROV"


def test_birth_place_is_the_core_extension_with_the_insee_code():
    # FRCorePatientProfile.fsh: http://hl7.org/fhir/StructureDefinition/patient-birthPlace 0..1, valueAddress
    # only FRCoreAddressProfile; FRCoreAddressProfile.fsh: extension inseeCode 0..1;
    # extensions/FRCoreAddressInseeCodeExtension.fsh: Id fr-core-address-insee-code, value[x] only Coding from
    # FRCoreValueSetINSEECode = codes of https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM.
    patient = next(_patients())
    [birth] = _extension(patient, "http://hl7.org/fhir/StructureDefinition/patient-birthPlace")
    [insee] = birth["valueAddress"]["extension"]
    assert insee["url"] == "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code"
    assert insee["valueCoding"] == {"system": "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM",
                                    "code": "75107"}


def test_names_are_official_with_family_and_given_and_usual():
    # FRCorePatientProfile.fsh: name[officialName].use = #official, family 1.., given 1..;
    # name[usualName].use = #usual ("n'est transmis que s'il est défini").
    for patient in _patients():
        official = [n for n in patient["name"] if n["use"] == "official"]
        assert len(official) == 1 and official[0]["family"] and official[0]["given"]
        assert all(n["use"] in ("official", "usual") for n in patient["name"])


def test_contact_roles_come_from_the_fr_core_value_sets():
    # FRCorePatientProfile.fsh: contact.relationship[Role] from FRCoreValueSetPatientContactRole (extensible),
    # which includes https://mos.esante.gouv.fr/NOS/TRE_R260-HL7RoleClass/FHIR/TRE-R260-HL7RoleClass (ECON, GUARD
    # as used in ANS IGs, e.g. github.com/ansforge TDDUI RelatedPerson example #GUARD "Responsable légal");
    # codesystems/FRCoreCodeSystemContactRelationship.fsh: #K "Personne de confiance".
    allowed = {("https://mos.esante.gouv.fr/NOS/TRE_R260-HL7RoleClass/FHIR/TRE-R260-HL7RoleClass", "ECON"),
               ("https://mos.esante.gouv.fr/NOS/TRE_R260-HL7RoleClass/FHIR/TRE-R260-HL7RoleClass", "GUARD"),
               ("https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-contact-relationship", "K")}
    seen = set()
    for patient in _patients():
        for contact in patient.get("contact", []):
            coding = contact["relationship"][0]["coding"][0]
            seen.add((coding["system"], coding["code"]))
    assert seen == allowed


def test_organisation_siret_follows_fr_core():
    # FR Core organisation profile: identifier[siret].type = fr-core-cs-v2-0203#SIRET, system "https://sirene.fr".
    bundle = to_fhir_bundle(fixtures.preadmission(), fixtures.CHU)
    [hospital] = [e["resource"] for e in bundle["entry"]
                  if e["resource"]["resourceType"] == "Organization" and e["resource"]["name"] == fixtures.CHU.name]
    [siret] = hospital["identifier"]
    assert siret["system"] == "https://sirene.fr" and siret["value"] == fixtures.CHU.siret
    assert siret["type"]["coding"][0] == {"system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203",
                                          "code": "SIRET"}


def test_no_ins_and_no_qualified_status_anywhere():
    # FRCorePatientINSProfile.fsh: INS-NIR (type INS-NIR, urn:oid:1.2.250.1.213.1.4.8 only there with that type),
    # INS-NIA (urn:oid:1.2.250.1.213.1.4.9), test/demo OIDs .4.10/.4.11: only for a qualified identity (QUAL).
    for dossier, organisation in ((fixtures.preadmission(), fixtures.CHU),
                                  (fixtures.preadmission_of_child(), fixtures.CHU),
                                  (fixtures.adhesion(), fixtures.MUTUELLE)):
        text = json.dumps(to_fhir_bundle(dossier, organisation))
        for forbidden in ("INS-NIR", "INS-NIA", "INS-C", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10",
                          "1.2.250.1.213.1.4.11", '"QUAL"', '"VALI"', '"RECUP"', "fr-core-patient-ins"):
            assert forbidden not in text
