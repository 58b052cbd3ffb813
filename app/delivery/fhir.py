"""FHIR R4 (FR Core) rendering of a dossier — being written (issue: delivery)."""

from __future__ import annotations

from typing import Any

from app.model.dossier import StoredDossier
from app.model.organisation import Organisation


def to_fhir_bundle(dossier: StoredDossier, organisation: Organisation) -> dict[str, Any]:
    """The dossier as a FHIR R4 Bundle (type `collection`), as JSON-ready data."""
    raise NotImplementedError
