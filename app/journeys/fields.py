"""Field factories for the journeys' forms: every text field stripped, bounded and free of control characters
before any other check, dates as `<input type="date">` sends them, choices checked in French.
"""

from __future__ import annotations

import datetime as dt
import re

from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional, StopValidation, ValidationError

from app.journeys import labels
from app.journeys import validators as check

_ADDRESS = r"[0-9A-Za-zÀ-ÖØ-öø-ÿŒœŸ ,.'’°/-]*"
REQUIRED = "Ce champ est obligatoire."
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _chain(required: bool, maximum: int, message: str = REQUIRED) -> list:
    return [DataRequired(message) if required else Optional(), check.MaxLength(maximum), check.NoControlCharacters()]


class Pattern:
    def __init__(self, pattern: str, message: str) -> None:
        self.pattern, self.message = re.compile(pattern), message

    def __call__(self, form, field) -> None:
        if field.data and not self.pattern.fullmatch(field.data):
            raise ValidationError(self.message)


def text_field(field_name: str, *extra, required: bool = True, maximum: int = 100, label: str = "") -> StringField:
    return StringField(label or labels.FIELDS[field_name], validators=[*_chain(required, maximum), *extra],
                       filters=[_strip])


def name_field(field_name: str, *, required: bool = True, label: str = "") -> StringField:
    return text_field(field_name, check.Name(), required=required, label=label)


def address_field(field_name: str, *, required: bool = True, maximum: int = 150) -> StringField:
    message = "Utilisez des lettres, des chiffres, des espaces et la ponctuation d’une adresse (, . ' - /)."
    return text_field(field_name, Pattern(_ADDRESS, message), required=required, maximum=maximum)


class PhoneField(StringField):
    """Kept in E.164 (+33612345678) but shown back as people write it in France (06 12 34 56 78)."""

    def _value(self) -> str:
        value = super()._value()
        if isinstance(value, str) and len(value) == 12 and value.startswith("+33") and value[1:].isdigit():
            return f"0{value[3]} " + " ".join(value[i:i + 2] for i in range(4, 12, 2))
        return value


def phone_field(field_name: str, *, required: bool = True) -> StringField:
    return PhoneField(labels.FIELDS[field_name], validators=[*_chain(required, 30), check.FrenchPhone()],
                      filters=[_strip])


class IsoDateField(DateField):
    """A date as `<input type="date">` sends it (YYYY-MM-DD); an empty value is None, left to the validators."""

    def process_formdata(self, valuelist):
        if valuelist and not valuelist[0].strip():
            self.data = None
            return
        if valuelist and not _ISO_DATE.fullmatch(valuelist[0].strip()):
            # strptime's %Y takes any Unicode digit (full-width １９８０, Arabic-Indic): ASCII digits only.
            self.data = None
            raise ValueError("Saisissez une date valide, au format jour/mois/année.")
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Saisissez une date valide, au format jour/mois/année.") from None


class DateRequired:
    """Like DataRequired, but keeps the parsing error ("not a date") instead of replacing it by "required"."""

    field_flags = {"required": True}

    def __call__(self, form, field) -> None:
        if field.process_errors:
            raise StopValidation()
        if field.data is None:
            raise StopValidation(REQUIRED)


def date_field(field_name: str, *, required: bool = True, earliest=None, latest=None, too_early="", too_late="",
               label: str = "") -> IsoDateField:
    bounds = check.DateBetween(earliest, latest, too_early=too_early, too_late=too_late)
    return IsoDateField(label or labels.FIELDS[field_name], format="%Y-%m-%d",
                        validators=[DateRequired() if required else Optional(), bounds])


def choice_field(field_name: str, options: dict[str, str], *, required: bool = True, label: str = "") -> SelectField:
    # validate_choice=False: `_Common.validate` checks the answer against `choices_of`, with a French message.
    choices = [SelectChoice("", "Choisir"), *(SelectChoice(value, text) for value, text in options.items())]
    return SelectField(label or labels.FIELDS[field_name], choices=choices,
                       validators=[DataRequired(REQUIRED) if required else Optional(), check.NoControlCharacters()],
                       validate_choice=False)


def consent_field(field_name: str, message: str) -> BooleanField:
    return BooleanField(labels.FIELDS[field_name], validators=[DataRequired(message)])


def birth_date_field(label: str = "") -> IsoDateField:
    return date_field("birth_date", label=label, earliest=lambda: check.OLDEST_BIRTH_DATE, latest=dt.date.today,
                      too_early="La date de naissance doit être postérieure au 1er janvier 1900.",
                      too_late="La date de naissance ne peut pas être dans le futur.")
