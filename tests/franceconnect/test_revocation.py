"""Revoking the access token once its data is fetched (RFC 7009, franceconnect.md §7)."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import responses

from app.franceconnect.errors import FranceConnectUnavailable


@pytest.fixture
def revocation(fc):
    url = fc.issuer + "/token/revocation"
    fc.discovery_overrides["revocation_endpoint"] = url
    fc.mock.add(responses.POST, url, status=200)
    return url


def test_revocation_posts_the_token_with_client_secret_post(fc, revocation):
    client = fc.client()
    token = fc.login(client)
    assert client.revoke(token) is True
    call = next(c for c in fc.mock.calls if c.request.url == revocation)
    form = {k: v[0] for k, v in parse_qs(call.request.body).items()}
    assert form == {"token": token.access_token, "token_type_hint": "access_token",
                    "client_id": fc.client_id, "client_secret": fc.client_secret}
    assert "Authorization" not in call.request.headers


def test_no_revocation_endpoint_means_nothing_to_do(fc):
    client = fc.client()
    token = fc.login(client)
    calls = len(fc.mock.calls)
    assert client.revoke(token) is False
    assert len(fc.mock.calls) == calls


def test_a_revocation_endpoint_on_another_host_is_ignored(fc, caplog):
    fc.discovery_overrides["revocation_endpoint"] = "https://attacker.example/revoke"
    client = fc.client()
    token = fc.login(client)
    assert client.revoke(token) is False
    assert "revocation_endpoint ignored" in caplog.text


def test_a_failed_revocation_is_a_typed_failure(fc):
    url = fc.issuer + "/token/revocation"
    fc.discovery_overrides["revocation_endpoint"] = url
    fc.mock.add(responses.POST, url, status=503)
    client = fc.client()
    token = fc.login(client)
    with pytest.raises(FranceConnectUnavailable):
        client.revoke(token)
