"""Sending one message over SMTP (smtplib): STARTTLS and login as the settings say.

A failure is typed: `MailUnavailable` (connection refused, timeout, a 4xx answer) is worth retrying,
`MailRefused` (a 5xx answer) is not. Their reason codes carry no address.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from app.notifications.settings import MailSettings


class MailError(Exception):
    """Base of the acknowledgement's sending failures; never raised itself."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MailUnavailable(MailError):
    """The relay could not take the message now (refused, timeout, 4xx): retry later."""


class MailRefused(MailError):
    """The relay refused the message for good (5xx)."""


def send(settings: MailSettings, message: EmailMessage) -> None:
    """Hand `message` to the relay; MailUnavailable or MailRefused when it does not take it."""
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username is not None:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise _by_code(min(codes) if codes else 550, "recipient_refused") from None
    except smtplib.SMTPResponseException as exc:
        raise _by_code(exc.smtp_code, "smtp_error") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailUnavailable(f"unreachable:{type(exc).__name__}") from None


def _by_code(code: int, what: str) -> MailError:
    if 400 <= code < 500:
        return MailUnavailable(f"{what}_{code}")
    return MailRefused(f"{what}_{code}")
