"""Droits Connect: the application factory."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from flask import Flask

from app import config as app_config
from app import extensions, inbound_limits, web
from app.config_values import ConfigError

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["create_app", "ConfigError"]
log = logging.getLogger(__name__)


def create_app(test_config: dict | None = None, *, instance_path: str | None = None) -> Flask:
    """Build the service: defaults, then instance/config.py and FLASK_* variables (or the test mapping)."""
    app = web.App(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    app.config.from_mapping(app_config.DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env()
    else:
        app.config.from_mapping(test_config)

    settings = app_config.load_settings(app.config, instance_path=app.instance_path)
    if not app.config.get("SECRET_KEY"):
        # load_settings already refused a missing key in production.
        app.config["SECRET_KEY"] = (
            app_config.development_secret_key(app.instance_path)
            if settings.environment == "development"
            else secrets.token_urlsafe(48)
        )
    web.init_app(app, settings)
    extensions.init_app(app, settings)

    from app.connectors.retrieval import RightsRetriever
    from app.delivery import room as delivery
    from app.delivery.webhooks import room as webhooks
    from app.dossiers import cli as dossiers_cli
    from app.dossiers.room import open_room
    from app.franceconnect import views as franceconnect_views
    from app.journeys import signin
    from app.journeys import views as journeys
    from app.notifications import room as notifications
    from app.organisations import cli as organisations_cli
    from app.pages import views as pages
    from app.provider_state import build_protections

    # Development and tests migrate at start-up; production runs `flask db upgrade` on deployment.
    dossiers = open_room(settings.dossiers, upgrade_schema=not settings.is_production)
    dossiers_cli.register(app, dossiers)
    organisations_cli.register(app, settings.organisations, production=settings.is_production)
    webhook_jobs = webhooks.init_app(app, settings.webhooks, settings.organisations, dossiers.outbox)
    # The acknowledgements' tasks ride on the webhooks' queue: the same worker sends them.
    notifications.init_app(settings.mail, webhook_jobs.huey, dossiers.mail_outbox)
    # The providers' breaker, 429 back-off and call budget: shared through Redis by every worker and instance.
    retriever = RightsRetriever(settings.providers,
                                protections=build_protections(settings.providers, settings.session.redis_url))
    communes = _open_communes(settings)
    extensions.register_services(app, extensions.Services(
        settings=settings, retriever=retriever, dossiers=dossiers.store, audit=dossiers.audit,
        launches=dossiers.launches, communes=communes,
    ))
    app.add_template_global(communes.version if communes else None, "communes_version")

    hook = signin.make_sign_in_hook(retriever, include_exonerations=settings.providers.cnam_exonerations)
    plan = signin.make_planner(settings.providers, settings.franceconnect.scopes, settings.organisations)
    franceconnect_views.init_app(
        app, settings.franceconnect,
        # A journey starts, in the audit trail, when its sign-in starts: viewing its page writes nothing.
        plan=signin.recording_start(plan, dossiers.audit, settings.organisations),
        # The journey's context, opened before sign-in, is carried into the renewed session.
        sign_in_hook=signin.carrying_journey(signin.audited(hook, dossiers.audit)),
        on_failure=signin.audit_failure(dossiers.audit),
    )
    app.register_blueprint(pages.bp)
    journeys.init_app(app)
    for blueprint in delivery.init_app(app, store=dossiers.store, organisations=settings.organisations,
                                       public_url=settings.public_url, secret_key=app.config["SECRET_KEY"],
                                       settings=settings.delivery, redis_url=settings.session.redis_url):
        extensions.csrf.exempt(blueprint)  # an API key, no cookie: nothing for a forged form to ride on
    inbound_limits.init_app(app, app.config, settings.session.redis_url)

    from app import observability

    observability.init_app(app, settings, engine=dossiers.engine, outbox_counts=dossiers.outbox.counts,
                           discovery=franceconnect_views.room(app).client.metadata)
    return app


def _open_communes(settings: app_config.Settings):
    from app.geography import communes

    geography = settings.geography
    if geography.communes_file is None:
        # load_settings refused this in production; development says it once and lets people type the commune.
        log.warning("communes data not installed (run `npm ci`): the commune is typed in, not chosen")
        return None
    try:
        return communes.load(geography.communes_file, version=geography.version or "")
    except communes.GeographyDataError as error:
        raise ConfigError(f"COMMUNES_PACKAGE_DIR: {error}") from None
