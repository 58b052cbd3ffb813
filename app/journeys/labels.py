"""The French wording of every dossier field and coded value, shared by the forms and the summary pages."""

from __future__ import annotations

from app.model.attachment import KIND_NAMES

FIELDS = {
    "birth_name": "Nom de naissance",
    "usage_name": "Nom d’usage",
    "first_names": "Prénoms",
    "sex": "Sexe",
    "birth_date": "Date de naissance",
    "birth_place": "Commune de naissance",
    "birth_country": "Pays de naissance",
    "address": "Adresse",
    "address_complement": "Complément d’adresse",
    "postal_code": "Code postal",
    "city": "Commune",
    "phone": "Téléphone",
    "email": "Adresse électronique",
    "nir": "Numéro de sécurité sociale",
    "insured_nir": "Numéro de sécurité sociale de l’assuré",
    "regime": "Régime d’assurance maladie",
    "caisse": "Caisse d’assurance maladie",
    "caisse_code": "Code de la caisse",
    "amo_start": "Droits de base ouverts depuis le",
    "amo_end": "Droits de base ouverts jusqu’au",
    "exoneration": "Prise en charge à 100 % (exonération du ticket modérateur)",
    "c2s": "Complémentaire santé solidaire (C2S)",
    "c2s_since": "C2S depuis le",
    "complementary_name": "Mutuelle ou complémentaire santé",
    "complementary_number": "Numéro d’adhérent",
    "medecin_traitant": "Médecin traitant",
    "medecin_traitant_numero_am": "Numéro Assurance Maladie du médecin traitant",
    "emergency_name": "Nom et prénom de la personne à prévenir",
    "emergency_phone": "Téléphone de la personne à prévenir",
    "emergency_link": "Lien avec le patient",
    "emergency_who": "Qui prévenir ?",
    "guardian1_who": "Qui est le premier titulaire ?",
    "trusted_same": "La personne de confiance est la personne à prévenir",
    "trusted_name": "Nom et prénom de la personne de confiance",
    "trusted_phone": "Téléphone de la personne de confiance",
    "guardian1_name": "Nom et prénom du premier titulaire",
    "guardian1_phone": "Téléphone du premier titulaire",
    "guardian2_name": "Nom et prénom du second titulaire",
    "guardian2_phone": "Téléphone du second titulaire",
    "start_date": "Date de début souhaitée",
    "iban": "IBAN",
    "account_holder": "Titulaire du compte",
    "previous_insurer": "Organisme complémentaire précédent",
    "consent_sepa": "J’autorise la mutuelle à prélever les cotisations sur ce compte (mandat SEPA).",
    "consent_noemie": "J’accepte que l’Assurance Maladie transmette à la mutuelle le détail de mes remboursements "
                      "(échanges NOEMIE).",
    "consent_accuracy": "J’atteste que les informations de ce dossier sont exactes.",
    "consent_transmission": "J’accepte que ce dossier soit transmis à l’organisme qui me le demande.",
    "link": "Lien avec vous",
    "stay_date": "Date du séjour",
    "stay_service": "Service",
}

SEXES = {"F": "Féminin", "M": "Masculin"}
# Who is named where the signed-in parent may be the person asked for: themselves (their certified name and the
# contact phone they typed), or someone else, typed in.
WHO = ("declarant", "other")
DECLARANT_LINK = "Parent"
# The personne à prévenir's link to the patient: chosen, not typed; stored as the words shown (the delivery formats
# carry it as text).
EMERGENCY_LINKS = {word: word for word in (
    "Conjoint ou conjointe", "Parent", "Enfant", "Frère ou sœur", "Autre membre de la famille", "Ami ou amie",
    "Autre")}
REGIMES = {"general": "Régime général (CPAM)", "agricole": "Régime agricole (MSA)", "autre": "Autre régime"}
C2S = {
    "non": "Non",
    "oui": "Oui",
    "sans_participation": "Oui, sans participation financière",
    "avec_participation": "Oui, avec participation financière",
    "inconnu": "Je ne sais pas",
}
# A person who types their status in cannot say "oui" without saying which kind, or that they do not know.
C2S_DECLARED = {code: C2S[code] for code in ("non", "sans_participation", "avec_participation", "inconnu")}
EXONERATION = {"non": "Non", "oui": "Oui", "inconnu": "Je ne sais pas"}
LINKS = {
    "assure": "Assuré(e)", "conjoint": "Conjoint(e)", "concubin": "Concubin(e)", "pacse": "Partenaire de PACS",
    "enfant": "Enfant", "parent": "Parent", "autre": "Autre",
}
# What the person may choose when they add a beneficiary by hand.
DECLARED_LINKS = ("conjoint", "pacse", "concubin", "enfant", "autre")
STAY_TYPES = {
    "hospitalisation_complete": "Hospitalisation complète", "ambulatoire": "Hospitalisation de jour (ambulatoire)",
    "seances": "Séances",
}
# Codes shown as words on the summary pages, per field.
CODES = {"sex": SEXES, "regime": REGIMES, "c2s": C2S, "link": LINKS, "exoneration": EXONERATION, "type": STAY_TYPES}

# The summary pages (review, receipt): section titles and the fields they show, in order.
SECTIONS = {
    "preadmission": (
        ("Patient", ("birth_name", "usage_name", "first_names", "sex", "birth_date", "birth_place", "birth_country")),
        ("Coordonnées", ("address", "address_complement", "postal_code", "city", "phone", "email")),
        ("Assurance maladie", ("nir", "insured_nir", "regime", "caisse", "caisse_code", "amo_start", "amo_end",
                               "exoneration")),
        ("Complémentaire santé", ("c2s", "c2s_since", "complementary_name", "complementary_number")),
        ("Médecin traitant", ("medecin_traitant", "medecin_traitant_numero_am")),
        ("Personne à prévenir", ("emergency_name", "emergency_phone", "emergency_link")),
        ("Personne de confiance", ("trusted_name", "trusted_phone")),
        ("Titulaires de l’autorité parentale", ("guardian1_name", "guardian1_phone", "guardian2_name",
                                                "guardian2_phone")),
        ("Engagements", ("consent_accuracy", "consent_transmission")),
    ),
    "adhesion": (
        ("Adhérent", ("birth_name", "usage_name", "first_names", "sex", "birth_date")),
        ("Coordonnées", ("address", "address_complement", "postal_code", "city", "phone", "email")),
        ("Assurance maladie", ("nir", "regime", "caisse", "caisse_code")),
        ("Complémentaire santé solidaire", ("c2s", "c2s_since")),
        ("Contrat", ("start_date", "previous_insurer")),
        ("Prélèvement des cotisations", ("iban", "account_holder", "consent_sepa")),
        ("Remboursements de l’Assurance Maladie", ("consent_noemie",)),
        ("Engagements", ("consent_accuracy", "consent_transmission")),
    ),
}
DATES = frozenset({"birth_date", "amo_start", "amo_end", "c2s_since", "start_date", "date"})
NIRS = frozenset({"nir", "insured_nir"})

# Pièces justificatives: the label and the hint of each kind, on the upload page, the review and the receipt.
# Each kind's name (app/model/attachment.py) and what the page says of it.
ATTACHMENT_KINDS = {kind: (KIND_NAMES[kind], hint) for kind, hint in (
    ("identity_document", "Carte d’identité, passeport ou titre de séjour du patient : une photo de chaque face, "
                          "ou un PDF."),
    ("rights_attestation", "Vous la trouvez dans votre compte ameli (rubrique « Mes attestations ») ou auprès de "
                           "votre caisse."),
    ("c2s_attestation", "Si vous bénéficiez de la C2S : l’attestation envoyée par votre caisse, ou celle de votre "
                        "compte ameli."),
    ("mutuelle_card", "La carte de tiers payant de votre complémentaire santé (recto)."),
    ("convocation", "Le courrier qui annonce votre séjour, si vous en avez reçu un."),
    ("rib", "Le RIB du compte sur lequel les cotisations seront prélevées."),
)}
MEDIA_TYPES = {"application/pdf": "PDF", "image/jpeg": "photo JPEG", "image/png": "image PNG"}


def size_fr(size: int) -> str:
    """A file's size as a French reader expects it: « 350 Ko », « 1,2 Mo »."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} Ko"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0").replace(".", ",") + " Mo"
