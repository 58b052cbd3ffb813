"""One delivery attempt against real loopback receivers: success, 500, down, slow, dead, replay, never twice."""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket

import pytest
from standardwebhooks import Webhook

from app.delivery.webhooks.sender import Attempt
from app.model.webhook import WebhookEvent
from tests.delivery.conftest import SECRET, sender_for
from tests.delivery.receiver import Receiver
from tests.sandbox.server import run_wsgi

EVENT = WebhookEvent("dossier.submitted", "chu-demo", portal_reference="ADM-77", dossier_reference="DC-7K3M-Q9P2")


@pytest.fixture
def receiver():
    return Receiver()


@pytest.fixture
def url(receiver):
    with run_wsgi(receiver) as base_url:
        yield f"{base_url}/hooks/droits-connect"


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


def test_a_due_row_is_posted_signed_and_marked_delivered(outbox, clock, receiver, url):
    outbox_id = outbox.record(EVENT)
    assert sender_for(outbox, url, clock).deliver(outbox_id) == Attempt(outbox_id, "delivered")
    [request] = receiver.received
    assert request.path == "/hooks/droits-connect" and request.id == outbox_id
    assert Webhook(SECRET).verify(request.body, request.headers) == {
        "type": "dossier.submitted", "timestamp": "2026-01-15T09:30:00Z",
        "data": {"organisation": "chu-demo", "dossier_reference": "DC-7K3M-Q9P2", "portal_reference": "ADM-77"},
    }
    entry = outbox.get(outbox_id)
    assert (entry.status, entry.attempts, entry.delivered_at, entry.last_error) == ("delivered", 1, clock.now, None)


def test_a_delivered_row_is_never_sent_again(outbox, clock, receiver, url):
    outbox_id = outbox.record(EVENT)
    sender = sender_for(outbox, url, clock)
    sender.deliver(outbox_id)
    clock.advance(days=1)
    assert sender.deliver(outbox_id) is None
    assert sender.deliver_due() == []
    assert outbox.replay(outbox_id) is False
    assert [r.id for r in receiver.received] == [outbox_id]


@pytest.mark.parametrize("status", [500, 503, 404, 302])
def test_a_refusal_is_retried_with_backoff_under_the_same_id(outbox, clock, url, receiver, status):
    receiver.statuses = [status, status]
    outbox_id = outbox.record(EVENT)
    sender = sender_for(outbox, url, clock)
    reason = f"http_{status}" if status != 302 else "redirect_refused"
    first = sender.deliver(outbox_id)
    assert (first.outcome, first.reason, first.retry_in) == ("retry", reason, 60)
    assert sender.deliver(outbox_id) is None  # not due before its backoff
    clock.advance(60)
    assert sender.deliver(outbox_id).retry_in == 120  # doubled
    clock.advance(120)
    assert sender.deliver(outbox_id).outcome == "delivered"
    assert {r.id for r in receiver.received} == {outbox_id} and len(receiver.received) == 3
    assert outbox.get(outbox_id).attempts == 3


def test_a_receiver_down_is_retried_then_reached(outbox, clock, receiver, url):
    outbox_id = outbox.record(EVENT)
    attempt = sender_for(outbox, closed_port_url(), clock).deliver(outbox_id)
    assert (attempt.outcome, attempt.reason) == ("retry", "connection_error")
    assert outbox.get(outbox_id).last_error == "connection_error"
    clock.advance(60)
    assert sender_for(outbox, url, clock).deliver(outbox_id).outcome == "delivered"
    assert [r.id for r in receiver.received] == [outbox_id]


def test_a_receiver_slower_than_the_timeout_is_retried(outbox, clock):
    slow = Receiver(delay=1.0)
    outbox_id = outbox.record(EVENT)
    with run_wsgi(slow) as base_url:
        attempt = sender_for(outbox, f"{base_url}/hooks", clock, timeout=0.3).deliver(outbox_id)
    assert attempt.outcome == "retry" and attempt.reason.endswith("timeout")
    assert outbox.get(outbox_id).status == "pending"


def test_the_backoff_has_jitter_and_a_cap(outbox, clock):
    settings = sender_for(outbox, None, clock).__dict__["_settings"]
    assert [settings.retry_delay(n, 0.0) for n in range(1, 9)] == [60, 120, 240, 480, 960, 1920, 3840, 7680]
    assert settings.retry_delay(12, 0.0) == 6 * 3600
    assert settings.retry_delay(1, 0.999) == pytest.approx(30, abs=0.1)  # up to half off


def test_dead_after_max_attempts_then_replayed_under_the_same_id(outbox, clock, url, receiver):
    receiver.statuses = [500, 500, 500]
    outbox_id = outbox.record(EVENT)
    sender = sender_for(outbox, url, clock, max_attempts=3)
    outcomes = []
    for _ in range(3):
        outcomes.append(sender.deliver(outbox_id).outcome)
        clock.advance(hours=1)
    assert outcomes == ["retry", "retry", "dead"]
    assert sender.deliver_due() == []  # dead rows are not swept
    entry = outbox.get(outbox_id)
    assert (entry.status, entry.attempts, entry.last_error) == ("dead", 3, "http_500")
    assert [e.id for e in outbox.entries("dead")] == [outbox_id]
    assert outbox.replay(outbox_id) is True
    assert sender.deliver_due() == [Attempt(outbox_id, "delivered")]
    assert [r.id for r in receiver.received] == [outbox_id] * 4


def test_an_organisation_without_webhook_makes_the_row_dead_at_once(outbox, clock):
    outbox_id = outbox.record(EVENT)
    assert sender_for(outbox, None, clock).deliver(outbox_id) == Attempt(outbox_id, "dead", "no_webhook")


def test_a_plain_http_webhook_off_loopback_is_never_called(outbox, clock):
    outbox_id = outbox.record(EVENT)
    attempt = sender_for(outbox, "http://hooks.example/x", clock).deliver(outbox_id)
    assert attempt == Attempt(outbox_id, "dead", "insecure_url")


def test_a_claimed_row_is_out_of_reach_for_its_lease(outbox, clock):
    outbox_id = outbox.record(EVENT)
    assert outbox.claim(outbox_id, dt.timedelta(seconds=40)) is not None
    assert outbox.claim(outbox_id, dt.timedelta(seconds=40)) is None  # another worker
    clock.advance(41)
    assert outbox.claim(outbox_id, dt.timedelta(seconds=40)).id == outbox_id  # the first one died


def test_the_payload_and_logs_carry_no_personal_data(outbox, clock, url, receiver, caplog):
    outbox_id = outbox.record(EVENT)
    sender_for(outbox, url, clock).deliver(outbox_id)
    body = json.loads(receiver.received[0].body)
    assert set(body) == {"type", "timestamp", "data"}
    assert set(body["data"]) == {"organisation", "dossier_reference", "portal_reference"}
    assert SECRET not in caplog.text and "whsec_" not in caplog.text


def test_a_2xx_not_recorded_is_sent_again_under_the_same_id(outbox, clock, url, receiver, monkeypatch):
    """At least once: the worker dies (here: the database fails) after the receiver's 2xx and before the row is
    marked delivered; once the lease is over, the event goes again with the same webhook-id."""
    outbox_id = outbox.record(EVENT)
    sender = sender_for(outbox, url, clock)
    with monkeypatch.context() as patched:
        patched.setattr(outbox, "delivered", lambda _id: (_ for _ in ()).throw(ConnectionError("db down")))
        with pytest.raises(ConnectionError):
            sender.deliver(outbox_id)
    assert sender.deliver_due() == []  # leased
    clock.advance(31 + 1)
    assert sender.deliver_due() == [Attempt(outbox_id, "delivered")]
    assert [r.id for r in receiver.received] == [outbox_id, outbox_id]


def test_while_a_secret_rotates_the_receiver_verifies_with_either(outbox, clock, receiver, url):
    from dataclasses import replace

    from app.delivery.webhooks.sender import WebhookSender
    from tests.delivery.conftest import organisation, settings

    new = "whsec_" + base64.b64encode(b"n" * 32).decode()
    rotating = organisation(url)
    rotating = replace(rotating, webhook=replace(rotating.webhook, secret=new, previous_secrets=(SECRET,)))
    sender = WebhookSender(outbox, {"chu-demo": rotating}, settings(), clock=clock, rng=lambda: 0.0)
    outbox_id = outbox.record(EVENT)
    assert sender.deliver(outbox_id) == Attempt(outbox_id, "delivered")
    [request] = receiver.received
    for secret in (new, SECRET):  # a receiver still on the old secret, and one already on the new
        assert Webhook(secret).verify(request.body, request.headers)["type"] == "dossier.submitted"
