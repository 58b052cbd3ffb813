"""One person's pre-admission over plain HTTP, for bench/scale.py: portal link → information → FranceConnect (the
sandbox) → who is concerned → form → review → « Envoyer » → receipt, with requests alternating between instances.

`Balancer` plays the load balancer on the client side: each request to the public URL goes to the next instance; a
refused connection goes to the other one (what a balancer's health check achieves). A request cut mid-flight (its
instance killed) reaches the person as a lost page; like a person, they retry the step (reload, or « Envoyer »
again) after a pause, at most twice, as they do after a 503 page. A journey ends completed (a receipt), on a French
page (any other page in French: 503, session expired…), on a 500 (a failure of ours), or lost.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from tests.browser import Browser
from tests.journeys.support import DECLARED, REFERENCE, csrf_token, field_names

STEPS = (("/auth/login", "login"), ("/auth/callback", "callback"), ("/personnes", "people"),
         ("/formulaire", "form"), ("/pieces", "attachments"), ("/verification", "review"), ("/envoi", "send"),
         ("/recepisse", "receipt"))
TITLE = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)


def step_of(path: str) -> str:
    return next((name for suffix, name in STEPS if path.endswith(suffix)), "information")


class Timings:
    def __init__(self) -> None:
        self._lock, self.by_step = threading.Lock(), defaultdict(list)
        self.statuses: defaultdict[int, int] = defaultdict(int)
        self.failovers = 0  # connections refused by a dead instance, sent to the other one

    def add(self, step: str, seconds: float, status: int) -> None:
        with self._lock:
            self.by_step[step].append(seconds)
            self.statuses[status] += 1


class Balancer(HTTPAdapter):
    def __init__(self, public: str, backends: list[str], timings: Timings) -> None:
        super().__init__(pool_connections=2, pool_maxsize=2)
        self.public, self.backends, self.timings = urlsplit(public).netloc, backends, timings
        self._turn = random.randrange(len(backends))

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        if parts.netloc != self.public:
            return super().send(request, **kwargs)
        original = request.url
        for _ in self.backends:
            self._turn = (self._turn + 1) % len(self.backends)
            request.url = urlunsplit(parts._replace(netloc=urlsplit(self.backends[self._turn]).netloc))
            started = time.monotonic()
            try:
                response = super().send(request, **kwargs)
            except requests.ConnectionError as error:
                if "refused" in str(error).lower():
                    self.timings.failovers += 1
                    continue  # nothing was sent: the balancer tries the other instance
                raise
            self.timings.add(step_of(parts.path), time.monotonic() - started, response.status_code)
            response.url = original  # the browser keeps seeing the public URL
            return response
        raise requests.ConnectionError("every instance refused the connection")


class Ended(Exception):
    def __init__(self, outcome: str, page: str = "") -> None:
        super().__init__(outcome)
        self.outcome, self.page = outcome, page


@dataclass
class Journey:
    outcome: str = ""
    page: str = ""  # the last page's title when not completed
    reference: str | None = None
    retries: int = 0
    pages: list[int] = field(default_factory=list)


def _title(html: str) -> str:
    match = TITLE.search(html)
    return re.sub(r"\s+", " ", match.group(1)).strip()[:90] if match else ""


class Person:
    def __init__(self, public: str, backends: list[str], timings: Timings, *, pause: float, deadline: float) -> None:
        self.browser = Browser()
        self.browser.http.mount(public, Balancer(public, backends, timings))
        self.public, self.pause, self.deadline, self.journey = public, pause, deadline, Journey()

    def _think(self) -> None:
        if self.pause:
            time.sleep(random.uniform(self.pause / 2, self.pause * 1.5))

    def _step(self, action, expect: str) -> None:
        """Do `action` (from the current page); on a 503 or a lost page, come back to that page and retry."""
        page = self.browser.page
        for attempt in range(3):
            if time.monotonic() > self.deadline:
                raise Ended("bench_deadline")
            self.browser.page = page
            try:
                action()
            except requests.RequestException:
                self.journey.retries += 1
                self.browser.page, last = page, None
                time.sleep(1.0)
                continue
            last = self.browser.page
            self.journey.pages.append(last.status_code)
            if last.status_code >= 500 and last.status_code != 503 or "Internal Server Error" in last.text:
                raise Ended("server_error", f"{last.status_code} {_title(last.text)}")
            if last.status_code == 503 and attempt < 2:
                self.journey.retries += 1
                time.sleep(1.5)
                continue
            break
        if last is None:
            raise Ended("lost")
        if expect not in urlsplit(last.url).path or last.status_code != 200:
            kind = "french_page" if 'lang="fr"' in last.text else "other"
            raise Ended(kind, f"{last.status_code} {_title(last.text)}")
        self._think()

    def run(self, launch: str) -> Journey:
        try:
            self._run(launch)
        except Ended as end:
            self.journey.outcome, self.journey.page = end.outcome, end.page
        except Exception as error:  # a bench bug or an unexpected page: counted, never hidden
            self.journey.outcome, self.journey.page = "bench_error", type(error).__name__
        return self.journey

    def _run(self, launch: str) -> None:
        b = self.browser
        self._step(lambda: b.get(self.public + launch), "/preadmission/")
        self._step(self._sign_in, "/personnes")
        self._step(lambda: b.submit("Continuer", extra={"patient": "self"}), "/formulaire")
        self._step(self._fill, "/pieces")
        self._step(lambda: b.submit("Continuer vers la vérification"), "/verification")
        self._step(lambda: b.submit("Envoyer à"), "/recepisse")
        found = REFERENCE.search(b.page.text)
        if found is None:
            raise Ended("other", _title(b.page.text))
        self.journey.outcome, self.journey.reference = "completed", found.group(1)

    def _sign_in(self) -> None:
        b = self.browser
        form = next(f for f in b.forms() if f.action.endswith("/auth/login"))
        started = b.http.post(urljoin(b.page.url, form.action), data=form.fields, allow_redirects=False, timeout=15)
        if started.status_code != 303:
            b.page = started
            return
        b.get(started.headers["Location"])
        b.submit("test")  # the sandbox's identity
        b.submit("Continuer")  # the sandbox's consent, then our callback

    def _fill(self) -> None:
        b = self.browser
        names = field_names(b.page.text)
        shown = {name: value for form in b.forms() for name, value in form.fields if value}
        data = {name: shown.get(name, DECLARED[name]) for name in names if name in DECLARED}
        data["csrf_token"] = csrf_token(b.page.text)
        b._go("POST", b.page.url, data, True)
