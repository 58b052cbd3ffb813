"""Scopes and claims of FC v2 standard (fcp-low), from franceconnect.md §6."""

from __future__ import annotations

from collections.abc import Iterable

IDENTITE_PIVOT = ("given_name", "given_name_array", "family_name", "birthdate", "gender", "birthplace", "birthcountry")

# FC's fcp-low.scopes.ts; v2 dropped `address` and `phone`, and identite_pivot lost preferred_username.
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "openid": ("sub",),
    "profile": ("given_name", "given_name_array", "family_name", "birthdate", "gender", "preferred_username"),
    "birth": ("birthplace", "birthcountry"),
    "identite_pivot": IDENTITE_PIVOT,
    "given_name": ("given_name", "given_name_array"),
    "family_name": ("family_name",),
    "birthdate": ("birthdate",),
    "gender": ("gender",),
    "birthplace": ("birthplace",),
    "birthcountry": ("birthcountry",),
    "email": ("email",),
    "preferred_username": ("preferred_username",),
    "idp_birthdate": ("idp_birthdate",),
    # fcp-low.scopes.ts lists these two as well: how the person signed in, and at which identity provider.
    "amr": ("amr",),
    "idp_id": ("idp_id",),
}

CLAIMS_SUPPORTED = (
    "sub", "given_name", "given_name_array", "family_name", "birthdate", "gender", "birthplace", "birthcountry",
    "email", "preferred_username", "idp_birthdate", "amr", "acr", "idp_id",
)

CLAIM_LABELS = {
    "sub": "Identifiant technique propre à ce service",
    "given_name": "Prénoms",
    "family_name": "Nom de naissance",
    "birthdate": "Date de naissance",
    "gender": "Sexe",
    "birthplace": "Lieu de naissance (code commune INSEE)",
    "birthcountry": "Pays de naissance (code pays INSEE)",
    "email": "Adresse électronique",
    "preferred_username": "Nom d'usage",
    "idp_birthdate": "Date de naissance telle que connue du fournisseur d'identité",
    "amr": "Méthode d'authentification",
    "idp_id": "Fournisseur d'identité utilisé",
}


def claim_names(scopes: Iterable[str]) -> list[str]:
    """The claims a set of scopes releases, in a stable order, without duplicates."""
    names: dict[str, None] = {}
    for scope in scopes:
        names.update(dict.fromkeys(SCOPE_CLAIMS.get(scope, ())))
    return list(names)


def release(claims: dict, scopes: Iterable[str]) -> dict:
    """The subset of `claims` the scopes allow; claims the person lacks stay absent."""
    return {name: claims[name] for name in claim_names(scopes) if name in claims}
