"""The people of a dossier as FHIR R4 resources: the Patient (FR Core `fr-core-patient`), the declarant when they
are not the patient, and an adhesion's beneficiaries. Dicts checked by fhir.resources' R4B models in fhir.py.
"""

from __future__ import annotations

import re
from typing import Any

from app.delivery import fhir_values as v

SEXES = {"F": "female", "M": "male"}
# An INSEE COG commune code: 5 digits, or Corsica's 2A/2B and 3 digits.
INSEE_COMMUNE = re.compile(r"(?:[0-9]{2}|2[AB])[0-9]{3}")
FRANCE_COG = "99100"
# Dossier link (labels.LINKS) -> HL7 v3 RoleCode, which FR Core's contact relationship system also lists.
LINK_ROLES = {"conjoint": ("SPS", "spouse"), "pacse": ("DOMPART", "domestic partner"),
              "concubin": ("DOMPART", "domestic partner"), "enfant": ("CHILD", "child"),
              "parent": ("PRN", "parent"), "assure": ("SELF", "self"), "autre": ("O", "other")}


def nss_identifier(nir: str) -> dict[str, Any]:
    """FR Core `identifier[NSS]`: use official, type v2-0203#NH, system the NIR OID. Never the INS slice."""
    return {"id": "nss", "use": "official", "type": {"coding": [{"system": v.V2_0203, "code": "NH"}]},
            "system": v.NIR_SYSTEM, "value": nir}


def names(birth_name: str | None, usage_name: str | None, first_names: str | None) -> list[dict[str, Any]]:
    given = v.given_names(first_names)
    result = []
    if birth_name:
        result.append({"id": "name-official", "use": "official", "family": birth_name, "given": given or None})
    if usage_name:
        result.append({"id": "name-usual", "use": "usual", "family": usage_name, "given": given or None})
    return result


def patient(content: dict[str, Any]) -> dict[str, Any]:
    """The person the dossier is about: the patient (pre-admission) or the subscriber (adhesion)."""
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "meta": {"profile": [v.PATIENT_PROFILE]},
        # Nothing was qualified through INSi: the identity is provisional and no INS is ever sent.
        "extension": [_reliability()] + _birth_place(content),
        "identifier": [nss_identifier(v.value(content, "nir"))] if v.value(content, "nir") else None,
        "name": names(v.value(content, "birth_name"), v.value(content, "usage_name"),
                      v.value(content, "first_names")) or None,
        "telecom": _telecom(content) or None,
        "gender": SEXES.get(v.value(content, "sex")),
        "birthDate": v.value(content, "birth_date"),
        "address": [_address(content)] if v.value(content, "address") or v.value(content, "city") else None,
        "contact": _contacts(content) or None,
        "generalPractitioner": _general_practitioner(content),
    }
    return resource


def declarant(content: dict[str, Any], patient_ref: str) -> dict[str, Any]:
    """The signed-in person who made a pre-admission for someone else (and, for an ayant droit, the insured)."""
    person = content.get("declarant", {})
    values = {name: entry.get("value") for name, entry in person.items()}
    resource: dict[str, Any] = {
        "resourceType": "RelatedPerson",
        "patient": {"reference": patient_ref},
        "name": names(values.get("birth_name"), values.get("usage_name"), values.get("first_names")) or None,
        "birthDate": values.get("birth_date"),
    }
    insured_nir = v.value(content, "insured_nir")
    if insured_nir:
        resource["identifier"] = [nss_identifier(insured_nir)]
    return resource


def beneficiary(person: dict[str, Any], subscriber_ref: str) -> dict[str, Any]:
    """An adhesion beneficiary (from the CNAM or typed in) as a RelatedPerson of the subscriber."""
    values = {name: entry.get("value") for name, entry in person.get("fields", {}).items()}
    code, display = LINK_ROLES.get(values.get("link") or "autre", LINK_ROLES["autre"])
    relationship = {"coding": [{"system": v.V3_ROLE_CODE, "code": code, "display": display}]}
    return {
        "resourceType": "RelatedPerson",
        "identifier": [nss_identifier(values["nir"])] if values.get("nir") else None,
        "patient": {"reference": subscriber_ref},
        "relationship": [relationship],
        "name": names(values.get("birth_name"), values.get("usage_name"), values.get("first_names")) or None,
        "birthDate": values.get("birth_date"),
    }


def _reliability() -> dict[str, Any]:
    status = {"system": v.IDENTITY_STATUS_SYSTEM, "code": "PROV", "display": "Identité provisoire"}
    return {"url": v.IDENTITY_RELIABILITY, "extension": [{"url": "identityStatus", "valueCoding": status}]}


def _birth_place(content: dict[str, Any]) -> list[dict[str, Any]]:
    place, country = v.value(content, "birth_place"), v.value(content, "birth_country")
    if not place and not country:
        return []
    address: dict[str, Any] = {}
    if place and INSEE_COMMUNE.fullmatch(place):
        code = {"system": v.INSEE_COMMUNES, "code": place}
        address["extension"] = [{"url": v.INSEE_CODE, "valueCoding": code}]
    elif place:
        address["city"] = place  # typed in by the person: a name, not a code
    if country == FRANCE_COG:
        address["country"] = "FRA"
    elif country:
        address["district"] = country  # FR Core: district holds the COG code of the country when abroad
    return [{"url": v.BIRTH_PLACE, "valueAddress": address}]


def _telecom(content: dict[str, Any]) -> list[dict[str, Any]]:
    telecom = []
    if v.value(content, "phone"):
        telecom.append({"id": "phone", "system": "phone", "value": v.value(content, "phone"), "use": "home"})
    if v.value(content, "email"):
        telecom.append({"id": "email", "system": "email", "value": v.value(content, "email"), "use": "home"})
    return telecom


def _address(content: dict[str, Any]) -> dict[str, Any]:
    lines = [line for line in (v.value(content, "address"), v.value(content, "address_complement")) if line]
    return {"use": "home", "type": "physical", "line": lines or None,
            "postalCode": v.value(content, "postal_code"), "city": v.value(content, "city")}


def _contact(key: str, role: dict[str, Any], name: str | None, phone: str | None, link: str | None = None) -> dict:
    relationship = [{"coding": [role]}] + ([{"text": link}] if link else [])
    return {"id": f"contact-{key}", "relationship": relationship, "name": {"text": name} if name else None,
            "telecom": [{"system": "phone", "value": phone}] if phone else None}


# Personne à prévenir and holders of parental authority: TRE_R260-HL7RoleClass (in FR Core's contact role value
# set); personne de confiance: FR Core's contact relationship code K (as in HL7 v2 table 0131 for France).
EMERGENCY = {"system": v.ROLE_CLASS, "code": "ECON", "display": "Personne à prévenir en cas d'urgence"}
TRUSTED = {"system": v.CONTACT_RELATIONSHIP, "code": "K", "display": "Personne de confiance"}
GUARDIAN = {"system": v.ROLE_CLASS, "code": "GUARD", "display": "Titulaire de l'autorité parentale"}
CONTACTS = (("emergency", EMERGENCY), ("trusted", TRUSTED), ("guardian1", GUARDIAN), ("guardian2", GUARDIAN))


def _contacts(content: dict[str, Any]) -> list[dict[str, Any]]:
    contacts = []
    for prefix, role in CONTACTS:
        name, phone = v.value(content, f"{prefix}_name"), v.value(content, f"{prefix}_phone")
        if name or phone:
            contacts.append(_contact(prefix, role, name, phone, v.value(content, f"{prefix}_link")))
    return contacts


def _general_practitioner(content: dict[str, Any]) -> list[dict[str, Any]] | None:
    doctor = v.value(content, "medecin_traitant")
    if not doctor:
        return None  # none known, or the CNAM says none is declared
    reference: dict[str, Any] = {"display": doctor}
    number = v.value(content, "medecin_traitant_numero_am")
    if number:
        reference["identifier"] = {"type": {"text": "Numéro Assurance Maladie du professionnel"}, "value": number}
    return [reference]
