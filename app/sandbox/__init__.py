"""A local stand-in of FranceConnect v2 (FC standard, "fcp-low"), for demos and integration tests.

It runs as its own WSGI app on its own port; the service only knows it as an issuer URL
(`{base_url}/api/v2`). What it mimics, and how, is in shared/reference/franceconnect.md §13.
It imports nothing from the service's rooms except `app.model`, and the service never imports it.

It also plays the organisations' portals (`app.sandbox.portal`, « portail de démonstration »): signed launch
links to the service's journeys, and the signed result verified when the person comes back.

The same app serves stand-ins of the two data providers at their production paths (`app.sandbox.providers`):
API Particulier's C2S status and the CNAM API droits, with per-identity test data and fault scenarios.

State lives in `app.extensions["fc_sandbox"]` (a `SandboxState`): keys (with `rotate()`), `jwks_outage`,
`latency` (seconds, from the config, changeable at run time), `clock`, `identities`, `introspect()` for
the data-provider stand-ins, and their faults (`set_fault()`, `clear_faults()`, `provider_slow_seconds`).
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from flask import Flask, request

from app.sandbox import franceconnect, home, interaction, portal
from app.sandbox.config import PortalOrganisation, SandboxClient, SandboxConfig, SandboxDataProvider, check_config
from app.sandbox.providers import admin, api_particulier, cnam
from app.sandbox.state import SSO_IDLE_TIMEOUT, SandboxState

__all__ = ["PortalOrganisation", "SandboxClient", "SandboxConfig", "SandboxDataProvider", "SandboxState",
           "create_sandbox_app"]

_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def create_sandbox_app(config: SandboxConfig) -> Flask:
    """A fresh sandbox with its own keys and empty state; raises ValueError on a bad configuration."""
    check_config(config)
    app = Flask(__name__, template_folder=str(_TEMPLATES), static_folder="static")
    app.config.update(
        SECRET_KEY=config.secret_key,
        # Its own cookie name: the service may run on the same host (cookies ignore ports).
        SESSION_COOKIE_NAME="fc_sandbox_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=SSO_IDLE_TIMEOUT),
        # Only pages that use the session rewrite the cookie: back-channel answers carry no Set-Cookie, as FC's.
        SESSION_REFRESH_EACH_REQUEST=False,
    )
    app.extensions["fc_sandbox"] = SandboxState(config)

    @app.before_request
    def _inject_latency() -> None:
        latency = app.extensions["fc_sandbox"].latency
        if latency > 0 and request.endpoint != "static":
            time.sleep(latency)

    app.register_blueprint(home.bp)
    app.register_blueprint(franceconnect.bp)
    app.register_blueprint(interaction.bp)
    app.register_blueprint(api_particulier.bp)
    app.register_blueprint(cnam.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(portal.bp)
    return app
