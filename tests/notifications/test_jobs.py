"""The acknowledgement's way out: written encrypted with the dossier, sent by a huey task over a real SMTP socket,
retried with backoff when the relay is down or answers 4xx, given up on a 5xx or after the last attempt."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.fernet import Fernet
from huey import MemoryHuey
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.dossiers.crypto import DossierCipher
from app.dossiers.models import MailOutbox
from app.notifications import jobs
from app.notifications.settings import MailSettings
from tests.notifications.smtp_server import SmtpServer, free_port, running
from tests.notifications.test_message import CHU, compose

ADDRESS = "angela@yopmail.com"


def settings(port: int, **changes) -> MailSettings:
    values = {"host": "127.0.0.1", "port": port, "starttls": False, "sender": "Droits Connect <dc@dc.example>",
              "timeout": 5, "max_attempts": 4, "backoff_base": 60, "backoff_cap": 600, **changes}
    return MailSettings(**values)


def immediate(store, mail_settings):
    mail_jobs = jobs.register(MemoryHuey("test-mail", immediate=True, results=False), store.mail_outbox,
                              mail_settings)
    store.mail_outbox.listen(mail_jobs.enqueue)
    return mail_jobs


def render(reference: str) -> bytes:
    return compose().as_bytes().replace(b"DC-7K3M-Q9P2", reference.encode())


def submit(store, key="draft-0001"):
    return store.submit(idempotency_key=key, organisation=CHU.id, journey="preadmission",
                        content={"nir": "262087510790169"}, retention_days=90, acknowledgement=render)


def test_the_message_is_sent_after_the_commit_and_its_row_deleted(store):
    with running(SmtpServer()) as server:
        immediate(store, settings(server.port))
        submitted = submit(store)
    [message] = server.received
    assert submitted.reference in message["Subject"]
    assert server.envelopes == [("ne-pas-repondre@dc.example", [ADDRESS])]
    assert store.mail_outbox.count() == 0


def test_the_row_is_encrypted_and_a_repeat_writes_none(store, engine):
    submit(store)  # no listener: the row waits for the worker
    assert submit(store).created is False and store.mail_outbox.count() == 1
    with Session(engine) as session:
        row = session.scalar(select(MailOutbox))
    assert ADDRESS.encode() not in row.message and b"Centre hospitalier" not in row.message


@pytest.mark.parametrize("failure", ["refused", "451 4.3.0 Try again later"])
def test_a_failing_relay_is_retried_with_backoff_until_delivery(store, clock, failure):
    port = free_port()
    server = SmtpServer()
    mail_jobs = immediate(store, settings(port))
    if failure == "refused":  # nobody listens on the port yet
        submitted = submit(store)
    else:
        server.answer = failure
        with running(server, port):
            submitted = submit(store)
    assert submitted.created and server.received == []
    mail_id = _only_id(store)
    assert store.mail_outbox.attempts(mail_id) == 1
    [scheduled] = mail_jobs.huey.scheduled()
    assert scheduled.name == "mail.send" and scheduled.args == (mail_id,)
    mail_jobs.sweep()  # not due yet: nothing happens
    assert store.mail_outbox.attempts(mail_id) == 1
    server.answer = "250 OK"
    with running(server, port):
        clock.advance(60)
        mail_jobs.sweep()  # the periodic sweep finds the due row even if the scheduled task were lost
    [message] = server.received
    assert submitted.reference in message["Subject"] and store.mail_outbox.count() == 0


def test_a_5xx_or_the_last_attempt_gives_up_and_forgets_the_address(store, clock, caplog):
    server = SmtpServer()
    server.answer = "554 5.7.1 Refused"
    with running(server):
        immediate(store, settings(server.port))
        submit(store)
    assert store.mail_outbox.count() == 0 and "given up after 1 attempt(s) reason=smtp_error_554" in caplog.text
    immediate(store, settings(free_port(), max_attempts=2))
    submit(store, key="draft-0002")
    assert store.mail_outbox.count() == 1
    clock.advance(600)
    jobs.attempt(store.mail_outbox, settings(free_port(), max_attempts=2), _only_id(store))
    assert store.mail_outbox.count() == 0
    assert ADDRESS not in caplog.text


def _only_id(store) -> str:
    with Session(store.engine) as session:
        return session.scalar(select(MailOutbox.id))


def test_a_row_no_key_opens_any_more_is_given_up(store, engine, caplog):
    submit(store)
    retired = type(store.mail_outbox)(engine, DossierCipher([Fernet.generate_key().decode()]))
    assert retired.claim(_only_id(store), dt.timedelta(seconds=60)) is None
    assert store.mail_outbox.count() == 0 and "no configured key opens it" in caplog.text
