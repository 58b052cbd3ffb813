"""Test identities of the sandbox's "Démonstration" identity provider.

They copy FranceConnect's own mock IdP (france-connect/sources @ fbf65bf8, `docker/volumes/fcp-low/mocks/idp/
databases/citizen/base.csv`, and what the service provider receives in `quality/fcp/cypress/fixtures/fcp-low/
users.json`), so a scenario tried here can be replayed on FC's sandbox. `login` is FC's login, kept exactly (Unicode
NFC, accents included): the other stand-ins key their test data on it, and it only travels in form bodies. Names,
genders, dates, places and usage names are FC's; emails are FC's too, except for the first eleven identities, whose
invented yopmail addresses predate this copy (tests key on them).

FC's core checks the identity its IdP returns (`OidcIdentityDto`: given_name and family_name of 1-256 characters,
gender in female/male/unspecified, a valid birthdate, a COG birthplace when born in France, an email) and refuses
the login otherwise with its page Y600006 and then `server_error` to the service (`connexion-rnipp.feature`). The
identities marked "FC refuses" below do the same here: the service never receives them, as in production.

| login                                 | what it exercises                                                  |
|---------------------------------------|--------------------------------------------------------------------|
| `test`                                | reference identity, three first names                              |
| `avec_nom_dusage`                     | preferred_username (usage name DUBOIS)                             |
| `nom_composé`, `prénom_composé`       | hyphenated family name, hyphenated first name                      |
| `plusieurs_prénoms_3`                 | three first names                                                  |
| `prénom_composé_avec_espace`          | given_name_array ["Jean Philippe", "Pierre", "Louis"]: not a split |
| `carac_speciaux`                      | accents and ligatures (œ æ Œ Æ) in both names; born in 2B          |
| `nom_50+_caractères`                  | a 52-character family name                                         |
| `test_CORSE_2A`, `test_CORSE_2B`      | Corsican COG codes 2A004, 2B050; family name not upper-case        |
| `naissance_Algérie`, `_Portugal`      | born abroad: birthplace "", birthcountry 99352 / 99139             |
| `naissance_etranger_birthplace_texte` | born abroad, the IdP gave "Alger" as text: FC sends birthplace ""  |
| `naissance_polynesie_française`       | born in French Polynesia (98729): outside the RNCPS and the CNAM   |
| `naissance_wallis_futuna`             | born in Wallis and Futuna (98611)                                  |
| `étranger_présumé_né_jour`            | presumed day: birthdate 1992-11-01, idp_birthdate 1992-11-00       |
| `étranger_présumé_né_jour_et_mois`    | presumed day and month: 1992-01-01, idp_birthdate 1992-00-00       |
| `moins_18_ans`, `moins_16_ans`        | minors (born 2009, 2015)                                           |
| `genre_indéfini`                      | gender "unspecified" (the RNIPP's third value)                     |
| `sans_telephone`                      | no phone (not a claim in FC v2: nothing changes)                   |
| `sans_mail`, `sans_mail_sans_tel`     | no email: FC refuses the login when the email scope is requested   |
| `sans_genre`, `sans_prenom`,          | FC refuses (Y600006): no gender, no given name, no family name,    |
| `sans_nom_naissance`,                 | born in France without a birthplace, month 00 in the birthdate     |
| `sans_birthplace`, `mois_00`          |                                                                    |
"""

from __future__ import annotations

from dataclasses import dataclass

AMR = ["pwd"]  # what the Démonstration IdP reports: a password login
IDP_ID = "fia1v2-demonstration"  # the `idp_id` claim: which identity provider the person chose


@dataclass(frozen=True)
class SandboxIdentity:
    """An RNIPP-like identity as FC v2 would send it, plus what the chooser shows."""

    login: str
    given_name: str
    family_name: str
    gender: str  # female | male | unspecified ("" only for an identity FC refuses)
    birthdate: str  # YYYY-MM-DD, presumed parts completed with 01
    birthplace: str  # INSEE COG commune, "" when born abroad
    birthcountry: str  # INSEE COG country, 99100 = France
    email: str | None
    description: str  # one French line for the chooser
    preferred_username: str | None = None
    idp_birthdate: str | None = None  # the IdP's raw date when it differs from birthdate (presumed dates)
    # The RNIPP's list of first names; None when it is given_name split on spaces, as for every name without a space.
    given_names: tuple[str, ...] | None = None
    refused_by_fc: str | None = None  # why FC's core refuses this identity (Y600006), for the docs and tests

    @property
    def display_name(self) -> str:
        return " ".join(filter(None, (self.given_name, self.family_name))) or self.login

    @property
    def birthdate_fr(self) -> str:
        year, month, day = self.birthdate.split("-")
        return f"{day}/{month}/{year}"

    def claims(self) -> dict:
        """Every claim FC could send for this person; scopes pick among them."""
        names = self.given_names if self.given_names is not None else self.given_name.split(" ")
        claims = {
            "given_name": self.given_name,
            "given_name_array": list(names),
            "family_name": self.family_name,
            "birthdate": self.birthdate,
            "gender": self.gender,
            "birthplace": self.birthplace,
            "birthcountry": self.birthcountry,
            "idp_birthdate": self.idp_birthdate or self.birthdate,
            "amr": AMR,
            "idp_id": IDP_ID,
        }
        # Absent claims are left out rather than sent empty, as node-oidc-provider does with undefined ones.
        if self.email is not None:
            claims["email"] = self.email
        if self.preferred_username is not None:
            claims["preferred_username"] = self.preferred_username
        return claims


def _refused(login: str, given: str, family: str, gender: str, birthdate: str, birthplace: str, email: str,
             why: str) -> SandboxIdentity:
    return SandboxIdentity(login, given, family, gender, birthdate, birthplace, "99100", email,
                           f"Refusée par FranceConnect (Y600006) : {why}", refused_by_fc=why)


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
        "plusieurs_prénoms_3", "Jean Philippe Arnaud", "DUBIGNOT", "male", "1943-06-15", "75109", "99100",
        "ecuhebup-9337@yopmail.com", "Trois prénoms",
    ),
    SandboxIdentity(
        "prénom_composé_avec_espace", "Jean Philippe Pierre Louis", "DUBOIS", "male", "1962-08-24", "75107",
        "99100", "multiPrenom@france.fr", "Un prénom contenant une espace (« Jean Philippe »)",
        preferred_username="Martin", given_names=("Jean Philippe", "Pierre", "Louis"),
    ),
    SandboxIdentity(
        "carac_speciaux", "JulieéàèùòœæŒÆ", "DURANTéàèùòœæŒÆ", "female", "1972-06-14", "2B002", "99100",
        "test@yopmail.com", "Accents et ligatures dans les noms, née en Haute-Corse",
    ),
    SandboxIdentity(
        "nom_50+_caractères", "Bertrand Cyril", "AZERTYUIOPMLKJHGFDSQWXCVBNAZERTYUIOPMLKJHGFDSQWXCVBN", "male",
        "2000-03-01", "75119", "99100", "cyxoxudaj-2393@yopmail.com", "Nom de famille de 52 caractères",
    ),
    SandboxIdentity(
        "test_CORSE_2A", "Mario", "Brosse", "male", "1981-02-03", "2A004", "99100",
        "mario-brosse-4406@yopmail.com", "Né en Corse-du-Sud (code commune 2A004)", preferred_username="Mario",
    ),
    SandboxIdentity(
        "test_CORSE_2B", "Luigi", "Brosse", "male", "1981-02-03", "2B050", "99100",
        "luigi.brosse@france.fr", "Né en Haute-Corse (code commune 2B050)", preferred_username="Luigi",
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
        # The IdP gives the town as text ("Alger"); FC checks birthplace only for France and sends "" (users.json).
        "naissance_etranger_birthplace_texte", "Alia", "ALGERIE", "female", "1963-12-05", "", "99352",
        "xagreureufadda-6730@yopmail.com", "Née à l’étranger, lieu de naissance donné en texte par le fournisseur",
    ),
    SandboxIdentity(
        "naissance_polynesie_française", "Titouan", "REVEIL", "male", "1998-06-18", "98729", "99100",
        "nesspolynesie@yopmail.com", "Né en Polynésie française (98729)",
    ),
    SandboxIdentity(
        "naissance_wallis_futuna", "Fabien", "Fleury", "male", "1972-06-14", "98611", "99100",
        "ijujasa-5293@yopmail.com", "Né à Wallis-et-Futuna (98611)",
    ),
    SandboxIdentity(
        "moins_18_ans", "Alice Juliette", "CHAMPION", "female", "2009-05-02", "44109", "99100",
        "alice-champion-3358@yopmail.com", "Mineure de plus de 16 ans",
    ),
    SandboxIdentity(
        "moins_16_ans", "Alain", "POSTEUR", "male", "2015-06-20", "75113", "99100",
        "deseffesseupu-5120@yopmail.com", "Mineur de moins de 16 ans",
    ),
    SandboxIdentity(
        "étranger_présumé_né_jour", "Jean", "FLEURET", "male", "1992-11-01", "", "99217",
        "jean-fleuret-9924@yopmail.com", "Né à l’étranger, date de naissance présumée (jour inconnu)",
        idp_birthdate="1992-11-00",
    ),
    SandboxIdentity(
        "étranger_présumé_né_jour_et_mois", "Jean", "TARGE", "male", "1992-01-01", "", "99217",
        "jean-targe@yopmail.com", "Né à l’étranger, date de naissance présumée (jour et mois inconnus)",
        idp_birthdate="1992-00-00",
    ),
    SandboxIdentity(
        "genre_indéfini", "Camille", "LAFORGE", "unspecified", "1954-08-07", "75119", "99100",
        "camille-laforge-1185@yopmail.com", "Genre « unspecified » : le formulaire lui demande son sexe",
    ),
    SandboxIdentity(
        "sans_telephone", "Hugo", "MEUNIER", "male", "1990-12-19", "75119", "99100",
        "sans_tel@test.fr", "Sans téléphone", preferred_username="MEUNIER",
    ),
    SandboxIdentity(
        "sans_mail", "Amandine", "DUFOUR", "female", "1989-03-02", "75119", "99100",
        None, "Sans adresse électronique : connexion refusée si l’email est demandé", preferred_username="DUFOUR",
    ),
    SandboxIdentity(
        "sans_mail_sans_tel", "Eva", "DUPAIN", "female", "1990-12-06", "75119", "99100",
        None, "Sans adresse électronique ni téléphone : connexion refusée si l’email est demandé",
        preferred_username="DUPAIN",
    ),
    _refused("sans_genre", "Dominique", "ARTOIS", "", "1984-01-06", "75119", "beitezeiteitou-9917@yopmail.com",
             "sans genre"),
    _refused("sans_prenom", "", "MARTIN", "female", "1972-06-14", "97601", "zalojummu-4690@yopmail.com",
             "sans prénom"),
    _refused("sans_nom_naissance", "Anne-Laure Angélique", "", "female", "1992-08-12", "75103",
             "nepocajapp-8174@yopmail.com", "sans nom de naissance"),
    _refused("sans_birthplace", "Rémi", "SAVIGNY", "male", "1975-11-16", "", "coimmettawawo-7344@yopmail.com",
             "née en France sans lieu de naissance"),
    _refused("mois_00", "Yasser", "MARTIN", "male", "1977-00-03", "75010", "yasser-martin@yopmail.com",
             "mois de naissance 00"),
)


def find(login: str) -> SandboxIdentity | None:
    return next((identity for identity in IDENTITIES if identity.login == login), None)
