"""CNAM "API droits" stand-in at the published test server path (data-providers.md B.2–B.6).

Every call needs `X-API-Key` (the configured `cnam_api_key`) and `Authorization: Bearer <FC access token>`,
checked in process against the sandbox FranceConnect. The real error statuses and bodies are UNCONFIRMED (B.6);
the sandbox's choices, all with a `{"error", "message"}` body:
* 401: API key missing or wrong; bearer missing or malformed; token unknown or expired;
* 403: token without `droits_assurance_maladie`; `nir` header not the user's nor one of their beneficiaries';
* 404: person outside the régime général (every path); no médecin traitant (`/medecin-traitant`);
* 400: `nir` header missing on a per-beneficiary path; `dateDebut`/`dateFin` malformed, in the past or inverted.
Checks run in that order: key, token, scope, person, dates, nir.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, jsonify, request

from app.sandbox.providers import CNAM, CNAM_ROOT, CNAM_SCOPE, calls, cnam_payloads, data
from app.sandbox.providers.envelopes import cnam_error

bp = Blueprint("cnam", __name__, url_prefix=CNAM_ROOT)


@bp.get("/me")
def me():
    return _serve("/me")


@bp.get("/me/beneficiaires")
def beneficiaires():
    return _serve("/me/beneficiaires")


# The spec's path is the empty string after the base URL; clients joining URLs may add a slash.
@bp.get("", endpoint="beneficiaire")
@bp.get("/", endpoint="beneficiaire")
def beneficiaire():
    return _serve("/")


@bp.get("/caisse")
def caisse():
    return _serve("/caisse")


@bp.get("/contrats")
def contrats():
    return _serve("/contrats")


@bp.get("/exonerations")
def exonerations():
    return _serve("/exonerations")


@bp.get("/medecin-traitant")
def medecin_traitant():
    return _serve("/medecin-traitant")


def _serve(path: str):
    st = calls.state()
    fault = calls.fault_response(CNAM, path)
    if fault is not None:
        return fault
    key = request.headers.get("X-API-Key", "")  # header names are case-insensitive, as in HTTP
    if not hmac.compare_digest(key.encode(), st.config.cnam_api_key.encode()):
        return cnam_error(401, "Clé d'API absente ou invalide.")
    kind, value = calls.read_bearer()
    if kind != "ok":
        return cnam_error(401, "Jeton FranceConnect absent ou mal formé.")
    introspection = st.introspect(value)
    if introspection is None:
        return cnam_error(401, "Jeton FranceConnect inconnu ou expiré.")
    if CNAM_SCOPE not in introspection["scope"].split():
        return cnam_error(403, f"Le jeton FranceConnect ne porte pas le scope {CNAM_SCOPE}.")
    record = data.find(introspection["login"])
    family = record.cnam
    if family is None:
        return cnam_error(404, "Aucun bénéficiaire du régime général ne correspond à cette identité.")
    try:
        window = cnam_payloads.parse_window(request.args.get("dateDebut"), request.args.get("dateFin"),
                                            calls.today(st))
    except cnam_payloads.InvalidWindow as exc:
        return cnam_error(400, str(exc))
    if path == "/me":
        return _json(cnam_payloads.beneficiaire(family.insured, record.c2s))
    if path == "/me/beneficiaires":
        return _json([cnam_payloads.beneficiaire(person, record.c2s) for person in family.beneficiaires])
    nir = request.headers.get("nir", "")
    if not nir:
        return cnam_error(400, "L'en-tête nir est obligatoire.")
    person = family.member(nir)
    if person is None:
        return cnam_error(403, "Ce NIR n'est ni celui de l'assuré authentifié ni celui d'un de ses bénéficiaires.")
    if path == "/":
        return _json(cnam_payloads.beneficiaire(person, record.c2s))
    if path == "/caisse":
        return _json(cnam_payloads.caisse(family.caisse))
    if path == "/contrats":
        return _json(cnam_payloads.contrats(person, record.c2s, window))
    if path == "/exonerations":
        return _json(cnam_payloads.exonerations(person, window))
    medecin = cnam_payloads.medecin_traitant(person)
    if medecin is None:
        return cnam_error(404, "Aucun médecin traitant déclaré pour ce bénéficiaire.")
    return _json(medecin)


def _json(body: dict | list) -> Response:
    """The body with every unknown value left out: the OpenAPI marks no field nullable (an absent value is
    omitted), so a null would not validate against the published document."""
    return jsonify(_without_nulls(body))


def _without_nulls(value):
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value
