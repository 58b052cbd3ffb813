"""Identities and rights for the journeys' unit and view tests, built from the model (no provider, no HTTP).

They mirror the sandbox's `test` and `avec_nom_dusage` people (app/sandbox/providers/data.py).
"""

from __future__ import annotations

import datetime as dt

from app.model import rights
from app.model.identity import Identity
from app.model.outcome import SourceResult

AT = "2026-11-22T13:05:00.000+00:00"
SIGNED_IN_AT = "2026-11-22T13:04:58+00:00"

ANGELA = Identity(sub="sub-angela-" + "a" * 40, given_name="Angela Claire Louise", family_name="DUBOIS",
                  birthdate="1962-08-24", gender="female", birthplace="75107", birthcountry="99100",
                  email="wossewodda-3728@yopmail.com")
PIERRE = Identity(sub="sub-pierre-" + "p" * 40, given_name="Pierre", family_name="MERCIER", birthdate="1969-03-17",
                  gender="male", birthplace="95277", email="pierre-mercier-5371@yopmail.com",
                  preferred_username="DUBOIS")
VINCENT = Identity(sub="sub-vincent-" + "v" * 40, given_name="Vincent Guillaume", family_name="MARTIN",
                   birthdate="1963-12-05", gender="male", birthplace="", birthcountry="99352", email=None)

CAISSE = rights.Caisse(id="01751", grand_regime="01", organisme="751", code_centre="0751", label="CPAM de Paris")
AMO = rights.Contract(nature="AMO", start=dt.date(1980, 9, 1), end=None, type_code="BASE", type_label="Droits de base")
OLD_AMO = rights.Contract(nature="AMO", start=dt.date(1970, 1, 1), end=dt.date(1980, 8, 31))
ROUSSEL = rights.MedecinTraitant(last_name="ROUSSEL", first_name="HELENE", numero_am="751999001")


def insured(**changes) -> rights.Beneficiary:
    values = dict(nir="262087510790169", last_name="DUBOIS", first_name="ANGELA", birth_date=dt.date(1962, 8, 24),
                  qualite="assure", has_medecin_traitant=True, caisse=CAISSE, contracts=(OLD_AMO, AMO),
                  exonerations=(), medecin_traitant=ROUSSEL)
    values.update(changes)
    return rights.Beneficiary(**values)


def family() -> rights.CnamRights:
    vo = rights.Caisse(id="01951", label="CPAM du Val-d'Oise")
    return rights.CnamRights(
        insured=insured(nir="169039527790269", last_name="MERCIER", usage_name="DUBOIS", first_name="PIERRE",
                        birth_date=dt.date(1969, 3, 17), caisse=vo),
        beneficiaries=(
            rights.Beneficiary(nir="271105935090375", last_name="DUBOIS", first_name="SOPHIE",
                               birth_date=dt.date(1971, 10, 5), qualite="conjoint", caisse=vo, contracts=(AMO,),
                               exonerations=(), has_medecin_traitant=False),
            rights.Beneficiary(nir="114069527791187", last_name="MERCIER", first_name="LOUIS",
                               birth_date=dt.date(2014, 6, 12), birth_rank=1, qualite="enfant", caisse=vo,
                               contracts=(AMO,), exonerations=(),
                               medecin_traitant=rights.MedecinTraitant(last_name="HAMIDI", first_name="NADIA")),
            rights.Beneficiary(nir="214069527791236", last_name="MERCIER", first_name="JEANNE",
                               birth_date=dt.date(2014, 6, 12), birth_rank=2, qualite="enfant", caisse=vo,
                               contracts=(AMO,), exonerations=(), has_medecin_traitant=False),
        ),
    )


def c2s_ok(beneficiary=True, participation=False) -> SourceResult:
    status = rights.C2SStatus(is_beneficiary=beneficiary, with_participation=participation if beneficiary else False,
                              start_date=dt.date(2023, 2, 1) if beneficiary else None)
    return SourceResult("c2s", "ok", "c2s_ok", status, AT)


def cnam_ok(data: rights.CnamRights | None = None, partial=False) -> SourceResult:
    return SourceResult("cnam", "ok", "cnam_ok", data or rights.CnamRights(insured=insured()), AT, partial)


def failed(source: str, status: str) -> SourceResult:
    return SourceResult(source, status, f"{source}_{status}", None, AT)
