"""Health-insurance rights: the C2S status (API Particulier) and the CNAM rights of a family.

Health data (C2S status, contracts, exemptions, médecin traitant): never store, never log. Every field that
describes a person is hidden from repr. Formats: shared/reference/data-providers.md A.6 and B.5.
`to_dict`/`from_dict` give plain values for the server-side session (dicts, lists, str, int, bool, None;
dates as ISO strings).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

Qualite = Literal[
    "assure", "concubin", "concubin_en_rupture", "pacse", "ex_pacse", "conjoint", "conjoint_separe",
    "conjoint_divorce", "conjoint_veuf", "parent", "enfant", "autre",
]
QUALITES: tuple[str, ...] = typing.get_args(Qualite)
Nature = Literal["AMO", "AMC"]  # AMO: basic scheme; AMC: complementary (C2S, formerly CMU-C/ACS)
NATURES: tuple[str, ...] = typing.get_args(Nature)


_REQUIRED: Any = dataclasses.MISSING


def _hidden(default: Any = None) -> Any:
    """A field kept out of repr: personal or health data. `_hidden(_REQUIRED)` has no default."""
    return dataclasses.field(default=default, repr=False)


class InvalidSessionValue(ValueError):
    """A dict read back from the session does not match the type (e.g. written by an older release)."""


class _SessionValue:
    """Adds `to_dict`/`from_dict` to a frozen dataclass made of the types of this module.

    `from_dict` is msgspec's `convert`: every field checked against its type hint (a bool is no int, a date an ISO
    string, a vocabulary's value one of its own), nested values rebuilt, `__post_init__` run, keys of a later release
    ignored. The session is read back on every journey step: msgspec rebuilds a family's rights in 25 µs where the
    hand-written loader it replaces took 149."""

    def to_dict(self) -> dict[str, Any]:
        return _dump(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        try:
            return msgspec.convert(data, cls)
        except msgspec.ValidationError:
            # msgspec's message quotes the value it refused: the error names the class only.
            raise InvalidSessionValue(f"cannot rebuild {cls.__name__}: ValidationError") from None


@dataclass(frozen=True)
class C2SStatus(_SessionValue):
    """Complémentaire santé solidaire status at the time of the call (API Particulier v3, A.6)."""

    is_beneficiary: bool = _hidden(_REQUIRED)
    # True: C2S with a financial contribution (former ACS); False: free C2S (former CMU-C);
    # None: not a beneficiary, or the provider did not say.
    with_participation: bool | None = _hidden(_REQUIRED)
    start_date: dt.date | None = _hidden(_REQUIRED)  # start of the current entitlement; there is no end date in v3
    # A.6: the provider warns that avec_participation "peut ne pas refléter la situation réelle"
    # (a CNAV fix was planned for Nov 2025, UNCONFIRMED). While False, ask the user for an attestation.
    participation_reliable: bool = False


@dataclass(frozen=True)
class Address:
    """AFNOR XP Z 10-011 postal address of a caisse."""

    recipient: str | None = _hidden()  # destinataire
    delivery_point: str | None = _hidden()  # point_remise
    complement: str | None = _hidden()  # complement_adresse
    street_number: str | None = _hidden()  # numero_voie
    repetition_index: str | None = _hidden()  # indice_repetition (bis, ter…)
    street_type: str | None = _hidden()  # type_voie
    street_name: str | None = _hidden()  # nom_voie
    distribution_mention: str | None = _hidden()  # mention_distribution
    postal_code: str | None = _hidden()
    city: str | None = _hidden()  # commune


@dataclass(frozen=True)
class Caisse:
    """The beneficiary's managing fund. `id` = grand-régime code (2) + caisse code (3), e.g. "01261"."""

    id: str | None = _hidden()
    grand_regime: str | None = _hidden()
    organisme: str | None = _hidden()
    code_centre: str | None = _hidden()
    label: str | None = _hidden()
    address: Address | None = _hidden()


@dataclass(frozen=True)
class Period:
    start: dt.date | None = _hidden()
    end: dt.date | None = _hidden()


@dataclass(frozen=True)
class Contract:
    """A basic (AMO) or complementary (AMC) insurance contract and its periods of entitlement."""

    nature: Nature | None = _hidden()
    start: dt.date | None = _hidden()
    end: dt.date | None = _hidden()
    type_code: str | None = _hidden()  # e.g. "BASE"; the full list is UNCONFIRMED (B.5)
    type_label: str | None = _hidden()
    periods: tuple[Period, ...] = _hidden(())


@dataclass(frozen=True)
class Exoneration:
    """A ticket modérateur exemption; only healthcare establishments may receive these (B.1)."""

    start: dt.date | None = _hidden()
    end: dt.date | None = _hidden()
    motif_code: str | None = _hidden()  # INV, MAT, LIS, EXP, EXC, A115_DET_PML, NE, STE, EDS (B.5); not a closed list
    motif_label: str | None = _hidden()
    motif_long_label: str | None = _hidden()
    presumed_pregnancy_date: dt.date | None = _hidden()
    actual_delivery_date: dt.date | None = _hidden()


@dataclass(frozen=True)
class MedecinTraitant:
    """The declared general practitioner; `numero_am` is the Assurance Maladie number, not RPPS."""

    last_name: str | None = _hidden()
    first_name: str | None = _hidden()
    numero_am: str | None = _hidden()
    start: dt.date | None = _hidden()
    end: dt.date | None = _hidden()  # may already be set in the future when the doctor stops practising


@dataclass(frozen=True)
class Beneficiary(_SessionValue):
    """A person covered by the CNAM: the insured person or one attached to them (B.5 Beneficiaire).

    The details are filled by a per-beneficiary retrieval: `caisse`/`medecin_traitant` None and `contracts` ()
    when absent or not fetched; `exonerations` None when not requested, () when requested and none.
    """

    nir: str | None = _hidden()
    last_name: str | None = _hidden()  # nom_famille
    usage_name: str | None = _hidden()  # nom_usage
    first_name: str | None = _hidden()  # prenom
    birth_date: dt.date | None = _hidden()
    birth_rank: int | None = _hidden()  # rang_naissance, distinguishes twins
    qualite: Qualite | None = _hidden()
    # presence_CMUC_ACS: some complémentaire santé solidaire, without saying which kind.
    has_c2s_flag: bool | None = _hidden()
    has_medecin_traitant: bool | None = _hidden()  # medecin_traitant_choisi
    caisse: Caisse | None = _hidden()
    contracts: tuple[Contract, ...] = _hidden(())
    exonerations: tuple[Exoneration, ...] | None = _hidden()
    medecin_traitant: MedecinTraitant | None = _hidden()


@dataclass(frozen=True)
class CnamRights(_SessionValue):
    """The FranceConnect user (`insured`, from /me) and the beneficiaries attached to them."""

    insured: Beneficiary = _hidden(_REQUIRED)
    beneficiaries: tuple[Beneficiary, ...] = _hidden(())


def _dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_dump(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
