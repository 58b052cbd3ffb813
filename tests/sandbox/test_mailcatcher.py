"""The sandbox's mail catcher: an SMTP server on loopback whose messages `/courriels/` lists, in French."""

from __future__ import annotations

import os

import pytest

from app import devserver
from app.notifications import smtp
from app.notifications.settings import MailSettings
from app.sandbox import mailcatcher
from tests.notifications.smtp_server import free_port
from tests.notifications.test_message import compose


@pytest.fixture
def inbox(app):
    inbox = mailcatcher.Inbox()
    app.register_blueprint(mailcatcher.blueprint(inbox))
    return inbox


def test_a_message_sent_to_the_catcher_is_listed(app, inbox):
    port = free_port()
    controller = mailcatcher.start(inbox, "127.0.0.1", port)
    try:
        smtp.send(MailSettings(host="127.0.0.1", port=port, starttls=False, sender="dc@localhost"), compose())
    finally:
        controller.stop()
    page = app.test_client().get("/courriels/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="fr">' in html
    for expected in ("Courriels reçus", "1 courriel,", "Votre dossier DC-7K3M-Q9P2 a été envoyé",
                     "angela@yopmail.com", "Référence de votre dossier : DC-7K3M-Q9P2"):
        assert expected in html, expected


def test_an_empty_inbox_says_so(app, inbox):
    assert "Aucun courriel reçu" in app.test_client().get("/courriels/").get_data(as_text=True)


def test_the_catcher_listens_on_loopback_only(inbox):
    with pytest.raises(ValueError, match="loopback"):
        mailcatcher.start(inbox, "0.0.0.0", free_port())


def test_make_run_points_the_acknowledgements_at_the_catcher_unless_told_otherwise(monkeypatch):
    for key in ("FLASK_MAIL_SMTP_HOST", "FLASK_MAIL_SMTP_PORT", "FLASK_MAIL_STARTTLS"):
        monkeypatch.setenv(key, "")  # registered with monkeypatch, so what the dev server sets is undone
    assert devserver.mail_towards_catcher()
    assert os.environ["FLASK_MAIL_SMTP_HOST"] == "127.0.0.1" and os.environ["FLASK_MAIL_SMTP_PORT"] == "5025"
    monkeypatch.setenv("FLASK_MAIL_SMTP_HOST", "smtp.example.fr")
    assert not devserver.mail_towards_catcher()
