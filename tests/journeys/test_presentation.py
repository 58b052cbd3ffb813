"""The journey pages' values, facts and fields written in Python (app/journeys/presentation.py): the same HTML as
WTForms' widgets and Jinja's escaping, and every value escaped, including hostile ones."""

from __future__ import annotations

import datetime as dt

import markupsafe
import pytest
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from app.journeys import presentation
from app.journeys.fields import IsoDateField, PhoneField
from app.journeys.forms import JourneyForm
from app.journeys.prefill import Prefill, Value
from app.organisations.settings import DEMO_FILE

HOSTILE = ['<script>alert(1)</script>', '" onmouseover="x', "O'Neil & <b>", "\u202e<img src=x>", "&amp;"]
AT = "2026-11-22T13:05:00+00:00"


@pytest.fixture
def app(make_app):
    return make_app(ORGANISATIONS_FILE=str(DEMO_FILE))


@pytest.fixture
def ctx(app):
    with app.test_request_context("/"):
        yield app


class Sample(JourneyForm):
    class Meta:
        csrf = False

    name = StringField("Nom <b>", validators=[DataRequired()])
    phone = PhoneField("Téléphone")
    born = IsoDateField("Né le", format="%Y-%m-%d")
    kind = SelectField("Genre", choices=[SelectChoice("", "Choisir"), SelectChoice("a<", "A & <b>"),
                                         SelectChoice("b", "B")], validate_choice=False)
    agreed = BooleanField("D’accord", validators=[DataRequired()])
    secret = HiddenField()
    styled = StringField("Stylé", render_kw={"class": "wide"})


def sample(**data) -> Sample:
    return Sample(data=data)


# Escaping ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", HOSTILE + ["", "plain", 42, None])
def test_escape_is_markupsafe_s(text):
    assert presentation.escape(text) == str(markupsafe.escape(text))


def test_what_already_is_html_is_not_escaped_twice():
    assert presentation.escape(markupsafe.Markup("<b>x</b>")) == "<b>x</b>"
    assert presentation.escape(markupsafe.Markup("<i>y</i>")) == "<i>y</i>"


@pytest.mark.parametrize("text", HOSTILE)
def test_a_fact_escapes_its_value_label_and_source(ctx, text):
    html = presentation.fact("caisse", {"value": text, "source": "cnam", "at": AT}, label=text)
    assert 'onmouseover="' not in html
    assert str(markupsafe.escape(text)) in html
    assert "<script" not in html and "<b>" not in html and "<img" not in html
    # Jinja inserts it as it is: escaped once, not twice.
    assert ctx.jinja_env.from_string("{{ f }}").render(f=html) == html


def test_a_group_of_facts_escapes_its_id_and_values(ctx):
    html = presentation.facts('g"><script>', [("caisse", {"value": "<b>CPAM</b>", "source": "cnam", "at": AT}, None),
                                              ("regime", {"value": "<i>", "source": "cnam", "at": AT}, None)])
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert 'id="g&#34;&gt;&lt;script&gt;-source"' in html and "&lt;b&gt;CPAM&lt;/b&gt;" in html


# Values ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "v", "text"), [
    ("phone", {"value": "+33612345678", "source": "declared"}, "06 12 34 56 78"),
    ("emergency_phone", {"value": "+442079460000", "source": "declared"}, "+442079460000"),
    ("iban", {"value": "FR7630006000011234567890189", "source": "declared"}, "FR76 3000 6000 0112 3456 7890 189"),
    ("nir", {"value": "262087510790169", "source": "cnam"}, "2 62 08 75 107 901 69"),
    ("birth_date", {"value": "1962-08-01", "source": "franceconnect"}, "1er août 1962"),
    ("sex", {"value": "F", "source": "franceconnect"}, "Féminin"),
    ("c2s", {"value": "mystère", "source": "declared"}, "mystère"),
    ("consent_sepa", {"value": True, "source": "declared"}, "Oui"),
    ("consent_noemie", {"value": False, "source": "declared"}, "Non"),
    ("medecin_traitant", {"value": None, "source": "cnam"}, "Aucun médecin traitant déclaré"),
    ("medecin_traitant", {"value": "", "source": "declared"}, "Non renseigné"),
    ("medecin_traitant", {"value": "ROUSSEL HELENE", "source": "cnam"}, "Dr ROUSSEL HELENE"),
    ("amo_end", {"value": None, "source": "cnam"}, "Sans date de fin"),
    ("usage_name", {"value": "", "source": "franceconnect"}, "Aucun"),
    ("birth_place", {"value": "", "source": "franceconnect"}, "Né(e) à l’étranger"),
    ("birth_place", {"value": "99999", "source": "franceconnect"}, "Commune de code INSEE 99999"),
    ("birth_place", {"value": "Pontoise", "source": "declared"}, "Pontoise"),
    ("birth_country", {"value": "99100", "source": "franceconnect"}, "France"),
    ("birth_country", {"value": "99352", "source": "franceconnect"}, "Étranger (code pays INSEE 99352)"),
    ("first_names", {"value": "JEAN-PIERRE D’ARC (JR)", "source": "cnam"}, "Jean-Pierre D’arc (Jr)"),
    ("exoneration", {"value": [], "source": "cnam"}, "Aucune"),
    ("exoneration", {"value": [{"label": "ALD", "start": "2020-01-01", "end": None}, {"label": None}],
                     "source": "cnam"}, "ALD depuis le 1er janvier 2020 ; Exonération"),
    ("exoneration", {"value": "oui", "source": "declared"}, "Oui"),
])
def test_a_value_reads_as_the_person_expects(name, v, text):
    assert presentation.shown(name, v, birth_place=lambda code: None) == text


def test_a_certified_birth_place_is_named_by_the_communes():
    v = Value("75107", "franceconnect", AT)
    assert presentation.shown("birth_place", v, birth_place={"75107": "Paris 7e"}.get) == "Paris 7e"


@pytest.mark.parametrize(("v", "name", "text"), [
    ({"source": "franceconnect"}, "birth_name", "Certifié par FranceConnect"),
    ({"source": "franceconnect"}, "email", "Proposé par FranceConnect"),
    ({"source": "cnam", "at": AT}, "nir", "Transmis par l’Assurance Maladie le 22 novembre 2026 à 14 h 05"),
    ({"source": "api_particulier", "at": AT}, "c2s",
     "Transmis par la Sécurité sociale (API Particulier) le 22 novembre 2026 à 14 h 05"),
    ({"source": "organisation"}, "date", "Transmis par l’établissement"),
    ({"source": "declared"}, "phone", "Déclaré par vous"),
])
def test_a_value_says_where_it_comes_from(v, name, text):
    assert presentation.source_text(v, name) == text


def test_certified_facts_show_only_what_the_prefill_certifies(ctx):
    prefill = Prefill("preadmission", {"birth_name": Value("DUBOIS", "franceconnect", AT),
                                       "usage_name": Value("", "franceconnect", AT, editable=True)}, {})
    html = presentation.certified_facts("patient", ("birth_name", "usage_name", "sex"), prefill)
    assert 'data-field="birth_name"' in html and "usage_name" not in html
    assert presentation.certified_facts("none", ("sex",), prefill) == ""


# Fields ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", HOSTILE)
def test_a_field_escapes_its_value_label_hint_and_error(ctx, text):
    form = sample(name=text)
    form.name.label.text = text
    form.name.errors = [text]
    html = presentation.text_input(form.name, hint=text, autocomplete="name")
    assert "<script" not in html and "<b>" not in html and "<img" not in html and 'onmouseover="' not in html
    assert html.count(str(markupsafe.escape(text)).replace('"', "&#34;")) >= 3  # label, hint, error
    assert 'aria-invalid="true"' in html and 'aria-describedby="name-hint name-error"' in html
    assert 'autocomplete="name"' in html and "required" in html


def test_a_field_the_form_does_not_ask_writes_nothing(ctx):
    assert presentation.text_input(None) == "" and presentation.checkbox(None) == ""


def test_optional_and_conditionally_required_labels(ctx):
    form = sample()
    assert "(facultatif)" in presentation.label(form.phone)
    assert "(facultatif)" not in presentation.label(form.name)
    assert "(facultatif)" not in presentation.label(form.phone, True)
    assert "(facultatif)" in presentation.label(form.name, False)
    html = presentation.text_input(form.phone, required=True, extra={"type": "tel"})
    assert '<input id="phone" name="phone" required type="tel" value="">' in html


def test_a_checkbox_has_its_hint_after_its_label(ctx):
    form = sample(agreed=True)
    html = presentation.checkbox(form.agreed, hint="Une <aide>")
    assert html.index("<label") < html.index('id="agreed-hint"') and "&lt;aide&gt;" in html
    assert '<input aria-describedby="agreed-hint" checked id="agreed" name="agreed" required type="checkbox" ' \
           'value="y">' in html


# WTForms' widgets --------------------------------------------------------------------------------------------

ATTRS = [{}, {"aria-invalid": "true", "aria-describedby": "x-hint x-error"}, {"autocomplete": "off"},
         {"spellcheck": "false", "required": True, "type": "tel"}, {"class_": "a", "data_x_y": '"q"'},
         {"disabled": False, "readonly": True}]


@pytest.mark.parametrize("name", ["name", "phone", "born", "kind", "agreed", "secret"])
def test_the_widgets_write_what_wtforms_writes(ctx, name):
    values = [dt.date(2014, 6, 12), None] if name == "born" else [None, "", *HOSTILE, "+33612345678", "a<", "b"]
    for data in values:
        field = sample(**{name: data})[name]
        for attrs in ATTRS:
            expected = field.widget(field, **presentation.clean_keys(attrs))
            assert field(**attrs) == expected
            assert presentation.widget_html(field, presentation.clean_keys(attrs)) == expected


def test_the_widgets_write_what_wtforms_writes_for_a_posted_form(ctx):
    posted = MultiDict({"name": "<x>", "phone": "06 12", "born": "1980-13-45", "kind": "z", "agreed": "y"})
    form = Sample(formdata=posted)
    form.validate()
    for field in (f for f in form if not f.render_kw):  # `styled`: its own test below
        expected = field.widget(field, **{"aria-invalid": "true"}) if field.errors else field.widget(field)
        assert (field(**{"aria-invalid": "true"}) if field.errors else field()) == expected


def test_the_widgets_escape_hostile_values(ctx):
    form = sample(name='"><script>alert(1)</script>', kind="a<")
    html = form.name() + form.kind()
    assert "<script>" not in html and 'value="&#34;&gt;&lt;script&gt;' in html
    assert '<option selected value="a&lt;">A &amp; &lt;b&gt;</option>' in html


def test_a_field_with_its_own_attributes_or_another_widget_is_left_to_wtforms(ctx):
    form = sample()
    assert presentation.widget_html(form.kind, {}) is not None
    assert form.styled() == '<input class="wide" id="styled" name="styled" type="text" value="">'
    grouped = SelectField("x", choices=[SelectChoice("1", "un", optgroup="g")]).bind(form, "grouped")
    grouped.process(None)
    assert presentation.widget_html(grouped, {}) is None


def test_a_summary_section_shows_what_the_dossier_holds_in_the_section_s_order(ctx):
    fields = {"phone": {"value": "+33612345678", "source": "declared"}, "address": {"value": "1 <rue>",
                                                                                    "source": "declared"},
              "email": None}
    assert presentation.present(("address", "city", "phone", "email"), fields) == ["address", "phone", "email"]
    html = presentation.named_facts("s", ("phone", "city", "address", "email"), fields)
    assert html.index('data-field="phone"') < html.index('data-field="address"')
    assert "city" not in html and "email" not in html and "1 &lt;rue&gt;" in html
    assert presentation.named_facts("s", ("city",), fields) == ""
