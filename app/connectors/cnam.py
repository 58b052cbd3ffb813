"""CNAM "API de droits à l'Assurance Maladie": rights of the FranceConnect user and their beneficiaries.

Docs: assurance-maladie-digital/api-droits-fs-doc `documentation-open-api.yaml` (2019, v1); our notes:
shared/reference/data-providers.md B. Test base URL: https://partenaires.api.ameli.fr/test/v1/droits/beneficiaires
(the production URL and key come with the CNAM agreement). Every call sends the CNAM API key and the FC access token
(60 s). The spec documents only 200s and marks no field required: every field is optional, types and enums are
checked, unknown fields are ignored. Exemptions and the médecin traitant are for healthcare establishments only (B.1).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from app import outbound
from app.connectors import payload as body_of
from app.connectors.nir import InvalidNir, full_nir, validate_nir
from app.model import rights

_MAX_TEXT = 1000


class CnamError(Exception):
    """Base of CNAM API droits failures; never raised itself. Messages name fields, never values."""

    def __init__(self, message: str = "", *, status_code: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after


class CnamNotFound(CnamError): ...  # 404, 204 or an empty body: no rights here (e.g. outside the régime général)


class CnamRefused(CnamError): ...  # 401/403 (key, FC token or scope refused) and other 4xx


class CnamRateLimited(CnamError): ...  # 429, or still inside a previous 429's wait


class CnamUnavailable(CnamError): ...  # 5xx, timeout, connection error, circuit open


class CnamInvalidResponse(CnamError): ...  # HTML, not JSON, wrong types, unknown enum value, oversized, redirect


_BY_OUTBOUND: dict[type[outbound.OutboundError], type[CnamError]] = {
    outbound.OutboundUnavailable: CnamUnavailable,
    outbound.OutboundRateLimited: CnamRateLimited,
    outbound.OutboundInvalidResponse: CnamInvalidResponse,
}


def fetch_me(http: outbound.OutboundHttp, *, access_token: str, api_key: str,
             deadline: outbound.Deadline) -> rights.Beneficiary:
    """The FranceConnect user as a CNAM beneficiary, without details (B.4 `GET /me`)."""
    return _beneficiary(_Fields(_get(http, "/me", access_token, api_key, deadline), "me"))


def fetch_beneficiaires(http: outbound.OutboundHttp, *, access_token: str, api_key: str,
                        deadline: outbound.Deadline) -> tuple[rights.Beneficiary, ...]:
    """The beneficiaries attached to the FranceConnect user, without details (B.4 `GET /me/beneficiaires`)."""
    items = _get(http, "/me/beneficiaires", access_token, api_key, deadline)
    return tuple(_beneficiary(f) for f in _list_of_objects(items, "beneficiaires"))


def fetch_caisse(http: outbound.OutboundHttp, *, access_token: str, api_key: str, nir: str,
                 deadline: outbound.Deadline) -> rights.Caisse:
    """The beneficiary's managing caisse (B.4 `GET /caisse`, header `nir`)."""
    f = _Fields(_get(http, "/caisse", access_token, api_key, deadline, nir), "caisse")
    a = f.child("adresse")
    address = None if a is None else rights.Address(
        recipient=a.text("destinataire"), delivery_point=a.text("point_remise"),
        complement=a.text("complement_adresse"), street_number=a.text("numero_voie"),
        repetition_index=a.text("indice_repetition"), street_type=a.text("type_voie"), street_name=a.text("nom_voie"),
        distribution_mention=a.text("mention_distribution"), postal_code=a.text("code_postal"),
        city=a.text("commune"),
    )
    return rights.Caisse(id=f.text("id"), grand_regime=f.text("grandRegime"), organisme=f.text("organisme"),
                         code_centre=f.text("codeCentre"), label=f.text("libelle"), address=address)


def fetch_contrats(http: outbound.OutboundHttp, *, access_token: str, api_key: str, nir: str,
                   deadline: outbound.Deadline) -> tuple[rights.Contract, ...]:
    """The beneficiary's AMO and AMC contracts with their periods of entitlement (B.4 `GET /contrats`)."""
    items = _get(http, "/contrats", access_token, api_key, deadline, nir)
    contracts = []
    for f in _list_of_objects(items, "contrats"):
        details = f.child("details") or _Fields({}, "contrats.details")
        periods = tuple(rights.Period(start=p.date("date_debut"), end=p.date("date_fin"))
                        for p in f.children("periodes_droits"))
        contracts.append(rights.Contract(
            nature=f.choice("nature_assurance", rights.NATURES), start=f.date("date_debut"), end=f.date("date_fin"),
            type_code=details.text("code_type_contrat"), type_label=details.text("libelle_type_contrat"),
            periods=periods,
        ))
    return tuple(contracts)


def fetch_medecin_traitant(http: outbound.OutboundHttp, *, access_token: str, api_key: str, nir: str,
                           deadline: outbound.Deadline) -> rights.MedecinTraitant:
    """The beneficiary's declared médecin traitant (B.4 `GET /medecin-traitant`); healthcare establishments only."""
    f = _Fields(_get(http, "/medecin-traitant", access_token, api_key, deadline, nir), "medecin-traitant")
    return rights.MedecinTraitant(last_name=f.text("nom"), first_name=f.text("prenom"), numero_am=f.text("numero_am"),
                                  start=f.date("date_debut"), end=f.date("date_fin"))


def fetch_exonerations(http: outbound.OutboundHttp, *, access_token: str, api_key: str, nir: str,
                       deadline: outbound.Deadline) -> tuple[rights.Exoneration, ...]:
    """The beneficiary's ticket modérateur exemptions (B.4 `GET /exonerations`); healthcare establishments only."""
    items = _get(http, "/exonerations", access_token, api_key, deadline, nir)
    exonerations = []
    for f in _list_of_objects(items, "exonerations"):
        motif = f.child("motif") or _Fields({}, "exonerations.motif")
        maternity = f.child("maternite") or _Fields({}, "exonerations.maternite")
        exonerations.append(rights.Exoneration(
            start=f.date("date_debut"), end=f.date("date_fin"), motif_code=motif.text("code"),
            motif_label=motif.text("libelle"), motif_long_label=motif.text("libelle_long"),
            presumed_pregnancy_date=maternity.date("date_presumee_grossesse"),
            actual_delivery_date=maternity.date("date_reelle_accouchement"),
        ))
    return tuple(exonerations)


def _get(http: outbound.OutboundHttp, path: str, access_token: str, api_key: str, deadline: outbound.Deadline,
         nir: str | None = None) -> Any:
    """Call `path` and return its decoded JSON body, or raise the matching CnamError."""
    credentials = {"X-API-Key": outbound.header_value(api_key, "api_key"),
                   "Authorization": outbound.bearer(access_token)}
    headers = {}
    if nir is not None:
        # A header value: only a well-formed NIR (no CR/LF) goes out. That it is one of the NIRs /me or
        # /me/beneficiaires returned is guaranteed by the caller, which only passes those.
        headers["nir"] = validate_nir(nir)
    try:
        response = http.get(path, deadline=deadline, headers=headers, credentials=credentials)
    except outbound.OutboundError as exc:
        raise _BY_OUTBOUND[type(exc)](exc.reason, retry_after=exc.retry_after) from exc
    _raise_for_status(response)
    if not response.body.strip():
        raise CnamNotFound("empty body", status_code=response.status)
    try:
        payload = body_of.decode_json(response, lenient=True)  # the spec declares `*/*`; JSON in practice
    except ValueError:
        # `from None`: a JSONDecodeError keeps the whole body in `.doc`, which must not reach an error report.
        raise CnamInvalidResponse("body is not JSON", status_code=response.status) from None
    if payload is None:
        raise CnamNotFound("null body", status_code=response.status)
    return payload


def _raise_for_status(response: outbound.HttpResponse) -> None:
    # The spec documents no error (B.6): these statuses are the expected behaviour, not a contract.
    status = response.status
    if status == 200:
        return
    if status in (204, 404):
        error: type[CnamError] = CnamNotFound
    elif status == 429:
        error = CnamRateLimited
    elif 400 <= status < 500:
        error = CnamRefused
    elif status >= 500:
        error = CnamUnavailable
    else:
        error = CnamInvalidResponse
    raise error(f"HTTP {status}", status_code=status, retry_after=response.retry_after)


def _list_of_objects(value: Any, where: str) -> list[_Fields]:
    if not isinstance(value, list):
        raise CnamInvalidResponse(f"{where} is not a list")
    return [_Fields(item, f"{where}[]") for item in value]


def _beneficiary(f: _Fields) -> rights.Beneficiary:
    nir = f.text("nir")
    try:
        # 13 or 15 characters (B.5 types it as a bare string); kept as 15, the form the `nir` header then sends
        # (which form the header expects is not documented either).
        nir = None if nir is None else full_nir(nir)
    except InvalidNir:
        raise CnamInvalidResponse(f"{f.where}.nir is not a valid NIR") from None
    return rights.Beneficiary(
        nir=nir, last_name=f.text("nom_famille"), usage_name=f.text("nom_usage"), first_name=f.text("prenom"),
        birth_date=f.date("date_naissance"), birth_rank=f.integer("rang_naissance"),
        qualite=f.choice("qualite", rights.QUALITES), has_c2s_flag=f.boolean("presence_CMUC_ACS"),
        has_medecin_traitant=f.boolean("medecin_traitant_choisi"),
    )


class _Fields:
    """Typed reads from one JSON object of a CNAM body: absent/null/"" give None, a wrong type is invalid."""

    def __init__(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise CnamInvalidResponse(f"{where} is not an object")
        self._data, self.where = value, where

    def _get(self, key: str, kind: type, label: str) -> Any:
        value = self._data.get(key)
        if value is None or (value == "" and kind is str):
            return None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise CnamInvalidResponse(f"{self.where}.{key} is not {label}")
        return value

    def text(self, key: str) -> str | None:
        value = self._get(key, str, "a string")
        if value is not None and (len(value) > _MAX_TEXT or any(ord(c) < 32 or ord(c) == 127 for c in value)):
            raise CnamInvalidResponse(f"{self.where}.{key} is too long or has control characters")
        return value

    def integer(self, key: str) -> int | None:
        return self._get(key, int, "an integer")

    def boolean(self, key: str) -> bool | None:
        return self._get(key, bool, "a boolean")

    def date(self, key: str) -> dt.date | None:
        value = self._get(key, str, "a date")
        try:
            return None if value is None else body_of.parse_date(value)
        except ValueError:
            raise CnamInvalidResponse(f"{self.where}.{key} is not a YYYY-MM-DD date") from None

    def choice(self, key: str, allowed: tuple[str, ...]) -> Any:
        value = self.text(key)
        if value is not None and value not in allowed:
            raise CnamInvalidResponse(f"{self.where}.{key} is not a known value")
        return value

    def child(self, key: str) -> _Fields | None:
        value = self._data.get(key)
        return None if value is None else _Fields(value, f"{self.where}.{key}")

    def children(self, key: str) -> list[_Fields]:
        value = self._data.get(key)
        return [] if value is None else _list_of_objects(value, f"{self.where}.{key}")
