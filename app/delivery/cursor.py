"""Opaque pagination cursors: where the previous page ended, bound to its organisation and filters, and HMAC'd.

A cursor is `base64url(JSON) "." base64url(HMAC-SHA256)`. The key is derived from the app's SECRET_KEY, so a
cursor cannot be forged nor moved to another organisation or other filters: any such cursor is refused, which the
API answers with a 400 (invalid-cursor).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass

MAX_LENGTH = 512


class InvalidCursor(ValueError):
    """The cursor was not made by this service for this organisation and these filters."""


@dataclass(frozen=True)
class Position:
    created_at: dt.datetime
    reference: str


class CursorSigner:
    def __init__(self, secret_key: str) -> None:
        self._key = hmac.new(secret_key.encode(), b"droits-connect delivery cursor v1", hashlib.sha256).digest()

    def __repr__(self) -> str:
        return "<CursorSigner>"

    def encode(self, position: Position, *, scope: dict[str, str | None]) -> str:
        payload = json.dumps({"at": position.created_at.isoformat(), "ref": position.reference, "scope": scope},
                             separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def decode(self, cursor: str, *, scope: dict[str, str | None]) -> Position:
        if len(cursor) > MAX_LENGTH or cursor.count(".") != 1:
            raise InvalidCursor("malformed")
        encoded, mac = cursor.split(".")
        try:
            payload = _unb64(encoded)
            valid = hmac.compare_digest(_unb64(mac), self._mac(payload))
        except (binascii.Error, ValueError):
            raise InvalidCursor("malformed") from None
        if not valid:
            raise InvalidCursor("forged")
        data = json.loads(payload)
        if data.get("scope") != scope:
            raise InvalidCursor("other scope")
        return Position(created_at=dt.datetime.fromisoformat(data["at"]), reference=data["ref"])

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("not ASCII")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
