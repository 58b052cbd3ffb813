"""A hospital's portal, reduced to what talks to Droits Connect: a signed launch link out, a signed result in.

Only the standard library and PyJWT (any JWT library that does HS256 will do). Run it beside `make run`:

    .venv/bin/python examples/portal/portal.py        # then open http://127.0.0.1:8765/

Settings come from the environment; the defaults match the sandbox's demo hospital (app/organisations/demo.toml).
"""

import html
import os
import secrets
import time
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import make_server

import jwt  # PyJWT

SERVICE_URL = os.environ.get("DROITS_CONNECT_URL", "http://localhost:5000")  # the service's PUBLIC_URL
ORGANISATION = os.environ.get("PORTAL_ORGANISATION", "chu-demo")  # your slug in the service's registry
SECRET = os.environ.get("PORTAL_LAUNCH_SECRET", "chu-demo-launch-secret-for-the-sandbox-only-0001")
PORTAL_URL = os.environ.get("PORTAL_URL", "http://127.0.0.1:8765")
RETURN_URL = PORTAL_URL + "/retour"  # registered, byte for byte, in your organisation's return_urls


def launch_link(reference: str, stay: dict | None = None) -> str:
    """Where to send the person: a fresh link for each click (it lives 15 minutes and serves once)."""
    now = int(time.time())
    claims = {"iss": ORGANISATION, "aud": SERVICE_URL, "iat": now, "exp": now + 900,
              "jti": secrets.token_urlsafe(16), "ref": reference, "return_url": RETURN_URL}
    if stay:
        claims["stay"] = stay  # {"date": "YYYY-MM-DD", "service": "...", "type": "ambulatoire"}
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    return f"{SERVICE_URL}/preadmission/{ORGANISATION}/?" + urlencode({"launch": token})


def read_result(token: str) -> dict:
    """The result the person brings back; raises jwt.InvalidTokenError unless Droits Connect signed it for us."""
    return jwt.decode(token, SECRET, algorithms=["HS256"], audience=ORGANISATION, issuer=SERVICE_URL, leeway=60,
                      options={"require": ["iss", "aud", "iat", "exp", "status"]})


def app(environ, start_response):
    if environ["PATH_INFO"] == "/retour":
        token = parse_qs(environ.get("QUERY_STRING", "")).get("result", [""])[0]
        try:
            result = read_result(token)
            body = (f"<h1>Résultat vérifié : {html.escape(result['status'])}</h1>"
                    f"<p>Votre référence : {html.escape(str(result.get('ref')))}</p>"
                    f"<p>Dossier : <span id='dossier'>{html.escape(str(result.get('dossier') or '—'))}</span></p>")
        except jwt.InvalidTokenError:
            body = "<h1>Résultat refusé</h1>"
    else:
        link = launch_link(f"PORTAIL-{secrets.randbelow(10**6):06d}", {"service": "Cardiologie"})
        body = f"<h1>Mon espace patient</h1><p><a href='{html.escape(link)}'>Faire ma pré-admission en ligne</a></p>"
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    page = f"<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>Portail</title></head><body>{body}"
    return [(page + "</body></html>").encode()]


if __name__ == "__main__":
    host, port = PORTAL_URL.split("//")[1].split(":")
    print(f"Portail d'exemple : {PORTAL_URL}/")
    make_server(host, int(port), app).serve_forever()
