"""Prometheus metrics (prometheus-client), in multiprocess mode under gunicorn.

With PROMETHEUS_MULTIPROC_DIR set (gunicorn.conf.py sets it before the workers import this module, and marks a dead
worker's files in `child_exit`), each worker writes its values to files and a scrape of any worker reads them all.

Labels are closed vocabularies only: journey, organisation id (a registered slug or SIRET), reason codes, provider
names, status classes. No personal datum: counts come from the audit events as they are written (which hold codes
only), from the outbound layer's call summaries and from the portal's return; the webhook backlog is read from the
outbox at scrape time.

`/metrics` answers only with `Authorization: Bearer <METRICS_TOKEN>`; without a token set it answers outside
production only (production: 404, and a warning at start-up).
"""

from __future__ import annotations

import hmac
import logging
import os
import re
from collections.abc import Callable

from flask import Blueprint, Response, abort, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from app.dossiers import audit
from app.dossiers.models import AuditEvent
from app.outbound import observe

log = logging.getLogger(__name__)

_CODE = re.compile(r"^[a-z0-9_:.-]{1,64}$")

JOURNEYS = Counter("droits_connect_journeys_total", "Journeys by outcome (started, completed, abandoned).",
                   ["journey", "organisation", "outcome"])
SIGN_IN_FAILURES = Counter("droits_connect_sign_in_failures_total", "Failed FranceConnect sign-ins by reason code.",
                           ["reason"])
PROVIDER_CALLS = Counter("droits_connect_provider_calls_total", "Outbound calls by provider and outcome.",
                         ["provider", "outcome"])
PROVIDER_LATENCY = Histogram("droits_connect_provider_call_seconds", "Outbound call duration by provider.",
                             ["provider"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13))
BREAKER_STATE = Gauge("droits_connect_breaker_state", "Circuit breaker per provider: 0 closed, 1 half-open, 2 open "
                      "(the worst among live workers).", ["provider"], multiprocess_mode="livemax")
_BREAKER_VALUES = {"closed": 0, "half_open": 1, "open": 2}


def _code(value: object, default: str = "unknown") -> str:
    return value if isinstance(value, str) and _CODE.fullmatch(value) else default


def count_audit_event(row: AuditEvent) -> None:
    """Journeys started and completed, sign-in failures: from the audit rows as they are inserted."""
    if row.event == "journey_started":
        JOURNEYS.labels(_code(row.journey), _code(row.organisation), "started").inc()
    elif row.event == "dossier_submitted":
        JOURNEYS.labels(_code(row.journey), _code(row.organisation), "completed").inc()
    elif row.event == "sign_in_failed":
        SIGN_IN_FAILURES.labels(_code(row.detail)).inc()


def count_abandoned(journey: str, organisation: str) -> None:
    JOURNEYS.labels(_code(journey), _code(organisation), "abandoned").inc()


def count_call(call: observe.Call) -> None:
    outcome = call.error or (f"{call.status // 100}xx" if call.status else "unknown")
    PROVIDER_CALLS.labels(_code(call.provider), _code(outcome)).inc()
    PROVIDER_LATENCY.labels(_code(call.provider)).observe(call.seconds)
    if call.breaker_state is not None:
        BREAKER_STATE.labels(_code(call.provider)).set(_BREAKER_VALUES.get(call.breaker_state, 0))


_listening = False


def listen() -> None:
    """Subscribe the counters once per process (several apps in tests share the metrics)."""
    global _listening
    if _listening:
        return
    _listening = True
    audit.on_insert(count_audit_event)
    observe.subscribe(count_call)


class BacklogCollector:
    """Webhook outbox rows pending and dead, counted when scraped."""

    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self._counts = counts

    def collect(self):
        family = GaugeMetricFamily("droits_connect_webhook_outbox", "Webhook notices in the outbox by status.",
                                   labels=["status"])
        try:
            counts = self._counts()
        except Exception as error:  # a scrape must not fail with the database; the gap shows in the graph
            log.warning("metrics backlog unavailable error=%s", type(error).__name__)
            return
        for status in ("pending", "dead"):
            family.add_metric([status], counts.get(status, 0))
        yield family


def exposition(backlog: BacklogCollector) -> bytes:
    scrape = CollectorRegistry()
    scrape.register(backlog)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(scrape)
        return generate_latest(scrape)
    return generate_latest(REGISTRY) + generate_latest(scrape)


def blueprint(backlog: BacklogCollector, *, token: str, open_without_token: bool) -> Blueprint:
    bp = Blueprint("metrics", __name__)

    @bp.get("/metrics")
    def metrics():
        if token:
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                log.warning("metrics refused reason=bad_token")
                abort(401 if not given else 403)
        elif not open_without_token:
            abort(404)
        return Response(exposition(backlog), content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})

    return bp
