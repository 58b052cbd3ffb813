"""CNAM API droits bodies, built from `data` for one call: schemas of data-providers.md B.5, field for field.

Built with every documented field, None when unknown; `cnam._json` leaves the None ones out, since the
OpenAPI marks no field nullable. Dates
depend on the call's window (`dateDebut`, `dateFin`): the API searches from the call date and knows ends at
most one year ahead (B.4), so rights without a known end run to the window's end.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from app.sandbox.providers.data import C2S, Caisse, Day, Person

BASE = ("BASE", "Droits de base (contrat sans spécificité)")
# UNCONFIRMED codes (B.5): the spec only says AMC contracts are "uniquement CMUC ou ACS" in this version.
CMUC = ("CMUC", "Complémentaire santé solidaire sans participation financière (ex-CMU-C)")
ACS = ("ACS", "Complémentaire santé solidaire avec participation financière (ex-ACS)")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # fromisoformat alone would take week dates and basic format


class InvalidWindow(ValueError):
    """dateDebut/dateFin malformed, in the past or inverted; the message is French, for the body."""


@dataclass(frozen=True)
class Window:
    today: dt.date
    start: dt.date
    end: dt.date

    def overlaps(self, start: dt.date, end: dt.date | None) -> bool:
        return start <= self.end and (end is None or end >= self.start)


def parse_window(date_debut: str | None, date_fin: str | None, today: dt.date) -> Window:
    """The search window of one call: dateDebut defaults to today, dateFin to dateDebut + 1 year (B.4)."""
    start = _parse(date_debut, "dateDebut") if date_debut else today
    # `today` is UTC's; a client in the Antilles (UTC-4) may still be on the day before.
    if start < today - dt.timedelta(days=1):
        raise InvalidWindow("dateDebut ne peut pas être dans le passé.")
    end = _parse(date_fin, "dateFin") if date_fin else _plus_one_year(start)
    if end < start:
        raise InvalidWindow("dateFin doit être postérieure à dateDebut.")
    return Window(today, start, end)


def beneficiaire(person: Person, c2s: C2S | None) -> dict:
    return {
        "nir": person.nir[:13] if person.nir_13 else person.nir,
        "nom_famille": person.nom_famille,
        "nom_usage": person.nom_usage or person.nom_famille,
        "prenom": person.prenom,
        "date_naissance": person.date_naissance,
        "rang_naissance": person.rang_naissance,
        "qualite": person.qualite,
        # A flag only: it does not say with or without participation (B.5).
        "presence_CMUC_ACS": bool(c2s and c2s.est_beneficiaire),
        "medecin_traitant_choisi": person.medecin is not None,
    }


def caisse(c: Caisse) -> dict:
    return {"id": c.id, "grandRegime": c.id[:2], "organisme": c.id[2:], "codeCentre": c.code_centre,
            "libelle": c.libelle, "adresse": dict(c.adresse)}


def contrats(person: Person, c2s: C2S | None, window: Window) -> list[dict]:
    amo_start = dt.date.fromisoformat(person.amo_depuis or person.date_naissance)
    items = [_contrat("AMO", BASE, amo_start, window.end, [(amo_start, window.end)])]
    if c2s and c2s.est_beneficiaire and c2s.date_debut_droit:
        # C2S is granted for 12 months and renewed; the original date stays the start (A.6). Only the
        # current period is known, so the contract ends with it.
        since = dt.date.fromisoformat(c2s.date_debut_droit)
        period_start = _last_anniversary(since, window.start)
        period_end = _plus_one_year(period_start) - dt.timedelta(days=1)
        if window.overlaps(period_start, period_end):
            kind = ACS if c2s.avec_participation else CMUC
            items.append(_contrat("AMC", kind, since, period_end, [(period_start, period_end)]))
    return items


def exonerations(person: Person, window: Window) -> list[dict]:
    items = []
    for exo in person.exonerations:
        start, end = _day(exo.date_debut, window), _day(exo.date_fin, window)
        if not window.overlaps(start, end):
            continue
        maternite = None
        if exo.date_presumee_grossesse is not None:
            maternite = {"date_presumee_grossesse": _iso(_day(exo.date_presumee_grossesse, window)),
                         "date_reelle_accouchement": _iso(_day(exo.date_reelle_accouchement, window))}
        items.append({
            "date_debut": _iso(start),
            "date_fin": _iso(end or window.end),
            "motif": {"code": exo.code, "libelle": exo.libelle, "libelle_long": exo.libelle_long},
            "maternite": maternite,
        })
    return items


def medecin_traitant(person: Person) -> dict | None:
    m = person.medecin
    if m is None:
        return None
    # No end date: a declaration lasts until changed (B.5's date_fin is the doctor's end of activity).
    return {"nom": m.nom, "prenom": m.prenom, "numero_am": m.numero_am, "date_debut": m.date_debut, "date_fin": None}


def _contrat(nature: str, kind: tuple[str, str], start: dt.date, end: dt.date,
             periods: list[tuple[dt.date, dt.date]]) -> dict:
    return {
        "nature_assurance": nature,
        "date_debut": _iso(start),
        "date_fin": _iso(end),
        "details": {"code_type_contrat": kind[0], "libelle_type_contrat": kind[1]},
        "periodes_droits": [{"date_debut": _iso(a), "date_fin": _iso(b)} for a, b in periods],
    }


def _parse(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if _DATE.fullmatch(value) else _invalid(name)
    except ValueError:
        return _invalid(name)


def _invalid(name: str) -> dt.date:
    raise InvalidWindow(f"{name} doit être une date au format AAAA-MM-JJ.")


def _plus_one_year(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _last_anniversary(since: dt.date, on: dt.date) -> dt.date:
    """The latest yearly anniversary of `since` on or before `on` (`since` itself if it is later)."""
    current = since
    while _plus_one_year(current) <= on:
        current = _plus_one_year(current)
    return current


def _day(value: Day | None, window: Window) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, int):
        return window.today + dt.timedelta(days=value)
    return dt.date.fromisoformat(value)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None
