"""API Particulier v3 stand-in: the C2S status in FranceConnect mode (data-providers.md A.2–A.10).

`GET /v3/dss/complementaire_sante_solidaire/france_connect?recipient=<SIRET>` with `Authorization: Bearer
<FC access token>`. As siade does, the token is checked against FranceConnect (here in process, the logic of
/checktoken) and must carry `complementaire_sante_solidaire` and the whole identité pivot, aliases allowed.
Order of the checks: bearer, token, scopes, rate limit, recipient, then the RNCPS data.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request
from stdnum.fr import siret

from app.sandbox.providers import C2S, C2S_PATH, C2S_SCOPE, calls, data
from app.sandbox.providers.envelopes import c2s_error

bp = Blueprint("api_particulier", __name__)

PIVOT_SCOPES = ("family_name", "given_name", "gender", "birthdate", "birthplace", "birthcountry")
# siade's FranceConnect::ValidateResponse#scopes_flatten_without_aliases, applied in this order.
_ALIASES = (
    ("identite_pivot", ("profile", "birth")),
    ("profile", ("given_name", "family_name", "birthdate", "gender")),
    ("birth", ("birthplace", "birthcountry")),
)


@bp.get(C2S_PATH)
def complementaire_sante_solidaire():
    st = calls.state()
    fault = calls.fault_response(C2S, C2S_PATH)
    if fault is not None:
        return fault
    kind, value = calls.read_bearer()
    if kind == "absent":
        return c2s_error("50004")
    if kind == "malformed":
        return c2s_error("50001")
    introspection = st.introspect(value)
    if introspection is None:
        return c2s_error("50002")
    granted = introspection["scope"].split()
    # The spec masks data without the C2S scope; the sandbox refuses like a missing pivot scope (UNCONFIRMED).
    if C2S_SCOPE not in granted or not has_identite_pivot(granted):
        return c2s_error("50003", detail_suffix=f"Le jeton possède les scopes suivants: {', '.join(granted)}.")
    now = st.clock()
    calls_made = st.c2s_rate.hit(introspection["jti"], now)
    g.c2s_remaining = max(st.c2s_rate.limit - calls_made, 0)
    if calls_made > st.c2s_rate.limit:
        response = c2s_error("00429")
        response.headers["Retry-After"] = str(max(st.c2s_rate.reset_at(now) - int(now), 1))
        return response
    recipient = request.args.get("recipient", "")
    if not recipient:
        return c2s_error("00203", parameter="recipient")
    if not (len(recipient) == 14 and recipient.isascii() and recipient.isdigit() and siret.is_valid(recipient)):
        return c2s_error("00210", parameter="recipient")
    allowed = st.config.api_particulier_recipients
    if allowed is not None and recipient not in allowed:
        return c2s_error("00100")  # the recipient is not the one this habilitation was granted for
    status = data.find(introspection["login"]).c2s
    if status is None:
        return c2s_error("37003")
    return jsonify({
        "data": {
            "est_beneficiaire": status.est_beneficiaire,
            "avec_participation": status.avec_participation,
            "date_debut_droit": status.date_debut_droit,
        },
        "links": {},
        "meta": {},
    })


@bp.after_request
def _rate_limit_headers(response: Response) -> Response:
    """Every answer carries RateLimit-Limit/Remaining/Reset (A.10); a call without a valid token counts for none."""
    st = calls.state()
    response.headers.setdefault("RateLimit-Limit", str(st.c2s_rate.limit))
    response.headers.setdefault("RateLimit-Remaining", str(g.get("c2s_remaining", st.c2s_rate.limit)))
    response.headers.setdefault("RateLimit-Reset", str(st.c2s_rate.reset_at(st.clock())))
    return response


def has_identite_pivot(granted: list[str]) -> bool:
    flattened = list(granted)
    for alias, expansion in _ALIASES:
        if alias in flattened:
            flattened.remove(alias)
            flattened.extend(expansion)
    return set(PIVOT_SCOPES) <= set(flattened)
