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
GENDERS = ("male", "female")


class InvalidIdentity(ValueError):
    """The claims do not form a usable identity; the message names the claim, never its value."""


@dataclass(frozen=True)
class Identity:
    """A person as certified by FranceConnect (RNIPP identity on FC v2)."""

    sub: str = field(repr=False)
    given_name: str = field(repr=False)
    family_name: str = field(repr=False)
    birthdate: str = field(repr=False)  # YYYY-MM-DD; "presumed" parts are completed with 01
    gender: str = field(repr=False)  # male | female (FranceConnect may also send other values)
    birthplace: str = field(default="", repr=False)  # INSEE COG commune; "" when born abroad
    birthcountry: str = field(default=FRANCE_COG, repr=False)  # INSEE COG country, 99100 = France
    email: str | None = field(default=None, repr=False)
    preferred_username: str | None = field(default=None, repr=False)  # nom d'usage, optional

    @property
    def born_abroad(self) -> bool:
        return self.birthcountry != FRANCE_COG

    @property
    def first_names(self) -> list[str]:
        return self.given_name.split()

    @property
    def birth_date(self) -> dt.date:
        return dt.date.fromisoformat(self.birthdate)

    def age_on(self, day: dt.date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Identity:
        """Build an identity from userinfo claims, checking each claim's type and format."""

        def text(name: str, *, required: bool) -> str | None:
            value = claims.get(name)
            if value is None or value == "":
                if required:
                    raise InvalidIdentity(f"claim {name} is missing")
                return None if value is None else ""
            if not isinstance(value, str) or len(value) > 256 or any(ord(c) < 32 for c in value):
                raise InvalidIdentity(f"claim {name} is malformed")
            return value

        sub = text("sub", required=True)
        birthdate = text("birthdate", required=True)
        if not _DATE.match(birthdate):
            raise InvalidIdentity("claim birthdate is malformed")
        try:
            dt.date.fromisoformat(birthdate)
        except ValueError:
            raise InvalidIdentity("claim birthdate is not a date") from None
        birthcountry = text("birthcountry", required=False) or FRANCE_COG
        if not _COG_COUNTRY.match(birthcountry):
            raise InvalidIdentity("claim birthcountry is malformed")
        birthplace = text("birthplace", required=False) or ""
        if birthplace and not _COG_COMMUNE.match(birthplace):
            raise InvalidIdentity("claim birthplace is malformed")
        gender = text("gender", required=True)
        return cls(
            sub=sub,
            given_name=text("given_name", required=True),
            family_name=text("family_name", required=True),
            birthdate=birthdate,
            gender=gender,
            birthplace=birthplace,
            birthcountry=birthcountry,
            email=text("email", required=False) or None,
            preferred_username=text("preferred_username", required=False) or None,
        )

    def to_dict(self) -> dict[str, Any]:
        """A plain dict for the server-side session."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Identity:
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if k in data})
