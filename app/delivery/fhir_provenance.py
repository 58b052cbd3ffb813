"""Which elements of the Bundle came from FranceConnect, the CNAM, API Particulier, the organisation's signed link
or the person's own hand, and when: one FHIR R4 Provenance per (source, time), its targets narrowed to elements
with the core extensions `targetElement` (the element's id, for the repeated ones: names, identifier, telecom,
contacts) and `targetPath` (a FHIRPath of the simple subset: names and extension('url') only), both on
Provenance.target (https://hl7.org/fhir/extensions/StructureDefinition-targetPath.html and -targetElement.html).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from app.delivery import fhir_values as v

# Dossier field -> (the resource it lands in, "#<element id>" or the simple FHIRPath of the element).
FIELD_ELEMENTS: dict[str, tuple[str, str]] = {
    "birth_name": ("patient", "#name-official"),
    "usage_name": ("patient", "#name-usual"),
    "first_names": ("patient", "Patient.name.given"),
    "sex": ("patient", "Patient.gender"),
    "birth_date": ("patient", "Patient.birthDate"),
    "birth_place": ("patient", f"Patient.extension('{v.BIRTH_PLACE}')"),
    "birth_country": ("patient", f"Patient.extension('{v.BIRTH_PLACE}')"),
    "nir": ("patient", "#nss"),
    "address": ("patient", "Patient.address.line"),
    "address_complement": ("patient", "Patient.address.line"),
    "postal_code": ("patient", "Patient.address.postalCode"),
    "city": ("patient", "Patient.address.city"),
    "phone": ("patient", "#phone"),
    "email": ("patient", "#email"),
    "medecin_traitant": ("patient", "Patient.generalPractitioner"),
    "medecin_traitant_numero_am": ("patient", "Patient.generalPractitioner.identifier"),
    "emergency_name": ("patient", "#contact-emergency"), "emergency_phone": ("patient", "#contact-emergency"),
    "emergency_link": ("patient", "#contact-emergency"),
    "trusted_name": ("patient", "#contact-trusted"), "trusted_phone": ("patient", "#contact-trusted"),
    "guardian1_name": ("patient", "#contact-guardian1"), "guardian1_phone": ("patient", "#contact-guardian1"),
    "guardian2_name": ("patient", "#contact-guardian2"), "guardian2_phone": ("patient", "#contact-guardian2"),
    "insured_nir": ("amo", "Coverage.subscriberId"),
    "regime": ("amo", "Coverage.class"),
    "caisse": ("caisse", "Organization.name"),
    "caisse_code": ("caisse", "Organization.identifier"),
    "amo_start": ("amo", "Coverage.period.start"),
    "amo_end": ("amo", "Coverage.period.end"),
    "exoneration": ("amo", "Coverage.costToBeneficiary"),
    "c2s": ("c2s", "Coverage.class"),
    "c2s_since": ("c2s", "Coverage.period.start"),
    "complementary_name": ("complementary", "Coverage.payor"),
    "complementary_number": ("complementary", "Coverage.subscriberId"),
    "start_date": ("requested", "Coverage.period.start"),
}
STAY_ELEMENTS = {"date": "Encounter.period.start", "service": "Encounter.serviceType", "type": "Encounter.class"}
OFFER_ELEMENTS = {"code": "Coverage.class", "label": "Coverage.class", "start_date": "Coverage.period.start"}


def provenances(content: dict[str, Any], refs: dict[str, str], recorded: str,
                beneficiaries: list[str]) -> list[dict[str, Any]]:
    """One Provenance per (source, time): the elements it gave, who gave them, when."""
    groups: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for key, path, entry in _elements(content, beneficiaries):
        if key in refs:
            groups[(entry["source"], entry.get("at") or recorded)][key].add(path)
    return [_provenance(source, at, targets, refs) for (source, at), targets in sorted(groups.items())]


def _elements(content: dict[str, Any], beneficiaries: list[str]):
    for name, entry in content.get("fields", {}).items():
        if name in FIELD_ELEMENTS and entry.get("value") not in (None, "", []):
            yield (*FIELD_ELEMENTS[name], entry)
    for name, entry in content.get("stay", {}).items():
        yield "encounter", STAY_ELEMENTS.get(name, "Encounter"), entry
    for name, entry in content.get("offer", {}).items():
        yield "requested", OFFER_ELEMENTS.get(name, "Coverage"), entry
    for entry in content.get("declarant", {}).values():
        yield "declarant", "RelatedPerson", entry
    for key, person in zip(beneficiaries, content.get("beneficiaries", []), strict=False):
        for entry in person.get("fields", {}).values():
            yield key, "RelatedPerson", entry


def _provenance(source: str, at: str, targets: dict[str, set[str]], refs: dict[str, str]) -> dict[str, Any]:
    declared = source == "declared"
    agent_ref = refs.get("declarant", refs["patient"]) if declared else refs[f"source:{source}"]
    role = "author" if declared else "informant"
    return {
        "resourceType": "Provenance",
        "target": [{"reference": refs[key], "extension": [_focus(path) for path in sorted(paths)]}
                   for key, paths in sorted(targets.items())],
        "recorded": at,
        "agent": [{"type": {"coding": [{"system": v.PARTICIPANT_TYPE, "code": role}]},
                   "who": {"reference": agent_ref, "display": v.SOURCE_NAMES.get(source, source)}}],
    }


def _focus(path: str) -> dict[str, str]:
    if path.startswith("#"):
        return {"url": v.TARGET_ELEMENT, "valueUri": path[1:]}
    return {"url": v.TARGET_PATH, "valueString": path}
