"""Submission and receipt.

One dossier per draft: the idempotency key is made with the draft and kept until the dossier is stored, so a
double click, a refresh or a replayed POST gets the same dossier from the store; once stored, the session keeps
only the receipt (and FranceConnect's ID token, for logout), and any later POST lands on the same receipt.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import time

from flask import current_app, g, redirect, render_template, request

from app import extensions, sessions
from app.dossiers.errors import AttachmentsChanged, DossierNotFound
from app.journeys import attachment_views, labels, steps
from app.model.journey import Receipt
from app.model.organisation import Organisation
from app.model.webhook import WebhookEvent
from app.notifications import message as mail_message

log = logging.getLogger(__name__)

START_DATE_PASSED = "La date de début que vous aviez choisie est passée : choisissez-en une autre."
ATTACHMENTS_CHANGED = "Vos pièces justificatives ont changé : vérifiez-les, puis envoyez de nouveau votre dossier."


def _receipt_for(org_id: str) -> Receipt | None:
    receipt = sessions.current().receipt
    return receipt if receipt and (receipt.journey, receipt.org) == (steps.journey(), org_id) else None


# The receipt's URL carries a signed, short-lived proof of the reference: a person whose dossier is stored gets
# its receipt even if the session was lost in between (the receipt then shows no personal data).
RECEIPT_TOKEN_SECONDS = 15 * 60


def _signature(journey: str, org_id: str, reference: str, expires: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(key, f"receipt|{journey}|{org_id}|{reference}|{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def receipt_token(org_id: str, reference: str, now: float | None = None) -> str:
    expires = int(now if now is not None else time.time()) + RECEIPT_TOKEN_SECONDS
    return f"{expires}.{reference}.{_signature(steps.journey(), org_id, reference, expires)}"


def _reference_from_token(org_id: str, token: str | None) -> str | None:
    parts = token.split(".") if isinstance(token, str) and len(token) <= 200 else []
    if len(parts) != 3 or not parts[0].isascii() or not parts[0].isdigit():
        return None
    expires, reference, signature = int(parts[0]), parts[1], parts[2]
    if expires < time.time() or not hmac.compare_digest(
            signature.encode(), _signature(steps.journey(), org_id, reference, expires).encode()):
        log.info("receipt token refused reason=receipt_token_invalid_or_expired")
        return None
    return reference


def _to_receipt(org_id: str, reference: str):
    # The receipt's URL carries its own proof: this answer stands even if the session cannot be saved now.
    g.stands_without_session = True
    return redirect(steps.step_url("receipt", org_id, jeton=receipt_token(org_id, reference)), 303)


def already_sent(org_id: str):
    """The draft's dossier is in the database (the session may have been written back stale): its receipt then,
    never a second dossier."""
    draft = sessions.current().draft
    reference = extensions.services().dossiers.reference_of(draft.key) if draft else None
    if reference is None:
        return None
    log.info("journey step after the dossier was stored reason=dossier_already_stored")
    state = steps.signed_in(org_id, need_people=True)
    _end_journey(state, reference)
    return _to_receipt(org_id, reference)


def _end_journey(state: steps.StepState, reference: str) -> None:
    # The rights, the identity and the draft are in the dossier now.
    sessions.current().end_journey(Receipt(
        journey=state.context.journey, org=state.organisation.id, reference=reference,
        portal_reference=state.context.ref if state.context.signed else None,
        return_url=state.context.return_url if state.context.signed else None,
    ))


def send(org_id: str):
    steps.organisation_or_404(org_id)
    held = _receipt_for(org_id)
    if held is not None:
        log.info("journey submission repeated after the receipt")
        return _to_receipt(org_id, held.reference)
    state = steps.signed_in(org_id, need_people=True)
    if (sent := already_sent(org_id)) is not None:
        # A stale session still holding the draft: its files are the dossier's now, the content would differ.
        return sent
    draft = sessions.current().draft
    if draft is None:
        steps.back_to("form", org_id)
    declared = draft.values
    start = declared.get("start_date")
    if start and dt.date.fromisoformat(start) < dt.date.today():
        steps.back_to("form", org_id, START_DATE_PASSED)

    journey, organisation = state.context.journey, state.organisation
    content = attachment_views.with_attachments(state.content(declared, submitted_at=steps.now_iso()), draft.key)
    services = extensions.services()
    portal_reference = state.context.ref if state.context.signed else None
    try:
        submitted = services.dossiers.submit(
            idempotency_key=draft.key, organisation=organisation.id, journey=journey, content=content,
            retention_days=services.settings.dossiers.retention_of(organisation), sub=state.identity.sub,
            events=_events(organisation, portal_reference),
            acknowledgement=_acknowledgement(organisation, journey, declared.get("email")),
            attachments=[attachment["id"] for attachment in content["attachments"]],
        )
    except AttachmentsChanged:
        # A file was removed (another tab) between this page's listing and the send: show the review again.
        log.info("journey submission refused reason=attachments_changed")
        steps.back_to("review", org_id, ATTACHMENTS_CHANGED)
    if submitted.created:
        audit = services.audit
        for source, outcome in content["sources"].items():
            detail = f"{source}:{outcome['status']}" + (":partial" if outcome["partial"] else "")
            audit.record("source_outcome", journey=journey, organisation=organisation.id, sub=state.identity.sub,
                         detail=detail, dossier_reference=submitted.reference)
    _end_journey(state, submitted.reference)
    return _to_receipt(org_id, submitted.reference)


def _events(organisation: Organisation, portal_reference: str | None) -> list[WebhookEvent]:
    """The organisation's webhook hears of the submission, in the dossier's transaction (the store adds the
    dossier's reference); none without a webhook."""
    if organisation.webhook is None:
        return []
    return [WebhookEvent("dossier.submitted", organisation.id, portal_reference=portal_reference)]


def _acknowledgement(organisation: Organisation, journey: str, address: str | None):
    """The e-mail acknowledgement, rendered by the store with the dossier's reference; None without an address
    or without an SMTP relay. It takes nothing of the form but the address."""
    mail = extensions.services().settings.mail
    if not address or mail is None:
        return None

    def render(reference: str) -> bytes:
        return mail_message.acknowledgement(reference=reference, organisation=organisation, journey=journey,
                                            recipient=address, sender=mail.sender,
                                            at=dt.datetime.now(dt.UTC)).as_bytes()
    return render


def receipt(org_id: str):
    organisation = steps.organisation_or_404(org_id)
    held = _receipt_for(org_id)
    reference = held.reference if held else _reference_from_token(org_id, request.args.get("jeton"))
    if reference is None:
        steps.back_to("information", org_id, "Nous ne trouvons pas de dossier envoyé depuis ce navigateur.")
    try:
        dossier = extensions.services().dossiers.get(reference)
    except DossierNotFound:
        dossier = None  # purged at the end of its retention: the reference still answers the person
    return render_template(
        "journeys/receipt.html", organisation=organisation, reference=reference, labels=labels,
        # Its content only to the session that sent it; the token proves the reference, not the person.
        content=dossier.content if dossier and held else None, created_at=dossier.created_at if dossier else None,
        # « transmis » until the organisation acknowledges it through the pull API, then « reçu … le … ».
        delivered_at=dossier.delivered_at if dossier and dossier.status == "delivered" else None,
        journey=steps.journey(), can_return=bool(held and held.return_url),
    )
