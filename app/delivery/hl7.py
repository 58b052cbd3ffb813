"""HL7 v2.5 ADT^A05 (IHE PAM France) rendering of a pre-admission dossier — being written (issue: delivery)."""

from __future__ import annotations

from app.model.dossier import StoredDossier
from app.model.organisation import Organisation


def to_adt_a05(dossier: StoredDossier, organisation: Organisation) -> str:
    """The pre-admission as an ER7-encoded ADT^A05 message (segments separated by carriage returns)."""
    raise NotImplementedError
