"""Production log lines: JSON, with the request's correlation id on every line, worker threads included, and no
personal datum."""

from __future__ import annotations

import io
import json
import logging

import pytest

from app.observability import logs
from tests.integration.test_journeys import start

PERSONAL = ("DUBOIS", "Angela", "262087510790169", "169039527790269", "MERCIER", "Pierre")


@pytest.fixture
def json_lines():
    """The app's logger writes JSON lines into a buffer, as in production."""
    logger, stream = logging.getLogger("app"), io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.CorrelationFilter())
    handler.setFormatter(logs.JsonFormatter(organisations=("chu-demo", "mutuelle-demo")))
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_a_record_becomes_one_json_object_with_its_codes_as_fields():
    record = logging.LogRecord("app.outbound.http", logging.INFO, __file__, 1,
                               "outbound provider=%s status=%s duration_ms=%d", ("cnam", 200, 41), None)
    logs.CorrelationFilter().filter(record)
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["level"] == "INFO" and line["logger"] == "app.outbound.http" and line["correlation_id"] == "-"
    assert (line["provider"], line["status"], line["duration_ms"]) == ("cnam", 200, 41)
    assert line["time"].endswith("+00:00")


def test_an_exception_shows_its_type_never_its_message():
    try:
        raise ValueError("DUBOIS 262087510790169")
    except ValueError:
        import sys

        record = logging.LogRecord("app.x", logging.ERROR, __file__, 1, "failed reason=%s", ("bug",), sys.exc_info())
    text = logs.JsonFormatter().format(record)
    assert json.loads(text)["exception"] == "ValueError" and "DUBOIS" not in text


def test_provider_calls_in_worker_threads_carry_the_sign_in_requests_correlation_id(stack, json_lines):
    start(stack, stack.launch_path("chu-demo"), "test")
    lines = json_lines()
    retrieval = [line for line in lines if line["logger"] == "app.outbound.http" and line["provider"] == "cnam"]
    assert retrieval and all(line["thread"].startswith("rights-cnam") for line in retrieval)
    summary = next(line for line in lines if line["logger"] == "app.connectors.retrieval")
    succeeded = next(line for line in lines if line["message"] == "franceconnect login succeeded")
    ids = {line["correlation_id"] for line in retrieval} | {summary["correlation_id"]}
    assert ids == {succeeded["correlation_id"]} and len(succeeded["correlation_id"]) == 16
    # The callback's request: its organisation is not in its URL, but the information page's lines name it.
    assert any(line.get("organisation") == "chu-demo" and line.get("journey") == "preadmission" for line in lines)
    assert {"time", "level", "logger", "message"} <= set(summary)
    text = json.dumps(lines, ensure_ascii=False)
    for value in PERSONAL:
        assert value not in text, value


def test_an_unregistered_organisation_in_the_url_never_becomes_a_field(client, json_lines):
    client.get("/preadmission/<script>alert(1)</script>/")
    client.get("/preadmission/un-inconnu/")
    assert not any("organisation" in line for line in json_lines())


def test_production_configures_json_lines(app, monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    logger = logging.getLogger("app")
    monkeypatch.setattr(logger, "handlers", [])
    from app import web

    class _Settings:
        is_production, organisations = True, {"chu-demo": None}

    web.configure_logging(app, _Settings())
    (handler,) = logger.handlers
    assert isinstance(handler.formatter, logs.JsonFormatter)
