"""The sandbox's home page: what it is, its issuer, registered clients, test identities, and the
data-provider stand-ins with each identity's data and the fault scenarios."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from app.sandbox.config import DEFAULT_CNAM_API_KEY
from app.sandbox.providers import C2S_PATH, CNAM_PATHS, CNAM_ROOT, PROVIDER_LABELS, data, faults

bp = Blueprint("fc_home", __name__)


@bp.get("/")
def home():
    st = current_app.extensions["fc_sandbox"]
    base_url = st.config.base_url.rstrip("/")
    # An identity FranceConnect refuses never gets a token: no provider answers for it.
    refused = ("Sans objet : FranceConnect refuse cette identité", "Sans objet")
    provider_data = [(identity, *(refused if identity.refused_by_fc else data.summary(identity.login)))
                     for identity in st.identities]
    scenarios = [(s, ", ".join(PROVIDER_LABELS[p] for p in s.providers)) for s in faults.SCENARIOS.values()]
    return render_template(
        "sandbox/home.html", issuer=st.issuer, clients=st.config.clients,
        data_providers=st.config.data_providers, identities=st.identities,
        c2s_url=f"{base_url}{C2S_PATH}", cnam_url=f"{base_url}{CNAM_ROOT}", cnam_paths=CNAM_PATHS,
        default_cnam_api_key=DEFAULT_CNAM_API_KEY, provider_data=provider_data, scenarios=scenarios,
        slow_seconds=st.provider_slow_seconds,
    )
