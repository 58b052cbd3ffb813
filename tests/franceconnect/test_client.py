"""FranceConnectClient: discovery, authorize URL, transaction, code exchange, logout URL, HTTP hygiene."""

from __future__ import annotations

import json
import logging
from collections import Counter
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from app.franceconnect.client import (
    ALPHANUMERIC,
    STATE_AND_NONCE_CHARS,
    AuthTransaction,
    FranceConnectClient,
    random_alphanumeric,
)
from app.franceconnect.errors import (
    FranceConnectConfigError,
    FranceConnectError,
    FranceConnectProtocolError,
    FranceConnectUnavailable,
)
from tests.franceconnect.fakefc import DELETE, FakeFranceConnect, corrupt_signature


def query(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


# -- happy path -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_full_login_with_pinned_alg(clock, alg):
    with FakeFranceConnect(clock=clock, alg=alg) as fc:
        client = fc.client()
        tx = client.new_transaction()
        callback = fc.authorize(client.authorize_url(tx))
        assert callback["state"] == tx.state

        token = client.exchange_code(callback["code"], tx)
        identity = client.fetch_userinfo(token)

    assert token.sub == fc.sub == token.claims["sub"] and token.claims["nonce"] == tx.nonce
    assert token.id_token == fc.issued_id_tokens[-1]
    assert token.scope == fc.scopes
    assert (identity.sub, identity.family_name, identity.birthdate) == (fc.sub, "DUBOIS", "1962-08-24")
    assert dict(fc.hits) == {"discovery": 1, "jwks": 1, "token": 1, "userinfo": 1}


def test_token_result_and_transaction_hide_secrets_in_repr(fc):
    client = fc.client()
    tx = client.new_transaction()
    token = client.exchange_code(fc.issue_code(tx.nonce), tx)
    for secret in (token.access_token, token.id_token, token.sub, tx.nonce, tx.state):
        assert secret not in repr(token) and secret not in repr(tx)


def test_scope_is_empty_when_the_token_response_omits_it(fc):
    fc.token_overrides["scope"] = DELETE
    assert fc.login(fc.client()).scope == ()


# -- authorize URL ------------------------------------------------------------------------------------------


def test_authorize_url_has_exactly_the_parameters_fc_accepts(fc):
    client = fc.client()
    tx = client.new_transaction()
    url = client.authorize_url(tx)

    assert url.startswith(fc.url("authorize") + "?")
    assert query(url) == [
        ("response_type", "code"),
        ("client_id", fc.client_id),
        ("redirect_uri", fc.redirect_uri),
        ("scope", " ".join(fc.scopes)),
        ("acr_values", "eidas1"),
        ("state", tx.state),
        ("nonce", tx.nonce),
    ]
    assert "+" not in url  # spaces as %20, like FC's own fixtures


def test_random_alphanumeric_draws_every_position_uniformly():
    # Each position of 4,000 draws holds each of the 62 characters about 64 times: a generator that left a position
    # fixed, skipped characters or favoured the low digits of its integer would be far outside these bounds.
    draws = [random_alphanumeric() for _ in range(4000)]
    assert all(len(d) == STATE_AND_NONCE_CHARS and set(d) <= set(ALPHANUMERIC) for d in draws)
    for position in (0, 21, STATE_AND_NONCE_CHARS - 1):
        counts = Counter(d[position] for d in draws)
        assert set(counts) == set(ALPHANUMERIC)
        assert 24 < min(counts.values()) and max(counts.values()) < 120  # 5 standard deviations from 64.5
    assert len(random_alphanumeric(22)) == 22


def test_state_and_nonce_are_long_and_fresh_each_time(fc):
    client = fc.client()
    transactions = [client.new_transaction() for _ in range(20)]
    for tx in transactions:
        assert len(tx.nonce) >= 32  # FC requires ≥ 22; Authlib's default 20 is refused
        assert len(tx.state) >= 43  # 43 base64url characters = 256 bits ≥ 128
    assert len({tx.state for tx in transactions}) == len({tx.nonce for tx in transactions}) == 20
    urls = [dict(query(client.authorize_url(tx))) for tx in transactions[:2]]
    assert urls[0]["state"] != urls[1]["state"] and urls[0]["nonce"] != urls[1]["nonce"]


def test_authorize_url_with_a_subset_of_scopes(fc):
    client = fc.client()
    url = client.authorize_url(client.new_transaction(), scopes=["openid", "given_name", "openid"])
    assert dict(query(url))["scope"] == "openid given_name"


@pytest.mark.parametrize("scopes", [["given_name"], ["openid", "droits_assurance_maladie"]])
def test_authorize_url_refuses_scopes_without_openid_or_not_configured(fc, scopes):
    client = fc.client()
    with pytest.raises(ValueError):
        client.authorize_url(client.new_transaction(), scopes=scopes)


def test_authorize_url_uses_configured_acr(fc):
    client = fc.client(acr_values="eidas2")
    assert dict(query(client.authorize_url(client.new_transaction())))["acr_values"] == "eidas2"


# -- transaction ---------------------------------------------------------------------------------------------


def test_transaction_round_trips_through_a_dict(fc, clock):
    tx = fc.client().new_transaction()
    assert tx.created_at == clock.now
    assert AuthTransaction.from_dict(json.loads(json.dumps(tx.to_dict()))) == tx


@pytest.mark.parametrize("data", [
    None, "x", {}, {"state": "s", "nonce": "n"}, {"state": "", "nonce": "n", "created_at": 1.0},
    {"state": "s", "nonce": 3, "created_at": 1.0}, {"state": "s", "nonce": "n", "created_at": True},
])
def test_transaction_from_dict_refuses_garbage(data):
    with pytest.raises(ValueError):
        AuthTransaction.from_dict(data)


def test_transaction_expiry():
    tx = AuthTransaction(state="s", nonce="n", created_at=1000.0)
    assert not tx.expired(1600.0) and tx.expired(1600.1) and tx.expired(1100.0, ttl=60)


def test_expired_transaction_is_refused_before_calling_fc(fc, clock):
    client = fc.client()
    tx = client.new_transaction()
    code = fc.issue_code(tx.nonce)
    clock.advance(601)
    with pytest.raises(FranceConnectProtocolError) as exc:
        client.exchange_code(code, tx)
    assert exc.value.reason == "transaction_expired" and fc.hits["token"] == 0


@pytest.mark.parametrize("code", ["", "a b", "abc\r\nX-Injected: 1", "x" * 513, None])
def test_malformed_code_is_refused_before_calling_fc(fc, code):
    client = fc.client()
    with pytest.raises(FranceConnectProtocolError) as exc:
        client.exchange_code(code, client.new_transaction())
    assert exc.value.reason == "callback_bad_code" and fc.hits["token"] == 0


# -- discovery -----------------------------------------------------------------------------------------------


def test_discovery_is_fetched_once(fc):
    client = fc.client()
    for _ in range(3):
        client.authorize_url(client.new_transaction())
        client.metadata()
        client.logout_url("hint", "state")
        fc.login(client)
    assert fc.hits["discovery"] == 1 and fc.hits["jwks"] == 1


@pytest.mark.parametrize("issuer", [
    "https://attacker.example/api/v2", "https://fc.test/api/v2/", "https://FC.test/api/v2", "https://fc.test/api",
])
def test_discovery_issuer_must_equal_the_configured_issuer(fc, issuer):
    fc.discovery_overrides["issuer"] = issuer
    with pytest.raises(FranceConnectConfigError) as exc:
        fc.client().metadata()
    assert exc.value.reason == "discovery_issuer_mismatch"


def test_discovery_issuer_missing(fc):
    fc.discovery_overrides["issuer"] = DELETE
    with pytest.raises(FranceConnectConfigError, match="discovery_issuer_mismatch"):
        fc.client().metadata()


def test_discovery_failure_is_not_cached(fc):
    client = fc.client()
    fc.discovery_status = 503
    with pytest.raises(FranceConnectUnavailable) as exc:
        client.metadata()
    assert exc.value.reason == "discovery_http_error" and exc.value.status_code == 503
    fc.discovery_status = 200
    assert client.metadata().token_endpoint == fc.url("token")


@pytest.mark.parametrize("body", ["<html>", "[]", "[" * 100_000 + "]" * 100_000,
                                  json.dumps({"issuer": "https://fc.test/api/v2"})])
def test_discovery_must_be_a_complete_json_object(fc, body):
    fc.discovery_body = body
    with pytest.raises(FranceConnectUnavailable, match="discovery_invalid"):
        fc.client().metadata()


@pytest.mark.parametrize("url", ["https://fc.test:abc/api/v2/token", "https://[::1/token", "https://fc.test:99999/x"])
def test_discovery_with_unparsable_endpoint_urls(fc, url):
    fc.discovery_overrides["authorization_endpoint"] = url
    with pytest.raises(FranceConnectUnavailable, match="discovery_invalid"):
        fc.client().metadata()


def test_discovery_network_error(fc):
    fc.failures["discovery"] = requests.ConnectionError("refused")
    with pytest.raises(FranceConnectUnavailable, match="discovery_unreachable"):
        fc.client().metadata()


@pytest.mark.parametrize("name", ["authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
                                  "end_session_endpoint"])
def test_discovery_endpoints_must_be_https_for_an_https_issuer(fc, name):
    fc.discovery_overrides[name] = "http://fc.test/api/v2/somewhere"
    with pytest.raises(FranceConnectConfigError, match="discovery_insecure_endpoint"):
        fc.client().metadata()


@pytest.mark.parametrize("name", ["token_endpoint", "userinfo_endpoint", "jwks_uri"])
def test_discovery_back_channel_endpoints_must_be_on_the_issuer_origin(fc, name):
    # A poisoned token endpoint would receive our client secret; a poisoned jwks_uri would pick our keys.
    fc.discovery_overrides[name] = "https://attacker.example/api/v2/x"
    with pytest.raises(FranceConnectConfigError, match="discovery_foreign_endpoint"):
        fc.client().metadata()


def test_discovery_http_endpoints_allowed_for_a_loopback_http_issuer(clock):
    with FakeFranceConnect(issuer="http://127.0.0.1:5001/api/v2", clock=clock) as fc:
        client = fc.client()
        assert client.metadata().token_endpoint == "http://127.0.0.1:5001/api/v2/token"
        assert fc.login(client).sub == fc.sub


@pytest.mark.parametrize("name, reason", [("id_token_signing_alg_values_supported", "discovery_alg_not_offered"),
                                          ("userinfo_signing_alg_values_supported",
                                           "discovery_userinfo_alg_not_offered")])
def test_discovery_must_offer_the_pinned_alg(fc, name, reason):
    fc.discovery_overrides[name] = ["RS256", "HS256"]
    with pytest.raises(FranceConnectConfigError) as exc:
        fc.client().metadata()
    assert exc.value.reason == reason


def test_discovery_alg_list_never_widens_what_is_accepted(fc):
    # FC advertises HS256; an HS256 ID token is still refused (security.md §0.2).
    fc.id_token_header["alg"] = "HS256"
    with pytest.raises(FranceConnectProtocolError, match="id_token_bad_alg"):
        fc.login(fc.client())


# -- token endpoint ------------------------------------------------------------------------------------------


def test_token_request_is_client_secret_post_without_basic_auth(fc):
    client = fc.client()
    tx = client.new_transaction()
    code = fc.issue_code(tx.nonce)
    client.exchange_code(code, tx)

    [request] = fc.token_requests
    assert request["form"] == {"grant_type": "authorization_code", "code": code, "redirect_uri": fc.redirect_uri,
                               "client_id": fc.client_id, "client_secret": fc.client_secret}
    assert "Authorization" not in request["headers"]
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"


def test_netrc_credentials_never_replace_client_secret_post_or_the_bearer(fc, tmp_path, monkeypatch):
    # requests adds HTTP Basic from ~/.netrc when a call has no auth; FC refuses Basic, and on userinfo it
    # would overwrite the Bearer header.
    netrc = tmp_path / "netrc"
    netrc.write_text("machine fc.test login someone password leaked\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    client = fc.client()
    token = fc.login(client)
    client.fetch_userinfo(token)
    assert "Authorization" not in fc.token_requests[0]["headers"]
    assert fc.userinfo_requests[0]["headers"]["Authorization"] == f"Bearer {token.access_token}"


@pytest.mark.parametrize("status, body, content_type, error, reason", [
    (400, {"error": "invalid_grant", "error_description": "code not found"}, "application/json",
     FranceConnectProtocolError, "token_error_invalid_grant"),
    (401, {"error": "invalid_client", "error_description": "bad secret"}, "application/json",
     FranceConnectProtocolError, "token_error_invalid_client"),
    (400, {"error": "evil\nINJECTED log line"}, "application/json", FranceConnectProtocolError, "token_error_other"),
    (400, {"error": ["invalid_grant"]}, "application/json", FranceConnectProtocolError, "token_error_other"),
    (400, "<html>Bad Request</html>", "text/html", FranceConnectProtocolError, "token_error_other"),
    (302, "", "text/html", FranceConnectProtocolError, "token_unexpected_status"),
    (500, {"error": "server_error"}, "application/json", FranceConnectUnavailable, "token_server_error"),
    (503, "<html>maintenance</html>", "text/html", FranceConnectUnavailable, "token_server_error"),
    (429, "", "text/plain", FranceConnectUnavailable, "token_server_error"),
    (200, "<html>hello</html>", "text/html", FranceConnectProtocolError, "token_response_not_json"),
    (200, "<html>hello</html>", "application/json", FranceConnectProtocolError, "token_response_not_json"),
    (200, "[1, 2]", "application/json", FranceConnectProtocolError, "token_response_not_object"),
    (200, '"a string"', "application/json", FranceConnectProtocolError, "token_response_not_object"),
    (200, "[" * 100_000 + "]" * 100_000, "application/json", FranceConnectProtocolError, "token_response_not_json"),
    (400, "[" * 100_000 + "]" * 100_000, "application/json", FranceConnectProtocolError, "token_error_other"),
])
def test_token_endpoint_failures(fc, status, body, content_type, error, reason):
    fc.token_status, fc.token_body, fc.token_content_type = status, body, content_type
    if isinstance(body, dict):
        fc.token_body = json.dumps(body)
    with pytest.raises(error) as exc:
        fc.login(fc.client())
    assert exc.value.reason == reason and exc.value.status_code == (None if status == 200 else status)
    assert fc.hits["token"] == 1  # never retried: the code is single-use


def test_token_error_description_never_reaches_the_reason(fc):
    fc.token_status = 400
    fc.token_body = json.dumps({"error": "invalid_request", "error_description": "SECRET-DESCRIPTION"})
    with pytest.raises(FranceConnectProtocolError) as exc:
        fc.login(fc.client())
    assert "SECRET-DESCRIPTION" not in str(exc.value) and exc.value.reason == "token_error_invalid_request"


def test_token_json_with_a_wrong_content_type_is_refused(fc):
    fc.token_content_type = "text/html"
    with pytest.raises(FranceConnectProtocolError, match="token_response_not_json"):
        fc.login(fc.client())


def test_token_json_content_type_with_charset_is_accepted(fc):
    fc.token_content_type = "application/json; charset=utf-8"
    assert fc.login(fc.client()).sub == fc.sub


@pytest.mark.parametrize("overrides, reason", [
    ({"id_token": DELETE}, "token_missing_id_token"),
    ({"id_token": ""}, "token_missing_id_token"),
    ({"id_token": 42}, "token_missing_id_token"),
    ({"access_token": DELETE}, "token_missing_access_token"),
    ({"access_token": ""}, "token_missing_access_token"),
    ({"access_token": ["a"]}, "token_missing_access_token"),
    ({"token_type": "mac"}, "token_bad_token_type"),
    ({"token_type": DELETE}, "token_bad_token_type"),
    ({"token_type": None}, "token_bad_token_type"),
])
def test_token_response_fields(fc, overrides, reason):
    fc.token_overrides.update(overrides)
    with pytest.raises(FranceConnectProtocolError) as exc:
        fc.login(fc.client())
    assert exc.value.reason == reason


@pytest.mark.parametrize("token_type", ["BEARER", "bearer", "Bearer"])
def test_token_type_is_case_insensitive(fc, token_type):
    fc.token_overrides["token_type"] = token_type
    assert fc.login(fc.client()).sub == fc.sub


@pytest.mark.parametrize("exception, reason", [
    (requests.exceptions.ConnectTimeout("slow"), "token_timeout"),
    (requests.exceptions.ReadTimeout("slow"), "token_timeout"),
    (requests.exceptions.ConnectionError("refused"), "token_unreachable"),
    (requests.exceptions.SSLError("bad certificate"), "token_tls_error"),
])
def test_token_network_errors_are_unavailable_and_not_retried(fc, exception, reason):
    client = fc.client()
    client.metadata()
    fc.failures["token"] = exception
    with pytest.raises(FranceConnectUnavailable) as exc:
        fc.login(client)
    assert exc.value.reason == reason and fc.hits["token"] == 1


def test_a_slow_drip_response_hits_the_overall_deadline(fc):
    # requests' read timeout is per read; the outbound layer also bounds the whole body read.
    slow = {"on": False, "now": 0.0}

    def monotonic() -> float:
        slow["now"] += 6.0 if slow["on"] else 0.0  # once on, each read appears to take 6 s; http_timeout is 5 s
        return slow["now"]

    client = FranceConnectClient(fc.settings(), clock=fc.clock, monotonic=monotonic)
    client.metadata()
    slow["on"] = True
    with pytest.raises(FranceConnectUnavailable, match="token_timeout"):
        fc.login(client)


def test_token_response_larger_than_the_cap_is_refused(fc):
    fc.token_body = json.dumps({"access_token": "a" * 300_000})
    with pytest.raises(FranceConnectUnavailable, match="token_too_large"):
        fc.login(fc.client())


def test_code_is_single_use_at_fc(fc):
    client = fc.client()
    tx = client.new_transaction()
    code = fc.issue_code(tx.nonce)
    client.exchange_code(code, tx)
    with pytest.raises(FranceConnectProtocolError, match="token_error_invalid_grant"):
        client.exchange_code(code, tx)


class SpyAdapter(requests.adapters.HTTPAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[dict] = []

    def send(self, request, **kwargs):
        self.seen.append({"method": request.method, "cookie": request.headers.get("Cookie"), **kwargs})
        return super().send(request, **kwargs)


def test_every_call_has_a_timeout_and_nothing_from_the_environment(fc):
    # What reaches the transport: the adapter follows no redirect (a 3xx is refused: tests/outbound/test_http.py).
    session, spy = requests.Session(), SpyAdapter()
    session.mount("https://", spy)
    session.cookies.set("planted", "x", domain=urlsplit(fc.settings().issuer).hostname)
    client = FranceConnectClient(fc.settings(http_timeout=2.5), session=session, clock=fc.clock)
    client.fetch_userinfo(fc.login(client))
    assert [call["method"] for call in spy.seen] == ["GET", "POST", "GET", "GET"]
    for call in spy.seen:
        assert call["timeout"] == 2.5 and call["stream"] is True and call["cookie"] is None
        assert call["verify"] is True and call["proxies"] == {}  # nothing from the environment


def test_a_session_without_tls_verification_is_refused(fc):
    session = requests.Session()
    session.verify = False
    with pytest.raises(FranceConnectConfigError, match="tls_verification_disabled"):
        FranceConnectClient(fc.settings(), session=session)


@pytest.mark.parametrize("overrides, reason", [
    ({"id_token_alg": "HS256"}, "unsupported_id_token_alg"),
    ({"id_token_alg": "none"}, "unsupported_id_token_alg"),
    ({"scopes": ("given_name",)}, "scopes_without_openid"),
    ({"acr_values": "eidas9"}, "unknown_acr_values"),
    ({"acr_values": ""}, "unknown_acr_values"),
])
def test_unsafe_settings_are_refused(fc, overrides, reason):
    with pytest.raises(FranceConnectConfigError) as exc:
        fc.client(**overrides)
    assert exc.value.reason == reason


# -- logout --------------------------------------------------------------------------------------------------


def test_logout_url(fc):
    client = fc.client()
    token = fc.login(client)
    url = client.logout_url(token.id_token, "logout-state")
    assert url.startswith(fc.url("end_session") + "?")
    assert query(url) == [("id_token_hint", token.id_token), ("state", "logout-state"),
                          ("post_logout_redirect_uri", fc.post_logout_redirect_uri)]
    assert fc.end_session(url) == {"state": "logout-state"}


# -- errors and logs -----------------------------------------------------------------------------------------


def test_errors_form_one_family():
    for cls in (FranceConnectUnavailable, FranceConnectProtocolError, FranceConnectConfigError):
        error = cls("some_reason", status_code=400)
        assert isinstance(error, FranceConnectError) and error.reason == str(error) == "some_reason"


@pytest.mark.parametrize("knob", [
    lambda fc: fc.id_token_claims.update(nonce="wrong-nonce-value-123456"),
    lambda fc: fc.id_token_claims.update(iss="https://attacker.example"),
    lambda fc: fc.id_token_claims.update(aud="someone-else"),
    lambda fc: setattr(fc, "id_token_transform", corrupt_signature),
    lambda fc: setattr(fc, "token_body", "<html>" + fc.client_secret + "</html>"),
])
def test_no_token_secret_or_claim_value_reaches_the_logs(fc, clock, caplog, knob):
    knob(fc)
    client = fc.client()
    tx = client.new_transaction()
    code = fc.issue_code(tx.nonce)
    clock.advance(61)  # also force a JWKS refetch path on bad signatures
    with caplog.at_level(logging.DEBUG), pytest.raises(FranceConnectError) as exc:
        client.exchange_code(code, tx)
    leaked = [code, tx.nonce, tx.state, fc.client_secret, fc.sub, "wrong-nonce-value", "attacker", "someone-else",
              *fc.issued_id_tokens, *fc._access_tokens]
    for value in leaked:
        assert value not in caplog.text and value not in str(exc.value)
