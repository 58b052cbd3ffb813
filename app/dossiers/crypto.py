"""Encryption at rest of dossier content: Fernet (AES-128-CBC + HMAC-SHA256) through MultiFernet.

The first key encrypts new writes; every key decrypts, so a new key can be put first and the old one kept
until `rekey` has re-encrypted every dossier (https://cryptography.io/en/latest/fernet/#cryptography.fernet.MultiFernet).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.dossiers.errors import DossierDecryptionError, InvalidDossier
from app.dossiers.models import Dossier

log = logging.getLogger(__name__)

REKEY_BATCH = 200


def canonical_json(content: dict[str, Any]) -> bytes:
    """One byte string per content: sorted keys, no spaces, UTF-8; refuses what JSON cannot carry."""
    if not isinstance(content, dict):
        raise InvalidDossier("dossier content must be a JSON object (dict)")
    try:
        return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        # The message names the offending type (e.g. "Object of type date"), never a value.
        raise InvalidDossier(f"dossier content is not JSON-serialisable: {type(exc).__name__}") from None


class DossierCipher:
    """Encrypts a content dict into a token and back. Holds keys: never logged, never in a repr."""

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if not keys:
            raise ValueError("at least one Fernet key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def __repr__(self) -> str:
        return "<DossierCipher>"

    def encrypt(self, content: dict[str, Any]) -> bytes:
        return self._fernet.encrypt(canonical_json(content))

    def decrypt(self, token: bytes) -> dict[str, Any]:
        try:
            plaintext = self._fernet.decrypt(bytes(token))
        except InvalidToken:
            # `from None`: the chained traceback would only repeat that no key matched.
            raise DossierDecryptionError("dossier content cannot be decrypted with the configured keys") from None
        return json.loads(plaintext)

    def encrypt_bytes(self, data: bytes) -> bytes:
        """An attachment's bytes, or its metadata, encrypted like a dossier's content."""
        return self._fernet.encrypt(bytes(data))

    def decrypt_bytes(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(bytes(token))
        except InvalidToken:
            raise DossierDecryptionError("an attachment cannot be decrypted with the configured keys") from None

    def rotate(self, token: bytes) -> bytes:
        """The same content encrypted with the first key."""
        try:
            return self._fernet.rotate(bytes(token))
        except InvalidToken:
            raise DossierDecryptionError("dossier content cannot be decrypted with the configured keys") from None


def rekey(session: Session, cipher: DossierCipher) -> int:
    """Re-encrypt every dossier with the first key, committing by batches; return how many were re-encrypted.

    Safe to interrupt and run again: a token already under the first key is simply re-encrypted. A dossier that
    no key decrypts stops the run (DossierDecryptionError naming its reference) before any key is retired.
    """
    count = 0
    last_id = ""
    while True:
        batch = session.scalars(
            select(Dossier).where(Dossier.id > last_id).order_by(Dossier.id).limit(REKEY_BATCH)
        ).all()
        if not batch:
            return count
        for dossier in batch:
            try:
                dossier.content = cipher.rotate(dossier.content)
            except DossierDecryptionError:
                reference = dossier.reference
                session.rollback()
                raise DossierDecryptionError(
                    f"dossier {reference} cannot be decrypted with the configured keys"
                ) from None
        last_id = batch[-1].id
        session.commit()
        count += len(batch)
        log.info("re-encrypted %d dossier(s) so far", count)
