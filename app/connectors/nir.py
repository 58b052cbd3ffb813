"""The one NIR (numéro de sécurité sociale) check: before a NIR goes into the CNAM `nir` request header, when
the CNAM returns one, and when a person types one (journeys.validators compacts it first).

Personal data: error messages never include the value.
"""

from __future__ import annotations

import re

from stdnum.fr import nir as stdnum_nir

# Exactly 15 ASCII characters: sex, year, month, department (digits or the Corsican 2A/2B), commune, serial, key.
# stdnum's own `compact` strips spaces and dots and upper-cases; we accept none of that in a header value,
# so the strict shape is checked here first. `[0-9]` (not `\d`) keeps non-ASCII digits out.
_SHAPE = re.compile(r"[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{8}")
# The same without the two key digits: the "NIR à 13 caractères" many registers store.
_SHAPE_13 = re.compile(r"[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{6}")


class InvalidNir(ValueError):
    """The value is not a well-formed NIR; the message never contains the value.

    `reason` is "format" (not 15 characters of the expected shape) or "key" (the check digits do not match).
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def validate_nir(value: object) -> str:
    """Return the NIR unchanged if it is 15 characters with a valid key (Corsica 2A/2B counted as 19/18)."""
    if not isinstance(value, str) or not _SHAPE.fullmatch(value):
        raise InvalidNir("NIR is not 15 characters of the expected shape", reason="format")
    # stdnum maps 2A → 19 and 2B → 18 before the mod-97 key computation.
    if not stdnum_nir.is_valid(value):
        raise InvalidNir("NIR key does not match", reason="key")
    return value


def full_nir(value: object) -> str:
    """The 15-character NIR of a 13- or 15-character one: the key is computed for 13, checked for 15.

    The CNAM's OpenAPI types `nir` as a bare string; whether its `/me` gives 13 or 15 characters is not documented,
    so both are read (data-providers.md B.5, UNCONFIRMED).
    """
    if isinstance(value, str) and _SHAPE_13.fullmatch(value):
        return value + stdnum_nir.calc_check_digits(value)
    return validate_nir(value)


def is_valid_nir(value: object) -> bool:
    try:
        validate_nir(value)
    except InvalidNir:
        return False
    return True
