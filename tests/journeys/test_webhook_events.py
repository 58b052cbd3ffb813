"""The journeys' webhook events: a submission and a cancellation from a signed launch notify the organisation's
webhook (a loopback receiver, the queue in immediate mode), saying that it happened and nothing personal."""

from __future__ import annotations

import json

import pytest
from standardwebhooks import Webhook

from app.extensions import services
from tests.delivery.conftest import SECRET
from tests.delivery.receiver import Receiver
from tests.journeys.support import csrf_token
from tests.journeys.test_views import CHU, sign_in, to_review
from tests.portal import DEMO_RETURN_URL, demo_registry, launch_path
from tests.sandbox.server import run_wsgi

AUDIENCE = "http://localhost"


@pytest.fixture
def receiver():
    receiver = Receiver()
    with run_wsgi(receiver) as base_url:
        receiver.url = f"{base_url}/hooks"
        yield receiver


def make(make_app, tmp_path, webhook_url=None):
    changes = {"webhook": {"url": webhook_url, "secret": SECRET}} if webhook_url else {}
    return make_app(WEBHOOK_QUEUE="immediate", **demo_registry(tmp_path, **changes))


def submit(client, ref="ADM-77"):
    client.get(launch_path("chu-demo", audience=AUDIENCE, ref=ref))
    sign_in(client, ref=ref, signed=True, return_url=DEMO_RETURN_URL)
    to_review(client)
    token = csrf_token(client.get(f"{CHU}/verification").get_data(as_text=True))
    return client.post(f"{CHU}/envoi", data={"csrf_token": token})


def cancel(client, ref="ADM-9"):
    client.get(launch_path("chu-demo", audience=AUDIENCE, ref=ref))
    sign_in(client, ref=ref, signed=True, return_url=DEMO_RETURN_URL)
    token = csrf_token(client.get(f"{CHU}/personnes").get_data(as_text=True))
    return client.post(f"{CHU}/retour", data={"csrf_token": token})


def test_a_submission_notifies_the_webhook_once(make_app, tmp_path, receiver):
    app = make(make_app, tmp_path, receiver.url)
    client = app.test_client()
    assert submit(client).status_code == 303
    token = csrf_token(client.get(f"{CHU}/recepisse").get_data(as_text=True))
    client.post(f"{CHU}/envoi", data={"csrf_token": token})  # a replayed POST lands on the receipt
    [request] = receiver.received
    body = Webhook(SECRET).verify(request.body, request.headers)
    [entry] = services(app).dossiers.outbox.entries()
    assert request.id == entry.id and entry.status == "delivered"
    assert body["type"] == "dossier.submitted"
    assert body["data"] == {"organisation": "chu-demo", "portal_reference": "ADM-77",
                            "dossier_reference": client.get(f"{CHU}/recepisse").get_data(as_text=True)
                            .split('data-reference="')[1][:12]}
    for personal in ("Angela", "DUBOIS", "1962", "MERCIER", "2 69"):
        assert personal not in request.body


def test_a_cancellation_from_a_signed_launch_notifies_the_webhook(make_app, tmp_path, receiver):
    app = make(make_app, tmp_path, receiver.url)
    assert cancel(app.test_client()).status_code == 303
    [request] = receiver.received
    assert json.loads(request.body)["type"] == "journey.cancelled"
    assert json.loads(request.body)["data"] == {"organisation": "chu-demo", "portal_reference": "ADM-9",
                                                "dossier_reference": None}


def test_an_unsigned_cancellation_notifies_nobody(make_app, tmp_path, receiver):
    app = make(make_app, tmp_path, receiver.url)
    client = app.test_client()
    client.get(f"{CHU}/")  # unsigned entry: no portal reference
    token = csrf_token(client.get(f"{CHU}/").get_data(as_text=True))
    assert client.post(f"{CHU}/retour", data={"csrf_token": token}).status_code == 200
    assert receiver.received == [] and services(app).dossiers.outbox.entries() == []


def test_an_organisation_without_webhook_gets_no_event(make_app, tmp_path):
    app = make(make_app, tmp_path)
    client = app.test_client()
    submit(client)
    cancel(client, ref="ADM-10")
    assert services(app).dossiers.outbox.entries() == []


def test_a_receiver_down_leaves_the_event_pending_and_the_person_unaffected(make_app, tmp_path):
    app = make(make_app, tmp_path, "http://127.0.0.1:9/hooks")  # discard port: nothing listens
    client = app.test_client()
    assert submit(client).status_code == 303
    assert client.get(f"{CHU}/recepisse").status_code == 200
    [entry] = services(app).dossiers.outbox.entries()
    assert (entry.status, entry.attempts, entry.last_error) == ("pending", 1, "connection_error")
