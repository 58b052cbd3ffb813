"""Registry documents for the tests: one valid hospital and one valid mutuelle, and ways to spoil them."""

from __future__ import annotations

import base64
import copy
from typing import Any

from app.model.organisation import api_key_hash

LAUNCH_SECRET = "launch-secret-of-chu-exemple-" + "s" * 16
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"w" * 32).decode()
API_KEY = "dc_live_test-key-of-chu-exemple"

HOSPITAL: dict[str, Any] = {
    "name": "Centre hospitalier d’Exemple",
    "kind": "hopital",
    "siret": "12345678200010",
    "contact": "admissions@chu-exemple.fr",
    "dpo": "dpo@chu-exemple.fr",
    "sources": ["c2s", "cnam"],
    "return_urls": ["https://portail.chu-exemple.fr/droits-connect/retour"],
    "launch_secrets": [LAUNCH_SECRET],
    "api_key_hashes": [api_key_hash(API_KEY)],
    "allow_unsigned": False,
    "retention_days": 90,
    "branding": {"display_name": "CHU d’Exemple", "accent_colour": "#000091"},
    "webhook": {"url": "https://si.chu-exemple.fr/webhooks/droits-connect", "secret": WEBHOOK_SECRET},
}
MUTUELLE: dict[str, Any] = {
    "name": "Mutuelle d’Exemple",
    "kind": "mutuelle",
    "contact": "adhesion@mutuelle-exemple.fr",
    "ics": "FR72ZZZ123456",
}


def registry(**organisations: dict[str, Any]) -> dict[str, Any]:
    """A decoded registry document; keyword names use _ for - (chu_x → chu-x)."""
    return {"organisations": {slug.replace("_", "-"): entry for slug, entry in organisations.items()}}


def spoilt(entry: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A copy of `entry` with `key` (dotted for a sub-table, e.g. "branding.logo") set to `value`, or removed
    when `value` is DROP."""
    entry = copy.deepcopy(entry)
    *tables, last = key.split(".")
    target = entry
    for table in tables:
        target = target.setdefault(table, {})
    if value is DROP:
        target.pop(last, None)
    else:
        target[last] = value
    return entry


DROP = object()
