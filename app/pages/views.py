"""The start page and the signed-in page."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, session, url_for

from app.franceconnect.views import current_identity
from app.journeys.signin import RIGHTS, rights_from_session

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    organisations = sorted(current_app.extensions["settings"].organisations.values(), key=lambda o: o.name)
    return render_template("pages/index.html", identity=current_identity(), organisations=organisations)


@bp.get("/mon-espace")
def signed_in():
    identity = current_identity()
    if identity is None:
        return redirect(url_for("pages.index"), 303)
    return render_template("pages/signed_in.html", identity=identity, rights=rights_from_session(session.get(RIGHTS)))


@bp.get("/accessibilite")
def accessibility():
    return render_template("pages/accessibility.html")


@bp.get("/donnees-personnelles")
def privacy():
    retention = current_app.extensions["dossier_settings"]
    return render_template("pages/privacy.html", preadmission_days=retention.retention_for("preadmission"),
                           adhesion_days=retention.retention_for("adhesion"),
                           audit_days=retention.audit_retention_days)
