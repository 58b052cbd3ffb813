"""ID-token verification (OIDC Core 3.1.3.7, FC rules): one hostile token per check, each with its reason code."""

from __future__ import annotations

import base64
import json

import pytest

from app.franceconnect.errors import FranceConnectProtocolError
from tests.franceconnect.fakefc import DELETE, FakeFranceConnect, corrupt_signature, sign


def refused(fc, reason: str, **settings) -> None:
    with pytest.raises(FranceConnectProtocolError) as exc:
        fc.login(fc.client(**settings))
    assert exc.value.reason == reason


def accepted(fc, **settings) -> dict:
    return fc.login(fc.client(**settings)).claims


# -- claims --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("claims, reason", [
    ({"iss": DELETE}, "id_token_missing_iss"),
    ({"iss": "https://attacker.example/api/v2"}, "id_token_bad_iss"),
    ({"iss": "https://fc.test/api/v2/"}, "id_token_bad_iss"),
    ({"iss": "https://fc.test/api"}, "id_token_bad_iss"),
    ({"iss": None}, "id_token_bad_iss"),
    ({"aud": DELETE}, "id_token_missing_aud"),
    ({"aud": "another-client"}, "id_token_bad_aud"),
    ({"aud": ["another-client"]}, "id_token_bad_aud"),
    ({"aud": []}, "id_token_bad_aud"),
    ({"aud": 42}, "id_token_bad_aud"),
    ({"aud": {"client": True}}, "id_token_bad_aud"),
    ({"exp": DELETE}, "id_token_missing_exp"),
    ({"exp": "1800000060"}, "id_token_bad_exp"),
    ({"exp": True}, "id_token_bad_exp"),
    ({"iat": DELETE}, "id_token_missing_iat"),
    ({"iat": "1800000000"}, "id_token_bad_iat"),
    ({"nbf": "soon"}, "id_token_bad_nbf"),
    ({"nonce": DELETE}, "id_token_missing_nonce"),
    ({"nonce": "an-attacker-s-own-nonce-000000000000000000"}, "id_token_bad_nonce"),
    ({"nonce": 12345}, "id_token_bad_nonce"),
    ({"nonce": ""}, "id_token_bad_nonce"),
    ({"sub": DELETE}, "id_token_missing_sub"),
    ({"sub": ""}, "id_token_missing_sub"),
    ({"sub": 12345}, "id_token_bad_sub"),
    ({"sub": "x" * 256}, "id_token_bad_sub"),
    ({"acr": DELETE}, "id_token_missing_acr"),
    ({"acr": "eidas0"}, "id_token_unknown_acr"),
    ({"acr": "EIDAS1"}, "id_token_unknown_acr"),
    ({"acr": "http://eidas.europa.eu/LoA/low"}, "id_token_unknown_acr"),
    ({"acr": 1}, "id_token_unknown_acr"),
    ({"at_hash": "CmYu-j3wRLdsAMEQ9MZ6Tw"}, "id_token_bad_at_hash"),
    ({"at_hash": 7}, "id_token_bad_at_hash"),
])
def test_bad_claims_are_refused(fc, claims, reason):
    fc.id_token_claims.update(claims)
    refused(fc, reason)


def with_client(value, client_id):
    """Test tables name our client_id "CLIENT" (it is only known once the fake exists)."""
    if isinstance(value, list):
        return [with_client(item, client_id) for item in value]
    return client_id if value == "CLIENT" else value


@pytest.mark.parametrize("claims, reason", [
    ({"aud": ["client-x", "CLIENT"]}, "id_token_missing_azp"),
    ({"aud": ["CLIENT", "client-x"], "azp": "client-x"}, "id_token_bad_azp"),
    ({"aud": "CLIENT", "azp": "client-x"}, "id_token_bad_azp"),
])
def test_several_audiences_need_azp_equal_to_client_id(fc, claims, reason):
    fc.id_token_claims.update({name: with_client(value, fc.client_id) for name, value in claims.items()})
    refused(fc, reason)


@pytest.mark.parametrize("claims", [
    {"aud": ["CLIENT"]},
    {"aud": ["CLIENT", "CLIENT"]},
    {"aud": ["CLIENT", "client-x"], "azp": "CLIENT"},
    {"aud": "CLIENT", "azp": "CLIENT"},
])
def test_audience_variants_naming_us_are_accepted(fc, claims):
    fc.id_token_claims.update({name: with_client(value, fc.client_id) for name, value in claims.items()})
    assert accepted(fc)["sub"] == fc.sub


def test_expired_token_is_refused(fc, clock):
    fc.id_token_claims["exp"] = int(clock.now) - 31  # leeway is 30 s
    refused(fc, "id_token_expired")


def test_expiry_boundary_is_exclusive(fc, clock):
    fc.id_token_claims["exp"] = int(clock.now) - 30
    refused(fc, "id_token_expired")


def test_expiry_within_leeway_is_accepted(fc, clock):
    fc.id_token_claims["exp"] = int(clock.now) - 29
    assert accepted(fc)


def test_expiry_respects_the_configured_leeway(fc, clock):
    fc.id_token_claims["exp"] = int(clock.now) - 5
    refused(fc, "id_token_expired", clock_leeway=0)


def test_iat_in_the_future_is_refused(fc, clock):
    fc.id_token_claims["iat"] = int(clock.now) + 31
    refused(fc, "id_token_iat_in_future")


def test_iat_slightly_in_the_future_is_tolerated(fc, clock):
    fc.id_token_claims["iat"] = int(clock.now) + 29
    assert accepted(fc)


def test_old_token_is_refused_even_if_exp_is_far(fc, clock):
    fc.id_token_claims.update(iat=int(clock.now) - 631, exp=int(clock.now) + 3600)
    refused(fc, "id_token_too_old")


def test_nbf_in_the_future_is_refused(fc, clock):
    fc.id_token_claims["nbf"] = int(clock.now) + 31
    refused(fc, "id_token_not_yet_valid")


def test_nbf_in_the_past_is_accepted(fc, clock):
    fc.id_token_claims["nbf"] = int(clock.now) - 1
    assert accepted(fc)


@pytest.mark.parametrize("acr", ["eidas2", "eidas3"])
def test_higher_acr_than_requested_is_accepted(fc, acr):
    fc.acr = acr
    assert accepted(fc)["acr"] == acr


def test_lower_acr_than_requested_is_refused(fc):
    refused(fc, "id_token_insufficient_acr", acr_values="eidas2")


def test_at_hash_is_optional(fc):
    fc.id_token_claims["at_hash"] = DELETE
    assert "at_hash" not in accepted(fc)


def test_at_hash_must_match_the_access_token_actually_returned(fc):
    fc.token_overrides["access_token"] = "a-token-the-id-token-was-not-issued-with"
    refused(fc, "id_token_bad_at_hash")


def test_extra_claims_are_kept(fc):
    fc.id_token_claims["amr"] = ["pwd"]
    assert accepted(fc)["amr"] == ["pwd"]


# -- algorithm and signature ---------------------------------------------------------------------------------


def test_alg_none_with_empty_signature_is_refused(fc):
    fc.id_token_header["alg"] = "none"  # the fake then emits "header.payload." like CVE-2026-28802
    refused(fc, "id_token_bad_alg")


def test_empty_signature_is_refused(fc):
    fc.id_token_transform = lambda token: token.rsplit(".", 1)[0] + "."
    refused(fc, "id_token_malformed")


def test_alg_none_with_a_signature_is_refused(fc):
    fc.id_token_header["alg"] = "none"
    fc.id_token_transform = lambda token: token + "c2lnbmF0dXJl"
    refused(fc, "id_token_bad_alg")


@pytest.mark.parametrize("alg", ["None", "NONE", "es256", "ES384", "PS256", "EdDSA", "", None])
def test_alg_must_equal_the_pinned_one_exactly(fc, alg):
    fc.id_token_header["alg"] = alg
    fc.id_token_key = fc.signing_keys["ES256"]
    refused(fc, "id_token_bad_alg")


def test_missing_alg_is_refused(fc):
    fc.id_token_header["alg"] = DELETE
    fc.id_token_key = fc.signing_keys["ES256"]
    refused(fc, "id_token_bad_alg")


def test_hs256_signed_with_the_client_secret_is_refused(fc):
    fc.id_token_header["alg"] = "HS256"  # the fake signs HS* with the client secret by default
    refused(fc, "id_token_bad_alg")


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_hs256_signed_with_the_public_key_pem_is_refused(clock, alg):
    # Classic algorithm confusion (Authlib CVE-2024-37568, CVE-2026-114615).
    with FakeFranceConnect(clock=clock, alg=alg) as fc:
        fc.id_token_header["alg"] = "HS256"
        fc.id_token_key = fc.signing_keys[alg].as_pem(private=False)
        refused(fc, "id_token_bad_alg")


def test_rs256_token_is_refused_when_es256_is_pinned(fc):
    # The RSA key is in FC's JWKS too: only the pin stops it.
    fc.id_token_header.update(alg="RS256", kid=fc.signing_keys["RS256"].kid)
    refused(fc, "id_token_bad_alg")


def test_es256_token_is_refused_when_rs256_is_pinned(clock):
    with FakeFranceConnect(clock=clock, alg="RS256") as fc:
        fc.id_token_header.update(alg="ES256", kid=fc.signing_keys["ES256"].kid)
        refused(fc, "id_token_bad_alg")


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_corrupted_signature_is_refused(clock, alg):
    with FakeFranceConnect(clock=clock, alg=alg) as fc:
        fc.id_token_transform = corrupt_signature
        refused(fc, "id_token_bad_signature")


def test_payload_swapped_under_a_valid_signature_is_refused(fc, clock):
    other = fc.mint_id_token("another-nonce-000000000000000000000", "at")

    def swap(token):
        header, _, signature = token.split(".")
        return ".".join([header, other.split(".")[1], signature])

    fc.id_token_transform = swap
    refused(fc, "id_token_bad_signature")


def test_foreign_key_under_a_known_kid_is_refused(fc):
    fc.id_token_key = fc.foreign_key("ES256")  # header keeps FC's kid
    refused(fc, "id_token_bad_signature")


@pytest.mark.parametrize("header", [
    {"jwk": "ATTACKER"},
    {"jku": "https://attacker.example/jwks"},
    {"x5u": "https://attacker.example/cert.pem"},
    {"x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]},
    {"b64": False},
])
def test_key_carrying_headers_are_refused(fc, header):
    foreign = fc.foreign_key("ES256", kid="attacker")
    if header.get("jwk") == "ATTACKER":
        header = {"jwk": foreign.as_dict(private=False), "kid": DELETE}
    fc.id_token_header.update(header)
    fc.id_token_key = foreign
    refused(fc, "id_token_forbidden_header")


def test_crit_header_is_refused(fc):
    fc.id_token_header.update(crit=["exp"], exp=1)
    refused(fc, "id_token_crit_header")


def test_unknown_harmless_header_is_ignored(fc):
    fc.id_token_header["x-fc-trace"] = "abc"
    assert accepted(fc)


def test_unknown_kid_is_refused(fc):
    fc.id_token_header["kid"] = "no-such-key"
    fc.id_token_key = fc.foreign_key("ES256", kid="no-such-key")
    refused(fc, "id_token_unknown_kid")


def test_non_string_kid_is_refused(fc):
    fc.id_token_header["kid"] = ["es256-1"]
    refused(fc, "id_token_malformed")


def test_no_kid_with_a_single_key_for_the_alg_is_accepted(fc):
    fc.id_token_header["kid"] = DELETE
    assert accepted(fc)


def test_no_kid_with_several_keys_for_the_alg_is_refused(fc):
    fc.published_keys.append(fc.foreign_key("ES256", kid="second"))
    fc.id_token_header["kid"] = DELETE
    refused(fc, "id_token_no_matching_key")


# -- shape -----------------------------------------------------------------------------------------------------


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize("make, reason", [
    (lambda t: t + ".extra.parts", "id_token_not_compact_jws"),  # 5 segments: a JWE
    (lambda t: t.rsplit(".", 1)[0], "id_token_not_compact_jws"),
    (lambda t: "not a jwt", "id_token_not_compact_jws"),
    (lambda t: " " + t, "id_token_malformed"),
    (lambda t: t.replace(".", "=.", 1), "id_token_malformed"),
    (lambda t: "..", "id_token_malformed"),
    (lambda t: b64(b"not json") + "." + t.split(".", 1)[1], "id_token_malformed"),
    (lambda t: b64([1, 2]) + "." + t.split(".", 1)[1], "id_token_malformed"),
    (lambda t: "a" * 70_000, "id_token_malformed"),
    (lambda t: b64(b"[" * 5_000 + b"]" * 5_000) + "." + t.split(".", 1)[1], "id_token_malformed"),
])
def test_malformed_tokens_are_refused(fc, make, reason):
    fc.id_token_transform = make
    refused(fc, reason)


def test_signed_non_json_payload_is_refused(fc):
    fc.id_token_transform = lambda t: sign({"alg": "ES256", "kid": fc.signing_keys["ES256"].kid}, b"[1]",
                                           fc.signing_keys["ES256"])
    refused(fc, "id_token_malformed")


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_a_token_verified_for_one_alg_reports_claims(clock, alg):
    with FakeFranceConnect(clock=clock, alg=alg) as fc:
        claims = accepted(fc)
    assert claims["iss"] == fc.issuer and claims["aud"] == fc.client_id and claims["acr"] == "eidas1"
