"""Journeys' blueprints (one per journey), the information page and the "who is concerned" step.

URL map, for <journey> = preadmission | adhesion:
  GET       /<journey>/<org_id>/               information, choice of sources, FranceConnect button
  GET, POST /<journey>/<org_id>/personnes      who is concerned (after sign-in)
  GET, POST /<journey>/<org_id>/formulaire     the form
  GET, POST /<journey>/<org_id>/pieces         pièces justificatives (multipart; 303 to itself or the review)
  POST      /<journey>/<org_id>/pieces/retirer remove one of the draft's files
  GET       /<journey>/<org_id>/verification   review
  POST      /<journey>/<org_id>/envoi          submission (303 to the receipt)
  GET       /<journey>/<org_id>/recepisse      receipt
  POST      /<journey>/<org_id>/retour         back to the portal with a signed result
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, abort, redirect, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.fields.choices import SelectChoice

from app import extensions, sessions
from app.journeys import attachment_views, form_views, labels, portal, presentation, send_views, steps
from app.journeys.forms import CoverageForm, PatientForm
from app.journeys.prefill import cnam_beneficiaries, full_name
from app.model.dossier import JOURNEYS
from app.model.journey import AYANT_DROIT, OTHER, SELF, People

# SourceResult statuses that mean the provider did not give an answer (app/model/outcome.py).
FAILED = frozenset({"unavailable", "refused"})

log = logging.getLogger(__name__)

# Form keys that may legitimately repeat; any other repeated key is parameter pollution and gets a 400.
MULTI_VALUED = frozenset({"covered", "sources"})


def init_app(app: Flask) -> None:
    for journey in JOURNEYS:
        app.register_blueprint(make_blueprint(journey))
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    # One table of relationship words for every page that names a beneficiary (the start page's rights too).
    app.add_template_global(labels.LINKS, "relationship_labels")
    app.add_template_global(portal.return_available, "portal_return_available")
    app.add_template_filter(labels.size_fr, "size_fr")
    app.add_template_filter(full_name, "full_name")  # the signed-in person as the pages and the dossier name them
    # Written in Python rather than as macros: a Jinja macro call costs about ten Python calls, and the form and
    # summary pages made a few dozen each (app/journeys/presentation.py).
    for name, function in (("field_input", presentation.text_input), ("field_checkbox", presentation.checkbox),
                           ("field_label", presentation.label), ("field_control", presentation.control),
                           ("field_hint_and_error", presentation.hint_and_error), ("facts", presentation.facts),
                           ("certified_facts", presentation.certified_facts), ("fact", presentation.fact),
                           ("named_facts", presentation.named_facts), ("present_names", presentation.present)):
        app.add_template_global(function, name)


def make_blueprint(journey: str) -> Blueprint:
    bp = Blueprint(journey, __name__, url_prefix=f"/{journey}")
    bp.add_url_rule("/<org_id>/", "information", information, methods=["GET"])
    bp.add_url_rule("/<org_id>/personnes", "people", people, methods=["GET", "POST"])
    bp.add_url_rule("/<org_id>/formulaire", "form", form_views.form, methods=["GET", "POST"])
    bp.add_url_rule("/<org_id>/pieces", "attachments", attachment_views.attachments, methods=["GET", "POST"])
    bp.add_url_rule("/<org_id>/pieces/retirer", "remove_attachment", attachment_views.remove, methods=["POST"])
    bp.add_url_rule("/<org_id>/verification", "review", form_views.review, methods=["GET"])
    bp.add_url_rule("/<org_id>/envoi", "send", send_views.send, methods=["POST"])
    bp.add_url_rule("/<org_id>/recepisse", "receipt", send_views.receipt, methods=["GET"])
    bp.add_url_rule("/<org_id>/retour", "give_back", portal.give_back, methods=["POST"])
    bp.url_value_preprocessor(_upload_cap)
    bp.before_request(_check_form_shape)
    return bp


def _upload_cap(endpoint: str | None, _values: dict | None) -> None:
    # URL value preprocessors run before every before_request function, and those (CSRF, the form-part count)
    # read the body: the upload step's larger cap must be set before them. Every other route keeps
    # MAX_CONTENT_LENGTH.
    if request.method == "POST" and endpoint is not None and endpoint.endswith(".attachments"):
        request.max_content_length = attachment_views.upload_cap()


def _check_form_shape() -> None:
    if request.method != "POST":
        return
    # The number of fields is capped app-wide (app/web.py).
    lists = list(request.form.lists())
    if any(len(values) > 1 and key not in MULTI_VALUED for key, values in lists):
        log.warning("journey form refused: a field was sent twice")
        abort(400)


def _too_large(error):
    # App-wide: any form past MAX_CONTENT_LENGTH or MAX_FORM_PARTS gets this French page, not the generic one.
    log.warning("request refused: body too large or too many fields")
    uploading = request.endpoint is not None and request.endpoint.endswith(".attachments")
    return render_template("journeys/too_large.html", upload_cap=attachment_views.upload_cap() if uploading
                           else None, back=request.path if uploading else None), 413


def information(org_id: str):
    journey = steps.journey()
    organisation = steps.organisation_or_404(org_id)
    try:
        context, launched = portal.opened_context(organisation)
    except portal.EntryRefused as refused:
        return render_template(refused.template, organisation=organisation, journey=journey), refused.status
    if launched:
        # The link has done its work: the token leaves the address bar, the history and any Referer.
        return redirect(steps.step_url("information", org_id), 303)
    settings = extensions.services().settings
    return render_template(
        "journeys/information.html",
        organisation=organisation, journey=journey, context=context, stay_types=labels.STAY_TYPES,
        sources=tuple(s for s in settings.providers.sources if s in organisation.sources),
        hospital=journey == "preadmission",
        exonerations=settings.providers.cnam_exonerations,
        retention_days=settings.dossiers.retention_of(organisation),
        next_path=steps.step_url("people", organisation.id),
    )


def people(org_id: str):
    state = steps.signed_in(org_id)
    listed = cnam_beneficiaries(state.results)
    if state.context.journey == "preadmission":
        form = PatientForm()
        # Labels are written by the template; the choices only say which answers are allowed.
        form.patient.choices = [SelectChoice(value) for value in
                                (SELF, *(f"{AYANT_DROIT}:{i}" for i in range(len(listed))), OTHER)]
    else:
        form = CoverageForm()
        form.covered.choices = [SelectChoice(str(i)) for i in range(len(listed))]
    if request.method == "GET" and state.people is not None:
        _show_choice(form, state.people)
    if form.validate_on_submit():
        if state.context.journey == "preadmission":
            chosen = People(patient=form.patient.data)
        else:
            chosen = People(covered=tuple(sorted(int(i) for i in form.covered.data)),
                            declared=int(form.declared.data))
        sessions.current().choose_people(chosen)
        return redirect(steps.step_url("form", org_id), 303)
    cnam = state.results.get("cnam")
    return render_template(
        "journeys/people.html", state=state, form=form, beneficiaries=listed, organisation=state.organisation,
        errors=steps.error_list(form), title_prefix="Erreur : " if form.errors else "",
        # The CNAM did not answer: the family is unknown, not empty. A retry is a new sign-in of this journey
        # (the 60-second token is gone), with the sources chosen the first time.
        family_failed=cnam is not None and cnam.status in FAILED,
        retry_next=steps.step_url("people", org_id), retry_sources=list(state.results),
    )


def _show_choice(form, chosen: People) -> None:
    if isinstance(form, PatientForm):
        form.patient.data = chosen.patient
    else:
        form.covered.data = [str(i) for i in chosen.covered]
        form.declared.data = str(chosen.declared)
