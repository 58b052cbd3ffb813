"""The identité pivot received from FranceConnect.

Personal data: never logged, never shown in a repr. Formats: shared/reference/franceconnect.md §6.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import Any

FRANCE_COG = "99100"
_COG_COMMUNE = re.compile(r"^(?:[0-8][0-9AB]|9[0-8AB])[0-9]{3}$")
_COG_COUNTRY = re.compile(r"^99[0-9]{3}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# france-connect/sources back/libs/rnipp/src/enums/genders.enum.ts: the RNIPP's three values.
GENDERS = ("male", "female", "unspecified")
_MAX_FIRST_NAMES = 20


class InvalidIdentity(ValueError):
    """The claims do not form a usable identity; the message names the claim, never its value."""


@dataclass(frozen=True)
class Identity:
    """A person as certified by FranceConnect (RNIPP identity on FC v2)."""

    sub: str = field(repr=False)
    given_name: str = field(repr=False)  # "" when FranceConnect sent none: the form asks the person
    family_name: str = field(repr=False)
    birthdate: str = field(repr=False)  # YYYY-MM-DD; "presumed" parts are completed with 01
    gender: str = field(repr=False)  # male | female | unspecified, or "" when not sent: the form asks the person
    birthplace: str = field(default="", repr=False)  # INSEE COG commune; "" when born abroad
    birthcountry: str = field(default=FRANCE_COG, repr=False)  # INSEE COG country, 99100 = France
    email: str | None = field(default=None, repr=False)
    preferred_username: str | None = field(default=None, repr=False)  # nom d'usage, optional
    # given_name_array: the civil registry's list, where one first name may hold a space ("Jean Philippe").
    given_names: tuple[str, ...] = field(default=(), repr=False)

    @property
    def born_abroad(self) -> bool:
        return self.birthcountry != FRANCE_COG

    @property
    def first_names(self) -> list[str]:
        """The first names as the registry lists them; split on spaces only when FranceConnect gave no list."""
        return list(self.given_names) if self.given_names else self.given_name.split()

    @property
    def birth_date(self) -> dt.date:
        return dt.date.fromisoformat(self.birthdate)

    def age_on(self, day: dt.date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Identity:
        """Build an identity from userinfo claims, checking each claim's type and format.

        sub, family_name and birthdate anchor the person: without them the sign-in is refused. A missing
        given_name or gender is left for the person to declare on the form (FranceConnect itself refuses such
        identities today, Y600006, but a userinfo is hostile input like any other).
        """
        claim = _Claims(claims)
        birthdate = claim.text("birthdate", required=True)
        if not _DATE.match(birthdate):
            raise InvalidIdentity("claim birthdate is malformed")
        try:
            dt.date.fromisoformat(birthdate)
        except ValueError:
            raise InvalidIdentity("claim birthdate is not a date") from None
        birthcountry = claim.text("birthcountry") or FRANCE_COG
        if not _COG_COUNTRY.match(birthcountry):
            raise InvalidIdentity("claim birthcountry is malformed")
        birthplace = claim.text("birthplace") or ""
        if birthplace and not _COG_COMMUNE.match(birthplace):
            if birthcountry == FRANCE_COG:
                raise InvalidIdentity("claim birthplace is malformed")
            # Born abroad, an identity provider may give the town as text (FC's naissance_etranger_birthplace_texte;
            # FC checks birthplace only for France): no French commune to certify, so it is dropped.
            birthplace = ""
        gender = claim.text("gender") or ""
        if gender and gender not in GENDERS:
            raise InvalidIdentity("claim gender is not a known value")
        return cls(
            sub=claim.text("sub", required=True),
            given_name=claim.text("given_name") or "",
            family_name=claim.text("family_name", required=True),
            birthdate=birthdate,
            gender=gender,
            birthplace=birthplace,
            birthcountry=birthcountry,
            email=claim.text("email") or None,
            preferred_username=claim.text("preferred_username") or None,
            given_names=claim.names("given_name_array"),
        )

    def to_dict(self) -> dict[str, Any]:
        """A plain dict for the server-side session."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Identity:
        values = {k: data.get(k) for k in cls.__dataclass_fields__ if k in data}
        if "given_names" in values:
            values["given_names"] = tuple(values["given_names"] or ())
        return cls(**values)


class _Claims:
    """Typed reads of userinfo claims; messages name the claim, never its value."""

    def __init__(self, claims: dict[str, Any]) -> None:
        self._claims = claims

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self._claims.get(name)
        if value is None or value == "":
            if required:
                raise InvalidIdentity(f"claim {name} is missing")
            return None if value is None else ""
        if not _is_clean_text(value):
            raise InvalidIdentity(f"claim {name} is malformed")
        return value

    def names(self, name: str) -> tuple[str, ...]:
        value = self._claims.get(name)
        if value is None:
            return ()
        if (not isinstance(value, list) or len(value) > _MAX_FIRST_NAMES
                or not all(_is_clean_text(item) for item in value)):
            raise InvalidIdentity(f"claim {name} is malformed")
        return tuple(value)


def _is_clean_text(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 256 and not any(ord(c) < 32 for c in value)
