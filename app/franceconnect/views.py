"""FranceConnect sign-in views: login (POST), callback, logout, logout callback, error page.

Kept thin: the protocol lives in `client.py`; here we bind state and nonce to the browser's session,
turn typed failures into French pages, and log a reason code (never a token or a claim value).
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, session, url_for

from app import extensions
from app.config import Settings
from app.franceconnect.client import AuthTransaction, FranceConnectClient, TokenResult
from app.franceconnect.errors import (
    FranceConnectConfigError,
    FranceConnectError,
    FranceConnectProtocolError,
    FranceConnectUnavailable,
)
from app.model.identity import Identity
from app.web import is_correlation_id

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__, url_prefix="/auth")

PENDING = "fc_pending"  # state -> AuthTransaction dict, for attempts started in this browser
IDENTITY = "identity"
ID_TOKEN = "fc_id_token"
LOGOUT_STATE = "fc_logout_state"
MAX_PENDING = 4  # a few tabs at once, not an unbounded list
TRANSACTION_TTL = 600

_STATE = re.compile(r"^[A-Za-z0-9_-]{22,128}$")
# Where to go after sign-in: a path of this service only (no scheme, host, query or "//"), so the
# parameter cannot become an open redirect.
_NEXT = re.compile(r"^/(?!/)[A-Za-z0-9/_-]{0,200}$")
DEFAULT_NEXT = "/mon-espace"

# What the callback does once the ID token is verified: fetch the identity (and, when wired by the
# factory, the rights, concurrently) and return it with extra values for the session. The default
# only fetches userinfo, so this room needs nothing from the connectors.
SignInHook = Callable[[FranceConnectClient, TokenResult, dict], tuple[Identity, dict]]


def fetch_identity_only(client: FranceConnectClient, token: TokenResult, context: dict) -> tuple[Identity, dict]:
    return client.fetch_userinfo(token), {}

_CODE = re.compile(r"^[A-Za-z0-9_.~-]{10,256}$")

# Callback `error` values FranceConnect documents; the user caused the first, FranceConnect the next two,
# and the rest mean our integration is broken (shared/reference/franceconnect.md §3).
_ERROR_MOTIFS = {
    "access_denied": "annule",
    "server_error": "indisponible",
    "temporarily_unavailable": "indisponible",
    "invalid_scope": "configuration",
    "invalid_request": "configuration",
    "invalid_acr": "configuration",
    "unsupported_response_type": "configuration",
}
MOTIFS = ("annule", "indisponible", "configuration", "expire", "echec")


def init_app(app: Flask, settings: Settings, *, sign_in_hook: SignInHook = fetch_identity_only,
             on_failure: Callable[[str, dict], None] | None = None, keep_on_failure: tuple[str, ...] = ()) -> None:
    """`on_failure(reason, context)` hears of every failed attempt (e.g. for an audit trail);
    `keep_on_failure` names session keys that hold no personal data and survive a failed attempt (e.g. the
    journey a portal opened), so that « Réessayer » picks up where the person was."""
    app.extensions["franceconnect"] = FranceConnectClient(settings.franceconnect)
    app.extensions["franceconnect_sign_in_hook"] = sign_in_hook
    app.extensions["franceconnect_on_failure"] = on_failure
    app.extensions["franceconnect_keep_on_failure"] = keep_on_failure
    # Revocations run after the response: the person does not wait for them.
    app.extensions["franceconnect_background"] = ThreadPoolExecutor(max_workers=2, thread_name_prefix="fc-revoke")
    app.register_blueprint(bp)

    @app.context_processor
    def _signed_in() -> dict:
        return {"signed_in": IDENTITY in session}


def _client() -> FranceConnectClient:
    return current_app.extensions["franceconnect"]


def _fail(motif: str, reason: str, *, level: int = logging.WARNING, context: dict | None = None):
    """End a failed attempt: no session left, a reason in the log, a French page at a clean URL."""
    log.log(level, "franceconnect login failed motif=%s reason=%s", motif, reason)
    on_failure = current_app.extensions.get("franceconnect_on_failure")
    if on_failure is not None:
        try:
            on_failure(reason, context or {})
        except Exception as error:  # the person must still get their page
            log.error("sign-in failure hook failed type=%s", type(error).__name__)
    kept = {key: session[key] for key in current_app.extensions["franceconnect_keep_on_failure"] if key in session}
    session.clear()
    session.update(kept)
    retry = {}
    if context and context.get("next") != DEFAULT_NEXT and _NEXT.match(context.get("next") or ""):
        # The retry button starts the same sign-in again: same destination, same sources.
        retry = {"next": context["next"], "sources": ",".join(context.get("sources") or []) or "none"}
    response = redirect(url_for("auth.error", motif=motif, ref=g.correlation_id, **retry), 303)
    return _no_leak(response)


def _no_leak(response):
    # The callback URL carries a code and a state: keep them out of Referer headers and caches.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _single(name: str) -> str | None:
    """A query parameter given at most once; duplicates are an attack or a bug, never a choice to make."""
    values = request.args.getlist(name)
    if len(values) > 1:
        return "\x00"  # matches no pattern, so the caller rejects it
    return values[0] if values else None


def _requested_sources(settings: Settings) -> list[str]:
    """The data sources the person agreed to; without a choice on the page, all the deployment uses."""
    if request.form.get("sources_chosen") != "1":
        return list(settings.providers.sources)
    chosen = set(request.form.getlist("sources"))
    return [source for source in settings.providers.sources if source in chosen]


@bp.post("/login")
def login():
    client = _client()
    settings: Settings = current_app.extensions["settings"]
    sources = _requested_sources(settings)
    next_path = request.form.get("next") or DEFAULT_NEXT
    if not _NEXT.match(next_path):
        log.warning("login refused an unsafe next parameter")
        next_path = DEFAULT_NEXT
    # Only the scopes whose data will be used: the identity, plus one per chosen source.
    scopes = settings.providers.sign_in_scopes(settings.franceconnect.scopes, sources)
    try:
        tx = client.new_transaction()
        url = client.authorize_url(tx, scopes=scopes)
    except FranceConnectConfigError as error:
        return _fail("configuration", error.reason, level=logging.ERROR)
    except FranceConnectError as error:
        return _fail("indisponible", error.reason)
    pending = {state: data for state, data in (session.get(PENDING) or {}).items() if _transaction(data)}
    while len(pending) >= MAX_PENDING:
        pending.pop(next(iter(pending)))  # the oldest: attempts are kept in the order they started
    pending[tx.state] = {**tx.to_dict(), "sources": sources, "next": next_path}
    session[PENDING] = pending
    extensions.touch_session()
    log.info("franceconnect login started")
    return redirect(url, 303)


@bp.get("/callback")
def callback():
    state = _single("state")
    pending = dict(session.get(PENDING) or {})
    # Popping makes each state single-use, whatever happens next.
    tx_data = pending.pop(state, None) if state and _STATE.match(state) else None
    if PENDING in session:
        session[PENDING] = pending

    error = _single("error")
    if error is not None:
        known = error in _ERROR_MOTIFS
        motif = _ERROR_MOTIFS.get(error, "configuration")
        # Who must act sets the level: the person (info), FranceConnect (warning), or us (error).
        level = {"annule": logging.INFO, "indisponible": logging.WARNING}.get(motif, logging.ERROR)
        description = (request.args.get("error_description") or "")[:200]
        log.log(level, "franceconnect returned an error error=%s state_known=%s description=%r",
                error if known else "unknown", tx_data is not None, description)
        return _fail(motif, f"callback_error_{error if known else 'unknown'}", level=level,
                     context=_context_of(tx_data))

    if tx_data is None:
        reason = "state_missing" if state is None else "state_unknown_or_used"
        return _fail("expire", reason)
    context = _context_of(tx_data)
    tx = _transaction(tx_data)
    if tx is None:
        return _fail("expire", "state_expired", context=context)
    code = _single("code")
    if not code or not _CODE.match(code):
        return _fail("echec", "code_missing_or_malformed", context=context)

    client = _client()
    hook: SignInHook = current_app.extensions["franceconnect_sign_in_hook"]
    try:
        token = client.exchange_code(code, tx)
        identity, extra = hook(client, token, context)
    except FranceConnectUnavailable as error:
        return _fail("indisponible", error.reason, context=context)
    except FranceConnectConfigError as error:
        return _fail("configuration", error.reason, level=logging.ERROR, context=context)
    except FranceConnectProtocolError as error:
        return _fail("echec", error.reason, level=logging.ERROR, context=context)

    # The identity and the rights are fetched: the access token has no further use here.
    current_app.extensions["franceconnect_background"].submit(_revoke_quietly, client, token)
    extensions.start_authenticated_session(current_app)
    session.update(extra)
    session[IDENTITY] = identity.to_dict()
    session[ID_TOKEN] = token.id_token
    log.info("franceconnect login succeeded")
    next_path = context["next"] if _NEXT.match(context["next"]) else DEFAULT_NEXT
    return _no_leak(redirect(next_path, 303))


def _transaction(data) -> AuthTransaction | None:
    """An unexpired attempt of this browser; an expired or unreadable entry (an older release's) is None."""
    try:
        tx = AuthTransaction.from_dict(data)
    except ValueError:
        return None
    return None if tx.expired(time.time(), TRANSACTION_TTL) else tx


def _revoke_quietly(client: FranceConnectClient, token: TokenResult) -> None:
    try:
        if client.revoke(token):
            log.info("franceconnect access token revoked")
    except FranceConnectError as error:
        # It expires within 60 s anyway; a failed revocation only shortens nothing.
        log.warning("franceconnect revocation failed reason=%s", error.reason)
    except Exception as error:
        log.error("franceconnect revocation crashed type=%s", type(error).__name__)


def _context_of(tx_data: dict | None) -> dict:
    """What the login started with: the chosen sources and where to go after; empty when unknown."""
    if not tx_data:
        return {}
    return {"sources": list(tx_data.get("sources") or []), "next": tx_data.get("next") or DEFAULT_NEXT}


@bp.get("/erreur")
def error():
    motif = request.args.get("motif")
    if motif not in MOTIFS:
        motif = "echec"
    ref = request.args.get("ref")
    next_path = request.args.get("next") or ""
    retry_next = next_path if _NEXT.match(next_path) else None
    retry_sources = None
    if retry_next:
        known = current_app.extensions["settings"].providers.sources
        retry_sources = [s for s in known if s in (request.args.get("sources") or "").split(",")]
    return render_template("auth/error.html", motif=motif, ref=ref if is_correlation_id(ref) else None,
                           fc_next=retry_next, fc_chosen_sources=retry_sources), 400


@bp.post("/logout")
def logout():
    id_token = session.get(ID_TOKEN)
    session.clear()
    if not id_token:
        return redirect(url_for("pages.index"), 303)
    state = secrets.token_urlsafe(32)
    session[LOGOUT_STATE] = state
    extensions.touch_session()
    current_app.session_interface.regenerate(session)
    try:
        url = _client().logout_url(id_token, state)
    except FranceConnectError as error:
        # Our session is gone already; FranceConnect's will expire on its own (30 min idle).
        log.warning("franceconnect logout url unavailable reason=%s", error.reason)
        return redirect(url_for("auth.logout_callback"), 303)
    log.info("logout: local session destroyed, redirecting to franceconnect")
    return redirect(url, 303)


@bp.get("/logout/callback")
def logout_callback():
    expected = session.pop(LOGOUT_STATE, None)
    state = _single("state")
    if state is None:
        log.info("logout callback without state")
    elif not expected or not hmac.compare_digest(state.encode(), expected.encode()):
        log.warning("logout callback with an unknown state")
    session.clear()
    return render_template("auth/logged_out.html")


def current_identity() -> Identity | None:
    data = session.get(IDENTITY)
    return Identity.from_dict(data) if data else None
