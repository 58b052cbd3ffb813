"""`/healthz`: the process answers (no dependency). `/readyz`: it can serve a journey now — the database answers,
Redis answers when configured, FranceConnect's discovery document is cached or fetched — each check under a short
timeout; a JSON body names each dependency and its state (a reason code, never an address or a message), 200 when
all are up, 503 otherwise. Neither reads nor sets a session (see `session_guard.SESSIONLESS_PATHS`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from flask import Blueprint, jsonify
from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 2.0  # seconds per dependency; a load balancer's probe usually allows 5

Check = Callable[[], None]  # raises when the dependency is not usable


def database_check(engine: Engine) -> Check:
    def check() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    return check


def redis_check(url: str) -> Check:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT, socket_timeout=CHECK_TIMEOUT)

    def check() -> None:
        client.ping()

    return check


def discovery_check(metadata: Callable[[], object]) -> Check:
    """FranceConnect's client caches the document after its first fetch: then this costs nothing."""

    def check() -> None:
        metadata()

    return check


class Readiness:
    """Runs each named check in a small pool, bounded by `timeout`, and reports them all."""

    def __init__(self, checks: dict[str, Check], timeout: float = CHECK_TIMEOUT) -> None:
        self.checks, self.timeout = checks, timeout
        self._pool = ThreadPoolExecutor(max(1, len(checks)), thread_name_prefix="readyz")

    def run(self) -> dict[str, str]:
        futures = {name: self._pool.submit(check) for name, check in self.checks.items()}
        states = {}
        for name, future in futures.items():
            try:
                future.result(timeout=self.timeout)
                states[name] = "ok"
            except FutureTimeout:
                states[name] = "timeout"
            except Exception as error:  # its type only: a message may hold an address or a password
                states[name] = "error:" + type(error).__name__
        return states


def blueprint(readiness: Readiness) -> Blueprint:
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @bp.get("/readyz")
    def readyz():
        states = readiness.run()
        ready = all(state == "ok" for state in states.values())
        if not ready:
            log.warning("readiness failed %s", " ".join(f"{n}={s}" for n, s in states.items()))
        return jsonify(status="ok" if ready else "unavailable", checks=states), 200 if ready else 503

    return bp
