"""Completing a FranceConnect sign-in: the identity and the rights, fetched concurrently.

The franceconnect room verifies the ID token, then calls the hook built here. It fetches userinfo and
every chosen data source at once with the access token, which lives only 60 s, and returns what the
server-side session keeps until the journey ends. A provider's failure never fails the sign-in: it
becomes a source result the page explains.
"""

from __future__ import annotations

import logging
import re

from app.connectors.retrieval import RightsRetriever
from app.franceconnect.client import FranceConnectClient, TokenResult
from app.model.identity import Identity
from app.model.outcome import SourceResult

log = logging.getLogger(__name__)

RIGHTS = "rights"  # session key: source -> SourceResult dict


# Exonérations and the médecin traitant may only go to healthcare establishments (data-providers.md
# B.1): a mutuelle's journey never fetches them, whatever the person's browser sends.
MUTUELLE_PREFIX = "/adhesion/"


def make_sign_in_hook(retriever: RightsRetriever, *, include_exonerations: bool):
    def complete_sign_in(client: FranceConnectClient, token: TokenResult, context: dict) -> tuple[Identity, dict]:
        sources = list(context.get("sources") or [])
        for_mutuelle = str(context.get("next", "")).startswith(MUTUELLE_PREFIX)
        retrieval = retriever.retrieve(
            access_token=token.access_token,
            sources=sources,
            userinfo=lambda: client.fetch_userinfo(token),
            include_medecin_traitant=not for_mutuelle,
            include_exonerations=include_exonerations and not for_mutuelle,
        )
        return retrieval.identity, {RIGHTS: {source: r.to_dict() for source, r in retrieval.results.items()}}

    return complete_sign_in


def journey_of(next_path: str) -> tuple[str | None, str | None]:
    """("preadmission", "chu-demo") from "/preadmission/chu-demo/personnes"; (None, None) elsewhere."""
    parts = str(next_path or "").split("/")
    if len(parts) > 2 and parts[1] in ("preadmission", "adhesion") and parts[2]:
        return parts[1], parts[2]
    return None, None


def _detail(reason: str) -> str:
    return re.sub(r"[^a-z0-9_:.-]", "_", reason.lower())[:64]


def audited(hook, audit):
    """Record each successful sign-in in the audit trail (pseudonymous subject, no personal data).

    Each source's outcome is recorded with the dossier it fed (journeys.send_views), once.
    """

    def complete_sign_in(client: FranceConnectClient, token: TokenResult, context: dict) -> tuple[Identity, dict]:
        identity, extra = hook(client, token, context)
        journey, org = journey_of(context.get("next", ""))
        _record(audit, "sign_in_succeeded", journey=journey, organisation=org, sub=identity.sub)
        return identity, extra

    return complete_sign_in


def audit_failure(audit):
    def on_failure(reason: str, context: dict) -> None:
        journey, org = journey_of(context.get("next", ""))
        _record(audit, "sign_in_failed", journey=journey, organisation=org, detail=_detail(reason))

    return on_failure


def _record(audit, event: str, **fields) -> None:
    try:
        audit.record(event, **fields)
    except Exception as error:  # an audit outage must not fail the person's sign-in
        log.error("audit write failed event=%s type=%s", event, type(error).__name__)


def rights_from_session(data: dict | None) -> dict[str, SourceResult]:
    """The source results kept in the session; an unreadable entry (older release) is dropped, not fatal."""
    results = {}
    for source, value in (data or {}).items():
        try:
            results[source] = SourceResult.from_dict(value)
        except (TypeError, ValueError):
            log.warning("dropping an unreadable source result source=%s", source if source in ("c2s", "cnam") else "?")
    return results
