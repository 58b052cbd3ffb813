"""The journey pages' fields written in Python (app/journeys/presentation.py): the same HTML as WTForms' widgets,
and every value escaped, including hostile ones."""

from __future__ import annotations

import datetime as dt

import markupsafe
import pytest
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from app.journeys import presentation
from app.journeys.fields import IsoDateField, PhoneField
from app.journeys.forms import JourneyForm
from app.organisations.settings import DEMO_FILE

HOSTILE = ['<script>alert(1)</script>', '" onmouseover="x', "O'Neil & <b>", "\u202e<img src=x>", "&amp;"]


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
    assert presentation.escape(presentation.Html("<i>y</i>")) == "<i>y</i>"


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


def test_the_widgets_escape_hostile_values(ctx):
    form = sample(name='"><script>alert(1)</script>', kind="a<")
    html = form.name() + form.kind()
    assert "<script>" not in html and 'value="&#34;&gt;&lt;script&gt;' in html
    assert '<option selected value="a&lt;">A &amp; &lt;b&gt;</option>' in html


def test_a_field_with_its_own_attributes_or_another_widget_is_left_to_wtforms(ctx):
    form = sample()
    assert presentation.widget_html(form.kind, {}) is not None
    assert form.styled() == '<input class="wide" id="styled" name="styled" type="text" value="">'
    form.kind.widget.multiple = False
    radio_like = SelectField("x", choices=[SelectChoice("1", "un", optgroup="g")]).bind(form, "grouped")
    radio_like.process(None)
    assert presentation.widget_html(radio_like, {}) is None
