"""The acknowledgement itself: a French e-mail, plain text with a simple HTML alternative.

It says only what the receipt page says about the dossier's fate: its reference, the organisation, what happens
next, and where to exercise one's rights. Nothing of the form but the address it is sent to: no NIR, no health
datum, no rights value, no name.
"""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html import escape

from app.model.organisation import Organisation

NEXT_STEPS = {
    "preadmission": (
        "{name} va récupérer votre dossier et préparer votre admission. Si une pièce manque, l’établissement "
        "vous contactera.",
        "Le jour de votre arrivée, présentez-vous directement au service avec une pièce d’identité du patient.",
        "Si une information n’a pas pu être vérifiée, gardez avec vous le justificatif correspondant "
        "(attestation de droits, attestation C2S, carte de mutuelle).",
    ),
    "adhesion": (
        "{name} étudie votre demande et vous envoie votre contrat, votre carte de tiers payant et votre mandat "
        "de prélèvement SEPA.",
        "Si une information n’a pas pu être vérifiée, la mutuelle pourra vous demander le justificatif "
        "correspondant.",
    ),
}


def acknowledgement(*, reference: str, organisation: Organisation, journey: str, recipient: str, sender: str,
                    at: dt.datetime) -> EmailMessage:
    """The message for `recipient`; `journey` picks the next steps (as on the receipt page)."""
    name = organisation.name
    steps = [step.format(name=name) for step in NEXT_STEPS[journey]]
    rights = _rights(organisation)
    message = EmailMessage()
    message["Subject"] = f"Votre dossier {reference} a été envoyé à {name}"
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(at)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">") or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_text(reference, name, steps, rights))
    message.add_alternative(_html(reference, name, steps, rights), subtype="html")
    message["Content-Language"] = "fr"  # after the parts: making them moves the content headers down
    return message


def _rights(organisation: Organisation) -> list[str]:
    lines = [f"Pour une question, une correction, ou pour exercer vos droits sur vos données (accès, "
             f"rectification, effacement, opposition), contactez {organisation.name} : {organisation.contact}."]
    if organisation.dpo:
        lines.append(f"Délégué à la protection des données de {organisation.name} : {organisation.dpo}.")
    lines.append("Vous pouvez aussi adresser une réclamation à la CNIL (www.cnil.fr).")
    return lines


def _text(reference: str, name: str, steps: list[str], rights: list[str]) -> str:
    return "\n".join([
        "Bonjour,",
        "",
        f"Votre dossier a été envoyé à {name}.",
        f"Référence de votre dossier : {reference}",
        f"Notez cette référence : elle vous sera demandée si vous contactez {name} à propos de ce dossier.",
        "",
        "Et maintenant ?",
        *[f"- {step}" for step in steps],
        "",
        "Vos droits",
        *rights,
        "",
        "Ce message est envoyé automatiquement par Droits Connect ; merci de ne pas y répondre.",
        "",
    ])


def _html(reference: str, name: str, steps: list[str], rights: list[str]) -> str:
    items = "".join(f"<li>{escape(step)}</li>" for step in steps)
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in rights)
    return (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        f"<title>Votre dossier {escape(reference)} a été envoyé</title></head>"
        '<body style="font-family: sans-serif; font-size: 16px; line-height: 1.5; color: #161616;">'
        f"<h1 style=\"font-size: 1.4em;\">Votre dossier a été envoyé à {escape(name)}</h1>"
        f"<p>Référence de votre dossier : <strong>{escape(reference)}</strong></p>"
        f"<p>Notez cette référence : elle vous sera demandée si vous contactez {escape(name)} "
        "à propos de ce dossier.</p>"
        f"<h2 style=\"font-size: 1.2em;\">Et maintenant ?</h2><ul>{items}</ul>"
        f"<h2 style=\"font-size: 1.2em;\">Vos droits</h2>{paragraphs}"
        "<p>Ce message est envoyé automatiquement par Droits Connect ; merci de ne pas y répondre.</p>"
        "</body></html>\n"
    )
