"""Error bodies of the two providers.

API Particulier v3: `{"errors": [{"code", "title", "detail", "source", "meta"}]}` (data-providers.md A.8).
CNAM: its error shapes are UNCONFIRMED (B.6), so the stand-in uses a plain `{"error", "message"}`.
"""

from __future__ import annotations

from flask import Response, jsonify

UNAUTHORIZED = "Accès non autorisé"
# A.8 titles and details, as the OpenAPI examples and the staging payloads publish them (tests/vendor, checked by
# tests/sandbox/test_published_documents.py); the 5000x details are the sandbox's own wording (UNCONFIRMED).
C2S_ERRORS: dict[str, tuple[int, str, str]] = {
    "00100": (403, "Privilèges insuffisants", "Votre token est valide mais vos privilèges sont insuffisants. "
              "Listez vos privilèges sur /api/introspect"),
    "00203": (422, "Entité non traitable", "Le paramètre recipient est obligatoire"),
    # API Entreprise's code for the same check; the C2S route's own code is UNCONFIRMED (A.8).
    "00210": (422, "Entité non traitable", "Le paramètre recipient n'est pas un siret valide"),
    "00429": (429, "Trop de requêtes", "Vous avez effectué trop de requêtes"),
    "00999": (500, "Erreur interne du serveur",  # code and wording UNCONFIRMED
              "Une erreur interne s'est produite, l'équipe technique a été notifiée."),
    "37002": (504, "Intermédiaire hors-délai", "Temps d’attente d’une réponse du fournisseur de données écoulé."),
    "37003": (404, "Entité non trouvée", "Dossier allocataire inexistant. Le document ne peut être édité."),
    "37999": (502, "Erreur inconnue du fournisseur de données",
              "La réponse retournée par le fournisseur de données est invalide et inconnue de notre service. "
              "L'équipe technique a été notifiée de cette erreur pour investigation."),
    "50001": (401, UNAUTHORIZED, "Le jeton d'accès FranceConnect est mal formé."),
    "50002": (401, UNAUTHORIZED, "Le jeton d'accès n'a pas été trouvé ou est expiré."),
    "50003": (401, UNAUTHORIZED, "Le jeton d'accès FranceConnect ne possède pas les scopes requis."),
    "50004": (401, UNAUTHORIZED, "Le jeton d'accès FranceConnect est absent."),
}
_PROVIDER_CODES = ("37", "40")  # errors of the upstream provider carry it in meta (A.8)


# The parameter the published examples name in `source` (api-particulier-openapi-v3.yml): the token for 0010x.
_SOURCES = {"00100": "token", "00101": "token", "00103": "token", "00105": "token", "00203": "recipient"}


def c2s_error(code: str, *, detail_suffix: str = "", parameter: str | None = None) -> Response:
    """One API Particulier v3 error, by its documented code."""
    status, title, detail = C2S_ERRORS[code]
    parameter = parameter or _SOURCES.get(code)
    error = {
        "code": code,
        "title": title,
        "detail": f"{detail} {detail_suffix}".strip(),
        "source": {"parameter": parameter} if parameter else None,
        "meta": {"provider": "CNAV"} if code.startswith(_PROVIDER_CODES) else {},
    }
    response = jsonify({"errors": [error]})
    response.status_code = status
    return response


CNAM_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "La requête est invalide."),
    401: ("unauthorized", "Authentification refusée."),
    403: ("forbidden", "Accès refusé."),
    404: ("not_found", "Aucune donnée trouvée."),
    429: ("too_many_requests", "Trop de requêtes."),
    500: ("internal_error", "Erreur interne."),
    502: ("bad_gateway", "Erreur du système d'information de l'Assurance Maladie."),
    504: ("gateway_timeout", "Le système d'information de l'Assurance Maladie n'a pas répondu à temps."),
}


def cnam_error(status: int, message: str | None = None) -> Response:
    """A CNAM error in the sandbox's plain shape; `message` replaces the generic French one."""
    error, generic = CNAM_ERRORS[status]
    response = jsonify({"error": error, "message": message or generic})
    response.status_code = status
    return response
