"""The acknowledgements' SMTP settings: off without a host outside production, refused when unsafe in production."""

from __future__ import annotations

import pytest

from app.config_values import ConfigError
from app.notifications.settings import DEFAULTS, load_mail_settings

RELAY = {**DEFAULTS, "MAIL_SMTP_HOST": "smtp.example.fr", "MAIL_FROM": "Droits Connect <ne-pas-repondre@dc.fr>"}


def test_no_host_means_no_acknowledgement_outside_production():
    assert load_mail_settings(DEFAULTS, production=False) is None


def test_a_relay_defaults_to_starttls_and_a_loopback_catcher_to_plain_smtp():
    relay = load_mail_settings(RELAY, production=True)
    assert relay.starttls and relay.port == 587 and relay.max_attempts == 8
    catcher = load_mail_settings({**DEFAULTS, "MAIL_SMTP_HOST": "127.0.0.1", "MAIL_SMTP_PORT": "2525"},
                                 production=False)
    assert not catcher.starttls and catcher.port == 2525 and catcher.sender.endswith("@localhost>")


def test_the_password_stays_out_of_the_repr():
    settings = load_mail_settings({**RELAY, "MAIL_USERNAME": "dc", "MAIL_PASSWORD": "s3cret-pw"}, production=True)
    assert "s3cret-pw" not in repr(settings)


@pytest.mark.parametrize("override, message", [
    ({"MAIL_SMTP_HOST": None}, "MAIL_SMTP_HOST is missing"),
    ({"MAIL_FROM": None}, "MAIL_FROM is missing"),
    ({"MAIL_FROM": "not an address"}, "MAIL_FROM must be one address"),
    ({"MAIL_STARTTLS": False}, "MAIL_STARTTLS is off"),
    ({"MAIL_USERNAME": "dc"}, "MAIL_USERNAME and MAIL_PASSWORD go together"),
])
def test_production_refuses_unsafe_mail_settings(override, message):
    with pytest.raises(ConfigError, match=message):
        load_mail_settings({**RELAY, **override}, production=True)


def test_production_allows_plain_smtp_to_a_loopback_relay():
    settings = load_mail_settings({**RELAY, "MAIL_SMTP_HOST": "127.0.0.1", "MAIL_STARTTLS": False},
                                  production=True)
    assert not settings.starttls
