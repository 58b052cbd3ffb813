"""Error pages that always render: when a template fails (a broken session, a missing value), a plain French page
takes its place, so that gunicorn's raw English « Internal Server Error » is never what a person sees."""

from __future__ import annotations

import logging

from flask import Response, render_template

log = logging.getLogger(__name__)

FALLBACK = ("<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Erreur — Droits Connect</title>"
            "</head><body><main><h1>{title}</h1><p>Réessayez dans un instant.</p>"
            "<p><a href=\"/\">Revenir à l’accueil</a></p></main></body></html>")
TITLES = {503: "Le service est momentanément indisponible, réessayez dans un instant"}


def render_error(template: str, code: int, **context) -> Response:
    try:
        body = render_template(template, code=code, **context)
    except Exception as error:  # its type only: the message may quote a value
        log.error("error page failed template=%s type=%s", template, type(error).__name__)
        body = FALLBACK.format(title=TITLES.get(code, "La demande n’a pas pu aboutir"))
    return Response(body, code, mimetype="text/html")
