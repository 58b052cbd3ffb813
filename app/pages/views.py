"""The start page and the signed-in page."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from app import extensions, sessions

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    organisations = sorted(extensions.services().settings.organisations.values(), key=lambda o: o.name)
    return render_template("pages/index.html", identity=sessions.current().identity, organisations=organisations)


@bp.get("/mon-espace")
def signed_in():
    state = sessions.current()
    identity = state.identity
    if identity is None:
        return redirect(url_for("pages.index"), 303)
    return render_template("pages/signed_in.html", identity=identity, rights=state.rights)


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
                           audit_days=retention.audit_retention_days)
