"""The delivery room's wiring: the pull API's blueprint, its OpenAPI document, its rate limits.

flask-smorest builds the OpenAPI 3.1 document from the views and their marshmallow schemas. Two of its defaults do
not suit this app and are changed here: it would answer every HTTP error of the whole site in JSON (the site keeps
its French pages; the API's blueprint answers its own errors as problem details), and it would document errors as
`application/json` (ours are `application/problem+json`).
"""

from __future__ import annotations

from collections.abc import Mapping

import flask_smorest
from flask import Blueprint, Flask, request
from flask_limiter.util import get_remote_address

from app.delivery import api, auth, docs
from app.delivery.cursor import CursorSigner
from app.delivery.problems import MEDIA_TYPE as PROBLEM_MEDIA_TYPE
from app.delivery.schemas import ProblemSchema
from app.delivery.settings import DeliverySettings
from app.dossiers.store import DossierStore
from app.inbound_limits import ScopedLimiter
from app.model.organisation import Organisation

API_VERSION = "1.0.0"
OPENAPI_VERSION = "3.1.0"
SECURITY_SCHEME = "organisationApiKey"


class _Api(flask_smorest.Api):
    ERROR_SCHEMA = ProblemSchema
    # Only the error responses take this default: every success response names its own media type.
    DEFAULT_RESPONSE_CONTENT_TYPE = PROBLEM_MEDIA_TYPE

    def _register_error_handlers(self) -> None:
        """The site's error pages stay; the API's blueprint has its own handlers (api.py)."""


def init_app(app: Flask, *, store: DossierStore, organisations: Mapping[str, Organisation], public_url: str,
             secret_key: str, settings: DeliverySettings, redis_url: str | None) -> tuple[Blueprint, ...]:
    """Register the pull API and its documentation; return their blueprints (which take no CSRF token)."""
    api.register_room(app, api.DeliveryRoom(store=store, organisations=dict(organisations),
                                            cursors=CursorSigner(secret_key), public_url=public_url))
    smorest = _Api(app, spec_kwargs={
        "title": "Droits Connect — dossiers API", "version": API_VERSION, "openapi_version": OPENAPI_VERSION,
        "info": {"description": "How a hospital or a mutuelle receives the dossiers people send it. Errors are "
                                "RFC 9457 problem details."},
        "servers": [{"url": public_url.rstrip("/")}],
        "security": [{SECURITY_SCHEME: []}],
    })
    smorest.spec.components.security_scheme(SECURITY_SCHEME, {
        "type": "http", "scheme": "bearer",
        "description": "The organisation's API key (`flask organisations new-api-key`): `Bearer dc_live_…`."})
    app.url_map.converters["reference"] = api.ReferenceConverter
    smorest.register_converter(api.ReferenceConverter, api.reference_parameter)
    app.url_map.converters["attachment_id"] = api.AttachmentIdConverter
    smorest.register_converter(api.AttachmentIdConverter, api.attachment_id_parameter)
    smorest.register_blueprint(api.bp)
    docs.register(app, smorest.spec)
    _limit(app, settings, redis_url)
    return api.bp, docs.bp


def _limit(app: Flask, settings: DeliverySettings, redis_url: str | None) -> None:
    # Its limits are the API's: every other request of the service skips this limiter's per-request resolution.
    limiter = ScopedLimiter(get_remote_address, app=app, storage_uri=redis_url or "dc-memory://",
                            headers_enabled=True, key_prefix="dc:ratelimit", strategy="fixed-window",
                            applies=lambda: request.blueprint in (api.bp.name, docs.bp.name))
    # Every request of a key, every endpoint together; without a key, its client address stands in.
    limiter.shared_limit(settings.rate_limit, scope="api-key", key_func=_key_or_address)(api.bp)
    # Failed authentications per client address: checked before each request, counted only on a 401.
    limiter.shared_limit(settings.auth_failure_limit, scope="api-auth-failures", key_func=get_remote_address,
                         deduct_when=lambda response: response.status_code == 401)(api.bp)
    limiter.shared_limit(settings.rate_limit, scope="api-docs", key_func=get_remote_address)(docs.bp)


def _key_or_address() -> str:
    return auth.key_label(request.headers.get("Authorization")) or "address:" + get_remote_address()
