"""The sandbox's home page: what it is, its issuer, registered clients and test identities."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

bp = Blueprint("fc_home", __name__)


@bp.get("/")
def home():
    st = current_app.extensions["fc_sandbox"]
    return render_template(
        "sandbox/home.html", issuer=st.issuer, clients=st.config.clients,
        data_providers=st.config.data_providers, identities=st.identities,
    )
