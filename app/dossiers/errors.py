"""The dossiers room's outcomes. Messages carry references and field names, never content or keys."""

from __future__ import annotations


class DossierError(Exception):
    """Base of the dossiers room's failures; never raised itself."""


class DossierNotFound(DossierError, LookupError):
    """No dossier has this reference (never submitted, or already purged)."""


class DossierDecryptionError(DossierError):
    """The content cannot be decrypted with any configured key: a key was removed too early, or tampering."""


class InvalidDossier(DossierError, ValueError):
    """A submission was refused before reaching the database (unknown journey, content not JSON, ...)."""


class InvalidAuditEvent(DossierError, ValueError):
    """An audit event outside the vocabulary, or a field that could carry personal data."""


class AttachmentNotFound(DossierError, LookupError):
    """No such attachment for this draft or dossier."""


class AttachmentRefused(DossierError, ValueError):
    """A file beyond the caps; `reason` says which: file_too_large, too_many_files, total_too_large."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"attachment refused: {reason}")
        self.reason = reason


class AttachmentsChanged(DossierError):
    """The draft's files are not those the dossier's content lists (one was removed meanwhile)."""
