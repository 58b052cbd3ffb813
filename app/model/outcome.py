"""What one data source gave for a person at sign-in: the status vocabulary and `SourceResult`.

Connectors produce these values, the session keeps them, prefill and the dossier content read them: they live in
`model` so that every room may read an outcome without importing the connectors.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from app.model import rights

Source = Literal["c2s", "cnam"]
Status = Literal["ok", "not_found", "unavailable", "refused"]
SOURCES: tuple[str, ...] = typing.get_args(Source)
STATUSES: tuple[str, ...] = typing.get_args(Status)


@dataclass(frozen=True)
class SourceResult:
    """What one data source gave for this person. Health data in `data`: never store beyond the session, never log."""

    source: Source
    status: Status
    reason: str  # short English code for logs, e.g. "c2s_not_found_37003", "cnam_timeout"; never personal data
    data: rights.C2SStatus | rights.CnamRights | None = field(default=None, repr=False)
    retrieved_at: str = ""  # ISO 8601 UTC time of the answer
    partial: bool = False  # CNAM only: the person's rights came, but some beneficiaries or sections are missing

    def __post_init__(self) -> None:
        if self.source not in SOURCES or self.status not in STATUSES:
            raise ValueError("source or status outside its vocabulary")
        expected = (rights.C2SStatus if self.source == "c2s" else rights.CnamRights) if self.status == "ok" else None
        if not isinstance(self.data, expected or type(None)):
            raise ValueError("data must be set exactly when the status is ok, with the source's type")

    def to_dict(self) -> dict[str, Any]:
        """Plain values (msgpack-safe) for the server-side session."""
        return {"source": self.source, "status": self.status, "reason": self.reason,
                "data": None if self.data is None else self.data.to_dict(), "retrieved_at": self.retrieved_at,
                "partial": self.partial}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SourceResult:
        try:
            data_type = {"c2s": rights.C2SStatus, "cnam": rights.CnamRights}[d["source"]]
            data = None if d.get("data") is None else data_type.from_dict(d["data"])
            reason, retrieved_at, partial = d["reason"], d.get("retrieved_at", ""), d.get("partial", False)
            if not (isinstance(reason, str) and isinstance(retrieved_at, str) and isinstance(partial, bool)):
                raise TypeError("reason, retrieved_at or partial has the wrong type")
            return cls(d["source"], d["status"], reason, data, retrieved_at, partial)
        except (KeyError, TypeError, ValueError) as exc:
            # The message names a type, never a value.
            raise rights.InvalidSessionValue(f"cannot rebuild SourceResult: {type(exc).__name__}") from None
