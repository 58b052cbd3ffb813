"""Starting and completing a FranceConnect sign-in for a journey (or the start page).

Before the person leaves, `make_planner` turns the page's choice into a `SignInRequest`: the journey and
organisation its destination names, the chosen sources this deployment uses, and the scopes that go with them.
After the ID token is verified, the hook built by `make_sign_in_hook` fetches userinfo and every chosen source
at once with the access token, which lives only 60 s, and returns a `SignInResult`. A provider's failure never
fails the sign-in: it becomes a source result the page explains.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Mapping

from flask import request as http_request

from app import sessions
from app.connectors.retrieval import RightsRetriever
from app.connectors.settings import ProviderSettings
from app.franceconnect.client import FranceConnectClient, TokenResult
from app.model.dossier import JOURNEYS
from app.model.organisation import Organisation
from app.model.signin import SignInRequest, SignInResult

log = logging.getLogger(__name__)

Hook = Callable[[FranceConnectClient, TokenResult, SignInRequest], SignInResult]
# Exonérations and the médecin traitant may only go to healthcare establishments (data-providers.md B.1): a
# mutuelle's journey never fetches them, whatever the person's browser sends.
HEALTHCARE_JOURNEYS = frozenset({"preadmission"})


def journey_of(next_path: str) -> tuple[str | None, str | None]:
    """("preadmission", "chu-demo") from "/preadmission/chu-demo/personnes"; (None, None) elsewhere."""
    parts = next_path.split("/")
    if len(parts) > 2 and parts[1] in JOURNEYS and parts[2]:
        return parts[1], parts[2]
    return None, None


def make_planner(providers: ProviderSettings, franceconnect_scopes: tuple[str, ...],
                 organisations: Mapping[str, Organisation]):
    def plan(next_path: str, chosen: list[str] | None) -> SignInRequest:
        journey, org_id = journey_of(next_path)
        organisation = organisations.get(org_id) if org_id else None
        # What both the deployment and the organisation allow; without a choice on the page, all of it. Outside a
        # journey (the start page) no data source: rights serve a dossier, and there is none to fill.
        allowed = tuple(s for s in providers.sources if organisation is not None and s in organisation.sources)
        sources = allowed if chosen is None else tuple(s for s in allowed if s in chosen)
        return SignInRequest(next_path=next_path, sources=sources, journey=journey, organisation=org_id,
                             # Only the scopes whose data will be used: the identity, plus one per chosen source.
                             scopes=providers.sign_in_scopes(franceconnect_scopes, sources),
                             recipient=organisation.siret if organisation and organisation.siret else None)

    return plan


def recording_start(plan, audit, organisations: Mapping[str, Organisation]):
    """The planner, recording `journey_started` when a journey's sign-in starts (the POST to /auth/login).

    Opening the information page records nothing: an anonymous page view writes nothing to the database. The error
    page's GET also asks the planner (to offer a retry); it starts nothing."""

    def plan_and_record(next_path: str, chosen: list[str] | None) -> SignInRequest:
        planned = plan(next_path, chosen)
        if planned.organisation in organisations and http_request.method == "POST":
            _record(audit, "journey_started", journey=planned.journey, organisation=planned.organisation)
        return planned

    return plan_and_record


def make_sign_in_hook(retriever: RightsRetriever, *, include_exonerations: bool) -> Hook:
    def complete_sign_in(client: FranceConnectClient, token: TokenResult, request: SignInRequest) -> SignInResult:
        for_healthcare = request.journey is None or request.journey in HEALTHCARE_JOURNEYS
        retrieval = retriever.retrieve(
            access_token=token.access_token,
            sources=request.sources,
            userinfo=lambda: client.fetch_userinfo(token),
            include_medecin_traitant=for_healthcare,
            include_exonerations=include_exonerations and for_healthcare,
            recipient=request.recipient,
        )
        return SignInResult(identity=retrieval.identity, rights=retrieval.results)

    return complete_sign_in


def carrying_journey(hook: Hook) -> Hook:
    """The context this browser opened for the request's journey survives the session's renewal, signed in.

    It never travels through the browser: a forged `next` can only pick a context this browser opened itself.
    """

    def complete_sign_in(client: FranceConnectClient, token: TokenResult, request: SignInRequest) -> SignInResult:
        result = hook(client, token, request)
        opened = (_opened_or_signed_in(request.journey, request.organisation)
                  if request.journey and request.organisation else None)
        if opened is None:
            log.info("sign-in without a journey context")
            return result
        return SignInResult(identity=result.identity, rights=result.rights,
                            journey=dataclasses.replace(opened, signed_in=True))

    return complete_sign_in


def _opened_or_signed_in(journey: str, org: str):
    """The context opened before a first sign-in, or, for a new sign-in of the same journey (« Réessayer » when a
    provider did not answer), the one that first sign-in carried: the session's renewal dropped the opened ones."""
    state = sessions.current()
    opened = state.opened_journey(journey, org)
    current = state.journey
    if opened is None and current is not None and (current.journey, current.org) == (journey, org):
        return current
    return opened


def _detail(reason: str) -> str:
    return re.sub(r"[^a-z0-9_:.-]", "_", reason.lower())[:64]


def audited(hook: Hook, audit) -> Hook:
    """Record each successful sign-in in the audit trail (pseudonymous subject, no personal data).

    Each source's outcome is recorded with the dossier it fed (journeys.send_views), once.
    """

    def complete_sign_in(client: FranceConnectClient, token: TokenResult, request: SignInRequest) -> SignInResult:
        result = hook(client, token, request)
        _record(audit, "sign_in_succeeded", journey=request.journey, organisation=request.organisation,
                sub=result.identity.sub)
        return result

    return complete_sign_in


def audit_failure(audit):
    def on_failure(reason: str, request: SignInRequest | None) -> None:
        _record(audit, "sign_in_failed", journey=request.journey if request else None,
                organisation=request.organisation if request else None, detail=_detail(reason))

    return on_failure


def _record(audit, event: str, **fields) -> None:
    try:
        audit.record(event, **fields)
    except Exception as error:  # an audit outage must not fail the person's sign-in
        log.error("audit write failed event=%s type=%s", event, type(error).__name__)
