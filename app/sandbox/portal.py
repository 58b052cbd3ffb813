"""The demo portal: what a hospital's or a mutuelle's site does around Droits Connect.

It builds a signed launch link (HS256 with the organisation's launch secret, the claims of the README's
integrator kit) and, when the person comes back to `/portail/retour`, verifies the signed result and shows it.
A newcomer sees the whole loop offline; a portal developer reads here what their own code must do.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from app.sandbox.config import PortalOrganisation

bp = Blueprint("demo_portal", __name__, url_prefix="/portail")

JOURNEYS = {"hopital": "preadmission", "mutuelle": "adhesion"}
STAY_TYPES = {"hospitalisation_complete": "Hospitalisation complète",
              "ambulatoire": "Hospitalisation de jour (ambulatoire)", "seances": "Séances"}
OFFERS = {"ESSENTIEL": "Formule Essentielle", "EQUILIBRE": "Formule Équilibre", "INTEGRALE": "Formule Intégrale"}
LINK_LIFETIME = 900
STATUS_LABELS = {"submitted": "Dossier envoyé", "cancelled": "Démarche abandonnée", "failed": "Connexion échouée"}


def _config():
    return current_app.extensions["fc_sandbox"].config


def _organisation(slug: str) -> PortalOrganisation:
    for organisation in _config().portal_organisations:
        if organisation.slug == slug:
            return organisation
    abort(404)


def return_url() -> str:
    return _config().base_url.rstrip("/") + "/portail/retour"


@bp.get("/")
def index():
    today = dt.date.today()
    return render_template(
        "sandbox/portal.html", organisations=_config().portal_organisations, service=_config().portal_service_url,
        stay_types=STAY_TYPES, offers=OFFERS, reference=f"DEMO-{secrets.randbelow(10**6):06d}",
        stay_date=(today + dt.timedelta(days=14)).isoformat(), start_date=(today + dt.timedelta(days=30)).isoformat(),
    )


@bp.post("/lancer/<slug>")
def launch(slug: str):
    """Sign a launch link for the person and send them to the organisation's journey."""
    organisation, form, now = _organisation(slug), request.form, int(time.time())
    claims = {"iss": organisation.slug, "aud": _config().portal_service_url, "iat": now, "exp": now + LINK_LIFETIME,
              "jti": secrets.token_urlsafe(16), "ref": form.get("ref") or "DEMO", "return_url": return_url()}
    if organisation.kind == "hopital":
        stay = {"date": form.get("stay_date"), "service": form.get("stay_service"), "type": form.get("stay_type")}
        claims["stay"] = {name: value for name, value in stay.items() if value}
    else:
        code = form.get("offer")
        offer = {"code": code, "label": OFFERS.get(code or ""), "start_date": form.get("start_date")}
        claims["offer"] = {name: value for name, value in offer.items() if value}
    token = jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, OctKey.import_key(organisation.launch_secret))
    journey = JOURNEYS[organisation.kind]
    return redirect(f"{_config().portal_service_url}/{journey}/{slug}/?{urlencode({'launch': token})}", 303)


@bp.get("/retour")
def back():
    """Verify the signed result as a portal must: signature, issuer, audience, expiry."""
    result, error = _verified(request.args.get("result") or "")
    organisation = next((o for o in _config().portal_organisations if result and o.slug == result["aud"]), None)
    return render_template("sandbox/portal_back.html", result=result, error=error, organisation=organisation,
                           status_labels=STATUS_LABELS, home=url_for("demo_portal.index"))


def _verified(token: str) -> tuple[dict | None, str | None]:
    try:
        unverified = json.loads(jws.extract_compact(token.encode()).payload)
        organisation = next(o for o in _config().portal_organisations if o.slug == unverified.get("aud"))
        decoded = jwt.decode(token, OctKey.import_key(organisation.launch_secret), algorithms=["HS256"])
        jwt.JWTClaimsRegistry(iss={"essential": True, "value": _config().portal_service_url},
                              aud={"essential": True, "value": organisation.slug},
                              exp={"essential": True}, status={"essential": True}).validate(decoded.claims)
    except (JoseError, ValueError, StopIteration, AttributeError, UnicodeError):
        return None, ("Le résultat reçu n’a pas pu être vérifié : il a été modifié, a expiré ou ne vient pas "
                      "du service.")
    return decoded.claims, None
