"""Cross-cutting web concerns: correlation ids, logging, security headers, error pages, front-end assets."""

from __future__ import annotations

import io
import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Request, Response, abort, current_app, g, request, send_file
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from app import correlation
from app.config import Settings
from app.config_values import ConfigError
from app.correlation import new_correlation_id
from app.delivery import problems
from app.formats import date_fr, datetime_fr, nir_fr
from app.observability import logs, pages

log = logging.getLogger(__name__)
SESSION_TOKEN_MISSING = "The CSRF session token is missing."  # Flask-WTF's words when the session holds none

ROOT = Path(__file__).resolve().parent.parent
DSFR_DIST = ROOT / "node_modules" / "@gouvfr" / "dsfr" / "dist"
# The only DSFR files we serve: the FranceConnect button's official stylesheet.
DSFR_ASSETS = {"connect.min.css": DSFR_DIST / "component" / "connect" / "connect.min.css"}


class CorrelationIdFilter(logging.Filter):
    """Adds the request's correlation id to every record, so a French error page's reference finds its logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.correlation_id = g.get("correlation_id", "-")
        except RuntimeError:  # outside a request, or in a thread it handed work to (a copied context)
            record.correlation_id = correlation.current()
        return True


API_PREFIX = "/api/"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
DEFAULT_MAX_FORM_PARTS = 200
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"


def correlated_handler() -> logging.Handler:
    handler = logging.StreamHandler()
    handler.addFilter(CorrelationIdFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    return handler


def configure_logging(app: Flask, settings: Settings) -> None:
    """Log the service's records once, with their correlation id, unless the host already configured logging
    (the dev server, a WSGI server, pytest): then they propagate to its handlers, and adding ours would print
    every line twice. Production writes one JSON object a line (app/observability/logs.py)."""
    logger = logging.getLogger("app")
    logger.setLevel(logging.DEBUG if app.debug else logging.INFO)
    if settings.is_production and not logging.getLogger().handlers:
        logs.configure(logger, json_lines=True, organisations=settings.organisations, fmt=LOG_FORMAT)
    elif not logger.handlers and not logging.getLogger().handlers:
        logger.addHandler(correlated_handler())


def _origin(url: str) -> str:
    return "{0.scheme}://{0.netloc}".format(urlsplit(url))


def content_security_policy(settings: Settings) -> str:
    # form-action applies to the redirect that follows a form post: the FranceConnect login, and « Retourner
    # sur le site » / « Abandonner », which end on an organisation's registered return URL.
    targets = [_origin(settings.franceconnect.issuer)] + sorted({
        _origin(url) for organisation in settings.organisations.values() for url in organisation.return_urls})
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self' " + " ".join(dict.fromkeys(targets)),
    ])


def init_app(app: Flask, settings: Settings) -> None:
    configure_logging(app, settings)
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies,
                                x_host=settings.trusted_proxies)
    csp = content_security_policy(settings)
    dsfr_available = all(path.is_file() for path in DSFR_ASSETS.values())
    if not dsfr_available and settings.is_production:
        # FranceConnect's qualification requires its official button, logo included; the fallback has none.
        raise ConfigError("the DSFR stylesheet of the FranceConnect button is missing (node_modules/@gouvfr/dsfr): "
                          "run `npm ci` before starting in production")
    if not dsfr_available:
        log.warning("DSFR stylesheet not installed (run `npm ci`); the FranceConnect button uses plain styling")
    app.response_class = SessionCookieResponse
    app.request_class = InMemoryUploadRequest

    @app.before_request
    def _correlation_id() -> None:
        g.correlation_id = new_correlation_id()
        correlation.bind(g.correlation_id)

    @app.teardown_request
    def _forget_correlation_id(_error: BaseException | None) -> None:
        correlation.bind("-")  # the thread serves other requests next

    @app.before_request
    def _form_parts() -> None:
        # Werkzeug caps multipart parts only: count urlencoded fields too, on every route, before any view.
        if request.method == "POST" and request.mimetype in FORM_TYPES:
            limit = app.config.get("MAX_FORM_PARTS") or DEFAULT_MAX_FORM_PARTS
            if sum(len(values) for _, values in request.form.lists()) > limit:
                log.warning("form refused reason=too_many_fields")
                raise RequestEntityTooLarge()

    security_headers = [
        ("Content-Security-Policy", csp),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ]
    if settings.session.secure:
        security_headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    security_headers = [(name.lower(), name, value) for name, value in security_headers]

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        # Each header unless the view set its own: the names present read once, rather than one scan of the
        # response's headers per setdefault (48 -> 19 µs a response).
        present = {name.lower() for name in headers.keys()}
        headers.extend([(name, value) for key, name, value in security_headers if key not in present])
        if response.mimetype == "text/html":
            # Pages carry personal data once signed in; nothing dynamic is cacheable.
            headers["Cache-Control"] = "no-store"
        return response

    @app.context_processor
    def _template_globals() -> dict:
        return {
            "dsfr_available": dsfr_available,
            "correlation_id": g.get("correlation_id"),
            "sandbox_enabled": settings.sandbox,
        }

    app.add_template_filter(date_fr)
    app.add_template_filter(datetime_fr)
    app.add_template_filter(nir_fr)

    @app.get("/assets/dsfr/<name>")
    def dsfr_asset(name: str):
        path = DSFR_ASSETS.get(name)
        if path is None or not path.is_file():
            abort(404)
        return send_file(path, mimetype="text/css", max_age=3600)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        log.warning("csrf rejected reason=%s", error.description.replace(" ", "_")[:60])
        # No session token at all: the session ended (expired, or its store lost it), not a forged form.
        return pages.render_error("errors/csrf.html", 400, session_lost=error.description == SESSION_TOKEN_MISSING)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if request.path.startswith(API_PREFIX):  # no route matched: the API's own handlers never ran
            return problems.from_http_exception(settings.public_url, error)
        code = error.code or 500
        template = f"errors/{code}.html" if code in (400, 404, 405, 429) else "errors/generic.html"
        return pages.render_error(template, code)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        # Frames only: an exception's message may quote personal data, its location never does.
        frames = " < ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}"
                            for f in reversed(traceback.extract_tb(error.__traceback__)))
        log.error("unexpected error type=%s at=%s", type(error).__name__, frames)
        if request.path.startswith(API_PREFIX):
            return problems.response(settings.public_url, "internal-error", "An error on our side; retry later.")
        return pages.render_error("errors/500.html", 500)


class App(Flask):
    """Flask, whose `ensure_sync` (its documented override point) remembers its answer for each function.

    Flask asks it of every hook, view and teardown of every request, about twenty, and each time
    `inspect.iscoroutinefunction` unwraps the function again to tell (≈ 50 µs of CPU a request); none of ours is
    a coroutine, and what a function is does not change. The remembered functions are the registered ones, a
    fixed set; past `_REMEMBERED` (a caller making new ones per request) nothing more is kept."""

    _REMEMBERED = 512

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._sync[func]
        except KeyError:
            synced = super().ensure_sync(func)
            if len(self._sync) < self._REMEMBERED:
                self._sync[func] = synced
            return synced
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)


class InMemoryUploadRequest(Request):
    """Uploaded files stay in memory until the dossiers room encrypts them: Werkzeug would spool any file over
    500 KB to a temporary file, the person's identity document in clear on the disk. The body caps bound the
    memory (MAX_CONTENT_LENGTH, and the upload step's own cap)."""

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        return io.BytesIO()


class SessionCookieResponse(Response):
    """Flask-Session deletes its cookie with the name, path and domain only; a `__Host-` cookie's deletion without
    `Secure` is ignored by browsers, so the session cookie is deleted with the attributes it was set with."""

    def delete_cookie(self, key: str, path: str | None = "/", domain: str | None = None, secure: bool = False,
                      httponly: bool = False, samesite: str | None = None, partitioned: bool = False) -> None:
        config = current_app.config
        if key == config.get("SESSION_COOKIE_NAME"):
            secure = secure or bool(config.get("SESSION_COOKIE_SECURE"))
            httponly, samesite = True, config.get("SESSION_COOKIE_SAMESITE")
        super().delete_cookie(key, path=path, domain=domain, secure=secure, httponly=httponly, samesite=samesite,
                              partitioned=partitioned)
