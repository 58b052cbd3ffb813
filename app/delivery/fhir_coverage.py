"""Insurance and stay as FHIR R4 resources: the AMO `Coverage` (PUBLICPOL) with its caisse, the C2S or the
declared complementary cover (EHCPOL), an adhesion's requested contract, and a pre-admission's planned Encounter.
FR Core has no Coverage profile (2.2.0-ballot): base R4 Coverage, as the Cpage pre-admission draft IG does.
"""

from __future__ import annotations

from typing import Any

from app.delivery import fhir_values as v
from app.model.organisation import Organisation

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
REGIMES = {"general": "Régime général (CPAM)", "agricole": "Régime agricole (MSA)", "autre": "Autre régime"}
C2S_LABELS = {"oui": "Complémentaire santé solidaire", "sans_participation": "C2S sans participation financière",
              "avec_participation": "C2S avec participation financière"}
# Stay type -> Encounter.class (v3-ActCode): full hospitalisation, day hospitalisation (short stay), sessions.
STAY_CLASSES = {"hospitalisation_complete": ("IMP", "inpatient encounter"), "ambulatoire": ("SS", "short stay"),
                "seances": ("AMB", "ambulatory")}


def organization(name: str, code: str | None = None, siret: str | None = None) -> dict[str, Any]:
    identifiers = []
    if code:
        identifiers.append({"type": {"text": "Code de la caisse"}, "value": code})
    if siret:
        # FR Core organisation profile: identifier[siret], type fr-core-cs-v2-0203#SIRET, system https://sirene.fr
        siret_type = {"system": f"{v.FR_CORE}/CodeSystem/fr-core-cs-v2-0203", "code": "SIRET"}
        identifiers.append({"type": {"coding": [siret_type]}, "system": "https://sirene.fr", "value": siret})
    return {"resourceType": "Organization", "identifier": identifiers or None, "name": name}


def _coverage_type(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": ACT_CODE, "code": code, "display": display}]}


def _period(start: str | None, end: str | None) -> dict[str, Any] | None:
    return {"start": start, "end": end} if start or end else None


def amo(content: dict[str, Any], refs: dict[str, str]) -> dict[str, Any]:
    """Basic rights: who is covered, by which caisse, since and until when, and the exemptions."""
    ayant_droit = "declarant" in refs and v.value(content, "insured_nir")
    subscriber_id = v.value(content, "insured_nir") if ayant_droit else v.value(content, "nir")
    regime = v.value(content, "regime")
    relationship = "other" if ayant_droit else "self"  # the dossier does not say how an ayant droit is attached
    resource: dict[str, Any] = {
        "resourceType": "Coverage",
        "status": "active",
        "type": _coverage_type("PUBLICPOL", "public healthcare"),
        "subscriber": {"reference": refs["declarant"] if ayant_droit else refs["patient"]},
        "subscriberId": subscriber_id,
        "beneficiary": {"reference": refs["patient"]},
        "relationship": {"coding": [{"system": v.SUBSCRIBER_RELATIONSHIP, "code": relationship}]},
        "period": _period(v.value(content, "amo_start"), v.value(content, "amo_end")),
        "payor": [{"reference": refs["caisse"]}] if "caisse" in refs else [{"display": "Assurance Maladie"}],
        "class": [_class("plan", regime, REGIMES.get(regime, regime))] if regime else None,
        "costToBeneficiary": _exemptions(v.value(content, "exoneration")),
    }
    return resource


def _class(kind: str, value: str, name: str | None = None) -> dict[str, Any]:
    return {"type": {"coding": [{"system": v.COVERAGE_CLASS, "code": kind}]}, "value": value, "name": name}


def _exemptions(exoneration: Any) -> list[dict[str, Any]] | None:
    """Exemption from the ticket modérateur (prise en charge à 100 %): the CNAM's list, or the person's answer."""
    if isinstance(exoneration, list):
        exceptions = [{"type": {"coding": [{"code": e.get("code"), "display": e.get("label")}],
                                "text": e.get("label")},
                       "period": _period(e.get("start"), e.get("end"))} for e in exoneration]
    elif exoneration == "oui":
        exceptions = [{"type": {"text": "Exonération déclarée par la personne"}}]
    else:
        return None
    if not exceptions:
        return None
    return [{"type": {"text": "Ticket modérateur"}, "valueQuantity": {"value": 0, "unit": "%"},
             "exception": exceptions}]


def c2s(content: dict[str, Any], refs: dict[str, str]) -> dict[str, Any] | None:
    """The complémentaire santé solidaire, when the person has it (API Particulier or their own answer)."""
    status = v.value(content, "c2s")
    if status not in v.C2S_YES:
        return None
    return {
        "resourceType": "Coverage",
        "status": "active",
        "type": _coverage_type("EHCPOL", "extended healthcare"),
        "beneficiary": {"reference": refs["patient"]},
        "period": _period(v.value(content, "c2s_since"), None),
        # The C2S is managed by the caisse or by a listed organisme: the dossier does not say which.
        "payor": [{"display": "Complémentaire santé solidaire (organisme gestionnaire non précisé)"}],
        "class": [_class("plan", status, C2S_LABELS[status])],
    }


def complementary(content: dict[str, Any], refs: dict[str, str]) -> dict[str, Any] | None:
    """The mutuelle the person declared (name and member number), when they did."""
    name = v.value(content, "complementary_name")
    if not name:
        return None
    return {
        "resourceType": "Coverage",
        "status": "active",
        "type": _coverage_type("EHCPOL", "extended healthcare"),
        "subscriberId": v.value(content, "complementary_number"),
        "beneficiary": {"reference": refs["patient"]},
        "payor": [{"display": name}],
    }


def requested(content: dict[str, Any], refs: dict[str, str], organisation: Organisation) -> dict[str, Any]:
    """An adhesion: the contract asked of the mutuelle, not yet in force (status draft)."""
    offer = {name: entry.get("value") for name, entry in content.get("offer", {}).items()}
    start = v.value(content, "start_date") or offer.get("start_date")
    return {
        "resourceType": "Coverage",
        "status": "draft",
        "type": _coverage_type("EHCPOL", "extended healthcare"),
        "subscriber": {"reference": refs["patient"]},
        "beneficiary": {"reference": refs["patient"]},
        "relationship": {"coding": [{"system": v.SUBSCRIBER_RELATIONSHIP, "code": "self"}]},
        "period": _period(start, None),
        "payor": [{"reference": refs["organisation"], "display": organisation.name}],
        "class": [_class("plan", offer["code"], offer.get("label"))] if offer.get("code") else None,
    }


def encounter(content: dict[str, Any], refs: dict[str, str], portal_reference: str | None) -> dict[str, Any]:
    """A pre-admission: the stay the hospital announced, planned, for the patient."""
    stay = {name: entry.get("value") for name, entry in content.get("stay", {}).items()}
    code, display = STAY_CLASSES.get(stay.get("type") or "", ("IMP", "inpatient encounter"))
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "status": "planned",
        "class": {"system": v.V3_ACT_CODE, "code": code, "display": display},
        "subject": {"reference": refs["patient"]},
        "serviceProvider": {"reference": refs["organisation"]},
        "serviceType": {"text": stay["service"]} if stay.get("service") else None,
        "period": {"start": stay["date"]} if stay.get("date") else None,
    }
    if portal_reference:
        resource["identifier"] = [{"type": {"text": "Référence du portail de l'établissement"},
                                   "value": portal_reference}]
    return resource
