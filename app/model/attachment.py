"""Attachments (pièces justificatives): their vocabulary and the values the dossiers room hands back.

A file is health or identity data (an identity document, an attestation de droits, a RIB): its bytes and its
name never appear in a repr, a log or an exception message. Its name is what the person's device sent, so it is
attacker-supplied text: shown escaped, never logged.
"""

from __future__ import annotations

import re
import secrets
import typing
from dataclasses import dataclass, field
from typing import Literal

AttachmentKind = Literal["identity_document", "rights_attestation", "c2s_attestation", "mutuelle_card", "convocation",
                         "rib"]
ATTACHMENT_KINDS: tuple[AttachmentKind, ...] = typing.get_args(AttachmentKind)

# What each journey collects, in the order its page offers them. The page moves the attestation de droits first
# when the CNAM did not give the rights, and adds `c2s_attestation` when the C2S status was not certified (see
# app/journeys/attachment_views.py).
KINDS_BY_JOURNEY: dict[str, tuple[AttachmentKind, ...]] = {
    "preadmission": ("identity_document", "rights_attestation", "mutuelle_card", "convocation"),
    "adhesion": ("rib", "rights_attestation"),
}

# What each kind is called, on the person's pages and in the organisation's FHIR documents alike.
KIND_NAMES: dict[AttachmentKind, str] = {
    "identity_document": "Pièce d’identité",
    "rights_attestation": "Attestation de droits à l’Assurance Maladie",
    "c2s_attestation": "Attestation de complémentaire santé solidaire (C2S)",
    "mutuelle_card": "Carte de mutuelle",
    "convocation": "Convocation ou courrier de l’établissement",
    "rib": "Relevé d’identité bancaire (RIB)",
}

MediaType = Literal["application/pdf", "image/jpeg", "image/png"]
MEDIA_TYPES: tuple[MediaType, ...] = typing.get_args(MediaType)

ATTACHMENT_ID_PATTERN = re.compile(r"^att_[0-9a-f]{32}$")


def new_attachment_id() -> str:
    return "att_" + secrets.token_hex(16)


def is_attachment_id(text: str) -> bool:
    return isinstance(text, str) and ATTACHMENT_ID_PATTERN.fullmatch(text) is not None


@dataclass(frozen=True)
class Attachment:
    """One stored file, without its bytes. `name` is the person's file name: untrusted text, never logged."""

    id: str
    kind: AttachmentKind
    media_type: MediaType
    size: int  # bytes, as stored (images are re-encoded)
    sha256: str  # hex digest of the stored bytes
    name: str = field(repr=False)

    def to_content(self) -> dict[str, object]:
        """The attachment's entry in a dossier's content."""
        return {"id": self.id, "kind": self.kind, "media_type": self.media_type, "size": self.size,
                "sha256": self.sha256, "name": self.name}


@dataclass(frozen=True)
class AttachmentFile:
    """An attachment with its decrypted bytes."""

    attachment: Attachment
    data: bytes = field(repr=False)
