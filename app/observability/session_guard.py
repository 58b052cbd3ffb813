"""A session store that is down or flapping ends on a French 503 page, never on a 500.

Flask opens the server-side session before any view runs and saves it after the view; an exception there escapes
the app's error handlers (or reaches them with no session, and the error page, which reads it, fails too: then the
person saw gunicorn's raw « Internal Server Error »). The wrapped interface turns a store error into:

- on opening: an empty, inert session marked unavailable; the first `before_request` answers 503 with the French
  page (the health and metrics endpoints never open a session at all). A request without a session cookie, which
  would not read the store, pings it first, so that a launch link is not spent by a view whose session cannot be
  saved;
- on saving: the view's response is replaced by the same 503 page (a redirect would lead to a step whose session
  was not written); a dossier the view stored stays stored once (idempotent submit), and the receipt is shown when
  the person comes back with a session that holds it.

Each case logs a reason code: `session_store_unavailable phase=open|save error=<exception type>`.
"""

from __future__ import annotations

import logging

from flask import Flask, Request, Response, g, request
from flask.sessions import SessionInterface, SessionMixin
from redis.exceptions import RedisError
from werkzeug.exceptions import ServiceUnavailable

from app.delivery import problems
from app.observability import pages
from app.session_store import SessionNotRead, SessionNotSaved

log = logging.getLogger(__name__)

# Endpoints that never read the session: probes and scrapes must not depend on (or refresh) it, nor the API (an API
# key, no cookie) or the assets.
SESSIONLESS_PATHS = ("/healthz", "/readyz", "/metrics")
SESSIONLESS_PREFIXES = ("/api/", "/static/", "/assets/")
API_PREFIX = "/api/"
STORE_ERRORS: tuple[type[BaseException], ...] = (RedisError, SessionNotRead, SessionNotSaved)
UNAVAILABLE_TEMPLATE = "errors/unavailable.html"


class SessionStoreUnavailable(ServiceUnavailable):
    """The session store could not be read or written."""


class InertSession(dict, SessionMixin):
    """An empty session that is never saved: for sessionless endpoints, and when the store is down."""

    def __init__(self, unavailable: str = "") -> None:
        super().__init__()
        self.unavailable = unavailable  # the store error's type, or "" for a sessionless endpoint
        self.modified = self.accessed = False


class GuardedSessionInterface(SessionInterface):
    """Delegates to the server-side interface; a store error becomes a French 503, never an exception."""

    def __init__(self, inner: SessionInterface) -> None:
        self.inner = inner

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if request.path in SESSIONLESS_PATHS or request.path.startswith(SESSIONLESS_PREFIXES):
            return InertSession()
        try:
            if not request.cookies.get(app.config["SESSION_COOKIE_NAME"]):
                self._check_store()
            return self.inner.open_session(app, request)
        except STORE_ERRORS as error:
            return InertSession(unavailable=type(error).__name__)

    def _check_store(self) -> None:
        """A first request never reads the store, but its view may do what cannot be done twice (spend a launch
        link) before its session fails to be saved: a PING first (Redis only) keeps that from happening."""
        client = getattr(self.inner, "client", None)
        if client is not None and hasattr(client, "ping"):
            client.ping()

    def __getattr__(self, name: str):
        return getattr(self.inner, name)  # regenerate() and Flask-Session's other helpers

    def make_null_session(self, app: Flask):
        return self.inner.make_null_session(app)

    def is_null_session(self, obj: object) -> bool:
        return isinstance(obj, InertSession) or self.inner.is_null_session(obj)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if isinstance(session, InertSession):
            return
        try:
            self.inner.save_session(app, session, response)
        except STORE_ERRORS as error:
            log.error("session_store_unavailable phase=save error=%s", type(error).__name__)
            if g.get("stands_without_session"):
                # A stored dossier's receipt, reachable by its signed URL: the person must still see it.
                response.headers.pop("Set-Cookie", None)
                return
            _become_unavailable_page(response)


def _become_unavailable_page(response: Response) -> None:
    """Replace a response in place (save_session cannot return another one) by the French 503 page."""
    body = pages.render_error(UNAVAILABLE_TEMPLATE, 503).get_data()
    for header in ("Location", "Set-Cookie", "Content-Disposition"):
        response.headers.pop(header, None)
    response.status_code = 503
    response.mimetype = "text/html"
    response.headers["Retry-After"] = "5"
    response.headers["Cache-Control"] = "no-store"
    response.set_data(body)


def init_app(app: Flask, public_url: str) -> None:
    """Wrap the session interface Flask-Session installed, and answer 503 before any view when it is down."""
    app.session_interface = GuardedSessionInterface(app.session_interface)

    def _refuse_without_store() -> None:
        from flask import session

        reason = getattr(session, "unavailable", "")
        if reason:
            log.error("session_store_unavailable phase=open error=%s", reason)
            raise SessionStoreUnavailable()

    # Right after the correlation id (the log line carries it), before the hooks that read the session.
    hooks = app.before_request_funcs.setdefault(None, [])
    hooks.insert(next((i + 1 for i, f in enumerate(hooks) if f.__name__ == "_correlation_id"), 0),
                 _refuse_without_store)

    @app.errorhandler(SessionStoreUnavailable)
    def _unavailable(_error: SessionStoreUnavailable):
        return _unavailable_page()

    @app.errorhandler(RedisError)
    def _store_error_in_view(error: RedisError):
        # A view (or a hook) that reached Redis itself: same page, same reason code.
        log.error("session_store_unavailable phase=view error=%s", type(error).__name__)
        if request.path.startswith(API_PREFIX):  # the API's rate limits live in Redis too
            return problems.response(public_url, "http-error", "A store this API depends on is unavailable; retry "
                                     "in a few seconds.", status=503, headers={"Retry-After": "5"})
        return _unavailable_page()


def _unavailable_page() -> Response:
    response = pages.render_error(UNAVAILABLE_TEMPLATE, 503)
    response.headers["Retry-After"] = "5"
    return response
