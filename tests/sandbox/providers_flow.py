"""Test helpers that play the service calling the sandbox's data-provider stand-ins with a real FC token."""

from __future__ import annotations

from app.sandbox.config import DEFAULT_CNAM_API_KEY
from app.sandbox.providers import C2S_PATH, CNAM_ROOT
from tests.sandbox.flow import tokens

FULL_SCOPE = "openid identite_pivot complementaire_sante_solidaire droits_assurance_maladie"
RECIPIENT = "13002526500013"  # DINUM's SIRET, the one of API Particulier's own examples
OTHER_SIRET = "12345678200002"  # valid but fictitious
BENEFICIAIRE_KEYS = {"nir", "nom_famille", "nom_usage", "prenom", "date_naissance", "rang_naissance", "qualite",
                     "presence_CMUC_ACS", "medecin_traitant_choisi"}
CAISSE_KEYS = {"id", "grandRegime", "organisme", "codeCentre", "libelle", "adresse"}
ADRESSE_KEYS = {"destinataire", "point_remise", "complement_adresse", "numero_voie", "indice_repetition", "type_voie",
                "nom_voie", "mention_distribution", "code_postal", "commune"}
CONTRAT_KEYS = {"nature_assurance", "date_debut", "date_fin", "details", "periodes_droits"}
EXONERATION_KEYS = {"date_debut", "date_fin", "motif", "maternite"}
MEDECIN_KEYS = {"nom", "prenom", "numero_am", "date_debut", "date_fin"}


def access_token(client, login: str = "test", scope: str = FULL_SCOPE, **kwargs) -> str:
    """Sign in through the sandbox FC (chooser, consent, token endpoint) and return the access token."""
    return tokens(client, login, scope=scope, **kwargs)["access_token"]


def get_c2s(client, token: str | None, recipient: str | None = RECIPIENT, headers: dict | None = None, **kwargs):
    all_headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    all_headers.update(headers or {})
    query = {"recipient": recipient} if recipient is not None else {}
    return client.get(C2S_PATH, query_string=query, headers=all_headers, **kwargs)


def get_cnam(client, token: str | None, path: str = "/me", *, nir: str | None = None,
             api_key: str | None = DEFAULT_CNAM_API_KEY, query: dict | None = None, **kwargs):
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if api_key is not None:
        headers["X-API-Key"] = api_key
    if nir is not None:
        headers["nir"] = nir
    return client.get(CNAM_ROOT + ("" if path == "" else path), query_string=query or {}, headers=headers, **kwargs)


def c2s_error_code(response) -> str:
    """The code of a v3 error, after checking the envelope's shape (A.8)."""
    body = response.json
    assert set(body) == {"errors"} and len(body["errors"]) == 1, body
    error = body["errors"][0]
    assert set(error) == {"code", "title", "detail", "source", "meta"}, error
    assert error["title"] and error["detail"]
    return error["code"]
