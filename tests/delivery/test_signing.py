"""Standard Webhooks signatures: the specification's test vector, and a receiver's verifier accepts ours."""

from __future__ import annotations

import base64
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from app.delivery.webhooks import signing
from tests.delivery.conftest import SECRET

# The specification's published vector (standard-webhooks/standard-webhooks, libraries' test suites).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_specification_test_vector():
    assert signing.signature((SPEC_SECRET,), SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_a_receiver_verifies_our_headers_with_the_standardwebhooks_package():
    body = '{"type":"dossier.submitted"}'
    headers = signing.headers((SECRET,), "msg_1", int(time.time()), body)
    assert headers["content-type"] == "application/json"
    assert Webhook(SECRET).verify(body, headers) == {"type": "dossier.submitted"}
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(body.replace("submitted", "cancelled"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + base64.b64encode(b"x" * 32).decode()).verify(body, headers)


def test_rotating_secrets_sends_one_signature_per_secret_each_verifies():
    new = "whsec_" + base64.b64encode(b"n" * 32).decode()
    headers = signing.headers((new, SECRET), "msg_2", int(time.time()), "{}")
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(SECRET).verify("{}", headers)
    Webhook(new).verify("{}", headers)
