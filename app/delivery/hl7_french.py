"""The French Z-segment of an ADT^A05 (IHE PAM France 2.11.1, §5.2 and §6.13): ZBE, the movement.

Built with hl7apy as a Z-segment whose fields carry their HL7 datatypes. ZFA, ZFP, ZFV, ZFM, ZFD and ZFS are
optional for an A05 and "si un segment Z* ne contient aucun champ obligatoire et que tous les champs sont vides
on ne le transmet pas" (§5.2): the dossier has nothing for them, so they are not sent (docs/fhir-hl7.md).
"""

from __future__ import annotations

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Field, Segment

from app.delivery import hl7_values as v
from app.model.dossier import StoredDossier


def _field(name: str, datatype: str) -> Field:
    return Field(name, datatype=datatype, version=v.VERSION, validation_level=VALIDATION_LEVEL.STRICT)


def zbe(dossier: StoredDossier) -> Segment:
    """ZBE-1 movement id (EI, ours), ZBE-2 its creation, ZBE-4 INSERT, ZBE-5 N (current), ZBE-9 HMS."""
    segment = Segment("ZBE", version=v.VERSION, validation_level=VALIDATION_LEVEL.STRICT)
    movement = _field("ZBE_1", "EI")
    movement.ei_1 = dossier.reference
    movement.ei_2 = v.SENDER
    created = _field("ZBE_2", "TS")
    created.ts_1 = v.submitted(dossier)
    action = _field("ZBE_4", "ID")
    action.value = "INSERT"  # §6.13.4: an A05 inserts a movement
    historic = _field("ZBE_5", "ID")
    historic.value = "N"  # §6.13.5: the current movement
    # §6.13.9, table ZBE-9: the nature of the movement is required; a first movement sets the three
    # responsibilities at once (HMS). ZBE-7/8 (the UF) are the hospital's to assign: left empty.
    nature = _field("ZBE_9", "CWE")
    nature.cwe_1 = "HMS"
    for child in (movement, created, action, historic, nature):
        segment.add(child)
    return segment
