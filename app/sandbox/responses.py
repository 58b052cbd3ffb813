"""The shapes of FranceConnect's answers: JSON errors, error pages and redirects back to the FS."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Response, jsonify, redirect, render_template

_ERROR_DOCS = "https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-erreurs/"
# Codes seen in FC's own test suite (api-token/api-userinfo.feature); other errors get the generic Y040001.
_ERROR_CODES = {
    "invalid_client": "Y0434A7B",
    "invalid_request": "Y048017B",
    "invalid_grant": "Y049E20B",
    "invalid_token": "Y040001",
    "no_token": "Y04146A2",
}

PAGE_MESSAGES = {
    "Y030007": "Une erreur technique est survenue, fermez l’onglet de votre navigateur et reconnectez-vous.",
    "Y04EA6EF": "Une erreur de communication avec le fournisseur de service est survenue. "
    "Veuillez réessayer ultérieurement.",
    "Y04C013C": "Une erreur de communication avec le fournisseur de service est survenue. "
    "Veuillez réessayer ultérieurement.",
}
GENERIC_MESSAGE = "Une erreur s'est produite, veuillez réessayer ultérieurement."


def json_error(status: int, error: str, description: str, *, code: str | None = None) -> Response:
    """node-oidc-provider's error body as FC customises it: error, error_description, error_uri."""
    code = code or _ERROR_CODES.get(error, "Y040001")
    error_uri = f"{_ERROR_DOCS}?code={code}&id={uuid.uuid4()}"
    response = jsonify(error=error, error_description=description, error_uri=error_uri)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(code: str, detail: str, *, status: int = 400) -> tuple[str, int]:
    """FC's own error page: shown instead of redirecting when the FS cannot be trusted with a redirect."""
    message = PAGE_MESSAGES.get(code, GENERIC_MESSAGE)
    return render_template("sandbox/error.html", code=code, message=message, detail=detail), status


def with_params(url: str, params: dict[str, str], *, fragment: bool = False) -> str:
    """`url` with `params` added to its query (or fragment), keeping what the registered URI already had."""
    parts = urlsplit(url)
    if fragment:
        return urlunsplit(parts._replace(fragment=urlencode(params)))
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), *params.items()])
    return urlunsplit(parts._replace(query=query))


def redirect_to_client(url: str, params: dict[str, str], *, fragment: bool = False) -> Response:
    return redirect(with_params(url, params, fragment=fragment), code=303)


def error_redirect(
    redirect_uri: str, error: str, description: str, *, state: str, issuer: str, fragment: bool = False
) -> Response:
    """An OIDC error back to the FS; FC always sends error, error_description, state and iss (§3)."""
    params = {"error": error, "error_description": description, "state": state, "iss": issuer}
    return redirect_to_client(redirect_uri, params, fragment=fragment)
