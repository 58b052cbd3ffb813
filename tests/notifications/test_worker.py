"""Production runs no extra process: the webhook worker (`flask delivery webhooks worker`, a real huey consumer in
its own process, on a SQLite queue) sends the acknowledgement the web side wrote with the dossier."""

from __future__ import annotations

import time

from app import create_app
from app.extensions import services
from tests.conftest import base_config
from tests.delivery.test_jobs import _start_worker, _stop
from tests.notifications.smtp_server import SmtpServer, running
from tests.notifications.test_jobs import render
from tests.portal import demo_registry


def test_the_webhook_worker_sends_the_acknowledgement(tmp_path):
    with running(SmtpServer()) as server:
        instance = tmp_path / "instance"
        config = base_config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'dossiers.sqlite3'}",
                             WEBHOOK_QUEUE=f"sqlite:///{tmp_path / 'queue.sqlite3'}", MAIL_SMTP_HOST="127.0.0.1",
                             MAIL_SMTP_PORT=server.port, **demo_registry(tmp_path))
        store = services(create_app(config, instance_path=str(instance))).dossiers
        submitted = store.submit(idempotency_key="form-key-mail-1", organisation="chu-demo",
                                 journey="preadmission", content={"a": 1}, retention_days=90,
                                 acknowledgement=render)
        log = tmp_path / "worker.log"
        worker = _start_worker(config, instance, log)
        try:
            deadline = time.monotonic() + 30
            while not server.received and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            _stop(worker)
    [message] = server.received
    assert submitted.reference in message["Subject"], log.read_text()
    assert store.mail_outbox.count() == 0
    assert "acknowledgement sent" in log.read_text() and "yopmail" not in log.read_text()  # no address logged
