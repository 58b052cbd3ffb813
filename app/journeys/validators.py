"""Checks of what a person types: NIR, IBAN, phone, postal code, names, dates, and hostile text.

Each `clean_*` function is pure: it returns the normalised value or raises `InvalidValue` with a short code.
The WTForms validators below wrap them for the forms, with the French message shown next to the field; a
message never repeats the value (it may be markup or personal data).
"""

from __future__ import annotations

import datetime as dt
import re

import phonenumbers
from stdnum import iban as stdnum_iban
from wtforms.validators import StopValidation, ValidationError

from app.connectors.nir import InvalidNir, validate_nir

# C0 and C1 controls, DEL, and the invisible or bidirectional marks used to disguise text (Trojan Source).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
# Latin letters with the accents and ligatures of French and its neighbours; a name starts with a letter.
_LETTERS = "A-Za-zÀ-ÖØ-öø-ÿŒœŸ"
_NAME = re.compile(rf"[{_LETTERS}](?:[{_LETTERS}' ’-]*[{_LETTERS}'’])?")
# The departments of metropolitan France (Corsica kept its 20xxx codes), the DOM 971-976, Monaco (980) and
# the Pacific collectivities (986-988). 00, 96, 977-979 and 981-985 start no postal code.
_POSTAL_CODE = re.compile(r"(?:0[1-9]|[1-8][0-9]|9[0-5])[0-9]{3}|97[1-6][0-9]{2}|98(?:0|[6-8])[0-9]{2}")
# Countries of the SEPA scheme (EPC list): the EEA, Switzerland, the United Kingdom, Monaco, San Marino,
# Andorra, the Vatican, and the Crown dependencies and Gibraltar.
SEPA_COUNTRIES = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE "
    "IS LI NO CH GB MC SM AD VA GI GG JE IM".split()
)
# France and the overseas territories with their own country codes, tried in this order for national numbers.
PHONE_REGIONS = ("FR", "RE", "GP", "MQ", "GF", "YT", "PM", "BL", "MF", "NC", "PF", "WF")
_PHONE_TYPES = frozenset({
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    phonenumbers.PhoneNumberType.VOIP,  # 09 numbers: the landline of an internet box
})
OLDEST_BIRTH_DATE = dt.date(1900, 1, 1)


class InvalidValue(ValueError):
    """The value is refused; `args[0]` is a short code, never the value."""


def has_control_characters(text: str) -> bool:
    return bool(_CONTROL.search(text))


def strip_control_characters(text: str) -> str:
    return _CONTROL.sub("", text)


def clean_name(text: str) -> str:
    text = " ".join(text.split())
    if not _NAME.fullmatch(text):
        raise InvalidValue("characters")
    return text


def clean_nir(text: str) -> str:
    """15 characters once spaces are removed, with its key; Corsica's 2A/2B count as 19/18 (stdnum)."""
    try:
        return validate_nir(text.replace(" ", "").upper())
    except InvalidNir as error:
        raise InvalidValue(error.reason) from None


def clean_iban(text: str) -> str:
    compact = text.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", compact):
        raise InvalidValue("format")
    if compact[:2] not in SEPA_COUNTRIES:
        raise InvalidValue("country")
    if not stdnum_iban.is_valid(compact):
        raise InvalidValue("key")
    return compact


def clean_phone(text: str) -> str:
    """A French mobile or fixed number (metropolitan or overseas), in E.164."""
    if len(text) > 30 or not re.fullmatch(r"[0-9+ .()-]+", text):
        raise InvalidValue("format")
    regions = ("FR",) if text.lstrip().startswith(("+", "00")) else PHONE_REGIONS
    for region in regions:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if (phonenumbers.is_valid_number(number)
                and phonenumbers.region_code_for_number(number) in PHONE_REGIONS
                and phonenumbers.number_type(number) in _PHONE_TYPES):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise InvalidValue("number")


def clean_postal_code(text: str) -> str:
    compact = text.replace(" ", "")
    if not _POSTAL_CODE.fullmatch(compact):
        raise InvalidValue("format")
    return compact


def is_minor(born: dt.date, day: dt.date) -> bool:
    """Under 18 on `day`."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day)) < 18


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day (31 January + 1 month = 28/29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


# WTForms validators ------------------------------------------------------------------------------------------

class MaxLength:
    """Stops the chain: a 10 000-character value gets one message and no further parsing."""

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum

    def __call__(self, form, field) -> None:
        if isinstance(field.data, str) and len(field.data) > self.maximum:
            raise StopValidation(f"Ce champ ne doit pas dépasser {self.maximum} caractères.")


class NoControlCharacters:
    def __call__(self, form, field) -> None:
        for value in field.raw_data or ():
            if isinstance(value, str) and has_control_characters(value):
                raise StopValidation("Ce champ contient des caractères non autorisés (caractères invisibles ou "
                                     "de contrôle).")


class _Cleaning:
    """Replace the field's data by its normalised form, or show the message of the refusal's code."""

    clean = staticmethod(lambda text: text)
    messages: dict[str, str] = {}

    def __call__(self, form, field) -> None:
        if not field.data:
            return
        try:
            field.data = self.clean(field.data)
        except InvalidValue as refusal:
            raise ValidationError(self.messages[refusal.args[0]]) from None


class Name(_Cleaning):
    clean = staticmethod(clean_name)
    messages = {"characters": "Utilisez uniquement des lettres (accents compris), des espaces, des tirets ou "
                              "des apostrophes."}


class Nir(_Cleaning):
    clean = staticmethod(clean_nir)
    messages = {
        "format": "Saisissez les 15 caractères du numéro de sécurité sociale, clé comprise "
                  "(par exemple 2 62 08 75 107 901 69).",
        "key": "Ce numéro de sécurité sociale n’est pas valide : vérifiez les chiffres et la clé (les 2 derniers).",
    }


class Iban(_Cleaning):
    clean = staticmethod(clean_iban)
    messages = {
        "format": "Saisissez un IBAN complet, par exemple FR76 3000 6000 0112 3456 7890 189.",
        "country": "Cet IBAN n’est pas celui d’un pays de la zone SEPA.",
        "key": "Cet IBAN n’est pas valide : vérifiez les chiffres et la clé (les 2 chiffres après le code pays).",
    }


class FrenchPhone(_Cleaning):
    clean = staticmethod(clean_phone)
    messages = {
        "format": "Saisissez un numéro de téléphone, par exemple 06 12 34 56 78.",
        "number": "Saisissez un numéro de téléphone fixe ou mobile français valide, par exemple 06 12 34 56 78.",
    }


class PostalCode(_Cleaning):
    clean = staticmethod(clean_postal_code)
    messages = {"format": "Saisissez un code postal français de 5 chiffres, par exemple 75007."}


class DateBetween:
    """`earliest`/`latest` are callables, so the bounds follow the day the form is checked, not the import."""

    def __init__(self, earliest, latest, *, too_early: str, too_late: str) -> None:
        self.earliest, self.latest = earliest, latest
        self.too_early, self.too_late = too_early, too_late

    def __call__(self, form, field) -> None:
        if field.data is None:
            return
        if self.earliest is not None and field.data < self.earliest():
            raise ValidationError(self.too_early)
        if self.latest is not None and field.data > self.latest():
            raise ValidationError(self.too_late)
