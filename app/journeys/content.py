"""The dossier's content: what the person saw and sent, every value with its provenance. Pure, no Flask.

Format (version 1), a JSON object:
  version, journey, organisation {id, name}, portal_reference (from a signed launch link, else null), submitted_at,
  stay {date, service, type} (pre-admission, what the hospital's signed link said; each a provenance),
  offer {code, label, start_date} (adhesion, what the mutuelle's signed link said; each a provenance),
  patient {kind: self|ayant_droit|other, minor} (pre-admission),
  declarant {birth_name, usage_name?, first_names, birth_date} (the signed-in person, from FranceConnect),
  fields {name: {value, source, at}},
  beneficiaries [{origin: cnam|declared, fields {link, birth_name, usage_name?, first_names, birth_date, nir?}}]
    (adhesion; the subscriber is always covered and is described by `fields`),
  mandate {reference, creditor, ics, signed_on, signed_at_place} (adhesion: the SEPA mandate; its unique reference
    (RUM) is made from the draft's idempotency key, signed on the submission's day (null on the review) in the city
    of the address); the NOEMIE consent is the field `consent_noemie` (true or false),
  sources {c2s|cnam: {status: ok|not_found|unavailable|refused|not_requested, reason, retrieved_at, partial}}.
A provenance is {"value", "source": franceconnect|cnam|api_particulier|organisation|declared, "at": ISO or null}.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping
from typing import Any

from app.journeys.labels import DECLARANT_LINK
from app.journeys.prefill import DECLARED, FRANCECONNECT, ORGANISATION, Prefill, Value, full_name
from app.model.identity import Identity
from app.model.journey import JourneyContext, People
from app.model.organisation import Organisation
from app.model.outcome import SourceResult

VERSION = 1
_BENEFICIARY = re.compile(r"ben([0-9]+)_(.+)")
BENEFICIARY_FIELDS = ("link", "birth_name", "usage_name", "first_names", "birth_date", "nir")


def merge(prefill: Prefill, declared: Mapping[str, Any]) -> dict[str, Value]:
    """Certified values, then what the person typed; an unchanged suggestion keeps its source."""
    values = {name: value for name, value in prefill.values.items() if not value.editable}
    for name, typed in declared.items():
        if name in values or typed is None or typed == "":
            continue  # a certified value always wins; an empty optional field is left out
        suggestion = prefill.values.get(name)
        if suggestion is not None and suggestion.editable and suggestion.value == typed:
            values[name] = suggestion
        else:
            values[name] = Value(typed, DECLARED)
    return values


def expand_choices(values: Mapping[str, Value], identity: Identity, signed_in_at: str | None) -> dict[str, Value]:
    """The form's « Vous-même » and « même personne » choices become the values they stand for, typed once.

    `<role>_who = declarant`: the signed-in parent, with their certified name and the contact phone they typed
    (its provenance kept). `trusted_same`: the personne à prévenir's name and phone. The choices themselves are not
    stored; what they stand for replaces anything posted in the fields they hide."""
    fields = dict(values)
    phone = fields.get("phone")
    for role in ("emergency", "guardian1"):
        choice = fields.pop(f"{role}_who", None)
        if choice is None or choice.value != "declarant":
            continue
        fields[f"{role}_name"] = Value(full_name(identity), FRANCECONNECT, signed_in_at)
        fields.pop(f"{role}_phone", None)
        if phone is not None:
            fields[f"{role}_phone"] = phone
        if role == "emergency":
            fields["emergency_link"] = Value(DECLARANT_LINK, DECLARED)
    same = fields.pop("trusted_same", None)
    if same is not None and same.value is True:
        for part in ("name", "phone"):
            fields.pop(f"trusted_{part}", None)
            if f"emergency_{part}" in fields:
                fields[f"trusted_{part}"] = fields[f"emergency_{part}"]
    return fields


def split_beneficiaries(values: Mapping[str, Value]) -> tuple[dict[str, Value], list[dict[str, Value]]]:
    """Separate the `ben<i>_<field>` values of the beneficiaries typed in by hand from the others."""
    fields: dict[str, Value] = {}
    typed: dict[int, dict[str, Value]] = {}
    for name, value in values.items():
        match = _BENEFICIARY.fullmatch(name)
        if match:
            typed.setdefault(int(match.group(1)), {})[match.group(2)] = value
        else:
            fields[name] = value
    return fields, [typed[i] for i in sorted(typed)]


def stay_values(context: JourneyContext) -> dict[str, Value]:
    """What the hospital's signed launch said of the stay; nothing from an unsigned entry."""
    values = {"date": context.stay_date, "service": context.stay_service, "type": context.stay_type}
    return _from_organisation(context, values)


def offer_values(context: JourneyContext) -> dict[str, Value]:
    """What the mutuelle's signed launch said of the offer; nothing from an unsigned entry."""
    values = {"code": context.offer_code, "label": context.offer_label, "start_date": context.offer_start}
    return _from_organisation(context, values)


def _from_organisation(context: JourneyContext, values: Mapping[str, str | None]) -> dict[str, Value]:
    if not context.signed:
        return {}
    return {name: Value(value, ORGANISATION, context.started_at) for name, value in values.items() if value}


def source_statuses(results: Mapping[str, SourceResult], available: Collection[str]) -> dict[str, dict]:
    statuses = {}
    for source in available:
        result = results.get(source)
        if result is None:
            statuses[source] = {"status": "not_requested", "reason": None, "retrieved_at": None, "partial": False}
        else:
            statuses[source] = {"status": result.status, "reason": result.reason,
                                "retrieved_at": result.retrieved_at or None, "partial": result.partial}
    return statuses


def build_content(*, organisation: Organisation, context: JourneyContext, prefill: Prefill, declared: Mapping,
                  people: People, identity: Identity, results: Mapping[str, SourceResult],
                  available_sources: Collection[str], signed_in_at: str | None, patient_minor: bool | None,
                  submitted_at: str | None, draft_key: str | None = None) -> dict[str, Any]:
    fields, typed = split_beneficiaries(expand_choices(merge(prefill, declared), identity, signed_in_at))
    content: dict[str, Any] = {
        "version": VERSION,
        "journey": context.journey,
        "organisation": {"id": organisation.id, "name": organisation.name},
        "portal_reference": context.ref if context.signed else None,
        "submitted_at": submitted_at,
        "declarant": _declarant(identity, signed_in_at),
        "fields": {name: value.provenance() for name, value in sorted(fields.items())},
        "sources": source_statuses(results, available_sources),
    }
    if context.journey == "preadmission":
        content["stay"] = {name: value.provenance() for name, value in stay_values(context).items()}
        content["patient"] = {"kind": people.patient_kind, "minor": patient_minor}
    else:
        content["offer"] = {name: value.provenance() for name, value in offer_values(context).items()}
        content["beneficiaries"] = (
            [{"origin": "cnam", "fields": _ordered(person)} for person in prefill.beneficiaries]
            + [{"origin": "declared", "fields": _ordered(person)} for person in typed]
        )
        city = fields.get("city")
        content["mandate"] = {
            "reference": mandate_reference(draft_key) if draft_key else None,
            "creditor": organisation.name, "ics": organisation.ics,
            "signed_on": submitted_at[:10] if submitted_at else None,
            "signed_at_place": city.value if city else None,
        }
    return content


def mandate_reference(draft_key: str) -> str:
    """The SEPA mandate's unique reference (RUM): the same for every view of one draft, never the key itself.

    At most 35 characters of the SEPA set; here « DC » and 24 hexadecimal digits of the key's SHA-256."""
    return "DC" + hashlib.sha256(draft_key.encode()).hexdigest()[:24].upper()


def _ordered(person: Mapping[str, Value]) -> dict[str, dict]:
    return {name: person[name].provenance() for name in BENEFICIARY_FIELDS if name in person}


def _declarant(identity: Identity, at: str | None) -> dict[str, dict]:
    values = {"birth_name": identity.family_name, "usage_name": identity.preferred_username,
              "first_names": identity.given_name, "birth_date": identity.birthdate}
    return {name: {"value": value, "source": "franceconnect", "at": at} for name, value in values.items() if value}
