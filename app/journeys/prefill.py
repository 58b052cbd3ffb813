"""Prefill: from the identity, the rights and the people chosen to form values with their provenance.

A pure function, no Flask: the views call `prefill(...)` on every step, so nothing certified ever has to travel
through the browser. A `Value` that is not `editable` is shown read-only and never read from a form; an editable
one is a suggestion (the FranceConnect e-mail) that keeps its source only while the person leaves it unchanged.
`gaps` says, per group of fields, why a value could not be certified, as a code the templates turn into a
sentence: not_requested, not_available (this deployment or the provider does not give it), not_found,
unavailable, refused, partial, other_person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.model.identity import Identity
from app.model.journey import AYANT_DROIT, OTHER, SELF, People
from app.model.outcome import SourceResult
from app.model.rights import Beneficiary, C2SStatus, CnamRights

FRANCECONNECT, CNAM, API_PARTICULIER, ORGANISATION, DECLARED = (
    "franceconnect", "cnam", "api_particulier", "organisation", "declared")
SEXES = {"female": "F", "male": "M"}
# A NIR's first digit: 1 a man, 2 a woman. 3 and 4 (people born abroad being registered) and 7 and 8 (temporary
# numbers, NIA) are not definitive: nothing is derived from them and the form asks.
_NIR_SEXES = {"1": "M", "2": "F"}


@dataclass(frozen=True)
class Value:
    value: Any = field(repr=False)  # JSON-safe: str, bool, None, list, dict; dates as ISO strings
    source: str
    at: str | None = None  # when the source gave it (ISO 8601); None for what the person typed
    editable: bool = False

    def provenance(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source, "at": self.at}


@dataclass(frozen=True)
class Prefill:
    journey: str
    values: dict[str, Value]  # keyed by form field name; some (insured_nir, c2s_since…) are shown, never asked
    gaps: dict[str, str]  # group -> reason code
    beneficiaries: tuple[dict[str, Value], ...] = ()  # adhesion: the covered CNAM beneficiaries, certified

    def certified(self, name: str) -> bool:
        value = self.values.get(name)
        return value is not None and not value.editable


def cnam_beneficiaries(results: Mapping[str, SourceResult]) -> tuple[Beneficiary, ...]:
    """The people attached to the signed-in insured, as the CNAM listed them (the insured excluded)."""
    result = results.get("cnam")
    if result is None or result.status != "ok":
        return ()
    return tuple(result.data.beneficiaries)


def prefill(journey: str, identity: Identity, results: Mapping[str, SourceResult], people: People, *,
            available_sources: Collection[str] = ("c2s", "cnam"), signed_in_at: str | None = None) -> Prefill:
    values: dict[str, Value] = {}
    gaps: dict[str, str] = {}
    kind = people.patient_kind if journey == "preadmission" else SELF
    cnam = _ok(results, "cnam")
    at = results["cnam"].retrieved_at if cnam else None
    person = _person(cnam, people.patient_index) if kind != OTHER else None
    cnam_reason = _reason(results, "cnam", available_sources)

    if kind == SELF:
        values.update(_own_identity(identity, signed_in_at, adhesion=journey == "adhesion"))
    elif kind == AYANT_DROIT and person is not None:
        values.update(_ayant_droit_identity(person, cnam.insured, at))
    if "sex" not in values and person is not None and (sex := sex_of_nir(person.nir)):
        # The CNAM certified this NIR for this person: its first digit says the sex the registry holds.
        values["sex"] = Value(sex, CNAM, at)
    if identity.email:
        values["email"] = Value(identity.email, FRANCECONNECT, signed_in_at, editable=True)

    if kind == OTHER:
        gaps["insurance"] = OTHER
    elif person is None:
        gaps["insurance"] = cnam_reason or "not_available"
    else:
        _insurance(values, gaps, person, at, partial=results["cnam"].partial, hospital=journey == "preadmission")
    _c2s(values, gaps, results, available_sources, other=kind == OTHER)

    beneficiaries: tuple[dict[str, Value], ...] = ()
    if journey == "adhesion":
        values["account_holder"] = Value(full_name(identity), FRANCECONNECT, signed_in_at, editable=True)
        beneficiaries = _adhesion_beneficiaries(gaps, results, people.covered, at, cnam_reason)
    return Prefill(journey=journey, values=values, gaps=gaps, beneficiaries=beneficiaries)


def sex_of_nir(nir: str | None) -> str | None:
    """F or M from a definitive NIR (first digit 1 or 2); None for a temporary one or none."""
    return _NIR_SEXES.get(nir[:1]) if nir else None


def _ok(results: Mapping[str, SourceResult], source: str) -> Any:
    result = results.get(source)
    return result.data if result is not None and result.status == "ok" else None


def _reason(results: Mapping[str, SourceResult], source: str, available: Collection[str]) -> str | None:
    result = results.get(source)
    if result is None:
        return "not_requested" if source in available else "not_available"
    return None if result.status == "ok" else result.status


def _person(cnam: CnamRights | None, index: int | None) -> Beneficiary | None:
    if cnam is None:
        return None
    if index is None:
        return cnam.insured
    return cnam.beneficiaries[index] if 0 <= index < len(cnam.beneficiaries) else None


def _franceconnect_identity(identity: Identity, at: str | None) -> dict[str, Value]:
    values = {
        "birth_name": Value(identity.family_name, FRANCECONNECT, at),
        "birth_date": Value(identity.birthdate, FRANCECONNECT, at),
        "birth_country": Value(identity.birthcountry, FRANCECONNECT, at),  # INSEE COG code, 99100 = France
    }
    if identity.given_name:
        # Without one (never seen: FC refuses such identities, Y600006), the form asks the person to type it.
        values["first_names"] = Value(identity.given_name, FRANCECONNECT, at)
    if identity.preferred_username:
        # Only when sent: without the scope, or without a usage name, the person may type one in.
        values["usage_name"] = Value(identity.preferred_username, FRANCECONNECT, at)
    if identity.birthplace:
        values["birth_place"] = Value(identity.birthplace, FRANCECONNECT, at)  # INSEE COG commune code
    elif identity.born_abroad:
        values["birth_place"] = Value("", FRANCECONNECT, at)  # born abroad: FranceConnect gives no commune
    if identity.gender in SEXES:
        values["sex"] = Value(SEXES[identity.gender], FRANCECONNECT, at)
    # "unspecified" (the RNIPP's third value) or no gender: the hospital's record and the NIR need F or M, so the
    # form asks the person, who declares it; the identity keeps what FranceConnect said.
    return values


def _beneficiary_identity(person: Beneficiary, at: str | None) -> dict[str, Value]:
    # Sex and place of birth are not in the CNAM's answer: the person types them in.
    values = {
        "birth_name": person.last_name, "usage_name": person.usage_name, "first_names": person.first_name,
        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
    }
    return {name: Value(value, CNAM, at) for name, value in values.items() if value}


def _own_identity(identity: Identity, at: str | None, *, adhesion: bool) -> dict[str, Value]:
    values = _franceconnect_identity(identity, at)
    if adhesion:
        # A mutuelle prices on age, not on where one was born: it gets no place of birth.
        values.pop("birth_place", None)
        values.pop("birth_country", None)
    return values


def _ayant_droit_identity(person: Beneficiary, insured: Beneficiary, at: str | None) -> dict[str, Value]:
    values = _beneficiary_identity(person, at)
    if insured.nir:
        values["insured_nir"] = Value(insured.nir, CNAM, at)
    # A parent pre-admitting their child is offered as the first holder of parental authority and the personne à
    # prévenir by a choice on the form (« Vous-même »), so neither their name nor their phone is typed again.
    return values


def full_name(identity: Identity) -> str:
    """The signed-in person as they are called: first names and usage name (else birth name)."""
    return " ".join(filter(None, (identity.given_name, identity.preferred_username or identity.family_name)))


def _insurance(values: dict[str, Value], gaps: dict[str, str], person: Beneficiary, at: str | None, *,
               partial: bool, hospital: bool) -> None:
    missing = "partial" if partial else "not_available"
    if person.nir:
        values["nir"] = Value(person.nir, CNAM, at)
    else:
        gaps["nir"] = missing
    # The CNAM API droits only answers for the régime général: a person it knows belongs to it.
    values["regime"] = Value("general", CNAM, at)
    if person.caisse and (person.caisse.label or person.caisse.id):
        values["caisse"] = Value(person.caisse.label or person.caisse.id, CNAM, at)
        if person.caisse.id:
            values["caisse_code"] = Value(person.caisse.id, CNAM, at)
    else:
        gaps["caisse"] = missing
    if hospital:
        _hospital_rights(values, gaps, person, at, missing)


def _hospital_rights(values: dict[str, Value], gaps: dict[str, str], person: Beneficiary, at: str | None,
                     missing: str) -> None:
    """What only a healthcare establishment gets: the basic-rights contract, exemptions, médecin traitant."""
    amo = _current_amo(person, dt.date.fromisoformat(at[:10]) if at else dt.date.today())
    if amo is not None:
        values["amo_start"] = Value(amo.start.isoformat() if amo.start else None, CNAM, at)
        values["amo_end"] = Value(amo.end.isoformat() if amo.end else None, CNAM, at)
    else:
        gaps["amo"] = missing
    if person.exonerations is not None:
        values["exoneration"] = Value([
            {"code": e.motif_code, "label": e.motif_label, "start": _iso(e.start), "end": _iso(e.end)}
            for e in person.exonerations
        ], CNAM, at)
    else:
        gaps["exoneration"] = missing
    _medecin_traitant(values, gaps, person, at, missing)


def _medecin_traitant(values: dict[str, Value], gaps: dict[str, str], person: Beneficiary, at: str | None,
                      missing: str) -> None:
    doctor = person.medecin_traitant
    if doctor is not None:
        values["medecin_traitant"] = Value(" ".join(filter(None, (doctor.first_name, doctor.last_name))), CNAM, at)
        if doctor.numero_am:
            values["medecin_traitant_numero_am"] = Value(doctor.numero_am, CNAM, at)
    elif person.has_medecin_traitant is False:
        values["medecin_traitant"] = Value(None, CNAM, at)  # the CNAM says none is declared
    else:
        gaps["medecin_traitant"] = missing


def _current_amo(person: Beneficiary, today: dt.date):
    """The basic-rights contract covering today, else the latest one."""
    contracts = [c for c in person.contracts if c.nature == "AMO"]
    current = [c for c in contracts if (c.start is None or c.start <= today) and (c.end is None or c.end >= today)]
    candidates = current or contracts
    return max(candidates, key=lambda c: c.start or dt.date.min) if candidates else None


def _c2s(values: dict[str, Value], gaps: dict[str, str], results: Mapping[str, SourceResult],
         available: Collection[str], *, other: bool) -> None:
    c2s = _ok(results, "c2s")
    if other:
        gaps["c2s"] = OTHER
    elif c2s is None:
        gaps["c2s"] = _reason(results, "c2s", available) or "not_available"
    else:
        # The C2S covers the household: an ayant droit of the signed-in insured shares the status.
        c2s_at = results["c2s"].retrieved_at
        values["c2s"] = Value(_c2s_code(c2s), API_PARTICULIER, c2s_at)
        if c2s.is_beneficiary and c2s.start_date:
            values["c2s_since"] = Value(c2s.start_date.isoformat(), API_PARTICULIER, c2s_at)


def _c2s_code(status: C2SStatus) -> str:
    if not status.is_beneficiary:
        return "non"
    return {True: "avec_participation", False: "sans_participation", None: "oui"}[status.with_participation]


def _adhesion_beneficiaries(gaps: dict[str, str], results: Mapping[str, SourceResult], covered: tuple[int, ...],
                            at: str | None, cnam_reason: str | None) -> tuple[dict[str, Value], ...]:
    """The chosen CNAM beneficiaries (indices outside the list ignored); when none is listed, `gaps` says why."""
    listed = cnam_beneficiaries(results)
    if not listed:
        gaps["beneficiaries"] = cnam_reason or ("not_available" if _ok(results, "cnam") is None else "none")
    return tuple(_covered(listed[i], at) for i in covered if 0 <= i < len(listed))


def _covered(person: Beneficiary, at: str | None) -> dict[str, Value]:
    values = _beneficiary_identity(person, at)
    if person.qualite:
        values["link"] = Value(person.qualite, CNAM, at)
    if person.nir:
        values["nir"] = Value(person.nir, CNAM, at)
    return values


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None
