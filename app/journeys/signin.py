"""Completing a FranceConnect sign-in: the identity and the rights, fetched concurrently.

The franceconnect room verifies the ID token, then calls the hook built here. It fetches userinfo and
every chosen data source at once with the access token, which lives only 60 s, and returns what the
server-side session keeps until the journey ends. A provider's failure never fails the sign-in: it
becomes a source result the page explains.
"""

from __future__ import annotations

import logging

from app.connectors.retrieval import RightsRetriever, SourceResult
from app.franceconnect.client import FranceConnectClient, TokenResult
from app.model.identity import Identity

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


def rights_from_session(data: dict | None) -> dict[str, SourceResult]:
    """The source results kept in the session; an unreadable entry (older release) is dropped, not fatal."""
    results = {}
    for source, value in (data or {}).items():
        try:
            results[source] = SourceResult.from_dict(value)
        except (TypeError, ValueError):
            log.warning("dropping an unreadable source result source=%s", source if source in ("c2s", "cnam") else "?")
    return results
