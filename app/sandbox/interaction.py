"""The browser side of the sandbox: /authorize, the "Démonstration" identity chooser, consent, logout.

Like FC, a valid /authorize redirects to an interaction page (`/api/v2/interaction/<uid>`). The
interaction is bound to the browser that first opens it, through the sandbox session cookie
(`fc_sandbox_session`), whose random token also protects every form against CSRF. /authorize itself
never touches the cookie: a cross-site POST does not carry a SameSite=Lax cookie, and writing one there
would wipe the user's SSO session.

The chooser also lets the tester pick a data-provider fault for the coming access token: form field
`provider_fault`, one value per provider such as `c2s:502` or `cnam:contrats_504` (`app.sandbox.providers.faults`).
"""

from __future__ import annotations

import hmac
import secrets

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from app.sandbox import authorize, responses, scopes
from app.sandbox.config import SandboxClient
from app.sandbox.keys import InvalidSignature
from app.sandbox.providers import faults as provider_faults
from app.sandbox.state import SSO_IDLE_TIMEOUT, Interaction, SandboxState

bp = Blueprint("fc_interaction", __name__, url_prefix="/api/v2")

USER_ABORTED = "User auth aborted"
TECHNICAL_ERROR = "authentication aborted due to a technical error on the authorization server"
# Failures a tester can trigger from the chooser: (error, error_description, French label).
# FC's wording is only known for server_error; the two others are the sandbox's own.
FAULTS = {
    "server_error": ("server_error", TECHNICAL_ERROR, "Erreur technique de FranceConnect"),
    "temporarily_unavailable": (
        "temporarily_unavailable", "the authorization server is temporarily unavailable",
        "FranceConnect momentanément indisponible",
    ),
    "rnipp_unknown": (
        "access_denied", "identity could not be certified (person unknown to the RNIPP)",
        "Personne inconnue du RNIPP (refus de connexion)",
    ),
}
LOGOUT_PARAMS = ("id_token_hint", "post_logout_redirect_uri", "state", "client_id", "logout_hint", "ui_locales")


class InteractionError(Exception):
    """The interaction is unknown, expired, or driven from another browser or without the CSRF token."""


def _state() -> SandboxState:
    return current_app.extensions["fc_sandbox"]


@bp.errorhandler(InteractionError)
def _interaction_error(exc: InteractionError):
    return responses.error_page("", str(exc))


@bp.route("/authorize", methods=["GET", "POST"])
def authorize_endpoint():
    st = _state()
    params = request.form if request.method == "POST" else request.args
    try:
        parsed = authorize.parse(params, st)
    except authorize.AuthorizePageError as exc:
        return responses.error_page(exc.code, exc.detail)
    except authorize.AuthorizeRedirectError as exc:
        return responses.error_redirect(
            exc.request.redirect_uri, exc.error, exc.description, state=exc.request.state, issuer=st.issuer,
            fragment=exc.fragment,
        )
    interaction = st.start_interaction(
        client_id=parsed.client_id, redirect_uri=parsed.redirect_uri, state=parsed.state, nonce=parsed.nonce,
        scopes=parsed.scopes, prompt=parsed.prompt, amr_requested=parsed.amr_requested,
    )
    return redirect(url_for(".chooser", uid=interaction.uid), code=303)


@bp.get("/interaction/<uid>")
def chooser(uid: str):
    st = _state()
    interaction = st.interaction(uid)
    if interaction is None:
        raise InteractionError("interaction not found or expired")
    if interaction.browser is None:
        interaction = st.update_interaction(uid, browser=_csrf_token())
    elif not hmac.compare_digest(interaction.browser, _csrf_token()):
        raise InteractionError("interaction opened in another browser")
    sso = _sso_session(st)
    # prompt=login asks for a fresh authentication: no "continue as".
    sso_identity = st.identity(sso["login"]) if sso and "login" not in interaction.prompt else None
    return render_template(
        "sandbox/chooser.html", interaction=interaction, client=st.client(interaction.client_id),
        identities=st.identities, sso_identity=sso_identity, faults=FAULTS, csrf_token=_csrf_token(),
        provider_fault_options=provider_faults.chooser_options(),
    )


@bp.post("/interaction/<uid>/login")
def login(uid: str):
    st = _state()
    interaction = _posted_interaction(uid)
    sso = _sso_session(st)
    if request.form.get("sso") and sso and "login" not in interaction.prompt:
        identity, auth_time = st.identity(sso["login"]), sso["auth_time"]
    else:
        identity, auth_time = st.identity(request.form.get("login", "")), st.now()
    if identity is None:
        raise InteractionError("unknown test identity")
    try:
        chosen_faults = provider_faults.parse_choice(request.form.getlist("provider_fault"))
    except ValueError as exc:
        raise InteractionError(str(exc)) from None
    if identity.refused_by_fc or (identity.email is None and "email" in interaction.scopes):
        # FC's core refuses an identity its IdP returned incomplete (OidcIdentityDto): it shows its page Y600006,
        # then sends the user back with server_error (franceconnect.md §3, connexion-rnipp.feature).
        st.end_interaction(uid)
        return _back_with_error(interaction, "server_error", TECHNICAL_ERROR)
    st.update_interaction(uid, login=identity.login, auth_time=auth_time, provider_faults=chosen_faults)
    session["sso"] = {"login": identity.login, "auth_time": auth_time, "last_seen": st.now()}
    session.permanent = True
    return redirect(url_for(".consent", uid=uid), code=303)


@bp.get("/interaction/<uid>/consent")
def consent(uid: str):
    st = _state()
    interaction = st.interaction(uid)
    if interaction is None or interaction.login is None or interaction.browser != session.get("csrf"):
        raise InteractionError("no identity chosen for this interaction")
    identity = st.identity(interaction.login)
    claims = identity.claims()
    shown = [
        (scopes.CLAIM_LABELS[name], claims[name])
        for name in scopes.claim_names(interaction.scopes)
        if name in claims and name in scopes.CLAIM_LABELS
    ]
    data_scopes = [scope for scope in interaction.scopes if scope not in scopes.SCOPE_CLAIMS]
    return render_template(
        "sandbox/consent.html", interaction=interaction, client=st.client(interaction.client_id),
        identity=identity, shown=shown, data_scopes=data_scopes, csrf_token=session["csrf"],
        provider_faults=provider_faults.describe(interaction.provider_faults),
    )


@bp.post("/interaction/<uid>/consent")
def give_consent(uid: str):
    st = _state()
    interaction = _posted_interaction(uid)
    if interaction.login is None:
        raise InteractionError("no identity chosen for this interaction")
    code = st.issue_code(interaction)
    st.end_interaction(uid)
    params = {"code": code, "state": interaction.state, "iss": st.issuer}
    return responses.redirect_to_client(interaction.redirect_uri, params)


@bp.post("/interaction/<uid>/abort")
def abort(uid: str):
    interaction = _posted_interaction(uid)
    _state().end_interaction(uid)
    return _back_with_error(interaction, "access_denied", USER_ABORTED)


@bp.post("/interaction/<uid>/fault")
def fault(uid: str):
    interaction = _posted_interaction(uid)
    scenario = FAULTS.get(request.form.get("scenario", ""))
    if scenario is None:
        raise InteractionError("unknown fault scenario")
    _state().end_interaction(uid)
    return _back_with_error(interaction, scenario[0], scenario[1])


@bp.get("/session/end")
def end_session():
    st = _state()
    unknown = sorted(set(request.args) - set(LOGOUT_PARAMS))
    if unknown:
        return responses.error_page("Y030007", f"unknown parameter(s): {', '.join(unknown)}")
    hint = request.args.get("id_token_hint", "")
    if not hint:
        return responses.error_page("Y030007", "missing required parameter 'id_token_hint'")
    client = _client_of_hint(st, hint)
    if client is None or request.args.get("client_id", client.client_id) != client.client_id:
        return responses.error_page("", "id_token_hint could not be validated")
    target = request.args.get("post_logout_redirect_uri")
    if target is not None and target not in client.post_logout_redirect_uris:
        return responses.error_page("", "post_logout_redirect_uri not registered")
    session.pop("sso", None)
    if target is None:
        return render_template("sandbox/logged_out.html", client=client)
    state = request.args.get("state")
    return responses.redirect_to_client(target, {"state": state} if state is not None else {})


def _client_of_hint(st: SandboxState, hint: str) -> SandboxClient | None:
    """The client an ID token we issued was for. Expired hints are fine, as with node-oidc-provider."""
    try:
        claims = st.keys.verify(hint)
        client = st.client(claims.get("aud")) if isinstance(claims.get("aud"), str) else None
        if client is None or claims.get("iss") != st.issuer:
            return None
        st.keys.verify(hint, client.id_token_alg)  # signed with the alg this client registered
    except InvalidSignature:
        return None
    return client


def _csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
        session.permanent = True
    return session["csrf"]


def _posted_interaction(uid: str) -> Interaction:
    """The interaction a form was posted for, refused unless this browser opened it and the token matches."""
    interaction = _state().interaction(uid)
    if interaction is None:
        raise InteractionError("interaction not found or expired")
    expected = session.get("csrf", "")
    posted = request.form.get("csrf_token", "")
    if not expected or not hmac.compare_digest(posted, expected) or interaction.browser != expected:
        raise InteractionError("invalid CSRF token or foreign interaction")
    return interaction


def _sso_session(st: SandboxState) -> dict | None:
    """The remembered identity, forgotten after 30 minutes without activity (FC's web session)."""
    sso = session.get("sso")
    if not sso:
        return None
    if st.now() - sso["last_seen"] > SSO_IDLE_TIMEOUT:
        session.pop("sso")
        return None
    session["sso"] = {**sso, "last_seen": st.now()}
    return session["sso"]


def _back_with_error(interaction: Interaction, error: str, description: str):
    return responses.error_redirect(
        interaction.redirect_uri, error, description, state=interaction.state, issuer=_state().issuer
    )
