"""What a portal does in the tests: sign launch links for the demo organisations and read their results."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import tomlkit
from joserfc import jwt
from joserfc.jwk import OctKey

from app.organisations.settings import DEMO_FILE

# The sandbox's demo registry (app/organisations/demo.toml).
DEMO_SECRETS = {
    "chu-demo": "chu-demo-launch-secret-for-the-sandbox-only-0001",
    "mutuelle-demo": "mutuelle-demo-launch-secret-for-the-sandbox-only-0001",
}
DEMO_RETURN_URL = "http://127.0.0.1:5001/portail/retour"
JOURNEY_OF = {"chu-demo": "preadmission", "mutuelle-demo": "adhesion"}


def launch_token(org: str, *, audience: str, secret: str | None = None, header: dict | None = None,
                 now: float | None = None, drop: tuple[str, ...] = (), **claims) -> str:
    """A launch token as a portal signs it; `claims` override or add, `drop` removes."""
    now = time.time() if now is None else now
    values = {"iss": org, "aud": audience, "iat": int(now), "exp": int(now) + 900,
              "jti": secrets.token_urlsafe(16), "ref": "PORTAIL-42", "return_url": DEMO_RETURN_URL, **claims}
    for name in drop:
        values.pop(name, None)
    key = OctKey.import_key(secret or DEMO_SECRETS[org])
    return jwt.encode(header or {"alg": "HS256", "typ": "JWT"}, values, key)


def launch_path(org: str, *, audience: str, **claims) -> str:
    return f"/{JOURNEY_OF[org]}/{org}/?" + urlencode({"launch": launch_token(org, audience=audience, **claims)})


def read_result(location: str, org: str, *, issuer: str, secret: str | None = None) -> dict:
    """The claims of the result a portal receives at its return URL (verified as the portal would)."""
    token = parse_qs(urlsplit(location).query)["result"][0]
    decoded = jwt.decode(token, OctKey.import_key(secret or DEMO_SECRETS[org]), algorithms=["HS256"])
    registry = jwt.JWTClaimsRegistry(iss={"essential": True, "value": issuer}, aud={"essential": True, "value": org},
                                     exp={"essential": True})
    registry.validate(decoded.claims)
    return decoded.claims


def demo_registry(directory: Path, *return_urls: str, sandbox_url: str | None = None,
                  per_organisation: dict[str, dict] | None = None, **changes) -> dict:
    """Settings overrides: the demo registry written to `directory`, returning to the demo portal of the sandbox at
    `sandbox_url` (instead of make run's 127.0.0.1:5001) and to `return_urls` too (a test's own portal);
    `changes` are set on every organisation (e.g. allow_unsigned=False), `per_organisation` on one each
    (e.g. {"chu-demo": {"api_key_hashes": [...]}})."""
    registry = tomlkit.parse(DEMO_FILE.read_text(encoding="utf-8"))
    portal = [f"{sandbox_url}/portail/retour"] if sandbox_url else [DEMO_RETURN_URL]
    for entry in registry["organisations"].values():
        entry["return_urls"] = [*portal, *return_urls]
        for key, value in changes.items():
            entry[key] = value
    for slug, entry_changes in (per_organisation or {}).items():
        for key, value in entry_changes.items():
            registry["organisations"][slug][key] = value
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "organisations.toml"
    path.write_text(tomlkit.dumps(registry), encoding="utf-8")
    return {"ORGANISATIONS_FILE": str(path)}
