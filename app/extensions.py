"""Extension objects and their wiring: server-side sessions, CSRF protection, and the services views use."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from flask import Flask, Response, current_app, session
from flask_wtf.csrf import CSRFProtect, generate_csrf

from app import session_lock, session_store, sessions
from app.config import Settings
from app.connectors.retrieval import RightsRetriever
from app.dossiers.audit import AuditTrail
from app.dossiers.launches import LaunchLedger
from app.dossiers.store import DossierStore
from app.geography.communes import Communes

log = logging.getLogger(__name__)

csrf = CSRFProtect()


def init_app(app: Flask, settings: Settings) -> None:
    s = settings.session
    app.config.update(
        SESSION_PERMANENT=True,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(seconds=s.idle_timeout),
        # A session is written when it changed, not on every request: the idle clock ("seen", app/sessions.py)
        # changes only every 1/20 of the timeout, and each write renews the store's expiry and the cookie's.
        SESSION_REFRESH_EACH_REQUEST=False,
        SESSION_COOKIE_NAME=s.cookie_name,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=s.secure,
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_DOMAIN=None,
        SESSION_KEY_PREFIX="dc:session:",
        # The identifier is 256 random bits and carries nothing, so signing it would add no protection.
        SESSION_USE_SIGNER=False,
        WTF_CSRF_TIME_LIMIT=s.absolute_lifetime,
        WTF_CSRF_SSL_STRICT=s.secure,
    )
    # Flask-Session's Redis or file store, every value encrypted (app/session_store.py).
    app.session_interface = session_store.make_interface(
        app, redis_url=s.redis_url, keys=s.encryption_keys, idle_timeout=s.idle_timeout)
    session_store.register_cli(app, app.session_interface)
    session_lock.init_app(app, redis_url=s.redis_url, cookie_name=s.cookie_name,
                          store_key=app.session_interface._get_store_id)  # Flask-Session's own key of a session
    csrf.init_app(app)

    @app.before_request
    def _enforce_session_lifetimes() -> None:
        # The store's TTL already drops idle sessions; checking here too makes both limits exact and
        # adds the absolute lifetime, which a sliding TTL cannot express.
        state = sessions.current()
        if not state:
            return
        expired = state.expiry(time.time(), idle=s.idle_timeout, absolute=s.absolute_lifetime)
        if expired:
            log.info("session expired reason=%s", expired)
            state.clear()

    @app.after_request
    def _csrf_secret_with_this_write(response: Response) -> Response:
        # Flask-WTF puts its secret in the session on the first page that shows a form, which then writes the
        # session for that alone. A response that writes the session anyway takes the secret along: the launch's
        # redirect and the sign-in's retrieval (which renews the session) are both followed by a page with forms,
        # which now writes nothing (two writes of a journey's ten).
        if session.modified and session and app.config["WTF_CSRF_FIELD_NAME"] not in session:
            generate_csrf()
        return response


@dataclass(frozen=True)
class Services:
    """The objects the factory builds once per app, for the views that need them."""

    settings: Settings
    retriever: RightsRetriever
    dossiers: DossierStore
    audit: AuditTrail
    launches: LaunchLedger
    communes: Communes | None = None  # None: the communes' data is not installed (development only), typed in


_SERVICES = "droits_connect_services"


def register_services(app: Flask, services: Services) -> None:
    app.extensions[_SERVICES] = services


def services(app: Flask | None = None) -> Services:
    return (app or current_app).extensions[_SERVICES]
