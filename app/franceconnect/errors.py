"""Outcomes of a FranceConnect exchange, one class per thing a view does about it.

`reason` is a short English snake_case code for logs (e.g. ``id_token_bad_iss``). It never carries a token,
a code, a claim value or a response body, so it can be logged as is.
"""

from __future__ import annotations


class FranceConnectError(Exception):
    """Base of FranceConnect failures; never raised itself."""

    def __init__(self, reason: str, *, status_code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code


class FranceConnectUnavailable(FranceConnectError):
    """FranceConnect could not be reached or answered with a server error: the user may retry later."""


class FranceConnectProtocolError(FranceConnectError):
    """FranceConnect (or someone posing as it) sent something invalid: this sign-in attempt has failed."""


class FranceConnectConfigError(FranceConnectError):
    """Our configuration and the provider disagree (issuer, algorithm, endpoints): an operator must act."""
