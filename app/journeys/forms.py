"""The journeys' forms (Flask-WTF: CSRF on every POST) and their server-side rules.

A form class holds every field a person could type; the view asks with a class without the ones the prefill
certifies (`asking`), so a certified value is never even bound to a request. Errors are French sentences that
never repeat the value.
"""

from __future__ import annotations

import datetime as dt
import functools

from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField
from wtforms.i18n import get_translations
from wtforms.validators import DataRequired, Email, Optional, ValidationError

from app.geography.communes import Communes
from app.journeys import labels, presentation
from app.journeys import validators as check
from app.journeys.fields import (
    Pattern,
    address_field,
    birth_date_field,
    choice_field,
    consent_field,
    date_field,
    name_field,
    phone_field,
    text_field,
)

MAX_DECLARED_BENEFICIARIES = 5
# The order of the fields on the pages (templates/journeys/*_form.html), which the error summary follows.
_IDENTITY = ("birth_name", "usage_name", "first_names", "sex", "birth_date")
_CONTACT = ("address", "address_complement", "postal_code", "city", "city_code", "phone", "email")
_INSURANCE = ("nir", "regime", "caisse")
_CONSENTS = ("consent_accuracy", "consent_transmission")
PREADMISSION_ORDER = (
    *_IDENTITY, "birth_place", "birth_country", *_CONTACT, *_INSURANCE, "amo_start", "amo_end", "exoneration",
    "c2s", "complementary_name", "complementary_number", "medecin_traitant", "emergency_who", "emergency_name",
    "emergency_phone", "emergency_link", "trusted_same", "trusted_name", "trusted_phone", "guardian1_who",
    "guardian1_name", "guardian1_phone", "guardian2_name", "guardian2_phone", *_CONSENTS,
)


def adhesion_order(declared: int) -> tuple[str, ...]:
    typed = tuple(f"ben{i}_{name}" for i in range(declared)
                  for name in ("link", "birth_name", "first_names", "birth_date", "nir"))
    return (*_IDENTITY, *_CONTACT, *_INSURANCE, *typed, "c2s", "start_date", "previous_insurer", "iban",
            "account_holder", "consent_sepa", "consent_noemie", *_CONSENTS)
_FRENCH = get_translations(["fr_FR", "fr"])


class JourneyForm(FlaskForm):
    class Meta:
        def get_translations(self, form):
            # WTForms' own French catalogue for the few built-in messages we do not word ourselves.
            return _FRENCH

        def render_field(self, field, render_kw):
            # The same HTML as WTForms' widgets, without formatting each attribute through `Markup.format`: a
            # third of the form page's rendering. A field with its own `render_kw`, or a widget we do not write,
            # is rendered by WTForms.
            if getattr(field, "render_kw", None) is None:
                html = presentation.widget_html(field, presentation.clean_keys(render_kw))
                if html is not None:
                    return Markup(html)
            return super().render_field(field, render_kw)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # The page shown again with its errors must not carry invisible characters back (a bidi override would
        # disguise the value): they are refused above, and dropped from what is redisplayed.
        for field in self:
            raw = field.raw_data or []
            if any(isinstance(v, str) and check.has_control_characters(v) for v in raw):
                field.raw_data = [check.strip_control_characters(v) if isinstance(v, str) else v for v in raw]
                if isinstance(field.data, str):
                    field.data = check.strip_control_characters(field.data)
        return valid


class _Common(JourneyForm):
    """Identity, contact, insurance and consents: what both journeys ask."""

    birth_name = name_field("birth_name")
    usage_name = name_field("usage_name", required=False)
    first_names = name_field("first_names")
    sex = choice_field("sex", labels.SEXES)
    birth_date = birth_date_field()
    address = address_field("address")
    address_complement = address_field("address_complement", required=False)
    postal_code = text_field("postal_code", check.PostalCode(), maximum=10)
    city = address_field("city", maximum=80)  # typed only where the communes' data is not installed
    # Otherwise chosen among the communes of the postal code (`offer_communes`); its INSEE code is kept.
    city_code = SelectField(labels.FIELDS["city"], choices=[], validate_choice=False,
                            validators=[Optional(), check.NoControlCharacters()])
    phone = phone_field("phone")
    email = text_field("email", Email("Saisissez une adresse électronique valide, par exemple nom@exemple.fr.",
                                check_deliverability=False), maximum=254)
    nir = text_field("nir", check.Nir(), maximum=25)
    regime = choice_field("regime", labels.REGIMES)
    caisse = address_field("caisse", maximum=100)
    c2s = choice_field("c2s", labels.C2S_DECLARED)
    consent_accuracy = consent_field("consent_accuracy", "Cochez cette case pour attester l’exactitude du dossier.")
    consent_transmission = consent_field("consent_transmission",
                                         "Cochez cette case pour que le dossier soit transmis.")

    choices_of = {"sex": labels.SEXES, "regime": labels.REGIMES, "c2s": labels.C2S_DECLARED}
    communes: Communes | None = None  # set by `offer_communes`
    city_name: str | None = None  # the chosen commune's name, once checked

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field_name, options in self.choices_of.items():
            field = self._fields.get(field_name)
            if field is not None and field.data and field.data not in options:
                field.errors = [*field.errors, "Choisissez une des réponses proposées."]
                valid = False
        return all([self.check_commune(), self.rules()]) and valid

    def offer_communes(self, communes: Communes) -> None:
        """The commune's choices: the communes of the postal code as typed; when there is one, it is chosen."""
        self.communes = communes
        field = self._fields.get("city_code")
        if field is None:
            return
        found = self._communes_of_postal_code()
        field.choices = [SelectChoice("", "Choisir"), *(SelectChoice(c.code, c.name) for c in found)]
        if len(found) == 1 and not field.data:
            field.data = found[0].code

    def _communes_of_postal_code(self) -> tuple:
        field = self._fields.get("postal_code")
        if self.communes is None or field is None or not isinstance(field.data, str):
            return ()
        try:
            return self.communes.for_postal_code(check.clean_postal_code(field.data))
        except check.InvalidValue:
            return ()

    def find_communes(self) -> bool:
        """« Trouver la commune »: only the postal code is checked, so the page comes back with its communes."""
        postal_code = self._fields.get("postal_code")
        if postal_code is None or not postal_code.validate(self):
            return False
        return self.check_commune(choosing=True)

    def check_commune(self, *, choosing: bool = False) -> bool:
        """The commune must be one of the postal code's: a code from elsewhere, or made up, is refused."""
        field, postal_code = self._fields.get("city_code"), self._fields.get("postal_code")
        if field is None or self.communes is None or postal_code is None or postal_code.errors or not postal_code.data:
            return True
        if field.errors:
            return False
        found = {commune.code: commune for commune in self.communes.for_postal_code(postal_code.data)}
        if not found:
            postal_code.errors = [*postal_code.errors, "Aucune commune ne correspond à ce code postal : vérifiez-le."]
            return False
        if not field.data and len(found) == 1:
            field.data = next(iter(found))
        if not field.data:
            if not choosing:
                field.errors = [*field.errors, "Plusieurs communes ont ce code postal : choisissez la vôtre."]
            return choosing
        if field.data not in found:
            field.data = None
            field.errors = [*field.errors, "Choisissez une commune de ce code postal."]
            return False
        self.city_name = found[field.data].name
        return True

    def rules(self) -> bool:
        return True

    def require_together(self, *names: str) -> bool:
        """When one of these fields is filled, the others are needed too."""
        fields = [self._fields[n] for n in names if n in self._fields]
        if not any(f.data for f in fields):
            return True
        missing = [f for f in fields if not f.data and not f.errors]
        for f in missing:
            f.errors = [*f.errors, "Complétez aussi ce champ."]
        return not missing


class PreadmissionForm(_Common):
    birth_place = address_field("birth_place", required=False, maximum=80)
    birth_country = name_field("birth_country")
    amo_start = date_field("amo_start", required=False)
    amo_end = date_field("amo_end", required=False)
    exoneration = choice_field("exoneration", labels.EXONERATION, required=False)
    complementary_name = address_field("complementary_name", required=False, maximum=100)
    complementary_number = text_field("complementary_number",
                                      Pattern(r"[A-Za-z0-9 ./-]*", "Utilisez des lettres et des chiffres."),
                                      required=False, maximum=40)
    medecin_traitant = name_field("medecin_traitant", required=False)
    # Offered when the signed-in parent admits their child: « Vous-même » names them with the contact phone.
    emergency_who = RadioField(labels.FIELDS["emergency_who"], choices=[SelectChoice(w, w) for w in labels.WHO],
                               validate_choice=False)
    emergency_name = name_field("emergency_name")
    emergency_phone = phone_field("emergency_phone")
    emergency_link = choice_field("emergency_link", labels.EMERGENCY_LINKS)
    trusted_same = BooleanField(labels.FIELDS["trusted_same"])
    trusted_name = name_field("trusted_name", required=False)
    trusted_phone = phone_field("trusted_phone", required=False)
    guardian1_who = RadioField(labels.FIELDS["guardian1_who"], choices=[SelectChoice(w, w) for w in labels.WHO],
                               validate_choice=False)
    guardian1_name = name_field("guardian1_name", required=False)
    guardian1_phone = phone_field("guardian1_phone", required=False)
    guardian2_name = name_field("guardian2_name", required=False)
    guardian2_phone = phone_field("guardian2_phone", required=False)

    choices_of = {**_Common.choices_of, "exoneration": labels.EXONERATION, "emergency_link": labels.EMERGENCY_LINKS}
    rendered_order = PREADMISSION_ORDER
    # Set by the view: the certified birth date when there is one, and the day the patient's age is counted on.
    certified_birth_date: dt.date | None = None
    reference_day: dt.date | None = None

    def validate(self, extra_validators=None) -> bool:
        # What a choice stands for is not typed: the fields it hides are neither required nor read.
        unread = {"emergency_who": ("emergency_name", "emergency_phone", "emergency_link"),
                  "guardian1_who": ("guardian1_name", "guardian1_phone"),
                  "trusted_same": ("trusted_name", "trusted_phone")}
        for choice, names in unread.items():
            if self.chosen(choice):
                for name in names:
                    if name in self._fields:
                        field = self._fields[name]
                        field.validators, field.data, field.raw_data = [Optional()], None, []
        return super().validate(extra_validators)

    def chosen(self, name: str) -> bool:
        """The choice `name` names the signed-in parent (« Vous-même ») or the personne à prévenir again."""
        field = self._fields.get(name)
        return field is not None and field.data in ("declarant", True)

    def patient_is_minor(self) -> bool | None:
        field = self._fields.get("birth_date")
        born = field.data if field is not None else self.certified_birth_date
        return check.is_minor(born, self.reference_day or dt.date.today()) if born else None

    def rules(self) -> bool:
        valid = True
        for name in ("emergency_who", "guardian1_who"):
            field = self._fields.get(name)
            if field is not None and field.data not in labels.WHO:
                field.errors = [*field.errors, "Choisissez une des réponses proposées."]
                valid = False
        if self.patient_is_minor() and "guardian1_name" in self._fields and not self.chosen("guardian1_who"):
            for field_name in ("guardian1_name", "guardian1_phone"):
                field = self._fields[field_name]
                if not field.data and not field.errors:
                    field.errors = [*field.errors, "Pour un patient mineur, indiquez au moins un titulaire de "
                                                   "l’autorité parentale."]
                    valid = False
        if self.patient_is_minor() and "trusted_name" in self._fields:
            # The birth date was typed on this page: the law reserves the personne de confiance to adults.
            for field_name in ("trusted_same", "trusted_name", "trusted_phone"):
                field = self._fields.get(field_name)
                if field is not None and field.data and not field.errors:
                    field.errors = [*field.errors, "Un patient mineur ne désigne pas de personne de confiance : "
                                                   "laissez ce champ vide."]
                    valid = False
        valid = all([self.require_together("trusted_name", "trusted_phone"),
                     self.require_together("guardian1_name", "guardian1_phone"),
                     self.require_together("guardian2_name", "guardian2_phone"),
                     self.require_together("complementary_number", "complementary_name")]) and valid
        start, end = self._fields.get("amo_start"), self._fields.get("amo_end")
        if start is not None and end is not None and start.data and end.data and end.data < start.data:
            end.errors = [*end.errors, "La date de fin doit être postérieure à la date de début."]
            valid = False
        return valid


class _Adhesion(_Common):
    # Rule: from today (a mutuelle may start cover the day it accepts) to 12 months ahead (its offer's horizon).
    start_date = date_field("start_date", earliest=dt.date.today,
                            latest=lambda: check.add_months(dt.date.today(), 12),
                            too_early="La date de début ne peut pas être dans le passé.",
                            too_late="La date de début doit être dans les 12 prochains mois.")
    iban = text_field("iban", check.Iban(), maximum=50)
    account_holder = name_field("account_holder")
    consent_sepa = consent_field("consent_sepa", "Cochez cette case pour autoriser le prélèvement des cotisations.")
    previous_insurer = address_field("previous_insurer", required=False, maximum=100)
    # Optional: without it the person sends the mutuelle their statements themselves.
    consent_noemie = BooleanField(labels.FIELDS["consent_noemie"])
    declared_count = 0  # how many ben<i>_… blocks `adhesion_form` added

    def rules(self) -> bool:
        valid = True
        for index in range(self.declared_count):
            link = self._fields[f"ben{index}_link"]
            if link.data and link.data not in labels.DECLARED_LINKS:
                link.errors = [*link.errors, "Choisissez une des réponses proposées."]
                valid = False
        return valid


@functools.cache
def adhesion_form(declared: int) -> type[_Adhesion]:
    """The adhesion form with `declared` beneficiaries to type in (ben0_…, ben1_…)."""
    fields: dict = {"declared_count": declared, "rendered_order": adhesion_order(declared)}
    for i in range(declared):
        # The person's number in every label, so the error summary says whose field it is.
        number = f" (personne ajoutée {i + 1})"
        fields[f"ben{i}_link"] = choice_field("link", {k: labels.LINKS[k] for k in labels.DECLARED_LINKS},
                                              label=labels.FIELDS["link"] + number)
        fields[f"ben{i}_birth_name"] = name_field("birth_name", label=labels.FIELDS["birth_name"] + number)
        fields[f"ben{i}_first_names"] = name_field("first_names", label=labels.FIELDS["first_names"] + number)
        fields[f"ben{i}_birth_date"] = birth_date_field(label=labels.FIELDS["birth_date"] + number)
        fields[f"ben{i}_nir"] = text_field("nir", check.Nir(), required=False, maximum=25,
                                           label=labels.FIELDS["nir"] + number)
    return type(f"AdhesionForm{declared}", (_Adhesion,), fields)


class PatientForm(JourneyForm):
    """Pre-admission: who is being admitted. The view sets the choices."""

    patient = RadioField("Qui va être hospitalisé ?", choices=[], validate_choice=False,
                         validators=[DataRequired("Indiquez qui va être hospitalisé.")])

    def validate_patient(self, field) -> None:
        if field.data not in {choice.value for choice in self.patient.choices}:
            raise ValidationError("Choisissez une des personnes proposées.")


class CoverageForm(JourneyForm):
    """Adhesion: which CNAM beneficiaries to cover, and how many others to type in. The view sets the choices."""

    covered = SelectMultipleField("Personnes à couvrir", choices=[], validate_choice=False)
    declared = SelectField("Nombre de personnes à ajouter vous-même",
                           choices=[SelectChoice(str(i)) for i in range(MAX_DECLARED_BENEFICIARIES + 1)],
                           default="0", validate_choice=False)

    def validate_covered(self, field) -> None:
        allowed = {choice.value for choice in self.covered.choices}
        if len(set(field.data or ())) != len(field.data or ()) or not set(field.data or ()) <= allowed:
            raise ValidationError("Choisissez parmi les personnes proposées.")

    def validate_declared(self, field) -> None:
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError("Choisissez un nombre entre 0 et 5.")


@functools.cache  # one entry per form class, a fixed set
def field_names(form_class: type[JourneyForm]) -> frozenset[str]:
    """The names of the fields a form class declares (its CSRF token aside)."""
    return frozenset(name for name in dir(form_class)
                     if not name.startswith("_") and isinstance(getattr(form_class, name), UnboundField))


@functools.lru_cache(maxsize=256)
def asking(form_class: type[JourneyForm], left_out: frozenset[str]) -> type[JourneyForm]:
    """`form_class` without the fields named in `left_out` (WTForms drops a field set to None in a subclass).

    Binding a field and reading the request into it costs, and a page leaves out about half of its form's fields
    (certified, or not for this person): binding them only to delete them made a form 2.2 times as costly to build
    (984 against 442 µs, 39 fields of which 22 left out). The classes are kept, one per form and set of fields left
    out, which the people's data vary among a few dozen; past 256 the least used are built again when needed."""
    unknown = left_out - field_names(form_class)
    if unknown:  # a name that is no field would shadow a method or an attribute of the form
        raise ValueError(f"not fields of {form_class.__name__}: {', '.join(sorted(unknown))}")
    return type(form_class.__name__, (form_class,), dict.fromkeys(left_out))


def declared_values(form: JourneyForm) -> dict:
    """What the person typed, as JSON-safe values for the session (dates in ISO)."""
    values = {}
    for field_name, field in form._fields.items():
        if field_name == "csrf_token":
            continue
        data = field.data
        values[field_name] = data.isoformat() if isinstance(data, dt.date) else data
    if getattr(form, "city_name", None):
        values["city"] = form.city_name  # the name of the commune chosen by its code, as the data spells it
    return values
