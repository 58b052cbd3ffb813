"""The start page and the signed-in page."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, redirect, render_template, send_file, url_for

from app import extensions, sessions
from app.organisations.settings import LOGOS_DIR

bp = Blueprint("pages", __name__)


def _organisations():
    return sorted(extensions.services().settings.organisations.values(), key=lambda o: o.name)


@bp.get("/")
def index():
    settings = extensions.services().settings
    # With the sandbox, its demo portal plays the organisations' sites, where a démarche starts.
    return render_template("pages/index.html", identity=sessions.current().identity, organisations=_organisations(),
                           sandbox_url=settings.sandbox_url if settings.sandbox else None)


@bp.get("/mon-espace")
def signed_in():
    identity = sessions.current().identity
    if identity is None:
        return redirect(url_for("pages.index"), 303)
    return render_template("pages/signed_in.html", identity=identity, organisations=_organisations())


@bp.get("/accessibilite")
def accessibility():
    return render_template("pages/accessibility.html")


@bp.get("/donnees-personnelles")
def privacy():
    settings = extensions.services().settings
    retention = settings.dossiers
    # The organisations that keep their dossiers longer or shorter than their journey's default.
    own_retention = [(o.branding.display_name, retention.retention_of(o))
                     for o in sorted(settings.organisations.values(), key=lambda o: o.name)
                     if o.retention_days is not None]
    return render_template("pages/privacy.html", preadmission_days=retention.retention_for("preadmission"),
                           adhesion_days=retention.retention_for("adhesion"), own_retention=own_retention,
                           audit_days=retention.audit_retention_days,
                           attachment_hours=retention.attachments.draft_hours)


def _organisation(org_id: str):
    organisation = extensions.services().settings.organisations.get(org_id)
    if organisation is None:
        abort(404)
    return organisation


@bp.get("/organisations/<org_id>/logo")
def logo(org_id: str):
    """The organisation's logo, from the instance folder's logos/ (the registry checked its name at start-up)."""
    name = _organisation(org_id).branding.logo
    path = Path(current_app.instance_path) / LOGOS_DIR / name if name else None
    if path is None or not path.is_file():
        abort(404)
    return send_file(path, max_age=3600)


@bp.get("/organisations/<org_id>/theme.css")
def theme(org_id: str):
    """The organisation's accent colour as a stylesheet: the CSP allows no inline style. The registry refused any
    colour without a 4.5:1 contrast on white, so text in that colour stays readable."""
    colour = _organisation(org_id).branding.accent_colour or "#000091"
    css = (f":root {{ --organisation-accent: {colour}; }}\n"
           ".organisation-banner { border-bottom: 4px solid var(--organisation-accent); }\n"
           ".organisation-banner__name { color: var(--organisation-accent); }\n")
    return Response(css, mimetype="text/css", headers={"Cache-Control": "public, max-age=3600"})
