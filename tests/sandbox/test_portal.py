"""The sandbox's demo portal: signed launch links that the service accepts, results it verifies."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from joserfc import jwt
from joserfc.jwk import OctKey

from app.sandbox import PortalOrganisation, create_sandbox_app
from app.sandbox.portal import JOURNEYS
from tests.sandbox.flow import make_config

SERVICE = "http://127.0.0.1:5000"
SECRET = "chu-demo-launch-secret-for-the-sandbox-only-0001"
CHU = PortalOrganisation(slug="chu-demo", name="CHU de Démonstration", kind="hopital", launch_secret=SECRET)


def portal_app():
    from dataclasses import replace

    return create_sandbox_app(replace(make_config(), portal_service_url=SERVICE, portal_organisations=(CHU,)))


def result(claims_overrides=None, secret=SECRET):
    now = int(time.time())
    claims = {"iss": SERVICE, "aud": "chu-demo", "iat": now, "exp": now + 600, "jti": "x" * 16,
              "status": "submitted", "ref": "DEMO-1", "dossier": "DC-ABCD-EFGH", **(claims_overrides or {})}
    return jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(secret))


def test_the_portal_signs_a_launch_link_for_the_journey():
    client = portal_app().test_client()
    page = client.get("/portail/").get_data(as_text=True)
    assert "CHU de Démonstration" in page and 'for="chu-demo-ref"' in page
    response = client.post("/portail/lancer/chu-demo", data={"ref": "DEMO-7", "stay_date": "2030-01-01",
                                                             "stay_service": "Cardiologie", "stay_type": "seances"})
    location = urlsplit(response.headers["Location"])
    assert response.status_code == 303 and f"{location.scheme}://{location.netloc}" == SERVICE
    assert location.path == f"/{JOURNEYS['hopital']}/chu-demo/"
    token = parse_qs(location.query)["launch"][0]
    claims = jwt.decode(token, OctKey.import_key(SECRET), algorithms=["HS256"]).claims
    assert (claims["iss"], claims["aud"], claims["ref"]) == ("chu-demo", SERVICE, "DEMO-7")
    assert claims["stay"] == {"date": "2030-01-01", "service": "Cardiologie", "type": "seances"}
    assert claims["return_url"].endswith("/portail/retour") and claims["exp"] - claims["iat"] <= 900


def test_the_portal_shows_a_verified_result_and_refuses_a_forged_one():
    client = portal_app().test_client()
    page = client.get("/portail/retour?result=" + result()).get_data(as_text=True)
    assert "Dossier envoyé" in page and "DC-ABCD-EFGH" in page and "DEMO-1" in page
    for forged in (result(secret="another-secret-" + "x" * 32), result({"iss": "https://evil.example"}),
                   result({"exp": int(time.time()) - 3600}), "garbage", ""):
        page = client.get("/portail/retour?result=" + forged).get_data(as_text=True)
        assert "Résultat refusé" in page and "DC-ABCD-EFGH" not in page


def test_an_unknown_organisation_is_404():
    assert portal_app().test_client().post("/portail/lancer/nowhere").status_code == 404
