"""The sandbox's mail catcher: an SMTP server on loopback (aiosmtpd) that keeps the messages it receives in
memory, and `/courriels/` on the sandbox's origin, which lists them. `make run` points the service's
acknowledgements at it; nothing leaves the machine.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import deque
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller
from flask import Blueprint, render_template

KEPT = 50  # the newest messages; older ones are forgotten


@dataclass(frozen=True)
class CaughtMessage:
    received_at: dt.datetime
    sender: str
    recipients: tuple[str, ...]
    subject: str
    text: str


class Inbox:
    """The messages received, newest first; shared between the SMTP thread and the page."""

    def __init__(self) -> None:
        self._messages: deque[CaughtMessage] = deque(maxlen=KEPT)
        self._lock = threading.Lock()

    def add(self, message: CaughtMessage) -> None:
        with self._lock:
            self._messages.appendleft(message)

    def messages(self) -> list[CaughtMessage]:
        with self._lock:
            return list(self._messages)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's handler hook
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        body = parsed.get_body(preferencelist=("plain",))
        self.add(CaughtMessage(
            received_at=dt.datetime.now(dt.UTC), sender=envelope.mail_from,
            recipients=tuple(envelope.rcpt_tos), subject=str(parsed.get("Subject", "")),
            text=body.get_content() if body is not None else "",
        ))
        return "250 Message accepted for delivery"


def start(inbox: Inbox, host: str, port: int) -> Controller:
    """The SMTP server in its own thread (stop it with `.stop()`); loopback only."""
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise ValueError("the mail catcher listens on loopback only")
    controller = Controller(inbox, hostname=host, port=port)
    controller.start()
    return controller


def blueprint(inbox: Inbox) -> Blueprint:
    bp = Blueprint("mail_catcher", __name__)

    @bp.get("/courriels/")
    def messages():
        return render_template("sandbox/mail.html", messages=inbox.messages())

    return bp
