"""The form and the review page.

Certified fields are left out of the form before it reads the request: what the browser sends for them is
never read. The validated values the person typed go to the session's draft, with an idempotency key made
once per draft; the review page shows the dossier exactly as the submission will build it.
"""

from __future__ import annotations

import datetime as dt
import secrets

from flask import redirect, render_template, request
from wtforms import DateField

from app import extensions, sessions
from app.journeys import attachment_views, labels, send_views, steps
from app.journeys.forms import PreadmissionForm, adhesion_form, asking, declared_values, field_names
from app.journeys.prefill import Prefill
from app.journeys.validators import add_months
from app.model.journey import AYANT_DROIT, OTHER, SELF


def form(org_id: str):
    state = steps.signed_in(org_id, need_people=True)
    if (sent := send_views.already_sent(org_id)) is not None:
        return sent
    values = state.prefill()
    page_form = _build_form(state, values)
    if request.method == "POST" and request.form.get("find_city"):
        # « Trouver la commune » (a submit button, so it works without JavaScript): the page comes back with the
        # postal code's communes to choose from; nothing else is checked or kept yet.
        page_form.find_communes()
        errors = steps.error_list(page_form)
    elif page_form.validate_on_submit():
        sessions.current().save_draft(declared_values(page_form), new_key=lambda: secrets.token_urlsafe(24))
        return redirect(steps.step_url("attachments", org_id), 303)
    else:
        errors = steps.error_list(page_form)
    return render_template(
        f"journeys/{state.context.journey}_form.html",
        state=state, form=page_form, prefill=values, errors=errors, labels=labels,
        organisation=state.organisation, context=state.context,
        patient_kind=state.people.patient_kind, patient_is_self=state.people.patient_kind == SELF,
        patient_is_other=state.people.patient_kind == OTHER, patient_is_minor=bool(_known_minor(state, values)),
        title_prefix="Erreur : " if errors else "",
    )


def _build_form(state: steps.StepState, values: Prefill):
    journey = state.context.journey
    form_class = PreadmissionForm if journey == "preadmission" else adhesion_form(state.people.declared)
    communes = extensions.services().communes
    # The commune is chosen among the postal code's where the data is installed, typed otherwise.
    not_asked = _not_asked(state, values) | ({"city"} if communes is not None else {"city_code"})
    form_class = asking(form_class, frozenset(name for name in field_names(form_class)
                                              if values.certified(name) or name in not_asked))
    if request.method == "POST":
        page_form = form_class()
    else:
        page_form = form_class(formdata=None)
        _fill(page_form, _draft_values() or _suggestions(values, journey, state))
    if communes is not None:
        page_form.offer_communes(communes)
    if _known_minor(state, values) and "emergency_link" in page_form:
        page_form.emergency_link.label.text = "Lien avec l’enfant"  # the form speaks of the child it is about
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
    minor = _known_minor(state, values)
    if minor is False:
        hidden |= {"guardian1_who", "guardian1_name", "guardian1_phone", "guardian2_name", "guardian2_phone"}
    if minor:
        # In law, only an adult designates a personne de confiance.
        hidden |= {"trusted_same", "trusted_name", "trusted_phone"}
    if not (minor and state.people.patient_kind == AYANT_DROIT):
        # Only a parent admitting their child (listed by the CNAM) is offered as the person asked for: elsewhere
        # the contact phone may be the patient's own.
        hidden |= {"emergency_who", "guardian1_who"}
    return hidden


def _known_minor(state: steps.StepState, values: Prefill) -> bool | None:
    """Whether the patient is a minor, when a certified birth date says so; None when it is typed on the form."""
    if state.context.journey != "preadmission" or not values.certified("birth_date"):
        return None
    return steps.is_minor(values.values["birth_date"].value, state.reference_day)


def _suggestions(values: Prefill, journey: str, state: steps.StepState) -> dict:
    suggested = {name: value.value for name, value in values.values.items() if value.editable}
    if journey == "adhesion":
        # The date the person chose on the mutuelle's portal, when its signed link said so.
        suggested["start_date"] = (state.context.offer_start if state.context.signed and state.context.offer_start
                                   else add_months(dt.date.today().replace(day=1), 1).isoformat())
    elif state.people.patient_kind != SELF:
        suggested["birth_country"] = "France"
        # Offered first (and only) to a parent admitting their child: « Vous-même », with the phone typed above.
        suggested["emergency_who"] = suggested["guardian1_who"] = "declarant"
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
