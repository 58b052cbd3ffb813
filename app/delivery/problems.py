"""The pull API's errors as RFC 9457 problem details (`application/problem+json`), in English, for machines.

Each kind of error has a stable slug; its `type` is the API documentation's anchor for it,
`<PUBLIC_URL>/api/v1/docs#problem-<slug>`, so an integrator's code compares types and a person reads them.
`detail` never quotes what the client sent (a key, a cursor) nor any personal datum.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Response
from werkzeug.exceptions import HTTPException

MEDIA_TYPE = "application/problem+json"
DOCS_PATH = "/api/v1/docs"


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: str
    description: str  # for the documentation page: when it happens, what to do


CATALOGUE: dict[str, ProblemType] = {p.slug: p for p in (
    ProblemType("invalid-request", 400, "Invalid request",
                "A query parameter is unknown or has a wrong value (see `errors`), or the page size is out of "
                "bounds."),
    ProblemType("invalid-cursor", 400, "Invalid cursor",
                "The `cursor` was not issued by this service for this organisation and these filters. Start "
                "again from the first page."),
    ProblemType("unauthenticated", 401, "Authentication required",
                "No API key, a malformed one, or one that is not (or no longer) active. Send "
                "`Authorization: Bearer dc_live_…`."),
    ProblemType("not-found", 404, "Not found",
                "No such dossier for this organisation (an unknown reference and another organisation's dossier "
                "get the same answer), or no such path."),
    ProblemType("method-not-allowed", 405, "Method not allowed", "This path does not accept this method."),
    ProblemType("not-acceptable", 406, "Not acceptable",
                "None of the media types in `Accept` is offered here (HL7 v2 is offered for pre-admissions "
                "only)."),
    ProblemType("too-many-requests", 429, "Too many requests",
                "Too many requests for this API key, or too many failed authentications from this address. "
                "Wait for `Retry-After` seconds."),
    ProblemType("internal-error", 500, "Internal error",
                "An error on our side; it is logged with a correlation id. Retry later."),
    ProblemType("http-error", 400, "HTTP error", "Any other HTTP error; `status` tells which."),
)}
_BY_STATUS = {p.status: p for p in CATALOGUE.values() if p.slug not in ("invalid-cursor", "http-error")}


class Problem(Exception):
    """Raised by the API's views; the blueprint turns it into a problem+json response."""

    def __init__(self, slug: str, detail: str, *, errors: dict | None = None) -> None:
        super().__init__(detail)
        self.kind = CATALOGUE[slug]
        self.detail = detail
        self.errors = errors


def type_uri(public_url: str, slug: str) -> str:
    return f"{public_url.rstrip('/')}{DOCS_PATH}#problem-{slug}"


def response(public_url: str, slug: str, detail: str, *, status: int | None = None, errors: dict | None = None,
             headers: dict | None = None) -> Response:
    kind = CATALOGUE[slug]
    status = status or kind.status
    body: dict[str, Any] = {"type": type_uri(public_url, slug), "title": kind.title, "status": status,
                            "detail": detail}
    if errors:
        body["errors"] = errors
    answer = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE, headers=headers)
    answer.headers["Cache-Control"] = "no-store"
    return answer


def from_problem(public_url: str, problem: Problem) -> Response:
    return response(public_url, problem.kind.slug, problem.detail, errors=problem.errors)


def from_http_exception(public_url: str, error: HTTPException) -> Response:
    """An HTTP error raised by Flask, werkzeug, webargs or Flask-Limiter, as a problem; its headers are kept."""
    status = error.code or 500
    kind = _BY_STATUS.get(status, CATALOGUE["http-error"])
    # webargs puts the validation messages (field names and reasons, never the values) in `data`.
    messages = (getattr(error, "data", None) or {}).get("messages")
    errors = {location: fields for location, fields in messages.items()} if isinstance(messages, dict) else None
    detail = _DETAILS.get(status) or (error.description if kind.slug == "http-error" else kind.description)
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    return response(public_url, kind.slug, detail, status=status, errors=errors, headers=headers)


_DETAILS = {
    400: "The request's parameters are invalid: see `errors`.",
    404: "There is nothing at this path.",
    405: "This path does not accept this method.",
    429: "Too many requests: wait for Retry-After seconds.",
}
