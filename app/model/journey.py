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
# What a hospital may say of the stay, and a mutuelle of the offer, in a signed launch link.
STAY_TYPES = ("hospitalisation_complete", "ambulatoire", "seances")
OFFER_FIELDS = ("code", "label", "start_date")


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
class Launch:
    """What an organisation's portal said, verified from its signed launch link."""

    organisation: str
    reference: str  # the portal's own reference for this person's request
    return_url: str  # one of the organisation's registered return URLs
    stay_date: str | None = None  # pre-admission: YYYY-MM-DD
    stay_service: str | None = None
    stay_type: str | None = None  # one of STAY_TYPES
    offer_code: str | None = None  # adhesion: the formula chosen on the portal
    offer_label: str | None = None
    offer_start: str | None = None  # adhesion: the desired start date, YYYY-MM-DD


@dataclass(frozen=True)
class JourneyContext:
    """Which organisation opened the journey and, when its portal signed the link, what it said.

    Only a signed context carries the portal's values: nothing read from an unsigned URL is ever shown or stored
    as coming from the organisation.
    """

    journey: str
    org: str
    started_at: str  # ISO 8601 UTC
    ref: str | None = None  # the portal's own reference
    stay_date: str | None = None  # pre-admission: YYYY-MM-DD, passed by the hospital
    stay_service: str | None = None
    signed_in: bool = False
    signed: bool = False  # opened by a verified launch link
    return_url: str | None = None
    stay_type: str | None = None
    offer_code: str | None = None
    offer_label: str | None = None
    offer_start: str | None = None

    @classmethod
    def from_launch(cls, journey: str, launch: Launch, started_at: str) -> JourneyContext:
        return cls(journey, launch.organisation, started_at, ref=launch.reference, stay_date=launch.stay_date,
                   stay_service=launch.stay_service, signed=True, return_url=launch.return_url,
                   stay_type=launch.stay_type, offer_code=launch.offer_code, offer_label=launch.offer_label,
                   offer_start=launch.offer_start)

    @property
    def key(self) -> str:
        return f"{self.journey}/{self.org}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JourneyContext:
        def build() -> JourneyContext:
            journey, org, started_at = (str(data[name]) for name in ("journey", "org", "started_at"))
            texts = {name: _optional_str(data.get(name)) for name in _OPTIONAL_TEXTS}
            return cls(journey, org, started_at, signed_in=data.get("signed_in", False) is True,
                       signed=data.get("signed", False) is True, **texts)

        return _rebuild(cls, build)


_OPTIONAL_TEXTS = ("ref", "stay_date", "stay_service", "return_url", "stay_type", "offer_code", "offer_label",
                   "offer_start")


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
    reference: str  # the dossier's
    portal_reference: str | None = None  # the portal's own, from a signed launch
    return_url: str | None = None  # where « Retourner sur le site » goes, from a signed launch

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Receipt:
        return _rebuild(cls, lambda: cls(*(_required_str(data[name]) for name in ("journey", "org", "reference")),
                                         portal_reference=_optional_str(data.get("portal_reference")),
                                         return_url=_optional_str(data.get("return_url"))))


def _required_str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value
