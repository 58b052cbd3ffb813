"""The pull API's documents as marshmallow schemas: they serialise the responses and, through flask-smorest and
apispec, are the OpenAPI document (`/api/v1/openapi.json`). Nothing here is written twice.

`DossierSchema` is version 1 of the dossier representation (`schema_version`); the dossier's own `content` has
its own `version` (app/journeys/content.py documents the format). Every value the person sent comes with its
provenance: where it came from and when.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from app.model.attachment import ATTACHMENT_KINDS, MEDIA_TYPES
from app.model.dossier import JOURNEYS, STATUSES

SCHEMA_VERSION = "1"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
SOURCES = ("franceconnect", "cnam", "api_particulier", "organisation", "declared")
SOURCE_STATUSES = ("ok", "not_found", "unavailable", "refused", "not_requested")


def _text(description: str, **options) -> fields.String:
    return fields.String(metadata={"description": description}, **options)


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details."""

    type = _text("Stable URI of the kind of problem: the documentation's anchor for it.", required=True)
    title = _text("Short summary of the kind of problem.", required=True)
    status = fields.Integer(required=True, metadata={"description": "The HTTP status code."})
    detail = _text("What went wrong for this request (never quotes the key or the cursor).", required=True)
    errors = fields.Dict(metadata={"description": "Invalid parameters by location and name (400 only)."})


class ListQuerySchema(ma.Schema):
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={
        "description": "Only the dossiers in this state: `submitted` (not acknowledged yet) or `delivered`."})
    since = fields.AwareDateTime(metadata={
        "description": "Only the dossiers submitted at or after this instant (RFC 3339, with its offset)."})
    limit = fields.Integer(load_default=DEFAULT_PAGE_SIZE, validate=validate.Range(1, MAX_PAGE_SIZE), metadata={
        "description": f"Page size, {DEFAULT_PAGE_SIZE} by default, at most {MAX_PAGE_SIZE}."})
    cursor = fields.String(validate=validate.Length(1, 512), metadata={
        "description": "The `next_cursor` of the previous page, with the same filters; opaque."})


class DossierSummarySchema(ma.Schema):
    reference = _text("The dossier's reference, as on the person's receipt.", required=True)
    organisation = _text("The organisation's identifier in the registry (yours).", required=True)
    journey = fields.String(required=True, validate=validate.OneOf(JOURNEYS), metadata={
        "description": "`preadmission` (hospitals) or `adhesion` (mutuelles)."})
    status = fields.String(required=True, validate=validate.OneOf(STATUSES), metadata={
        "description": "`submitted`, then `delivered` once acknowledged (`POST …/ack`)."})
    created_at = fields.AwareDateTime(required=True, metadata={"description": "When the person sent it (UTC)."})
    delivered_at = fields.AwareDateTime(required=True, allow_none=True, metadata={
        "description": "When it was first acknowledged, or null."})
    purge_after = fields.AwareDateTime(required=True, metadata={
        "description": "When Droits Connect deletes it: its retention, shortened by the acknowledgement."})


class DossierPageSchema(ma.Schema):
    items = fields.List(fields.Nested(DossierSummarySchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True, metadata={
        "description": "Pass it as `cursor` for the next page; null on the last page."})


class ProvenanceSchema(ma.Schema):
    value = fields.Raw(required=True, allow_none=True, metadata={
        "description": "The value: a string (dates as YYYY-MM-DD), a boolean, a list or an object."})
    source = fields.String(required=True, validate=validate.OneOf(SOURCES), metadata={
        "description": "Where it comes from: `franceconnect` (identity certified by FranceConnect), `cnam` "
                       "(Assurance Maladie), `api_particulier` (C2S status), `organisation` (your signed launch "
                       "link) or `declared` (typed by the person)."})
    at = fields.String(required=True, allow_none=True, metadata={
        "description": "When the source gave it (ISO 8601), or null for what the person typed."})


def _provenances(description: str, **options) -> fields.Dict:
    return fields.Dict(keys=fields.String(), values=fields.Nested(ProvenanceSchema),
                       metadata={"description": description}, **options)


class OrganisationRefSchema(ma.Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class PatientSchema(ma.Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("self", "ayant_droit", "other")), metadata={
        "description": "`self` (the signed-in person), `ayant_droit` (a beneficiary on their CNAM record) or "
                       "`other`."})
    minor = fields.Boolean(required=True, allow_none=True)


class BeneficiarySchema(ma.Schema):
    origin = fields.String(required=True, validate=validate.OneOf(("cnam", "declared")))
    # `fields` would shadow the schema's own attribute: declared under another name, dumped as "fields".
    values = _provenances("link, birth_name, usage_name, first_names, birth_date, nir — each with its provenance.",
                          attribute="fields", data_key="fields", required=True)


class MandateSchema(ma.Schema):
    reference = fields.String(required=True, allow_none=True, metadata={
        "description": "The SEPA mandate's unique reference (RUM), one per draft."})
    creditor = fields.String(required=True, metadata={"description": "The creditor: your organisation's name."})
    ics = fields.String(required=True, allow_none=True, metadata={"description": "Your SEPA creditor identifier."})
    signed_on = fields.String(required=True, allow_none=True, metadata={
        "description": "Day of signature (ISO 8601): the submission's."})
    signed_at_place = fields.String(required=True, allow_none=True, metadata={
        "description": "Place of signature: the city of the subscriber's address."})


class AttachmentSchema(ma.Schema):
    id = fields.String(required=True, metadata={"description": "The file's identifier in this dossier (`att_` and "
                                                                "32 hexadecimal digits)."})
    kind = fields.String(required=True, validate=validate.OneOf(ATTACHMENT_KINDS), metadata={
        "description": "`identity_document`, `rights_attestation` (attestation de droits), `mutuelle_card`, "
                       "`convocation` (pre-admission); `rib`, `rights_attestation` (adhesion); `c2s_attestation` "
                       "(either, when the C2S status could not be certified)."})
    media_type = fields.String(required=True, validate=validate.OneOf(MEDIA_TYPES), metadata={
        "description": "Recognised from the content, never from the name: `application/pdf`, `image/jpeg` or "
                       "`image/png`. Images are re-encoded without their metadata (EXIF, GPS)."})
    size = fields.Integer(required=True, metadata={"description": "Bytes, as served by the download."})
    sha256 = fields.String(required=True, metadata={"description": "SHA-256 of the file's bytes, hexadecimal: "
                                                                  "check the download against it."})


class SourceStatusSchema(ma.Schema):
    status = fields.String(required=True, validate=validate.OneOf(SOURCE_STATUSES))
    reason = fields.String(required=True, allow_none=True, metadata={"description": "English reason code."})
    retrieved_at = fields.String(required=True, allow_none=True)
    partial = fields.Boolean(required=True)


class ContentSchema(ma.Schema):
    """The dossier's content, version 1: what the person saw and sent."""

    version = fields.Integer(required=True, metadata={"description": "Version of the content format: 1."})
    journey = fields.String(required=True, validate=validate.OneOf(JOURNEYS))
    organisation = fields.Nested(OrganisationRefSchema, required=True)
    portal_reference = fields.String(required=True, allow_none=True, metadata={
        "description": "The `ref` of your signed launch link, or null when the person came without one."})
    submitted_at = fields.String(required=True, allow_none=True, metadata={"description": "ISO 8601."})
    declarant = _provenances("The signed-in person (birth_name, usage_name, first_names, birth_date), from "
                             "FranceConnect.", required=True)
    values = _provenances("The form's values by field name (e.g. nir, address, phone, c2s, regime…).",
                          attribute="fields", data_key="fields", required=True)
    sources = fields.Dict(keys=fields.String(), values=fields.Nested(SourceStatusSchema), required=True, metadata={
        "description": "What each data source (`c2s`, `cnam`) answered."})
    stay = _provenances("Pre-admission only: date, service, type — as your signed launch link said.")
    patient = fields.Nested(PatientSchema, metadata={"description": "Pre-admission only."})
    offer = _provenances("Adhesion only: code, label, start_date — as your signed launch link said.")
    beneficiaries = fields.List(fields.Nested(BeneficiarySchema), metadata={
        "description": "Adhesion only: the people covered besides the subscriber."})
    attachments = fields.List(fields.Nested(AttachmentSchema), metadata={
        "description": "The files the person attached (pièces justificatives), possibly none. Download each one "
                       "with `GET /api/v1/dossiers/{reference}/attachments/{id}`. The file names the person's "
                       "device gave are not passed on (untrusted text)."})
    mandate = fields.Nested(MandateSchema, metadata={
        "description": "Adhesion only: the SEPA mandate the subscriber signed by sending the dossier. The consent "
                       "to the NOEMIE exchange is the value `consent_noemie` (true or false)."})


class DossierSchema(DossierSummarySchema):
    schema_version = fields.Constant(SCHEMA_VERSION, required=True, metadata={
        "description": "Version of this representation.", "enum": [SCHEMA_VERSION], "type": "string"})
    content = fields.Nested(ContentSchema, required=True)
