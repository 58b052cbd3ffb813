"""Observability and resilience at the edge: JSON logs with the correlation id (`logs`), `/healthz` and `/readyz`
(`health`), Prometheus metrics (`metrics`), and the French 503 page when the session store is down
(`session_guard`). Wired by the factory, after the other rooms; no room imports it."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, request
from sqlalchemy import Engine

from app.config import Settings
from app.config_values import as_str
from app.observability import health, metrics, session_guard

log = logging.getLogger(__name__)

# The portal's log event for « Retourner sur le site » / « Abandonner » (app/journeys/portal.py:give_back).
_RETURNED = "journey returned to the portal status=%s org=%s known_return=%s"


class _AbandonCounter(logging.Handler):
    """Counts abandoned journeys from the portal's return event (status cancelled or failed)."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg != _RETURNED or not isinstance(record.args, tuple) or len(record.args) != 3:
            return
        status, org_id, _ = record.args
        if status in ("cancelled", "failed"):
            metrics.count_abandoned(request.blueprint or "unknown", str(org_id))


def init_app(app: Flask, settings: Settings, *, engine: Engine, outbox_counts: Callable[[], dict[str, int]],
             discovery: Callable[[], object]) -> None:
    session_guard.init_app(app, settings.public_url)
    checks: dict[str, health.Check] = {"database": health.database_check(engine)}
    if settings.session.redis_url:
        checks["redis"] = health.redis_check(settings.session.redis_url)
    checks["franceconnect"] = health.discovery_check(discovery)
    app.register_blueprint(health.blueprint(health.Readiness(checks)))

    token = as_str(app.config, "METRICS_TOKEN") or ""
    if settings.is_production and not token:
        log.warning("metrics disabled reason=no_metrics_token")
    app.register_blueprint(metrics.blueprint(metrics.BacklogCollector(outbox_counts), token=token,
                                             open_without_token=not settings.is_production))
    metrics.listen()
    portal_log = logging.getLogger("app.journeys.portal")
    if not any(isinstance(h, _AbandonCounter) for h in portal_log.handlers):
        portal_log.addHandler(_AbandonCounter())
