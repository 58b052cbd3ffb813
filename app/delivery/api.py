"""The pull API (`/api/v1/`): an organisation lists its dossiers, reads one (JSON, FHIR R4, HL7 v2.5), downloads
its attached files and acknowledges it.

Every request authenticates with the organisation's API key (auth.py) and sees only that organisation's
dossiers: another organisation's dossier is the same 404 as an unknown one. No session, no cookie, no CSRF token:
the key is the credential. Errors are problem details (problems.py). Logs carry reason codes, organisation
identifiers and references, never a key nor any content.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass

from flask import Response, current_app, g, request
from flask_smorest import Blueprint
from marshmallow import RAISE
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from app.delivery import auth, fhir, hl7, problems
from app.delivery.cursor import CursorSigner, InvalidCursor, Position
from app.delivery.problems import Problem
from app.delivery.schemas import DossierPageSchema, DossierSchema, DossierSummarySchema, ListQuerySchema
from app.dossiers.errors import AttachmentNotFound, DossierNotFound
from app.dossiers.store import DossierStore
from app.model.attachment import ATTACHMENT_ID_PATTERN
from app.model.dossier import REFERENCE_PATTERN, DossierSummary
from app.model.organisation import Organisation

log = logging.getLogger(__name__)

JSON = "application/json"
FHIR_JSON = "application/fhir+json"
HL7_V2 = "application/hl7-v2"
HL7_V2_ER7 = "x-application/hl7-v2+er7"
READ_MEDIA_TYPES = (JSON, FHIR_JSON, HL7_V2, HL7_V2_ER7)
READ_DESCRIPTION = ("The dossier in the representation `Accept` asks for: JSON (every value with its provenance), "
                    "a FHIR R4 Bundle, or an HL7 v2.5 ADT^A05 message (pre-admissions only).")



class ReferenceConverter(BaseConverter):
    """A dossier reference in a path (DC-XXXX-XXXX); anything else is no route, a 404."""

    regex = REFERENCE_PATTERN.pattern.strip("^$")


def reference_parameter(converter: ReferenceConverter) -> dict:
    return {"type": "string", "pattern": REFERENCE_PATTERN.pattern, "example": "DC-7K3M-Q9P2"}


class AttachmentIdConverter(BaseConverter):
    """An attachment's id in a path (att_ + 32 hexadecimal digits); anything else is no route, a 404."""

    regex = ATTACHMENT_ID_PATTERN.pattern.strip("^$")


def attachment_id_parameter(converter: AttachmentIdConverter) -> dict:
    return {"type": "string", "pattern": ATTACHMENT_ID_PATTERN.pattern,
            "example": "att_3f2a9c0e4b8d47f1a6c5e2d9b0f7a813"}


bp = Blueprint("api", __name__, url_prefix="/api/v1",
               description="Dossiers of the calling organisation: list, read, download their files, acknowledge.")

UNAUTHENTICATED = {
    "missing": "Send the organisation's API key as `Authorization: Bearer dc_live_…`.",
    "malformed": "The Authorization header is not `Bearer dc_live_…`.",
    "unknown": "This API key is not active.",
    "ambiguous": "This API key is not active.",
}


@dataclass(frozen=True)
class DeliveryRoom:
    """What the API's views use, built once by the factory (room.py)."""

    store: DossierStore
    organisations: dict[str, Organisation]
    cursors: CursorSigner
    public_url: str


_ROOM = "droits_connect_delivery"


def register_room(app, delivery: DeliveryRoom) -> None:
    app.extensions[_ROOM] = delivery


def room() -> DeliveryRoom:
    return current_app.extensions[_ROOM]


# Authentication and errors


@bp.before_request
def _authenticate() -> None:
    outcome = auth.authenticate(request.headers.get("Authorization"), room().organisations.values())
    if outcome.organisation is None:
        log.info("api authentication refused reason=%s", outcome.reason)
        raise Problem("unauthenticated", UNAUTHENTICATED[outcome.reason])
    g.api_organisation = outcome.organisation


@bp.after_request
def _never_cached(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"  # dossiers are health data: no proxy nor client cache keeps them
    return response


@bp.errorhandler(Problem)
def _problem(problem: Problem) -> Response:
    answer = problems.from_problem(room().public_url, problem)
    if problem.kind.status == 401:
        answer.headers["WWW-Authenticate"] = 'Bearer realm="droits-connect"'
    return answer


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    return problems.from_http_exception(room().public_url, error)


# Endpoints


@bp.get("/dossiers")
@bp.arguments(ListQuerySchema, location="query", error_status_code=400, unknown=RAISE)  # a typo is no filter
@bp.response(200, DossierPageSchema, content_type=JSON,
             description="One page of the organisation's dossiers, oldest first, without their content.")
def list_dossiers(query: dict):
    """List your dossiers

    Filter by `status` and `since`; follow `next_cursor` until it is null. Polling for new dossiers:
    `status=submitted`, then acknowledge each one once stored on your side.
    """
    _negotiate((JSON,))
    organisation: Organisation = g.api_organisation
    since = query.get("since")
    scope = {"organisation": organisation.id, "status": query.get("status"),
             "since": since.isoformat() if since else None}
    after = None
    if "cursor" in query:
        try:
            position = room().cursors.decode(query["cursor"], scope=scope)
        except InvalidCursor as exc:
            log.info("api cursor refused reason=%s organisation=%s", exc, organisation.id)
            raise Problem("invalid-cursor", "This cursor was not issued for this organisation and these "
                                            "filters.") from None
        after = (position.created_at, position.reference)
    limit = query["limit"]
    rows = room().store.list_for(organisation.id, status=query.get("status"), since=since, after=after,
                                 limit=limit + 1)
    page, more = rows[:limit], len(rows) > limit
    next_cursor = (room().cursors.encode(Position(page[-1].created_at, page[-1].reference), scope=scope)
                   if more else None)
    return {"items": page, "next_cursor": next_cursor}


@bp.get("/dossiers/<reference:reference>")
@bp.response(200, DossierSchema, content_type=JSON, description=READ_DESCRIPTION)
@bp.alt_response(200, schema={"type": "object", "description": "A FHIR R4 Bundle (type collection)."},
                 content_type=FHIR_JSON, success=True, description=READ_DESCRIPTION)
@bp.alt_response(200, schema={"type": "string", "description": "An ER7-encoded ADT^A05 message."},
                 content_type=HL7_V2, success=True, description=READ_DESCRIPTION)
@bp.alt_response(200, schema={"type": "string"}, content_type=HL7_V2_ER7, success=True,
                 description=READ_DESCRIPTION)
def read_dossier(reference: str):
    """Read one dossier

    Choose the representation with `Accept`: `application/json` (default), `application/fhir+json`, or
    `application/hl7-v2` / `x-application/hl7-v2+er7` (pre-admissions only; 406 for an adhesion).
    """
    media_type = _negotiate(READ_MEDIA_TYPES)
    organisation: Organisation = g.api_organisation
    summary = _own(reference)
    if media_type in (HL7_V2, HL7_V2_ER7) and summary.journey != "preadmission":
        raise Problem("not-acceptable", "HL7 v2 is offered for pre-admissions only: ask for application/json "
                                        "or application/fhir+json.")
    dossier = room().store.get(summary.reference)
    log.info("api dossier %s read as %s by %s", dossier.reference, media_type, organisation.id)
    if media_type == FHIR_JSON:
        return Response(json.dumps(fhir.to_fhir_bundle(dossier, organisation)), mimetype=FHIR_JSON)
    if media_type in (HL7_V2, HL7_V2_ER7):
        return Response(hl7.to_adt_a05(dossier, organisation), content_type=f"{media_type}; charset=utf-8")
    return dossier


@bp.post("/dossiers/<reference:reference>/ack")
@bp.response(200, DossierSummarySchema, content_type=JSON,
             description="The dossier, now `delivered`, with its shortened purge date.")
def acknowledge_dossier(reference: str):
    """Acknowledge a dossier

    Say you have stored it: its status becomes `delivered`, the person's receipt says « reçu », and Droits Connect
    deletes its copy after your post-delivery retention (7 days by default). Idempotent: acknowledging again
    changes nothing and answers the same.
    """
    _negotiate((JSON,))
    organisation: Organisation = g.api_organisation
    summary = _own(reference)
    if room().store.mark_delivered(summary.reference, retention_days=organisation.delivered_retention_days):
        log.info("api dossier %s acknowledged by %s", summary.reference, organisation.id)
    return room().store.summary(summary.reference)


@bp.get("/dossiers/<reference:reference>/attachments/<attachment_id:attachment_id>")
@bp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf",
             description="The file's bytes, with the media type listed in the dossier (`application/pdf`, "
                         "`image/jpeg` or `image/png`).")
@bp.alt_response(200, schema={"type": "string", "format": "binary"}, content_type="image/jpeg", success=True)
@bp.alt_response(200, schema={"type": "string", "format": "binary"}, content_type="image/png", success=True)
def download_attachment(reference: str, attachment_id: str):
    """Download an attachment

    One of the files listed in the dossier's `content.attachments`, by its `id`. Each download is written to the
    audit trail. Check the bytes against the listed `sha256`. Another organisation's dossier, or a file that is
    not this dossier's, is the same 404 as an unknown one.
    """
    organisation: Organisation = g.api_organisation
    summary = _own(reference)
    try:
        file = room().store.download_attachment(summary.reference, attachment_id)
    except AttachmentNotFound:
        log.info("api attachment refused reason=attachment_not_found organisation=%s", organisation.id)
        raise Problem("not-found", "This dossier has no attachment with this id.") from None
    attachment = file.attachment
    response = Response(file.data, mimetype=attachment.media_type)
    # A download, never rendered in a browser tab: no name of the person's, ours from the kind and the id.
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[attachment.media_type]
    response.headers["Content-Disposition"] = f'attachment; filename="{attachment.kind}-{attachment.id}.{extension}"'
    digest = base64.b64encode(bytes.fromhex(attachment.sha256)).decode()
    response.headers["Repr-Digest"] = f"sha-256=:{digest}:"  # RFC 9530: the receiver can check what it got
    log.info("api dossier %s attachment %s read by %s", summary.reference, attachment.id, organisation.id)
    return response


def _negotiate(offers: tuple[str, ...]) -> str:
    """The offered media type the client prefers (the first offer for `*/*` or no Accept), else a 406."""
    chosen = request.accept_mimetypes.best_match(offers) if request.accept_mimetypes else offers[0]
    if chosen is None:
        raise Problem("not-acceptable", f"This endpoint offers {', '.join(offers)}.")
    return chosen


def _own(reference: str) -> DossierSummary:
    """The calling organisation's dossier; an unknown one and another organisation's one are the same 404."""
    organisation: Organisation = g.api_organisation
    try:
        summary = room().store.summary(reference)
    except DossierNotFound:
        summary = None
    if summary is not None and summary.organisation != organisation.id:
        log.warning("api %s asked for a dossier of another organisation", organisation.id)
        summary = None
    if summary is None:
        raise Problem("not-found", "No dossier of yours has this reference.")
    return summary
