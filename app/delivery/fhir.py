"""FHIR R4 (FR Core) rendering of a dossier: a Bundle of type `collection`, built and checked with the R4B models
of fhir.resources. Pure: no Flask, no database, nothing logged (the content is health data).

The identity came from FranceConnect or the CNAM and was never qualified through INSi: the Patient carries the
FR Core identity reliability status PROV and the NIR as the NSS identifier, never as an INS. Mapping tables and
sources: docs/fhir-hl7.md.
"""

from __future__ import annotations

import json
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.coverage import Coverage
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.provenance import Provenance
from fhir.resources.R4B.relatedperson import RelatedPerson

from app.delivery import fhir_coverage as coverage
from app.delivery import fhir_documents, fhir_provenance
from app.delivery import fhir_patient as people
from app.delivery import fhir_values as v
from app.model.dossier import StoredDossier
from app.model.organisation import Organisation

MODELS = {"Patient": Patient, "RelatedPerson": RelatedPerson, "Coverage": Coverage, "Encounter": Encounter,
          "Organization": Organization, "Provenance": Provenance, "DocumentReference": DocumentReference}


def to_fhir_bundle(dossier: StoredDossier, organisation: Organisation) -> dict[str, Any]:
    """The dossier as a FHIR R4 Bundle (type `collection`), as JSON-ready data."""
    content = dossier.content
    resources = _resources(dossier, organisation, content)
    entries = [{"fullUrl": v.full_url(dossier, key), "resource": _model(resource, v.resource_id(dossier, key))}
               for key, resource in resources.items()]
    bundle = Bundle(type="collection", identifier={"system": v.DOSSIER_SYSTEM, "value": dossier.reference},
                    timestamp=v.instant(dossier.created_at), entry=entries)
    return json.loads(bundle.model_dump_json())


def _resources(dossier: StoredDossier, organisation: Organisation, content: dict[str, Any]) -> dict[str, dict]:
    """Every resource of the Bundle, keyed by a name that is also its id's seed and what the others refer to."""
    refs = {key: v.full_url(dossier, key) for key in ("patient", "organisation", "caisse", "declarant")}
    resources: dict[str, dict] = {"patient": people.patient(content)}
    resources["organisation"] = coverage.organization(organisation.name, siret=organisation.siret or None)
    if content.get("patient", {}).get("kind") in ("ayant_droit", "other"):
        resources["declarant"] = people.declarant(content, refs["patient"])
    if v.value(content, "caisse"):
        resources["caisse"] = coverage.organization(v.value(content, "caisse"), v.value(content, "caisse_code"))
    refs = {key: ref for key, ref in refs.items() if key in resources}
    if any(v.value(content, name) for name in ("nir", "insured_nir", "regime", "caisse", "amo_start")):
        resources["amo"] = coverage.amo(content, refs)
    optional = {"c2s": coverage.c2s(content, refs), "complementary": coverage.complementary(content, refs)}
    resources.update({key: resource for key, resource in optional.items() if resource})
    if dossier.journey == "preadmission":
        resources["encounter"] = coverage.encounter(content, refs, content.get("portal_reference"))
    else:
        resources["requested"] = coverage.requested(content, refs, organisation)
    beneficiaries = [f"beneficiary{i}" for i, _ in enumerate(content.get("beneficiaries", []))]
    for key, person in zip(beneficiaries, content.get("beneficiaries", []), strict=True):
        resources[key] = people.beneficiary(person, refs["patient"])
    documents = fhir_documents.document_references(content, dossier.reference, refs["patient"])
    resources.update({f"document{i}": document for i, document in enumerate(documents)})
    _add_provenance(dossier, content, resources, beneficiaries)
    return resources


def _add_provenance(dossier: StoredDossier, content: dict[str, Any], resources: dict[str, dict],
                    beneficiaries: list[str]) -> None:
    sources = {entry.get("source") for entry in _all_entries(content)} - {"declared", "organisation", None}
    for source in sorted(sources):
        resources[f"source:{source}"] = coverage.organization(v.SOURCE_NAMES.get(source, source))
    refs = {key: v.full_url(dossier, key) for key in resources}
    refs["source:organisation"] = refs["organisation"]
    recorded = content.get("submitted_at") or v.instant(dossier.created_at)
    for i, provenance in enumerate(fhir_provenance.provenances(content, refs, recorded, beneficiaries)):
        resources[f"provenance{i}"] = provenance


def _all_entries(content: dict[str, Any]):
    yield from content.get("fields", {}).values()
    yield from content.get("declarant", {}).values()
    for person in content.get("beneficiaries", []):
        yield from person.get("fields", {}).values()


def _model(resource: dict[str, Any], resource_id: str):
    """The resource checked by its fhir.resources R4B model (types, cardinalities, required elements)."""
    data = _pruned({**resource, "id": resource_id})
    return MODELS[data["resourceType"]].model_validate(data)


def _pruned(data: Any) -> Any:
    """Without the empty elements FHIR forbids (null, "", [], {})."""
    if isinstance(data, dict):
        pruned = {key: _pruned(item) for key, item in data.items()}
        return {key: item for key, item in pruned.items() if item not in (None, "", [], {})}
    if isinstance(data, list):
        return [item for item in (_pruned(entry) for entry in data) if item not in (None, "", [], {})]
    return data
