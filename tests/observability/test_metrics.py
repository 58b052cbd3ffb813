"""Prometheus metrics: journeys, sign-in failures, provider calls, breaker state and the webhook backlog; behind
a token; no personal datum in a label or a value's name."""

from __future__ import annotations

import re

import requests

from app.observability import metrics
from tests.integration.test_journeys import fill, send, start

TOKEN = "metrics-token-" + "m" * 32
PERSONAL = ("DUBOIS", "Angela", "262087510790169", "MERCIER", "Pierre", "PORTAIL-42")


def scrape(stack, token: str | None = TOKEN) -> str:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.get(stack.service_url + "/metrics", headers=headers, timeout=10)
    assert response.status_code == 200, response.status_code
    assert "Set-Cookie" not in response.headers
    return response.text


def value(text: str, name: str, **labels) -> float:
    total = 0.0
    for line in text.splitlines():
        match = re.match(r"^([a-z_]+)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match.group(3))
    return total


def test_a_completed_journey_is_counted_without_any_personal_datum(make_stack):
    stack = make_stack(METRICS_TOKEN=TOKEN)
    before = scrape(stack)
    browser, _ = start(stack, stack.launch_path("chu-demo"), "test")
    browser.submit("Continuer", extra={"patient": "self"})
    fill(browser, {"phone": "06 12 34 56 78"})
    send(browser)
    after = scrape(stack)

    for outcome in ("started", "completed"):
        delta = value(after, "droits_connect_journeys_total", journey="preadmission", organisation="chu-demo",
                      outcome=outcome) - value(before, "droits_connect_journeys_total", journey="preadmission",
                                               organisation="chu-demo", outcome=outcome)
        assert delta == 1, outcome
    calls = value(after, "droits_connect_provider_calls_total", provider="cnam", outcome="2xx") - value(
        before, "droits_connect_provider_calls_total", provider="cnam", outcome="2xx")
    assert calls >= 2
    assert value(after, "droits_connect_provider_call_seconds_count", provider="api_particulier") >= 1
    assert 'droits_connect_breaker_state{provider="cnam"} 0.0' in after
    assert 'droits_connect_webhook_outbox{status="pending"}' in after
    assert 'droits_connect_webhook_outbox{status="dead"} 0.0' in after
    for datum in PERSONAL:
        assert datum not in after, datum


def test_an_abandoned_journey_and_a_failed_sign_in_are_counted_by_code(make_stack):
    stack = make_stack(METRICS_TOKEN=TOKEN)
    before = scrape(stack)
    browser, _ = start(stack, stack.launch_path("mutuelle-demo"), "test")
    browser.submit("Abandonner")
    after = scrape(stack)
    labels = dict(journey="adhesion", organisation="mutuelle-demo", outcome="abandoned")
    assert value(after, "droits_connect_journeys_total", **labels) - value(
        before, "droits_connect_journeys_total", **labels) == 1

    from app.extensions import services

    services(stack.service).audit.record("sign_in_failed", detail="state_mismatch")  # as the callback records it
    text = scrape(stack)
    assert value(text, "droits_connect_sign_in_failures_total", reason="state_mismatch") - value(
        after, "droits_connect_sign_in_failures_total", reason="state_mismatch") == 1


def test_a_label_that_is_not_a_code_is_replaced():
    assert metrics._code("DUBOIS Angela") == "unknown" and metrics._code("chu-demo") == "chu-demo"


def test_the_endpoint_is_refused_without_the_token(make_stack):
    stack = make_stack(METRICS_TOKEN=TOKEN)
    assert requests.get(stack.service_url + "/metrics", timeout=10).status_code == 401
    wrong = requests.get(stack.service_url + "/metrics", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 403 and "droits_connect" not in wrong.text


def test_without_a_token_only_production_refuses():
    from flask import Flask

    from app.observability.metrics import BacklogCollector, blueprint

    for production, status in ((True, 404), (False, 200)):
        app = Flask(__name__)
        app.register_blueprint(blueprint(BacklogCollector(dict), token="", open_without_token=not production))
        assert app.test_client().get("/metrics").status_code == status
