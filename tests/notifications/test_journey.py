"""A submission with an e-mail address sends the acknowledgement (the queue in immediate mode, a real SMTP
socket); a relay that is down never fails the submission. Angela's NIR is CNAM-certified in her dossier: it
must not be in the message, nor any other value of the form but the address."""

from __future__ import annotations

from app.extensions import services
from tests.journeys.support import DECLARED, csrf_token
from tests.journeys.test_views import CHU, sign_in, to_review
from tests.notifications.smtp_server import SmtpServer, free_port, running
from tests.portal import demo_registry

ANGELA_NIR = "262087510790169"  # tests/journeys/factories.py: cnam_ok()


def make(make_app, tmp_path, port):
    return make_app(WEBHOOK_QUEUE="immediate", MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=port,
                    MAIL_FROM="Droits Connect <ne-pas-repondre@dc.example>", **demo_registry(tmp_path))


def submit(client, **overrides):
    sign_in(client)
    to_review(client, **overrides)
    token = csrf_token(client.get(f"{CHU}/verification").get_data(as_text=True))
    response = client.post(f"{CHU}/envoi", data={"csrf_token": token})
    assert response.status_code == 303
    return client.get(response.headers["Location"]).get_data(as_text=True).split('data-reference="')[1][:12]


def test_the_acknowledgement_arrives_with_the_reference_and_nothing_personal(make_app, tmp_path):
    with running(SmtpServer()) as server:
        app = make(make_app, tmp_path, server.port)
        reference = submit(app.test_client())
    [message] = server.received
    assert message["To"] == DECLARED["email"] and reference in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert f"Référence de votre dossier : {reference}" in text and "Centre hospitalier de Démonstration" in text
    assert ANGELA_NIR in str(services(app).dossiers.get(reference).content)  # certified, in the dossier…
    raw = message.as_string()
    for absent in (ANGELA_NIR, "2 62 08 75", "DUBOIS", "Angela", "ANGELA", "1962", DECLARED["phone"]):
        assert absent not in raw, absent  # …but not in the message
    assert services(app).dossiers.mail_outbox.count() == 0


def test_a_relay_down_keeps_the_submission_and_the_message_for_later(make_app, tmp_path):
    port = free_port()
    app = make(make_app, tmp_path, port)  # nobody listens yet: connection refused
    reference = submit(app.test_client())
    assert services(app).dossiers.summary(reference).status == "submitted"
    assert services(app).dossiers.mail_outbox.count() == 1


def test_without_a_relay_nothing_is_written(make_app, tmp_path):
    app = make_app(WEBHOOK_QUEUE="immediate", **demo_registry(tmp_path))  # no MAIL_SMTP_HOST outside production
    submit(app.test_client())
    assert services(app).dossiers.mail_outbox.count() == 0
