"""The data providers' protection, shared by every worker and instance: circuit breaker, 429 back-off, call budget.

With REDIS_URL, the state lives in Redis (the outbound room only knows the `StateStore` interface and the
`CallBudget` protocol; the Redis client stays here); without it, in this process's memory (a laptop).

Keys (prefix `dc:provider:<source>:`):
- `open_until` (wall-clock time the circuit reopens to a trial), `probe` (the trial sign-in), `failed` / `seen`
  (sorted sets of sign-ins within the breaker's window), `blocked_until` (the 429 back-off);
- the call budget counts in `limits`' moving windows, keys `LIMITS:…dc:provider:c2s:per_second|per_minute…`.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import redis
from limits import RateLimitItemPerMinute, RateLimitItemPerSecond, storage, strategies

from app import outbound
from app.connectors.settings import ProviderSettings

log = logging.getLogger(__name__)

PREFIX = "dc:provider"
# The longest wait a 429 may impose on us; API Particulier's own ban lasts 12 h, its Retry-After is far shorter.
MAX_RATE_LIMIT_WAIT = 3600.0

_PUT_MAX = """
local current = tonumber(redis.call('GET', KEYS[1]))
if current == nil or current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
"""


class RedisState:
    """A `StateStore` in Redis; each operation is atomic on the server."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._put_max = client.register_script(_PUT_MAX)

    def get(self, key: str) -> str | None:
        value = self._redis.get(key)
        return None if value is None else value.decode()

    def get_many(self, *keys: str) -> list[str | None]:
        return [None if value is None else value.decode() for value in self._redis.mget(keys)]

    def put(self, key: str, value: str, ttl: float) -> None:
        self._redis.set(key, value, px=_ms(ttl))

    def put_max(self, key: str, value: float, ttl: float) -> None:
        self._put_max(keys=[key], args=[repr(value), _ms(ttl)])

    def claim(self, key: str, value: str, ttl: float) -> str:
        with self._redis.pipeline() as pipe:
            pipe.set(key, value, nx=True, px=_ms(ttl))
            pipe.get(key)
            _, held = pipe.execute()
        return value if held is None else held.decode()

    def mark(self, key: str, member: str, at: float, window: float) -> int:
        with self._redis.pipeline() as pipe:
            pipe.zadd(key, {member: at})
            pipe.zremrangebyscore(key, "-inf", at - window)
            pipe.zcard(key)
            pipe.expire(key, math.ceil(window) + 1)
            return int(pipe.execute()[2])

    def delete(self, *keys: str) -> None:
        self._redis.delete(*keys)


class FallbackState:
    """A shared store that, while it fails, is replaced by this process's memory: a Redis outage leaves each process
    its own breaker and back-off rather than failing every sign-in."""

    def __init__(self, shared: Any, fallback: outbound.StateStore) -> None:
        self._shared, self._fallback = shared, fallback

    def __getattr__(self, operation: str):
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return getattr(self._shared, operation)(*args, **kwargs)
            except redis.RedisError as error:
                log.warning("provider state unreachable operation=%s type=%s", operation, type(error).__name__)
                return getattr(self._fallback, operation)(*args, **kwargs)

        return run


class CallBudget:
    """Calls per second and per minute, counted in moving windows across every process using the same storage."""

    def __init__(self, storage_uri: str, key: str, *, per_second: int, per_minute: int) -> None:
        self._limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))
        self._key = key
        self._limits = (RateLimitItemPerSecond(per_second), RateLimitItemPerMinute(per_minute))

    def take(self) -> bool:
        # The second's limit first: a refusal there (the usual one) costs nothing of the minute's.
        try:
            return all(self._limiter.hit(limit, self._key) for limit in self._limits)
        except redis.RedisError as error:
            # Fail closed: without the shared count, the instances together could reach the 12 h ban.
            log.warning("provider call budget unreachable type=%s", type(error).__name__)
            return False


def build_protections(settings: ProviderSettings, redis_url: str | None,
                      prefix: str = PREFIX) -> dict[str, outbound.Protection]:
    """Per source, the breaker, gate and (API Particulier) budget: in Redis with `redis_url`, else in memory."""
    store: outbound.StateStore = outbound.MemoryState(time.time)
    if redis_url:
        store = FallbackState(RedisState(redis.Redis.from_url(redis_url, socket_timeout=0.5,
                                                              socket_connect_timeout=0.5)), store)
    protections = {}
    for source in settings.sources:
        key = f"{prefix}:{source}"
        budget = None
        if source == "c2s":
            budget = CallBudget(redis_url or "memory://", key,
                                per_second=settings.api_particulier_per_second,
                                per_minute=settings.api_particulier_per_minute)
        protections[source] = outbound.Protection(
            outbound.CircuitBreaker(settings.breaker_sign_ins, settings.breaker_cooldown, time.time,
                                    window=settings.breaker_window, store=store, key=key),
            outbound.RateGate(max_wait=MAX_RATE_LIMIT_WAIT, store=store, key=key),
            budget)
    return protections


def _ms(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))
