"""The two values that cross the FranceConnect room: what a sign-in is for, and what it brought back.

A journey (or the start page) builds a `SignInRequest` before the person leaves for FranceConnect; the
FranceConnect room keeps it with its own transaction, requests `scopes` without interpreting them, and hands
the request back to the sign-in hook after the callback. The hook returns a `SignInResult`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.model.identity import Identity
from app.model.journey import JourneyContext
from app.model.outcome import SourceResult
from app.model.rights import InvalidSessionValue


@dataclass(frozen=True)
class SignInRequest:
    next_path: str  # a path of this service, already checked: where the person goes once signed in
    sources: tuple[str, ...] = ()  # the data sources the person agreed to ("c2s", "cnam")
    scopes: tuple[str, ...] = ()  # what FranceConnect is asked for: the identity plus one scope per source
    journey: str | None = None  # "preadmission" | "adhesion" when a journey started the sign-in
    organisation: str | None = None
    recipient: str | None = None  # the SIRET of the organisation receiving the data (API Particulier's recipient)

    def to_dict(self) -> dict[str, Any]:
        return {"next_path": self.next_path, "sources": list(self.sources), "scopes": list(self.scopes),
                "journey": self.journey, "organisation": self.organisation, "recipient": self.recipient}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SignInRequest:
        try:
            next_path = data["next_path"]
            sources, scopes = tuple(data.get("sources") or ()), tuple(data.get("scopes") or ())
            journey, organisation, recipient = data.get("journey"), data.get("organisation"), data.get("recipient")
            texts = (next_path, *sources, *scopes)
            if not all(isinstance(text, str) for text in texts) or not all(
                    value is None or isinstance(value, str) for value in (journey, organisation, recipient)):
                raise TypeError("a sign-in request holds strings only")
            return cls(next_path, sources, scopes, journey, organisation, recipient)
        except (KeyError, TypeError, AttributeError) as exc:
            raise InvalidSessionValue(f"cannot rebuild SignInRequest: {type(exc).__name__}") from None


@dataclass(frozen=True)
class SignInResult:
    identity: Identity = field(repr=False)
    rights: Mapping[str, SourceResult] = field(default_factory=dict, repr=False)  # by source
    journey: JourneyContext | None = None  # the journey this browser opened for the sign-in, now signed in
