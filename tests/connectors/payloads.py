"""Provider payloads, as documented in shared/reference/data-providers.md (A.6–A.9, B.5).

API Particulier bodies are the published staging examples (etalab/siade_staging_data, the v3 OpenAPI). The CNAM
bodies are built from the 2019 OpenAPI schema and its `example` values: the CNAM publishes no captured payload.
All people here are fictitious; the NIRs are made up with valid keys.
"""

# ---- API Particulier C2S, v3 success (A.6): free C2S, C2S with contribution, not a beneficiary.
C2S_FREE = {"data": {"est_beneficiaire": True, "avec_participation": False, "date_debut_droit": "2023-02-01"},
            "links": {}, "meta": {}}
C2S_WITH_PARTICIPATION = {
    "data": {"est_beneficiaire": True, "avec_participation": True, "date_debut_droit": "2023-06-01"},
    "links": {}, "meta": {},
}
C2S_NOT_BENEFICIARY = {"data": {"est_beneficiaire": False, "avec_participation": False, "date_debut_droit": None},
                       "links": {}, "meta": {}}

# ---- v2 success bodies (A.7): not what the v3 route answers.
C2S_V2_WITH_PARTICIPATION = {"status": "beneficiaire_avec_participation_financiere", "dateDebut": "2023-06-01",
                             "dateFin": None}
C2S_V2_NOT_BENEFICIARY = {"status": "non_beneficiaire_css", "dateDebut": None, "dateFin": None}


def v3_error(code: str, title: str, detail: str, **meta: str) -> dict:
    """The v3 error envelope (A.8)."""
    return {"errors": [{"code": code, "title": title, "detail": detail, "source": None, "meta": meta}]}


# ---- v3 errors (A.8), texts as published.
ERROR_502_CNAV = v3_error(
    "37999", "Erreur inconnue du fournisseur de données",
    "La réponse retournée par le fournisseur de données est invalide et inconnue de notre service. "
    "L'équipe technique a été notifiée de cette erreur pour investigation.",
    provider="CNAV",
)
ERROR_401_FC_TOKEN = v3_error("50002", "Accès non autorisé", "Le jeton d'accès n'a pas été trouvé ou est expiré.")
ERROR_403 = v3_error("00100", "Privilèges insuffisants", "Votre token est valide mais vos privilèges sont "
                     "insuffisants. Listez vos privilèges sur /api/introspect")
ERROR_404_RNCPS = v3_error("40003", "Dossier allocataire absent RNCPS", "Allocataire non référencé", provider="RNCPS")
ERROR_404_CNAF_MSA = v3_error("35003", "Allocataire non référencé",
                              "L'allocataire n'est pas référencé auprès des caisses éligibles", provider="CNAF & MSA")
ERROR_404_CNAV = v3_error("37003", "Entité non trouvée",
                          "Dossier allocataire inexistant. Le document ne peut être édité.", provider="CNAV")
ERROR_409 = v3_error("00015", "Conflit", "Une requête avec les mêmes paramètres est déjà en cours")
ERROR_422 = v3_error("00203", "Entité non traitable", "Le paramètre recipient est obligatoire")
# The published 422 example of the FranceConnect route (api-particulier-openapi-v3.yml, entite_non_traitable_00366).
ERROR_422_NOT_IDENTIFIED = v3_error("00366", "Entité non traitable",
                                    "Un ou plusieurs paramètres de civilité ne sont pas correctement formatés")
ERROR_429 = v3_error("00429", "Trop de requêtes", "Vous avez effectué trop de requêtes")
ERROR_504_TIMEOUT = v3_error("37002", "Intermédiaire hors-délai", "Le fournisseur de données n'a pas répondu à temps")

# ---- v2 errors (A.9).
V2_ERROR_400 = {"error": "bad_request", "reason": "Le paramètre recipient n'est pas un siret valide",
                "message": "Le paramètre recipient n'est pas un siret valide"}
V2_ERROR_404 = {"error": "not_found", "reason": "Dossier allocataire inexistant. Le document ne peut être édité.",
                "message": "Dossier allocataire inexistant. Le document ne peut être édité."}
V2_ERROR_503 = {"error": "network_error", "reason": "timeout of 10000 ms exceeded",
                "message": "Une erreur est survenue lors de l'appel au fournisseur de donnée"}
V2_ERROR_504 = {"error": "gateway_timeout", "reason": "timeout", "message": "Le fournisseur n'a pas répondu"}

# ---- CNAM API droits (B.5).
NIR_INSURED = "285037511200197"
NIR_CHILD = "115069912611122"
NIR_CORSICA_2A = "253072A07300443"
NIR_CORSICA_2B = "253072B07300470"

ME = {"nir": NIR_INSURED, "nom_famille": "FOURNIER", "nom_usage": "FOURNIER", "prenom": "AUDREY",
      "date_naissance": "1985-03-02", "rang_naissance": 1, "qualite": "assure", "presence_CMUC_ACS": False,
      "medecin_traitant_choisi": True}
BENEFICIAIRES = [
    ME,
    {"nir": NIR_CHILD, "nom_famille": "FOURNIER", "prenom": "LUCAS", "date_naissance": "2015-06-12",
     "rang_naissance": 1, "qualite": "enfant", "presence_CMUC_ACS": False, "medecin_traitant_choisi": False},
]
CONTRATS = [
    {"nature_assurance": "AMO", "date_debut": "2020-01-15", "date_fin": "2025-01-15",
     "details": {"code_type_contrat": "BASE", "libelle_type_contrat": "Droits de base (contrat sans spécificité)"},
     "periodes_droits": [{"date_debut": "2021-01-01", "date_fin": "2022-01-01"}]},
]
CAISSE = {
    "id": "01261", "grandRegime": "01", "organisme": "261", "codeCentre": "0001", "libelle": "CPAM de Maine-et-Loire",
    "adresse": {"destinataire": "CPAM de Maine-et-Loire", "numero_voie": "13", "type_voie": "boulevard",
                "nom_voie": "Charles de Gaule", "code_postal": "49100", "commune": "Angers"},
}
EXONERATIONS = [
    {"date_debut": "2024-09-01", "date_fin": "2025-04-30",
     "motif": {"code": "MAT", "libelle": "Maternité", "libelle_long": "Exonération au titre de la maternité"},
     "maternite": {"date_presumee_grossesse": "2024-08-20", "date_reelle_accouchement": "2025-04-02"}},
]
MEDECIN_TRAITANT = {"nom": "MARTIN", "prenom": "CLAIRE", "numero_am": "491234567", "date_debut": "2019-04-01",
                    "date_fin": "2030-12-31"}
