"""The shared outbound HTTP layer: one `OutboundHttp` per data provider (shared/reference/security.md §5).

It owns the `requests.Session`: a `Deadline` shared by all the calls of one retrieval, a total time per call
(the `requests` read timeout only bounds the gap between bytes), a size cap, retries of GETs on connection errors
and 502/503/504 only, `Retry-After`, a circuit breaker, no redirects, TLS verification, no cookies. It knows no
payload: connectors turn its `OutboundError`s and statuses into their own exception families. Logs carry provider,
path template, status, duration and attempt, never a header, query or body. Thread-safe.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import requests
import urllib3

from app.connectors.breaker import CircuitBreaker, Clock
from app.connectors.payload import bearer, decode_json, header_value, parse_date, parse_retry_after

# The breaker and the payload helpers live in their own modules; they stay importable from here.
__all__ = [
    "CircuitBreaker", "Clock", "Deadline", "HttpResponse", "OutboundError", "OutboundHttp", "OutboundInvalidResponse",
    "OutboundRateLimited", "OutboundUnavailable", "RetryPolicy", "bearer", "decode_json", "header_value",
    "parse_date", "parse_retry_after",
]

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({502, 503, 504})
_CHUNK_BYTES = 16 * 1024


class OutboundError(Exception):
    """Base of the transport-level outcomes; never raised itself. `reason` is a short English code for logs."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


class OutboundUnavailable(OutboundError):
    """Deadline passed, timeout, connection or TLS error, broken body, or circuit open."""


class OutboundRateLimited(OutboundError):
    """A 429 asked us to wait and the wait is not over: we do not call (ignored 429s get an IP banned for 12 h)."""


class OutboundInvalidResponse(OutboundError):
    """A redirect (never followed: it would carry the Bearer token elsewhere) or a body over the size cap."""


class Deadline:
    """An absolute point on a monotonic clock, shared by every call of one retrieval."""

    def __init__(self, expires_at: float, clock: Clock = time.monotonic) -> None:
        self.expires_at, self._clock = expires_at, clock

    @classmethod
    def after(cls, seconds: float, clock: Clock = time.monotonic) -> Deadline:
        return cls(clock() + seconds, clock)

    def remaining(self) -> float:
        return max(0.0, self.expires_at - self._clock())


@dataclass(frozen=True)
class HttpResponse:
    """A fully read response. `retry_after` is the parsed Retry-After header, in seconds."""

    status: int
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    retry_after: float | None = None

    @property
    def content_type(self) -> str:
        """The media type, lower-cased, without parameters ("" when absent)."""
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 2
    backoff_base: float = 0.2  # full jitter: sleep uniform(0, min(cap, base * 2**(retry - 1)))
    backoff_cap: float = 2.0


class OutboundHttp:
    """GET calls to one provider under a deadline, with retries, breaker, size cap and safe logging."""

    def __init__(
        self, base_url: str, *, provider: str, connect_timeout: float = 3.05, call_timeout: float = 5.0,
        max_bytes: int = 1024 * 1024, retry: RetryPolicy = RetryPolicy(),
        breaker_threshold: int = 5, breaker_cooldown: float = 30.0,
        default_rate_limit_wait: float = 1.0, max_rate_limit_wait: float = 3600.0,
        clock: Clock = time.monotonic, sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random, pool_size: int = 10,
    ) -> None:
        """`default_rate_limit_wait`: how long a 429 without Retry-After blocks calls; `max_rate_limit_wait`: cap.
        `pool_size`: connections kept open for reuse, at least the number of threads calling at once."""
        self.base_url, self.provider = base_url.rstrip("/"), provider
        self._connect_timeout, self._call_timeout, self._max_bytes = connect_timeout, call_timeout, max_bytes
        self._retry, self._rate_wait = retry, (default_rate_limit_wait, max_rate_limit_wait)
        self._clock, self._sleep, self._rng = clock, sleep, rng
        self.breaker = CircuitBreaker(breaker_threshold, breaker_cooldown, clock)
        self._gate_lock = threading.Lock()
        self._blocked_until = float("-inf")
        self.session = requests.Session()
        # No proxy, CA bundle or .netrc taken from the environment: configuration is passed down, not ambient.
        self.session.trust_env = False
        self.session.verify = True  # the default, stated: ASVS 12.3.2
        # The session is shared by every user's calls: a cookie set for one must never go out with another's.
        self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self.session.headers.update({"Accept": "application/json", "Accept-Encoding": "identity"})
        for prefix in ("https://", "http://"):
            self.session.mount(prefix, requests.adapters.HTTPAdapter(pool_maxsize=pool_size))

    def close(self) -> None:
        self.session.close()

    def get(self, path: str, *, deadline: Deadline, headers: Mapping[str, str] | None = None,
            params: Mapping[str, str] | None = None) -> HttpResponse:
        """GET `base_url + path`; return the response whatever its status (3xx excepted), or raise OutboundError.

        `path` is a constant template (it is logged); anything variable goes in `params` or `headers`.
        """
        if not path.startswith("/") or any(c in path for c in "?#\r\n"):
            raise ValueError("path must be a constant template; pass the query in params")
        attempt = 0
        while True:
            attempt += 1
            self._check_can_call(path, deadline, attempt)
            response: HttpResponse | None = None
            failure: OutboundUnavailable | None = None
            try:
                response = self._send(path, headers, params, deadline, attempt)
            except OutboundUnavailable as exc:
                if exc.reason != "connection_error":
                    raise
                failure, wait = exc, self._backoff(attempt)
            else:
                if response.status == 429:
                    self._block(response.retry_after)
                if not self._is_retryable(response):
                    return response
                wait = response.retry_after if response.retry_after is not None else self._backoff(attempt)
            # Never sleep past the deadline: when the wait does not fit, the caller gets the outcome now.
            if attempt > self._retry.max_retries or wait >= deadline.remaining():
                if failure is not None:
                    raise failure
                return response
            self._sleep(wait)

    def _is_retryable(self, response: HttpResponse) -> bool:
        # 429 only with a Retry-After (a blind retry risks the 12 h ban); 500 never: an internal error of the
        # provider that a retry will not cure (API Particulier lists it apart from 502/503/504).
        if response.status == 429:
            return response.retry_after is not None
        return response.status in RETRYABLE_STATUSES

    def _backoff(self, attempt: int) -> float:
        return self._rng() * min(self._retry.backoff_cap, self._retry.backoff_base * 2 ** (attempt - 1))

    def _block(self, retry_after: float | None) -> None:
        """After a 429, refuse every call to this provider (all users alike) until the asked wait is over."""
        default, ceiling = self._rate_wait
        wait = min(default if retry_after is None else retry_after, ceiling)
        with self._gate_lock:
            self._blocked_until = max(self._blocked_until, self._clock() + wait)

    def _check_can_call(self, path: str, deadline: Deadline, attempt: int) -> None:
        with self._gate_lock:
            blocked_for = self._blocked_until - self._clock()
        if deadline.remaining() <= 0:
            refusal: OutboundError = OutboundUnavailable("deadline_passed")
        elif blocked_for > 0:
            refusal = OutboundRateLimited("rate_limited_locally", retry_after=blocked_for)
        elif not self.breaker.allow():  # asked last: in half-open state, allow() takes the single probe slot
            refusal = OutboundUnavailable("circuit_open")
        else:
            return
        self._log(path, None, refusal.reason, 0.0, attempt)
        raise refusal

    def _send(self, path: str, headers: Mapping[str, str] | None, params: Mapping[str, str] | None,
              deadline: Deadline, attempt: int) -> HttpResponse:
        started = self._clock()
        budget = min(self._call_timeout, deadline.remaining())
        status: int | None = None
        error: str | None = "unexpected"
        provider_failed = True  # 5xx, timeouts, connection errors; any other answer means the provider is up
        try:
            try:
                reply = self.session.get(
                    self.base_url + path, headers=headers, params=params, stream=True, allow_redirects=False,
                    timeout=(min(self._connect_timeout, budget), budget),
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                # SSLError and ConnectTimeout are ConnectionErrors. Only "connection_error" is retried: a bad
                # certificate stays bad, and after a read timeout the provider may still be working on the
                # request (API Particulier answers a concurrent duplicate with 409).
                if isinstance(exc, requests.exceptions.SSLError):
                    error = "tls_error"
                else:
                    error = "connection_error" if isinstance(exc, requests.ConnectionError) else "timeout"
                raise OutboundUnavailable(error) from exc
            with reply:
                status, error, provider_failed = reply.status_code, None, reply.status_code >= 500
                if 300 <= status < 400:
                    error = "redirect_refused"
                    raise OutboundInvalidResponse(error)
                try:
                    body = self._read_body(reply, started + budget)
                except OutboundError as exc:
                    error, provider_failed = exc.reason, isinstance(exc, OutboundUnavailable)
                    raise
            retry_after = parse_retry_after(reply.headers.get("Retry-After"), now=dt.datetime.now(dt.UTC))
            return HttpResponse(status, reply.headers, body, retry_after)
        finally:
            self.breaker.record(success=not provider_failed)
            self._log(path, status, error, self._clock() - started, attempt)

    def _read_body(self, reply: requests.Response, ends_at: float) -> bytes:
        declared = reply.headers.get("Content-Length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > self._max_bytes:
            raise OutboundInvalidResponse("too_large")
        chunks: list[bytes] = []
        size = 0
        sock = _socket_of(reply)
        try:
            while (left := ends_at - self._clock()) > 0:
                # The requests read timeout bounds each gap between bytes, not the call: shrink it to the time left,
                # and read1 returns as soon as some bytes arrive, so neither a slow drip nor a stall after late
                # headers carries the call past its end. Sizes count decoded bytes.
                if sock is not None and sock.fileno() != -1:  # -1: closed once the whole body was read
                    sock.settimeout(left)
                chunk = reply.raw.read1(_CHUNK_BYTES, decode_content=True)
                if not chunk:
                    return b"".join(chunks)
                size += len(chunk)
                if size > self._max_bytes:
                    raise OutboundInvalidResponse("too_large")
                chunks.append(chunk)
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise OutboundUnavailable("timeout") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise OutboundUnavailable("broken_body") from exc
        raise OutboundUnavailable("timeout")

    def _log(self, path: str, status: int | None, error: str | None, seconds: float, attempt: int) -> None:
        level = logging.INFO if error is None and status is not None and status < 500 else logging.WARNING
        logger.log(level, "outbound provider=%s method=GET path=%s status=%s error=%s duration_ms=%d attempt=%d",
                   self.provider, path, status or "-", error or "-", round(seconds * 1000), attempt)


def _socket_of(reply: requests.Response) -> Any:
    """The socket a response is read from, or None when unreachable (e.g. a stubbed transport)."""
    sock = getattr(reply.raw.connection, "sock", None)
    if sock is None:
        # When the connection will close (HTTP/1.0, `Connection: close`), http.client hands the socket over to the
        # response's file object; SocketIO keeps it in `_sock`, the only way to it.
        sock = getattr(getattr(getattr(reply.raw._fp, "fp", None), "raw", None), "_sock", None)
    return sock if hasattr(sock, "settimeout") else None
