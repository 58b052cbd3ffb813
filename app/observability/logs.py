"""Log lines in production: one JSON object a line (time, level, logger, correlation id, message, and the message's
`key=value` codes as fields), for a log pipeline to index; development keeps the readable format of `app.web`.

The service's messages are templates filled with reason codes, counts and durations (never a token, NIR, name or
right: see ARCHITECTURE.md, Habits); this formatter adds nothing that the message does not already carry, apart from
the organisation and the journey of the request, taken from the URL only when the organisation is registered, so
that no text an attacker typed reaches a field.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Collection

from app import correlation

# `key=value` pairs of the service's messages, e.g. "outbound provider=cnam status=200 duration_ms=41".
_PAIR = re.compile(r"\b([a-z][a-z0-9_]{0,40})=([^\s=]{1,80})(?=\s|$)")
# The record's own attributes, and what the formatter itself writes: a message pair may not override them.
_RESERVED = frozenset({"time", "level", "logger", "correlation_id", "message", "thread", "exception"})


class CorrelationFilter(logging.Filter):
    """Sets `record.correlation_id` from the context: the request's id, in its worker threads too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "correlation_id", None) in (None, "-"):
            record.correlation_id = correlation.current()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record; an exception shows its type and frames, never its message."""

    def __init__(self, organisations: Collection[str] = ()) -> None:
        super().__init__()
        self._organisations = frozenset(organisations)

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        line: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "correlation_id": getattr(record, "correlation_id", None) or correlation.current(),
            "message": message,
            "thread": record.threadName,
        }
        line.update(self._request_fields())
        for key, value in _PAIR.findall(message):
            if key not in _RESERVED:
                line.setdefault(key, _number(value))
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))

    def _request_fields(self) -> dict[str, str]:
        from flask import has_request_context, request

        if not has_request_context():
            return {}
        fields = {}
        org_id = (request.view_args or {}).get("org_id")
        if org_id in self._organisations:
            fields["organisation"] = org_id
            if request.blueprint in ("preadmission", "adhesion"):
                fields["journey"] = request.blueprint
        return fields


def _number(value: str) -> object:
    return int(value) if value.isdigit() and len(value) < 16 else value


def configure(logger: logging.Logger, *, json_lines: bool, organisations: Collection[str], fmt: str) -> None:
    """Give the app's logger one handler with the correlation filter and the chosen format (replacing ours)."""
    for handler in list(logger.handlers):
        if getattr(handler, "droits_connect", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.droits_connect = True  # type: ignore[attr-defined]
    handler.addFilter(CorrelationFilter())
    handler.setFormatter(JsonFormatter(organisations) if json_lines else logging.Formatter(fmt))
    logger.addHandler(handler)
