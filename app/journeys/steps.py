"""What every step after the information page needs: the organisation, a signed-in context, and the prefill.

`signed_in` gathers them into a `StepState`; a step reached without them redirects to the information page with
a French message (`abort` with a redirect response, so views read straight). The state is read from the typed
session (app/sessions.py) on each request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, request, url_for

from app import extensions, sessions
from app.config import Settings
from app.journeys import validators
from app.journeys.content import build_content
from app.journeys.prefill import Prefill, prefill
from app.model.identity import Identity
from app.model.journey import JourneyContext, People
from app.model.organisation import JOURNEY_OF_KIND, Organisation
from app.model.outcome import SourceResult

SIGN_IN_FIRST = "Pour continuer, identifiez-vous avec FranceConnect depuis cette page."


def settings() -> Settings:
    return extensions.services().settings


def journey() -> str:
    return request.blueprint


def step_url(step: str, org_id: str, **values: Any) -> str:
    return url_for(f"{journey()}.{step}", org_id=org_id, **values)


def organisation_or_404(org_id: str) -> Organisation:
    organisation = settings().organisations.get(org_id)
    if organisation is None or JOURNEY_OF_KIND[organisation.kind] != journey():
        abort(404)
    return organisation


def back_to(step: str, org_id: str, message: str | None = None):
    """Stop the request here: a 303 to another step, with a message shown there."""
    if message:
        flash(message, "info")
    abort(redirect(step_url(step, org_id), 303))


@dataclass(frozen=True)
class StepState:
    organisation: Organisation
    context: JourneyContext
    identity: Identity
    results: dict[str, SourceResult]
    people: People | None
    available_sources: tuple[str, ...]
    signed_in_at: str | None
    draft_key: str | None = None  # the idempotency key of the draft, when there is one (the mandate's RUM)

    def prefill(self) -> Prefill:
        return prefill(self.context.journey, self.identity, self.results, self.people or People(),
                       available_sources=self.available_sources, signed_in_at=self.signed_in_at)

    @property
    def reference_day(self) -> dt.date:
        """The day a patient's age is counted on: the stay's when the hospital gave it, else today."""
        return dt.date.fromisoformat(self.context.stay_date) if self.context.stay_date else dt.date.today()

    def content(self, declared: dict, *, submitted_at: str | None) -> dict:
        values = self.prefill()
        born = declared.get("birth_date") or (values.values["birth_date"].value
                                               if "birth_date" in values.values else None)
        return build_content(
            organisation=self.organisation, context=self.context, prefill=values, declared=declared,
            people=self.people or People(), identity=self.identity, results=self.results,
            available_sources=self.available_sources, signed_in_at=self.signed_in_at,
            patient_minor=is_minor(born, self.reference_day) if self.context.journey == "preadmission" else None,
            submitted_at=submitted_at, draft_key=self.draft_key,
        )


def signed_in(org_id: str, *, need_people: bool = False) -> StepState:
    organisation = organisation_or_404(org_id)
    state = sessions.current()
    context, identity = state.journey, state.identity
    if context is None or not context.signed_in or (context.journey, context.org) != (journey(), org_id) \
            or identity is None:
        back_to("information", org_id, SIGN_IN_FIRST)
    people = state.people
    if need_people and people is None:
        back_to("people", org_id)
    created = state.created_at
    draft = state.draft
    return StepState(
        organisation=organisation, context=context, identity=identity, results=state.rights, people=people,
        available_sources=settings().providers.sources,
        signed_in_at=dt.datetime.fromtimestamp(created, dt.UTC).isoformat(timespec="seconds") if created else None,
        draft_key=draft.key if draft else None,
    )


def is_minor(birth_date: str | None, day: dt.date) -> bool | None:
    """From an ISO birth date; None when it is unknown."""
    return validators.is_minor(dt.date.fromisoformat(birth_date), day) if birth_date else None


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def error_list(form) -> list[tuple[str, str, str]]:
    """(field id, label, first message) for the error summary, in the order the page shows the fields.

    A form that declares `rendered_order` (its template's order) is listed in it; fields it does not name keep the
    form's order, after."""
    order = {name: i for i, name in enumerate(getattr(form, "rendered_order", ()))}
    fields = [field for field in form if field.errors and field.name != "csrf_token"]
    fields.sort(key=lambda field: order.get(field.name, len(order)))
    return [(field.id, field.label.text.rstrip("."), field.errors[0]) for field in fields]
