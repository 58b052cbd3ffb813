"""Counting what a form asks, as a person meets it: what they type, what is proposed, what they choose, and what
arrives certified. Read from the rendered page (the largest form), never from the form classes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

TEXT_TYPES = frozenset({"text", "tel", "email", "date", "number", "search", "url"})
CERTIFYING = ("franceconnect", "cnam", "api_particulier", "organisation")


@dataclass(frozen=True)
class Counts:
    typed_required: int  # empty text inputs a person must fill
    typed_optional: int  # empty text inputs marked « facultatif »
    proposed: int  # text inputs arriving filled with a suggestion (the e-mail), to check
    chosen: int  # lists and radio groups (the commune, the sex…)
    boxes: int  # checkboxes (the consents)
    certified: int  # read-only values from FranceConnect, the CNAM, API Particulier or the organisation

    @property
    def row(self) -> tuple[int, ...]:
        return (self.typed_required, self.typed_optional, self.proposed, self.chosen, self.boxes, self.certified)


class _Controls(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.controls: list[dict] = []
        self.labels: dict[str, str] = {}
        self.legends: list[str] = []
        self._label_for: str | None = None
        self._legend: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("input", "select", "textarea"):
            self.controls.append({"tag": tag, "legend": self._legend_text(), **a})
        elif tag == "label":
            self._label_for, self._text = a.get("for"), []
        elif tag == "legend":
            self._legend, self._text = "", []

    def handle_endtag(self, tag):
        if tag == "label" and self._label_for:
            self.labels[self._label_for] = "".join(self._text)
            self._label_for = None
        elif tag == "legend":
            self._legend = "".join(self._text)
            self.legends.append(self._legend)

    def handle_data(self, data):
        if self._label_for is not None or self._legend == "":
            self._text.append(data)

    def _legend_text(self) -> str:
        return self.legends[-1] if self.legends else ""


def count(html: str) -> Counts:
    forms = re.findall(r"<form[^>]*>(.*?)</form>", html, re.S)
    body = max(forms, key=len)
    parser = _Controls()
    parser.feed(body)
    typed_required = typed_optional = proposed = boxes = 0
    groups: set[str] = set()
    for control in parser.controls:
        kind = control.get("type", "text") if control["tag"] == "input" else control["tag"]
        name = control.get("name", "")
        if kind == "hidden" or name == "csrf_token":
            continue
        optional = "(facultatif)" in parser.labels.get(control.get("id", ""), "")
        if kind in TEXT_TYPES or kind == "textarea":
            if control.get("value"):
                proposed += 1
            elif optional:
                typed_optional += 1
            else:
                typed_required += 1
        elif kind == "checkbox":
            boxes += 1
        elif kind in ("radio", "select"):
            groups.add(name)
    if 'name="find_city"' in body:
        groups.add("city_code")  # the commune, chosen once « Trouver la commune » lists the postal code's
    certified = len(re.findall(r'data-source="(?:' + "|".join(CERTIFYING) + ')"', html))
    return Counts(typed_required, typed_optional, proposed, len(groups), boxes, certified)
