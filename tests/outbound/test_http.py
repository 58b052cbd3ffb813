"""The outbound HTTP layer: deadline, retries, Retry-After, breaker, caps, redirects, cookies, logs."""

from __future__ import annotations

import datetime as dt
import http.server
import io
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import responses

from app import outbound
from tests.outbound import API_PARTICULIER_BASE, make_http

URL = API_PARTICULIER_BASE + "/x"




@pytest.fixture
def client(clock):
    api = make_http(clock)
    yield api
    api.close()


def get(api, clock, seconds=10.0, **kwargs):
    return api.get("/x", deadline=outbound.Deadline.after(seconds, clock), **kwargs)


def test_returns_status_headers_and_body(client, clock, mocked_responses):
    mocked_responses.get(URL, json={"ok": True}, headers={"X-Response-Cached": "false"})
    response = get(client, clock)
    assert (response.status, response.content_type) == (200, "application/json")
    assert json.loads(response.body) == {"ok": True}
    assert response.headers["X-Response-Cached"] == "false"
    sent = mocked_responses.calls[0].request
    assert sent.headers["Accept"] == "application/json" and sent.headers["Accept-Encoding"] == "identity"
    assert sent.req_kwargs["verify"] is True and sent.req_kwargs["stream"] is True


@pytest.mark.parametrize("path", ["x", "/x?recipient=1", "/x#f", "/x\r\nHost: evil"])
def test_path_must_be_a_constant_template(client, clock, path):
    with pytest.raises(ValueError):
        client.get(path, deadline=outbound.Deadline.after(10, clock))


@pytest.mark.parametrize(("remaining", "expected"), [(10.0, (3.05, 5.0)), (2.0, (2.0, 2.0)), (4.0, (3.05, 4.0))])
def test_timeouts_never_exceed_the_time_left(client, clock, mocked_responses, remaining, expected):
    mocked_responses.get(URL, json={})
    get(client, clock, remaining)
    assert mocked_responses.calls[0].request.req_kwargs["timeout"] == expected


def test_no_call_once_the_deadline_has_passed(client, clock, mocked_responses):
    mocked_responses.get(URL, json={})
    deadline = outbound.Deadline.after(1.0, clock)
    clock.advance(1.0)
    with pytest.raises(outbound.OutboundUnavailable, match="deadline_passed"):
        client.get("/x", deadline=deadline)
    assert len(mocked_responses.calls) == 0


# ---- retries


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retried_with_backoff(client, clock, mocked_responses, status):
    mocked_responses.get(URL, status=status)
    mocked_responses.get(URL, json={"ok": True})
    assert get(client, clock).status == 200
    assert len(mocked_responses.calls) == 2
    assert clock.sleeps == [0.2]  # full jitter drawn at its maximum: base * 2**0


def test_at_most_two_retries_then_the_last_answer(client, clock, mocked_responses):
    mocked_responses.get(URL, status=503)
    assert get(client, clock).status == 503
    assert len(mocked_responses.calls) == 3
    assert clock.sleeps == [0.2, 0.4]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 500])
def test_other_statuses_are_not_retried(client, clock, mocked_responses, status):
    # 500 is the provider's internal error: a retry will not cure it (only 502/503/504 are transient).
    mocked_responses.get(URL, status=status)
    assert get(client, clock).status == status
    assert len(mocked_responses.calls) == 1 and clock.sleeps == []


def test_connection_errors_are_retried(client, clock, mocked_responses):
    mocked_responses.get(URL, body=requests.ConnectionError("refused"))
    mocked_responses.get(URL, body=requests.exceptions.ConnectTimeout("connect timeout"))
    mocked_responses.get(URL, json={})
    assert get(client, clock).status == 200
    assert len(mocked_responses.calls) == 3


def test_connection_errors_exhaust_the_retries(client, clock, mocked_responses):
    mocked_responses.get(URL, body=requests.ConnectionError("refused"))
    with pytest.raises(outbound.OutboundUnavailable, match="connection_error") as exc:
        get(client, clock)
    assert len(mocked_responses.calls) == 3
    assert isinstance(exc.value.__cause__, requests.ConnectionError)


@pytest.mark.parametrize(
    ("error", "reason"),
    [(requests.ReadTimeout("slow"), "timeout"), (requests.exceptions.SSLError("bad certificate"), "tls_error")],
)
def test_read_timeouts_and_tls_errors_are_not_retried(client, clock, mocked_responses, error, reason):
    # After a read timeout the provider may still be working: a duplicate gets API Particulier's 409.
    mocked_responses.get(URL, body=error)
    with pytest.raises(outbound.OutboundUnavailable, match=reason):
        get(client, clock)
    assert len(mocked_responses.calls) == 1


def test_backoff_never_sleeps_past_the_deadline(client, clock, mocked_responses):
    mocked_responses.get(URL, status=502)
    deadline = outbound.Deadline.after(0.5, clock)
    assert client.get("/x", deadline=deadline).status == 502
    # 0.2 fits in 0.5; the next backoff (0.4) does not fit in the 0.3 left, so no sleep and no third call.
    assert clock.sleeps == [0.2] and len(mocked_responses.calls) == 2
    assert clock.now < deadline.expires_at


def test_no_retry_when_even_the_first_backoff_does_not_fit(client, clock, mocked_responses):
    mocked_responses.get(URL, status=504)
    assert get(client, clock, 0.1).status == 504
    assert clock.sleeps == [] and len(mocked_responses.calls) == 1


# ---- 429 and Retry-After


def test_429_with_a_long_retry_after_returns_at_once_and_blocks_later_calls(client, clock, mocked_responses):
    mocked_responses.get(URL, status=429, headers={"Retry-After": "3600"})
    response = get(client, clock)
    assert (response.status, response.retry_after) == (429, 3600.0)
    assert clock.sleeps == [] and len(mocked_responses.calls) == 1
    # Ignoring a 429 gets the IP banned for 12 h: until the wait is over, nothing goes out.
    clock.advance(3599)
    with pytest.raises(outbound.OutboundRateLimited) as exc:
        get(client, clock)
    assert exc.value.retry_after == pytest.approx(1.0)
    assert len(mocked_responses.calls) == 1
    clock.advance(1)
    get(client, clock)
    assert len(mocked_responses.calls) == 2


def test_429_without_retry_after_is_never_retried(client, clock, mocked_responses):
    mocked_responses.get(URL, status=429)
    assert get(client, clock).status == 429
    assert clock.sleeps == [] and len(mocked_responses.calls) == 1
    with pytest.raises(outbound.OutboundRateLimited):  # a default 1 s pause
        get(client, clock)


def test_429_retry_after_that_fits_is_honoured(client, clock, mocked_responses):
    mocked_responses.get(URL, status=429, headers={"Retry-After": "1"})
    mocked_responses.get(URL, json={})
    assert get(client, clock).status == 200
    assert clock.sleeps == [1.0] and len(mocked_responses.calls) == 2


def test_503_retry_after_replaces_the_backoff_only_when_it_fits(client, clock, mocked_responses):
    mocked_responses.get(URL, status=503, headers={"Retry-After": "Fri, 31 Dec 2100 23:59:59 GMT"})
    response = get(client, clock)
    assert response.status == 503 and response.retry_after > 10
    assert clock.sleeps == [] and len(mocked_responses.calls) == 1


NOW = dt.datetime(2026, 5, 1, 12, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0), (" 0 ", 0.0), ("99999999999", None), ("-5", None), ("1.5", None), ("soon", None),
        ("", None), (None, None), ("Fri, 01 May 2026 12:00:30 GMT", 30.0),
        ("Fri, 01 May 2026 12:00:30 -0000", 30.0),  # -0000: "UTC, source unknown"
        ("Fri, 01 May 2026 11:00:00 GMT", 0.0),  # already past
    ],
)
def test_parse_retry_after(value, expected):
    assert outbound.parse_retry_after(value, now=NOW) == expected


# ---- circuit breaker


def test_server_errors_open_the_circuit_and_4xx_do_not(clock, mocked_responses):
    api = make_http(clock, breaker_threshold=5, breaker_cooldown=30)
    mocked_responses.get(URL, status=404)
    for _ in range(10):
        get(api, clock)
    assert api.breaker.state == "closed"
    clock.advance(61)  # past the window: the ten answered calls no longer dilute the failures
    mocked_responses.replace(responses.GET, URL, status=500)
    for _ in range(5):  # five calls, each its own piece of work (no shared deadline): five distinct failures
        get(api, clock)
    calls = len(mocked_responses.calls)
    with pytest.raises(outbound.OutboundUnavailable, match="circuit_open"):
        get(api, clock)
    assert len(mocked_responses.calls) == calls  # failed fast
    clock.advance(30)
    mocked_responses.replace(responses.GET, URL, json={})
    assert get(api, clock).status == 200  # the half-open probe
    assert api.breaker.state == "closed"
    api.close()


def test_retries_of_one_call_are_one_failure_and_stop_when_the_circuit_opens(clock, mocked_responses):
    api = make_http(clock, breaker_threshold=2)
    mocked_responses.get(URL, status=502)
    assert get(api, clock).status == 502  # three attempts, one failing piece of work
    assert len(mocked_responses.calls) == 3 and api.breaker.state == "closed"
    with pytest.raises(outbound.OutboundUnavailable, match="circuit_open"):
        get(api, clock)  # the second distinct failure opens it: its own retry is refused
    assert len(mocked_responses.calls) == 4
    api.close()


def test_the_calls_of_one_deadline_are_one_failure(clock, mocked_responses):
    api = make_http(clock, breaker_threshold=2)
    mocked_responses.get(URL, status=502)
    deadline = outbound.Deadline.after(10, clock)
    for _ in range(4):
        assert api.get("/x", deadline=deadline).status == 502
    assert api.breaker.state == "closed"
    api.close()


# ---- redirects, size cap, cookies


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_refused_and_never_followed(client, clock, mocked_responses, status):
    mocked_responses.get(URL, status=status, headers={"Location": "https://evil.example/steal"})
    elsewhere = mocked_responses.get("https://evil.example/steal", json={})
    with pytest.raises(outbound.OutboundInvalidResponse, match="^redirect_refused$"):
        get(client, clock, headers={"Authorization": "Bearer secret-token"})
    assert elsewhere.call_count == 0 and len(mocked_responses.calls) == 1
    assert client.breaker.state == "closed"


class _EndlessBody(io.RawIOBase):
    """A body produced on demand, counting what the client actually pulled."""

    def __init__(self, size: int) -> None:
        self.size, self.served = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.served)
        buffer[:n] = b" " * n
        self.served += n
        return n


def test_a_streamed_oversized_body_is_cut_off(client, clock, mocked_responses):
    body = _EndlessBody(5 * 1024 * 1024)
    mocked_responses.get(URL, body=io.BufferedReader(body), content_type="application/json")
    with pytest.raises(outbound.OutboundInvalidResponse, match="too_large"):
        get(client, clock)
    assert body.served < 1024 * 1024 + 64 * 1024  # stopped just past the 1 MiB cap, not at 5 MiB


def test_a_declared_oversized_body_is_not_read(clock, mocked_responses):
    api = make_http(clock, max_bytes=1000)
    body = _EndlessBody(5000)
    mocked_responses.get(URL, body=io.BufferedReader(body), headers={"Content-Length": "5000"})
    with pytest.raises(outbound.OutboundInvalidResponse, match="too_large"):
        get(api, clock)
    assert body.served == 0
    api.close()


def test_cookies_are_never_kept_between_calls(client, clock, mocked_responses):
    mocked_responses.get(URL, json={}, headers={"Set-Cookie": "session=user-a; Path=/"})
    get(client, clock)
    get(client, clock)
    assert "Cookie" not in mocked_responses.calls[1].request.headers
    assert len(client.session.cookies) == 0


def test_a_header_set_to_none_drops_the_sessions_and_an_unknown_argument_is_refused(client, clock, mocked_responses):
    mocked_responses.get(URL, json={})
    get(client, clock, headers={"Accept-Encoding": None, "nir": "1"})
    sent = mocked_responses.calls[0].request.headers
    assert "Accept-Encoding" not in sent and sent["nir"] == "1" and sent["Accept"] == "application/json"
    with pytest.raises(TypeError, match="unexpected request argument"):
        client.call("GET", URL, json={"a": 1})  # requests would send it; no caller needs it: refused, not sent
    assert len(mocked_responses.calls) == 1


# ---- logs


def test_one_log_line_per_attempt_without_query_or_headers(client, clock, mocked_responses, caplog):
    caplog.set_level(logging.DEBUG, logger="app.outbound.http")  # an answered call is a debug line
    mocked_responses.get(URL, status=502)
    mocked_responses.get(URL, json={"secret": "body-value"})
    get(client, clock, params={"recipient": "13002526500013"}, headers={"Authorization": "Bearer secret-token"})
    lines = [r.getMessage() for r in caplog.records if r.name == "app.outbound.http"]
    assert lines == [
        "outbound provider=test method=GET path=/x status=502 error=- duration_ms=0 attempt=1",
        "outbound provider=test method=GET path=/x status=200 error=- duration_ms=0 attempt=2",
    ]
    # The failure is a warning of its own; the answered call only a debug line (its work logs one summary).
    assert [r.levelno for r in caplog.records if r.name == "app.outbound.http"] == [logging.WARNING, logging.DEBUG]
    for secret in ("13002526500013", "secret-token", "body-value", "recipient"):
        assert secret not in caplog.text


# ---- against a real (loopback) server: total time and threads


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if self.path.startswith("/stall"):
            # Headers after 0.3 s, one byte, then silence: a read timeout fixed at the call's start would let
            # the call run 0.3 s past its end.
            time.sleep(0.3)
            self.send_header("Content-Length", "10")
            self.end_headers()
            self.wfile.write(b"{")
            self.server.stopping.wait(3)
        elif self.path.startswith("/drip"):
            # One byte every 50 ms: each gap is far below the read timeout, so only a total-time check stops it.
            # Bounded to 3 s, so that a broken check fails the test instead of hanging it.
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(60):
                if self.server.stopping.is_set():
                    return
                try:
                    self.wfile.write(b" ")
                except OSError:
                    return
                time.sleep(0.05)
        else:
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


class _KeepAliveHandler(_Handler):
    protocol_version = "HTTP/1.1"  # the socket then stays with the connection instead of the response


@pytest.fixture(params=[_Handler, _KeepAliveHandler], ids=["http1.0", "http1.1"])
def loopback(request):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), request.param)
    server.daemon_threads = True
    server.stopping = threading.Event()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    client = outbound.provider_http(f"http://127.0.0.1:{server.server_address[1]}", provider="loopback")
    yield client
    client.close()
    server.stopping.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=2)


def test_a_slow_drip_body_is_cut_at_the_deadline(loopback):
    started = time.monotonic()
    with pytest.raises(outbound.OutboundUnavailable, match="timeout"):
        loopback.get("/drip", deadline=outbound.Deadline.after(0.5))
    elapsed = time.monotonic() - started
    assert 0.45 <= elapsed < 0.7  # the deadline, not the 3 s the body would take
    assert loopback.breaker.state == "closed"  # one timeout is not enough to open the circuit


def test_a_stall_after_late_headers_is_cut_at_the_deadline(loopback):
    started = time.monotonic()
    with pytest.raises(outbound.OutboundUnavailable, match="timeout"):
        loopback.get("/stall", deadline=outbound.Deadline.after(0.5))
    assert 0.45 <= time.monotonic() - started < 0.7


def test_concurrent_calls_share_one_client(loopback):
    deadline = outbound.Deadline.after(5)
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: loopback.get("/ok", deadline=deadline).status, range(32)))
    assert statuses == [200] * 32


# ---- one-shot calls (FranceConnect's use): absolute URLs, POST, credentials, media types


@pytest.fixture
def one_shot(clock):
    api = outbound.OutboundHttp(provider="peer", connect_timeout=None, call_timeout=2.5, max_bytes=1000, clock=clock)
    yield api
    api.close()


def test_one_timeout_for_connect_and_read_when_no_connect_timeout_is_set(one_shot, mocked_responses):
    mocked_responses.get(URL, json={})
    one_shot.call("GET", URL)
    assert mocked_responses.calls[0].request.req_kwargs["timeout"] == 2.5


@pytest.mark.parametrize("status", [302, 307])
def test_a_redirected_post_is_refused_and_never_followed(one_shot, mocked_responses, status):
    mocked_responses.post(URL, status=status, headers={"Location": "https://evil.example/steal"})
    elsewhere = mocked_responses.post("https://evil.example/steal", json={})
    with pytest.raises(outbound.OutboundInvalidResponse, match="^redirect_refused$") as exc:
        one_shot.call("POST", URL, data={"client_secret": "s3cret"})
    assert exc.value.status == status and elsewhere.call_count == 0


def test_a_post_is_never_retried(clock, mocked_responses):
    api = make_http(clock)
    mocked_responses.post(URL, status=503)
    assert api.call("POST", URL, deadline=outbound.Deadline.after(10, clock), data={"a": "b"}).status == 503
    mocked_responses.post(URL, body=requests.ConnectionError("refused"))
    with pytest.raises(outbound.OutboundUnavailable, match="connection_error"):
        api.call("POST", URL, deadline=outbound.Deadline.after(10, clock))
    assert len(mocked_responses.calls) == 2 and clock.sleeps == []
    api.close()


def test_a_success_of_an_unaccepted_media_type_is_refused(one_shot, mocked_responses):
    mocked_responses.get(URL, body='{"sub": "forged"}', content_type="application/json")
    with pytest.raises(outbound.OutboundInvalidResponse, match="^unexpected_content_type$"):
        one_shot.call("GET", URL, accept_types=("application/jwt",))


def test_an_error_answer_is_returned_whatever_its_media_type(one_shot, mocked_responses):
    mocked_responses.get(URL, status=401, body="<html>no</html>", content_type="text/html")
    assert one_shot.call("GET", URL, accept_types=("application/jwt",)).status == 401


def test_the_body_cap_applies_to_one_shot_calls(one_shot, mocked_responses):
    mocked_responses.get(URL, body="x" * 1001, content_type="application/json")
    with pytest.raises(outbound.OutboundInvalidResponse, match="too_large"):
        one_shot.call("GET", URL)


def test_credentials_are_never_replaced_by_netrc(clock, mocked_responses, tmp_path, monkeypatch):
    # A session that reads the environment (trust_env) would add Basic credentials from ~/.netrc to a call without
    # `auth`, replacing the Bearer.
    netrc = tmp_path / "netrc"
    netrc.write_text("machine staging.particulier.api.gouv.fr login someone password leaked\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    api = outbound.OutboundHttp(provider="peer", session=requests.Session(), clock=clock)
    mocked_responses.get(URL, json={})
    api.call("GET", URL, credentials={"Authorization": "Bearer the-token"})
    api.call("GET", URL)
    assert mocked_responses.calls[0].request.headers["Authorization"] == "Bearer the-token"
    assert "Authorization" not in mocked_responses.calls[1].request.headers
    api.close()


def test_a_session_without_tls_verification_is_refused():
    session = requests.Session()
    session.verify = False
    with pytest.raises(ValueError):
        outbound.OutboundHttp(provider="peer", session=session)


def test_the_log_shows_the_url_path_never_its_query(one_shot, mocked_responses, caplog):
    caplog.set_level(logging.DEBUG, logger="app.outbound.http")
    mocked_responses.get(URL, json={})
    one_shot.call("GET", URL + "?code=secret-code")
    [line] = [r.getMessage() for r in caplog.records if r.name == "app.outbound.http"]
    assert line == "outbound provider=peer method=GET path=/x status=200 error=- duration_ms=0 attempt=1"
