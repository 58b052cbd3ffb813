"""The organisation's portal at both ends of a journey: its signed launch link in, its signed result out.

The information page opens a journey from a verified launch link (organisations.launch) and keeps it as a signed
`JourneyContext`; without a link, only an organisation that allows unsigned entry opens one, and then nothing of
the URL is kept. « Retourner sur le site » and « Abandonner » post to `give_back`, which sends the person to the
registered return URL with a signed result (organisations.result), or to a safe page when there is none.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from flask import redirect, render_template, request

from app import extensions, sessions
from app.journeys import steps
from app.model.journey import JourneyContext
from app.model.organisation import Organisation
from app.model.webhook import WebhookEvent
from app.organisations.launch import LaunchRefused, verify_launch
from app.organisations.result import return_location, sign_result

log = logging.getLogger(__name__)

LAUNCH_PARAMETER = "launch"
# What older or hand-made links put in the query; never trusted, only noticed in the logs.
_UNSIGNED_PARAMETERS = ("ref", "date_sejour", "service")


class EntryRefused(Exception):
    def __init__(self, template: str, status: int) -> None:
        super().__init__(template)
        self.template, self.status = template, status


def opened_context(organisation: Organisation) -> tuple[JourneyContext, bool]:
    """The journey's context for the information page, and whether it was opened just now by a launch link.

    Raises EntryRefused (a French page and its status) when the link is refused or required.
    """
    journey, state = steps.journey(), sessions.current()
    tokens = request.args.getlist(LAUNCH_PARAMETER)
    if tokens:
        context = _from_launch(organisation, tokens)
        state.open_journey(context)
        return context, True
    opened = state.opened_journey(journey, organisation.id)
    if opened is not None:
        return opened, False
    if not organisation.allow_unsigned:
        log.info("journey refused: unsigned entry not allowed org=%s", organisation.id)
        raise EntryRefused("journeys/launch_needed.html", 403)
    ignored = [name for name in _UNSIGNED_PARAMETERS if name in request.args]
    if ignored:
        log.info("journey unsigned portal parameters ignored names=%s", ",".join(ignored))
    context = JourneyContext(journey=journey, org=organisation.id, started_at=steps.now_iso())
    state.open_journey(context)  # nothing recorded yet: the journey starts with its sign-in (signin.recording_start)
    return context, False


def _from_launch(organisation: Organisation, tokens: list[str]) -> JourneyContext:
    services = extensions.services()
    try:
        if len(tokens) > 1:
            raise LaunchRefused("repeated")
        launch = verify_launch(tokens[0], organisation, audience=services.settings.public_url, now=time.time(),
                               use_once=services.launches.use, today=dt.date.today())
    except LaunchRefused as refused:
        log.warning("journey launch refused reason=%s org=%s", refused.reason, organisation.id)
        raise EntryRefused("journeys/launch_refused.html", 400) from None
    log.info("journey launched by a signed link org=%s", organisation.id)
    return JourneyContext.from_launch(steps.journey(), launch, steps.now_iso())


def return_available(journey: str | None, org_id: str | None) -> bool:
    """Whether this browser can be sent back to the portal of that journey (a template global)."""
    if not journey or not org_id:
        return False
    state = sessions.current()
    receipt, context = state.receipt, state.journey or state.opened_journey(journey, org_id)
    if receipt is not None and (receipt.journey, receipt.org) == (journey, org_id):
        return bool(receipt.return_url)
    return bool(context and context.signed and (context.journey, context.org) == (journey, org_id)
                and context.return_url)


def give_back(org_id: str):
    """POST: back to the portal with a signed result: submitted (a receipt), failed (a sign-in that failed) or
    cancelled. A cancelled or failed journey leaves nothing personal in the session."""
    organisation = steps.organisation_or_404(org_id)
    journey, state = steps.journey(), sessions.current()
    receipt = state.receipt
    if receipt is not None and (receipt.journey, receipt.org) == (journey, org_id):
        status, reference, dossier, return_url = "submitted", receipt.portal_reference, receipt.reference, \
            receipt.return_url
    else:
        context = _current_context(journey, org_id)
        status = "failed" if request.form.get("motif") == "echec" else "cancelled"
        reference, dossier = (context.ref, None) if context and context.signed else (None, None)
        return_url = context.return_url if context and context.signed else None
        if state.draft is not None:
            # The person gave up: their files go now, not at the purge of drafts never sent.
            extensions.services().dossiers.attachments.remove_draft(state.draft.key)
        state.abandon_journey(journey, org_id)
        _notify_cancelled(organisation, status, reference)
    token = sign_result(organisation, status=status, reference=reference, dossier=dossier,
                        issuer=extensions.services().settings.public_url, now=time.time()) \
        if organisation.launch_secrets else ""
    location = return_location(organisation, return_url, token)
    log.info("journey returned to the portal status=%s org=%s known_return=%s", status, org_id, location is not None)
    if location is None:
        return render_template("journeys/returned.html", organisation=organisation, status=status)
    return redirect(location, 303)


def _notify_cancelled(organisation: Organisation, status: str, portal_reference: str | None) -> None:
    """The organisation's webhook hears of a cancelled journey it launched (a portal reference exists)."""
    if status == "cancelled" and portal_reference is not None and organisation.webhook is not None:
        extensions.services().dossiers.outbox.record(
            WebhookEvent("journey.cancelled", organisation.id, portal_reference=portal_reference))


def _current_context(journey: str, org_id: str) -> JourneyContext | None:
    state = sessions.current()
    context = state.journey
    if context is not None and (context.journey, context.org) == (journey, org_id):
        return context
    return state.opened_journey(journey, org_id)
