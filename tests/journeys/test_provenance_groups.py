"""One provenance label per group: when every read-only value of a group has the same source, it is said once,
before them, and the list is described by it; otherwise each value keeps its own label."""

from __future__ import annotations

import re

import pytest

from tests.journeys.support import journeys_app
from tests.journeys.test_views import CHU, post, sign_in

AT = "2026-11-22T13:00:00+00:00"


@pytest.fixture
def app(make_app):
    return journeys_app(make_app)


def render_facts(app, items) -> str:
    with app.test_request_context("/"):
        # As the pages call it (app/journeys/presentation.py, a template global), through the templates' escaping.
        return app.jinja_env.from_string('{{ facts("group", items) }}').render(items=items)


def value(text, source, at=AT):
    return {"value": text, "source": source, "at": at}


def test_values_of_one_source_are_labelled_once_and_described_by_it(app):
    html = render_facts(app, [("nir", value("262087510790169", "cnam"), None),
                              ("caisse", value("CPAM de Paris", "cnam"), None),
                              ("regime", None, None)])  # absent: left out
    assert html.count('class="source') == 1
    label = re.search(r'<p class="source source--group" id="group-source">([^<]+)</p>', html).group(1)
    assert label.startswith("Transmis par l’Assurance Maladie le ")
    assert '<dl class="facts" aria-describedby="group-source">' in html
    assert html.index("group-source") < html.index('data-field="nir"')  # said before the values it covers
    assert 'data-field="regime"' not in html


@pytest.mark.parametrize("second", [
    value("M", "declared", None),  # another source
    value("CPAM de Paris", "cnam", "2026-11-23T09:30:00+00:00"),  # the same source, fetched another day
])
def test_values_of_several_sources_keep_their_own_labels(app, second):
    html = render_facts(app, [("nir", value("262087510790169", "cnam"), None), ("caisse", second, None)])
    assert "source--group" not in html and "aria-describedby" not in html
    assert html.count('<span class="source">') == 2


def test_a_single_value_keeps_its_own_label(app):
    html = render_facts(app, [("nir", value("262087510790169", "cnam"), None)])
    assert "source--group" not in html and html.count('<span class="source">') == 1


def test_the_form_says_each_groups_source_once(app, client):
    sign_in(client)
    assert post(client, f"{CHU}/personnes", {"patient": "self"}).status_code == 303
    html = client.get(f"{CHU}/formulaire").get_data(as_text=True)
    groups = dict(re.findall(r'<p class="source source--group" id="([a-z-]+)-source">([^<]+)</p>', html))
    assert groups["patient"] == "Certifié par FranceConnect"
    assert groups["insurance"].startswith("Transmis par l’Assurance Maladie le ")
    for group in groups:
        assert f'aria-describedby="{group}-source"' in html
    # The certified values of this form once carried a label each; now one per group: the CNAM's insurance group
    # and the médecin traitant's card (a group of one).
    assert html.count("Transmis par l’Assurance Maladie le ") == 2
    assert html.count("Certifié par FranceConnect") == 1
