"""What the FHIR rendering reads from a dossier's content (format version 1, app/journeys/content.py), and the
FR Core systems and URLs it writes. Pure: no Flask, no database, nothing logged.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from app.model.dossier import StoredDossier

# FR Core 2.2.0-ballot (https://hl7.fr/ig/fhir/core), input/fsh of github.com/Interop-Sante/hl7.fhir.fr.core.
FR_CORE = "https://hl7.fr/ig/fhir/core"
PATIENT_PROFILE = f"{FR_CORE}/StructureDefinition/fr-core-patient"
IDENTITY_RELIABILITY = f"{FR_CORE}/StructureDefinition/fr-core-identity-reliability"
IDENTITY_STATUS_SYSTEM = f"{FR_CORE}/CodeSystem/fr-core-cs-identity-status"
INSEE_CODE = f"{FR_CORE}/StructureDefinition/fr-core-address-insee-code"
INSEE_COMMUNES = "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM"
CONTACT_RELATIONSHIP = f"{FR_CORE}/CodeSystem/fr-core-cs-contact-relationship"
ROLE_CLASS = "https://mos.esante.gouv.fr/NOS/TRE_R260-HL7RoleClass/FHIR/TRE-R260-HL7RoleClass"
BIRTH_PLACE = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
NIR_SYSTEM = "urn:oid:1.2.250.1.213.1.4.8"  # the NIR of the billing (NSS slice), never an INS here
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
V3_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
SUBSCRIBER_RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
TARGET_PATH = "http://hl7.org/fhir/StructureDefinition/targetPath"
TARGET_ELEMENT = "http://hl7.org/fhir/StructureDefinition/targetElement"
# Our own identifiers: the dossier reference, and the sources as organisations.
DOSSIER_SYSTEM = "https://droits-connect.beta.gouv.fr/dossier"  # UNCONFIRMED: the deployment's public URL
SOURCE_NAMES = {
    "franceconnect": "FranceConnect (identité pivot)",
    "cnam": "Assurance Maladie (CNAM, API droits)",
    "api_particulier": "API Particulier (complémentaire santé solidaire)",
    "organisation": "Organisme destinataire (lien signé)",
    "declared": "Déclaré par la personne",
}
C2S_YES = ("oui", "sans_participation", "avec_participation")


def field(content: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The provenance {value, source, at} of a field, or None when it is absent or empty."""
    entry = content.get("fields", {}).get(name)
    if not entry or entry.get("value") in (None, "", []):
        return None
    return entry


def value(content: dict[str, Any], name: str) -> Any:
    entry = field(content, name)
    return entry["value"] if entry else None


def resource_id(dossier: StoredDossier, key: str) -> str:
    """A stable id for one resource of one dossier: the same dossier always renders the same Bundle."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"droits-connect:{dossier.reference}:{key}"))


def full_url(dossier: StoredDossier, key: str) -> str:
    return f"urn:uuid:{resource_id(dossier, key)}"


def instant(moment: dt.datetime | str | None) -> str | None:
    if isinstance(moment, dt.datetime):
        aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        return aware.isoformat()
    return moment


def given_names(first_names: str | None) -> list[str]:
    return first_names.split() if first_names else []
