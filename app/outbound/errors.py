"""Transport-level outcomes of an outbound call. `reason` is a short English code, safe to log."""

from __future__ import annotations


class OutboundError(Exception):
    """Base of the transport-level outcomes; never raised itself.

    `status` is the HTTP status when an answer came (a refused redirect, an oversized body), else None.
    """

    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.status, self.retry_after = reason, status, retry_after


class OutboundUnavailable(OutboundError):
    """Deadline passed, timeout, connection or TLS error, broken body, or circuit open."""


class OutboundRateLimited(OutboundError):
    """A 429 asked us to wait and the wait is not over: we do not call (ignored 429s get an IP banned for 12 h)."""


class OutboundInvalidResponse(OutboundError):
    """A redirect (never followed: it would carry credentials elsewhere), a body over the size cap, or a success
    answer whose media type is not one the caller accepts."""
