"""Submission and receipt.

One dossier per draft: the idempotency key is made with the draft and kept until the dossier is stored, so a
double click, a refresh or a replayed POST gets the same dossier from the store; once stored, the session keeps
only the receipt (and FranceConnect's ID token, for logout), and any later POST lands on the same receipt.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import redirect, render_template

from app import extensions, sessions
from app.dossiers.errors import DossierNotFound
from app.journeys import labels, steps
from app.model.journey import Receipt
from app.model.organisation import Organisation
from app.model.webhook import WebhookEvent

log = logging.getLogger(__name__)

START_DATE_PASSED = "La date de début que vous aviez choisie est passée : choisissez-en une autre."


def _receipt_for(org_id: str) -> Receipt | None:
    receipt = sessions.current().receipt
    return receipt if receipt and (receipt.journey, receipt.org) == (steps.journey(), org_id) else None


def send(org_id: str):
    steps.organisation_or_404(org_id)
    if _receipt_for(org_id) is not None:
        log.info("journey submission repeated after the receipt")
        return redirect(steps.step_url("receipt", org_id), 303)
    state = steps.signed_in(org_id, need_people=True)
    draft = sessions.current().draft
    if draft is None:
        steps.back_to("form", org_id)
    declared = draft.values
    start = declared.get("start_date")
    if start and dt.date.fromisoformat(start) < dt.date.today():
        steps.back_to("form", org_id, START_DATE_PASSED)

    journey, organisation = state.context.journey, state.organisation
    content = state.content(declared, submitted_at=steps.now_iso())
    services = extensions.services()
    portal_reference = state.context.ref if state.context.signed else None
    submitted = services.dossiers.submit(
        idempotency_key=draft.key, organisation=organisation.id, journey=journey, content=content,
        retention_days=services.settings.dossiers.retention_of(organisation), sub=state.identity.sub,
        events=_events(organisation, portal_reference),
    )
    if submitted.created:
        audit = services.audit
        for source, outcome in content["sources"].items():
            detail = f"{source}:{outcome['status']}" + (":partial" if outcome["partial"] else "")
            audit.record("source_outcome", journey=journey, organisation=organisation.id, sub=state.identity.sub,
                         detail=detail, dossier_reference=submitted.reference)
    # The rights, the identity and the draft are in the dossier now.
    sessions.current().end_journey(Receipt(
        journey=journey, org=organisation.id, reference=submitted.reference,
        portal_reference=portal_reference,
        return_url=state.context.return_url if state.context.signed else None,
    ))
    return redirect(steps.step_url("receipt", org_id), 303)


def _events(organisation: Organisation, portal_reference: str | None) -> list[WebhookEvent]:
    """The organisation's webhook hears of the submission, in the dossier's transaction (the store adds the
    dossier's reference); none without a webhook."""
    if organisation.webhook is None:
        return []
    return [WebhookEvent("dossier.submitted", organisation.id, portal_reference=portal_reference)]


def receipt(org_id: str):
    organisation = steps.organisation_or_404(org_id)
    held = _receipt_for(org_id)
    if held is None:
        steps.back_to("information", org_id, "Nous ne trouvons pas de dossier envoyé depuis ce navigateur.")
    try:
        dossier = extensions.services().dossiers.get(held.reference)
    except DossierNotFound:
        dossier = None  # purged at the end of its retention: the reference still answers the person
    return render_template(
        "journeys/receipt.html", organisation=organisation, reference=held.reference, labels=labels,
        content=dossier.content if dossier else None, created_at=dossier.created_at if dossier else None,
        # « transmis » until the organisation acknowledges it through the pull API, then « reçu … le … ».
        delivered_at=dossier.delivered_at if dossier and dossier.status == "delivered" else None,
        journey=steps.journey(), can_return=bool(held.return_url),
    )
