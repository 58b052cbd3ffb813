"""`OutboundHttp`: calls to one peer under the layer's rules, with the policies that peer needs.

Every call: a connect timeout, a total time (the `requests` read timeout only bounds the gap between bytes) within
an optional shared `Deadline`, a size cap, no redirects, credentials through `auth=`, and one log line per attempt
(debug when answered, warning when failed).
Policies, off unless given: retries of GETs on connection errors and 502/503/504 (`RetryPolicy`), a
`CircuitBreaker` (failures counted per `Deadline`: one piece of work), a `RateGate` that stops every call after a
429 until the asked wait is over, and a `CallBudget` that refuses calls beyond the peer's published limits.
The breaker and the gate keep their state in a `StateStore` (shared across processes when the factory injects one).
Thread-safe: one instance serves every request of the app.
"""

from __future__ import annotations

import functools
import logging
import random
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase

from app.outbound import observe
from app.outbound.breaker import CircuitBreaker
from app.outbound.deadline import Clock, Deadline, exponential_delay
from app.outbound.errors import OutboundError, OutboundRateLimited, OutboundUnavailable
from app.outbound.headers import HeaderAuth
from app.outbound.state import MemoryState, StateStore
from app.outbound.wire import REQUEST_ARGUMENTS, Exchange, HttpResponse, new_session, send

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({502, 503, 504})
RETRYABLE_REASONS = frozenset({"connection_error", "connect_timeout"})  # the request never reached the peer


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 2
    backoff_base: float = 0.2  # full jitter: sleep uniform(0, min(cap, base * 2**(retry - 1)))
    backoff_cap: float = 2.0


NO_RETRY = RetryPolicy(max_retries=0)


class RateGate:
    """After a 429, refuse every call to this peer (all users alike) until the asked wait is over.

    The wait lives in `store` under `key`: with a shared store, every worker and instance waits alike (`clock` must
    then be a wall clock)."""

    def __init__(self, default_wait: float = 1.0, max_wait: float = 3600.0, clock: Clock = time.time, *,
                 store: StateStore | None = None, key: str = "peer") -> None:
        """`default_wait`: how long a 429 without Retry-After blocks calls; `max_wait`: the cap of any wait."""
        self._default, self._max, self._clock = default_wait, max_wait, clock
        self._store: StateStore = store if store is not None else MemoryState(clock)
        self._key = f"{key}:blocked_until"

    def block(self, retry_after: float | None) -> None:
        wait = min(self._default if retry_after is None else retry_after, self._max)
        self._store.put_max(self._key, self._clock() + wait, wait + 1)

    @property
    def store(self) -> StateStore:
        return self._store

    @property
    def state_key(self) -> str:
        """The key whose value `blocked_for_as_of` takes: the time calls may go out again."""
        return self._key

    def blocked_for(self) -> float:
        return self.blocked_for_as_of(self._store.get(self._key))

    def blocked_for_as_of(self, until: str | None) -> float:
        """`blocked_for`, given the value of `state_key` read just before."""
        return float("-inf") if until is None else float(until) - self._clock()


class CallBudget(Protocol):
    """The peer's published limits, counted wherever the implementation counts them (Redis across instances)."""

    def take(self) -> bool:
        """One call's worth of every limit; False when a limit is reached (the call must not go out)."""


@dataclass(frozen=True)
class Protection:
    """What guards the calls to one peer; built by the factory when the state is shared (app/provider_state.py)."""

    breaker: CircuitBreaker
    gate: RateGate
    budget: CallBudget | None = None


class OutboundHttp:
    """Calls to one peer (`provider` names it in logs). `connect_timeout=None`: one timeout for connect and read."""

    def __init__(
        self, base_url: str = "", *, provider: str, connect_timeout: float | None = 3.05, call_timeout: float = 5.0,
        max_bytes: int = 1024 * 1024, retry: RetryPolicy = NO_RETRY, breaker: CircuitBreaker | None = None,
        rate_gate: RateGate | None = None, budget: CallBudget | None = None, session: requests.Session | None = None,
        clock: Clock = time.monotonic, sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.base_url, self.provider = base_url.rstrip("/"), provider
        self._connect_timeout, self._call_timeout, self._max_bytes = connect_timeout, call_timeout, max_bytes
        self._retry, self.breaker, self._gate, self._budget = retry, breaker, rate_gate, budget
        self._clock, self._sleep, self._rng = clock, sleep, rng
        self.session = session if session is not None else new_session()
        if self.session.verify is False:
            raise ValueError("TLS verification must stay on")

    def close(self) -> None:
        self.session.close()

    def get(self, path: str, *, deadline: Deadline | None = None, headers: Mapping[str, str] | None = None,
            credentials: Mapping[str, str] | None = None, params: Mapping[str, str] | None = None) -> HttpResponse:
        """GET `base_url + path`; the response whatever its status (3xx excepted), or an OutboundError.

        `path` is a constant template (it is logged); anything variable goes in `params` or `headers`.
        """
        if not path.startswith("/") or any(c in path for c in "?#\r\n"):
            raise ValueError("path must be a constant template; pass the query in params")
        return self.call("GET", self.base_url + path, path=path, deadline=deadline, headers=headers,
                         credentials=credentials, params=params)

    def call(self, method: str, url: str, *, path: str | None = None, deadline: Deadline | None = None,
             headers: Mapping[str, str] | None = None, credentials: Mapping[str, str] | None = None,
             auth: AuthBase | None = None, accept_types: Collection[str] | None = None, **kwargs: Any) -> HttpResponse:
        """One call to an absolute URL; only GETs are retried. `path` is what the log shows (default: the URL path).

        `credentials` are headers set through `auth=` (or pass `auth` itself); `accept_types` are the media types a
        2xx answer may have; `kwargs` go to requests (params, data).
        """
        if credentials is not None and auth is not None:
            raise ValueError("pass credentials or auth, not both")
        if unknown := set(kwargs) - REQUEST_ARGUMENTS:
            raise TypeError(f"unexpected request argument(s): {', '.join(sorted(unknown))}")
        request = _Request(method.upper(), url, path or urlsplit(url).path or "/", deadline,
                           deadline.work if deadline is not None else uuid.uuid4().hex,
                           auth or HeaderAuth(credentials),
                           None if accept_types is None else tuple(accept_types),
                           {"headers": headers, **kwargs})
        attempt = 0
        while True:
            attempt += 1
            self._check_can_call(request, attempt)
            outcome, wait = self._try(request, attempt)
            if wait is None or not self._retry_fits(request, attempt, wait):
                if isinstance(outcome, OutboundError):
                    raise outcome
                return outcome
            self._sleep(wait)

    def _try(self, request: _Request, attempt: int) -> tuple[HttpResponse | OutboundUnavailable, float | None]:
        """One attempt, and the wait before a retry would be worth it (None: the outcome is final)."""
        try:
            response = self._attempt(request, attempt)
        except OutboundUnavailable as exc:
            if exc.reason not in RETRYABLE_REASONS:
                raise
            return exc, self._backoff(attempt)
        if response.status == 429 and self._gate is not None:
            self._gate.block(response.retry_after)
        if not self._is_retryable(response):
            return response, None
        return response, response.retry_after if response.retry_after is not None else self._backoff(attempt)

    def _retry_fits(self, request: _Request, attempt: int, wait: float) -> bool:
        # Never sleep past the deadline: when the wait does not fit, the caller gets the outcome now.
        if request.method != "GET" or attempt > self._retry.max_retries:
            return False
        return request.deadline is None or wait < request.deadline.remaining()

    def _is_retryable(self, response: HttpResponse) -> bool:
        # 429 only with a Retry-After (a blind retry risks the 12 h ban); 500 never: an internal error of the
        # provider that a retry will not cure (API Particulier lists it apart from 502/503/504).
        if response.status == 429:
            return response.retry_after is not None
        return response.status in RETRYABLE_STATUSES

    def _backoff(self, attempt: int) -> float:
        return self._rng() * exponential_delay(attempt, base=self._retry.backoff_base, cap=self._retry.backoff_cap)

    def _check_can_call(self, request: _Request, attempt: int) -> None:
        gate, breaker = self._gate, self.breaker
        allow = breaker.allow if breaker is not None else None
        if gate is not None and breaker is not None and gate.store is breaker.store:
            # Both read in one round trip where they share a store (Redis: one fewer a call).
            until, opened = gate.store.get_many(gate.state_key, breaker.state_key)
            blocked_for = gate.blocked_for_as_of(until)
            allow = functools.partial(breaker.allow_as_of, opened=opened)
        else:
            blocked_for = gate.blocked_for() if gate is not None else 0.0
        if request.deadline is not None and request.deadline.remaining() <= 0:
            refusal: OutboundError = OutboundUnavailable("deadline_passed")
        elif blocked_for > 0:
            refusal = OutboundRateLimited("rate_limited_locally", retry_after=blocked_for)
        elif self._budget is not None and not self._budget.take():
            refusal = OutboundRateLimited("outbound_limit")  # beyond the peer's limits: we do not call
        elif allow is not None and not allow(request.work):  # last: half-open takes the probe
            refusal = OutboundUnavailable("circuit_open")
        else:
            return
        # A refused call reports the circuit's state read again: refusals are rare, the value read above is not kept.
        self._log(request, None, refusal.reason, 0.0, attempt,
                  self.breaker.state if self.breaker is not None else None)
        raise refusal

    def _attempt(self, request: _Request, attempt: int) -> HttpResponse:
        started = self._clock()
        budget = self._call_timeout
        if request.deadline is not None:
            budget = min(budget, request.deadline.remaining())
        timeout = budget if self._connect_timeout is None else (min(self._connect_timeout, budget), budget)
        exchange = Exchange(request.method, request.url, timeout, started + budget, self._max_bytes, request.auth,
                            request.accept_types, request.kwargs)
        status: int | None = None
        error: str | None = "unexpected"
        down = True  # 5xx, timeouts, connection errors; any other answer (4xx included) says the peer is up
        try:
            response = send(self.session, exchange, self._clock)
            status, error, down = response.status, None, response.status >= 500
            return response
        except OutboundError as exc:
            status, error = exc.status, exc.reason
            down = isinstance(exc, OutboundUnavailable) or (status or 0) >= 500
            raise
        finally:
            state = self.breaker.record(request.work, success=not down) if self.breaker is not None else None
            self._log(request, status, error, self._clock() - started, attempt, state)

    def _log(self, request: _Request, status: int | None, error: str | None, seconds: float, attempt: int,
             breaker_state: str | None) -> None:
        # An answered call is a debug line: the work it belongs to logs one summary (the retrieval, the sign-in),
        # and the metrics count every call. A failed one is a warning of its own.
        level = logging.DEBUG if error is None and status is not None and status < 500 else logging.WARNING
        logger.log(level, "outbound provider=%s method=%s path=%s status=%s error=%s duration_ms=%d attempt=%d",
                   self.provider, request.method, request.path, status or "-", error or "-",
                   round(seconds * 1000), attempt)
        observe.emit(observe.Call(self.provider, request.method, request.path, status, error, seconds,
                                  breaker_state))


@dataclass(frozen=True)
class _Request:
    method: str
    url: str
    path: str  # what the log shows: a constant template, never a query
    deadline: Deadline | None
    work: str  # the breaker counts failures per piece of work: the deadline's, else this call's (retries included)
    auth: AuthBase
    accept_types: tuple[str, ...] | None
    kwargs: dict[str, Any]


def provider_http(
    base_url: str, *, provider: str, retry: RetryPolicy = RetryPolicy(), breaker_threshold: int = 3,
    breaker_cooldown: float = 30.0, default_rate_limit_wait: float = 1.0, max_rate_limit_wait: float = 3600.0,
    pool_size: int = 10, clock: Clock = time.monotonic, protection: Protection | None = None, **kwargs: Any,
) -> OutboundHttp:
    """An OutboundHttp for a data provider: retries, circuit breaker and 429 gate on, JSON asked for.
    `protection`: the breaker, gate and budget the factory built (shared state); without it, in this process on
    `clock`. `pool_size`: connections kept open for reuse, at least the number of threads calling at once."""
    if protection is None:
        store = MemoryState(clock)
        protection = Protection(CircuitBreaker(breaker_threshold, breaker_cooldown, clock, store=store),
                                RateGate(default_rate_limit_wait, max_rate_limit_wait, clock, store=store))
    return OutboundHttp(
        base_url, provider=provider, retry=retry, clock=clock, breaker=protection.breaker,
        rate_gate=protection.gate, budget=protection.budget,
        session=new_session(pool_size, {"Accept": "application/json"}), **kwargs,
    )
