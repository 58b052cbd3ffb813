"""Inbound rate limits per client address (ProxyFix gives the real one behind TRUSTED_PROXIES): the sign-in's start,
FranceConnect's callback and the journeys' form posts. Beyond a limit the person gets the French 429 page
(templates/errors/429.html) with Retry-After.

The counters live in Redis when REDIS_URL is set (every worker and instance counts together), else in this
process's memory (a laptop). Should Redis fail, each process counts in memory rather than refusing everyone.
The pull API under /api/v1/ has its own limiter, per API key (app/delivery/room.py).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse_many
from limits.storage import MemoryStorage

from app.config_values import ConfigError, as_str
from app.model.dossier import JOURNEYS

DEFAULTS: dict[str, Any] = {
    # Far above what one person does (one sign-in, a dozen form posts), low enough to stop a script; addresses
    # shared by many people (a hospital's network, a mobile operator's NAT) are why they are not lower.
    "RATE_LIMIT_SIGN_IN": "30 per minute;300 per hour",
    "RATE_LIMIT_CALLBACK": "30 per minute;300 per hour",
    "RATE_LIMIT_FORMS": "120 per minute;1200 per hour",
}


# The sign-in's views and the setting of each one's limit. The retrieval is the callback's second half: the same limit.
SIGN_IN_LIMITS = (("auth.login", "RATE_LIMIT_SIGN_IN"), ("auth.callback", "RATE_LIMIT_CALLBACK"),
                  ("auth.retrieval", "RATE_LIMIT_CALLBACK"))
LIMITED_ENDPOINTS = frozenset(endpoint for endpoint, _ in SIGN_IN_LIMITS)


class MemoryCounters(MemoryStorage):
    """limits' in-memory storage (`dc-memory://`) without a thread started on each hit.

    `memory://` prunes old entries in a timer thread it starts again on every hit once the last one has run (10 ms
    later): about 0.3 ms of CPU a limited request. Here the hit that finds the last pruning a second old prunes,
    in the request's thread. Pruning only frees memory: the counts read the entries' times, pruned or not.
    `_MemoryStorage__schedule_expiry` is the hook limits calls on each hit, `_MemoryStorage__expire_events` its
    pruning (tests/test_inbound_limits.py fails should either be renamed)."""

    STORAGE_SCHEME = ["dc-memory"]
    PRUNE_EVERY = 1.0  # seconds

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any) -> None:
        self._prune_lock = threading.Lock()
        self._next_prune = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now < self._next_prune or not self._prune_lock.acquire(blocking=False):
            return  # pruned less than a second ago, or another request is pruning now
        try:
            self._next_prune = now + self.PRUNE_EVERY
            self._MemoryStorage__expire_events()
        finally:
            self._prune_lock.release()


class ScopedLimiter(Limiter):
    """A Limiter whose check before each request runs only on the requests `applies` says it limits.

    Flask-Limiter resolves a request's limits before each request, even when a request filter then exempts it
    (about 0.04 ms of CPU a request, each limiter): the page views, assets and probes that no limit concerns skip
    that work here. A limited view's decorator still checks its own limits when it is called. `_check_request_limit`
    is the hook Flask-Limiter registers: tests/test_inbound_limits.py fails should it be renamed."""

    def __init__(self, *args: Any, applies: Callable[[], bool], **kwargs: Any) -> None:
        self._applies = applies  # before Limiter.__init__, which registers the hook on the app
        super().__init__(*args, **kwargs)

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if in_middleware and not self._applies():
            return
        super()._check_request_limit(callable_name, in_middleware)

    def init_app(self, app: Flask) -> None:
        """Flask-Limiter's after-request hook (its headers) and teardown (its request context) run on the requests
        the limiter checks only: on the others there is nothing to add nor to reset, and each created the context
        to find that out (about 25 µs of CPU a request, both limiters). They are found among the app's hooks as
        Flask-Limiter registers them (`partial(Limiter._Limiter__inject_headers, limiter)` and the bound
        `_Limiter__release_context`): tests/test_inbound_limits.py fails should that change, and every limited
        response still carries its headers."""
        super().init_app(app)
        after, teardown = app.after_request_funcs.setdefault(None, []), app.teardown_request_funcs.setdefault(None, [])
        for hooks, found in ((after, _inject_headers_of), (teardown, _release_context_of)):
            for index, hook in enumerate(hooks):
                if found(hook, self):
                    hooks[index] = self._scoped(hook)

    def _scoped(self, hook: Callable[[Any], Any]) -> Callable[[Any], Any]:
        @functools.wraps(hook)
        def scoped(value: Any = None) -> Any:
            return hook(value) if self._applies() else value

        return scoped


def _inject_headers_of(hook: Any, limiter: Limiter) -> bool:
    return (isinstance(hook, functools.partial) and hook.func is getattr(Limiter, "_Limiter__inject_headers", None)
            and hook.args == (limiter,))


def _release_context_of(hook: Any, limiter: Limiter) -> bool:
    return (getattr(hook, "__self__", None) is limiter
            and getattr(hook, "__func__", None) is getattr(Limiter, "_Limiter__release_context", None))


def init_app(app: Flask, config: Mapping, redis_url: str | None) -> Limiter:
    """Limit the sign-in's start and callback and the journeys' posts; the views must be registered already."""
    limits = {key: _checked(config, key) for key in DEFAULTS}
    limiter = ScopedLimiter(get_remote_address, app=app, storage_uri=redis_url or "dc-memory://",
                            key_prefix="dc:inbound", strategy="moving-window", headers_enabled=True,
                            swallow_errors=True, in_memory_fallback_enabled=bool(redis_url), applies=_is_limited)
    # A decorated view checks its limit when it is called: the registered views are replaced by their wrappers.
    for endpoint, key in SIGN_IN_LIMITS:
        app.view_functions[endpoint] = limiter.limit(limits[key])(app.view_functions[endpoint])
    for journey in JOURNEYS:  # every form of every journey, counted together
        limiter.shared_limit(limits["RATE_LIMIT_FORMS"], scope="journey-forms", methods=["POST"])(
            app.blueprints[journey])

    return limiter


def _is_limited() -> bool:
    # The requests init_app limits, so that every other one (page views, assets, probes) skips Flask-Limiter's
    # resolution of its limits, done otherwise on each request.
    return request.endpoint in LIMITED_ENDPOINTS or (request.method == "POST" and request.blueprint in JOURNEYS)


def _checked(config: Mapping, key: str) -> str:
    value = as_str(config, key) or ""
    try:
        if not parse_many(value):
            raise ValueError(value)
    except ValueError:
        raise ConfigError(f"{key} must be limits such as '20 per minute;200 per hour', got {value!r}") from None
    return value
