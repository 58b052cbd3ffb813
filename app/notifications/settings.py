"""The e-mail acknowledgement's settings: the SMTP relay and the sender.

MAIL_SMTP_HOST None turns the acknowledgement off outside production; production refuses to start without a host
and a sender, and refuses plain SMTP (no STARTTLS) to a host that is not loopback: the message carries the
person's address and their dossier's reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.headerregistry import Address, HeaderRegistry
from typing import Any

from app.config_values import ConfigError, as_bool, as_number, as_str, is_loopback
from app.outbound import exponential_delay

DEFAULTS: dict[str, Any] = {
    "MAIL_SMTP_HOST": None,  # None = no acknowledgement (refused in production)
    "MAIL_SMTP_PORT": 587,
    "MAIL_STARTTLS": None,  # None = on, except towards a loopback host (the sandbox's mail catcher)
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_FROM": None,  # e.g. "Droits Connect <ne-pas-repondre@droits-connect.example>"
    "MAIL_TIMEOUT": 10,  # seconds for one SMTP conversation, connection included
    "MAIL_MAX_ATTEMPTS": 8,  # then the acknowledgement is given up (and its row deleted)
    "MAIL_BACKOFF_BASE": 60,  # seconds before the second attempt, doubled after each failure…
    "MAIL_BACKOFF_CAP": 2 * 60 * 60,  # …up to this many seconds
}


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    starttls: bool
    sender: str
    timeout: float = 10
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    max_attempts: int = 8
    backoff_base: float = 60
    backoff_cap: float = 2 * 60 * 60

    @property
    def lease_seconds(self) -> float:
        """How long a claimed row is out of other workers' reach: one SMTP conversation and some margin."""
        return self.timeout + 30

    def retry_delay(self, attempts: int, jitter: float) -> float:
        """Seconds before the next attempt after `attempts` failed ones; `jitter` in [0, 1) takes up to half off."""
        return exponential_delay(attempts, base=self.backoff_base, cap=self.backoff_cap) * (1 - jitter / 2)


def load_mail_settings(config: Mapping, *, production: bool) -> MailSettings | None:
    """The SMTP settings, or None when no host is set outside production (no acknowledgement is sent)."""
    host = as_str(config, "MAIL_SMTP_HOST")
    sender = as_str(config, "MAIL_FROM")
    if host is None:
        if production:
            raise ConfigError("MAIL_SMTP_HOST is missing: set the SMTP relay that sends the acknowledgements")
        return None
    if sender is None:
        if production:
            raise ConfigError("MAIL_FROM is missing: set the acknowledgements' sender address")
        sender = "Droits Connect <ne-pas-repondre@localhost>"
    _check_sender(sender)
    starttls = as_bool(config, "MAIL_STARTTLS")
    if starttls is None:
        starttls = not is_loopback(host)
    if production and not starttls and not is_loopback(host):
        raise ConfigError("MAIL_STARTTLS is off towards a remote SMTP host: the acknowledgements would travel "
                          "in clear; turn MAIL_STARTTLS on")
    username, password = as_str(config, "MAIL_USERNAME"), as_str(config, "MAIL_PASSWORD")
    if (username is None) != (password is None):
        raise ConfigError("MAIL_USERNAME and MAIL_PASSWORD go together: set both or neither")
    return MailSettings(host=host, port=as_number(config, "MAIL_SMTP_PORT", int, 1), starttls=starttls,
                        sender=sender, timeout=as_number(config, "MAIL_TIMEOUT", float, 0.1),
                        username=username, password=password,
                        max_attempts=as_number(config, "MAIL_MAX_ATTEMPTS", int, 1),
                        backoff_base=as_number(config, "MAIL_BACKOFF_BASE", float, 0),
                        backoff_cap=as_number(config, "MAIL_BACKOFF_CAP", float, 0))


def _check_sender(sender: str) -> None:
    try:
        header = HeaderRegistry()("From", sender)
        addresses: tuple[Address, ...] = header.addresses
    except (HeaderParseError, IndexError, ValueError):
        addresses = ()
    if len(addresses) != 1 or not addresses[0].domain:
        raise ConfigError("MAIL_FROM must be one address, e.g. 'Droits Connect <ne-pas-repondre@example.fr>'")
