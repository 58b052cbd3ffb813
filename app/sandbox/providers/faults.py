"""Fault scenarios of the data-provider stand-ins: what can go wrong between the service and a provider.

Two ways to choose one:
* per identity, at sign-in: the chooser's `provider_fault` field, e.g. `c2s:502` or `cnam:contrats_504` (one per
  provider, empty = none). It travels with the interaction, the grant and the access token; calls made with that
  token get the fault, calls with any other token do not.
* per request, for every caller: `state.set_fault("cnam", "504", path="/contrats", times=1)` in process, or
  `POST /_sandbox/faults` (`admin`). These rules are checked first, and `times` counts down to their removal.

Faults are applied before the provider checks anything, as a failing gateway in front of it would be.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from flask import Response, redirect

from app.sandbox.providers import C2S, CNAM, PROVIDER_LABELS, envelopes

# A loopback address other than the sandbox's: a client that follows redirects to another host fails locally.
REDIRECT_TARGET = "http://127.0.0.2:9/steal"
RETRY_AFTER = 3600
_CHUNK = 64 * 1024
_USED_ONCE_CAP = 10_000


@dataclass(frozen=True)
class Scenario:
    name: str
    label: str  # French, for the chooser and the home page
    providers: tuple[str, ...] = (C2S, CNAM)
    paths: tuple[str, ...] | None = None  # the only paths it hits; None = every path

    def hits(self, path: str) -> bool:
        return self.paths is None or path in self.paths


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("slow", "Réponse très lente (au-delà du délai du service)"),
    Scenario("500", "Erreur interne (HTTP 500)"),
    Scenario("502", "Erreur du fournisseur (HTTP 502)"),
    Scenario("502_once", "HTTP 502 au premier appel, puis réponses normales (relances)"),
    Scenario("504", "Fournisseur hors délai (HTTP 504)"),
    Scenario("429", "Trop de requêtes (HTTP 429, Retry-After : 3600)"),
    Scenario("403", "Accès refusé (HTTP 403)"),
    Scenario("malformed_json", "JSON invalide (HTTP 200)"),
    Scenario("html", "Page HTML au lieu de JSON (HTTP 200)"),
    Scenario("oversized", "Réponse démesurée (5 Mo, HTTP 200, envoyée au fil de l’eau)"),
    Scenario("redirect", "Redirection vers un autre hôte (HTTP 302)"),
    Scenario("contrats_504", "Seul /contrats échoue (HTTP 504) : données partielles", (CNAM,), ("/contrats",)),
)}


def scenarios_for(provider: str) -> list[Scenario]:
    return [s for s in SCENARIOS.values() if provider in s.providers]


def chooser_options() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(provider, label, [(form value, label)]) for the chooser's selects; the empty value means no fault."""
    return [(p, label, [(f"{p}:{s.name}", s.label) for s in scenarios_for(p)]) for p, label in PROVIDER_LABELS.items()]


def parse_choice(values: list[str]) -> tuple[str, ...]:
    """The `provider:scenario` values posted by the chooser; ValueError on an unknown or repeated provider."""
    chosen = [value for value in values if value]
    providers = [value.partition(":")[0] for value in chosen]
    for value in chosen:
        provider, _, name = value.partition(":")
        if name not in SCENARIOS or provider not in SCENARIOS[name].providers:
            raise ValueError("unknown provider fault")
    if len(set(providers)) != len(providers):
        raise ValueError("one provider fault per provider")
    return tuple(chosen)


def describe(chosen: tuple[str, ...]) -> list[str]:
    """French labels of the faults chosen at sign-in, for the consent page."""
    return [f"{PROVIDER_LABELS[v.partition(':')[0]]} : {SCENARIOS[v.partition(':')[2]].label}" for v in chosen]


@dataclass
class FaultRule:
    provider: str
    scenario: str
    # Under the provider's base URL: CNAM "/me", "/contrats"…; C2S its full path (its base URL is the host).
    path: str | None = None  # None = any path
    times: int | None = None  # calls left; None = until cleared


class FaultBook:
    """Per-request fault rules, and which tokens already spent their `502_once`. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._used_once: set[tuple[str, str]] = set()

    def add(self, provider: str, scenario: str, *, path: str | None = None, times: int | None = None) -> FaultRule:
        if not isinstance(scenario, str) or scenario not in SCENARIOS or provider not in SCENARIOS[scenario].providers:
            raise ValueError(f"unknown scenario {scenario!r} for provider {provider!r}")
        if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
            raise ValueError("times must be a positive integer or None")
        if path is not None and not (isinstance(path, str) and path.startswith("/")):
            raise ValueError("path must start with '/'")
        if scenario == "502_once":
            if times is not None:
                raise ValueError("502_once already means times=1")
            scenario, times = "502", 1
        rule = FaultRule(provider, scenario, path, times)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self, provider: str | None = None) -> None:
        with self._lock:
            self._rules = [r for r in self._rules if provider is not None and r.provider != provider]
            if provider is None:
                self._used_once.clear()

    def rules(self) -> list[dict]:
        with self._lock:
            return [asdict(rule) for rule in self._rules]

    def take(self, provider: str, path: str) -> str | None:
        """The scenario of the first rule matching this call, counting the call against its `times`."""
        with self._lock:
            for rule in self._rules:
                if rule.provider != provider or rule.path not in (None, path):
                    continue
                if not SCENARIOS[rule.scenario].hits(path):
                    continue
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times == 0:
                        self._rules.remove(rule)
                return rule.scenario
        return None

    def first_call(self, token_id: str, provider: str) -> bool:
        """True only the first time a token calls this provider (for `502_once`)."""
        with self._lock:
            if (token_id, provider) in self._used_once:
                return False
            if len(self._used_once) >= _USED_ONCE_CAP:  # tokens live 60 s: old entries are long dead
                self._used_once.clear()
            self._used_once.add((token_id, provider))
            return True


def pick(book: FaultBook, provider: str, path: str, token_faults: tuple[str, ...], token_id: str | None) -> str | None:
    """The scenario for this call: a per-request rule first, then the fault chosen at sign-in for this token."""
    scenario = book.take(provider, path)
    if scenario is not None:
        return scenario
    chosen = next((v.partition(":")[2] for v in token_faults if v.partition(":")[0] == provider), None)
    if chosen is None or not SCENARIOS[chosen].hits(path):
        return None
    if chosen == "502_once":
        return "502" if token_id is not None and book.first_call(token_id, provider) else None
    return chosen


def respond(provider: str, scenario: str, *, slow_seconds: float, oversized_bytes: int) -> Response | None:
    """The faulty answer; None when the call should go on normally (after `slow` has slept)."""
    if scenario == "slow":
        time.sleep(slow_seconds)
        return None
    if scenario == "contrats_504":
        scenario = "504"
    if scenario in ("403", "429", "500", "502", "504"):
        response = _error(provider, int(scenario))
        if scenario == "429":
            response.headers["Retry-After"] = str(RETRY_AFTER)
            if provider == C2S:
                response.headers["RateLimit-Remaining"] = "0"
        return response
    if scenario == "malformed_json":
        body = '{"data": {"est_beneficiaire": tru' if provider == C2S else '[{"nature_assurance": "AMO", "date_'
        return Response(body, status=200, mimetype="application/json")
    if scenario == "html":
        return Response(_MAINTENANCE_PAGE, status=200, mimetype="text/html")
    if scenario == "oversized":
        # A generator: the body is produced chunk by chunk as the client reads it, never held whole.
        return Response(_padding(oversized_bytes), status=200, mimetype="application/json")
    if scenario == "redirect":
        return redirect(REDIRECT_TARGET, code=302)
    raise ValueError(f"unknown scenario {scenario!r}")


def _error(provider: str, status: int) -> Response:
    if provider == CNAM:
        return envelopes.cnam_error(status)
    code = {403: "00100", 429: "00429", 500: "00999", 502: "37999", 504: "37002"}[status]
    return envelopes.c2s_error(code)


def _padding(size: int) -> Iterator[bytes]:
    """A valid JSON document of exactly `size` bytes (at least 16): {"padding": "xxx…"}."""
    head, tail = b'{"padding": "', b'"}'
    yield head
    left = max(size - len(head) - len(tail), 0)
    chunk = b"x" * _CHUNK
    while left > 0:
        yield chunk[:left]
        left -= min(left, _CHUNK)
    yield tail


_MAINTENANCE_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Maintenance</title></head>
<body><h1>Service momentanément indisponible</h1><p>Une opération de maintenance est en cours.</p></body></html>
"""
