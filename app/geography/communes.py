"""The communes of INSEE's Code officiel géographique (COG), as Etalab's `@etalab/decoupage-administratif` ships
them: current communes with their postal codes, Paris, Lyon and Marseille's arrondissements municipaux, and the
former communes that live on as communes déléguées or associées (so a birth place coded before a merger still
has its name). Pure: no Flask; loaded once per file and shared.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

CURRENT, ARRONDISSEMENT = "commune-actuelle", "arrondissement-municipal"
FORMER = frozenset({"commune-deleguee", "commune-associee"})


class GeographyDataError(ValueError):
    """The communes' file is not what the package ships; the message names the file, never a person's data."""


@dataclass(frozen=True)
class Commune:
    code: str  # INSEE COG code, e.g. 75056, 2A004
    name: str
    department: str
    kind: str  # CURRENT, ARRONDISSEMENT, or one of FORMER
    current_code: str | None = None  # a former commune's: the commune it belongs to today


class Communes:
    """Look-ups by postal code (where a person lives) and by code (where a person was born)."""

    def __init__(self, entries: Iterable[Mapping], *, version: str) -> None:
        self.version = version
        self._current: dict[str, Commune] = {}
        self._by_code: dict[str, Commune] = {}
        by_postal_code: dict[str, list[Commune]] = defaultdict(list)
        for entry in entries:
            commune = _commune(entry)
            if commune.kind in FORMER:
                # A code both current and former (the merged commune kept it) names, for a birth, the former one:
                # most people born there were born before the merger.
                self._by_code[commune.code] = commune
                continue
            self._by_code.setdefault(commune.code, commune)
            if commune.kind == CURRENT:
                self._current[commune.code] = commune
                # An address names the commune (Paris), not its arrondissement: only current communes are offered.
                for postal_code in entry.get("codesPostaux") or ():
                    by_postal_code[postal_code].append(commune)
                for old_code in entry.get("anciensCodes") or ():
                    self._by_code.setdefault(old_code, commune)  # Corsica's 20xxx before 2A/2B, for instance
        self._by_postal_code = {code: tuple(sorted(found, key=_alphabetical))
                                for code, found in by_postal_code.items()}

    def for_postal_code(self, postal_code: str) -> tuple[Commune, ...]:
        """The current communes served by this postal code, by name; () for an unknown one."""
        return self._by_postal_code.get(postal_code, ())

    def current(self, code: str) -> Commune | None:
        return self._current.get(code)

    def birth_place(self, code: str) -> str | None:
        """How a birth place's code reads: « Paris 7e Arrondissement (75) », « Arbignieu (aujourd’hui Arboys en
        Bugey, 01) »; None for a code the data does not know."""
        commune = self._by_code.get(code)
        if commune is None:
            return None
        today = self._current.get(commune.current_code or "") if commune.kind in FORMER else None
        if today is not None and today.name != commune.name:
            return f"{commune.name} (aujourd’hui {today.name}, {commune.department})"
        return f"{commune.name} ({commune.department})"


def _alphabetical(commune: Commune) -> str:
    # As a French reader sorts: Brégnier before Brens (accents ignored), case ignored.
    return "".join(c for c in unicodedata.normalize("NFD", commune.name) if not unicodedata.combining(c)).casefold()


def _commune(entry: Mapping) -> Commune:
    try:
        code, name, kind = entry["code"], entry["nom"], entry["type"]
        department = entry.get("departement") or ""
    except (KeyError, TypeError):
        raise GeographyDataError("a commune entry lacks its code, name or type") from None
    if not all(isinstance(value, str) for value in (code, name, kind, department)):
        raise GeographyDataError("a commune entry is not made of text")
    parent = entry.get("chefLieu") if kind in FORMER else entry.get("commune") if kind == ARRONDISSEMENT else None
    return Commune(code=code, name=name, department=department, kind=kind,
                   current_code=parent if isinstance(parent, str) else None)


@functools.cache
def _load(path: Path, mtime_ns: int, version: str) -> Communes:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise GeographyDataError(f"{path} is not readable JSON") from error
    if not isinstance(entries, list):
        raise GeographyDataError(f"{path} is not a list of communes")
    return Communes(entries, version=version)


def load(path: Path, *, version: str) -> Communes:
    """The communes of the package's file, read once per file version: every app of a process shares them."""
    return _load(path, path.stat().st_mtime_ns, version)
