"""Test identities of the sandbox's "Démonstration" identity provider.

They copy the identities of FranceConnect's own mock IdP (franceconnect.md §9) so a scenario tried here
can be replayed on FC's sandbox. `login` is FC's login, kept exactly (Unicode NFC, accents included):
other stand-ins (API Particulier, CNAM) key their test data on it, and it only travels in form bodies.

| login                      | identity                         | what it exercises                                  |
|----------------------------|----------------------------------|----------------------------------------------------|
| `test`                     | Angela Claire Louise DUBOIS      | reference identity, several first names            |
| `avec_nom_dusage`          | Pierre MERCIER (usage DUBOIS)    | preferred_username (nom d'usage)                   |
| `nom_composé`              | Melissandre Juliette TROIS-DUPRE | hyphenated family name                             |
| `prénom_composé`           | Anne-Laure HUCHE                 | hyphenated first name                              |
| `test_CORSE_2A`            | Mario Brosse                     | Corsica COG code 2A004; family name not upper-case |
| `naissance_Algérie`        | Vincent Guillaume MARTIN         | born abroad: birthplace "", birthcountry 99352     |
| `naissance_Portugal`       | Henry SÉGUIN                     | born abroad (99139), accented family name          |
| `moins_18_ans`             | Alice Juliette CHAMPION          | minor (born 2009-05-02)                            |
| `étranger_présumé_né_jour` | Jean FLEURET                     | presumed day: birthdate 1992-11-01 but             |
|                            |                                  | idp_birthdate 1992-11-00; born abroad (99217)      |
| `genre_indéfini`           | Camille LAFORGE                  | "unspecified" in FC's mock; FC v2 only sends       |
|                            |                                  | male/female, so "female" here                      |
| `sans_mail`                | Amandine DUFOUR                  | no email: FC refuses the login (Y600006, then      |
|                            |                                  | server_error) when the email scope is requested    |

Emails other than Angela DUBOIS's are invented yopmail addresses (FC's mock has its own).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SandboxIdentity:
    """An RNIPP-like identity as FC v2 would send it, plus what the chooser shows."""

    login: str
    given_name: str
    family_name: str
    gender: str  # male | female
    birthdate: str  # YYYY-MM-DD, presumed parts completed with 01
    birthplace: str  # INSEE COG commune, "" when born abroad
    birthcountry: str  # INSEE COG country, 99100 = France
    email: str | None
    description: str  # one French line for the chooser
    preferred_username: str | None = None
    idp_birthdate: str | None = None  # the IdP's raw date when it differs from birthdate (presumed dates)

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def birthdate_fr(self) -> str:
        year, month, day = self.birthdate.split("-")
        return f"{day}/{month}/{year}"

    def claims(self) -> dict:
        """Every claim FC could send for this person; scopes pick among them."""
        claims = {
            "given_name": self.given_name,
            "given_name_array": self.given_name.split(" "),
            "family_name": self.family_name,
            "birthdate": self.birthdate,
            "gender": self.gender,
            "birthplace": self.birthplace,
            "birthcountry": self.birthcountry,
            "idp_birthdate": self.idp_birthdate or self.birthdate,
        }
        # Absent claims are left out rather than sent empty, as node-oidc-provider does with undefined ones.
        if self.email is not None:
            claims["email"] = self.email
        if self.preferred_username is not None:
            claims["preferred_username"] = self.preferred_username
        return claims


IDENTITIES: tuple[SandboxIdentity, ...] = (
    SandboxIdentity(
        "test", "Angela Claire Louise", "DUBOIS", "female", "1962-08-24", "75107", "99100",
        "wossewodda-3728@yopmail.com", "Identité de référence, née à Paris, trois prénoms",
    ),
    SandboxIdentity(
        "avec_nom_dusage", "Pierre", "MERCIER", "male", "1969-03-17", "95277", "99100",
        "pierre-mercier-5371@yopmail.com", "Porte un nom d’usage (DUBOIS)", preferred_username="DUBOIS",
    ),
    SandboxIdentity(
        "nom_composé", "Melissandre Juliette", "TROIS-DUPRE", "female", "1981-07-27", "13012", "99100",
        "melissandre-trois-dupre-2290@yopmail.com", "Nom de famille composé",
    ),
    SandboxIdentity(
        "prénom_composé", "Anne-Laure", "HUCHE", "female", "1945-09-30", "31555", "99100",
        "anne-laure-huche-8812@yopmail.com", "Prénom composé",
    ),
    SandboxIdentity(
        "test_CORSE_2A", "Mario", "Brosse", "male", "1981-02-03", "2A004", "99100",
        "mario-brosse-4406@yopmail.com", "Né en Corse (code commune 2A004)",
    ),
    SandboxIdentity(
        "naissance_Algérie", "Vincent Guillaume", "MARTIN", "male", "1963-12-05", "", "99352",
        "vincent-martin-6127@yopmail.com", "Né à l’étranger (Algérie)",
    ),
    SandboxIdentity(
        "naissance_Portugal", "Henry", "SÉGUIN", "male", "1955-06-19", "", "99139",
        "henry-seguin-7043@yopmail.com", "Né à l’étranger (Portugal)",
    ),
    SandboxIdentity(
        "moins_18_ans", "Alice Juliette", "CHAMPION", "female", "2009-05-02", "44109", "99100",
        "alice-champion-3358@yopmail.com", "Mineure",
    ),
    SandboxIdentity(
        "étranger_présumé_né_jour", "Jean", "FLEURET", "male", "1992-11-01", "", "99217",
        "jean-fleuret-9924@yopmail.com", "Né à l’étranger, date de naissance présumée (jour inconnu)",
        idp_birthdate="1992-11-00",
    ),
    SandboxIdentity(
        "genre_indéfini", "Camille", "LAFORGE", "female", "1954-08-07", "75119", "99100",
        "camille-laforge-1185@yopmail.com",
        "Genre indéfini chez le fournisseur d’identité (FranceConnect v2 transmet « female »)",
    ),
    SandboxIdentity(
        "sans_mail", "Amandine", "DUFOUR", "female", "1989-03-02", "75119", "99100",
        None, "Sans adresse électronique : connexion refusée si l’email est demandé",
    ),
)


def find(login: str) -> SandboxIdentity | None:
    return next((identity for identity in IDENTITIES if identity.login == login), None)
