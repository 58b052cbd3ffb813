"""The providers' published material, vendored under tests/vendor (sources and commits in its README)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import yaml
from openapi_core import Config, OpenAPI

VENDOR = Path(__file__).resolve().parent.parent / "vendor"
C2S_OPENAPI = VENDOR / "api_particulier" / "api-particulier-openapi-v3.c2s-france-connect.yml"
CNAM_OPENAPI = VENDOR / "cnam" / "documentation-open-api.yaml"


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def openapi(path: Path, server: str) -> OpenAPI:
    """The document with its servers replaced by the sandbox's address, so paths match as published.

    The document itself is not checked against the OpenAPI 3.0 meta-schema: API Particulier's own breaks it (its
    `http` security scheme also carries `name` and `in`), and what is tested is the answers, not the document.
    The CNAM's answers are declared `*/*`, which openapi-core cannot deserialize: they are read as JSON, what the
    API sends (data-providers.md B.4) and what the connector parses.
    """
    spec = load_yaml(path)
    spec["servers"] = [{"url": server}]
    for item in spec["paths"].values():
        for answer in item.get("get", {}).get("responses", {}).values():
            content = answer.get("content", {})
            if "*/*" in content:
                content["application/json"] = content.pop("*/*")
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


def fc_citizens() -> dict[str, dict[str, str]]:
    """FranceConnect's mock IdP database, by login (blank lines skipped)."""
    with (VENDOR / "franceconnect" / "base.csv").open(encoding="utf-8", newline="") as f:
        return {row["login"]: row for row in csv.DictReader(f) if row.get("login")}


def fc_received_claims() -> dict[str, dict]:
    """What the service provider receives per login in FranceConnect's end-to-end fixtures (users.json)."""
    users = json.loads((VENDOR / "franceconnect" / "users.json").read_text(encoding="utf-8"))
    received = {}
    for user in users:
        for credential in user.get("credentials", []):
            if "claims" in user:
                received[credential["username"]] = user["claims"]
    return received


def staging_payloads(folder: str) -> dict[str, dict]:
    """siade_staging_data payloads: file name → {status, raw (the body as published), payload (decoded), params}."""
    found = {}
    for path in sorted((VENDOR / "api_particulier" / folder).glob("*.y*ml")):
        case = load_yaml(path)
        found[path.name] = dict(case, raw=case["payload"], payload=json.loads(case["payload"]))
    return found
