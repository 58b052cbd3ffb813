"""The organisations this deployment serves, from ORGANISATIONS or, with the sandbox on, the demo ones."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from app.config_values import ConfigError
from app.model.dossier import is_organisation
from app.model.organisation import JOURNEY_OF_KIND, Organisation

DEFAULTS: dict[str, Any] = {
    "ORGANISATIONS": None,  # None = SANDBOX_ORGANISATIONS when the sandbox is on, none otherwise
}

SANDBOX_ORGANISATIONS = {
    "chu-demo": {"name": "Centre hospitalier de Démonstration", "kind": "hopital",
                 "contact": "admissions@chu-demo.example", "dpo": "dpo@chu-demo.example",
                 "return_urls": ["http://127.0.0.1:5001/portail/retour"],
                 "launch_secrets": ["chu-demo-launch-secret-for-the-sandbox-only-0001"], "allow_unsigned": True},
    "mutuelle-demo": {"name": "Mutuelle de Démonstration", "kind": "mutuelle",
                      "contact": "adhesion@mutuelle-demo.example", "dpo": "dpo@mutuelle-demo.example",
                      "return_urls": ["http://127.0.0.1:5001/portail/retour"],
                      "launch_secrets": ["mutuelle-demo-launch-secret-for-the-sandbox-only-0001"],
                      "allow_unsigned": True},
}


def load_organisations(config: Mapping, *, sandbox: bool) -> dict[str, Organisation]:
    """The configured organisations by identifier; an entry that is not well formed is refused."""
    raw = config.get("ORGANISATIONS")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ConfigError("ORGANISATIONS must be a JSON object") from None
    if raw is None:
        raw = SANDBOX_ORGANISATIONS if sandbox else {}
    if not isinstance(raw, dict):
        raise ConfigError("ORGANISATIONS must be an object mapping identifiers to organisations")
    return {org_id: _organisation(org_id, entry) for org_id, entry in raw.items()}


def _organisation(org_id: Any, entry: Any) -> Organisation:
    if not isinstance(org_id, str) or not is_organisation(org_id) or not re.fullmatch(r"[a-z0-9-]{1,40}", org_id):
        raise ConfigError(f"ORGANISATIONS: identifier {org_id!r} must be 1-40 lowercase letters, digits or dashes")
    if not isinstance(entry, dict):
        raise ConfigError(f"ORGANISATIONS[{org_id}] must be an object")
    name, kind, contact = entry.get("name"), entry.get("kind"), entry.get("contact")
    if not (isinstance(name, str) and name.strip()) or not (isinstance(contact, str) and contact.strip()):
        raise ConfigError(f"ORGANISATIONS[{org_id}] needs a name and a contact")
    if kind not in JOURNEY_OF_KIND:
        raise ConfigError(f"ORGANISATIONS[{org_id}].kind must be one of {', '.join(JOURNEY_OF_KIND)}")
    dpo = entry.get("dpo") or ""
    return Organisation(id=org_id, name=name.strip(), kind=kind, contact=contact.strip(), dpo=str(dpo).strip(),
                        return_urls=tuple(entry.get("return_urls") or ()),
                        launch_secrets=tuple(entry.get("launch_secrets") or ()),
                        allow_unsigned=bool(entry.get("allow_unsigned")))
