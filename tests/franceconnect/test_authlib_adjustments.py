"""FranceConnect's adjustments to Authlib's defaults: one hostile test each, failing if the adjustment goes."""

from __future__ import annotations

import time
import types

import pytest
import responses
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749 import wrappers

from app.franceconnect.client import AuthTransaction
from app.franceconnect.errors import FranceConnectConfigError, FranceConnectProtocolError


def test_authlib_nonce_length_is_refused_and_ours_is_longer(fc):
    client = fc.client()
    short = generate_token(20)  # the nonce Authlib's OIDC client makes: FranceConnect answers Y030007 to it
    assert len(short) == 20
    for tx in (AuthTransaction(state=short, nonce="n" * 43, created_at=0),
               AuthTransaction(state="s" * 43, nonce=short, created_at=0)):
        with pytest.raises(ValueError):
            client.authorize_url(tx)
    assert all(len(tx.nonce) >= 22 and len(tx.state) >= 22 for tx in (client.new_transaction() for _ in range(50)))


@pytest.fixture
def authlib_clock(monkeypatch):
    """Authlib reckons token expiry on the wall clock of its own module: move that clock only."""
    now = {"t": time.time()}
    monkeypatch.setattr(wrappers, "time", types.SimpleNamespace(time=lambda: now["t"]))
    return now


def test_a_60_second_access_token_is_still_used_30_seconds_later(fc, clock, authlib_clock):
    assert fc.token_overrides.get("expires_in", 60) == 60
    client = fc.client()
    token = fc.login(client)
    authlib_clock["t"] += 30
    clock.advance(30)
    assert client.fetch_userinfo(token).sub == fc.sub  # Authlib's default 60 s leeway would refuse it
    assert fc.hits["userinfo"] == 1


def test_an_expired_access_token_is_not_sent(fc, authlib_clock):
    client = fc.client()
    token = fc.login(client)
    authlib_clock["t"] += 61
    with pytest.raises(FranceConnectProtocolError, match="userinfo_token_expired"):
        client.fetch_userinfo(token)
    assert fc.hits["userinfo"] == 0


@pytest.mark.parametrize("expires_in", ["60", -1, True, 1.5, [60]])
def test_a_malformed_expires_in_is_refused(fc, expires_in):
    fc.token_overrides["expires_in"] = expires_in
    with pytest.raises(FranceConnectProtocolError, match="token_bad_expires_in"):
        fc.login(fc.client())


def test_a_token_answer_carrying_an_error_is_refused(fc):
    fc.token_overrides["error"] = "invalid_grant"
    with pytest.raises(FranceConnectProtocolError, match="token_error_invalid_grant"):
        fc.login(fc.client())


@pytest.mark.parametrize("what", ["id_token", "userinfo"])
def test_hs256_advertised_by_discovery_and_signed_with_the_client_secret_is_refused(fc, what):
    client = fc.client()
    metadata = client.metadata()
    assert "HS256" in metadata.id_token_signing_alg_values_supported  # as FranceConnect really advertises
    getattr(fc, f"{what}_header")["alg"] = "HS256"  # the fake signs HS* with the client secret by default
    with pytest.raises(FranceConnectProtocolError, match=f"{what}_bad_alg"):
        client.fetch_userinfo(fc.login(client))


def test_a_foreign_discovery_issuer_is_refused_before_any_code_is_redeemed(fc):
    fc.discovery_overrides["issuer"] = "https://attacker.example/api/v2"
    client = fc.client()
    with pytest.raises(FranceConnectConfigError, match="discovery_issuer_mismatch"):
        fc.login(client)
    assert fc.hits["token"] == 0


def test_a_token_endpoint_off_the_issuer_host_never_gets_the_secret(fc):
    stolen = fc.mock.add(responses.POST, "https://attacker.example/token", json={})
    fc.discovery_overrides["token_endpoint"] = "https://attacker.example/token"
    with pytest.raises(FranceConnectConfigError, match="discovery_foreign_endpoint"):
        fc.login(fc.client())
    assert stolen.call_count == 0


@pytest.mark.parametrize("status", [302, 307, 308])
def test_a_redirect_on_the_token_endpoint_is_refused_and_not_followed(fc, status):
    stolen = fc.mock.add(responses.POST, "https://attacker.example/token", json={})
    fc.mock.replace(responses.POST, fc.url("token"), status=status,
                    headers={"Location": "https://attacker.example/token"})
    with pytest.raises(FranceConnectProtocolError, match="token_unexpected_status") as exc:
        fc.login(fc.client())
    assert exc.value.status_code == status and stolen.call_count == 0
