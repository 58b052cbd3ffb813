"""The whole loop over loopback HTTP, as a hospital's developer will first run it: the example portal
(examples/portal/portal.py) makes a signed launch link, the person completes a pre-admission through the
sandbox, comes back to the portal, and the portal verifies the signed result with its own JWT library."""

from __future__ import annotations

import base64
import datetime as dt
import importlib.util
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.extensions import services
from app.model.organisation import api_key_hash
from tests.integration.test_journeys import fill, send
from tests.sandbox.server import run_wsgi_factory

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "portal" / "portal.py"


def pre_admit_oneself(browser) -> str:
    """From the information page a launch link opened: sign in as `test`, pre-admit oneself, send; the reference."""
    browser.submit("FranceConnect")
    browser.submit("test")
    browser.submit("Continuer")
    browser.submit("Continuer", extra={"patient": "self"})
    fill(browser)
    return send(browser)


@pytest.fixture
def example_portal(monkeypatch):
    """The example portal's module, served on a free loopback port."""
    spec = importlib.util.spec_from_file_location("example_portal", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with run_wsgi_factory(lambda url: module.app) as (url, _):
        monkeypatch.setattr(module, "PORTAL_URL", url)
        monkeypatch.setattr(module, "RETURN_URL", url + "/retour")
        yield module


def test_the_example_portal_launches_a_journey_and_verifies_its_result(make_stack, example_portal):
    stack = make_stack(extra_return_urls=(example_portal.RETURN_URL,))
    example_portal.SERVICE_URL = stack.service_url
    browser = stack.browser()
    browser.get(example_portal.PORTAL_URL + "/")
    link = next(f for f in browser.page.text.split("'") if f.startswith(stack.service_url)).replace("&amp;", "&")
    browser.get(link)
    assert urlsplit(browser.page.url).path == "/preadmission/chu-demo/" and "launch" not in browser.page.url
    assert "Cardiologie" in browser.page.text and "PORTAIL-" in browser.page.text
    reference = pre_admit_oneself(browser)
    page = browser.submit("Retourner sur le site de")
    assert page.url.startswith(example_portal.RETURN_URL + "?result=")
    assert "Résultat vérifié : submitted" in page.text and f"<span id='dossier'>{reference}</span>" in page.text


def test_the_example_portal_refuses_a_result_it_did_not_get_from_the_service(example_portal):
    import jwt

    forged = jwt.encode({"iss": example_portal.SERVICE_URL, "aud": example_portal.ORGANISATION, "iat": 1,
                         "exp": 4_000_000_000, "status": "submitted"}, "not-the-secret-" + "x" * 32,
                        algorithm="HS256")
    with pytest.raises(jwt.InvalidTokenError):
        example_portal.read_result(forged)


def test_cancelling_sends_the_person_back_with_a_signed_cancel(make_stack, example_portal):
    stack = make_stack(extra_return_urls=(example_portal.RETURN_URL,))
    example_portal.SERVICE_URL = stack.service_url
    browser = stack.browser()
    browser.get(example_portal.launch_link("PORTAIL-9"))
    page = browser.submit("Abandonner")
    assert page.url.startswith(example_portal.RETURN_URL)
    assert "Résultat vérifié : cancelled" in page.text and "PORTAIL-9" in page.text


@pytest.fixture
def example_receiver(monkeypatch):
    """The example receiver (examples/portal/receiver.py), served on a free loopback port."""
    spec = importlib.util.spec_from_file_location("example_receiver", EXAMPLE.with_name("receiver.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with run_wsgi_factory(lambda url: module.app) as (url, _):
        monkeypatch.setattr(module, "RECEIVER_URL", url)
        yield module


def test_the_example_receiver_gets_the_webhook_pulls_every_format_and_acknowledges(
        make_stack, example_portal, example_receiver):
    key, secret = "dc_live_" + secrets.token_urlsafe(32), "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    stack = make_stack(
        extra_return_urls=(example_portal.RETURN_URL,), WEBHOOK_QUEUE="immediate",
        per_organisation={"chu-demo": {"api_key_hashes": [api_key_hash(key)],
                                       "webhook": {"url": example_receiver.RECEIVER_URL + "/", "secret": secret}}})
    example_portal.SERVICE_URL = example_receiver.SERVICE_URL = stack.service_url
    example_receiver.API_KEY, example_receiver.WEBHOOK_SECRET = key, secret
    browser = stack.browser()
    browser.get(example_portal.launch_link("PORTAIL-77"))
    reference = pre_admit_oneself(browser)

    (delivery,) = example_receiver.received.values()  # the webhook arrived, its signature verified
    assert delivery["event"]["data"] == {"organisation": "chu-demo", "dossier_reference": reference,
                                         "portal_reference": "PORTAIL-77"}
    assert delivery["json"]["content"]["portal_reference"] == "PORTAIL-77"
    assert delivery["fhir"]["resourceType"] == "Bundle" and delivery["hl7"].startswith("MSH|")
    assert delivery["ack"]["status"] == "delivered"

    dossiers = services(stack.service).dossiers
    summary = dossiers.summary(reference)
    assert summary.status == "delivered" and summary.purge_after == summary.delivered_at + dt.timedelta(days=7)
    assert dossiers.purge(now=summary.purge_after - dt.timedelta(seconds=1)).dossiers == 0
    assert dossiers.purge(now=summary.purge_after).dossiers == 1  # gone on its post-delivery schedule
