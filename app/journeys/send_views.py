"""Submission and receipt.

One dossier per draft: the idempotency key is made with the draft and kept until the dossier is stored, so a
double click, a refresh or a replayed POST gets the same dossier from the store; once stored, the session keeps
only the receipt (and FranceConnect's ID token, for logout), and any later POST lands on the same receipt.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app, redirect, render_template, session

from app.dossiers.errors import DossierNotFound
from app.franceconnect.views import IDENTITY
from app.journeys import guards, labels
from app.journeys.context import CURRENT, DRAFT, PENDING, PEOPLE, RECEIPT
from app.journeys.signin import RIGHTS

log = logging.getLogger(__name__)

START_DATE_PASSED = "La date de début que vous aviez choisie est passée : choisissez-en une autre."


def _receipt_for(org_id: str) -> dict | None:
    receipt = session.get(RECEIPT) or {}
    return receipt if (receipt.get("journey"), receipt.get("org")) == (guards.journey(), org_id) else None


def send(org_id: str):
    guards.organisation_or_404(org_id)
    if _receipt_for(org_id) is not None:
        log.info("journey submission repeated after the receipt")
        return redirect(guards.step_url("receipt", org_id), 303)
    state = guards.signed_in(org_id, need_people=True)
    draft = session.get(DRAFT) or {}
    declared = draft.get("values")
    if declared is None or not draft.get("key"):
        guards.back_to("form", org_id)
    start = declared.get("start_date")
    if start and dt.date.fromisoformat(start) < dt.date.today():
        guards.back_to("form", org_id, START_DATE_PASSED)

    journey, organisation = state.context.journey, state.organisation
    content = state.content(declared, submitted_at=guards.now_iso())
    submitted = current_app.extensions["dossiers"].submit(
        idempotency_key=draft["key"], organisation=organisation.id, journey=journey, content=content,
        retention_days=current_app.extensions["dossier_settings"].retention_for(journey), sub=state.identity.sub,
    )
    if submitted.created:
        audit = current_app.extensions["audit"]
        for source, outcome in content["sources"].items():
            detail = f"{source}:{outcome['status']}" + (":partial" if outcome["partial"] else "")
            audit.record("source_outcome", journey=journey, organisation=organisation.id, sub=state.identity.sub,
                         detail=detail, dossier_reference=submitted.reference)
    # The rights, the identity and the draft are in the dossier now; the session keeps the receipt and the
    # ID token (FranceConnect logout), nothing else of the journey.
    for key in (RIGHTS, IDENTITY, DRAFT, PEOPLE, CURRENT, PENDING):
        session.pop(key, None)
    session[RECEIPT] = {"journey": journey, "org": organisation.id, "reference": submitted.reference}
    return redirect(guards.step_url("receipt", org_id), 303)


def receipt(org_id: str):
    organisation = guards.organisation_or_404(org_id)
    held = _receipt_for(org_id)
    if held is None:
        guards.back_to("information", org_id, "Nous ne trouvons pas de dossier envoyé depuis ce navigateur.")
    try:
        dossier = current_app.extensions["dossiers"].get(held["reference"])
    except DossierNotFound:
        dossier = None  # purged at the end of its retention: the reference still answers the person
    return render_template(
        "journeys/receipt.html", organisation=organisation, reference=held["reference"], labels=labels,
        content=dossier.content if dossier else None, created_at=dossier.created_at if dossier else None,
        journey=guards.journey(),
    )
