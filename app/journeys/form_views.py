"""The form and the review page.

Certified fields are deleted from the form before it reads the request: what the browser sends for them is
never read. The validated values the person typed go to the session's draft, with an idempotency key made
once per draft; the review page shows the dossier exactly as the submission will build it.
"""

from __future__ import annotations

import datetime as dt
import secrets

from flask import redirect, render_template, request
from wtforms import DateField

from app import sessions
from app.journeys import attachment_views, labels, send_views, steps
from app.journeys.forms import PreadmissionForm, adhesion_form, declared_values
from app.journeys.prefill import Prefill
from app.journeys.validators import add_months
from app.model.journey import OTHER, SELF


def form(org_id: str):
    state = steps.signed_in(org_id, need_people=True)
    if (sent := send_views.already_sent(org_id)) is not None:
        return sent
    values = state.prefill()
    page_form = _build_form(state, values)
    if page_form.validate_on_submit():
        sessions.current().save_draft(declared_values(page_form), new_key=lambda: secrets.token_urlsafe(24))
        return redirect(steps.step_url("attachments", org_id), 303)
    errors = steps.error_list(page_form)
    return render_template(
        f"journeys/{state.context.journey}_form.html",
        state=state, form=page_form, prefill=values, errors=errors, labels=labels,
        organisation=state.organisation, context=state.context,
        patient_kind=state.people.patient_kind, patient_is_self=state.people.patient_kind == SELF,
        patient_is_other=state.people.patient_kind == OTHER,
        title_prefix="Erreur : " if errors else "",
    )


def _build_form(state: steps.StepState, values: Prefill):
    journey = state.context.journey
    form_class = PreadmissionForm if journey == "preadmission" else adhesion_form(state.people.declared)
    if request.method == "POST":
        page_form = form_class()
    else:
        page_form = form_class(formdata=None)
        _fill(page_form, _draft_values() or _suggestions(values, journey, state))
    for name in [name for name in page_form._fields if name != "csrf_token"]:
        if values.certified(name) or name in _not_asked(state, values):
            del page_form[name]
    if journey == "preadmission":
        born = values.values.get("birth_date")
        page_form.certified_birth_date = dt.date.fromisoformat(born.value) if values.certified("birth_date") else None
        page_form.reference_day = state.reference_day
    return page_form


def _not_asked(state: steps.StepState, values: Prefill) -> set[str]:
    """Fields that do not apply to this person."""
    hidden: set[str] = set()
    if state.context.journey != "preadmission":
        return hidden
    c2s = values.values.get("c2s")
    if c2s is not None and not c2s.editable and c2s.value != "non":
        hidden |= {"complementary_name", "complementary_number"}  # the C2S is their complementary insurance
    minor = steps.is_minor(values.values["birth_date"].value, state.reference_day) \
        if values.certified("birth_date") else None
    if minor is False:
        hidden |= {"guardian1_name", "guardian1_phone", "guardian2_name", "guardian2_phone"}
    if minor:
        hidden |= {"trusted_name", "trusted_phone"}  # in law, only an adult designates a personne de confiance
    return hidden


def _suggestions(values: Prefill, journey: str, state: steps.StepState) -> dict:
    suggested = {name: value.value for name, value in values.values.items() if value.editable}
    if journey == "adhesion":
        # The date the person chose on the mutuelle's portal, when its signed link said so.
        suggested["start_date"] = (state.context.offer_start if state.context.signed and state.context.offer_start
                                   else add_months(dt.date.today().replace(day=1), 1).isoformat())
    elif state.people.patient_kind != SELF:
        suggested["birth_country"] = "France"
    return suggested


def _fill(page_form, values: dict) -> None:
    for name, value in values.items():
        field = page_form._fields.get(name)
        if field is None:
            continue
        if isinstance(field, DateField) and isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                continue
        field.data = value


def review(org_id: str):
    state = steps.signed_in(org_id, need_people=True)
    if (sent := send_views.already_sent(org_id)) is not None:
        return sent
    declared = _draft_values()
    if declared is None:
        steps.back_to("form", org_id)
    content = attachment_views.with_attachments(state.content(declared, submitted_at=None), state.draft_key)
    return render_template(
        "journeys/review.html", state=state, content=content, labels=labels, organisation=state.organisation,
        context=state.context,
    )


def _draft_values() -> dict | None:
    draft = sessions.current().draft
    return dict(draft.values) if draft else None
