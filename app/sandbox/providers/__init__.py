"""Stand-ins of the two data providers the service calls with the FranceConnect access token.

Served by the sandbox app at their production paths (shared/reference/data-providers.md A.2 and B.2):
* API Particulier, C2S status: `GET /v3/dss/complementaire_sante_solidaire/france_connect?recipient=<SIRET>`
  (`api_particulier`), so the service's base URL is the sandbox's base URL;
* CNAM API droits: `GET /test/v1/droits/beneficiaires` + `/me`, `/me/beneficiaires`, `` or `/`, `/caisse`,
  `/contrats`, `/exonerations`, `/medecin-traitant` (`cnam`), the published test server path: the service's
  base URL is `{sandbox}/test/v1/droits/beneficiaires`.

Both validate the token in process against the sandbox FranceConnect (`SandboxState.introspect`, the logic of
/checktoken), answer from per-identity test data (`data`), and can be made to fail (`faults`, `admin`).
"""

from __future__ import annotations

C2S = "c2s"
CNAM = "cnam"
PROVIDER_LABELS = {C2S: "API Particulier (statut C2S)", CNAM: "CNAM (API droits)"}

C2S_PATH = "/v3/dss/complementaire_sante_solidaire/france_connect"
CNAM_ROOT = "/test/v1/droits/beneficiaires"
CNAM_PATHS = ("/me", "/me/beneficiaires", "/", "/caisse", "/contrats", "/exonerations", "/medecin-traitant")

C2S_SCOPE = "complementaire_sante_solidaire"
CNAM_SCOPE = "droits_assurance_maladie"
# The sandbox hosts these providers itself, so FC must know their scopes even when no FD is registered.
STAND_IN_SCOPES = (C2S_SCOPE, CNAM_SCOPE)
