"""The one outbound HTTP layer: every call the service makes to another system goes through `OutboundHttp`.

It writes once what each call needs: a timeout and a total time per call under an optional shared `Deadline`,
a body cap, no redirects, no cookies, no ambient configuration (proxy, CA bundle, .netrc), credentials set
through `auth=` so that .netrc can never replace them, media-type checks, and one log line per attempt
(peer, path template, status, duration, attempt; never a header, query or body): a debug line when the peer
answered, since the work it belongs to logs one summary, and a warning when it failed. Retries, the circuit breaker,
the 429 gate and a call budget are policies a caller turns on (`provider_http`), not a second layer; the factory
may inject their shared state (`StateStore`, `CallBudget`).

Callers translate `OutboundError`s into their own exception families. This room imports only `requests`,
`urllib3` and the standard library.
"""

from __future__ import annotations

from app.outbound.breaker import CircuitBreaker
from app.outbound.deadline import Clock, Deadline, exponential_delay
from app.outbound.errors import OutboundError, OutboundInvalidResponse, OutboundRateLimited, OutboundUnavailable
from app.outbound.headers import HeaderAuth, bearer, header_value, is_json, media_type, parse_retry_after
from app.outbound.http import NO_RETRY, CallBudget, OutboundHttp, Protection, RateGate, RetryPolicy, provider_http
from app.outbound.state import MemoryState, StateStore
from app.outbound.wire import HttpResponse, forget_cookies, new_session

__all__ = [
    "NO_RETRY", "CallBudget", "CircuitBreaker", "Clock", "Deadline", "HeaderAuth", "HttpResponse", "MemoryState",
    "OutboundError", "OutboundHttp", "OutboundInvalidResponse", "OutboundRateLimited", "OutboundUnavailable",
    "Protection", "RateGate", "RetryPolicy", "StateStore", "bearer", "forget_cookies", "header_value", "is_json",
    "exponential_delay", "media_type", "new_session", "parse_retry_after", "provider_http",
]
