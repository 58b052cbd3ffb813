"""What API Particulier (C2S) and the CNAM know of each test identity, keyed by its FC `login`.

Fictitious people and doctors. NIRs are valid (15 characters, key = 97 - (13 digits mod 97), 2A → 19 and
2B → 18), match sex, birth year, month and place (department + commune, or 99 + country when born abroad),
and use serial numbers 901-925, which mark them as test data. The CNAM writes names in capitals without
accents, as its files do (UNCONFIRMED for the API), so matching FC's identity needs normalising.

| login                      | C2S (API Particulier)              | CNAM (API droits)                                 |
|----------------------------|------------------------------------|---------------------------------------------------|
| `test`                     | beneficiary without participation  | CPAM de Paris; NIR 262087510790169; AMO + AMC     |
|                            | since 2023-02-01 (as API           | CMUC; médecin traitant; no beneficiaries          |
|                            | Particulier's staging)             |                                                   |
| `avec_nom_dusage`          | non-beneficiary                    | CPAM du Val-d'Oise; NIR 169039527790269, nom      |
|                            |                                    | d'usage DUBOIS; beneficiaries: spouse Sophie      |
|                            |                                    | DUBOIS (conjoint, 271105935090375) and twins born |
|                            |                                    | 2014-06-12: Louis (rang 1, 114069527791187, with  |
|                            |                                    | a médecin traitant) and Jeanne (rang 2,           |
|                            |                                    | 214069527791236, without)                         |
| `nom_composé`              | beneficiary with participation     | CPAM des Bouches-du-Rhône; NIR 281071301290454;   |
|                            | since 2023-06-01                   | AMO + AMC ACS; médecin traitant                   |
| `prénom_composé`           | non-beneficiary                    | CPAM de la Haute-Garonne; NIR 245093155590511;    |
|                            |                                    | exemption INV since 2005-10-01; médecin traitant  |
| `test_CORSE_2A`            | non-beneficiary                    | CPAM de la Corse-du-Sud; NIR 181022A00490603      |
|                            |                                    | (department 2A); médecin traitant                 |
| `naissance_Algérie`        | unknown to the RNCPS: 404 `37003`  | CPAM du Rhône; NIR 163129935290784 (born abroad:  |
|                            |                                    | 99 352); no médecin traitant (404)                |
| `naissance_Portugal`       | non-beneficiary (known through the | outside the régime général (MSA): 404 on every    |
|                            | MSA)                               | path                                              |
| `moins_18_ans`             | non-beneficiary                    | CPAM de la Loire-Atlantique; NIR 209054410990890; |
|                            |                                    | qualite "enfant" in /me: a minor over 16 with her |
|                            |                                    | own card, attached to a parent's rights; no       |
|                            |                                    | beneficiaries; médecin traitant                   |
| `étranger_présumé_né_jour` | beneficiary without participation  | CPAM de Paris; NIR 192119921790976 (born abroad:  |
|                            | since 2026-03-01                   | 99 217); AMO + AMC CMUC; no médecin traitant      |
| `genre_indéfini`           | non-beneficiary                    | CPAM de Paris; NIR 254087511991092; médecin       |
|                            |                                    | traitant                                          |
| `sans_mail`                | beneficiary with participation     | CPAM de la Seine-Saint-Denis; NIR                 |
|                            | since 2025-09-01                   | 289037511991340; AMO + AMC ACS; maternity         |
|                            |                                    | exemption MAT (pregnant, dates relative to the    |
|                            |                                    | call); médecin traitant                           |
| `plusieurs_prénoms_3`      | non-beneficiary                    | CPAM de Paris; NIR 143067510991670; exemption INV |
| `prénom_composé_avec_      | non-beneficiary                    | CPAM de Paris; NIR 162087510791508; usage name    |
| espace`                    |                                    | MARTIN; médecin traitant                          |
| `carac_speciaux`           | beneficiary with participation     | CPAM de la Haute-Corse; NIR 272062B00291749;      |
|                            | since 2024-04-01                   | names without accents (DURANTEAEUOOEAEOEAE)       |
| `nom_50+_caractères`       | non-beneficiary                    | CPAM de Paris; NIR 100037511991881                |
| `test_CORSE_2B`            | beneficiary without participation  | CPAM de la Haute-Corse; NIR 181022B05092190;      |
|                            | since 2025-01-01                   | AMO + AMC CMUC                                    |
| `naissance_etranger_       | beneficiary with participation     | CPAM du Rhône; NIR 263129935292417                |
| birthplace_texte`          | since 2024-11-01                   |                                                   |
| `naissance_polynesie_      | unknown to the RNCPS: 404 `37003`  | outside the régime général (CPS de Polynésie):    |
| française`                 | (the COM are outside it)           | 404 on every path                                 |
| `naissance_wallis_futuna`  | non-beneficiary                    | CPAM de la Loire-Atlantique; NIR 172069861192036  |
| `étranger_présumé_né_jour_ | unknown to the RNCPS: 404 `37003`  | CPAM de Paris; NIR 192019921792396 (born abroad)  |
| et_mois`                   |                                    |                                                   |
| `moins_16_ans`             | non-beneficiary                    | CPAM de Paris; NIR 115067511392255; qualite       |
|                            |                                    | "enfant"; médecin traitant                        |
| `sans_telephone`           | non-beneficiary                    | CPAM de Paris; NIR 190127511991487, given by /me  |
|                            |                                    | in 13 characters (1901275119914, no key)          |
| `sans_mail_sans_tel`       | non-beneficiary                    | CPAM de Paris; NIR 290127511992526                |
| FC refuses (`sans_genre`…) | no data: FranceConnect never lets them through                                         |

C2S non-beneficiaries get `avec_participation: false` and a null date, as production and staging answer (A.6).
Household members share the insured's C2S (`presence_CMUC_ACS` and the AMC contract). Contract codes: AMO
`BASE`; AMC `CMUC` (free C2S) or `ACS` (with participation), after the spec's "uniquement CMUC ou ACS" (UNCONFIRMED).
"""

from __future__ import annotations

from dataclasses import dataclass

Day = str | int  # an ISO date, or a number of days from the call date for dates that must stay current


@dataclass(frozen=True)
class C2S:
    est_beneficiaire: bool
    avec_participation: bool = False
    date_debut_droit: str | None = None


@dataclass(frozen=True)
class Caisse:
    id: str  # grand régime (2) + organisme (3)
    code_centre: str
    libelle: str
    adresse: dict[str, str | None]


@dataclass(frozen=True)
class Medecin:
    nom: str
    prenom: str
    numero_am: str
    date_debut: str


@dataclass(frozen=True)
class Exoneration:
    code: str
    libelle: str
    libelle_long: str
    date_debut: Day
    date_fin: Day | None = None  # None: no known end
    date_presumee_grossesse: Day | None = None  # MAT only
    date_reelle_accouchement: Day | None = None


@dataclass(frozen=True)
class Person:
    nir: str
    nom_famille: str
    prenom: str
    date_naissance: str
    qualite: str = "assure"
    rang_naissance: int = 1
    nom_usage: str | None = None  # None: same as nom_famille
    medecin: Medecin | None = None
    exonerations: tuple[Exoneration, ...] = ()
    amo_depuis: str | None = None  # start of basic rights; None: since birth
    # /me and /me/beneficiaires give the NIR without its key: the OpenAPI types it as a bare string, and which form
    # the API sends is not documented, so one identity shows the other (the `nir` header takes either).
    nir_13: bool = False


@dataclass(frozen=True)
class Family:
    caisse: Caisse
    insured: Person  # the FranceConnect user, answered by /me
    beneficiaires: tuple[Person, ...] = ()  # answered by /me/beneficiaires

    def member(self, nir: str) -> Person | None:
        return next((p for p in (self.insured, *self.beneficiaires) if nir in (p.nir, p.nir[:13])), None)


@dataclass(frozen=True)
class ProviderData:
    c2s: C2S | None  # None: unknown to the RNCPS (404)
    cnam: Family | None  # None: not at the régime général (404)


def _address(destinataire: str, code_postal: str, commune: str, **street: str) -> dict[str, str | None]:
    fields = ("point_remise", "complement_adresse", "numero_voie", "indice_repetition", "type_voie", "nom_voie",
              "mention_distribution")
    return {"destinataire": destinataire, **{f: street.get(f) for f in fields}, "code_postal": code_postal,
            "commune": commune}


# Caisse ids, centre codes and addresses are plausible, not checked against the CNAM's tables (B.5).
CAISSES = {
    "paris": Caisse("01751", "0751", "CPAM de Paris", _address("CPAM DE PARIS", "75948", "PARIS CEDEX 19")),
    "bdr": Caisse("01131", "1311", "CPAM des Bouches-du-Rhône",
                  _address("CPAM DES BOUCHES-DU-RHONE", "13421", "MARSEILLE CEDEX 20")),
    "hg": Caisse("01311", "3111", "CPAM de la Haute-Garonne",
                 _address("CPAM DE LA HAUTE-GARONNE", "31093", "TOULOUSE CEDEX 9")),
    "vo": Caisse("01951", "9511", "CPAM du Val-d'Oise",
                 _address("CPAM DU VAL D'OISE", "95017", "CERGY-PONTOISE CEDEX")),
    "2a": Caisse("01201", "2011", "CPAM de la Corse-du-Sud", _address(
        "CPAM DE LA CORSE-DU-SUD", "20000", "AJACCIO", numero_voie="8", type_voie="AVENUE",
        nom_voie="DU MONT THABOR")),
    "rhone": Caisse("01691", "6911", "CPAM du Rhône", _address("CPAM DU RHONE", "69907", "LYON CEDEX 20")),
    "la": Caisse("01441", "4411", "CPAM de la Loire-Atlantique",
                 _address("CPAM DE LA LOIRE-ATLANTIQUE", "44958", "NANTES CEDEX 9")),
    "2b": Caisse("01202", "2021", "CPAM de la Haute-Corse",
                 _address("CPAM DE LA HAUTE-CORSE", "20407", "BASTIA CEDEX 9")),
    "ssd": Caisse("01931", "9311", "CPAM de la Seine-Saint-Denis",
                  _address("CPAM DE LA SEINE-SAINT-DENIS", "93014", "BOBIGNY CEDEX")),
}

_ROUSSEL = Medecin("ROUSSEL", "HELENE", "751999001", "2015-03-01")
_INV = Exoneration("INV", "Invalides", "Petits régimes exonérants : invalides", "2005-10-01")
# Maternity exemption: from the 6th month of pregnancy to 12 days after the presumed birth.
_MAT = Exoneration("MAT", "Maternité", "Exonération au titre de la maternité", -40,
                   date_fin=102, date_presumee_grossesse=-190)

RECORDS: dict[str, ProviderData] = {
    "test": ProviderData(C2S(True, False, "2023-02-01"), Family(CAISSES["paris"], Person(
        "262087510790169", "DUBOIS", "ANGELA", "1962-08-24", medecin=_ROUSSEL, amo_depuis="1980-09-01"))),
    "avec_nom_dusage": ProviderData(C2S(False), Family(
        CAISSES["vo"],
        Person("169039527790269", "MERCIER", "PIERRE", "1969-03-17", nom_usage="DUBOIS", amo_depuis="1987-09-01",
               medecin=Medecin("LAURENT", "MARC", "951999002", "2010-01-15")),
        (
            Person("271105935090375", "DUBOIS", "SOPHIE", "1971-10-05", qualite="conjoint", amo_depuis="1999-06-01"),
            Person("114069527791187", "MERCIER", "LOUIS", "2014-06-12", qualite="enfant",
                   medecin=Medecin("HAMIDI", "NADIA", "951999005", "2019-09-02")),
            Person("214069527791236", "MERCIER", "JEANNE", "2014-06-12", qualite="enfant", rang_naissance=2),
        ),
    )),
    "nom_composé": ProviderData(C2S(True, True, "2023-06-01"), Family(CAISSES["bdr"], Person(
        "281071301290454", "TROIS-DUPRE", "MELISSANDRE", "1981-07-27", amo_depuis="2000-01-01",
        medecin=Medecin("BENSAID", "KARIM", "131999002", "2018-05-14")))),
    "prénom_composé": ProviderData(C2S(False), Family(CAISSES["hg"], Person(
        "245093155590511", "HUCHE", "ANNE-LAURE", "1945-09-30", amo_depuis="1964-10-01", exonerations=(_INV,),
        medecin=Medecin("FABRE", "PAUL", "311999003", "2006-02-01")))),
    "test_CORSE_2A": ProviderData(C2S(False), Family(CAISSES["2a"], Person(
        "181022A00490603", "BROSSE", "MARIO", "1981-02-03", amo_depuis="1999-09-01",
        medecin=Medecin("ALBERTINI", "JEAN-BAPTISTE", "201999004", "2012-11-05")))),
    "naissance_Algérie": ProviderData(None, Family(CAISSES["rhone"], Person(
        "163129935290784", "MARTIN", "VINCENT", "1963-12-05", amo_depuis="1988-04-01"))),
    "naissance_Portugal": ProviderData(C2S(False), None),
    "moins_18_ans": ProviderData(C2S(False), Family(CAISSES["la"], Person(
        "209054410990890", "CHAMPION", "ALICE", "2009-05-02", qualite="enfant",
        medecin=Medecin("LE GOFF", "YVES", "441999006", "2025-05-10")))),
    "étranger_présumé_né_jour": ProviderData(C2S(True, False, "2026-03-01"), Family(CAISSES["paris"], Person(
        "192119921790976", "FLEURET", "JEAN", "1992-11-01", amo_depuis="2025-12-01"))),
    "genre_indéfini": ProviderData(C2S(False), Family(CAISSES["paris"], Person(
        "254087511991092", "LAFORGE", "CAMILLE", "1954-08-07", amo_depuis="1973-09-01", medecin=_ROUSSEL))),
    "sans_mail": ProviderData(C2S(True, True, "2025-09-01"), Family(CAISSES["ssd"], Person(
        "289037511991340", "DUFOUR", "AMANDINE", "1989-03-02", amo_depuis="2008-09-01", exonerations=(_MAT,),
        medecin=Medecin("NGUYEN", "MARIE", "931999007", "2021-01-04")))),
    "plusieurs_prénoms_3": ProviderData(C2S(False), Family(CAISSES["paris"], Person(
        "143067510991670", "DUBIGNOT", "JEAN", "1943-06-15", amo_depuis="1961-09-01",
        exonerations=(_INV,)))),
    "prénom_composé_avec_espace": ProviderData(C2S(False), Family(CAISSES["paris"], Person(
        "162087510791508", "DUBOIS", "JEAN PHILIPPE", "1962-08-24", nom_usage="MARTIN", amo_depuis="1980-09-01",
        medecin=_ROUSSEL))),
    "carac_speciaux": ProviderData(C2S(True, True, "2024-04-01"), Family(CAISSES["2b"], Person(
        "272062B00291749", "DURANTEAEUOOEAEOEAE", "JULIEEAEUOOEAEOEAE", "1972-06-14", amo_depuis="1990-09-01"))),
    "nom_50+_caractères": ProviderData(C2S(False), Family(CAISSES["paris"], Person(
        "100037511991881", "AZERTYUIOPMLKJHGFDSQWXCVBNAZERTYUIOPMLKJHGFDSQWXCVBN", "BERTRAND", "2000-03-01",
        amo_depuis="2018-09-01"))),
    "test_CORSE_2B": ProviderData(C2S(True, False, "2025-01-01"), Family(CAISSES["2b"], Person(
        "181022B05092190", "BROSSE", "LUIGI", "1981-02-03", amo_depuis="1999-09-01"))),
    "naissance_etranger_birthplace_texte": ProviderData(C2S(True, True, "2024-11-01"), Family(CAISSES["rhone"], Person(
        "263129935292417", "ALGERIE", "ALIA", "1963-12-05", amo_depuis="1990-02-01"))),
    "naissance_polynesie_française": ProviderData(None, None),
    "naissance_wallis_futuna": ProviderData(C2S(False), Family(CAISSES["la"], Person(
        "172069861192036", "FLEURY", "FABIEN", "1972-06-14", amo_depuis="1995-03-01"))),
    "étranger_présumé_né_jour_et_mois": ProviderData(None, Family(CAISSES["paris"], Person(
        "192019921792396", "TARGE", "JEAN", "1992-01-01", amo_depuis="2024-05-01"))),
    "moins_16_ans": ProviderData(C2S(False), Family(CAISSES["paris"], Person(
        "115067511392255", "POSTEUR", "ALAIN", "2015-06-20", qualite="enfant",
        medecin=Medecin("HAMIDI", "NADIA", "751999008", "2016-01-11")))),
    "sans_telephone": ProviderData(C2S(False), Family(CAISSES["paris"], Person(
        "190127511991487", "MEUNIER", "HUGO", "1990-12-19", amo_depuis="2008-09-01", nir_13=True))),
    "sans_mail_sans_tel": ProviderData(C2S(False), Family(CAISSES["paris"], Person(
        "290127511992526", "DUPAIN", "EVA", "1990-12-06", amo_depuis="2008-09-01"))),
}


def find(login: str) -> ProviderData:
    """An identity's data; an identity added without data is unknown to both providers."""
    return RECORDS.get(login, ProviderData(None, None))


def summary(login: str) -> tuple[str, str]:
    """One French line per provider, for the sandbox's home page."""
    record = find(login)
    c2s = record.c2s
    if c2s is None:
        c2s_text = "Inconnu du RNCPS (404)"
    elif not c2s.est_beneficiaire:
        c2s_text = "Non bénéficiaire"
    else:
        kind = "avec" if c2s.avec_participation else "sans"
        c2s_text = f"Bénéficiaire {kind} participation depuis le {_fr(c2s.date_debut_droit)}"
    family = record.cnam
    if family is None:
        return c2s_text, "Hors régime général : aucune donnée (404)"
    insured = family.insured
    parts = [family.caisse.libelle, f"NIR {insured.nir}", f"qualité « {insured.qualite} »"]
    if family.beneficiaires:
        parts.append("ayants droit : " + ", ".join(f"{p.prenom.title()} ({p.qualite})" for p in family.beneficiaires))
    parts.append("médecin traitant" if insured.medecin else "sans médecin traitant")
    parts += [f"exonération {e.code}" for e in insured.exonerations]
    return c2s_text, " ; ".join(parts)


def _fr(iso: str | None) -> str:
    year, month, day = (iso or "--").split("-")
    return f"{day}/{month}/{year}"
