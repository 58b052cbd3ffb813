"""Every route of the service answers with the security headers, whatever it serves (pages, API, probes, assets),
and no answer caches a page that may hold personal data."""

from __future__ import annotations

import re

import pytest

SAMPLES = {"org_id": "chu-demo", "journey": "preadmission", "reference": "DC-AAAA-AAAA", "name": "connect.min.css",
           "filename": "app.css", "motif": "annule", "attachment_id": "att_" + "0" * 32}
HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": None,
           "Content-Security-Policy": None, "Cross-Origin-Opener-Policy": "same-origin"}


def get_paths(app) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or any(arg not in SAMPLES for arg in rule.arguments):
            continue
        paths.append(re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: SAMPLES[m.group(1)], rule.rule))
    return sorted(set(paths))


def test_every_get_route_is_covered(app):
    uncovered = [rule.rule for rule in app.url_map.iter_rules()
                 if "GET" in rule.methods and any(arg not in SAMPLES for arg in rule.arguments)]
    assert uncovered == []  # a new route with a new argument needs a sample above


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_every_route_carries_the_security_headers(app, method):
    client = app.test_client()
    paths = get_paths(app)
    assert len(paths) > 20
    for path in paths:
        response = client.open(path, method=method)
        for name, value in HEADERS.items():
            assert response.headers.get(name), (path, name)
            if value:
                assert response.headers[name] == value, (path, name)
        if response.mimetype == "text/html":
            assert response.headers["Cache-Control"] == "no-store", path
        response.close()
