"""A real SMTP server on a free loopback port (aiosmtpd), whose answer to DATA a test may turn into a failure."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller


class SmtpServer:
    def __init__(self) -> None:
        self.answer = "250 OK"  # e.g. "451 4.3.0 Try again later" or "554 5.7.1 Refused"
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.port = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook
        if self.answer.startswith("250"):
            self.received.append(BytesParser(policy=policy.default).parsebytes(envelope.original_content))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return self.answer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running(server: SmtpServer, port: int | None = None) -> Iterator[SmtpServer]:
    server.port = port or free_port()
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
