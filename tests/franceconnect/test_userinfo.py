"""Signed userinfo (OIDC Core 5.3, FC v2 §6): verified like the ID token and bound to its sub."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

import pytest
import requests

from app.franceconnect.errors import FranceConnectError, FranceConnectProtocolError, FranceConnectUnavailable
from tests.franceconnect.fakefc import DELETE, IDENTITY, FakeFranceConnect, corrupt_signature


@pytest.fixture
def rp(fc):
    return fc.client()


def refused(fc, rp, reason: str, error=FranceConnectProtocolError) -> None:
    token = fc.login(rp)
    with pytest.raises(error) as exc:
        rp.fetch_userinfo(token)
    assert exc.value.reason == reason


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_userinfo_returns_the_identity(clock, alg):
    with FakeFranceConnect(clock=clock, alg=alg) as fc:
        rp = fc.client()
        identity = rp.fetch_userinfo(fc.login(rp))
    assert identity.sub == fc.sub
    assert (identity.given_name, identity.family_name, identity.gender) == ("Angela Claire Louise", "DUBOIS", "female")
    assert (identity.birthdate, identity.birthplace, identity.birthcountry) == ("1962-08-24", "75107", "99100")
    assert identity.email == IDENTITY["email"]


def test_access_token_goes_in_the_bearer_header_never_the_query(fc, rp):
    token = fc.login(rp)
    rp.fetch_userinfo(token)
    [request] = fc.userinfo_requests
    assert request["headers"]["Authorization"] == f"Bearer {token.access_token}"
    assert urlsplit(request["url"]).query == "" and token.access_token not in request["url"]
    assert request["headers"]["Accept"] == "application/jwt"


def test_content_type_parameters_are_tolerated(fc, rp):
    fc.userinfo_content_type = "application/jwt; charset=utf-8"
    assert rp.fetch_userinfo(fc.login(rp)).sub == fc.sub


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/jose", ""])
def test_userinfo_must_be_served_as_application_jwt(fc, rp, content_type):
    fc.userinfo_content_type = content_type  # body is still a valid signed JWT
    refused(fc, rp, "userinfo_not_jwt")


def test_plain_json_userinfo_is_refused(fc, rp):
    fc.userinfo_content_type = "application/json"
    fc.userinfo_body = json.dumps({"sub": fc.sub, **IDENTITY})
    refused(fc, rp, "userinfo_not_jwt")


def test_non_ascii_body_is_refused(fc, rp):
    fc.userinfo_body = "é".encode()
    refused(fc, rp, "userinfo_malformed")


@pytest.mark.parametrize("knob, reason", [
    (lambda fc: setattr(fc, "userinfo_transform", corrupt_signature), "userinfo_bad_signature"),
    (lambda fc: setattr(fc, "userinfo_key", fc.foreign_key("ES256")), "userinfo_bad_signature"),
    (lambda fc: fc.userinfo_header.update(alg="none"), "userinfo_bad_alg"),
    (lambda fc: fc.userinfo_header.update(alg="HS256"), "userinfo_bad_alg"),
    (lambda fc: fc.userinfo_header.update(alg="RS256", kid=fc.signing_keys["RS256"].kid), "userinfo_bad_alg"),
    (lambda fc: fc.userinfo_header.update(jku="https://attacker.example/jwks"), "userinfo_forbidden_header"),
    (lambda fc: fc.userinfo_header.update(crit=["exp"]), "userinfo_crit_header"),
    (lambda fc: fc.userinfo_header.update(kid="unknown"), "userinfo_unknown_kid"),
    (lambda fc: setattr(fc, "userinfo_body", "not.a.jwt"), "userinfo_malformed"),
    (lambda fc: setattr(fc, "userinfo_body", "a.b.c.d.e"), "userinfo_not_compact_jws"),
])
def test_userinfo_signature_checks(fc, rp, knob, reason):
    knob(fc)
    refused(fc, rp, reason)


@pytest.mark.parametrize("claims, reason", [
    ({"sub": "another-person-v1"}, "userinfo_sub_mismatch"),
    ({"sub": 42}, "userinfo_sub_mismatch"),
    ({"sub": DELETE}, "userinfo_missing_sub"),
    ({"iss": "https://attacker.example/api/v2"}, "userinfo_bad_iss"),
    ({"iss": DELETE}, "userinfo_missing_iss"),
    ({"aud": "another-client"}, "userinfo_bad_aud"),
    ({"aud": DELETE}, "userinfo_missing_aud"),
    ({"aud": ["another-client", "x"]}, "userinfo_bad_aud"),
    ({"azp": "another-client"}, "userinfo_bad_azp"),
    ({"exp": "tomorrow"}, "userinfo_bad_exp"),
    ({"birthdate": "24/08/1962"}, "userinfo_invalid_identity"),
    ({"family_name": DELETE}, "userinfo_invalid_identity"),
])
def test_userinfo_claim_checks(fc, rp, claims, reason):
    fc.userinfo_claims.update(claims)
    refused(fc, rp, reason)


def test_several_audiences_need_azp(fc, rp):
    fc.userinfo_claims["aud"] = [fc.client_id, "another-client"]
    refused(fc, rp, "userinfo_missing_azp")
    fc.userinfo_claims["azp"] = fc.client_id
    assert rp.fetch_userinfo(fc.login(rp)).sub == fc.sub


def test_expired_userinfo_is_refused(fc, rp, clock):
    fc.userinfo_claims["exp"] = int(clock.now) - 31
    refused(fc, rp, "userinfo_expired")


def test_userinfo_without_exp_is_accepted(fc, rp):
    fc.userinfo_claims["exp"] = DELETE
    assert rp.fetch_userinfo(fc.login(rp)).sub == fc.sub


def test_an_id_token_is_not_accepted_as_userinfo(fc, rp):
    token = fc.login(rp)
    fc.userinfo_body = token.id_token  # same issuer, audience, sub and key, but no identity claims
    with pytest.raises(FranceConnectProtocolError, match="userinfo_invalid_identity"):
        rp.fetch_userinfo(token)


@pytest.mark.parametrize("status, body, error, reason", [
    (401, {"error": "invalid_token", "error_description": "access token not found"}, FranceConnectProtocolError,
     "userinfo_error_invalid_token"),
    (403, {"error": "insufficient_scope"}, FranceConnectProtocolError, "userinfo_error_insufficient_scope"),
    (404, "<html>", FranceConnectProtocolError, "userinfo_error_other"),
    (500, "<html>", FranceConnectUnavailable, "userinfo_server_error"),
    (502, "", FranceConnectUnavailable, "userinfo_server_error"),
    (301, "", FranceConnectProtocolError, "userinfo_unexpected_status"),
])
def test_userinfo_error_statuses(fc, rp, status, body, error, reason):
    fc.userinfo_status, fc.userinfo_content_type = status, "application/json"
    fc.userinfo_body = body if isinstance(body, str) else json.dumps(body)
    refused(fc, rp, reason, error)


def test_access_token_unknown_to_fc_gives_401(fc, rp):
    token = fc.login(rp)
    fc._access_tokens.clear()  # e.g. expired after its 60 s
    with pytest.raises(FranceConnectProtocolError, match="userinfo_error_invalid_token"):
        rp.fetch_userinfo(token)


@pytest.mark.parametrize("exception, reason", [
    (requests.exceptions.ConnectTimeout("slow"), "userinfo_timeout"),
    (requests.exceptions.ConnectionError("refused"), "userinfo_unreachable"),
])
def test_userinfo_network_errors(fc, rp, exception, reason):
    fc.failures["userinfo"] = exception
    refused(fc, rp, reason, FranceConnectUnavailable)


@pytest.mark.parametrize("knob", [
    lambda fc: fc.userinfo_claims.update(sub="another-person-v1"),
    lambda fc: fc.userinfo_claims.update(birthdate="1962-13-45"),
    lambda fc: setattr(fc, "userinfo_key", fc.foreign_key("ES256")),
    lambda fc: (setattr(fc, "userinfo_content_type", "application/json"),
                setattr(fc, "userinfo_body", json.dumps({"sub": fc.sub, **IDENTITY}))),
])
def test_no_identity_or_token_reaches_the_logs(fc, rp, clock, caplog, knob):
    knob(fc)
    token = fc.login(rp)
    clock.advance(61)  # lets the bad-signature path refetch the JWKS, which logs
    with caplog.at_level(logging.DEBUG), pytest.raises(FranceConnectError) as exc:
        rp.fetch_userinfo(token)
    for value in [token.access_token, token.id_token, fc.sub, "another-person", "1962", *IDENTITY.values()]:
        assert value not in caplog.text and value not in str(exc.value)
