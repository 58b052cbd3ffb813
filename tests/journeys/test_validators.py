"""Validators: each check's valid values, its refusals, and hostile text (control characters, 10 000 characters,
markup). Messages never repeat the value."""

from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.datastructures import MultiDict

from app.journeys import validators as check
from app.journeys.forms import PreadmissionForm, adhesion_form, asking, declared_values, field_names

CORSICA_2A = "181022A00490603"  # the sandbox's Mario Brosse, born in Ajaccio
CORSICA_2B = "253072B07300470"  # python-stdnum's own example


@pytest.mark.parametrize("text, expected", [
    ("262087510790169", "262087510790169"),
    ("2 62 08 75 107 901 69", "262087510790169"),
    (CORSICA_2A, CORSICA_2A),
    ("1 81 02 2a 004 906 03", CORSICA_2A),
    (CORSICA_2B, CORSICA_2B),
    ("163129935290784", "163129935290784"),  # born abroad: department 99
])
def test_nir_accepted(text, expected):
    assert check.clean_nir(text) == expected


@pytest.mark.parametrize("text, code", [
    ("262087510790168", "key"),  # wrong key
    ("181022A00490604", "key"),  # Corsica, wrong key
    ("181022B00490603", "key"),  # 2A's key does not fit 2B
    ("26208751079016", "format"),  # 14 characters
    ("2620875107901690", "format"),  # 16
    ("262087510790169".replace("9", "٩"), "format"),  # non-ASCII digits
    ("2.62.08.75.107.901.69", "format"),
    ("2620875107901AB", "format"),
    ("262087510790169\x00", "format"),
    ("<script>", "format"),
])
def test_nir_refused(text, code):
    with pytest.raises(check.InvalidValue) as refusal:
        check.clean_nir(text)
    assert refusal.value.args == (code,)


@pytest.mark.parametrize("text, expected", [
    ("FR76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189"),
    ("fr7630006000011234567890189", "FR7630006000011234567890189"),
    ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
    ("CH9300762011623852957", "CH9300762011623852957"),
])
def test_iban_accepted(text, expected):
    assert check.clean_iban(text) == expected


@pytest.mark.parametrize("text, code", [
    ("FR7630006000011234567890188", "key"),
    ("BR1800360305000010009795493C1", "country"),  # valid, outside SEPA
    ("US00 1234", "format"),
    ("FR76<b>30006000011234567890189", "format"),
    ("FR7630006000011234567890189\x7f", "format"),
])
def test_iban_refused(text, code):
    with pytest.raises(check.InvalidValue) as refusal:
        check.clean_iban(text)
    assert refusal.value.args == (code,)


@pytest.mark.parametrize("text, expected", [
    ("06 12 34 56 78", "+33612345678"),
    ("01.42.68.53.00", "+33142685300"),
    ("+33 6 12 34 56 78", "+33612345678"),
    ("0033612345678", "+33612345678"),
    ("09 51 23 45 67", "+33951234567"),  # an internet box's landline
    ("0692 12 34 56", "+262692123456"),  # Réunion mobile
    ("0590 12 34 56", "+590590123456"),  # Guadeloupe landline
])
def test_phone_accepted(text, expected):
    assert check.clean_phone(text) == expected


@pytest.mark.parametrize("text", [
    "06 12 34 56", "0800 12 34 56", "+1 650 253 0000", "12", "06 12 34 56 78 90 12 34 56 78 90 12",
    "06-12-34-56-7a", "<06>", "0612345678\n", "0" * 10_000,
])
def test_phone_refused(text):
    with pytest.raises(check.InvalidValue):
        check.clean_phone(text)


@pytest.mark.parametrize("text", ["75007", "01000", "20000", "20290", "97400", "97600", "98000", "98800", "13 001"])
def test_postal_code_accepted(text):
    assert check.clean_postal_code(text) == text.replace(" ", "")


@pytest.mark.parametrize("text", ["00100", "96000", "97700", "98100", "7500", "750077", "2A000", "75OO7", "<a>"])
def test_postal_code_refused(text):
    with pytest.raises(check.InvalidValue):
        check.clean_postal_code(text)


@pytest.mark.parametrize("text", ["DUBOIS", "Anne-Laure", "N’Diaye", "O'Neill", "Éloïse  Zoé", "Œdipe", "Ÿvonne"])
def test_name_accepted(text):
    assert check.clean_name(text) == " ".join(text.split())


@pytest.mark.parametrize("text", ["-Anne", "Anne-", "R2D2", "<b>Jean</b>", "Jean;", "李", "Ιωάννης", "J@n", ""])
def test_name_refused(text):
    with pytest.raises(check.InvalidValue):
        check.clean_name(text)


@pytest.mark.parametrize("text", ["a\x00b", "a\tb", "a\nb", "a\x1bb", "a\x7fb", "a\x85b", "a\u202eb", "a\u200bb",
                                  "a\ufeffb"])
def test_control_and_invisible_characters_are_detected(text):
    assert check.has_control_characters(text)


def test_ordinary_text_has_no_control_characters():
    assert not check.has_control_characters("12 rue de l’Église, 2e étage — Bât. B")


@pytest.mark.parametrize("day, months, expected", [
    (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
    (dt.date(2027, 12, 15), 12, dt.date(2028, 12, 15)),
    (dt.date(2028, 2, 29), 12, dt.date(2029, 2, 28)),
    (dt.date(2026, 11, 1), 2, dt.date(2027, 1, 1)),
])
def test_add_months(day, months, expected):
    assert check.add_months(day, months) == expected


# The same checks through a form: every hostile value ends in a field error, never an exception.

VALID = {
    "birth_name": "DUPONT", "first_names": "Jean", "sex": "M", "birth_date": "1980-01-02", "birth_country": "France",
    "address": "12 rue de la Paix", "postal_code": "75002", "city": "Paris", "phone": "0612345678",
    "email": "jean.dupont@yopmail.com", "nir": "262087510790169", "regime": "general", "caisse": "CPAM de Paris",
    "c2s": "non", "emergency_name": "Marie Dupont", "emergency_phone": "0698765432",
    "emergency_link": "Conjoint ou conjointe",
    "consent_accuracy": "y", "consent_transmission": "y",
    # The whole form, as a parent admitting their child gets it: « Une autre personne » types them in.
    "emergency_who": "other", "guardian1_who": "other",
}
TODAY = dt.date.today()
HOSTILE = [
    ("birth_name", "A" * 10_000, "ne doit pas dépasser 100 caractères"),
    ("birth_name", "<script>alert(1)</script>", "Utilisez uniquement des lettres"),
    ("birth_name", "DU\x00PONT", "caractères non autorisés"),
    ("birth_name", "DU\u202ePONT", "caractères non autorisés"),
    ("first_names", "   ", "obligatoire"),
    ("address", "12 rue <b>", "ponctuation d’une adresse"),
    ("address", "12 rue\r\nX-Injected: 1", "caractères non autorisés"),
    ("postal_code", "96000", "code postal"),
    ("phone", "+1 650 253 0000", "téléphone"),
    ("email", "jean@", "adresse électronique valide"),
    ("email", "a" * 300 + "@yopmail.com", "ne doit pas dépasser 254"),
    ("nir", "262087510790168", "n’est pas valide"),
    ("nir", "x" * 10_000, "ne doit pas dépasser 25"),
    ("sex", "X", "une des réponses proposées"),
    ("regime", "<img src=x>", "une des réponses proposées"),
    ("c2s", "oui", "une des réponses proposées"),  # only a certified status may say "oui" without the kind
    ("birth_date", "1899-12-31", "postérieure au 1er janvier 1900"),
    ("birth_date", (TODAY + dt.timedelta(days=1)).isoformat(), "dans le futur"),
    ("birth_date", "2020-02-30", "date valide"),
    ("birth_date", "02/01/1980", "date valide"),
    ("birth_date", "1980-01-02\x00", "date valide"),
    ("birth_date", "１９８０-01-02", "date valide"),  # full-width digits: strptime's %Y would take them
    ("birth_date", "١٩٨٠-01-02", "date valide"),  # Arabic-Indic digits
    ("birth_date", "１９８０-０１-０２", "date valide"),
    ("amo_start", "２０２０-01-01", "date valide"),
    ("amo_end", "1970-01-01", "postérieure à la date de début"),
    ("trusted_phone", "", "Complétez aussi ce champ"),  # a name without a phone
    ("consent_accuracy", "", "attester l’exactitude"),
]


WITH = {"amo_end": {"amo_start": "1980-01-01"}, "trusted_phone": {"trusted_name": "Paul Martin"}}


def check_form(app, form_class, data: dict, **attributes):
    with app.test_request_context(method="POST", data=MultiDict(data)):
        form = form_class(meta={"csrf": False})
        for name, value in attributes.items():
            setattr(form, name, value)
        return form.validate(), form


def test_the_valid_values_pass(app):
    valid, form = check_form(app, PreadmissionForm, VALID)
    assert valid, form.errors
    assert form.nir.data == "262087510790169" and form.phone.data == "+33612345678"


@pytest.mark.parametrize("name, value, message", HOSTILE)
def test_a_hostile_value_is_a_field_error(app, name, value, message):
    data = {**VALID, name: value, **WITH.get(name, {})}
    valid, form = check_form(app, PreadmissionForm, data)
    assert not valid
    errors = form.errors[name]
    assert message in errors[0], errors
    assert len(errors) == 1
    if len(value) > 3:
        assert value not in " ".join(errors)


def test_a_minor_needs_a_holder_of_parental_authority(app):
    child = {**VALID, "birth_date": (TODAY - dt.timedelta(days=365 * 10)).isoformat()}
    valid, form = check_form(app, PreadmissionForm, child)
    assert not valid and "autorité parentale" in form.errors["guardian1_name"][0]
    valid, form = check_form(app, PreadmissionForm, {**child, "guardian1_name": "Pierre Mercier",
                                                     "guardian1_phone": "0612345678"})
    assert valid, form.errors


def test_age_is_counted_on_the_day_of_the_stay(app):
    # 18 next month, admitted in two months: an adult on the day, no holder of parental authority needed.
    born = check.add_months(TODAY, -18 * 12 + 1)
    valid, form = check_form(app, PreadmissionForm, {**VALID, "birth_date": born.isoformat()},
                             reference_day=check.add_months(TODAY, 2))
    assert valid, form.errors
    valid, _ = check_form(app, PreadmissionForm, {**VALID, "birth_date": born.isoformat()})
    assert not valid


ADHESION = {key: VALID[key] for key in ("birth_name", "first_names", "sex", "birth_date", "address", "postal_code",
                                        "city", "phone", "email", "nir", "regime", "caisse", "c2s",
                                        "consent_accuracy", "consent_transmission")}
ADHESION.update(start_date=TODAY.isoformat(), iban="FR7630006000011234567890189", account_holder="Jean Dupont",
                consent_sepa="y")


@pytest.mark.parametrize("start, valid", [
    (TODAY, True), (check.add_months(TODAY, 12), True), (TODAY - dt.timedelta(days=1), False),
    (check.add_months(TODAY, 12) + dt.timedelta(days=1), False),
])
def test_adhesion_start_date_rule(app, start, valid):
    ok, form = check_form(app, adhesion_form(0), {**ADHESION, "start_date": start.isoformat()})
    assert ok is valid, form.errors


def test_declared_beneficiaries_are_checked_one_by_one(app):
    data = {**ADHESION, "ben0_link": "enfant", "ben0_birth_name": "DUPONT", "ben0_first_names": "Léa",
            "ben0_birth_date": "2015-05-05", "ben1_link": "chef", "ben1_birth_name": "X\x00",
            "ben1_first_names": "Tom", "ben1_birth_date": "2016-01-01", "ben1_nir": "1"}
    ok, form = check_form(app, adhesion_form(2), data)
    assert not ok
    assert set(form.errors) == {"ben1_link", "ben1_birth_name", "ben1_nir"}
    assert form._fields["ben1_nir"].label.text == "Numéro de sécurité sociale (personne ajoutée 2)"


def test_iban_and_sepa_mandate_are_required(app):
    ok, form = check_form(app, adhesion_form(0), {**ADHESION, "iban": "FR7630006000011234567890188",
                                                  "consent_sepa": ""})
    assert not ok and set(form.errors) == {"iban", "consent_sepa"}


def test_a_normalised_phone_is_shown_back_the_french_way(app):
    from wtforms import Form

    from app.journeys.fields import phone_field

    class PhoneForm(Form):
        phone = phone_field("phone")

    with app.test_request_context():
        form = PhoneForm(data={"phone": "+33612345678"})
        assert 'value="06 12 34 56 78"' in form.phone()
        assert PhoneForm(data={"phone": "+590690123456"}).phone._value() == "+590690123456"


def test_the_parent_chosen_as_the_person_asked_for_types_nothing_more(app):
    child = {**VALID, "birth_date": (TODAY - dt.timedelta(days=365 * 10)).isoformat(),
             "emergency_who": "declarant", "guardian1_who": "declarant",
             "emergency_name": "<script>", "emergency_phone": "", "emergency_link": ""}
    valid, form = check_form(app, PreadmissionForm, child)
    assert valid, form.errors
    assert form.emergency_name.data is None  # hidden by the choice: never read, never refused


@pytest.mark.parametrize("answer", [None, "", "attacker", "declarant "])
def test_the_choice_of_who_is_one_of_the_answers_offered(app, answer):
    data = {**VALID, "emergency_who": answer} if answer is not None else {
        k: v for k, v in VALID.items() if k != "emergency_who"}
    valid, form = check_form(app, PreadmissionForm, data)
    assert not valid and form.errors["emergency_who"] == ["Choisissez une des réponses proposées."]


def test_the_same_personne_de_confiance_takes_nothing_typed(app):
    valid, form = check_form(app, PreadmissionForm, {**VALID, "trusted_same": "y", "trusted_name": "<b>",
                                                     "trusted_phone": "12"})
    assert valid, form.errors
    minor = {**VALID, "birth_date": (TODAY - dt.timedelta(days=365 * 10)).isoformat(), "trusted_same": "y",
             "guardian1_name": "Pierre Dubois", "guardian1_phone": "0611223344"}
    valid, form = check_form(app, PreadmissionForm, minor)
    assert not valid and "personne de confiance" in form.errors["trusted_same"][0]


CERTIFIED = frozenset({"birth_name", "first_names", "sex", "birth_date", "nir", "regime", "caisse"})


def test_a_form_asking_without_its_certified_fields_never_binds_them(app):
    form_class = asking(PreadmissionForm, CERTIFIED)
    posted = {**VALID, "birth_name": "<script>", "nir": "attacker", "sex": "X"}
    valid, form = check_form(app, form_class, posted)
    assert valid, form.errors  # the hostile certified values were not read, so not refused either
    assert not CERTIFIED & set(form._fields)
    assert form.birth_name is None and "nir" not in declared_values(form)
    assert set(form._fields) == field_names(PreadmissionForm) - CERTIFIED  # (no CSRF token: check_form turns it off)


def test_the_form_asking_without_the_same_fields_is_built_once(app):
    assert asking(PreadmissionForm, CERTIFIED) is asking(PreadmissionForm, frozenset(CERTIFIED))
    assert asking(PreadmissionForm, CERTIFIED) is not asking(PreadmissionForm, CERTIFIED - {"nir"})
    assert asking(adhesion_form(1), frozenset({"ben0_nir"})) is not asking(adhesion_form(2), frozenset({"ben0_nir"}))
    assert issubclass(asking(PreadmissionForm, CERTIFIED), PreadmissionForm)


@pytest.mark.parametrize("name", ["validate", "rules", "choices_of", "_fields", "no_such_field"])
def test_only_fields_can_be_left_out(name):
    # A None there would replace a method or an attribute of the form, not remove a field.
    with pytest.raises(ValueError, match="not fields of PreadmissionForm"):
        asking(PreadmissionForm, frozenset({name}))
