"""A small scripted browser for integration tests: cookies, manual redirects, HTML forms.

It follows redirects one by one so tests can assert every hop (state, code, clean URLs), and it
submits forms the way a browser would (hidden inputs included, the clicked button's name/value).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[tuple[str | None, str | None, str]] = field(default_factory=list)  # name, value, text


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._button: list | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(Form(attrs.get("action") or "", (attrs.get("method") or "get").lower()))
        elif not self.forms:
            return
        elif tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind == "submit":
                self.forms[-1].buttons.append((attrs.get("name"), attrs.get("value"), attrs.get("value") or ""))
            elif kind in ("radio", "checkbox"):
                if "checked" in attrs and attrs.get("name"):
                    self.forms[-1].fields.append((attrs["name"], attrs.get("value", "on")))
            elif attrs.get("name"):
                self.forms[-1].fields.append((attrs["name"], attrs.get("value") or ""))
        elif tag == "button" and (attrs.get("type") or "submit") == "submit":
            self._button = [attrs.get("name"), attrs.get("value"), ""]

    def handle_data(self, data):
        if self._button is not None:
            self._button[2] += data

    def handle_endtag(self, tag):
        if tag == "button" and self._button is not None and self.forms:
            name, value, text = self._button
            self.forms[-1].buttons.append((name, value, " ".join(text.split())))
            self._button = None


_REFRESH = re.compile(r'<meta http-equiv="refresh" content="0;url=([^"]+)">')


def refresh_target(response: requests.Response) -> str | None:
    """Where an immediate `<meta http-equiv="refresh">` sends the browser (the sign-in's « Nous récupérons… »)."""
    if response.status_code != 200 or not response.headers.get("Content-Type", "").startswith("text/html"):
        return None
    found = _REFRESH.search(response.text)
    return html.unescape(found.group(1)) if found else None


class Browser:
    def __init__(self) -> None:
        self.http = requests.Session()
        self.history: list[requests.Response] = []
        self.page: requests.Response | None = None

    def get(self, url: str, *, follow: bool = True) -> requests.Response:
        return self._go("GET", url, None, follow)

    def _go(self, method: str, url: str, data, follow: bool) -> requests.Response:
        response = self.http.request(method, url, data=data, allow_redirects=False, timeout=15)
        self.history.append(response)
        while follow and (response.is_redirect or refresh_target(response)):
            url = urljoin(response.url, response.headers.get("Location") or refresh_target(response))
            response = self.http.get(url, allow_redirects=False, timeout=15)
            self.history.append(response)
        self.page = response
        return response

    def forms(self) -> list[Form]:
        parser = _FormParser()
        parser.feed(self.page.text)
        return parser.forms

    def submit(self, button_text: str, *, follow: bool = True, extra=None, untick=()) -> requests.Response:
        """Click the submit button whose text (or value) contains `button_text`.

        `extra` adds fields (a dict or (name, value) pairs); `untick` removes (name, value) pairs, as
        unticking a checkbox would.
        """
        for form in self.forms():
            for name, value, text in form.buttons:
                if button_text in text or (value and button_text == value):
                    data = [pair for pair in form.fields if pair not in set(untick)]
                    if name:
                        data.append((name, value or ""))
                    data.extend(extra.items() if isinstance(extra, dict) else (extra or []))
                    url = urljoin(self.page.url, form.action or self.page.url)
                    if form.method == "post":
                        return self._go("POST", url, data, follow)
                    return self._go("GET", requests.Request("GET", url, params=data).prepare().url, None, follow)
        raise AssertionError(f"no button {button_text!r} on {self.page.url}")
