"""The README's table of what each journey asks is measured here, on the rendered forms: it cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.journeys.factories import ANGELA, PIERRE, c2s_ok, cnam_ok, family
from tests.journeys.field_counts import count
from tests.journeys.support import journeys_app
from tests.journeys.test_views import CHU, MUTUELLE, post, sign_in

README = Path(__file__).resolve().parent.parent.parent / "README.md"
ROW = re.compile(r"^\| (?P<journey>[^|]+?) \|(?P<numbers>(?: [0-9]+ \|){6})$", re.M)
SCENARIOS = {
    # journey as the README names it: (journey, organisation, identity, rights, who is concerned)
    "adult pre-admission": ("preadmission", "chu-demo", ANGELA, {"c2s": c2s_ok(), "cnam": cnam_ok()},
                            {"patient": "self"}),
    "child pre-admission": ("preadmission", "chu-demo", PIERRE, {"c2s": c2s_ok(False), "cnam": cnam_ok(family())},
                            {"patient": "ayant_droit:1"}),
    "adhesion": ("adhesion", "mutuelle-demo", ANGELA, {"c2s": c2s_ok(), "cnam": cnam_ok()}, {"declared": "0"}),
}


@pytest.fixture
def app(make_app):
    return journeys_app(make_app)


def readme_rows() -> dict[str, tuple[int, ...]]:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("<!-- field counts: tests/journeys/test_field_counts.py -->"):]
    return {m["journey"]: tuple(int(n) for n in m["numbers"].split("|") if n.strip())
            for m in ROW.finditer(table)}


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_readme_says_what_each_form_asks(client, name):
    journey, org, identity, rights, people = SCENARIOS[name]
    sign_in(client, journey, org, identity=identity, results=rights)
    base = CHU if journey == "preadmission" else MUTUELLE
    assert post(client, f"{base}/personnes", people).status_code == 303
    counts = count(client.get(f"{base}/formulaire").get_data(as_text=True))
    assert readme_rows()[name] == counts.row, counts


def test_an_adult_types_at_most_six_fields_when_every_source_answered(client):
    sign_in(client)
    post(client, f"{CHU}/personnes", {"patient": "self"})
    counts = count(client.get(f"{CHU}/formulaire").get_data(as_text=True))
    assert counts.typed_required <= 6 and counts.typed_required + counts.typed_optional <= 9


def test_the_counter_tells_typed_from_proposed_optional_and_chosen():
    html = """<form><input type="hidden" name="csrf_token" value="t">
      <label for="a">Adresse</label><input type="text" id="a" name="a">
      <label for="b">Complément <span class="optional">(facultatif)</span></label><input id="b" name="b">
      <label for="e">Courriel</label><input type="email" id="e" name="e" value="x@y.fr">
      <select name="s"></select><input type="radio" name="r" value="1"><input type="radio" name="r" value="2">
      <input type="checkbox" name="c"><button name="find_city">Trouver la commune</button></form>
      <span data-source="cnam"></span><span data-source="declared"></span>"""
    assert count(html).row == (1, 1, 1, 3, 1, 1)
