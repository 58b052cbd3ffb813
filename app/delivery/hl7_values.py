"""What the HL7 v2.5 rendering reads from a dossier's content, and the IHE PAM France constants it writes.
Values are only ever set on leaf components (or as hl7apy datatypes), so hl7apy escapes | ^ ~ \\ & in them.

Source of the rules: IHE PAM – National extension France, release 2.11.1 (IHE France / Interop'Santé,
18 Oct 2024), read in github.com/NicolasMoreauCPage/MedDataBridge Doc/SpecIHEPAM/.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hl7apy.v2_5 import ST

from app.model.dossier import StoredDossier

VERSION = "2.5"
SENDER = "DROITS-CONNECT"  # our identification domain (MSH-3, dossier and contact identifiers)
NIR_AUTHORITY = ("ASIP-SANTE-NIR", "1.2.250.1.213.1.4.8", "ISO")  # the NIR OID, as for FR Core's NSS slice
SEXES = {"F": "F", "M": "M"}  # PAM FR table 0001: F, M, U
FRANCE_COG = "99100"


def value(content: dict[str, Any], name: str) -> Any:
    entry = content.get("fields", {}).get(name)
    if not entry or entry.get("value") in (None, "", []):
        return None
    return entry["value"]


def text(raw: str) -> ST:
    """A free-text value for a leaf field or component: hl7apy escapes | ^ ~ \\ & when it encodes the message
    (a plain string assigned to a component would be parsed as ER7, its & splitting subcomponents)."""
    return ST(raw)


def ts(moment: dt.datetime | str | None) -> str | None:
    """HL7 TS: YYYYMMDDHHMMSS (UTC) from a datetime or ISO 8601 text; YYYYMMDD from a date alone."""
    if moment is None:
        return None
    if isinstance(moment, str):
        if len(moment) == 10:
            return moment.replace("-", "")
        moment = dt.datetime.fromisoformat(moment)
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")


def dt_(day: str | None) -> str | None:
    """HL7 DT: YYYYMMDD."""
    return day.replace("-", "") if day else None


def submitted(dossier: StoredDossier) -> str:
    return ts(dossier.content.get("submitted_at") or dossier.created_at)


def split_name(full: str) -> tuple[str, str]:
    """A name typed as one text ("Paul DUBOIS"): the words in capitals are the family name when there are some."""
    words = full.split()
    family = [w for w in words if w.isupper() and len(w) > 1]
    if family and len(family) < len(words):
        return " ".join(family), " ".join(w for w in words if w not in family)
    return full, ""
