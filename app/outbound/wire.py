"""One HTTP exchange on the wire: the session we send with, and a response read whole under a cap and a time limit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import requests
import urllib3
from requests.auth import AuthBase
from requests.sessions import merge_setting
from requests.structures import CaseInsensitiveDict

from app.outbound.deadline import Clock
from app.outbound.errors import OutboundError, OutboundInvalidResponse, OutboundUnavailable
from app.outbound.headers import is_json, media_type, parse_retry_after

_CHUNK_BYTES = 16 * 1024
REQUEST_ARGUMENTS = frozenset({"headers", "params", "data"})  # what an Exchange's kwargs may hold


@dataclass(frozen=True)
class HttpResponse:
    """A fully read response. `retry_after` is the parsed Retry-After header, in seconds."""

    status: int
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    retry_after: float | None = None

    @property
    def content_type(self) -> str:
        """The media type, lower-cased, without parameters ("" when absent)."""
        return media_type(self.headers.get("Content-Type"))

    def is_json(self, *, lenient: bool = False) -> bool:
        return is_json(self.content_type, lenient=lenient)


def new_session(pool_size: int = 10, headers: Mapping[str, str] | None = None) -> requests.Session:
    """A session configured for outbound calls; `pool_size` connections are kept for reuse."""
    session = requests.Session()
    # No proxy, CA bundle or .netrc taken from the environment: configuration is passed down, not ambient.
    session.trust_env = False
    session.verify = True  # the default, stated: ASVS 12.3.2
    session.headers.update({"Accept-Encoding": "identity", **(headers or {})})
    for prefix in ("https://", "http://"):
        session.mount(prefix, requests.adapters.HTTPAdapter(pool_maxsize=pool_size))
    return forget_cookies(session)


def forget_cookies(session: requests.Session) -> requests.Session:
    # A session is shared by every user's calls: a cookie set for one must never go out with another's.
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return session


@dataclass(frozen=True)
class Exchange:
    """What to send, and the limits of one attempt."""

    method: str
    url: str
    timeout: float | tuple[float, float]
    ends_at: float  # on `clock`: the whole answer, body included, must be in by then
    max_bytes: int
    auth: AuthBase
    accept_types: tuple[str, ...] | None = None  # media types a 2xx answer may have; None: any
    kwargs: dict[str, Any] = field(default_factory=dict, repr=False)  # headers, params, data


def send(session: requests.Session, exchange: Exchange, clock: Clock) -> HttpResponse:
    """Send once and read the whole answer, or raise an OutboundError (the requests exception as its cause)."""
    try:
        prepared = _prepare(session, exchange)
        # The session's transport adapter itself: `Session.send` would add only what these calls refuse anyway
        # (cookies read into the session's jar, redirects looked for, response hooks), ≈ 13 µs a call.
        reply = session.get_adapter(prepared.url).send(prepared, stream=True, timeout=exchange.timeout,
                                                        verify=session.verify, cert=session.cert, proxies={})
    except (requests.ConnectionError, requests.Timeout) as exc:
        # SSLError and ConnectTimeout are ConnectionErrors. A bad certificate stays bad, and after a read timeout
        # the peer may still be working on the request: only the connection failures are worth a retry.
        if isinstance(exc, requests.exceptions.SSLError):
            reason = "tls_error"
        elif isinstance(exc, requests.exceptions.ConnectTimeout):
            reason = "connect_timeout"
        else:
            reason = "connection_error" if isinstance(exc, requests.ConnectionError) else "timeout"
        raise OutboundUnavailable(reason) from exc
    except requests.RequestException as exc:  # e.g. an invalid URL: a retry would not cure it
        raise OutboundUnavailable("request_error") from exc
    with reply:
        status = reply.status_code
        if 300 <= status < 400:
            # ASVS 5.0 15.3.2; a followed redirect would also carry the credentials to another host.
            raise OutboundInvalidResponse("redirect_refused", status=status)
        ctype = media_type(reply.headers.get("Content-Type"))
        if exchange.accept_types is not None and 200 <= status < 300 and ctype not in exchange.accept_types:
            raise OutboundInvalidResponse("unexpected_content_type", status=status)
        try:
            body = _read_body(reply, exchange, clock)
        except OutboundError as exc:
            exc.status = status
            raise
    retry_after = parse_retry_after(reply.headers.get("Retry-After"), now=dt.datetime.now(dt.UTC))
    return HttpResponse(status, reply.headers, body, retry_after)


def _prepare(session: requests.Session, exchange: Exchange) -> requests.PreparedRequest:
    """The request `session.request` would prepare, without what our sessions never hold (cookies: the policy
    refuses them; proxies, a CA bundle or a client certificate from the environment: `trust_env` is off).
    `Session.request` spends about 90 µs of CPU a call merging those, and `PreparedRequest.prepare` another 6 µs
    writing an empty jar's cookies: with requests' public `prepare_*` steps, in `prepare`'s order, a call is
    prepared in 27 µs instead of 125, for calls made by the dozen in each sign-in."""
    prepared = requests.PreparedRequest()  # its hooks are requests' defaults; an auth may register its own
    prepared.prepare_method(exchange.method.upper())
    prepared.prepare_url(exchange.url, exchange.kwargs.get("params"))
    # The session's headers and the call's, as requests merges them (None removes a session header).
    prepared.prepare_headers(merge_setting(exchange.kwargs.get("headers"), session.headers,
                                           dict_class=CaseInsensitiveDict))
    prepared.prepare_body(exchange.kwargs.get("data"), None)
    prepared.prepare_auth(exchange.auth, exchange.url)
    return prepared


def _read_body(reply: requests.Response, exchange: Exchange, clock: Clock) -> bytes:
    declared = reply.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > exchange.max_bytes:
        raise OutboundInvalidResponse("too_large")
    chunks: list[bytes] = []
    size = 0
    sock = _socket_of(reply)
    try:
        while (left := exchange.ends_at - clock()) > 0:
            # The requests read timeout bounds each gap between bytes, not the call: shrink it to the time left,
            # and read1 returns as soon as some bytes arrive, so neither a slow drip nor a stall after late
            # headers carries the call past its end. Sizes count decoded bytes.
            if sock is not None and sock.fileno() != -1:  # -1: closed once the whole body was read
                sock.settimeout(left)
            chunk = reply.raw.read1(_CHUNK_BYTES, decode_content=True)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > exchange.max_bytes:
                raise OutboundInvalidResponse("too_large")
            chunks.append(chunk)
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise OutboundUnavailable("timeout") from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise OutboundUnavailable("broken_body") from exc
    raise OutboundUnavailable("timeout")


def _socket_of(reply: requests.Response) -> Any:
    """The socket a response is read from, or None when unreachable (e.g. a stubbed transport)."""
    sock = getattr(reply.raw.connection, "sock", None)
    if sock is None:
        # When the connection will close (HTTP/1.0, `Connection: close`), http.client hands the socket over to the
        # response's file object; SocketIO keeps it in `_sock`, the only way to it.
        sock = getattr(getattr(getattr(reply.raw._fp, "fp", None), "raw", None), "_sock", None)
    return sock if hasattr(sock, "settimeout") else None
