"""JWKS cache: rotation, rate-limited refetches, outages, and which published keys are ever usable."""

from __future__ import annotations

import base64
import json
import secrets
import threading

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, OctKey, RSAKey

from app.franceconnect import jwks
from app.franceconnect.errors import FranceConnectProtocolError, FranceConnectUnavailable
from tests.franceconnect.fakefc import FakeFranceConnect


def refused(fc, client, error=FranceConnectProtocolError) -> str:
    with pytest.raises(error) as exc:
        fc.login(client)
    return exc.value.reason


# -- rotation --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_rotation_to_a_new_kid_costs_one_refetch(clock, alg):
    with FakeFranceConnect(clock=clock, alg=alg) as fc:
        client = fc.client()
        fc.login(client)
        fc.rotate_keys()
        assert fc.login(client).sub == fc.sub
        assert fc.hits["jwks"] == 2
        fc.login(client)
        assert fc.hits["jwks"] == 2


def test_rotation_keeping_the_old_key_published(fc):
    client = fc.client()
    fc.login(client)
    fc.rotate_keys(keep_old=True)
    fc.login(client)
    assert fc.hits["jwks"] == 2


def test_new_key_under_the_same_kid_is_picked_up_after_a_bad_signature(fc, clock):
    # FC's kids look like "pkcs11:ES256:hsm": a rotation may keep the kid and change the key.
    client = fc.client()
    fc.login(client)
    fc.rotate_keys(same_kid=True)
    assert fc.login(client).sub == fc.sub
    assert fc.hits["jwks"] == 2


def test_second_rotation_within_the_interval_waits_for_the_interval(fc, clock):
    client = fc.client()
    fc.login(client)
    fc.rotate_keys()
    fc.login(client)  # refetch #1
    clock.advance(30)
    fc.rotate_keys()
    assert refused(fc, client) == "id_token_unknown_kid"
    assert fc.hits["jwks"] == 2
    clock.advance(30)  # 60 s = jwks_refresh_interval since the last refetch
    assert fc.login(client).sub == fc.sub
    assert fc.hits["jwks"] == 3


def test_a_flood_of_unknown_kids_costs_one_refetch_per_interval(fc, clock):
    client = fc.client()
    for _ in range(50):
        fc.id_token_header["kid"] = secrets.token_hex(8)
        assert refused(fc, client) == "id_token_unknown_kid"
    assert fc.hits["jwks"] == 2  # first fetch + one refetch
    clock.advance(60)
    for _ in range(50):
        fc.id_token_header["kid"] = secrets.token_hex(8)
        refused(fc, client)
    assert fc.hits["jwks"] == 3


def test_a_flood_of_forged_signatures_costs_one_refetch_per_interval(fc):
    client = fc.client()
    fc.id_token_key = fc.foreign_key("ES256")
    for _ in range(30):
        assert refused(fc, client) == "id_token_bad_signature"
    assert fc.hits["jwks"] == 2


def test_interval_is_configurable(fc, clock):
    client = fc.client(jwks_refresh_interval=5)
    fc.login(client)
    fc.id_token_header["kid"] = "unknown"
    refused(fc, client)
    clock.advance(5)
    refused(fc, client)
    assert fc.hits["jwks"] == 3


# -- cache age and outages -------------------------------------------------------------------------------------


def test_keys_are_refreshed_once_stale(fc, clock):
    client = fc.client()
    fc.login(client)
    clock.advance(jwks.MAX_AGE - 1)
    fc.login(client)
    assert fc.hits["jwks"] == 1
    clock.advance(1)
    fc.login(client)
    assert fc.hits["jwks"] == 2


@pytest.mark.parametrize("outage", [
    {"failures": {"jwks": requests.ConnectionError("down")}},
    {"failures": {"jwks": requests.exceptions.ReadTimeout("slow")}},
    {"jwks_status": 503},
    {"jwks_body": "<html>maintenance</html>"},
    {"jwks_body": json.dumps({"keys": []})},
])
def test_jwks_outage_does_not_break_logins_while_cached_keys_suffice(fc, clock, outage):
    client = fc.client()
    fc.login(client)
    clock.advance(jwks.MAX_AGE + 1)
    for name, value in outage.items():
        setattr(fc, name, value)
    assert fc.login(client).sub == fc.sub
    assert fc.hits["jwks"] == 2  # the refresh was attempted, and failed
    assert fc.login(client).sub == fc.sub
    assert fc.hits["jwks"] == 2  # and is not retried on every login


@pytest.mark.parametrize("outage, reason", [
    ({"failures": {"jwks": requests.ConnectionError("down")}}, "jwks_unreachable"),
    ({"failures": {"jwks": requests.exceptions.ConnectTimeout("slow")}}, "jwks_timeout"),
    ({"jwks_status": 500}, "jwks_http_error"),
    ({"jwks_status": 302}, "jwks_http_error"),
    ({"jwks_body": "<html>maintenance</html>"}, "jwks_invalid"),
    ({"jwks_body": "[]"}, "jwks_invalid"),
    ({"jwks_body": "[" * 100_000 + "]" * 100_000}, "jwks_invalid"),
    ({"jwks_body": json.dumps({"keys": {}})}, "jwks_invalid"),
    ({"jwks_body": json.dumps({"keys": []})}, "jwks_no_usable_key"),
    ({"jwks_body": json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "es256-1"}]})}, "jwks_no_usable_key"),
    ({"jwks_body": "x" * 300_000}, "jwks_too_large"),
])
def test_no_cached_key_and_no_jwks_is_unavailable(fc, outage, reason):
    for name, value in outage.items():
        setattr(fc, name, value)
    assert refused(fc, fc.client(), FranceConnectUnavailable) == reason


def test_unknown_kid_during_an_outage_is_unavailable_and_keeps_the_cache(fc, clock):
    client = fc.client()
    fc.login(client)
    fc.failures["jwks"] = requests.ConnectionError("down")
    fc.id_token_header["kid"] = "rotated"
    assert refused(fc, client, FranceConnectUnavailable) == "jwks_unreachable"
    del fc.id_token_header["kid"]
    assert fc.login(client).sub == fc.sub


def test_a_broken_jwks_never_wipes_the_cached_keys(fc, clock):
    client = fc.client()
    fc.login(client)
    fc.jwks_body = json.dumps({"keys": []})
    fc.id_token_header["kid"] = "rotated"
    assert refused(fc, client, FranceConnectUnavailable) == "jwks_no_usable_key"
    del fc.id_token_header["kid"]
    assert fc.login(client).sub == fc.sub


def test_concurrent_first_logins_share_one_discovery_and_one_jwks_fetch(fc):
    client = fc.client()
    errors: list[Exception] = []

    def login() -> None:
        try:
            fc.login(client)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=login) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert fc.hits["discovery"] == 1 and fc.hits["jwks"] == 1 and fc.hits["token"] == 8


# -- which keys are usable -------------------------------------------------------------------------------------


def test_parse_jwks_keeps_only_public_asymmetric_keys():
    ec = ECKey.generate_key("P-256", parameters={"kid": "ec"}, private=True)
    document = {"keys": [
        ec.as_dict(private=True),  # a provider leaking its private key: we keep only the public part
        OctKey.generate_key(256, parameters={"kid": "oct"}).as_dict(private=True),
        {"kty": "EC", "crv": "P-256", "x": "not-a-point", "y": "x", "kid": "broken"},
        {"kty": "RSA", "kid": "incomplete"},
        {**ec.as_dict(private=False), "kid": "bad-curve", "crv": "P-999"},
        {**ec.as_dict(private=False), "kid": 5},
        {"kty": ["EC"], "kid": "unhashable"},
        small_rsa_jwk(),  # skipped without the SecurityWarning joserfc would raise on import
        "not a key",
    ]}
    keys = jwks.parse_jwks(json.dumps(document).encode())
    assert [key.kid for key in keys] == ["ec"] and not keys[0].is_private


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"keys": "x"}', b'{"nokeys": []}'])
def test_parse_jwks_refuses_a_document_that_is_not_a_key_set(body):
    with pytest.raises(ValueError):
        jwks.parse_jwks(body)


def small_rsa_jwk() -> dict:
    numbers = rsa.generate_private_key(65537, 1024).public_key().public_numbers()
    return {"kty": "RSA", "kid": "small", "n": b64_int(numbers.n), "e": b64_int(numbers.e)}


def b64_int(value: int) -> str:
    return base64.urlsafe_b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()


def test_key_fits():
    es = ECKey.generate_key("P-256", private=False)
    p384 = ECKey.generate_key("P-384", private=False)
    rs = RSAKey.generate_key(2048, private=False)
    with pytest.warns(SecurityWarning):
        small_rs = RSAKey.import_key(small_rsa_jwk())
    enc = ECKey.generate_key("P-256", parameters={"use": "enc"}, private=False)
    other_alg = ECKey.generate_key("P-256", parameters={"alg": "ES384"}, private=False)
    assert jwks.key_fits(es, "ES256") and jwks.key_fits(rs, "RS256")
    assert not jwks.key_fits(es, "RS256") and not jwks.key_fits(rs, "ES256")
    assert not jwks.key_fits(p384, "ES256") and not jwks.key_fits(small_rs, "RS256")
    assert not jwks.key_fits(enc, "ES256") and not jwks.key_fits(other_alg, "ES256")
    assert not jwks.key_fits(es, "HS256") and not jwks.key_fits(es, "none")
