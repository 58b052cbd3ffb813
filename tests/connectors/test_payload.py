"""The connectors' body helpers: JSON only under a JSON media type, strict dates."""

from __future__ import annotations

import pytest

from app import outbound
from app.connectors import payload


@pytest.mark.parametrize(
    ("content_type", "lenient", "ok"),
    [
        ("application/json", False, True), ("application/json; charset=utf-8", False, True),
        ("application/problem+json", False, True), ("", False, False), ("", True, True), ("*/*", True, True),
        ("application/octet-stream", True, True), ("text/html", True, False), ("text/html", False, False),
    ],
)
def test_decode_json_checks_the_content_type(content_type, lenient, ok):
    response = outbound.HttpResponse(200, {"Content-Type": content_type} if content_type else {}, b'{"a": 1}')
    if ok:
        assert payload.decode_json(response, lenient=lenient) == {"a": 1}
    else:
        with pytest.raises(ValueError):
            payload.decode_json(response, lenient=lenient)


@pytest.mark.parametrize("body", [b"", b"<html></html>", b'{"a": NaN}', b"[" * 100_000, b"\xff\xfe\x00"])
def test_decode_json_refuses_what_is_not_json(body):
    with pytest.raises(ValueError):
        payload.decode_json(outbound.HttpResponse(200, {"Content-Type": "application/json"}, body))


@pytest.mark.parametrize("value", ["2026-05-01T00:00:00Z", "01/05/2026", "2026-5-1", "", "2026-02-30"])
def test_parse_date_is_strict(value):
    with pytest.raises(ValueError):
        payload.parse_date(value)
