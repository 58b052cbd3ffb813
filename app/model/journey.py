"""A journey's values between two requests: who asked, who the dossier is about, the draft, the receipt.

They are kept in the server-side session (app/sessions.py) as plain values; `from_dict` refuses anything that
does not rebuild the type (an older release's entry, a tampered store) with `InvalidSessionValue`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from app.model.rights import InvalidSessionValue

SELF, OTHER, AYANT_DROIT = "self", "other", "ayant_droit"


def _rebuild(cls: type, build):
    try:
        return build()
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # The message names a type, never a value.
        raise InvalidSessionValue(f"cannot rebuild {cls.__name__}: {type(exc).__name__}") from None


def _optional_str(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError("expected a string")
    return value


@dataclass(frozen=True)
class JourneyContext:
    """Which organisation opened the journey, with its own reference and stay, and whether the person signed in."""

    journey: str
    org: str
    started_at: str  # ISO 8601 UTC
    ref: str | None = None  # the portal's own reference
    stay_date: str | None = None  # pre-admission: YYYY-MM-DD, passed by the hospital
    stay_service: str | None = None
    signed_in: bool = False

    @property
    def key(self) -> str:
        return f"{self.journey}/{self.org}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JourneyContext:
        def build() -> JourneyContext:
            journey, org, started_at = (str(data[name]) for name in ("journey", "org", "started_at"))
            return cls(journey, org, started_at, ref=_optional_str(data.get("ref")),
                       stay_date=_optional_str(data.get("stay_date")),
                       stay_service=_optional_str(data.get("stay_service")),
                       signed_in=data.get("signed_in", False) is True)

        return _rebuild(cls, build)


@dataclass(frozen=True)
class People:
    """Who the dossier is about. `patient`: "self", "other" or "ayant_droit:<i>" (index in the CNAM list)."""

    patient: str = SELF
    covered: tuple[int, ...] = ()  # adhesion: the CNAM beneficiaries to cover, by index
    declared: int = 0  # adhesion: beneficiaries the person types in

    @property
    def patient_kind(self) -> str:
        return self.patient.split(":", 1)[0]

    @property
    def patient_index(self) -> int | None:
        kind, _, index = self.patient.partition(":")
        return int(index) if kind == AYANT_DROIT else None

    def to_dict(self) -> dict[str, Any]:
        return {"patient": self.patient, "covered": list(self.covered), "declared": self.declared}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> People:
        return _rebuild(cls, lambda: cls(patient=str(data.get("patient", SELF)),
                                         covered=tuple(int(i) for i in data.get("covered", ())),
                                         declared=int(data.get("declared", 0))))


@dataclass(frozen=True)
class Draft:
    """What the person typed, validated, and the idempotency key of the dossier it will become (one per draft)."""

    values: Mapping[str, Any] = field(repr=False)  # JSON-safe values by form field name; personal data
    key: str = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"values": dict(self.values), "key": self.key}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Draft:
        def build() -> Draft:
            values, key = data["values"], data["key"]
            if not isinstance(values, Mapping) or not (isinstance(key, str) and key):
                raise TypeError("a draft needs values and a key")
            return cls(values=dict(values), key=key)

        return _rebuild(cls, build)


@dataclass(frozen=True)
class Receipt:
    """What the session keeps of a journey once its dossier is stored: enough to show the receipt again."""

    journey: str
    org: str
    reference: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Receipt:
        return _rebuild(cls, lambda: cls(*(_required_str(data[name]) for name in ("journey", "org", "reference"))))


def _required_str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value
