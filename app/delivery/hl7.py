"""HL7 v2.5 ADT^A05 (IHE PAM France 2.11.1) rendering of a pre-admission dossier. Pure: no Flask, no database,
nothing logged (the content is health data).

The standard segments are built in an hl7apy message at STRICT validation level and validated; the French ZBE
segment, which hl7apy's v2.5 structure does not know, is built by hl7apy too and placed where PAM France puts
it (after PV1/PV2, before the INSURANCE groups). Mapping tables and sources: docs/fhir-hl7.md.
"""

from __future__ import annotations

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Message

from app.delivery import hl7_french, hl7_insurance, hl7_segments
from app.delivery import hl7_values as v
from app.model.dossier import StoredDossier
from app.model.organisation import Organisation

SEGMENT_SEPARATOR = "\r"


def to_adt_a05(dossier: StoredDossier, organisation: Organisation) -> str:
    """The pre-admission as an ER7-encoded ADT^A05 message (segments separated by carriage returns)."""
    if dossier.journey != "preadmission":
        raise ValueError("an ADT^A05 renders a pre-admission, not an adhesion")
    message = standard_message(dossier, organisation)
    segments = message.to_er7().split(SEGMENT_SEPARATOR)
    # PAM France §5.2: … PV1 [PV2] ZBE [ZFA] … then the INSURANCE groups.
    after = max(i for i, segment in enumerate(segments) if segment[:3] in ("PV1", "PV2")) + 1
    segments.insert(after, hl7_french.zbe(dossier).to_er7())
    return SEGMENT_SEPARATOR.join(segments)


def standard_message(dossier: StoredDossier, organisation: Organisation) -> Message:
    """MSH EVN PID [ROL] [NK1]* PV1 [PV2] [IN1]*, validated against HL7 v2.5 ADT_A05 (hl7apy, strict)."""
    message = Message("ADT_A05", version=v.VERSION, validation_level=VALIDATION_LEVEL.STRICT)
    hl7_segments.header(message, dossier, organisation)
    hl7_segments.patient(message, dossier, organisation)
    hl7_segments.doctor(message, dossier.content)
    hl7_segments.contacts(message, dossier)
    hl7_segments.visit(message, dossier, organisation)
    hl7_insurance.insurances(message, dossier)
    message.validate()
    return message
