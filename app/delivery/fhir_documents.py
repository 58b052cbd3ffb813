"""The dossier's attachments in FHIR: one `DocumentReference` per file, pointing at its download in the pull API.

The bytes are not inlined (a Bundle would grow by megabytes per file): `content.attachment.url` is the download
path, relative to the API's server, with its media type and size. FHIR R4's `Attachment.hash` is a SHA-1, which we
do not compute: the SHA-256 is in the JSON representation and the download's `Repr-Digest`. Pure: nothing logged.
"""

from __future__ import annotations

from typing import Any

from app.delivery.fhir_values import DOSSIER_SYSTEM
from app.model.attachment import KIND_NAMES

ATTACHMENT_SYSTEM = f"{DOSSIER_SYSTEM}/piece"


def document_references(content: dict[str, Any], reference: str, patient_ref: str) -> list[dict[str, Any]]:
    return [_document(attachment, reference, patient_ref) for attachment in content.get("attachments", [])]


def _document(attachment: dict[str, Any], reference: str, patient_ref: str) -> dict[str, Any]:
    # What the organisation's staff read; the file name the person's device gave is never passed on.
    text = KIND_NAMES.get(attachment["kind"], attachment["kind"])
    return {
        "resourceType": "DocumentReference",
        "status": "current",
        "identifier": [{"system": ATTACHMENT_SYSTEM, "value": attachment["id"]}],
        "type": {"text": text},
        "subject": {"reference": patient_ref},
        "content": [{"attachment": {
            "contentType": attachment["media_type"], "size": attachment["size"], "title": text,
            "url": f"/api/v1/dossiers/{reference}/attachments/{attachment['id']}",
        }}],
    }
