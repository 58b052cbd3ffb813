"""The pull API's settings: its rate limits (Flask-Limiter notation, e.g. "120 per minute")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from limits import parse_many

from app.config_values import ConfigError, as_str

DEFAULTS: dict[str, Any] = {
    # Per API key, every endpoint together: a hospital polling every minute uses a handful.
    "API_RATE_LIMIT": "120 per minute",
    # Per client address, failed authentications only: a key cannot be guessed, nor a revoked one hammered.
    "API_AUTH_FAILURE_LIMIT": "10 per minute",
}


@dataclass(frozen=True)
class DeliverySettings:
    rate_limit: str = DEFAULTS["API_RATE_LIMIT"]
    auth_failure_limit: str = DEFAULTS["API_AUTH_FAILURE_LIMIT"]


def load_delivery_settings(config: Mapping) -> DeliverySettings:
    return DeliverySettings(rate_limit=_limit(config, "API_RATE_LIMIT"),
                            auth_failure_limit=_limit(config, "API_AUTH_FAILURE_LIMIT"))


def _limit(config: Mapping, key: str) -> str:
    value = as_str(config, key) or DEFAULTS[key]
    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(f'{key} must be a rate limit such as "120 per minute", got {value!r}') from None
    return value
