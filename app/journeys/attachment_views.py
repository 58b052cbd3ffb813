"""The « Pièces justificatives » step, between the form and the review: the person attaches files to their draft.

A plain multipart form (CSRF like every form, no JavaScript): one optional file input per kind the journey
collects. Each file is recognised by its content (uploads.py), then stored encrypted and bound to the draft's
idempotency key by the dossiers room, which also enforces the caps. The session holds no file and no list of
files: the draft's key is the only reference, and the store answers which files it has. The attestation de droits
comes first, with the reason, when the CNAM did not give the rights. Refusals are logged as reason codes with the
kind, never with the file's name or content.
"""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request

from app import extensions, sessions
from app.dossiers.attachments import AttachmentLimits
from app.dossiers.errors import AttachmentRefused
from app.journeys import labels, send_views, steps, uploads
from app.model.attachment import KINDS_BY_JOURNEY

log = logging.getLogger(__name__)

FIELD_PREFIX = "piece-"
# Room for the CSRF token and the buttons beside the files in one request body.
FORM_OVERHEAD = 64 * 1024

NOT_A_DOCUMENT = "Ce fichier n’est ni un PDF, ni une photo JPEG, ni une image PNG : choisissez un autre fichier."
DAMAGED = "Ce fichier est incomplet ou abîmé : enregistrez-le de nouveau ou reprenez la photo, puis réessayez."
TOO_MANY_PIXELS = "Cette image est trop grande : reprenez la photo en qualité normale, puis réessayez."
REMOVED = "Le fichier a été retiré de votre dossier."
NOT_ATTACHED = "Ce fichier ne fait plus partie de votre dossier."


def upload_cap() -> int:
    """The body cap of the upload step: every file of one request, within the draft's total."""
    return _limits().max_total_bytes + FORM_OVERHEAD


def _limits() -> AttachmentLimits:
    return extensions.services().dossiers.attachments.limits


def offered_kinds(state: steps.StepState) -> tuple[tuple[str, ...], str | None]:
    """The kinds this journey collects, in the page's order, and why the attestation de droits comes first: the
    reason the rights could not be certified (the prefill's `insurance` gap, the same code the form explains), or
    None. A C2S attestation is offered when the C2S status could not be certified, as the form promises."""
    gaps = state.prefill().gaps
    kinds = list(KINDS_BY_JOURNEY[state.context.journey])
    if gaps.get("c2s"):
        kinds.insert(kinds.index("rights_attestation") + 1, "c2s_attestation")
    why = gaps.get("insurance")
    if why:
        kinds.remove("rights_attestation")
        kinds.insert(0, "rights_attestation")
    return tuple(kinds), why


def with_attachments(content: dict, draft_key: str | None) -> dict:
    """The dossier's content with the draft's files (kind, media type, size, SHA-256, name; never the bytes):
    what the review shows and what the submission binds, in the same order."""
    files = extensions.services().dossiers.attachments.for_draft(draft_key) if draft_key else []
    return {**content, "attachments": [attachment.to_content() for attachment in files]}


def attachments(org_id: str):
    state = steps.signed_in(org_id, need_people=True)
    if (sent := send_views.already_sent(org_id)) is not None:
        return sent
    draft = sessions.current().draft
    if draft is None:
        steps.back_to("form", org_id)
    store = extensions.services().dossiers.attachments
    kinds, attestation_why = offered_kinds(state)
    errors: list[tuple[str, str, str]] = []
    if request.method == "POST":
        errors = _receive(state, draft.key, kinds)
        if not errors:
            going_on = request.form.get("suite") == "continuer"
            return redirect(steps.step_url("review" if going_on else "attachments", org_id), 303)
    return render_template(
        "journeys/attachments.html", state=state, organisation=state.organisation, context=state.context,
        kinds=kinds, attestation_why=attestation_why, attached=store.for_draft(draft.key), errors=errors,
        error_of=dict((field_id, message) for field_id, _, message in errors), limits=store.limits, labels=labels,
        field_prefix=FIELD_PREFIX, title_prefix="Erreur : " if errors else "",
    )


def _receive(state: steps.StepState, draft_key: str, kinds: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """Store each file sent; the errors, per input, in the page's order."""
    names = {FIELD_PREFIX + kind for kind in kinds}
    if any(key not in names or len(request.files.getlist(key)) > 1 for key in request.files):
        log.warning("attachment upload refused reason=unexpected_file_field")
        abort(400)
    store = extensions.services().dossiers.attachments
    errors = []
    for kind in kinds:
        sent = request.files.get(FIELD_PREFIX + kind)
        if sent is None or not sent.filename:
            continue  # an input left empty: browsers send a part with no name and no bytes
        data = sent.stream.read(store.limits.max_file_bytes + 1)
        message = _store_one(state, draft_key, kind, sent.filename, data)
        if message:
            errors.append((FIELD_PREFIX + kind, labels.ATTACHMENT_KINDS[kind][0], message))
    return errors


def _store_one(state: steps.StepState, draft_key: str, kind: str, name: str, data: bytes) -> str | None:
    """None when stored, else the French sentence saying why not."""
    limits = _limits()
    try:
        if len(data) > limits.max_file_bytes:
            raise AttachmentRefused("file_too_large")
        checked = uploads.check_file(data)
        extensions.services().dossiers.attachments.add(
            draft_key=draft_key, organisation=state.organisation.id, journey=state.context.journey, kind=kind,
            media_type=checked.media_type, name=name, data=checked.data)
    except uploads.FileRefused as refused:
        log.info("attachment refused reason=%s kind=%s", refused.reason, kind)
        return {"unknown_type": NOT_A_DOCUMENT, "image_too_many_pixels": TOO_MANY_PIXELS}.get(refused.reason, DAMAGED)
    except AttachmentRefused as refused:
        log.info("attachment refused reason=%s kind=%s", refused.reason, kind)
        return _cap_message(refused.reason, limits)
    return None


def _cap_message(reason: str, limits: AttachmentLimits) -> str:
    if reason == "too_many_files":
        return (f"Vous avez déjà joint {limits.max_count} fichiers, le maximum : retirez-en un pour en ajouter "
                "un autre.")
    if reason == "total_too_large":
        return (f"L’ensemble de vos fichiers dépasserait {labels.size_fr(limits.max_total_bytes)} : retirez un "
                "fichier ou choisissez-en un plus léger.")
    return (f"Ce fichier dépasse {labels.size_fr(limits.max_file_bytes)} : choisissez un fichier plus léger "
            "(une photo en qualité normale, par exemple).")


def remove(org_id: str):
    """« Retirer »: from the upload page or the review; only a file of this draft not yet sent."""
    steps.signed_in(org_id, need_people=True)
    if (sent := send_views.already_sent(org_id)) is not None:
        return sent
    draft = sessions.current().draft
    if draft is None:
        steps.back_to("form", org_id)
    back = "review" if request.form.get("retour") == "verification" else "attachments"
    if extensions.services().dossiers.attachments.remove(draft.key, request.form.get("piece", "")):
        flash(REMOVED, "info")
    else:
        log.warning("attachment removal refused reason=not_an_attachment_of_this_draft")
        flash(NOT_ATTACHED, "info")
    return redirect(steps.step_url(back, org_id), 303)
