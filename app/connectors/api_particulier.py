"""API Particulier: the C2S (complémentaire santé solidaire) status, FranceConnect mode (v3).

Docs: https://particulier.api.gouv.fr/developpeurs/openapi (route
`api_particulier_v3_cnav_complementaire_sante_solidaire_with_france_connect`); our notes:
shared/reference/data-providers.md A. Staging: https://staging.particulier.api.gouv.fr with the FC integration
token (data: etalab/siade_staging_data). The FC access token is the Bearer and lives 60 s: call right after login.
Warning: ignoring 429s gets the IP banned for 12 h (A.10); `app.outbound` never retries them blindly.
"""

from __future__ import annotations

import re
from typing import Any

from app import outbound
from app.connectors import payload as body_of
from app.model import rights

C2S_PATH = "/v3/dss/complementaire_sante_solidaire/france_connect"
_SIRET = re.compile(r"[0-9]{14}")
_ERROR_CODE = re.compile(r"[0-9]{5}")  # v3 envelope: errors[0].code
# The one 422 the published document gives for the person rather than the request: "Un ou plusieurs paramètres de
# civilité ne sont pas correctement formatés" (the identity FranceConnect holds cannot be matched). 00203 (recipient
# missing) and any other 422 are our request's fault.
_PERSON_NOT_IDENTIFIED = "00366"
_ERROR_KIND = re.compile(r"[a-z][a-z_]{0,63}")  # v2 envelope: error ("not_found", "bad_request"…)
# A.6 data-quality alert, still present in 2026-04: avec_participation may be wrong. Flip once CNAV's fix is confirmed.
_PARTICIPATION_RELIABLE = False


class ApiParticulierError(Exception):
    """Base of API Particulier failures; never raised itself. Messages hold codes only, never provider text."""

    def __init__(self, message: str = "", *, status_code: int | None = None, error_code: str | None = None,
                 error_kind: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_code = error_code  # the 5-digit v3 code, e.g. "50002"
        self.error_kind = error_kind  # the v2 `error` keyword, e.g. "not_found"
        self.retry_after = retry_after


class ApiParticulierNotFound(ApiParticulierError): ...  # 404 (40003, 35003, 37003), 422 00366: person not identified


class ApiParticulierTokenRefused(ApiParticulierError): ...  # 401: FC token malformed/expired/lacking scopes (5000x)


class ApiParticulierForbidden(ApiParticulierError): ...  # 403 00100: FC client not paired, or scope not granted


class ApiParticulierConflict(ApiParticulierError): ...  # 409 00015: the same request is already running


class ApiParticulierUnprocessable(ApiParticulierError): ...  # 422 but 00366 (00203…), other 4xx: our request


class ApiParticulierRateLimited(ApiParticulierError): ...  # 429, or still inside a previous 429's wait


class ApiParticulierUnavailable(ApiParticulierError): ...  # 5xx, timeout, connection error, circuit open


class ApiParticulierInvalidResponse(ApiParticulierError): ...  # not the documented JSON, oversized, redirect


_BY_STATUS: dict[int, type[ApiParticulierError]] = {
    401: ApiParticulierTokenRefused, 403: ApiParticulierForbidden, 404: ApiParticulierNotFound,
    409: ApiParticulierConflict, 422: ApiParticulierUnprocessable, 429: ApiParticulierRateLimited,
}
_BY_OUTBOUND: dict[type[outbound.OutboundError], type[ApiParticulierError]] = {
    outbound.OutboundUnavailable: ApiParticulierUnavailable,
    outbound.OutboundRateLimited: ApiParticulierRateLimited,
    outbound.OutboundInvalidResponse: ApiParticulierInvalidResponse,
}


def fetch_c2s_status(http: outbound.OutboundHttp, *, access_token: str, recipient: str,
                     deadline: outbound.Deadline) -> rights.C2SStatus:
    """The person's C2S status, identified by their FranceConnect access token (data-providers.md A.2, A.6)."""
    if not isinstance(recipient, str) or not _SIRET.fullmatch(recipient):
        raise ValueError("recipient must be the 14-digit SIRET of the body receiving the data")
    try:
        response = http.get(C2S_PATH, deadline=deadline, params={"recipient": recipient},
                            credentials={"Authorization": outbound.bearer(access_token)})
    except outbound.OutboundError as exc:
        raise _BY_OUTBOUND[type(exc)](exc.reason, retry_after=exc.retry_after) from exc
    _raise_for_status(response)
    return _parse_status(response)


def _raise_for_status(response: outbound.HttpResponse) -> None:
    status = response.status
    if status == 200:
        return
    code, kind = _error_codes(response)
    if status in _BY_STATUS:
        error = _BY_STATUS[status]
    elif status >= 500:
        error = ApiParticulierUnavailable
    elif status >= 400:
        error = ApiParticulierUnprocessable  # e.g. the v2-style 400 for an invalid recipient SIRET
    else:
        error = ApiParticulierInvalidResponse  # 1xx, 204 and other 2xx: not the documented answer
    if status == 422 and code == _PERSON_NOT_IDENTIFIED:
        error = ApiParticulierNotFound
    elif error is ApiParticulierNotFound and code is None and kind != "not_found":
        # A 404 without API Particulier's envelope comes from a proxy or a wrong base URL, not from the RNCPS:
        # reporting "unknown person" would hide a configuration error behind a normal outcome.
        error = ApiParticulierInvalidResponse
    message = f"HTTP {status}" + (f" code {code}" if code else "") + (f" {kind}" if kind else "")
    raise error(message, status_code=status, error_code=code, error_kind=kind, retry_after=response.retry_after)


def _error_codes(response: outbound.HttpResponse) -> tuple[str | None, str | None]:
    """(v3 errors[0].code, v2 error) from an error body, each None when absent or malformed; never the texts."""
    try:
        payload = body_of.decode_json(response, lenient=True)
    except ValueError:
        return None, None
    if not isinstance(payload, dict):
        return None, None
    errors = payload.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        code = errors[0].get("code")
        return (code if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else None), None
    kind = payload.get("error")
    return None, (kind if isinstance(kind, str) and _ERROR_KIND.fullmatch(kind) else None)


def _parse_status(response: outbound.HttpResponse) -> rights.C2SStatus:
    try:
        payload: Any = body_of.decode_json(response)
    except ValueError:
        # `from None`: a JSONDecodeError keeps the whole body in `.doc`, which must not reach an error report.
        raise ApiParticulierInvalidResponse("body is not JSON", status_code=200) from None
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        raise ApiParticulierInvalidResponse("data is not an object", status_code=200)
    is_beneficiary = data.get("est_beneficiaire")
    if not isinstance(is_beneficiary, bool):
        raise ApiParticulierInvalidResponse("data.est_beneficiaire is not a boolean", status_code=200)
    participation = data.get("avec_participation")
    if participation is not None and not isinstance(participation, bool):
        raise ApiParticulierInvalidResponse("data.avec_participation is not a boolean or null", status_code=200)
    start = data.get("date_debut_droit")
    try:
        start_date = None if start is None else body_of.parse_date(start)
    except (TypeError, ValueError):
        raise ApiParticulierInvalidResponse("data.date_debut_droit is not a date or null", status_code=200) from None
    if not is_beneficiary:
        # The spec says null, siade and staging send false (A.6): both mean "not applicable". True would
        # contradict est_beneficiaire, and on health data we refuse a contradiction rather than guess.
        if participation:
            raise ApiParticulierInvalidResponse("avec_participation is true for a non-beneficiary", status_code=200)
        participation = None
    return rights.C2SStatus(is_beneficiary=is_beneficiary, with_participation=participation, start_date=start_date,
                            participation_reliable=_PARTICIPATION_RELIABLE)
